namespace Kerno.Reference.Ops.GraphOps;

/// <summary>
/// Element-type-agnostic block copies along one axis (take, slice, stack, concat), which is all the
/// control-flow and sequence operators need: they move elements, never compute with them.
/// </summary>
internal static class AxisCopy
{
    /// <summary>Copies <paramref name="count"/> elements between tensors of the same storage type.</summary>
    public static void Copy(Tensor source, int sourceOffset, Tensor destination, int destinationOffset, int count)
    {
        switch (source)
        {
            case Tensor<float> s: Block(s, sourceOffset, (Tensor<float>)destination, destinationOffset, count); break;
            case Tensor<double> s: Block(s, sourceOffset, (Tensor<double>)destination, destinationOffset, count); break;
            case Tensor<Half> s: Block(s, sourceOffset, (Tensor<Half>)destination, destinationOffset, count); break;
            case Tensor<BFloat16> s: Block(s, sourceOffset, (Tensor<BFloat16>)destination, destinationOffset, count); break;
            case Tensor<sbyte> s: Block(s, sourceOffset, (Tensor<sbyte>)destination, destinationOffset, count); break;
            case Tensor<byte> s: Block(s, sourceOffset, (Tensor<byte>)destination, destinationOffset, count); break;
            case Tensor<short> s: Block(s, sourceOffset, (Tensor<short>)destination, destinationOffset, count); break;
            case Tensor<ushort> s: Block(s, sourceOffset, (Tensor<ushort>)destination, destinationOffset, count); break;
            case Tensor<int> s: Block(s, sourceOffset, (Tensor<int>)destination, destinationOffset, count); break;
            case Tensor<uint> s: Block(s, sourceOffset, (Tensor<uint>)destination, destinationOffset, count); break;
            case Tensor<long> s: Block(s, sourceOffset, (Tensor<long>)destination, destinationOffset, count); break;
            case Tensor<ulong> s: Block(s, sourceOffset, (Tensor<ulong>)destination, destinationOffset, count); break;
            case Tensor<bool> s: Block(s, sourceOffset, (Tensor<bool>)destination, destinationOffset, count); break;
            case Tensor<string> s: Block(s, sourceOffset, (Tensor<string>)destination, destinationOffset, count); break;
            default: throw new NotSupportedException($"copying {source.DataType} tensors");
        }
    }

    private static void Block<T>(Tensor<T> s, int so, Tensor<T> d, int dOff, int n) => s.Span.Slice(so, n).CopyTo(d.Span.Slice(dOff, n));

    /// <summary>Product of dims before and after <paramref name="axis"/>.</summary>
    private static (int Outer, int Inner) Split(ReadOnlySpan<int> shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; ++i)
            outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; ++i)
            inner *= shape[i];
        return (outer, inner);
    }

    /// <summary>Elements [start, start+length) along <paramref name="axis"/>; <paramref name="keepAxis"/> false drops the axis (length must be 1).</summary>
    public static Tensor Slice(Tensor t, int axis, int start, int length, bool keepAxis = true)
    {
        int[] shape = t.Shape.ToArray();
        (int outer, int inner) = Split(shape, axis);
        int dim = shape[axis];
        shape[axis] = length;
        int[] outShape = keepAxis ? shape : shape.Where((_, i) => i != axis).ToArray();
        Tensor result = Tensor.Create(t.DataType, outShape);
        for (int o = 0; o < outer; ++o)
            Copy(t, (o * dim + start) * inner, result, o * length * inner, length * inner);
        return result;
    }

    /// <summary>Stacks equal-shaped tensors along a new axis at <paramref name="axis"/>.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> items, int axis)
    {
        var shape = items[0].Shape.ToArray().ToList();
        shape.Insert(axis, items.Count);
        var reshaped = items.Select(t =>
        {
            var s = t.Shape.ToArray().ToList();
            s.Insert(axis, 1);
            return t.Reshape(s.ToArray());
        }).ToList();
        return Concat(reshaped, axis);
    }

    /// <summary>Concatenates tensors along an existing axis (other dims must agree).</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> items, int axis)
    {
        int[] shape = items[0].Shape.ToArray();
        int total = 0;
        foreach (Tensor t in items)
        {
            if (t.Rank != shape.Length || t.DataType != items[0].DataType)
                throw new ArgumentException($"cannot concatenate {t} with {items[0]}");
            for (int i = 0; i < shape.Length; ++i)
                if (i != axis && t.Shape[i] != shape[i])
                    throw new ArgumentException($"shapes {Tensor.FormatShape(t.Shape)} and {Tensor.FormatShape(shape)} differ outside axis {axis}");
            total += t.Shape[axis];
        }
        shape[axis] = total;
        Tensor result = Tensor.Create(items[0].DataType, shape);
        (int outer, int inner) = Split(shape, axis);
        int offset = 0;
        for (int o = 0; o < outer; ++o)
        {
            foreach (Tensor t in items)
            {
                int n = t.Shape[axis] * inner;
                Copy(t, o * n, result, offset, n);
                offset += n;
            }
        }
        return result;
    }

    /// <summary>Normalizes a possibly negative axis for a given rank, or throws naming the node.</summary>
    public static int Axis(OpContext ctx, long axis, int rank)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw ctx.Fail($"axis {axis} is out of range for rank {rank}");
        return (int)a;
    }
}
