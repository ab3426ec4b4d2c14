using Kerno.Kernels;

namespace Kerno.Tests.Kernels;

/// <summary>Native NN operators through the managed wrappers vs plain C# loops.</summary>
public class NnKernelTests
{
    private static float[] Random(int n, int seed) => ConvKernelTests.Random(n, seed, 3f);

    private static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length));
        for (int i = 0; i < actual.Length; ++i)
            if (!(Math.Abs(actual[i] - expected[i]) <= 1e-4 + 1e-3 * Math.Abs(expected[i])))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}");
    }

    [Test]
    public void BinaryBroadcasts()
    {
        int[] aShape = [2, 3, 4], bShape = [3, 1];
        float[] a = Random(24, 1), b = Random(3, 2);
        var y = new float[24];
        NnKernels.Binary(BinaryOp.Sub, a, aShape, b, bShape, y);
        var expected = new float[24];
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j)
                for (int k = 0; k < 4; ++k)
                    expected[(i * 3 + j) * 4 + k] = a[(i * 3 + j) * 4 + k] - b[j];
        AssertClose(y, expected, "sub");
        Assert.Throws<ArgumentException>(() => NnKernels.Binary(BinaryOp.Add, a, aShape, b, [2], y));
        Assert.Throws<ArgumentException>(() => NnKernels.Binary(BinaryOp.Add, a, aShape, b, bShape, new float[5]));
    }

    [Test]
    public void SoftmaxAndLayerNorm()
    {
        int[] shape = [2, 5, 3];
        float[] x = Random(30, 3);
        var y = new float[30];
        NnKernels.Softmax(x, y, shape, 1);
        var expected = new float[30];
        for (int o = 0; o < 2; ++o)
            for (int j = 0; j < 3; ++j)
            {
                double m = double.MinValue, s = 0;
                for (int i = 0; i < 5; ++i) m = Math.Max(m, x[(o * 5 + i) * 3 + j]);
                for (int i = 0; i < 5; ++i) s += Math.Exp(x[(o * 5 + i) * 3 + j] - m);
                for (int i = 0; i < 5; ++i) expected[(o * 5 + i) * 3 + j] = (float)(Math.Exp(x[(o * 5 + i) * 3 + j] - m) / s);
            }
        AssertClose(y, expected, "softmax");
        Assert.Throws<ArgumentException>(() => NnKernels.Softmax(x, y, shape, 3));

        float[] scale = Random(15, 4), bias = Random(15, 5);
        NnKernels.LayerNorm(x, scale, bias, y, 2, 15, 1e-5f);
        for (int r = 0; r < 2; ++r)
        {
            double m = 0, v = 0;
            for (int c = 0; c < 15; ++c) m += x[r * 15 + c];
            m /= 15;
            for (int c = 0; c < 15; ++c) v += (x[r * 15 + c] - m) * (x[r * 15 + c] - m);
            v /= 15;
            for (int c = 0; c < 15; ++c) expected[r * 15 + c] = (float)((x[r * 15 + c] - m) / Math.Sqrt(v + 1e-5) * scale[c] + bias[c]);
        }
        AssertClose(y, expected, "layernorm");
        Assert.Throws<ArgumentException>(() => NnKernels.LayerNorm(x, scale.AsSpan(1), bias, y, 2, 15, 1e-5f));
    }

    [Test]
    public void PoolingInBothLayouts()
    {
        int[] inShape = [1, 5, 7, 7], kernel = [3, 3], strides = [2, 2], pads = [1, 1, 1, 1], dil = [1, 1];
        int oh = NnKernels.PoolOutputSize(7, 3, 2, 1, 1, 1, false);
        int[] outShape = [1, 5, oh, oh];
        float[] x = Random(5 * 49, 6);
        var y = new float[5 * oh * oh];
        NnKernels.Pool2d(PoolKind.Max, TensorLayout.Nchw, x, y, inShape, outShape, kernel, strides, pads, dil, false);
        var expected = new float[y.Length];
        for (int c = 0; c < 5; ++c)
            for (int i = 0; i < oh; ++i)
                for (int j = 0; j < oh; ++j)
                {
                    float m = float.NegativeInfinity;
                    for (int ky = 0; ky < 3; ++ky)
                        for (int kx = 0; kx < 3; ++kx)
                        {
                            int iy = i * 2 + ky - 1, ix = j * 2 + kx - 1;
                            if (iy >= 0 && iy < 7 && ix >= 0 && ix < 7) m = Math.Max(m, x[(c * 7 + iy) * 7 + ix]);
                        }
                    expected[(c * oh + i) * oh + j] = m;
                }
        AssertClose(y, expected, "maxpool nchw");
        var xb = new float[NnKernels.NchwcLength(1, 5, 49)];
        var yb = new float[NnKernels.NchwcLength(1, 5, oh * oh)];
        NnKernels.ReorderToNchwc(x, xb, 1, 5, 7, 7);
        NnKernels.Pool2d(PoolKind.Max, TensorLayout.Nchwc, xb, yb, inShape, outShape, kernel, strides, pads, dil, false);
        NnKernels.ReorderToNchw(yb, y, 1, 5, oh, oh);
        AssertClose(y, expected, "maxpool nchwc");
        Assert.Throws<ArgumentException>(() =>
            NnKernels.Pool2d(PoolKind.Max, TensorLayout.Nchw, x, y, inShape, [1, 5, 9, 9], kernel, strides, pads, dil, false));

        var g = new float[5];
        NnKernels.GlobalPool(PoolKind.Average, TensorLayout.Nchw, x, g, 1, 5, 49);
        for (int c = 0; c < 5; ++c)
            Assert.That(g[c], Is.EqualTo(x.AsSpan(c * 49, 49).ToArray().Average()).Within(1e-4));
    }

    [Test]
    public void TransposeResizeActivationBatchNorm()
    {
        float[] x = Random(2 * 3 * 4, 7);
        var y = new float[24];
        NnKernels.Transpose(x, y, [2, 3, 4], [2, 0, 1]);
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j)
                for (int k = 0; k < 4; ++k)
                    Assert.That(y[(k * 2 + i) * 3 + j], Is.EqualTo(x[(i * 3 + j) * 4 + k]));
        Assert.Throws<ArgumentException>(() => NnKernels.Transpose(x, y, [2, 3, 4], [0, 0, 1]));

        var up = new float[2 * 6 * 8];
        NnKernels.Resize2d(ResizeMode.Nearest, CoordinateMode.Asymmetric, NearestMode.Floor, x, up, 2, 3, 4, 6, 8, 2, 2);
        for (int p = 0; p < 2; ++p)
            for (int i = 0; i < 6; ++i)
                for (int j = 0; j < 8; ++j)
                    Assert.That(up[(p * 6 + i) * 8 + j], Is.EqualTo(x[(p * 3 + i / 2) * 4 + j / 2]));

        var a = new float[24];
        NnKernels.Activate(x, a, Activation.Clip, -1, 1);
        for (int i = 0; i < 24; ++i) Assert.That(a[i], Is.EqualTo(Math.Clamp(x[i], -1, 1)));
        Assert.Throws<ArgumentException>(() => NnKernels.Activate(x, new float[3], Activation.Relu));

        float[] sc = [1, 2, 3], bi = [0, 1, 0], mu = [0.5f, 0, 1], va = [1, 4, 0.25f];
        NnKernels.BatchNorm(TensorLayout.Nchw, x, y, 2, 3, 4, sc, bi, mu, va, 0f);
        for (int i = 0; i < 24; ++i)
        {
            int c = i / 4 % 3;
            Assert.That(y[i], Is.EqualTo((x[i] - mu[c]) / Math.Sqrt(va[c]) * sc[c] + bi[c]).Within(1e-4));
        }
    }

    [Test]
    public void ConvTransposeMatchesScatterLoop()
    {
        int n = 1, c = 3, h = 4, w = 5, kg = 2, kh = 3, kw = 3, s = 2, p = 1;
        int oh = (h - 1) * s - 2 * p + kh + 1, ow = (w - 1) * s - 2 * p + kw; // output_padding 1 on H
        float[] x = Random(n * c * h * w, 8), wt = Random(c * kg * kh * kw, 9), b = Random(kg, 10);
        var y = new float[n * kg * oh * ow];
        NnKernels.ConvTranspose2d(x, wt, b, y, [n, c, h, w], [c, kg, kh, kw], [n, kg, oh, ow], [s, s], [p, p, p, p], [1, 1], 1);
        var expected = new double[y.Length];
        for (int k = 0; k < kg; ++k)
            for (int i = 0; i < oh * ow; ++i) expected[k * oh * ow + i] = b[k];
        for (int ci = 0; ci < c; ++ci)
            for (int k = 0; k < kg; ++k)
                for (int i = 0; i < h; ++i)
                    for (int j = 0; j < w; ++j)
                        for (int ky = 0; ky < kh; ++ky)
                            for (int kx = 0; kx < kw; ++kx)
                            {
                                int oy = i * s + ky - p, ox = j * s + kx - p;
                                if (oy >= 0 && oy < oh && ox >= 0 && ox < ow)
                                    expected[(k * oh + oy) * ow + ox] += x[(ci * h + i) * w + j] * wt[((ci * kg + k) * kh + ky) * kw + kx];
                            }
        AssertClose(y, expected.Select(v => (float)v).ToArray(), "convtranspose");
        Assert.Throws<ArgumentException>(() =>
            NnKernels.ConvTranspose2d(x, wt, b, y, [n, c, h, w], [c, kg, kh, kw], [n, kg, oh + 5, ow], [s, s], [p, p, p, p], [1, 1], 1));
    }
}
