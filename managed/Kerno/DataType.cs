namespace Kerno;

/// <summary>Element types of tensors, numbered as ONNX's <c>TensorProto.DataType</c>.</summary>
public enum DataType
{
    /// <summary>Not set.</summary>
    Undefined = 0,
#pragma warning disable CS1591 // names are ONNX's
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
    Float8E4M3FN = 17,
    Float8E4M3FNUZ = 18,
    Float8E5M2 = 19,
    Float8E5M2FNUZ = 20,
    UInt4 = 21,
    Int4 = 22,
    Float4E2M1 = 23,
    Float8E8M0 = 24,
    UInt2 = 25,
    Int2 = 26,
#pragma warning restore CS1591
}

/// <summary>Facts about <see cref="DataType"/> values.</summary>
public static class DataTypes
{
    /// <summary>
    /// The CLR element type Kerno stores a data type in. Sub-byte and 8-bit float types are stored one
    /// element per byte (their raw bit pattern; Int4/Int2 sign-extended in sbyte).
    /// </summary>
    public static Type ClrType(DataType type) => type switch
    {
        DataType.Float => typeof(float),
        DataType.Double => typeof(double),
        DataType.Float16 => typeof(Half),
        DataType.BFloat16 => typeof(BFloat16),
        DataType.Int8 or DataType.Int4 or DataType.Int2 => typeof(sbyte),
        DataType.UInt8 or DataType.UInt4 or DataType.UInt2 or DataType.Float8E4M3FN or DataType.Float8E4M3FNUZ
            or DataType.Float8E5M2 or DataType.Float8E5M2FNUZ or DataType.Float4E2M1 or DataType.Float8E8M0 => typeof(byte),
        DataType.Int16 => typeof(short),
        DataType.UInt16 => typeof(ushort),
        DataType.Int32 => typeof(int),
        DataType.UInt32 => typeof(uint),
        DataType.Int64 => typeof(long),
        DataType.UInt64 => typeof(ulong),
        DataType.Bool => typeof(bool),
        DataType.String => typeof(string),
        _ => throw new NotSupportedException($"data type {type} is not supported"),
    };

    /// <summary>The default data type of a CLR element type.</summary>
    public static DataType Of<T>() => Of(typeof(T));

    /// <summary>The default data type of a CLR element type.</summary>
    public static DataType Of(Type t) =>
        t == typeof(float) ? DataType.Float :
        t == typeof(double) ? DataType.Double :
        t == typeof(Half) ? DataType.Float16 :
        t == typeof(BFloat16) ? DataType.BFloat16 :
        t == typeof(sbyte) ? DataType.Int8 :
        t == typeof(byte) ? DataType.UInt8 :
        t == typeof(short) ? DataType.Int16 :
        t == typeof(ushort) ? DataType.UInt16 :
        t == typeof(int) ? DataType.Int32 :
        t == typeof(uint) ? DataType.UInt32 :
        t == typeof(long) ? DataType.Int64 :
        t == typeof(ulong) ? DataType.UInt64 :
        t == typeof(bool) ? DataType.Bool :
        t == typeof(string) ? DataType.String :
        throw new NotSupportedException($"CLR type {t} has no ONNX data type");

    /// <summary>Bytes per element in ONNX's packed <c>raw_data</c> (0 for strings; sub-byte types report 1, see <see cref="BitsPerElement"/>).</summary>
    public static int RawSize(DataType type) => type switch
    {
        DataType.Float or DataType.Int32 or DataType.UInt32 => 4,
        DataType.Double or DataType.Int64 or DataType.UInt64 or DataType.Complex64 => 8,
        DataType.Complex128 => 16,
        DataType.Float16 or DataType.BFloat16 or DataType.Int16 or DataType.UInt16 => 2,
        DataType.String => 0,
        DataType.Undefined => throw new NotSupportedException("undefined data type"),
        _ => 1,
    };

    /// <summary>Bits per element in ONNX's packed <c>raw_data</c> (4 for Int4/UInt4/Float4E2M1, 2 for Int2/UInt2).</summary>
    public static int BitsPerElement(DataType type) => type switch
    {
        DataType.Int4 or DataType.UInt4 or DataType.Float4E2M1 => 4,
        DataType.Int2 or DataType.UInt2 => 2,
        DataType.String => 0,
        _ => RawSize(type) * 8,
    };

    /// <summary>True for float, double, float16, bfloat16 and the 8/4-bit float formats.</summary>
    public static bool IsFloatingPoint(DataType type) => type is DataType.Float or DataType.Double or DataType.Float16
        or DataType.BFloat16 or DataType.Float8E4M3FN or DataType.Float8E4M3FNUZ or DataType.Float8E5M2
        or DataType.Float8E5M2FNUZ or DataType.Float4E2M1 or DataType.Float8E8M0;

    /// <summary>True for the signed and unsigned integer types (not bool).</summary>
    public static bool IsInteger(DataType type) => type is DataType.Int8 or DataType.UInt8 or DataType.Int16
        or DataType.UInt16 or DataType.Int32 or DataType.UInt32 or DataType.Int64 or DataType.UInt64
        or DataType.Int4 or DataType.UInt4 or DataType.Int2 or DataType.UInt2;

    /// <summary>The lower-case name ONNX uses in type strings (<c>tensor(float)</c>).</summary>
    public static string OnnxName(DataType type) => type switch
    {
        DataType.Float => "float",
        DataType.Double => "double",
        DataType.Float16 => "float16",
        DataType.BFloat16 => "bfloat16",
        DataType.Bool => "bool",
        DataType.String => "string",
        _ => type.ToString().ToLowerInvariant(),
    };
}
