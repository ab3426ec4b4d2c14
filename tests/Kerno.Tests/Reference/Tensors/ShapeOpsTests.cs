using static Kerno.Tests.Reference.Tensors.OpRunner;

namespace Kerno.Tests.Reference.Tensors;

public class ShapeOpsTests
{
    [Test]
    public void ReshapeCopiesZeroAndInfersMinusOne()
    {
        var x = T([2, 3, 4], Range(24));
        var y = Run("Reshape", 14, [x, L(0, -1, 2)]);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 6, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(x.ToDoubleArray()));
    }

    [Test]
    public void ReshapeAllowZeroKeepsZero()
    {
        var x = new Tensor<float>([0, 3, 4]);
        var y = Run("Reshape", 14, [x, L(3, 4, 0)], Int("allowzero", 1));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 4, 0 }));
    }

    [Test]
    public void ReshapeOpset1UsesAttribute()
    {
        var y = Run("Reshape", 1, [T([6], Range(6))], Ints("shape", 3, 2));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 2 }));
    }

    [Test]
    public void ReshapeRejectsBadElementCount() =>
        Assert.Throws<KernoModelException>(() => Run("Reshape", 14, [T([6], Range(6)), L(4, -1)]));

    [Test]
    public void FlattenNegativeAxis()
    {
        var y = Run("Flatten", 13, [new Tensor<bool>([2, 3, 4, 5])], Int("axis", -1));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 24, 5 }));
        y = Run("Flatten", 13, [new Tensor<bool>([2, 3, 4, 5])], Int("axis", 0));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 120 }));
    }

    [Test]
    public void SqueezeAndUnsqueezeByOpset()
    {
        var x = new Tensor<float>([1, 3, 1, 5]);
        Assert.That(Run("Squeeze", 11, [x], Ints("axes", -2)).Shape.ToArray(), Is.EqualTo(new[] { 1, 3, 5 }));
        Assert.That(Run("Squeeze", 13, [x, L(0)]).Shape.ToArray(), Is.EqualTo(new[] { 3, 1, 5 }));
        Assert.That(Run("Squeeze", 13, [x]).Shape.ToArray(), Is.EqualTo(new[] { 3, 5 }));
        Assert.Throws<KernoModelException>(() => Run("Squeeze", 13, [x, L(1)]));
        var s = new Tensor<float>([3, 4]);
        Assert.That(Run("Unsqueeze", 11, [s], Ints("axes", 0, 3)).Shape.ToArray(), Is.EqualTo(new[] { 1, 3, 4, 1 }));
        Assert.That(Run("Unsqueeze", 13, [s, L(-1, 1)]).Shape.ToArray(), Is.EqualTo(new[] { 3, 1, 4, 1 }));
    }

    [Test]
    public void ShapeWithStartEnd()
    {
        var x = new Tensor<float>([2, 3, 4, 5]);
        AssertTensor<long>(Run("Shape", 15, [x]), [4], 2, 3, 4, 5);
        AssertTensor<long>(Run("Shape", 15, [x], Int("start", 1), Int("end", -1)), [2], 3, 4);
        AssertTensor<long>(Run("Shape", 15, [x], Int("start", 10)), [0]);
        AssertTensor<long>(Run("Size", 13, [x]), [], 120L);
    }

    [Test]
    public void TransposeDefaultAndPerm()
    {
        var x = T([2, 3], "a", "b", "c", "d", "e", "f");
        AssertTensor(Run("Transpose", 13, [x]), [3, 2], "a", "d", "b", "e", "c", "f");
        var y = Run("Transpose", 13, [T([2, 3, 4], Range(24))], Ints("perm", 1, 2, 0));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 4, 2 }));
        Assert.That(y.ToDoubleArray()[..4], Is.EqualTo(new double[] { 0, 12, 1, 13 }));
    }

    [Test]
    public void ConcatAlongAxisWithEmptyInput()
    {
        var a = T([2, 2], 1, 2, 3, 4);
        var b = T([2, 1], 5, 6);
        var e = new Tensor<int>([2, 0]);
        AssertTensor(Run("Concat", 13, [a, e, b], Int("axis", -1)), [2, 3], 1, 2, 5, 3, 4, 6);
    }

    [Test]
    public void SplitEqualUnevenAndExplicit()
    {
        var x = T([7], Range(7));
        Value?[] r = RunAll("Split", 18, [x], 3, Int("num_outputs", 3));
        AssertTensor(r[0], [3], 0f, 1, 2);
        AssertTensor(r[2], [1], 6f);
        r = RunAll("Split", 13, [x, L(2, 5)], 2);
        AssertTensor(r[1], [5], 2f, 3, 4, 5, 6);
        r = RunAll("Split", 11, [x], 2, Ints("split", 4, 3));
        AssertTensor(r[0], [4], 0f, 1, 2, 3);
        r = RunAll("Split", 13, [T([2, 4], Range(8))], 2, Int("axis", 1));
        AssertTensor(r[1], [2, 2], 2f, 3, 6, 7);
    }

    [Test]
    public void SliceNegativeStepsAndClamping()
    {
        var x = T([10], Range(10));
        AssertTensor(Run("Slice", 13, [x, L(-1), L(long.MinValue), L(0), L(-3)]), [4], 9f, 6, 3, 0);
        AssertTensor(Run("Slice", 13, [x, L(2), L(1000)]), [8], 2f, 3, 4, 5, 6, 7, 8, 9);
        AssertTensor<float>(Run("Slice", 13, [x, L(5), L(2)]), [0]);
        AssertTensor(Run("Slice", 9, [x], Ints("starts", 1), Ints("ends", 3)), [2], 1f, 2);
        var m = T([3, 4], Range(12));
        AssertTensor(Run("Slice", 13, [m, L(1, 0), L(3, 4), L(0, 1), L(1, 2)]), [2, 2], 4f, 6, 8, 10);
    }

    [Test]
    public void ExpandAndTile()
    {
        var x = T([3, 1], 1, 2, 3);
        AssertTensor(Run("Expand", 13, [x, L(2, 1, 2)]), [2, 3, 2], 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3);
        AssertTensor(Run("Tile", 13, [T([2, 2], "a", "b", "c", "d"), L(1, 2)]), [2, 4], "a", "b", "a", "b", "c", "d", "c", "d");
    }
}
