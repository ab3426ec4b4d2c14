using static Kerno.Tests.Reference.Mathematics.OpTester;

namespace Kerno.Tests.Reference.Mathematics;

public class ActivationTests
{
    private static readonly Tensor<float> X = T(new[] { 5 }, -2f, -0.5f, 0f, 0.5f, 2f);

    private static float[] Map(Func<double, double> f) => X.Span.ToArray().Select(v => (float)f(v)).ToArray();

    [Test]
    public void ReluOnFloatsAndSignedIntegers()
    {
        AssertTensor(Run("Relu", X), new[] { 5 }, 0f, 0f, 0f, 0.5f, 2f);
        AssertTensor(Run("Relu", 14, new Tensor[] { T(new[] { 3 }, (sbyte)-3, (sbyte)0, (sbyte)4) }), new[] { 3 }, (sbyte)0, (sbyte)0, (sbyte)4);
        AssertTensor(Run("Relu", T(new[] { 1 }, float.NaN)), new[] { 1 }, float.NaN);
    }

    [Test]
    public void ParameterisedActivationsUseOnnxDefaults()
    {
        AssertTensor(Run("LeakyRelu", X), new[] { 5 }, Map(x => x < 0 ? 0.01 * x : x));
        AssertTensor(Run("LeakyRelu", 16, new Tensor[] { X }, Float("alpha", 0.1f)), new[] { 5 }, Map(x => x < 0 ? 0.1 * x : x));
        AssertTensor(Run("Elu", X), new[] { 5 }, Map(x => x < 0 ? System.Math.Exp(x) - 1 : x));
        AssertTensor(Run("Selu", X), new[] { 5 }, Map(x => x > 0 ? 1.0507009873554805 * x : 1.0507009873554805 * 1.6732632423543772 * (System.Math.Exp(x) - 1)));
        AssertTensor(Run("Celu", 12, new Tensor[] { X }, Float("alpha", 2f)), new[] { 5 }, Map(x => System.Math.Max(0, x) + System.Math.Min(0, 2 * (System.Math.Exp(x / 2) - 1))));
        AssertTensor(Run("HardSigmoid", X), new[] { 5 }, Map(x => System.Math.Clamp(0.2 * x + 0.5, 0, 1)));
        AssertTensor(Run("HardSwish", T(new[] { 4 }, -4f, -1f, 1f, 4f)), new[] { 4 }, 0f, -1f / 3, 2f / 3, 4f);
        AssertTensor(Run("ThresholdedRelu", 10, new Tensor[] { X }, Float("alpha", 0.5f)), new[] { 5 }, 0f, 0f, 0f, 0f, 2f);
        AssertTensor(Run("Shrink", 9, new Tensor[] { X }, Float("lambd", 1f), Float("bias", 0.5f)), new[] { 5 }, -1.5f, 0f, 0f, 0f, 1.5f);
    }

    [Test]
    public void SmoothActivations()
    {
        AssertTensor(Run("Sigmoid", X), new[] { 5 }, Map(x => 1 / (1 + System.Math.Exp(-x))));
        AssertTensor(Run("Tanh", X), new[] { 5 }, Map(System.Math.Tanh));
        AssertTensor(Run("Softplus", X), new[] { 5 }, Map(x => System.Math.Log(1 + System.Math.Exp(x))));
        AssertTensor(Run("Softplus", T(new[] { 2 }, 1000f, -1000f)), new[] { 2 }, 1000f, 0f);
        AssertTensor(Run("Softsign", X), new[] { 5 }, Map(x => x / (1 + System.Math.Abs(x))));
        AssertTensor(Run("Mish", X), new[] { 5 }, Map(x => x * System.Math.Tanh(System.Math.Log(1 + System.Math.Exp(x)))));
        AssertTensor(Run("Swish", 24, new Tensor[] { X }, Float("alpha", 2f)), new[] { 5 }, Map(x => x / (1 + System.Math.Exp(-2 * x))));
    }

    [Test]
    public void GeluExactAndTanhApproximation()
    {
        AssertTensor(Run("Gelu", 20, new Tensor[] { T(new[] { 4 }, -3f, -1f, 0f, 1f) }), new[] { 4 },
            -0.0040496899f, -0.15865526f, 0f, 0.84134474f);
        AssertTensor(Run("Gelu", 20, new Tensor[] { T(new[] { 3 }, -1f, 0f, 1f) }, Str("approximate", "tanh")), new[] { 3 },
            -0.15880801f, 0f, 0.84119199f);
    }

    [Test]
    public void PReluBroadcastsSlopeToInput()
    {
        var x = T(new[] { 2, 2 }, -1f, 2f, -3f, 4f);
        AssertTensor(Run("PRelu", x, T(new[] { 2 }, 0.5f, 0.25f)), new[] { 2, 2 }, -0.5f, 2f, -1.5f, 4f);
        AssertTensor(Run("PRelu", T(new[] { 2 }, -4, 4), T(new[] { 1 }, 3)), new[] { 2 }, -12, 4);
        Assert.Throws<KernoModelException>(() => Run("PRelu", T(new[] { 2 }, 1f, 2f), T(new[] { 2, 2 }, 1f, 2f, 3f, 4f)));
    }

    [Test]
    public void PReluBeforeOpset7HasOneSlopePerChannel() =>
        AssertTensor(Run("PRelu", 6, new Tensor[] { T(new[] { 1, 2, 2 }, -1f, -1f, -1f, -1f), T(new[] { 2 }, 0.5f, 0.25f) }),
            new[] { 1, 2, 2 }, -0.5f, -0.5f, -0.25f, -0.25f);

    [Test]
    public void ClipWithInputsAttributesAndDefaults()
    {
        var x = T(new[] { 4 }, -5f, 0.5f, 5f, float.NaN);
        AssertTensor(Run("Clip", 13, new Tensor?[] { x, Tensor.Scalar(-1f), Tensor.Scalar(1f) }), new[] { 4 }, -1f, 0.5f, 1f, float.NaN);
        AssertTensor(Run("Clip", 13, new Tensor?[] { x, null, Tensor.Scalar(1f) }), new[] { 4 }, -5f, 0.5f, 1f, float.NaN);
        AssertTensor(Run("Clip", 13, new Tensor?[] { x }), new[] { 4 }, -5f, 0.5f, 5f, float.NaN);
        AssertTensor(Run("Clip", 6, new Tensor?[] { x }, Float("min", 0f)), new[] { 4 }, 0f, 0.5f, 5f, float.NaN);
        AssertTensor(Run("Clip", 13, new Tensor?[] { x, Tensor.Scalar(2f), Tensor.Scalar(1f) }), new[] { 4 }, 1f, 1f, 1f, float.NaN);
        AssertTensor(Run("Clip", 13, new Tensor?[] { T(new[] { 3 }, -9L, 3L, long.MaxValue), Tensor.Scalar(0L) }), new[] { 3 }, 0L, 3L, long.MaxValue);
    }

    [Test]
    public void SoftmaxAlongLastAxisFromOpset13()
    {
        var x = T(new[] { 2, 3 }, 1f, 2f, 3f, 1000f, 1000f, 1000f);
        double e = System.Math.Exp(1), s = 1 + e + e * e;
        AssertTensor(Run("Softmax", 13, new Tensor[] { x }), new[] { 2, 3 }, (float)(1 / s), (float)(e / s), (float)(e * e / s), 1f / 3, 1f / 3, 1f / 3);
        AssertTensor(Run("LogSoftmax", 13, new Tensor[] { x }), new[] { 2, 3 },
            (float)-System.Math.Log(s), (float)(1 - System.Math.Log(s)), (float)(2 - System.Math.Log(s)), -MathF.Log(3), -MathF.Log(3), -MathF.Log(3));
        AssertTensor(Run("Hardmax", 13, new Tensor[] { x }), new[] { 2, 3 }, 0f, 0f, 1f, 1f, 0f, 0f);
    }

    [Test]
    public void SoftmaxAxisSemanticsChangeAtOpset13()
    {
        var x = T(new[] { 2, 2, 2 }, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f);
        // Opset 11, axis 1: each batch row of 4 elements is one distribution.
        AssertTensor(Run("Softmax", 11, new Tensor[] { x }), new[] { 2, 2, 2 }, Enumerable.Repeat(0.25f, 8).ToArray());
        // Opset 13, axis 1: only the middle axis of 2.
        AssertTensor(Run("Softmax", 13, new Tensor[] { x }, Int("axis", 1)), new[] { 2, 2, 2 }, Enumerable.Repeat(0.5f, 8).ToArray());
        var h = T(new[] { 2, 2, 2 }, 0f, 1f, 2f, 3f, 7f, 6f, 5f, 4f);
        AssertTensor(Run("Hardmax", 13, new Tensor[] { h }, Int("axis", 1)), new[] { 2, 2, 2 }, 0f, 0f, 1f, 1f, 1f, 1f, 0f, 0f);
        AssertTensor(Run("Hardmax", 11, new Tensor[] { h }), new[] { 2, 2, 2 }, 0f, 0f, 0f, 1f, 1f, 0f, 0f, 0f);
    }
}
