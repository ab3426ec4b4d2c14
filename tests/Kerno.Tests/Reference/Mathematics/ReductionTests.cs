using static Kerno.Tests.Reference.Mathematics.OpTester;

namespace Kerno.Tests.Reference.Mathematics;

public class ReductionTests
{
    private static readonly Tensor<float> X = T(new[] { 2, 3 }, 1f, 2f, 3f, 4f, 5f, 6f);

    [Test]
    public void AxesAsAttributeBeforeOpset18AndInputAfter()
    {
        AssertTensor(Run("ReduceMax", 13, new Tensor[] { X }, Ints("axes", 1)), new[] { 2, 1 }, 3f, 6f);
        AssertTensor(Run("ReduceMax", 18, new Tensor[] { X, T(new[] { 1 }, 1L) }), new[] { 2, 1 }, 3f, 6f);
        AssertTensor(Run("ReduceSum", 11, new Tensor[] { X }, Ints("axes", 0), Int("keepdims", 0)), new[] { 3 }, 5f, 7f, 9f);
        AssertTensor(Run("ReduceSum", 13, new Tensor[] { X, T(new[] { 1 }, -2L) }, Int("keepdims", 0)), new[] { 3 }, 5f, 7f, 9f);
    }

    [Test]
    public void NoAxesReducesEverythingUnlessNoop()
    {
        AssertTensor(Run("ReduceSum", 13, new Tensor[] { X }), new[] { 1, 1 }, 21f);
        AssertTensor(Run("ReduceSum", 13, new Tensor[] { X, T(new[] { 0 }, Array.Empty<long>()) }, Int("keepdims", 0)), Array.Empty<int>(), 21f);
        AssertTensor(Run("ReduceSum", 13, new Tensor[] { X, T(new[] { 0 }, Array.Empty<long>()) }, Int("noop_with_empty_axes", 1)),
            new[] { 2, 3 }, 1f, 2f, 3f, 4f, 5f, 6f);
        // Reducing over no axis applies the op to each element alone.
        AssertTensor(Run("ReduceSumSquare", 18, new Tensor[] { X }, Int("noop_with_empty_axes", 1)), new[] { 2, 3 }, 1f, 4f, 9f, 16f, 25f, 36f);
    }

    [Test]
    public void EveryReductionOnRows()
    {
        long[] axis1 = { 1 };
        Tensor R(string op) => Run(op, 11, new Tensor[] { T(new[] { 2, 2 }, -1f, 2f, 3f, 4f) }, Ints("axes", axis1), Int("keepdims", 0));
        AssertTensor(R("ReduceSum"), new[] { 2 }, 1f, 7f);
        AssertTensor(R("ReduceMean"), new[] { 2 }, 0.5f, 3.5f);
        AssertTensor(R("ReduceProd"), new[] { 2 }, -2f, 12f);
        AssertTensor(R("ReduceMin"), new[] { 2 }, -1f, 3f);
        AssertTensor(R("ReduceL1"), new[] { 2 }, 3f, 7f);
        AssertTensor(R("ReduceL2"), new[] { 2 }, MathF.Sqrt(5), 5f);
        AssertTensor(R("ReduceSumSquare"), new[] { 2 }, 5f, 25f);
        AssertTensor(R("ReduceLogSum"), new[] { 2 }, 0f, MathF.Log(7));
        AssertTensor(R("ReduceLogSumExp"), new[] { 2 }, (float)System.Math.Log(System.Math.Exp(-1) + System.Math.Exp(2)), (float)System.Math.Log(System.Math.Exp(3) + System.Math.Exp(4)));
    }

    [Test]
    public void LogSumExpDoesNotOverflow() =>
        AssertTensor(Run("ReduceLogSumExp", 18, new Tensor[] { T(new[] { 2 }, 1000f, 1000f) }, Int("keepdims", 0)), Array.Empty<int>(), 1000f + MathF.Log(2));

    [Test]
    public void EmptySetGivesTheIdentity()
    {
        var empty = T(new[] { 2, 0 }, Array.Empty<float>());
        var axes = T(new[] { 1 }, 1L);
        AssertTensor(Run("ReduceSum", 18, new Tensor[] { empty, axes }), new[] { 2, 1 }, 0f, 0f);
        AssertTensor(Run("ReduceProd", 18, new Tensor[] { empty, axes }), new[] { 2, 1 }, 1f, 1f);
        AssertTensor(Run("ReduceMax", 18, new Tensor[] { empty, axes }), new[] { 2, 1 }, float.NegativeInfinity, float.NegativeInfinity);
        AssertTensor(Run("ReduceMin", 18, new Tensor[] { empty, axes }), new[] { 2, 1 }, float.PositiveInfinity, float.PositiveInfinity);
        AssertTensor(Run("ReduceLogSum", 18, new Tensor[] { empty, axes }), new[] { 2, 1 }, float.NegativeInfinity, float.NegativeInfinity);
        AssertTensor(Run("ReduceLogSumExp", 18, new Tensor[] { empty, axes }), new[] { 2, 1 }, float.NegativeInfinity, float.NegativeInfinity);
        AssertTensor(Run("ReduceMax", 18, new Tensor[] { T(new[] { 0 }, Array.Empty<int>()) }), new[] { 1 }, int.MinValue);
    }

    [Test]
    public void IntegerReductionsAreExactAndMeanTruncates()
    {
        var x = T(new[] { 3 }, long.MaxValue - 2, 1L, 1L);
        AssertTensor(Run("ReduceSum", 13, new Tensor[] { x }, Int("keepdims", 0)), Array.Empty<int>(), long.MaxValue);
        AssertTensor(Run("ReduceMean", 13, new Tensor[] { T(new[] { 2 }, 1, 2) }, Int("keepdims", 0)), Array.Empty<int>(), 1);
        AssertTensor(Run("ReduceMax", 18, new Tensor[] { T(new[] { 2 }, (byte)3, (byte)250) }, Int("keepdims", 0)), Array.Empty<int>(), (byte)250);
    }

    [Test]
    public void BoolMaxIsAnyAndMinIsAll()
    {
        var b = T(new[] { 2, 2 }, true, false, false, false);
        AssertTensor(Run("ReduceMax", 20, new Tensor[] { b, T(new[] { 1 }, 1L) }), new[] { 2, 1 }, true, false);
        AssertTensor(Run("ReduceMin", 20, new Tensor[] { b, T(new[] { 1 }, 1L) }), new[] { 2, 1 }, false, false);
    }

    [Test]
    public void BadAxesFail()
    {
        Assert.Throws<KernoModelException>(() => Run("ReduceSum", 13, new Tensor[] { X, T(new[] { 1 }, 2L) }));
        Assert.Throws<KernoModelException>(() => Run("ReduceSum", 13, new Tensor[] { X, T(new[] { 2 }, 1L, -1L) }));
    }

    [Test]
    public void ArgMaxArgMinWithTiesAndKeepDims()
    {
        var x = T(new[] { 2, 3 }, 1f, 3f, 3f, 2f, 0f, 0f);
        AssertTensor(Run("ArgMax", 13, new Tensor[] { x }, Int("axis", 1)), new[] { 2, 1 }, 1L, 0L);
        AssertTensor(Run("ArgMax", 13, new Tensor[] { x }, Int("axis", 1), Int("select_last_index", 1)), new[] { 2, 1 }, 2L, 0L);
        AssertTensor(Run("ArgMin", 13, new Tensor[] { x }, Int("axis", -1), Int("keepdims", 0), Int("select_last_index", 1)), new[] { 2 }, 0L, 2L);
        AssertTensor(Run("ArgMin", 13, new Tensor[] { x }), new[] { 1, 3 }, 0L, 1L, 1L);
        AssertTensor(Run("ArgMax", 13, new Tensor[] { T(new[] { 3 }, 1f, float.NaN, 5f) }), new[] { 1 }, 1L);
    }

    [Test]
    public void TopKIsSortedAndStable()
    {
        var x = T(new[] { 2, 4 }, 1f, 3f, 3f, 2f, 4f, 4f, 4f, 0f);
        Value?[] r = RunAll("TopK", 11, new Tensor[] { x, T(new[] { 1 }, 2L) }, 2);
        AssertTensor((Tensor)r[0]!, new[] { 2, 2 }, 3f, 3f, 4f, 4f);
        AssertTensor((Tensor)r[1]!, new[] { 2, 2 }, 1L, 2L, 0L, 1L);
        r = RunAll("TopK", 11, new Tensor[] { x, T(new[] { 1 }, 3L) }, 2, Int("largest", 0));
        AssertTensor((Tensor)r[0]!, new[] { 2, 3 }, 1f, 2f, 3f, 0f, 4f, 4f);
        AssertTensor((Tensor)r[1]!, new[] { 2, 3 }, 0L, 3L, 1L, 3L, 0L, 1L);
        r = RunAll("TopK", 1, new Tensor[] { x }, 2, Int("k", 1), Int("axis", 0));
        AssertTensor((Tensor)r[0]!, new[] { 1, 4 }, 4f, 4f, 4f, 2f);
        AssertTensor((Tensor)r[1]!, new[] { 1, 4 }, 1L, 1L, 1L, 0L);
        Assert.Throws<KernoModelException>(() => RunAll("TopK", 11, new Tensor[] { x, T(new[] { 1 }, 5L) }, 2));
    }

    [Test]
    public void CumSumAndCumProdWithExclusiveAndReverse()
    {
        var x = T(new[] { 2, 3 }, 1, 2, 3, 4, 5, 6);
        var axis = Tensor.Scalar(1);
        AssertTensor(Run("CumSum", 14, new Tensor[] { x, axis }), new[] { 2, 3 }, 1, 3, 6, 4, 9, 15);
        AssertTensor(Run("CumSum", 14, new Tensor[] { x, axis }, Int("exclusive", 1)), new[] { 2, 3 }, 0, 1, 3, 0, 4, 9);
        AssertTensor(Run("CumSum", 14, new Tensor[] { x, axis }, Int("reverse", 1)), new[] { 2, 3 }, 6, 5, 3, 15, 11, 6);
        AssertTensor(Run("CumSum", 14, new Tensor[] { x, Tensor.Scalar(0L) }, Int("reverse", 1), Int("exclusive", 1)), new[] { 2, 3 }, 4, 5, 6, 0, 0, 0);
        AssertTensor(Run("CumProd", 26, new Tensor[] { T(new[] { 3 }, 2f, 3f, 4f), Tensor.Scalar(0) }), new[] { 3 }, 2f, 6f, 24f);
        AssertTensor(Run("CumProd", 26, new Tensor[] { T(new[] { 3 }, 2f, 3f, 4f), Tensor.Scalar(0) }, Int("exclusive", 1), Int("reverse", 1)), new[] { 3 }, 12f, 4f, 1f);
    }
}
