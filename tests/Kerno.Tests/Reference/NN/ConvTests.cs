using static Kerno.Tests.Reference.NN.NNTestUtil;

namespace Kerno.Tests.Reference.NN;

using Math = System.Math;
using Tensor = Kerno.Tensor;

public class ConvTests
{
    /// <summary>Direct 2-D convolution straight from the definition.</summary>
    private static double[] NaiveConv2D(Tensor<float> x, Tensor<float> w, float[]? b, int group, int[] s, int[] d, int[] p, out int[] shape)
    {
        int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int M = w.Shape[0], kh = w.Shape[2], kw = w.Shape[3];
        int oh = (H + p[0] + p[2] - ((kh - 1) * d[0] + 1)) / s[0] + 1;
        int ow = (W + p[1] + p[3] - ((kw - 1) * d[1] + 1)) / s[1] + 1;
        shape = [N, M, oh, ow];
        var y = new double[N * M * oh * ow];
        int Cg = C / group, Mg = M / group;
        for (int n = 0; n < N; ++n)
            for (int m = 0; m < M; ++m)
                for (int i = 0; i < oh; ++i)
                    for (int j = 0; j < ow; ++j)
                    {
                        double acc = b?[m] ?? 0;
                        int g = m / Mg;
                        for (int c = 0; c < Cg; ++c)
                            for (int u = 0; u < kh; ++u)
                                for (int v = 0; v < kw; ++v)
                                {
                                    int hi = i * s[0] - p[0] + u * d[0], wi = j * s[1] - p[1] + v * d[1];
                                    if (hi < 0 || hi >= H || wi < 0 || wi >= W)
                                        continue;
                                    acc += x[((n * C + g * Cg + c) * H + hi) * W + wi] * w[((m * Cg + c) * kh + u) * kw + v];
                                }
                        y[((n * M + m) * oh + i) * ow + j] = acc;
                    }
        return y;
    }

    [Test]
    public void HandComputed3x3()
    {
        // 1x1x3x3 input 0..8, 2x2 kernel of ones, no padding: sums of 2x2 blocks.
        var x = F([0, 1, 2, 3, 4, 5, 6, 7, 8], 1, 1, 3, 3);
        var w = F([1, 1, 1, 1], 1, 1, 2, 2);
        Tensor y = Run1("Conv", 11, [x, w]);
        AssertClose(y, [8, 12, 20, 24], [1, 1, 2, 2]);
    }

    [Test]
    public void MatchesNaiveFormula(
        [Values(1, 2)] int stride, [Values(1, 2)] int dilation, [Values(0, 1, 2)] int pad, [Values(1, 2)] int group,
        [Values(false, true)] bool bias)
    {
        var x = Random(1, 2, 4, 7, 6);
        var w = Random(2, 6, 4 / group, 3, 2);
        float[]? b = bias ? Random(3, 6).Span.ToArray() : null;
        int[] s = [stride, stride + 1 > 2 ? 1 : stride], d = [dilation, 1], p = [pad, pad / 2, pad, pad];
        double[] expected = NaiveConv2D(x, w, b, group, s, d, p, out int[] shape);
        var attrs = new List<Graph.AttributeValue>
        {
            Ints("strides", s[0], s[1]), Ints("dilations", d[0], d[1]), Ints("pads", p[0], p[1], p[2], p[3]), Int("group", group),
        };
        Tensor y = Run1("Conv", 11, [x, w, b is null ? null : F(b, 6)], attrs.ToArray());
        AssertClose(y, expected, shape);
    }

    [Test]
    public void AutoPadSame([Values("SAME_UPPER", "SAME_LOWER")] string mode, [Values(1, 2)] int stride)
    {
        var x = Random(4, 1, 2, 5, 5);
        var w = Random(5, 3, 2, 2, 2);
        Tensor y = Run1("Conv", 11, [x, w], Str("auto_pad", mode), Ints("strides", stride, stride));
        int o = (5 + stride - 1) / stride;
        int total = Math.Max(0, (o - 1) * stride + 2 - 5);
        int pb = mode == "SAME_UPPER" ? total / 2 : total - total / 2;
        double[] expected = NaiveConv2D(x, w, null, 1, [stride, stride], [1, 1], [pb, pb, total - pb, total - pb], out int[] shape);
        Assert.That(shape[2], Is.EqualTo(o));
        AssertClose(y, expected, shape);
    }

    [Test]
    public void Conv1DAnd3DMatch2D()
    {
        var x = Random(6, 1, 3, 9);
        var w = Random(7, 2, 3, 3);
        Tensor y1 = Run1("Conv", 11, [x, w], Ints("pads", 1, 2), Ints("strides", 2));
        Tensor y2 = Run1("Conv", 11, [x.Reshape([1, 3, 1, 9]), w.Reshape([2, 3, 1, 3])], Ints("pads", 0, 1, 0, 2), Ints("strides", 1, 2));
        AssertClose(y1, y2.ToDoubleArray(), [1, 2, 5]);
        Tensor y3 = Run1("Conv", 11, [x.Reshape([1, 3, 1, 1, 9]), w.Reshape([2, 3, 1, 1, 3])], Ints("pads", 0, 0, 1, 0, 0, 2), Ints("strides", 1, 1, 2));
        AssertClose(y3, y2.ToDoubleArray(), [1, 2, 1, 1, 5]);
    }

    [Test]
    public void ConvTransposeIsAdjointOfConv([Values(1, 2)] int stride, [Values(0, 1)] int pad, [Values(1, 2)] int group)
    {
        // <conv(x, w), y> == <x, convT(y, w)> for any x, y (with output_shape restoring x's size).
        var x = Random(8, 1, 4, 7, 7);
        var w = Random(9, 6, 4 / group, 3, 3);
        var strides = Ints("strides", stride, stride);
        var pads = Ints("pads", pad, pad, pad, pad);
        Tensor cx = Run1("Conv", 11, [x, w], strides, pads, Int("group", group));
        var y = Random(10, cx.Shape.ToArray());
        // ConvTranspose weights are [C_in(=6), C_out/group, k, k]: conv weight [M, C/g, k, k] regrouped.
        int M = 6, Cg = 4 / group, Mg = M / group;
        var wt = new Tensor<float>([M, Cg, 3, 3]);
        for (int m = 0; m < M; ++m)
            for (int c = 0; c < Cg; ++c)
                for (int k = 0; k < 9; ++k)
                    wt[(m * Cg + c) * 9 + k] = w[(m * Cg + c) * 9 + k];
        _ = Mg;
        Tensor ty = Run1("ConvTranspose", 11, [y, wt], strides, pads, Int("group", group), Ints("output_shape", 7, 7));
        Assert.That(ty.Shape.ToArray(), Is.EqualTo(new[] { 1, 4, 7, 7 }));
        double lhs = Dot(cx.ToDoubleArray(), y.ToDoubleArray()), rhs = Dot(x.ToDoubleArray(), ty.ToDoubleArray());
        Assert.That(rhs, Is.EqualTo(lhs).Within(1e-4 * Math.Max(1, Math.Abs(lhs))));
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (u, v) => u * v).Sum();

    [Test]
    public void ConvTransposeHandComputed()
    {
        // 1-D: x = [1, 2], w = [1, 1, 1], stride 2 -> positions 0..4: [1,1,1+2,2,2].
        Tensor y = Run1("ConvTranspose", 11, [F([1, 2], 1, 1, 2), F([1, 1, 1], 1, 1, 3)], Ints("strides", 2));
        AssertClose(y, [1, 1, 3, 2, 2], [1, 1, 5]);
        Tensor y2 = Run1("ConvTranspose", 11, [F([1, 2], 1, 1, 2), F([1, 1, 1], 1, 1, 3)], Ints("strides", 2), Ints("output_padding", 1));
        AssertClose(y2, [1, 1, 3, 2, 2, 0], [1, 1, 6]);
    }

    [Test]
    public void ConvIntegerWithZeroPoints()
    {
        var x = new Tensor<byte>([2, 3, 4, 5], 1, 1, 2, 2);
        var w = new Tensor<byte>([1, 2, 3, 4], 1, 1, 2, 2);
        Tensor y = Run1("ConvInteger", 10, [x, w, Tensor.Scalar((byte)1), Tensor.Scalar((byte)1)]);
        Assert.That(y.DataType, Is.EqualTo(DataType.Int32));
        AssertClose(y, [1 * 0 + 2 * 1 + 3 * 2 + 4 * 3], [1, 1, 1, 1]);
    }
}
