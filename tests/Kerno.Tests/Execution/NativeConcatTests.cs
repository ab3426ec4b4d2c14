using Kerno.Graph;
using Kerno.Tests.Optimizer;
using static Kerno.Tests.Execution.NativeBackendTests;

namespace Kerno.Tests.Execution;

/// <summary>Concat (a block copy per input per outer index, short blocks copied inline) agrees with the reference.</summary>
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
}
