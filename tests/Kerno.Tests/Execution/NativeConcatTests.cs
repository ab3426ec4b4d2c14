using Kerno.Graph;
using Kerno.Optimizer;
using Kerno.Planning;
using Kerno.Tests.Optimizer;
using static Kerno.Tests.Execution.NativeBackendTests;

namespace Kerno.Tests.Execution;

/// <summary>Concat (a block copy per input per outer index, short blocks copied inline, nothing copied for inputs
/// planned in place) agrees with the reference.</summary>
public class NativeConcatTests
{
    [TestCase(new[] { 1, 37, 2 }, new[] { 1, 37, 2 }, new[] { 1, 37, 3 }, 2, TestName = "ConcatMatches(short rows on the last axis)")]
    [TestCase(new[] { 1, 16, 9, 7 }, new[] { 1, 32, 9, 7 }, new[] { 1, 8, 9, 7 }, 1, TestName = "ConcatMatches(channels)")]
    [TestCase(new[] { 2, 3, 5 }, new[] { 2, 4, 5 }, new[] { 2, 1, 5 }, -2, TestName = "ConcatMatches(negative axis, batch 2)")]
    [TestCase(new[] { 5 }, new[] { 11 }, new[] { 1 }, 0, TestName = "ConcatMatches(1-D)")]
    public void ConcatMatches(int[] a, int[] b, int[] c, int axis)
    {
        Model Make()
        {
            var g = new GraphBuilder().Input("a", a.Select(d => (long)d).ToArray()).Input("b", b.Select(d => (long)d).ToArray())
                .Input("c", c.Select(d => (long)d).ToArray()).Output("y");
            g.Node("Concat", ["a", "b", "c"], ["t"], new AttributeValue { Name = "axis", Kind = AttributeKind.Int, Int = axis });
            g.Node("Relu", ["t"], ["y"]);
            return ModelOf(g);
        }
        var rng = new Random(17);
        AssertSame(Make, new Dictionary<string, Tensor>
        {
            ["a"] = NativeBackendTests.Random(rng, a), ["b"] = NativeBackendTests.Random(rng, b), ["c"] = NativeBackendTests.Random(rng, c),
        }, expectKernel: "concat");
    }

    /// <summary>A fire-module-like pair of branches: both branch outputs are planned as pieces of the Concat's output
    /// (their producers write there), a third input fed twice is copied, and the results match the reference.</summary>
    [Test]
    public void ConcatInputsArePlannedInPlaceAndStillMatch()
    {
        Model Make()
        {
            var g = new GraphBuilder().Input("a", 1, 16, 5, 4).Input("b", 1, 16, 5, 4).Output("y");
            g.Node("Relu", ["a"], ["p"]);
            g.Node("Mul", ["b", "b"], ["q"]);
            g.Node("Concat", ["p", "q"], ["t"], new AttributeValue { Name = "axis", Kind = AttributeKind.Int, Int = 1 });
            g.Node("Add", ["p", "p"], ["r"]); // p is still read after the Concat
            g.Node("Concat", ["t", "r", "r"], ["u"], new AttributeValue { Name = "axis", Kind = AttributeKind.Int, Int = 1 });
            g.Node("Sigmoid", ["u"], ["y"]);
            return ModelOf(g);
        }
        var rng = new Random(5);
        var feeds = new Dictionary<string, Tensor> { ["a"] = NativeBackendTests.Random(rng, 1, 16, 5, 4), ["b"] = NativeBackendTests.Random(rng, 1, 16, 5, 4) };
        AssertSame(Make, feeds, OptimizationLevel.None, expectKernel: "concat");

        using var native = new InferenceSession(Make(), new SessionOptions { Backend = ExecutionBackend.Native, OptimizationLevel = OptimizationLevel.None });
        var executor = native.NativeExecutor!;
        long[] offsets = executor.StaticPlan!.Memory.ValueOffsets;
        long Of(string name) => offsets[executor.Compiled.ValueIds[name]];
        const long piece = 16 * 5 * 4 * 4;
        Assert.That(Of("p"), Is.GreaterThanOrEqualTo(0));
        // t is itself a piece of u, so p and q sit inside u too
        Assert.That(Of("p"), Is.EqualTo(Of("t")));
        Assert.That(Of("q"), Is.EqualTo(Of("t") + piece));
        Assert.That(Of("t"), Is.EqualTo(Of("u")));
        Assert.That(Of("r"), Is.Not.InRange(Of("u"), Of("u") + 4 * piece - 1), "an input fed twice cannot be in two places");
    }

    [Test]
    public void PlannerPlacesPiecesInsideTheirConcatAndLeavesMisalignedOnesAlone()
    {
        var steps = new List<PlannerStep>
        {
            new([], [0], [1024], [-1], -1, 0),                                  // a
            new([], [1], [1000], [-1], -1, 0),                                  // b (1000 bytes: c's offset is not 64-aligned)
            new([], [2], [512], [-1], -1, 0),                                   // c
            new([0, 1, 2], [3], [2536], [-1], -1, 0, [(0, 0), (1, 1024), (2, 2024)]), // concat
            new([3, 0], [4], [-1], [-1], -1, 0),                                // graph output reads the concat and a
        };
        MemoryPlan plan = MemoryPlanner.Plan(5, steps, [4]);
        Assert.That(plan.ValueOffsets[0], Is.EqualTo(plan.ValueOffsets[3]));
        Assert.That(plan.ValueOffsets[1], Is.EqualTo(plan.ValueOffsets[3] + 1024));
        Assert.That(plan.ValueOffsets[2], Is.Not.InRange(plan.ValueOffsets[3], plan.ValueOffsets[3] + 2535), "misaligned: copied");
        Assert.That(plan.ArenaBytes, Is.EqualTo(MemoryPlanner.Align(2536) + 512));
    }
}
