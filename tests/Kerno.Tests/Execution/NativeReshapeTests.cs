using Kerno.Graph;
using Kerno.Tests.Optimizer;
using static Kerno.Tests.Execution.NativeBackendTests;

namespace Kerno.Tests.Execution;

/// <summary>Reshape as a view on the native backend agrees with the reference (0 copies, -1 infers, allowzero).</summary>
public class NativeReshapeTests
{
    [TestCase(new[] { 2, 3, 4 }, new long[] { 0, -1 }, 13, 0, TestName = "ReshapeMatches(0 and -1)")]
    [TestCase(new[] { 1, 28, 4, 5, 5 }, new long[] { 1, -1, 5, 5 }, 13, 0, TestName = "ReshapeMatches(ShuffleNet merge)")]
    [TestCase(new[] { 2, 0, 3 }, new long[] { 3, 0 }, 14, 1, TestName = "ReshapeMatches(allowzero keeps a 0)")]
    [TestCase(new[] { 6, 4 }, new long[] { 24 }, 4, 0, TestName = "ReshapeMatches(opset 4 attribute)")]
    public void ReshapeMatches(int[] x, long[] shape, int opset, int allowZero)
    {
        Model Make()
        {
            var b = new GraphBuilder().Input("x", x.Select(d => (long)d).ToArray()).Output("y");
            b.Node("Relu", ["x"], ["r"]);
            if (opset < 5)
                b.Node("Reshape", ["r"], ["v"], GraphBuilder.Ints("shape", shape));
            else
            {
                b.Constant("shape", Tensor.Vector(shape));
                var n = b.Node("Reshape", ["r", "shape"], ["v"]);
                if (allowZero != 0)
                    n.Attributes["allowzero"] = new AttributeValue { Name = "allowzero", Kind = AttributeKind.Int, Int = 1 };
            }
            b.Node("Relu", ["v"], ["y"]);
            return ModelOf(b, opset);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = NativeBackendTests.Random(new Random(13), x) }, expectKernel: "reshape-view");
    }

    [Test]
    public void ReshapeToASizeThatDoesNotFitIsReportedByTheReferenceKernel()
    {
        var b = new GraphBuilder().Input("x", 2, 3).Output("y");
        b.Constant("shape", Tensor.Vector(4L, -1L));
        b.Node("Reshape", ["x", "shape"], ["y"]);
        using var s = new InferenceSession(ModelOf(b, 13), new SessionOptions { Backend = ExecutionBackend.Native });
        Assert.Throws<KernoModelException>(() => s.Run(new Dictionary<string, Tensor> { ["x"] = new Tensor<float>([2, 3]) }));
    }
}
