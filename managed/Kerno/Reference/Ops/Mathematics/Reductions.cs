using System.Numerics;
using Kerno.Reference.Numerics;

namespace Kerno.Reference.Ops.Mathematics;

/// <summary>
/// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp and
/// ReduceSumSquare. Axes come from the <c>axes</c> attribute before opset 13 (ReduceSum) or 18 (the others) and from
/// the optional second input after. No axes reduces everything, unless <c>noop_with_empty_axes</c> is set: then the
/// reduction runs over no axis, i.e. on each element alone (identity for Sum, x^2 for SumSquare, |x| for L1 ...).
/// Reducing an empty set gives the operation's identity (0, 1, -inf, +inf; NaN for Mean).
/// Sum, Prod, Max, Min, L1 and SumSquare are exact for integers (wrapping); Mean, L2, LogSum and LogSumExp are
/// computed in double and truncated back to integer types. Float types are accumulated in double.
/// </summary>
internal static class Reductions
{
    private enum Kind { Sum, Prod, Max, Min, L1, SumSquare, Mean, L2, LogSum, LogSumExp }

    /// <summary>Which output element each input element reduces into, and the output's shape.</summary>
    private sealed class Layout
    {
        public Layout(int[] shape, bool[] reduced, bool keepDims)
        {
            int rank = shape.Length;
            var kept = new int[rank];           // the keepdims shape: reduced axes become 1
            for (int a = 0; a < rank; ++a)
                kept[a] = reduced[a] ? 1 : shape[a];
            OutShape = keepDims ? kept : Enumerable.Range(0, rank).Where(a => !reduced[a]).Select(a => shape[a]).ToArray();
            Count = Tensor.ElementCount(kept);
            int[] outStrides = Tensor.StridesOf(kept);
            Group = new int[Tensor.ElementCount(shape)];
            var index = new int[rank];
            for (int i = 0; i < Group.Length; ++i)
            {
                int g = 0;
                for (int a = 0; a < rank; ++a)
                    if (!reduced[a])
                        g += index[a] * outStrides[a];
                Group[i] = g;
                for (int a = rank - 1; a >= 0; --a)   // next row-major index
                {
                    if (++index[a] < shape[a])
                        break;
                    index[a] = 0;
                }
            }
        }

        public int[] OutShape { get; }
        public int Count { get; }
        public int[] Group { get; }
    }

    private static Layout MakeLayout(OpContext ctx, Tensor x)
    {
        bool axesAsInput = ctx.Node.OpType == "ReduceSum" ? ctx.Opset >= 13 : ctx.Opset >= 18;
        long[]? axes = axesAsInput ? ctx.OptionalInput(1)?.ToInt64Array() : ctx.Node.GetInts("axes");
        bool noop = axesAsInput && ctx.Node.GetInt("noop_with_empty_axes", 0) != 0;
        bool keepDims = ctx.Node.GetInt("keepdims", 1) != 0;
        int rank = x.Rank;
        var reduced = new bool[rank];
        if (axes is null || axes.Length == 0)
        {
            if (!noop)
                Array.Fill(reduced, true);
        }
        else
        {
            foreach (long axis in axes)
            {
                if (axis < -rank || axis >= rank)
                    throw ctx.Fail($"axis {axis} is out of range for rank {rank}");
                int a = (int)(axis < 0 ? axis + rank : axis);
                if (reduced[a])
                    throw ctx.Fail($"axis {axis} is repeated in axes");
                reduced[a] = true;
            }
        }
        return new Layout(x.Dims, reduced, keepDims);
    }

    /// <summary>The reductions that stay in the element type: integers wrap, doubles accumulate in double.</summary>
    private sealed class ExactFunc(Kind kind, Layout layout) : INumberFunc<Tensor>
    {
        public Tensor Apply<T>(Tensor<T> x) where T : unmanaged, INumber<T>, IMinMaxValue<T>
        {
            bool isDouble = typeof(T) == typeof(double);
            T init = kind switch
            {
                Kind.Prod => T.One,
                Kind.Max => isDouble ? T.CreateTruncating(double.NegativeInfinity) : T.MinValue,
                Kind.Min => isDouble ? T.CreateTruncating(double.PositiveInfinity) : T.MaxValue,
                _ => T.Zero,
            };
            var acc = new T[layout.Count];
            Array.Fill(acc, init);
            ReadOnlySpan<T> xs = x.Span;
            int[] group = layout.Group;
            for (int i = 0; i < xs.Length; ++i)
            {
                T v = xs[i];
                ref T a = ref acc[group[i]];
                a = kind switch
                {
                    Kind.Sum => a + v,
                    Kind.Prod => a * v,
                    Kind.Max => T.Max(a, v),
                    Kind.Min => T.Min(a, v),
                    Kind.L1 => a + (v < T.Zero ? T.Zero - v : v),
                    Kind.SumSquare => a + v * v,
                    _ => throw new InvalidOperationException(kind.ToString()),
                };
            }
            return new Tensor<T>(acc, layout.OutShape);
        }
    }

    /// <summary>The reductions computed in double whatever the element type.</summary>
    private static Tensor<double> InDouble(Kind kind, Layout layout, Tensor<double> x)
    {
        ReadOnlySpan<double> xs = x.Span;
        int[] group = layout.Group;
        var sum = new double[layout.Count];
        var count = new int[layout.Count];
        var max = new double[layout.Count];
        Array.Fill(max, double.NegativeInfinity);
        if (kind == Kind.LogSumExp)   // shift by the maximum so that exp cannot overflow
            for (int i = 0; i < xs.Length; ++i)
                max[group[i]] = System.Math.Max(max[group[i]], xs[i]);
        for (int i = 0; i < xs.Length; ++i)
        {
            int g = group[i];
            double v = xs[i];
            count[g]++;
            sum[g] += kind switch
            {
                Kind.L2 => v * v,
                Kind.LogSumExp => System.Math.Exp(v - max[g]),
                _ => v,
            };
        }
        var result = new double[layout.Count];
        for (int g = 0; g < result.Length; ++g)
            result[g] = kind switch
            {
                Kind.Mean => sum[g] / count[g],
                Kind.L2 => System.Math.Sqrt(sum[g]),
                Kind.LogSum => System.Math.Log(sum[g]),
                Kind.LogSumExp => double.IsInfinity(max[g]) ? max[g] : max[g] + System.Math.Log(sum[g]),
                _ => throw new InvalidOperationException(kind.ToString()),
            };
        return new Tensor<double>(result, layout.OutShape);
    }

    private static Tensor Reduce(OpContext ctx, Kind kind)
    {
        Tensor x = ctx.Input(0);
        Layout layout = MakeLayout(ctx, x);
        if (x is Tensor<bool> b && kind is Kind.Max or Kind.Min)
        {
            // Max is "any", Min is "all" (opset 20): reduce as bytes, where the empty-set identities 0 and 255 give false and true.
            var bytes = new Tensor<byte>(b.Span.ToArray().Select(v => v ? (byte)1 : (byte)0).ToArray(), x.Dims);
            var r = (Tensor<byte>)new ExactFunc(kind, layout).Apply(bytes);
            return ElementMap.Unary(r, v => v != 0);
        }
        ElementTypes.RequireNumeric(ctx, x);
        if (kind is Kind.Mean or Kind.L2 or Kind.LogSum or Kind.LogSumExp)
            return ElementTypes.FromDouble(InDouble(kind, layout, ElementTypes.ToDouble(x)), x.DataType);
        return ElementTypes.Restore(ElementTypes.OnNumber(x, new ExactFunc(kind, layout)), x.DataType);
    }

    [OnnxOp("ReduceSum")]
    private static Tensor ReduceSum(OpContext ctx) => Reduce(ctx, Kind.Sum);

    [OnnxOp("ReduceProd")]
    private static Tensor ReduceProd(OpContext ctx) => Reduce(ctx, Kind.Prod);

    [OnnxOp("ReduceMax")]
    private static Tensor ReduceMax(OpContext ctx) => Reduce(ctx, Kind.Max);

    [OnnxOp("ReduceMin")]
    private static Tensor ReduceMin(OpContext ctx) => Reduce(ctx, Kind.Min);

    [OnnxOp("ReduceL1")]
    private static Tensor ReduceL1(OpContext ctx) => Reduce(ctx, Kind.L1);

    [OnnxOp("ReduceSumSquare")]
    private static Tensor ReduceSumSquare(OpContext ctx) => Reduce(ctx, Kind.SumSquare);

    [OnnxOp("ReduceMean")]
    private static Tensor ReduceMean(OpContext ctx) => Reduce(ctx, Kind.Mean);

    [OnnxOp("ReduceL2")]
    private static Tensor ReduceL2(OpContext ctx) => Reduce(ctx, Kind.L2);

    [OnnxOp("ReduceLogSum")]
    private static Tensor ReduceLogSum(OpContext ctx) => Reduce(ctx, Kind.LogSum);

    [OnnxOp("ReduceLogSumExp")]
    private static Tensor ReduceLogSumExp(OpContext ctx) => Reduce(ctx, Kind.LogSumExp);
}
