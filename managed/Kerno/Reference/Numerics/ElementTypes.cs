using System.Numerics;

namespace Kerno.Reference.Numerics;

/// <summary>
/// A computation generic over a numeric element type: <see cref="double"/> (standing for every float type, which
/// <see cref="ElementTypes.OnNumber{TResult}"/> widens exactly) or one of the eight integer storage types.
/// </summary>
internal interface INumberFunc<out TResult>
{
    /// <summary>Runs on <paramref name="x"/>, whose elements are <typeparamref name="T"/>.</summary>
    TResult Apply<T>(Tensor<T> x) where T : unmanaged, INumber<T>, IMinMaxValue<T>;
}

/// <summary>A computation generic over the eight integer storage types.</summary>
internal interface IIntegerFunc<out TResult>
{
    /// <summary>Runs on <paramref name="x"/>, whose elements are <typeparamref name="T"/>.</summary>
    TResult Apply<T>(Tensor<T> x) where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>;
}

/// <summary>A computation generic over any element storage type (numbers, bool, string).</summary>
internal interface IAnyFunc<out TResult>
{
    /// <summary>Runs on <paramref name="x"/>, whose elements are <typeparamref name="T"/>.</summary>
    TResult Apply<T>(Tensor<T> x);
}

/// <summary>
/// Element-type families and conversions shared by the math reference ops. The rule: float, double, float16 and
/// bfloat16 are computed in <see cref="double"/> (exact widening) and rounded back once; integers are computed in
/// their own type (wrapping like numpy).
/// </summary>
internal static class ElementTypes
{
    /// <summary>float, double, float16, bfloat16.</summary>
    public static bool IsFloat(DataType t) => t is DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16;

    /// <summary>int8, int16, int32, int64.</summary>
    public static bool IsSigned(DataType t) => t is DataType.Int8 or DataType.Int16 or DataType.Int32 or DataType.Int64;

    /// <summary>uint8, uint16, uint32, uint64.</summary>
    public static bool IsUnsigned(DataType t) => t is DataType.UInt8 or DataType.UInt16 or DataType.UInt32 or DataType.UInt64;

    /// <summary>The eight byte-sized-or-wider integer types.</summary>
    public static bool IsInteger(DataType t) => IsSigned(t) || IsUnsigned(t);

    /// <summary>Floats and integers (not bool, string, or the 8/4/2-bit formats).</summary>
    public static bool IsNumeric(DataType t) => IsFloat(t) || IsInteger(t);

    /// <summary>The elements as doubles, in a tensor of the same shape (exact for every float type and for integers up to 2^53).</summary>
    public static Tensor<double> ToDouble(Tensor x) =>
        x as Tensor<double> ?? new Tensor<double>(x.ToDoubleArray(), x.Dims);

    /// <summary>
    /// Converts doubles to <paramref name="type"/>: floats round to nearest even, integers truncate toward zero and
    /// saturate (NaN gives 0), bool is "not zero".
    /// </summary>
    public static Tensor FromDouble(Tensor<double> x, DataType type)
    {
        ReadOnlySpan<double> s = x.Span;
        switch (type)
        {
            case DataType.Double:
                return x;
            case DataType.Float:
                return Convert(s, x.Dims, v => (float)v);
            case DataType.Float16:
                return Convert(s, x.Dims, v => (Half)v);
            case DataType.BFloat16:
                return Convert(s, x.Dims, v => (BFloat16)(float)v);
            case DataType.Bool:
                return Convert(s, x.Dims, v => v != 0);
            case DataType.Int8: return Convert(s, x.Dims, sbyte.CreateSaturating);
            case DataType.UInt8: return Convert(s, x.Dims, byte.CreateSaturating);
            case DataType.Int16: return Convert(s, x.Dims, short.CreateSaturating);
            case DataType.UInt16: return Convert(s, x.Dims, ushort.CreateSaturating);
            case DataType.Int32: return Convert(s, x.Dims, int.CreateSaturating);
            case DataType.UInt32: return Convert(s, x.Dims, uint.CreateSaturating);
            case DataType.Int64: return Convert(s, x.Dims, long.CreateSaturating);
            case DataType.UInt64: return Convert(s, x.Dims, ulong.CreateSaturating);
            default:
                throw new NotSupportedException($"cannot convert numbers to {type}");
        }
    }

    private static Tensor<T> Convert<T>(ReadOnlySpan<double> s, int[] shape, Func<double, T> f)
    {
        var r = new T[s.Length];
        for (int i = 0; i < r.Length; ++i)
            r[i] = f(s[i]);
        return new Tensor<T>(r, shape);
    }

    /// <summary>
    /// If <paramref name="result"/> holds doubles standing for a float type (<paramref name="type"/>), rounds it back
    /// to that type; otherwise returns it unchanged.
    /// </summary>
    public static Tensor Restore(Tensor result, DataType type) =>
        result is Tensor<double> d && type != DataType.Double && IsFloat(type) ? FromDouble(d, type) : result;

    /// <summary>
    /// Runs <paramref name="f"/> on a numeric tensor: float types as <see cref="double"/>, integers as themselves.
    /// A result of doubles is not rounded back; see <see cref="Restore"/>.
    /// </summary>
    public static TResult OnNumber<TResult>(Tensor x, INumberFunc<TResult> f)
    {
        if (IsFloat(x.DataType))
            return f.Apply(ToDouble(x));
        return x.DataType switch
        {
            DataType.Int8 => f.Apply((Tensor<sbyte>)x),
            DataType.UInt8 => f.Apply((Tensor<byte>)x),
            DataType.Int16 => f.Apply((Tensor<short>)x),
            DataType.UInt16 => f.Apply((Tensor<ushort>)x),
            DataType.Int32 => f.Apply((Tensor<int>)x),
            DataType.UInt32 => f.Apply((Tensor<uint>)x),
            DataType.Int64 => f.Apply((Tensor<long>)x),
            DataType.UInt64 => f.Apply((Tensor<ulong>)x),
            _ => throw new NotSupportedException($"{x.DataType} is not a numeric type"),
        };
    }

    /// <summary>Runs <paramref name="f"/> on an integer tensor.</summary>
    public static TResult OnInteger<TResult>(Tensor x, IIntegerFunc<TResult> f) => x.DataType switch
    {
        DataType.Int8 => f.Apply((Tensor<sbyte>)x),
        DataType.UInt8 => f.Apply((Tensor<byte>)x),
        DataType.Int16 => f.Apply((Tensor<short>)x),
        DataType.UInt16 => f.Apply((Tensor<ushort>)x),
        DataType.Int32 => f.Apply((Tensor<int>)x),
        DataType.UInt32 => f.Apply((Tensor<uint>)x),
        DataType.Int64 => f.Apply((Tensor<long>)x),
        DataType.UInt64 => f.Apply((Tensor<ulong>)x),
        _ => throw new NotSupportedException($"{x.DataType} is not an integer type"),
    };

    /// <summary>The same tensor as <typeparamref name="T"/> elements, widened to double when <typeparamref name="T"/> is double.</summary>
    public static Tensor<T> As<T>(Tensor x) => typeof(T) == typeof(double) ? (Tensor<T>)(Tensor)ToDouble(x) : (Tensor<T>)x;

    /// <summary>Fails unless <paramref name="x"/> is one of the float types.</summary>
    public static void RequireFloat(OpContext ctx, Tensor x, string what = "input")
    {
        if (!IsFloat(x.DataType))
            throw ctx.Fail($"{what} has type {DataTypes.OnnxName(x.DataType)}; {ctx.Node.OpType} takes float, double, float16 or bfloat16");
    }

    /// <summary>Fails unless <paramref name="x"/> is a float or integer type.</summary>
    public static void RequireNumeric(OpContext ctx, Tensor x, string what = "input")
    {
        if (!IsNumeric(x.DataType))
            throw ctx.Fail($"{what} has type {DataTypes.OnnxName(x.DataType)}; {ctx.Node.OpType} takes numeric tensors");
    }

    /// <summary>Fails unless every tensor has the element type of the first.</summary>
    public static void RequireSameType(OpContext ctx, params Tensor[] xs)
    {
        foreach (Tensor x in xs)
            if (x.DataType != xs[0].DataType)
                throw ctx.Fail($"inputs have different types ({DataTypes.OnnxName(xs[0].DataType)} and {DataTypes.OnnxName(x.DataType)})");
    }

    /// <summary>Runs <paramref name="f"/> on a tensor of any storage type.</summary>
    public static TResult OnAny<TResult>(Tensor x, IAnyFunc<TResult> f) => x switch
    {
        Tensor<float> t => f.Apply(t),
        Tensor<double> t => f.Apply(t),
        Tensor<Half> t => f.Apply(t),
        Tensor<BFloat16> t => f.Apply(t),
        Tensor<sbyte> t => f.Apply(t),
        Tensor<byte> t => f.Apply(t),
        Tensor<short> t => f.Apply(t),
        Tensor<ushort> t => f.Apply(t),
        Tensor<int> t => f.Apply(t),
        Tensor<uint> t => f.Apply(t),
        Tensor<long> t => f.Apply(t),
        Tensor<ulong> t => f.Apply(t),
        Tensor<bool> t => f.Apply(t),
        Tensor<string> t => f.Apply(t),
        _ => throw new NotSupportedException($"tensors of {x.ElementType.Name} are not supported"),
    };
}
