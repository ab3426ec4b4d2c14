using static Kerno.Tests.Reference.NN.NNTestUtil;

namespace Kerno.Tests.Reference.NN;

using Math = System.Math;
using Tensor = Kerno.Tensor;

public class QuantRnnAttentionTests
{
    [Test]
    public void QuantizeRoundsHalfToEvenAndSaturates()
    {
        var x = F([0.5f, 1.5f, 2.5f, -0.5f, 300f, -300f], 6);
        Tensor q = Run1("QuantizeLinear", 13, [x, Tensor.Scalar(1f), Tensor.Scalar((byte)0)]);
        Assert.That(q.DataType, Is.EqualTo(DataType.UInt8));
        Assert.That(q.ToInt64Array(), Is.EqualTo(new long[] { 0, 2, 2, 0, 255, 0 }));
        Tensor s = Run1("QuantizeLinear", 13, [x, Tensor.Scalar(1f), Tensor.Scalar((sbyte)1)]);
        Assert.That(s.ToInt64Array(), Is.EqualTo(new long[] { 1, 3, 3, 1, 127, -128 }));
    }

    [Test]
    public void QuantizePerAxisAndBlockedRoundTrip()
    {
        var x = F([1, 2, 3, 4, 10, 20, 30, 40], 2, 4);
        Tensor<float> scale = F([1, 10], 2);
        Tensor q = Run1("QuantizeLinear", 13, [x, scale, new Tensor<sbyte>([0, 0], 2)], Int("axis", 0));
        Assert.That(q.ToInt64Array(), Is.EqualTo(new long[] { 1, 2, 3, 4, 1, 2, 3, 4 }));
        Tensor d = Run1("DequantizeLinear", 13, [q, scale, new Tensor<sbyte>([0, 0], 2)], Int("axis", 0));
        AssertClose(d, x.ToDoubleArray(), [2, 4]);
        // Blocks of 2 along axis 1: scales [2, 2] (rows × blocks).
        Tensor<float> bs = F([1, 2, 10, 20], 2, 2);
        Tensor qb = Run1("QuantizeLinear", 21, [x, bs], Int("axis", 1), Int("block_size", 2));
        Assert.That(qb.ToInt64Array(), Is.EqualTo(new long[] { 1, 2, 2, 2, 1, 2, 2, 2 }));
    }

    [Test]
    public void QuantizeToInt4AndFloat8()
    {
        var x = F([-20, -8, 7, 20, 0.3f], 5);
        var i4 = (Tensor)Run("QuantizeLinear", 21, [x, Tensor.Scalar(1f), new Tensor<sbyte>(System.ReadOnlySpan<int>.Empty, DataType.Int4)])[0]!;
        Assert.That(i4.DataType, Is.EqualTo(DataType.Int4));
        Assert.That(i4.ToInt64Array(), Is.EqualTo(new long[] { -8, -8, 7, 7, 0 }));
        // E4M3FN: 448 is the largest value; 1000 saturates to it, 0.3 rounds to 0.3125 (code 0x2A? value check below).
        var big = F([1000, -1000, 1, 0.3f], 4);
        var f8 = (Tensor)Run("QuantizeLinear", 21, [big, Tensor.Scalar(1f), new Tensor<byte>(System.ReadOnlySpan<int>.Empty, DataType.Float8E4M3FN)])[0]!;
        Tensor back = Run1("DequantizeLinear", 21, [f8, Tensor.Scalar(1f)]);
        AssertClose(back, [448, -448, 1, 0.3125], [4]);
        var nosat = (Tensor)Run("QuantizeLinear", 21, [big, Tensor.Scalar(1f), new Tensor<byte>(System.ReadOnlySpan<int>.Empty, DataType.Float8E4M3FN)], 1, Int("saturate", 0))[0]!;
        Assert.That(double.IsNaN(Run1("DequantizeLinear", 21, [nosat, Tensor.Scalar(1f)]).ToDoubleArray()[0]));
    }

    [Test]
    public void DynamicQuantizeLinearComputesScaleAndZeroPoint()
    {
        var x = F([0, 2, -3, -2.5f, 1.34f, 0.5f], 6);
        Value?[] r = Run("DynamicQuantizeLinear", 11, [x], 3);
        float scale = ((Tensor<float>)r[1]!)[0];
        Assert.That(scale, Is.EqualTo(5f / 255).Within(1e-7));
        Assert.That(((Tensor)r[2]!).ToInt64Array()[0], Is.EqualTo(153));
        Assert.That(((Tensor)r[0]!).ToInt64Array(), Is.EqualTo(new long[] { 153, 255, 0, 26, 221, 179 }));
    }

    [Test]
    public void MatMulBroadcastsBatchAndHandlesVectors()
    {
        var a = Random(21, 2, 1, 3, 4);
        var b = Random(22, 5, 4, 2);
        Tensor y = Run1("MatMul", 13, [a, b]);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 5, 3, 2 }));
        double[] ad = a.ToDoubleArray(), bd = b.ToDoubleArray(), yd = y.ToDoubleArray();
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 5; ++j)
                for (int m = 0; m < 3; ++m)
                    for (int n = 0; n < 2; ++n)
                    {
                        double s = 0;
                        for (int k = 0; k < 4; ++k)
                            s += ad[(i * 3 + m) * 4 + k] * bd[(j * 4 + k) * 2 + n];
                        Assert.That(yd[((i * 5 + j) * 3 + m) * 2 + n], Is.EqualTo(s).Within(1e-5));
                    }
        Tensor v = Run1("MatMul", 13, [F([1, 2], 2), F([1, 2, 3, 4], 2, 2)]);
        AssertClose(v, [7, 10], [2]);
        Tensor ints = Run1("MatMul", 13, [new Tensor<int>([1, 2, 3, 4], 2, 2), new Tensor<int>([5, 6], 2)]);
        Assert.That(ints.ToInt64Array(), Is.EqualTo(new long[] { 17, 39 }));
    }

    [Test]
    public void GemmTransposesScalesAndBroadcastsC()
    {
        var a = F([1, 2, 3, 4, 5, 6], 3, 2); // A^T is 2x3
        var b = F([1, 0, 0, 1, 1, 1], 2, 3); // B^T is 3x2
        Tensor y = Run1("Gemm", 13, [a, b, F([10, 20], 2)], Int("transA", 1), Int("transB", 1), Float("alpha", 2), Float("beta", 0.5f));
        // A^T = [[1,3,5],[2,4,6]], B^T = [[1,1],[0,1],[0,1]] -> A^T B^T = [[1,9],[2,12]]
        AssertClose(y, [2 + 5, 18 + 10, 4 + 5, 24 + 10], [2, 2]);
    }

    [Test]
    public void RnnSingleStepMatchesFormula()
    {
        // hidden 1, input 1: h1 = tanh(w*x + r*h0 + wb + rb)
        var x = F([0.5f, -1f], 2, 1, 1);
        Value?[] r = Run("RNN", 14, [x, F([2], 1, 1, 1), F([0.5f], 1, 1, 1), F([0.1f, 0.2f], 1, 2), null, F([0.3f], 1, 1, 1)], 2,
            Int("hidden_size", 1));
        double h1 = Math.Tanh(2 * 0.5 + 0.5 * 0.3 + 0.3), h2 = Math.Tanh(2 * -1 + 0.5 * h1 + 0.3);
        AssertClose((Tensor)r[0]!, [h1, h2], [2, 1, 1, 1]);
        AssertClose((Tensor)r[1]!, [h2], [1, 1, 1]);
    }

    [Test]
    public void LstmAndGruBidirectionalWithSequenceLens()
    {
        var x = Random(31, 3, 2, 2);
        int H = 3;
        var w = Random(32, 2, 4 * H, 2);
        var rr = Random(33, 2, 4 * H, H);
        var lens = new Tensor<int>([3, 1], 2);
        Value?[] l = Run("LSTM", 14, [x, w, rr, null, lens], 3, Int("hidden_size", H), Str("direction", "bidirectional"));
        var y = (Tensor)l[0]!;
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 2, 2, H }));
        double[] yd = y.ToDoubleArray(), yh = ((Tensor)l[1]!).ToDoubleArray();
        // Batch 1 has length 1: outputs past step 0 are zero; forward Y_h is its step-0 output, reverse Y_h too.
        for (int t = 1; t < 3; ++t)
            for (int d = 0; d < 2; ++d)
                for (int k = 0; k < H; ++k)
                    Assert.That(yd[((t * 2 + d) * 2 + 1) * H + k], Is.EqualTo(0));
        for (int k = 0; k < H; ++k)
        {
            Assert.That(yh[(0 * 2 + 1) * H + k], Is.EqualTo(yd[((0 * 2 + 0) * 2 + 1) * H + k]));
            Assert.That(yh[(1 * 2 + 1) * H + k], Is.EqualTo(yd[((0 * 2 + 1) * 2 + 1) * H + k]));
            // Reverse direction of batch 0 ends at t = 0.
            Assert.That(yh[(1 * 2 + 0) * H + k], Is.EqualTo(yd[((0 * 2 + 1) * 2 + 0) * H + k]));
        }
        // Layout 1 gives the same numbers transposed.
        var xb = new Tensor<float>([2, 3, 2]);
        for (int t = 0; t < 3; ++t)
            for (int b = 0; b < 2; ++b)
                for (int i = 0; i < 2; ++i)
                    xb[(b * 3 + t) * 2 + i] = x[(t * 2 + b) * 2 + i];
        var gw = Random(34, 1, 3 * H, 2);
        var gr = Random(35, 1, 3 * H, H);
        Tensor g0 = (Tensor)Run("GRU", 14, [x, gw, gr], 2, Int("hidden_size", H), Int("linear_before_reset", 1))[1]!;
        Tensor g1 = (Tensor)Run("GRU", 14, [xb, gw, gr], 2, Int("hidden_size", H), Int("linear_before_reset", 1), Int("layout", 1))[1]!;
        AssertClose(g1, g0.ToDoubleArray(), [2, 1, H]);
    }

    [Test]
    public void AttentionMatchesSoftmaxFormulaWithGqaAndCausal()
    {
        var q = Random(41, 1, 4, 3, 2);
        var k = Random(42, 1, 2, 3, 2);
        var v = Random(43, 1, 2, 3, 2);
        Value?[] r = Run("Attention", 23, [q, k, v], 4, Int("is_causal", 1), Int("qk_matmul_output_mode", 3));
        double[] qd = q.ToDoubleArray(), kd = k.ToDoubleArray(), vd = v.ToDoubleArray();
        var expected = new double[4 * 3 * 2];
        for (int h = 0; h < 4; ++h)
        {
            int kh = h / 2;
            for (int i = 0; i < 3; ++i)
            {
                var s = new double[3];
                double mx = double.NegativeInfinity;
                for (int j = 0; j <= i; ++j)
                {
                    s[j] = (qd[(h * 3 + i) * 2] * kd[(kh * 3 + j) * 2] + qd[(h * 3 + i) * 2 + 1] * kd[(kh * 3 + j) * 2 + 1]) / Math.Sqrt(2);
                    mx = Math.Max(mx, s[j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; ++j) sum += s[j] = Math.Exp(s[j] - mx);
                for (int j = 0; j <= i; ++j)
                    for (int d = 0; d < 2; ++d)
                        expected[(h * 3 + i) * 2 + d] += s[j] / sum * vd[(kh * 3 + j) * 2 + d];
            }
        }
        AssertClose((Tensor)r[0]!, expected, [1, 4, 3, 2]);
        // Softmax rows sum to 1 and the causal upper triangle is zero.
        double[] p = ((Tensor)r[3]!).ToDoubleArray();
        Assert.That(p[1], Is.EqualTo(0));
        Assert.That(p[3] + p[4] + p[5], Is.EqualTo(1).Within(1e-6));
    }

    [Test]
    public void RotaryEmbeddingRotatesPairs()
    {
        // One head of size 4, rotate by angle a at position 1: pairs (x0,x2) and (x1,x3) in half mode.
        var x = F([1, 2, 3, 4], 1, 1, 1, 4);
        double a = 0.3, b = 0.7;
        var cos = F([1, 1, (float)Math.Cos(a), (float)Math.Cos(b)], 2, 2);
        var sin = F([0, 0, (float)Math.Sin(a), (float)Math.Sin(b)], 2, 2);
        Tensor y = Run1("RotaryEmbedding", 23, [x, cos, sin, new Tensor<long>([1L], 1, 1)]);
        AssertClose(y, [Math.Cos(a) * 1 - Math.Sin(a) * 3, Math.Cos(b) * 2 - Math.Sin(b) * 4,
            Math.Sin(a) * 1 + Math.Cos(a) * 3, Math.Sin(b) * 2 + Math.Cos(b) * 4], [1, 1, 1, 4]);
        Tensor yi = Run1("RotaryEmbedding", 23, [x, cos, sin, new Tensor<long>([1L], 1, 1)], Int("interleaved", 1));
        AssertClose(yi, [Math.Cos(a) * 1 - Math.Sin(a) * 2, Math.Sin(a) * 1 + Math.Cos(a) * 2,
            Math.Cos(b) * 3 - Math.Sin(b) * 4, Math.Sin(b) * 3 + Math.Cos(b) * 4], [1, 1, 1, 4]);
    }

    [Test]
    public void NonMaxSuppressionKeepsBestNonOverlapping()
    {
        // Two overlapping boxes and one apart; corner format [y1, x1, y2, x2].
        var boxes = F([0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, 2, 1, 3], 1, 3, 4);
        var scores = F([0.9f, 0.95f, 0.5f], 1, 1, 3);
        Tensor sel = Run1("NonMaxSuppression", 11, [boxes, scores, new Tensor<long>([10L], 1), F([0.5f], 1)]);
        Assert.That(sel.ToInt64Array(), Is.EqualTo(new long[] { 0, 0, 1, 0, 0, 2 }));
    }

    [Test]
    public void DftOfImpulseIsFlatAndWindowsAreSymmetric()
    {
        var x = F([1, 0, 0, 0], 1, 4, 1);
        Tensor y = Run1("DFT", 17, [x], Int("axis", 1));
        AssertClose(y, [1, 0, 1, 0, 1, 0, 1, 0], [1, 4, 2], atol: 1e-12);
        Tensor w = Run1("HannWindow", 17, [Tensor.Scalar(5L)], Int("periodic", 0));
        AssertClose(w, [0, 0.5, 1, 0.5, 0], [5], atol: 1e-7);
    }
}
