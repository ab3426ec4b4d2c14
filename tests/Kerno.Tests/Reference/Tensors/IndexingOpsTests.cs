using static Kerno.Tests.Reference.Tensors.OpRunner;

namespace Kerno.Tests.Reference.Tensors;

public class IndexingOpsTests
{
    [Test]
    public void GatherAxis1WithNegativeIndices()
    {
        var x = T([2, 3], Range(6));
        AssertTensor(Run("Gather", 13, [x, T([2], -1L, 0L)], Int("axis", 1)), [2, 2], 2f, 0, 5, 3);
        AssertTensor(Run("Gather", 13, [x, Kerno.Tensor.Scalar(1)]), [3], 3f, 4, 5);
        Assert.Throws<KernoModelException>(() => Run("Gather", 13, [x, T([1], 3L)]));
    }

    [Test]
    public void GatherElements()
    {
        var x = T([2, 2], 1, 2, 3, 4);
        AssertTensor(Run("GatherElements", 13, [x, T([2, 2], 0L, 0, 1, 0)], Int("axis", 1)), [2, 2], 1, 1, 4, 3);
    }

    [Test]
    public void GatherNDWithBatchDims()
    {
        var x = T([2, 2, 2], Range(8));
        AssertTensor(Run("GatherND", 13, [x, T([2, 1, 2], 0L, 1, 1, 0)]), [2, 1, 2], 2f, 3, 4, 5);
        AssertTensor(Run("GatherND", 13, [x, T([2, 1], 1L, 0)], Int("batch_dims", 1)), [2, 2], 2f, 3, 4, 5);
    }

    [Test]
    public void ScatterNDWithReduction()
    {
        var x = T([4], 1, 2, 3, 4);
        var idx = T([3, 1], 1L, 1, 3);
        var upd = T([3], 10, 20, 30);
        AssertTensor(Run("ScatterND", 16, [x, idx, upd], Str("reduction", "add")), [4], 1, 32, 3, 34);
        AssertTensor(Run("ScatterND", 18, [x, idx, upd], Str("reduction", "min")), [4], 1, 2, 3, 4);
        AssertTensor(Run("ScatterND", 13, [x, T([1, 1], 2L), T([1], 9)]), [4], 1, 2, 9, 4);
    }

    [Test]
    public void ScatterElementsAndScatter()
    {
        var x = T([1, 5], 1f, 2, 3, 4, 5);
        var idx = T([1, 2], 1L, -2);
        var upd = T([1, 2], 1.1f, 2.1f);
        AssertTensor(Run("ScatterElements", 13, [x, idx, upd], Int("axis", 1)), [1, 5], 1f, 1.1f, 3, 2.1f, 5);
        AssertTensor(Run("ScatterElements", 18, [x, T([1, 2], 1L, 1), upd], Int("axis", 1), Str("reduction", "mul")),
            [1, 5], 1f, 2 * 1.1f * 2.1f, 3, 4, 5);
        AssertTensor(Run("Scatter", 9, [T([2], "a", "b"), T([1], 0L), T([1], "z")]), [2], "z", "b");
    }

    [Test]
    public void TensorScatterLinearAndCircular()
    {
        // batch 2, cache length 4, one feature; write 2 steps at [1, 3].
        var past = T([2, 4, 1], Range(8));
        var upd = T([2, 2, 1], 10f, 11, 20, 21);
        AssertTensor(Run("TensorScatter", 24, [past, upd, L(1, 2)]), [2, 4, 1], 0f, 10, 11, 3, 4, 5, 20, 21);
        AssertTensor(Run("TensorScatter", 24, [past, upd, L(1, 3)], Str("mode", "circular")), [2, 4, 1], 0f, 10, 11, 3, 21, 5, 6, 20);
        Assert.Throws<KernoModelException>(() => Run("TensorScatter", 24, [past, upd, L(1, 3)]));
    }

    [Test]
    public void CompressWithAndWithoutAxis()
    {
        var x = T([3, 2], 1, 2, 3, 4, 5, 6);
        AssertTensor(Run("Compress", 11, [x, T([3], false, true, true)], Int("axis", 0)), [2, 2], 3, 4, 5, 6);
        AssertTensor(Run("Compress", 11, [x, T([5], false, true, false, false, true)]), [2], 2, 5);
    }

    [Test]
    public void NonZeroIndices()
    {
        var x = T([2, 2], 1, 0, 1, 1);
        AssertTensor<long>(Run("NonZero", 13, [x]), [2, 3], 0, 1, 1, 0, 0, 1);
    }

    [Test]
    public void UniqueSortedAndUnsorted()
    {
        var x = T([6], 2f, 1, 1, 3, 4, 3);
        Value?[] r = RunAll("Unique", 11, [x], 4, Int("sorted", 0));
        AssertTensor(r[0], [4], 2f, 1, 3, 4);
        AssertTensor<long>(r[1], [4], 0, 1, 3, 4);
        AssertTensor<long>(r[2], [6], 0, 1, 1, 2, 3, 2);
        AssertTensor<long>(r[3], [4], 1, 2, 2, 1);
        r = RunAll("Unique", 11, [x], 4);
        AssertTensor(r[0], [4], 1f, 2, 3, 4);
        AssertTensor<long>(r[1], [4], 1, 0, 3, 4);
        AssertTensor<long>(r[2], [6], 1, 0, 0, 2, 3, 2);
        AssertTensor<long>(r[3], [4], 2, 1, 2, 1);
    }

    [Test]
    public void UniqueAlongAxis()
    {
        var x = T([3, 3], 1, 0, 0, 1, 0, 0, 2, 3, 4);
        Value?[] r = RunAll("Unique", 11, [x], 4, Int("axis", 0));
        AssertTensor(r[0], [2, 3], 1, 0, 0, 2, 3, 4);
        AssertTensor<long>(r[2], [3], 0, 0, 1);
        AssertTensor<long>(r[3], [2], 2, 1);
    }

    [Test]
    public void ReverseSequenceBatchFirst()
    {
        var x = T([2, 3], Range(6));
        AssertTensor(Run("ReverseSequence", 10, [x, L(2, 3)], Int("batch_axis", 0), Int("time_axis", 1)), [2, 3], 1f, 0, 2, 5, 4, 3);
    }

    [Test]
    public void DepthToSpaceModesAndSpaceToDepthRoundTrip()
    {
        var x = T([1, 8, 1, 1], Range(8));
        AssertTensor(Run("DepthToSpace", 13, [x], Int("blocksize", 2)), [1, 2, 2, 2], 0f, 2, 4, 6, 1, 3, 5, 7);
        AssertTensor(Run("DepthToSpace", 13, [x], Int("blocksize", 2), Str("mode", "CRD")), [1, 2, 2, 2], 0f, 1, 2, 3, 4, 5, 6, 7);
        var y = T([1, 2, 4, 6], Range(48));
        var d = Run("SpaceToDepth", 13, [y], Int("blocksize", 2));
        Assert.That(d.Shape.ToArray(), Is.EqualTo(new[] { 1, 8, 2, 3 }));
        var back = Run("DepthToSpace", 13, [d], Int("blocksize", 2));
        Assert.That(back.ToDoubleArray(), Is.EqualTo(y.ToDoubleArray()));
    }
}
