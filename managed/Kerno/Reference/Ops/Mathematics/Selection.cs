using System.Numerics;
using Kerno.Reference.Numerics;

namespace Kerno.Reference.Ops.Mathematics;

/// <summary>ArgMax, ArgMin and TopK: positions of the extreme elements along one axis.</summary>
internal static class Selection
{
    /// <summary>Splits a shape around <paramref name="axis"/>: element (o, k, i) is at o * length * inner + k * inner + i.</summary>
    private static (int Outer, int Length, int Inner) Around(int[] shape, int axis) =>
        (Tensor.ElementCount(shape.AsSpan(0, axis)), shape[axis], Tensor.ElementCount(shape.AsSpan(axis + 1)));

    private static int NormalizeAxis(OpContext ctx, long axis, int rank)
    {
        if (axis < -rank || axis >= rank)
            throw ctx.Fail($"axis {axis} is out of range for rank {rank}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    private sealed class ArgFunc(OpContext ctx, int axis, bool max, bool last, bool keepDims) : INumberFunc<Tensor>
    {
        public Tensor Apply<T>(Tensor<T> x) where T : unmanaged, INumber<T>, IMinMaxValue<T>
        {
            (int outer, int length, int inner) = Around(x.Dims, axis);
            if (length == 0)
                throw ctx.Fail($"cannot take {ctx.Node.OpType} over an empty axis");
            int[] shape = x.Dims.ToArray();
            shape[axis] = 1;
            if (!keepDims)
                shape = shape.Where((_, a) => a != axis).ToArray();
            var result = new long[outer * inner];
            ReadOnlySpan<T> xs = x.Span;
            for (int o = 0; o < outer; ++o)
                for (int i = 0; i < inner; ++i)
                {
                    int start = o * length * inner + i, best = 0;
                    for (int k = 1; k < length; ++k)
                    {
                        T v = xs[start + k * inner], b = xs[start + best * inner];
                        // NaN wins over numbers, as in numpy (the first NaN, or the last with select_last_index).
                        bool better = T.IsNaN(v)
                            ? last || !T.IsNaN(b)
                            : !T.IsNaN(b) && (max ? (last ? v >= b : v > b) : (last ? v <= b : v < b));
                        if (better)
                            best = k;
                    }
                    result[o * inner + i] = best;
                }
            return new Tensor<long>(result, shape);
        }
    }

    /// <summary>ArgMax / ArgMin: axis (default 0), keepdims (default 1), select_last_index (opset 12, default 0).</summary>
    [OnnxOp("ArgMax", "ArgMin")]
    private static Tensor Arg(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        ElementTypes.RequireNumeric(ctx, x);
        int axis = NormalizeAxis(ctx, ctx.Node.GetInt("axis", 0), x.Rank);
        bool last = ctx.Node.GetInt("select_last_index", 0) != 0, keepDims = ctx.Node.GetInt("keepdims", 1) != 0;
        return ElementTypes.OnNumber(x, new ArgFunc(ctx, axis, ctx.Node.OpType == "ArgMax", last, keepDims));
    }

    private sealed class TopKFunc(int axis, int k, bool largest) : INumberFunc<(Tensor Values, Tensor Indices)>
    {
        public (Tensor Values, Tensor Indices) Apply<T>(Tensor<T> x) where T : unmanaged, INumber<T>, IMinMaxValue<T>
        {
            (int outer, int length, int inner) = Around(x.Dims, axis);
            int[] shape = x.Dims.ToArray();
            shape[axis] = k;
            var values = new Tensor<T>(shape);
            var indices = new Tensor<long>(shape);
            ReadOnlySpan<T> xs = x.Span;
            var order = new int[length];
            Comparer<T> comparer = Comparer<T>.Create(largest ? (p, q) => Compare(q, p) : Compare);
            for (int o = 0; o < outer; ++o)
                for (int i = 0; i < inner; ++i)
                {
                    int start = o * length * inner + i;
                    for (int j = 0; j < length; ++j)
                        order[j] = j;
                    // Stable: equal values keep index order. NaN counts as larger than every number (numpy's sort order).
                    var lane = new T[length];
                    for (int j = 0; j < length; ++j)
                        lane[j] = xs[start + j * inner];
                    int[] sorted = order.OrderBy(j => lane[j], comparer).ToArray();   // OrderBy is a stable sort
                    int outStart = o * k * inner + i;
                    for (int j = 0; j < k; ++j)
                    {
                        values[outStart + j * inner] = lane[sorted[j]];
                        indices[outStart + j * inner] = sorted[j];
                    }
                }
            return (values, indices);
        }

        private static int Compare<T>(T a, T b) where T : INumber<T> =>
            T.IsNaN(a) ? (T.IsNaN(b) ? 0 : 1) : T.IsNaN(b) ? -1 : a < b ? -1 : a > b ? 1 : 0;
    }

    /// <summary>
    /// TopK: the k largest (or smallest, largest=0) elements along axis (default -1) and their int64 indices, sorted, ties
    /// in index order. k is an attribute before opset 10 and a one-element input after.
    /// </summary>
    [OnnxOp("TopK")]
    private static Value?[] TopK(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        ElementTypes.RequireNumeric(ctx, x);
        int axis = NormalizeAxis(ctx, ctx.Node.GetInt("axis", -1), x.Rank);
        long k;
        if (ctx.Opset < 10)
            k = ctx.Node.GetInt("k");
        else
        {
            Tensor kt = ctx.Input(1);
            if (kt.Length != 1 || !ElementTypes.IsInteger(kt.DataType))
                throw ctx.Fail($"K should be a one-element integer tensor, got {kt}");
            k = kt.ToInt64Array()[0];
        }
        if (k < 0 || k > x.Shape[axis])
            throw ctx.Fail($"k = {k} is out of range for axis {axis} of length {x.Shape[axis]}");
        bool largest = ctx.Node.GetInt("largest", 1) != 0;
        (Tensor values, Tensor indices) = ElementTypes.OnNumber(x, new TopKFunc(axis, (int)k, largest));
        return [ElementTypes.Restore(values, x.DataType), indices];
    }
}
