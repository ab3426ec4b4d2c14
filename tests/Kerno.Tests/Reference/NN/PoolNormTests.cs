using static Kerno.Tests.Reference.NN.NNTestUtil;

namespace Kerno.Tests.Reference.NN;

using Math = System.Math;
using Tensor = Kerno.Tensor;

public class PoolNormTests
{
    private static readonly float[] Grid4x4 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

    [Test]
    public void MaxPoolWithIndicesRowAndColumnMajor()
    {
        var x = F(Grid4x4, 1, 1, 4, 4);
        Value?[] r = Run("MaxPool", 12, [x], 2, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        AssertClose((Tensor)r[0]!, [6, 8, 14, 16], [1, 1, 2, 2]);
        Assert.That(((Tensor)r[1]!).ToInt64Array(), Is.EqualTo(new long[] { 5, 7, 13, 15 }));
        Value?[] c = Run("MaxPool", 12, [x], 2, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Int("storage_order", 1));
        // Column-major index of (h, w) is w * H + h.
        Assert.That(((Tensor)c[1]!).ToInt64Array(), Is.EqualTo(new long[] { 1 * 4 + 1, 3 * 4 + 1, 1 * 4 + 3, 3 * 4 + 3 }));
    }

    [Test]
    public void MaxPoolCeilModeDropsWindowStartingInPadding()
    {
        // 5 wide, kernel 2, stride 2: floor -> 2 outputs, ceil -> 3 (the last window covers only element 4).
        var x = F([1, 2, 3, 4, 5], 1, 1, 5);
        AssertClose(Run1("MaxPool", 12, [x], Ints("kernel_shape", 2), Ints("strides", 2)), [2, 4], [1, 1, 2]);
        AssertClose(Run1("MaxPool", 12, [x], Ints("kernel_shape", 2), Ints("strides", 2), Int("ceil_mode", 1)), [2, 4, 5], [1, 1, 3]);
    }

    [Test]
    public void AveragePoolCountIncludePad()
    {
        var x = F([1, 2, 3, 4], 1, 1, 2, 2);
        var attrs = new[] { Ints("kernel_shape", 2, 2), Ints("pads", 1, 1, 1, 1), Ints("strides", 2, 2) };
        // Each 2x2 window sees one real element and three pads.
        AssertClose(Run1("AveragePool", 19, [x], attrs), [1, 2, 3, 4], [1, 1, 2, 2]);
        AssertClose(Run1("AveragePool", 19, [x], [.. attrs, Int("count_include_pad", 1)]), [0.25, 0.5, 0.75, 1], [1, 1, 2, 2]);
    }

    [Test]
    public void GlobalPoolsAndLpPool()
    {
        var x = F([3, -4, 0, 0, 1, 2, 3, 6], 1, 2, 4);
        AssertClose(Run1("GlobalAveragePool", 1, [x]), [-0.25, 3], [1, 2, 1]);
        AssertClose(Run1("GlobalMaxPool", 1, [x]), [3, 6], [1, 2, 1]);
        AssertClose(Run1("GlobalLpPool", 2, [x]), [5, Math.Sqrt(50)], [1, 2, 1]);
        AssertClose(Run1("LpPool", 18, [x], Ints("kernel_shape", 2), Ints("strides", 2)), [5, 0, Math.Sqrt(5), Math.Sqrt(45)], [1, 2, 2]);
    }

    [Test]
    public void MaxUnpoolInvertsMaxPoolIndices()
    {
        var x = F(Grid4x4, 1, 1, 4, 4);
        Value?[] p = Run("MaxPool", 12, [x], 2, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        Tensor u = Run1("MaxUnpool", 11, [p[0], p[1]], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        var expected = new double[16];
        expected[5] = 6; expected[7] = 8; expected[13] = 14; expected[15] = 16;
        AssertClose(u, expected, [1, 1, 4, 4]);
    }

    [Test]
    public void BatchNormInferenceAndTraining()
    {
        var x = F([1, 2, 3, 4, 10, 20, 30, 40], 2, 2, 2);
        Tensor<float> scale = F([1, 2], 2), bias = F([0, 1], 2), mean = F([0, 10], 2), var = F([1, 4], 2);
        Tensor y = Run1("BatchNormalization", 15, [x, scale, bias, mean, var], Float("epsilon", 0));
        AssertClose(y, [1, 2, -6, -5, 10, 20, 21, 31], [2, 2, 2]);
        Value?[] t = Run("BatchNormalization", 15, [x, scale, bias, mean, var], 3, Float("epsilon", 0), Int("training_mode", 1), Float("momentum", 0.5f));
        // channel 0 values {1,2,10,20}: mean 8.25; channel 1 {3,4,30,40}: mean 19.25.
        double m0 = 8.25, v0 = (Math.Pow(1 - m0, 2) + Math.Pow(2 - m0, 2) + Math.Pow(10 - m0, 2) + Math.Pow(20 - m0, 2)) / 4;
        AssertClose((Tensor)t[1]!, [0.5 * 0 + 0.5 * m0, 0.5 * 10 + 0.5 * 19.25], [2]);
        Assert.That(((Tensor)t[2]!).ToDoubleArray()[0], Is.EqualTo(0.5 * 1 + 0.5 * v0).Within(1e-4));
        Assert.That(((Tensor)t[0]!).ToDoubleArray()[0], Is.EqualTo((1 - m0) / Math.Sqrt(v0)).Within(1e-5));
    }

    [Test]
    public void LayerNormMatchesDefinitionWithStatsOutputs([Values(-1, 1)] int axis)
    {
        var x = Random(11, 2, 3, 4);
        int cols = axis == -1 ? 4 : 12, rows = 24 / cols;
        var scale = Random(12, axis == -1 ? [4] : [3, 4]);
        Value?[] r = Run("LayerNormalization", 17, [x, scale, null], 3, Int("axis", axis), Float("epsilon", 1e-3f));
        double[] xs = x.ToDoubleArray(), sc = scale.ToDoubleArray();
        var expected = new double[24];
        var means = new double[rows];
        for (int i = 0; i < rows; ++i)
        {
            double m = 0, v = 0;
            for (int j = 0; j < cols; ++j) m += xs[i * cols + j] / cols;
            for (int j = 0; j < cols; ++j) v += Math.Pow(xs[i * cols + j] - m, 2) / cols;
            for (int j = 0; j < cols; ++j) expected[i * cols + j] = (xs[i * cols + j] - m) / Math.Sqrt(v + 1e-3) * sc[j];
            means[i] = m;
        }
        AssertClose((Tensor)r[0]!, expected, [2, 3, 4]);
        AssertClose((Tensor)r[1]!, means, axis == -1 ? [2, 3, 1] : [2, 1, 1]);
    }

    [Test]
    public void GroupNormOpset18PerGroupAndOpset21PerChannel()
    {
        var x = Random(13, 1, 4, 3);
        Tensor y21 = Run1("GroupNormalization", 21, [x, F([1, 1, 2, 2], 4), F([0, 0, 1, 1], 4)], Int("num_groups", 2));
        Tensor y18 = Run1("GroupNormalization", 18, [x, F([1, 2], 2), F([0, 1], 2)], Int("num_groups", 2));
        AssertClose(y18, y21.ToDoubleArray(), [1, 4, 3]);
        // InstanceNormalization is GroupNormalization with one group per channel.
        Tensor inst = Run1("InstanceNormalization", 6, [x, F([1, 1, 2, 2], 4), F([0, 0, 1, 1], 4)]);
        Tensor g4 = Run1("GroupNormalization", 21, [x, F([1, 1, 2, 2], 4), F([0, 0, 1, 1], 4)], Int("num_groups", 4));
        AssertClose(inst, g4.ToDoubleArray(), [1, 4, 3]);
    }

    [Test]
    public void RmsLpMvnLrn()
    {
        var x = F([3, 4, 0, -5], 1, 2, 2);
        AssertClose(Run1("RMSNormalization", 23, [x, F([1, 2], 2)], Float("epsilon", 0)),
            [3 / Math.Sqrt(12.5), 8 / Math.Sqrt(12.5), 0, -10 / Math.Sqrt(12.5)], [1, 2, 2]);
        AssertClose(Run1("LpNormalization", 1, [x], Int("axis", -1), Int("p", 2)), [0.6, 0.8, 0, -1], [1, 2, 2]);
        AssertClose(Run1("LpNormalization", 1, [x], Int("axis", -1), Int("p", 1)), [3.0 / 7, 4.0 / 7, 0, -1], [1, 2, 2]);
        // MVN over the last axis: each pair becomes (-1, 1) or (1, -1).
        AssertClose(Run1("MeanVarianceNormalization", 13, [x], Ints("axes", 2)), [-1, 1, 1, -1], [1, 2, 2], atol: 1e-6);
        // LRN size 1: y = x / (bias + alpha * x^2)^beta.
        AssertClose(Run1("LRN", 13, [x], Int("size", 1), Float("alpha", 1), Float("beta", 1), Float("bias", 1)),
            [3 / 10.0, 4 / 17.0, 0, -5 / 26.0], [1, 2, 2]);
    }
}
