using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using Kerno.Onnx.Proto;

namespace Kerno.Onnx;

/// <summary>
/// Converts ONNX TensorProtos to <see cref="Tensor"/>s. Every size is checked against the bytes actually
/// present before anything is allocated, so a corrupt or hostile file yields a
/// <see cref="KernoModelException"/> instead of a crash or a huge allocation.
/// </summary>
public static class TensorReader
{
    /// <summary>Reads a file holding one serialized TensorProto (an ONNX test-data <c>.pb</c> file).</summary>
    public static Tensor ReadTensorFile(string path) => ReadTensor(File.ReadAllBytes(path), Path.GetFileName(path));

    /// <summary>Parses one serialized TensorProto.</summary>
    public static Tensor ReadTensor(ReadOnlySpan<byte> bytes, string what = "tensor")
    {
        TensorProto proto = ProtoParsing.Parse(TensorProto.Parser, bytes, what);
        return ToTensor(proto, what, new LoadContext(null, ModelLimits.Default));
    }

    /// <summary>Converts a parsed TensorProto; <paramref name="what"/> names it in error messages.</summary>
    internal static Tensor ToTensor(TensorProto proto, string what, LoadContext context)
    {
        var type = (DataType)proto.DataType;
        if (!Enum.IsDefined(type) || type == DataType.Undefined)
            throw new KernoModelException($"{what}: unknown or missing data type {proto.DataType}");
        if (type is DataType.Complex64 or DataType.Complex128)
            throw new KernoModelException($"{what}: {type} tensors are not supported");
        if (proto.Segment is not null)
            throw new KernoModelException($"{what}: segmented tensors are not supported");
        int[] shape = CheckedShape(proto.Dims, what, context.Limits);
        int count = Tensor.ElementCount(shape);

        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
        {
            if (type == DataType.String)
                throw new KernoModelException($"{what}: string tensors cannot use external data");
            byte[] bytes = ExternalData.Read(proto, what, RawBytes(type, count), context);
            return FromRaw(type, shape, count, bytes, what);
        }
        if (!proto.RawData.IsEmpty)
        {
            if (type == DataType.String)
                throw new KernoModelException($"{what}: string tensors cannot use raw_data");
            return FromRaw(type, shape, count, proto.RawData.Span, what);
        }
        return FromTyped(proto, type, shape, count, what);
    }

    /// <summary>The dims as ints, each checked non-negative, with the product checked against the limit.</summary>
    internal static int[] CheckedShape(IReadOnlyList<long> dims, string what, ModelLimits limits)
    {
        var shape = new int[dims.Count];
        long product = 1;
        for (int i = 0; i < dims.Count; ++i)
        {
            long d = dims[i];
            if (d < 0)
                throw new KernoModelException($"{what}: negative dimension {d} at axis {i}");
            if (d > int.MaxValue)
                throw new KernoModelException($"{what}: dimension {d} at axis {i} is too large");
            shape[i] = (int)d;
            // Once any dim is 0 the product stays 0; otherwise stop before it can overflow.
            if (product != 0)
            {
                product = d == 0 ? 0 : product > limits.MaxTensorElements / d ? long.MaxValue : product * d;
            }
        }
        if (product > limits.MaxTensorElements)
            throw new KernoModelException($"{what}: shape [{string.Join(",", dims)}] has more than {limits.MaxTensorElements} elements (MaxTensorElements)");
        return shape;
    }

    /// <summary>Bytes of raw_data a tensor of this type and element count must have.</summary>
    internal static long RawBytes(DataType type, long count)
    {
        int bits = DataTypes.BitsPerElement(type);
        return bits < 8 ? SubByte.PackedBytes(count, bits) : count * (bits / 8);
    }

    private static Tensor FromRaw(DataType type, int[] shape, int count, ReadOnlySpan<byte> raw, string what)
    {
        long expected = RawBytes(type, count);
        if (raw.Length != expected)
            throw new KernoModelException($"{what}: raw data has {raw.Length} bytes but shape {Tensor.FormatShape(shape)} of {DataTypes.OnnxName(type)} needs {expected}");
        Tensor tensor = Tensor.Create(type, shape);
        switch (tensor)
        {
            case Tensor<bool> t:
                for (int i = 0; i < count; ++i)
                    t.Span[i] = raw[i] != 0;
                break;
            case Tensor<byte> t when DataTypes.BitsPerElement(type) < 8:
                SubByte.Unpack(raw, DataTypes.BitsPerElement(type), false, t.Span);
                break;
            case Tensor<sbyte> t when DataTypes.BitsPerElement(type) < 8:
                SubByte.Unpack(raw, DataTypes.BitsPerElement(type), true, MemoryMarshal.AsBytes(t.Span));
                break;
            default:
                CopyLittleEndian(raw, tensor);
                break;
        }
        return tensor;
    }

    private static void CopyLittleEndian(ReadOnlySpan<byte> raw, Tensor tensor)
    {
        Span<byte> dest = tensor switch
        {
            Tensor<float> t => MemoryMarshal.AsBytes(t.Span),
            Tensor<double> t => MemoryMarshal.AsBytes(t.Span),
            Tensor<Half> t => MemoryMarshal.AsBytes(t.Span),
            Tensor<BFloat16> t => MemoryMarshal.AsBytes(t.Span),
            Tensor<sbyte> t => MemoryMarshal.AsBytes(t.Span),
            Tensor<byte> t => t.Span,
            Tensor<short> t => MemoryMarshal.AsBytes(t.Span),
            Tensor<ushort> t => MemoryMarshal.AsBytes(t.Span),
            Tensor<int> t => MemoryMarshal.AsBytes(t.Span),
            Tensor<uint> t => MemoryMarshal.AsBytes(t.Span),
            Tensor<long> t => MemoryMarshal.AsBytes(t.Span),
            Tensor<ulong> t => MemoryMarshal.AsBytes(t.Span),
            _ => throw new NotSupportedException($"raw data for {tensor.DataType}"),
        };
        raw.CopyTo(dest);
        // ONNX raw_data is little-endian; swap in place on a big-endian host.
        if (!BitConverter.IsLittleEndian && tensor.Length > 0)
        {
            int size = dest.Length / tensor.Length;
            for (int i = 0; i < dest.Length; i += size)
                dest.Slice(i, size).Reverse();
        }
    }

    private static Tensor FromTyped(TensorProto p, DataType type, int[] shape, int count, string what)
    {
        void Need(int have, long need, string field)
        {
            if (have != need)
                throw new KernoModelException($"{what}: {field} has {have} values but shape {Tensor.FormatShape(shape)} of {DataTypes.OnnxName(type)} needs {need}");
        }
        // Counts are checked before allocating: a few bytes of protobuf must not make Kerno allocate the
        // gigabytes its dims claim when the data is not there.
        (int have, long need, string field) = type switch
        {
            DataType.Float => (p.FloatData.Count, count, "float_data"),
            DataType.Double => (p.DoubleData.Count, count, "double_data"),
            DataType.Int64 => (p.Int64Data.Count, count, "int64_data"),
            DataType.UInt64 or DataType.UInt32 => (p.Uint64Data.Count, count, "uint64_data"),
            DataType.String => (p.StringData.Count, count, "string_data"),
            _ when DataTypes.BitsPerElement(type) < 8 => (p.Int32Data.Count, SubByte.PackedBytes(count, DataTypes.BitsPerElement(type)), "int32_data"),
            _ => (p.Int32Data.Count, count, "int32_data"),
        };
        Need(have, need, field);
        Tensor tensor = Tensor.Create(type, shape);
        switch (type)
        {
            case DataType.Float:
                Need(p.FloatData.Count, count, "float_data");
                Copy(p.FloatData, ((Tensor<float>)tensor).Span);
                break;
            case DataType.Double:
                Need(p.DoubleData.Count, count, "double_data");
                Copy(p.DoubleData, ((Tensor<double>)tensor).Span);
                break;
            case DataType.Int64:
                Need(p.Int64Data.Count, count, "int64_data");
                Copy(p.Int64Data, ((Tensor<long>)tensor).Span);
                break;
            case DataType.UInt64:
                Need(p.Uint64Data.Count, count, "uint64_data");
                Copy(p.Uint64Data, ((Tensor<ulong>)tensor).Span);
                break;
            case DataType.UInt32:
            {
                Need(p.Uint64Data.Count, count, "uint64_data");
                Span<uint> s = ((Tensor<uint>)tensor).Span;
                for (int i = 0; i < count; ++i)
                    s[i] = unchecked((uint)p.Uint64Data[i]);
                break;
            }
            case DataType.String:
            {
                Need(p.StringData.Count, count, "string_data");
                Span<string> s = ((Tensor<string>)tensor).Span;
                for (int i = 0; i < count; ++i)
                    s[i] = Encoding.UTF8.GetString(p.StringData[i].Span);
                break;
            }
            default:
                FromInt32Data(p, type, tensor, count, Need);
                break;
        }
        return tensor;
    }

    private static void Copy<T>(Google.Protobuf.Collections.RepeatedField<T> source, Span<T> destination)
    {
        for (int i = 0; i < destination.Length; ++i)
            destination[i] = source[i];
    }

    /// <summary>int32_data carries every type of 16 bits or fewer (bit patterns for the float formats; packed bytes for 4/2-bit types).</summary>
    private static void FromInt32Data(TensorProto p, DataType type, Tensor tensor, int count, Action<int, long, string> need)
    {
        int bits = DataTypes.BitsPerElement(type);
        if (bits < 8)
        {
            long bytes = SubByte.PackedBytes(count, bits);
            need(p.Int32Data.Count, bytes, "int32_data");
            var packed = new byte[bytes];
            for (int i = 0; i < packed.Length; ++i)
                packed[i] = unchecked((byte)p.Int32Data[i]);
            Span<byte> dest = tensor is Tensor<sbyte> st ? MemoryMarshal.AsBytes(st.Span) : ((Tensor<byte>)tensor).Span;
            SubByte.Unpack(packed, bits, SubByte.IsSigned(type), dest);
            return;
        }
        need(p.Int32Data.Count, count, "int32_data");
        var src = p.Int32Data;
        switch (tensor)
        {
            case Tensor<int> t: Copy(src, t.Span); break;
            case Tensor<short> t: for (int i = 0; i < count; ++i) t.Span[i] = unchecked((short)src[i]); break;
            case Tensor<ushort> t: for (int i = 0; i < count; ++i) t.Span[i] = unchecked((ushort)src[i]); break;
            case Tensor<sbyte> t: for (int i = 0; i < count; ++i) t.Span[i] = unchecked((sbyte)src[i]); break;
            case Tensor<byte> t: for (int i = 0; i < count; ++i) t.Span[i] = unchecked((byte)src[i]); break;
            case Tensor<bool> t: for (int i = 0; i < count; ++i) t.Span[i] = src[i] != 0; break;
            case Tensor<Half> t: for (int i = 0; i < count; ++i) t.Span[i] = BitConverter.UInt16BitsToHalf(unchecked((ushort)src[i])); break;
            case Tensor<BFloat16> t: for (int i = 0; i < count; ++i) t.Span[i] = BFloat16.FromBits(unchecked((ushort)src[i])); break;
            default: throw new KernoModelException($"{DataTypes.OnnxName(type)} tensors cannot be read from int32_data");
        }
    }
}
