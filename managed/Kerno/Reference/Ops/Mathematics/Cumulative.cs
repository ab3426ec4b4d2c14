using System.Numerics;
using Kerno.Reference.Numerics;

namespace Kerno.Reference.Ops.Mathematics;

/// <summary>CumSum and CumProd along an axis given as a scalar input, with the exclusive and reverse attributes.</summary>
internal static class Cumulative
{
    private sealed class ScanFunc(int axis, bool product, bool exclusive, bool reverse) : INumberFunc<Tensor>
    {
        public Tensor Apply<T>(Tensor<T> x) where T : unmanaged, INumber<T>, IMinMaxValue<T>
        {
            int[] shape = x.Dims;
            int outer = Tensor.ElementCount(shape.AsSpan(0, axis)), length = shape[axis], inner = Tensor.ElementCount(shape.AsSpan(axis + 1));
            var y = new Tensor<T>(shape);
            ReadOnlySpan<T> xs = x.Span;
            Span<T> ys = y.Span;
            for (int o = 0; o < outer; ++o)
                for (int i = 0; i < inner; ++i)
                {
                    T acc = product ? T.One : T.Zero;
                    for (int step = 0; step < length; ++step)
                    {
                        int k = reverse ? length - 1 - step : step;
                        int at = (o * length + k) * inner + i;
                        T next = product ? acc * xs[at] : acc + xs[at];
                        ys[at] = exclusive ? acc : next;
                        acc = next;
                    }
                }
            return y;
        }
    }

    /// <summary>Running sum or product; exclusive leaves out the element itself, reverse runs from the end.</summary>
    [OnnxOp("CumSum", "CumProd")]
    private static Tensor Scan(OpContext ctx)
    {
        Tensor x = ctx.Input(0), axisTensor = ctx.Input(1);
        ElementTypes.RequireNumeric(ctx, x);
        if (axisTensor.Length != 1 || !ElementTypes.IsInteger(axisTensor.DataType))
            throw ctx.Fail($"axis should be an integer scalar, got {axisTensor}");
        long axis = axisTensor.ToInt64Array()[0];
        if (axis < -x.Rank || axis >= x.Rank)
            throw ctx.Fail($"axis {axis} is out of range for rank {x.Rank}");
        var scan = new ScanFunc((int)(axis < 0 ? axis + x.Rank : axis), ctx.Node.OpType == "CumProd",
            ctx.Node.GetInt("exclusive", 0) != 0, ctx.Node.GetInt("reverse", 0) != 0);
        return ElementTypes.Restore(ElementTypes.OnNumber(x, scan), x.DataType);
    }
}
