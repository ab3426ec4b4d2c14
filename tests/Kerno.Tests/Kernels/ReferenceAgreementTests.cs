using Kerno.Graph;
using Kerno.Kernels;
using Kerno.Tests.Reference.Tensors;
using static Kerno.Tests.Reference.Tensors.OpRunner;

namespace Kerno.Tests.Kernels;

/// <summary>The native kernels agree with the Kerno.Reference operators (ONNX semantics) on the same inputs.</summary>
public class ReferenceAgreementTests
{
    private static float[] Rand(int n, int seed, float scale = 1f) => ConvKernelTests.Random(n, seed, scale);

    private static void Close(ReadOnlySpan<float> actual, Kerno.Tensor expected, string what)
    {
        double[] e = expected.ToDoubleArray();
        Assert.That(actual.Length, Is.EqualTo(e.Length), what);
        for (int i = 0; i < e.Length; ++i)
            if (!(Math.Abs(actual[i] - e[i]) <= 1e-4 + 1e-3 * Math.Abs(e[i])))
                Assert.Fail($"{what}: element {i} is {actual[i]}, reference {e[i]}");
    }

    [TestCase(1, 8, 9, 11, 12, 3, 3, 1, 1, 1, 1, (int)ConvAlgorithm.WinogradF4)]
    [TestCase(2, 16, 14, 14, 16, 3, 3, 1, 1, 1, 1, (int)ConvAlgorithm.WinogradF6)]
    [TestCase(1, 6, 10, 10, 9, 3, 3, 2, 2, 1, 3, (int)ConvAlgorithm.Direct)]
    [TestCase(1, 12, 9, 9, 12, 3, 3, 2, 1, 1, 12, (int)ConvAlgorithm.Depthwise)]
    [TestCase(1, 10, 7, 8, 6, 1, 1, 1, 1, 0, 2, (int)ConvAlgorithm.Auto)]
    public void ConvAgreesWithReferenceConv(int n, int c, int h, int w, int k, int kh, int kw, int stride, int dil, int pad, int group, int algo)
    {
        var algorithm = (ConvAlgorithm)algo;
        var s = new Conv2dShape(n, c, h, w, k, kh, kw, stride, stride, pad, pad, pad, pad, dil, dil, group);
        float[] x = Rand(n * c * h * w, 11), wt = Rand(k * (c / group) * kh * kw, 12, 0.3f), b = Rand(k, 13);
        var expected = Run("Conv", 22, [T([n, c, h, w], x), T([k, c / group, kh, kw], wt), T([k], b)],
            Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad), Ints("dilations", dil, dil), Int("group", group));
        using var conv = new Conv2d(s, wt, b, TensorLayout.Nchw, algorithm);
        var y = new float[n * k * s.OutH * s.OutW];
        conv.Run(x, default, y);
        Close(y, expected, $"Conv {algorithm}");
    }

    [TestCase("MaxPool", 3, 2, 1, false)]
    [TestCase("MaxPool", 3, 2, 0, true)]
    [TestCase("AveragePool", 3, 2, 1, false)]
    [TestCase("AveragePool", 2, 2, 1, true)]
    public void PoolAgreesWithReference(string op, int kernel, int stride, int pad, bool ceil)
    {
        int n = 1, c = 3, h = 10, w = 9;
        float[] x = Rand(n * c * h * w, 14);
        foreach (int cip in new[] { 0, 1 })
        {
            var attrs = new List<AttributeValue> { Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad), Int("ceil_mode", ceil ? 1 : 0) };
            if (op == "AveragePool") attrs.Add(Int("count_include_pad", cip));
            var expected = Run(op, 22, [T([n, c, h, w], x)], attrs.ToArray());
            int[] outShape = expected.Shape.ToArray();
            var y = new float[expected.Length];
            NnKernels.Pool2d(op == "MaxPool" ? PoolKind.Max : PoolKind.Average, TensorLayout.Nchw, x, y, [n, c, h, w], outShape,
                [kernel, kernel], [stride, stride], [pad, pad, pad, pad], [1, 1], cip == 1);
            Close(y, expected, $"{op} ceil={ceil} cip={cip}");
            Assert.That(outShape[2], Is.EqualTo(NnKernels.PoolOutputSize(h, kernel, stride, pad, pad, 1, ceil)));
        }
    }

    [TestCase("linear", "half_pixel", 2f)]
    [TestCase("linear", "align_corners", 1.5f)]
    [TestCase("nearest", "asymmetric", 2f)]
    [TestCase("nearest", "half_pixel", 0.5f)]
    public void ResizeAgreesWithReference(string mode, string coord, float scale)
    {
        int n = 1, c = 2, h = 6, w = 8;
        float[] x = Rand(n * c * h * w, 15);
        var expected = Run("Resize", 19, [T([n, c, h, w], x), null, T([4], 1f, 1f, scale, scale)],
            Str("mode", mode), Str("coordinate_transformation_mode", coord));
        int oh = expected.Shape[2], ow = expected.Shape[3];
        var y = new float[expected.Length];
        var cm = coord switch { "align_corners" => CoordinateMode.AlignCorners, "asymmetric" => CoordinateMode.Asymmetric, _ => CoordinateMode.HalfPixel };
        NnKernels.Resize2d(mode == "linear" ? ResizeMode.Linear : ResizeMode.Nearest, cm, NearestMode.RoundPreferFloor, x, y, n * c, h, w, oh, ow, scale, scale);
        Close(y, expected, $"Resize {mode} {coord}");
    }

    [Test]
    public void SoftmaxLayerNormConvTransposeAgreeWithReference()
    {
        float[] x = Rand(2 * 3 * 5, 16, 3f);
        var sm = Run("Softmax", 13, [T([2, 3, 5], x)], Int("axis", 1));
        var y = new float[30];
        NnKernels.Softmax(x, y, [2, 3, 5], 1);
        Close(y, sm, "Softmax");

        float[] scale = Rand(5, 17), bias = Rand(5, 18);
        var ln = Run("LayerNormalization", 17, [T([2, 3, 5], x), T([5], scale), T([5], bias)], Int("axis", -1), Float("epsilon", 1e-5f));
        NnKernels.LayerNorm(x, scale, bias, y, 6, 5, 1e-5f);
        Close(y, ln, "LayerNormalization");

        float[] xi = Rand(1 * 4 * 5 * 5, 19), wt = Rand(4 * 3 * 3 * 3, 20);
        var ct = Run("ConvTranspose", 11, [T([1, 4, 5, 5], xi), T([4, 3, 3, 3], wt)], Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), Ints("output_padding", 1, 1));
        int[] os = ct.Shape.ToArray();
        var yt = new float[ct.Length];
        NnKernels.ConvTranspose2d(xi, wt, default, yt, [1, 4, 5, 5], [4, 3, 3, 3], os, [2, 2], [1, 1, 1, 1], [1, 1], 1);
        Close(yt, ct, "ConvTranspose");
    }
}
