using Kerno.Graph;
using Kerno.Optimizer;
using Kerno.Tests.Optimizer;
using static Kerno.Tests.Execution.NativeBackendTests;

namespace Kerno.Tests.Execution;

/// <summary>Transpose (axes merged, rows as blocks or strided gathers, split across threads) agrees with the reference.</summary>
public class NativeTransposeTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData(new[] { 1, 4, 28, 56, 56 }, new long[] { 0, 2, 1, 3, 4 }).SetName("Transpose(ShuffleNet channel shuffle, split across threads)");
        yield return new TestCaseData(new[] { 1, 6, 5, 7 }, new long[] { 0, 2, 3, 1 }).SetName("Transpose(NCHW to NHWC)");
        yield return new TestCaseData(new[] { 2, 1, 3, 1, 5 }, new long[] { 4, 3, 0, 2, 1 }).SetName("Transpose(size-1 axes)");
        yield return new TestCaseData(new[] { 3, 4, 5 }, new long[] { 0, 1, 2 }).SetName("Transpose(identity: one block)");
        yield return new TestCaseData(new[] { 3, 4, 5, 2 }, null).SetName("Transpose(default perm reverses)");
        yield return new TestCaseData(new[] { 2, 3, 2, 3, 2, 3 }, new long[] { 5, 0, 4, 1, 3, 2 }).SetName("Transpose(rank 6)");
        yield return new TestCaseData(new[] { 1, 1, 1 }, new long[] { 2, 1, 0 }).SetName("Transpose(one element)");
    }

    [TestCaseSource(nameof(Cases))]
    public void TransposeMatches(int[] x, long[]? perm)
    {
        Model Make()
        {
            var b = new GraphBuilder().Input("x", x.Select(d => (long)d).ToArray()).Output("y");
            if (perm is null)
                b.Node("Transpose", ["x"], ["t"]);
            else
                b.Node("Transpose", ["x"], ["t"], GraphBuilder.Ints("perm", perm));
            b.Node("Relu", ["t"], ["y"]);
            return ModelOf(b);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = NativeBackendTests.Random(new Random(11), x) }, OptimizationLevel.None, expectKernel: "transpose");
    }
}
