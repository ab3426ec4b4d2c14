using Kerno.Graph;
using Kerno.Graph.ShapeInference;
using Kerno.Optimizer;
using Kerno.Optimizer.Passes;

namespace Kerno.Tests.Optimizer;

/// <summary>What FuseElementwiseChain merges and what it must leave alone (shapes from shape inference, as in a session).</summary>
public class FuseElementwiseChainTests
{
    private static readonly OptimizerContext Context = new(new Dictionary<string, long> { [""] = 17 });

    /// <summary>Infers shapes, runs the pass, returns the op types left.</summary>
    private static List<string> Fuse(GraphBuilder b, bool expectChange)
    {
        var model = new Model { Graph = b.Graph, IrVersion = 8 };
        model.OpsetImports[""] = 17;
        ShapeInferencer.Infer(model);
        Assert.That(new FuseElementwiseChain().Apply(b.Graph, Context), Is.EqualTo(expectChange));
        return b.Graph.Nodes.Select(n => n.OpType).ToList();
    }

    private static Node Chain(GraphBuilder b) => b.Graph.Nodes.Single(n => n.OpType == FuseElementwiseChain.OpType);

    [Test]
    public void AddReluFuses()
    {
        var b = new GraphBuilder().Input("x", 2, 3).Output("y").Constant("c", Tensor.Scalar(1f));
        b.Node("Add", ["x", "c"], ["a"]);
        b.Node("Relu", ["a"], ["y"]);
        Assert.That(Fuse(b, true), Is.EqualTo(new[] { FuseElementwiseChain.OpType }));
        Node n = Chain(b);
        Assert.That(n.Domain, Is.EqualTo(FusedOps.Domain));
        Assert.That(n.Inputs, Is.EqualTo(new[] { "x", "c" }));
        Assert.That(n.Outputs, Is.EqualTo(new[] { "y" }));
        Assert.That(n.GetStrings("ops"), Is.EqualTo(new[] { "Add", "Relu" }));
        Assert.That(n.GetInts("operands"), Is.EqualTo(new long[] { 1, -1 }));
    }

    [Test]
    public void MaximalChainWithPerChannelConstantFullTensorAndSwappedOperandFuses()
    {
        var b = new GraphBuilder().Input("x", 1, 4, 3, 5).Input("z", 1, 4, 3, 5).Output("y")
            .Constant("ch", new Tensor<float>(new float[4], 4, 1, 1)).Constant("two", Tensor.Scalar(2f)).Constant("lo", Tensor.Scalar(0f)).Constant("hi", Tensor.Scalar(6f));
        b.Node("Mul", ["ch", "x"], ["m"]);
        b.Node("Sub", ["two", "m"], ["s"]);
        b.Node("Div", ["s", "z"], ["d"]);
        b.Node("Clip", ["d", "lo", "hi"], ["c"]);
        b.Node("Sigmoid", ["c"], ["y"]);
        Assert.That(Fuse(b, true), Is.EqualTo(new[] { FuseElementwiseChain.OpType }));
        Node n = Chain(b);
        Assert.That(n.Inputs, Is.EqualTo(new[] { "x", "ch", "two", "z" }));
        Assert.That(n.GetInts("swapped"), Is.EqualTo(new long[] { 1, 1, 0, 0, 0 }));
        Assert.That(n.GetFloats("params")!.Skip(6).Take(2), Is.EqualTo(new[] { 0f, 6f }));
    }

    [Test]
    public void SwishOnAPlainTensorFusesWithTheChainInputAsOperand()
    {
        var b = new GraphBuilder().Input("x", 3, 7).Output("y");
        b.Node("Sigmoid", ["x"], ["s"]);
        b.Node("Mul", ["x", "s"], ["y"]);
        Assert.That(Fuse(b, true), Is.EqualTo(new[] { FuseElementwiseChain.OpType }));
        Assert.That(Chain(b).Inputs, Is.EqualTo(new[] { "x" }));
        Assert.That(Chain(b).GetInts("operands"), Is.EqualTo(new long[] { -1, 0 }));
    }

    [Test]
    public void IntermediateWithTwoConsumersEndsTheChain()
    {
        var b = new GraphBuilder().Input("x", 2, 3).Output("y").Output("w");
        b.Node("Relu", ["x"], ["a"]);
        b.Node("Neg", ["a"], ["y"]);
        b.Node("Exp", ["a"], ["w"]);
        Assert.That(Fuse(b, false), Is.EqualTo(new[] { "Relu", "Neg", "Exp" }));
    }

    [Test]
    public void GraphOutputInTheMiddleEndsTheChain()
    {
        var b = new GraphBuilder().Input("x", 2, 3).Output("a").Output("y");
        b.Node("Relu", ["x"], ["a"]);
        b.Node("Neg", ["a"], ["y"]);
        Assert.That(Fuse(b, false), Is.EqualTo(new[] { "Relu", "Neg" }));
    }

    [Test]
    public void BroadcastingTheChainedTensorDoesNotFuse()
    {
        // x [3,1] + z [3,4] grows the chain: not element-wise on x
        var b = new GraphBuilder().Input("x", 3, 1).Input("z", 3, 4).Output("y");
        b.Node("Relu", ["x"], ["r"]);
        b.Node("Add", ["r", "z"], ["y"]);
        Assert.That(Fuse(b, false), Is.EqualTo(new[] { "Relu", "Add" }));
    }

    [Test]
    public void AConstantThatGrowsTheChainDoesNotFuse()
    {
        var b = new GraphBuilder().Input("x", 3, 1).Output("y").Constant("c", new Tensor<float>(new float[12], 3, 4));
        b.Node("Relu", ["x"], ["r"]);
        b.Node("Add", ["r", "c"], ["y"]);
        Assert.That(Fuse(b, false), Is.EqualTo(new[] { "Relu", "Add" }));
    }

    [Test]
    public void UnknownShapesDoNotFuse()
    {
        var b = new GraphBuilder().Output("y");
        b.Graph.Inputs.Add(new ValueInfo("x", new TensorTypeInfo(DataType.Float, new List<Dim> { new Dim(null, "n"), 3 })));
        b.Node("Relu", ["x"], ["r"]);
        b.Node("Neg", ["r"], ["y"]);
        Assert.That(Fuse(b, false), Is.EqualTo(new[] { "Relu", "Neg" }));
    }

    [Test]
    public void IntegerTensorsDoNotFuse()
    {
        var b = new GraphBuilder().Output("y").Constant("c", Tensor.Scalar(2L));
        b.Graph.Inputs.Add(new ValueInfo("x", new TensorTypeInfo(DataType.Int64, new List<Dim> { 2, 3 })));
        b.Node("Add", ["x", "c"], ["a"]);
        b.Node("Neg", ["a"], ["y"]);
        Assert.That(Fuse(b, false), Is.EqualTo(new[] { "Add", "Neg" }));
    }

    [Test]
    public void TwoDifferentFullShapeTensorsEndTheChain()
    {
        var b = new GraphBuilder().Input("x", 2, 3).Input("z", 2, 3).Input("w", 2, 3).Output("y");
        b.Node("Add", ["x", "z"], ["a"]);
        b.Node("Relu", ["a"], ["r"]);
        b.Node("Mul", ["r", "w"], ["y"]);
        Assert.That(Fuse(b, true), Is.EqualTo(new[] { FuseElementwiseChain.OpType, "Mul" }));
        Assert.That(Chain(b).Inputs, Is.EqualTo(new[] { "x", "z" }));
    }

    [Test]
    public void ClipWithAComputedBoundAndASingleNodeDoNotFuse()
    {
        var b = new GraphBuilder().Input("x", 2, 3).Input("hi", 1).Output("y");
        b.Node("Clip", ["x", "", "hi"], ["c"]);
        b.Node("Relu", ["c"], ["y"]);
        Assert.That(Fuse(b, false), Is.EqualTo(new[] { "Clip", "Relu" }));
    }

    [Test]
    public void AnOperandComputedAfterTheHeadKeepsTheGraphInOrder()
    {
        var b = new GraphBuilder().Input("x", 2, 3).Output("y");
        b.Node("Relu", ["x"], ["r"]);
        b.Node("Softmax", ["x"], ["s"]); // computed after the head, read by the chain's Add
        b.Node("Add", ["r", "s"], ["y"]);
        Assert.That(Fuse(b, true), Is.EqualTo(new[] { "Softmax", FuseElementwiseChain.OpType }));
    }
}
