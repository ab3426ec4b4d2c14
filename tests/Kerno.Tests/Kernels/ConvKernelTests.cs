using Kerno.Kernels;

namespace Kerno.Tests.Kernels;

/// <summary>Native convolutions through the managed wrapper vs a plain C# loop (double accumulation).</summary>
public class ConvKernelTests
{
    internal static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; ++i) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    internal static float[] Reference(Conv2dShape s, float[] x, float[] w, float[] b, float[]? residual, Func<double, double> act)
    {
        int cg = s.C / s.Group, kg = s.K / s.Group, oh = s.OutH, ow = s.OutW;
        var y = new float[s.N * s.K * oh * ow];
        for (int n = 0; n < s.N; ++n)
            for (int k = 0; k < s.K; ++k)
                for (int i = 0; i < oh; ++i)
                    for (int j = 0; j < ow; ++j)
                    {
                        double acc = b.Length > 0 ? b[k] : 0;
                        int g = k / kg;
                        for (int c = 0; c < cg; ++c)
                            for (int ky = 0; ky < s.KernelH; ++ky)
                            {
                                int iy = i * s.StrideH + ky * s.DilationH - s.PadTop;
                                if (iy < 0 || iy >= s.H) continue;
                                for (int kx = 0; kx < s.KernelW; ++kx)
                                {
                                    int ix = j * s.StrideW + kx * s.DilationW - s.PadLeft;
                                    if (ix < 0 || ix >= s.W) continue;
                                    acc += (double)x[((n * s.C + g * cg + c) * s.H + iy) * s.W + ix] * w[((k * cg + c) * s.KernelH + ky) * s.KernelW + kx];
                                }
                            }
                        int o = ((n * s.K + k) * oh + i) * ow + j;
                        if (residual is not null) acc += residual[o];
                        y[o] = (float)act(acc);
                    }
        return y;
    }

    private static void AssertClose(float[] actual, float[] expected, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        for (int i = 0; i < actual.Length; ++i)
            if (!(Math.Abs(actual[i] - expected[i]) <= 1e-4 + 1e-3 * Math.Abs(expected[i])))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}");
    }

    private static readonly (Conv2dShape Shape, ConvAlgorithm Algorithm)[] Cases =
    [
        (new Conv2dShape(1, 16, 12, 12, 24, 3, 3, 1, 1, 1, 1, 1, 1), ConvAlgorithm.WinogradF4),
        (new Conv2dShape(2, 16, 13, 11, 16, 3, 3, 1, 1, 1, 1, 1, 1), ConvAlgorithm.WinogradF6),
        (new Conv2dShape(1, 8, 9, 9, 8, 3, 3, 1, 1, 0, 0, 0, 0), ConvAlgorithm.WinogradF2),
        (new Conv2dShape(1, 6, 10, 9, 10, 5, 3, 2, 1, 2, 1, 0, 1, 2, 1), ConvAlgorithm.Direct),
        (new Conv2dShape(1, 12, 8, 8, 18, 3, 3, 1, 1, 1, 1, 1, 1, Group: 3), ConvAlgorithm.Direct),
        (new Conv2dShape(2, 20, 9, 9, 20, 3, 3, 2, 2, 1, 1, 1, 1, Group: 20), ConvAlgorithm.Depthwise),
        (new Conv2dShape(1, 24, 11, 11, 24, 5, 5, 1, 1, 2, 2, 2, 2, Group: 24), ConvAlgorithm.Depthwise),
        (new Conv2dShape(1, 32, 7, 7, 40, 1, 1), ConvAlgorithm.Auto),
        (new Conv2dShape(2, 6, 11, 10, 9, 3, 3, 2, 1, 1, 1, 1, 1, 2, 1, Group: 3), ConvAlgorithm.Im2Col),
        (new Conv2dShape(1, 24, 16, 15, 20, 1, 1), ConvAlgorithm.Gemm1x1),
        (new Conv2dShape(1, 24, 16, 15, 20, 1, 1, 2, 2, 1, 0, 0, 1), ConvAlgorithm.Gemm1x1),
        // few input channels on NCHW: the few-channel direct kernel (ResNet stem, stride 2, dilation, groups)
        (new Conv2dShape(1, 3, 37, 45, 20, 7, 7, 2, 2, 3, 3, 3, 3), ConvAlgorithm.Auto),
        (new Conv2dShape(2, 3, 21, 70, 16, 3, 3, 2, 2, 1, 1, 0, 1), ConvAlgorithm.Direct),
        (new Conv2dShape(1, 4, 9, 40, 9, 3, 3, 1, 3, 2, 1, 2, 0, 2, 2), ConvAlgorithm.Direct),
        (new Conv2dShape(1, 2, 10, 19, 6, 1, 1, 1, 1, 0, 0, 0, 0, Group: 2), ConvAlgorithm.Direct),
        // small-map NCHW depthwise, stride 1 (flattened planes on AVX-512), and a small-map 1x1 (transposed GEMM)
        (new Conv2dShape(2, 24, 7, 9, 24, 3, 3, 1, 1, 1, 2, 0, 1, Group: 24), ConvAlgorithm.Depthwise),
        (new Conv2dShape(1, 40, 9, 9, 72, 1, 1, 2, 2, 0, 0, 0, 0), ConvAlgorithm.Gemm1x1),
    ];

    [Test]
    public void MatchesTheLoopInBothLayouts([Range(0, 16)] int index)
    {
        var (s, algorithm) = Cases[index];
        float[] x = Random(s.N * s.C * s.H * s.W, 1);
        float[] w = Random(s.K * (s.C / s.Group) * s.KernelH * s.KernelW, 2, 0.3f);
        float[] b = Random(s.K, 3);
        float[] res = Random(s.N * s.K * s.OutH * s.OutW, 4);
        float[] expected = Reference(s, x, w, b, res, v => v > 0 ? v : 0);

        using (var conv = new Conv2d(s, w, b, TensorLayout.Nchw, algorithm, Activation.Relu))
        {
            Assert.That(algorithm == ConvAlgorithm.Auto || conv.Algorithm == algorithm);
            var y = new float[expected.Length];
            conv.Run(x, res, y);
            AssertClose(y, expected, $"{algorithm} NCHW");
        }
        if (algorithm is ConvAlgorithm.Im2Col or ConvAlgorithm.Gemm1x1)
        {
            // GEMM-based algorithms read and write NCHW; the blocked layout has the direct kernel.
            Assert.Throws<NotSupportedException>(() => new Conv2d(s, w, b, TensorLayout.Nchwc, algorithm));
            return;
        }
        int block = NnKernels.NchwcBlock;
        bool depthwise = s.Group == s.C && s.Group == s.K;
        if (s.Group > 1 && !depthwise && ((s.C / s.Group) % block != 0 || (s.K / s.Group) % block != 0))
        {
            // NCHWc grouped convolution needs whole channel blocks per group: the plan says so.
            Assert.Throws<NotSupportedException>(() => new Conv2d(s, w, b, TensorLayout.Nchwc, algorithm));
            return;
        }
        using (var conv = new Conv2d(s, w, b, TensorLayout.Nchwc, algorithm, Activation.Relu))
        {
            var xb = new float[NnKernels.NchwcLength(s.N, s.C, s.H * s.W)];
            var rb = new float[NnKernels.NchwcLength(s.N, s.K, s.OutH * s.OutW)];
            var yb = new float[rb.Length];
            NnKernels.ReorderToNchwc(x, xb, s.N, s.C, s.H, s.W);
            NnKernels.ReorderToNchwc(res, rb, s.N, s.K, s.OutH, s.OutW);
            conv.Run(xb, rb, yb);
            var y = new float[expected.Length];
            NnKernels.ReorderToNchw(yb, y, s.N, s.K, s.OutH, s.OutW);
            AssertClose(y, expected, $"{algorithm} NCHWc");
        }
    }

    [Test]
    public void FusedActivationsMatch()
    {
        var s = new Conv2dShape(1, 16, 10, 10, 16, 3, 3, 1, 1, 1, 1, 1, 1);
        float[] x = Random(s.C * s.H * s.W, 5), w = Random(s.K * s.C * 9, 6, 0.3f), b = Random(s.K, 7);
        var acts = new (Activation A, float Alpha, float Beta, Func<double, double> F)[]
        {
            (Activation.Clip, 0, 6, v => Math.Clamp(v, 0, 6)),
            (Activation.LeakyRelu, 0.1f, 0, v => v >= 0 ? v : 0.1f * v),
            (Activation.HardSwish, 0, 0, v => v * Math.Clamp(v / 6 + 0.5, 0, 1)),
            (Activation.Sigmoid, 0, 0, v => 1 / (1 + Math.Exp(-v))),
            (Activation.Silu, 0, 0, v => v / (1 + Math.Exp(-v))),
            (Activation.GeluTanh, 0, 0, v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))),
        };
        foreach (var (a, alpha, beta, f) in acts)
        {
            using var conv = new Conv2d(s, w, b, TensorLayout.Nchw, ConvAlgorithm.Auto, a, alpha, beta);
            var y = new float[s.K * s.OutH * s.OutW];
            conv.Run(x, default, y);
            AssertClose(y, Reference(s, x, w, b, null, f), a.ToString());
        }
    }

    [Test]
    public void RejectsBadShapesAndBuffersBeforeCallingNative()
    {
        var s = new Conv2dShape(1, 4, 8, 8, 4, 3, 3);
        float[] w = new float[4 * 4 * 9];
        Assert.Throws<ArgumentException>(() => new Conv2d(s with { Group = 3 }, w, default));
        Assert.Throws<ArgumentException>(() => new Conv2d(s with { StrideH = 0 }, w, default));
        Assert.Throws<ArgumentException>(() => new Conv2d(s with { PadTop = -1 }, w, default));
        Assert.Throws<ArgumentException>(() => new Conv2d(s with { KernelH = 20 }, new float[4 * 4 * 20 * 3], default));
        Assert.Throws<ArgumentException>(() => new Conv2d(s, new float[10], default));
        Assert.Throws<ArgumentException>(() => new Conv2d(s, w, new float[3]));
        Assert.Throws<ArgumentException>(() => new Conv2d(s, w, default, (TensorLayout)7));
        Assert.Throws<ArgumentException>(() => new Conv2d(s, w, default, activation: Activation.Clip, alpha: 1, beta: 0));
        Assert.Throws<NotSupportedException>(() => new Conv2d(s with { StrideH = 2 }, w, default, algorithm: ConvAlgorithm.WinogradF4));
        using var conv = new Conv2d(s, w, default);
        Assert.Throws<ArgumentException>(() => conv.Run(new float[10], default, new float[4 * 36]));
        Assert.Throws<ArgumentException>(() => conv.Run(new float[4 * 64], default, new float[10]));
        Assert.Throws<ArgumentException>(() => conv.Run(new float[4 * 64], new float[3], new float[4 * 36]));
    }
}
