using Kerno.Onnx.Proto;

namespace Kerno.Onnx;

/// <summary>Densifies SparseTensorProtos (sparse initializers and Constant's sparse_value): Kerno computes on dense tensors only.</summary>
internal static class SparseTensors
{
    public static Tensor ToDense(SparseTensorProto proto, string what, LoadContext context)
    {
        if (proto.Values is null)
            throw new KernoModelException($"{what}: sparse tensor has no values");
        int[] shape = TensorReader.CheckedShape(proto.Dims, what, context.Limits);
        Tensor values = TensorReader.ToTensor(proto.Values, what + " (values)", context);
        if (values.Rank != 1)
            throw new KernoModelException($"{what}: sparse values must be 1-D, got {Tensor.FormatShape(values.Shape)}");
        int nnz = values.Length;
        long[] flat = FlatIndices(proto, shape, nnz, what, context);
        Tensor dense = Tensor.Create(values.DataType, shape);
        CopyInto(values, dense, flat);
        return dense;
    }

    private static long[] FlatIndices(SparseTensorProto proto, int[] shape, int nnz, string what, LoadContext context)
    {
        long total = Tensor.ElementCount(shape);
        if (proto.Indices is null)
        {
            if (nnz != 0)
                throw new KernoModelException($"{what}: sparse tensor has values but no indices");
            return [];
        }
        Tensor indices = TensorReader.ToTensor(proto.Indices, what + " (indices)", context);
        if (indices.DataType != DataType.Int64)
            throw new KernoModelException($"{what}: sparse indices must be int64, got {indices.DataType}");
        long[] raw = indices.ToInt64Array();
        long[] flat;
        if (indices.Rank == 1 && indices.Length == nnz)
            flat = raw;
        else if (indices.Rank == 2 && indices.Shape[0] == nnz && indices.Shape[1] == shape.Length)
        {
            flat = new long[nnz];
            int[] strides = Tensor.StridesOf(shape);
            for (int i = 0; i < nnz; ++i)
            {
                long f = 0;
                for (int a = 0; a < shape.Length; ++a)
                {
                    long v = raw[i * shape.Length + a];
                    if (v < 0 || v >= shape[a])
                        throw new KernoModelException($"{what}: sparse index {v} out of range on axis {a}");
                    f += v * strides[a];
                }
                flat[i] = f;
            }
        }
        else
            throw new KernoModelException($"{what}: sparse indices shape {Tensor.FormatShape(indices.Shape)} does not fit {nnz} values of rank {shape.Length}");
        foreach (long f in flat)
            if (f < 0 || f >= total)
                throw new KernoModelException($"{what}: sparse index {f} outside {total} elements");
        return flat;
    }

    private static void CopyInto(Tensor values, Tensor dense, long[] flat)
    {
        switch (values)
        {
            case Tensor<float> v: Scatter(v, (Tensor<float>)dense, flat); break;
            case Tensor<double> v: Scatter(v, (Tensor<double>)dense, flat); break;
            case Tensor<Half> v: Scatter(v, (Tensor<Half>)dense, flat); break;
            case Tensor<BFloat16> v: Scatter(v, (Tensor<BFloat16>)dense, flat); break;
            case Tensor<sbyte> v: Scatter(v, (Tensor<sbyte>)dense, flat); break;
            case Tensor<byte> v: Scatter(v, (Tensor<byte>)dense, flat); break;
            case Tensor<short> v: Scatter(v, (Tensor<short>)dense, flat); break;
            case Tensor<ushort> v: Scatter(v, (Tensor<ushort>)dense, flat); break;
            case Tensor<int> v: Scatter(v, (Tensor<int>)dense, flat); break;
            case Tensor<uint> v: Scatter(v, (Tensor<uint>)dense, flat); break;
            case Tensor<long> v: Scatter(v, (Tensor<long>)dense, flat); break;
            case Tensor<ulong> v: Scatter(v, (Tensor<ulong>)dense, flat); break;
            case Tensor<bool> v: Scatter(v, (Tensor<bool>)dense, flat); break;
            case Tensor<string> v: Scatter(v, (Tensor<string>)dense, flat); break;
        }
    }

    private static void Scatter<T>(Tensor<T> values, Tensor<T> dense, long[] flat)
    {
        for (int i = 0; i < flat.Length; ++i)
            dense[(int)flat[i]] = values[i];
    }
}
