using static Kerno.Tests.Reference.Tensors.OpRunner;

namespace Kerno.Tests.Reference.Tensors;

public class GeneratorOpsTests
{
    [Test]
    public void PadModes()
    {
        var x = T([1, 3], 1f, 2, 3);
        AssertTensor(Run("Pad", 13, [x, L(0, 2, 0, 1), T([], 9f)]), [1, 6], 9f, 9, 1, 2, 3, 9);
        AssertTensor(Run("Pad", 13, [x, L(0, 2, 0, 2)], Str("mode", "reflect")), [1, 7], 3f, 2, 1, 2, 3, 2, 1);
        AssertTensor(Run("Pad", 13, [x, L(0, 2, 0, 1)], Str("mode", "edge")), [1, 6], 1f, 1, 1, 2, 3, 3);
        AssertTensor(Run("Pad", 19, [x, L(0, 2, 0, 1)], Str("mode", "wrap")), [1, 6], 2f, 3, 1, 2, 3, 1);
        AssertTensor(Run("Pad", 13, [x, L(0, -1, 0, 1)]), [1, 3], 2f, 3, 0);
        AssertTensor(Run("Pad", 18, [x, L(1, 1), null, L(-1)]), [1, 5], 0f, 1, 2, 3, 0);
        AssertTensor(Run("Pad", 2, [x], Ints("pads", 0, 1, 0, 0), Float("value", 1.5f)), [1, 4], 1.5f, 1, 2, 3);
    }

    [Test]
    public void CenterCropPad()
    {
        var x = T([2, 5], Range(10));
        AssertTensor(Run("CenterCropPad", 18, [x, L(4, 2)]), [4, 2], 0f, 0, 1, 2, 6, 7, 0, 0);
    }

    [Test]
    public void ConstantOfShapeAndEyeLike()
    {
        AssertTensor(Run("ConstantOfShape", 20, [L(2, 2)], TensorAttr("value", T([1], 7))), [2, 2], 7, 7, 7, 7);
        AssertTensor(Run("ConstantOfShape", 20, [L(2)]), [2], 0f, 0f);
        AssertTensor(Run("EyeLike", 9, [new Tensor<int>([2, 3])], Int("k", 1)), [2, 3], 0, 1, 0, 0, 0, 1);
        AssertTensor(Run("EyeLike", 9, [new Tensor<int>([2, 2])], Int("dtype", 1)), [2, 2], 1f, 0, 0, 1);
    }

    [Test]
    public void RangeIntAndFloat()
    {
        AssertTensor(Run("Range", 11, [Kerno.Tensor.Scalar(10), Kerno.Tensor.Scalar(4), Kerno.Tensor.Scalar(-3)]), [2], 10, 7);
        AssertTensor(Run("Range", 11, [Kerno.Tensor.Scalar(1f), Kerno.Tensor.Scalar(5f), Kerno.Tensor.Scalar(2f)]), [2], 1f, 3f);
    }

    [Test]
    public void OneHotWithNegativeIndexAndAxis()
    {
        var r = Run("OneHot", 11, [T([3], 0L, -1, 5), Kerno.Tensor.Scalar(3f), T([2], 0, 1)], Int("axis", 0));
        AssertTensor(r, [3, 3], 1, 0, 0, 0, 0, 0, 0, 1, 0);
    }

    [Test]
    public void TriluUpperAndLower()
    {
        var x = T([3, 3], Range(9).Select(v => v + 1).ToArray());
        AssertTensor(Run("Trilu", 14, [x]), [3, 3], 1f, 2, 3, 0, 5, 6, 0, 0, 9);
        AssertTensor(Run("Trilu", 14, [x, Kerno.Tensor.Scalar(-1L)], Int("upper", 0)), [3, 3], 0f, 0, 0, 4, 0, 0, 7, 8, 0);
    }

    [Test]
    public void DropoutInferenceIsIdentityWithMask()
    {
        var x = T([3], 1f, 2, 3);
        Value?[] r = RunAll("Dropout", 13, [x], 2);
        AssertTensor(r[0], [3], 1f, 2, 3);
        AssertTensor(r[1], [3], true, true, true);
        r = RunAll("Dropout", 13, [x, Kerno.Tensor.Scalar(0.75f), Kerno.Tensor.Scalar(true)], 2, Int("seed", 1));
        var y = ((Kerno.Tensor)r[0]!).ToDoubleArray();
        var mask = ((Tensor<bool>)r[1]!).Span.ToArray();
        for (int i = 0; i < 3; ++i)
            Assert.That(y[i], Is.EqualTo(mask[i] ? x[i] * 4 : 0).Within(1e-6));
    }
}
