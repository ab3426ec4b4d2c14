using Kerno.Reference.Numerics;

namespace Kerno.Reference.Ops.Mathematics;

/// <summary>
/// Softmax, LogSoftmax and Hardmax. From opset 13 they work along one axis (default -1); before, the input is viewed as
/// a 2-D matrix [prod(shape[..axis]), prod(shape[axis..])] (default axis 1) and they work along its rows.
/// </summary>
internal static class Softmax
{
    /// <summary>
    /// Applies <paramref name="f"/> to every lane of the op's axis, in double. A lane is <c>length</c> elements
    /// <c>stride</c> apart; <paramref name="f"/> reads the lane's values and writes the results in place.
    /// </summary>
    private static Tensor Lanes(OpContext ctx, Action<double[]> f)
    {
        Tensor x = ctx.Input(0);
        ElementTypes.RequireFloat(ctx, x);
        int rank = x.Rank;
        long axis = ctx.Node.GetInt("axis", ctx.Opset >= 13 ? -1 : 1);
        if (axis < -rank || axis > System.Math.Max(rank - 1, 0))
            throw ctx.Fail($"axis {axis} is out of range for rank {rank}");
        int a = (int)(axis < 0 ? axis + rank : axis);
        int outer = Tensor.ElementCount(x.Shape[..System.Math.Min(a, rank)]);
        int length, inner;
        if (ctx.Opset >= 13)
        {
            length = rank == 0 ? 1 : x.Shape[a];
            inner = rank == 0 ? 1 : Tensor.ElementCount(x.Shape[(a + 1)..]);
        }
        else
        {
            length = Tensor.ElementCount(x.Shape[System.Math.Min(a, rank)..]);
            inner = 1;
        }
        Tensor<double> y = ElementTypes.ToDouble(x).Clone();
        Span<double> v = y.Span;
        var lane = new double[length];
        for (int o = 0; o < outer; ++o)
            for (int i = 0; i < inner; ++i)
            {
                int start = o * length * inner + i;
                for (int k = 0; k < length; ++k)
                    lane[k] = v[start + k * inner];
                f(lane);
                for (int k = 0; k < length; ++k)
                    v[start + k * inner] = lane[k];
            }
        return ElementTypes.Restore(y, x.DataType);
    }

    private static double Max(double[] lane)
    {
        double m = double.NegativeInfinity;
        foreach (double v in lane)
            m = System.Math.Max(m, v);   // NaN propagates
        return m;
    }

    /// <summary>exp(x - max) / sum(exp(x - max)).</summary>
    [OnnxOp("Softmax")]
    private static Tensor SoftmaxOp(OpContext ctx) => Lanes(ctx, lane =>
    {
        double max = Max(lane), sum = 0;
        for (int k = 0; k < lane.Length; ++k)
            sum += lane[k] = System.Math.Exp(lane[k] - max);
        for (int k = 0; k < lane.Length; ++k)
            lane[k] /= sum;
    });

    /// <summary>x - max - log(sum(exp(x - max))).</summary>
    [OnnxOp("LogSoftmax")]
    private static Tensor LogSoftmax(OpContext ctx) => Lanes(ctx, lane =>
    {
        double max = Max(lane), sum = 0;
        foreach (double v in lane)
            sum += System.Math.Exp(v - max);
        double logSum = System.Math.Log(sum);
        for (int k = 0; k < lane.Length; ++k)
            lane[k] = lane[k] - max - logSum;
    });

    /// <summary>1 at the first maximum of each lane, 0 elsewhere.</summary>
    [OnnxOp("Hardmax")]
    private static Tensor Hardmax(OpContext ctx) => Lanes(ctx, lane =>
    {
        int best = 0;
        for (int k = 1; k < lane.Length; ++k)
            if (lane[k] > lane[best])
                best = k;
        for (int k = 0; k < lane.Length; ++k)
            lane[k] = k == best ? 1 : 0;
    });
}
