using Kerno.Graph;
using Kerno.Optimizer;
using Kerno.Tests.Optimizer;
using static Kerno.Tests.Execution.NativeBackendTests;

namespace Kerno.Tests.Execution;

/// <summary>Slice (strided copy) and Exp on the native backend agree with the reference operators.</summary>
public class NativeSliceExpTests
{
    public static IEnumerable<TestCaseData> SliceCases()
    {
        // x shape, starts, ends, axes (null = absent), steps (null = absent)
        yield return new TestCaseData(new[] { 1, 37, 4 }, new long[] { 2 }, new long[] { 4 }, new long[] { 2 }, null).SetName("Slice(UltraFace boxes: last axis 2..4)");
        yield return new TestCaseData(new[] { 1, 37, 4 }, new long[] { 0 }, new long[] { 2 }, new long[] { -1 }, null).SetName("Slice(negative axis)");
        yield return new TestCaseData(new[] { 2, 5, 6, 7 }, new long[] { 1, -4 }, new long[] { 4, long.MaxValue }, new long[] { 1, 2 }, null).SetName("Slice(two axes, negative start, end past the dimension, whole trailing axis)");
        yield return new TestCaseData(new[] { 3, 8, 9 }, new long[] { -1, 7 }, new long[] { long.MinValue, 0 }, new long[] { 0, 1 }, new long[] { -1, -3 }).SetName("Slice(negative steps)");
        yield return new TestCaseData(new[] { 4, 19 }, new long[] { 1, 0 }, new long[] { 4, 19 }, null, new long[] { 2, 5 }).SetName("Slice(strided rows and columns, axes absent)");
        yield return new TestCaseData(new[] { 2, 3, 40 }, new long[] { 0 }, new long[] { 1 }, new long[] { 0 }, null).SetName("Slice(leading axis only: one contiguous block)");
        yield return new TestCaseData(new[] { 2, 3, 4 }, new long[] { 3 }, new long[] { 1 }, new long[] { 1 }, null).SetName("Slice(empty result)");
        yield return new TestCaseData(new[] { 2, 3, 4 }, new long[] { 0 }, new long[] { 9 }, new long[] { 1 }, null).SetName("Slice(whole tensor)");
    }

    [TestCaseSource(nameof(SliceCases))]
    public void SliceMatches(int[] x, long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        foreach (bool int32 in new[] { false, true })
        {
            Model Make()
            {
                var b = new GraphBuilder().Input("x", x.Select(d => (long)d).ToArray()).Output("y");
                Tensor Ints(long[] v) => int32 ? Tensor.Vector(v.Select(e => (int)Math.Clamp(e, int.MinValue, int.MaxValue)).ToArray()) : Tensor.Vector(v);
                b.Constant("starts", Ints(starts)).Constant("ends", Ints(ends));
                var inputs = new List<string> { "x", "starts", "ends" };
                if (axes is not null || steps is not null)
                {
                    b.Constant("axes", Ints(axes ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray()));
                    inputs.Add("axes");
                }
                if (steps is not null)
                {
                    b.Constant("steps", Ints(steps));
                    inputs.Add("steps");
                }
                b.Node("Slice", inputs.ToArray(), ["s"]);
                b.Node("Relu", ["s"], ["y"]); // the slice output is an arena value, not a graph output
                return ModelOf(b, 13);
            }
            AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = NativeBackendTests.Random(new Random(7), x) }, expectKernel: "slice");
        }
    }

    [Test]
    public void SliceWithAttributesBeforeOpset10Matches()
    {
        Model Make()
        {
            var b = new GraphBuilder().Input("x", 3, 10, 5).Output("y");
            b.Node("Slice", ["x"], ["y"], GraphBuilder.Ints("starts", 1, -3), GraphBuilder.Ints("ends", 3, 100), GraphBuilder.Ints("axes", 0, 1));
            return ModelOf(b, 9);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = NativeBackendTests.Random(new Random(8), 3, 10, 5) }, expectKernel: "slice");
    }

    [TestCase(1)]
    [TestCase(37)]
    [TestCase(70001)]
    public void ExpMatches(int n)
    {
        var x = NativeBackendTests.Random(new Random(9), 1, n);
        foreach (ref float v in x.Span)
            v *= 90; // past exp's float range on both sides: inf and 0
        Model Make()
        {
            var b = new GraphBuilder().Input("x", 1, n).Output("y");
            b.Node("Exp", ["x"], ["e"]);
            b.Node("Relu", ["e"], ["y"]);
            return ModelOf(b);
        }
        // Extended: at All, Exp -> Relu becomes one eltwise-chain (tested in NativeElementwiseChainTests)
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = x }, OptimizationLevel.Extended, tolerance: 2e-6, expectKernel: "eltwise-exp");
    }
}
