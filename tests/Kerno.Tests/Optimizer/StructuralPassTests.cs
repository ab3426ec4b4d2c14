using Kerno.Graph;
using Kerno.Optimizer;
using Kerno.Optimizer.Passes;

namespace Kerno.Tests.Optimizer;

/// <summary>What each pass does to small hand-built graphs (numerical equivalence is tested on real models).</summary>
public class StructuralPassTests
{
    private static readonly OptimizerContext Context = new(new Dictionary<string, long> { [""] = 17 });

    [Test]
    public void IdentityBetweenNodesIsRemoved()
    {
        var b = new GraphBuilder().Input("x", 2).Output("y");
        b.Node("Identity", ["x"], ["t"]);
        b.Node("Relu", ["t"], ["y"]);
        Assert.That(new EliminateIdentity().Apply(b.Graph, Context), Is.True);
        Assert.That(b.Graph.Nodes.Select(n => n.OpType), Is.EqualTo(new[] { "Relu" }));
        Assert.That(b.Graph.Nodes[0].Inputs[0], Is.EqualTo("x"));
    }

    [Test]
    public void IdentityProducingAGraphOutputHandsTheNameToItsProducer()
    {
        var b = new GraphBuilder().Input("x", 2).Output("y");
        b.Node("Relu", ["x"], ["t"]);
        b.Node("Identity", ["t"], ["y"]);
        new EliminateIdentity().Apply(b.Graph, Context);
        Assert.That(b.Graph.Nodes.Single().Outputs[0], Is.EqualTo("y"));
    }

    [Test]
    public void IdentityFromAGraphInputToAGraphOutputStays()
    {
        var b = new GraphBuilder().Input("x", 2).Output("y");
        b.Node("Identity", ["x"], ["y"]);
        Assert.That(new EliminateIdentity().Apply(b.Graph, Context), Is.False);
        Assert.That(b.Graph.Nodes, Has.Count.EqualTo(1));
    }

    [Test]
    public void DropoutWhoseMaskIsReadStays()
    {
        var b = new GraphBuilder().Input("x", 2).Output("y").Output("mask");
        b.Node("Dropout", ["x"], ["y", "mask"]);
        Assert.That(new EliminateIdentity().Apply(b.Graph, Context), Is.False);
    }

    [Test]
    public void DropoutWhoseNamedMaskNobodyReadsIsRemoved()
    {
        var b = new GraphBuilder().Input("x", 2).Output("y");
        b.Node("Dropout", ["x"], ["d", "mask"]);
        b.Node("Relu", ["d"], ["y"]);
        Assert.That(new EliminateIdentity().Apply(b.Graph, Context), Is.True);
        Assert.That(b.Graph.Nodes.Select(n => n.OpType), Is.EqualTo(new[] { "Relu" }));
        Assert.That(b.Graph.Nodes[0].Inputs[0], Is.EqualTo("x"));
    }

    [Test]
    public void NodesThatReachNoOutputAreRemoved()
    {
        var b = new GraphBuilder().Input("x", 2).Output("y").Constant("unused", Tensor.Vector(1f));
        b.Node("Relu", ["x"], ["y"]);
        b.Node("Sigmoid", ["x"], ["dead"]);
        Assert.That(new EliminateDeadNodes().Apply(b.Graph, Context), Is.True);
        Assert.That(b.Graph.Nodes.Select(n => n.OpType), Is.EqualTo(new[] { "Relu" }));
        Assert.That(b.Graph.Initializers, Does.Not.ContainKey("unused"));
    }

    [Test]
    public void ValuesReadBySubgraphsAreKept()
    {
        var body = new ComputeGraph();
        body.Nodes.Add(new Node("inner", "Relu", "", ["outer_value"], ["r"]));
        body.Outputs.Add(new ValueInfo("r", null));
        var b = new GraphBuilder().Input("x", 2).Input("cond").Output("y");
        b.Node("Sigmoid", ["x"], ["outer_value"]);
        b.Node("If", ["cond"], ["y"], new AttributeValue { Name = "then_branch", Kind = AttributeKind.Graph, Graph = body },
            new AttributeValue { Name = "else_branch", Kind = AttributeKind.Graph, Graph = body });
        new EliminateDeadNodes().Apply(b.Graph, Context);
        Assert.That(b.Graph.Nodes.Select(n => n.OpType), Does.Contain("Sigmoid"));
    }

    [Test]
    public void InverseTransposesCancel()
    {
        var b = new GraphBuilder().Input("x", 1, 2, 3, 4).Output("y");
        b.Node("Transpose", ["x"], ["t"], GraphBuilder.Ints("perm", 0, 2, 3, 1));
        b.Node("Transpose", ["t"], ["u"], GraphBuilder.Ints("perm", 0, 3, 1, 2));
        b.Node("Relu", ["u"], ["y"]);
        GraphOptimizer.Run(b.Graph, Context, [new CancelTransposes(), new EliminateIdentity()]);
        Assert.That(b.Graph.Nodes.Select(n => n.OpType), Is.EqualTo(new[] { "Relu" }));
        Assert.That(b.Graph.Nodes[0].Inputs[0], Is.EqualTo("x"));
    }

    [Test]
    public void TwoTransposesComposeIntoOne()
    {
        var b = new GraphBuilder().Input("x", 1, 2, 3).Output("y");
        b.Node("Transpose", ["x"], ["t"], GraphBuilder.Ints("perm", 1, 2, 0));
        b.Node("Transpose", ["t"], ["y"], GraphBuilder.Ints("perm", 1, 2, 0));
        new CancelTransposes().Apply(b.Graph, Context);
        // t[i] = x[p1[i]] -> y[i] = t[p2[i]] = x[p1[p2[i]]]: p1[p2] = [p1[1], p1[2], p1[0]] = [2, 0, 1]
        Assert.That(b.Graph.Nodes.Single().GetInts("perm"), Is.EqualTo(new long[] { 2, 0, 1 }));
    }

    [Test]
    public void BatchNormFoldsIntoConvWeightsAndBias()
    {
        var b = new GraphBuilder().Input("x", 1, 1, 3, 3).Output("y");
        b.Constant("w", new Tensor<float>([1f, 2f], 2, 1, 1, 1)).Constant("b", Tensor.Vector(0.5f, -1f));
        b.Constant("gamma", Tensor.Vector(2f, 3f)).Constant("beta", Tensor.Vector(1f, 0f));
        b.Constant("mean", Tensor.Vector(0.25f, 1f)).Constant("var", Tensor.Vector(3f, 8f));
        b.Node("Conv", ["x", "w", "b"], ["c"]);
        b.Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["y"], GraphBuilder.Float("epsilon", 1f));
        Assert.That(new FoldBatchNormIntoConv().Apply(b.Graph, Context), Is.True);
        Node conv = b.Graph.Nodes.Single();
        Assert.That(conv.Outputs[0], Is.EqualTo("y"));
        var w = (Tensor<float>)b.Graph.Initializers[conv.Inputs[1]];
        var bias = (Tensor<float>)b.Graph.Initializers[conv.Inputs[2]];
        // s = gamma / sqrt(var + eps) = [2/2, 3/3] = [1, 1]; b' = (b - mean) * s + beta
        Assert.That(w.Span.ToArray(), Is.EqualTo(new[] { 1f, 2f }));
        Assert.That(bias.Span.ToArray(), Is.EqualTo(new[] { 1.25f, -2f }));
        Assert.That(b.Graph.Initializers["w"], Is.Not.SameAs(w), "the original weights may be shared: never modified in place");
    }

    /// <summary>Conv + BN on a weight <paramref name="w"/>; a second Conv reads it too when <paramref name="readTwice"/>.</summary>
    private static GraphBuilder ConvBatchNorm(Tensor<float> w, bool readTwice)
    {
        var b = new GraphBuilder().Input("x", 1, 1, 3, 3).Output("y");
        b.Constant("w", w);
        b.Constant("gamma", Tensor.Vector(2f, 3f)).Constant("beta", Tensor.Vector(1f, 0f));
        b.Constant("mean", Tensor.Vector(0.25f, 1f)).Constant("var", Tensor.Vector(3f, 8f));
        b.Node("Conv", ["x", "w"], ["c"]);
        b.Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["y"], GraphBuilder.Float("epsilon", 1f));
        if (readTwice)
        {
            b.Output("z");
            b.Node("Conv", ["x", "w"], ["z"]);
        }
        return b;
    }

    [Test]
    public void BatchNormScalesAWeightTheOptimizedCopyOwnsInPlace()
    {
        var w = new Tensor<float>([1f, 2f], 2, 1, 1, 1);
        var b = ConvBatchNorm(w, readTwice: false);
        var owning = new OptimizerContext(Context.Opsets) { SharedStorage = new HashSet<object>(ReferenceEqualityComparer.Instance) };
        Assert.That(new FoldBatchNormIntoConv().Apply(b.Graph, owning), Is.True);
        Node conv = b.Graph.Nodes.Single();
        Assert.That(b.Graph.Initializers[conv.Inputs[1]], Is.SameAs(w), "no copy of a weight nothing else holds");
        Assert.That(w.Span.ToArray(), Is.EqualTo(new[] { 1f, 2f * 3f / 3f }));
        Assert.That(b.Graph.Initializers.ContainsKey("w"), Is.False, "the old name no longer names the old values");
    }

    [Test]
    public void BatchNormCopiesAWeightTheLoadedModelOrAnotherNodeHolds()
    {
        var w = new Tensor<float>([1f, 2f], 2, 1, 1, 1);
        var shared = new HashSet<object>(ReferenceEqualityComparer.Instance) { OptimizerContext.Storage(w)! };
        var b = ConvBatchNorm(w, readTwice: false);
        new FoldBatchNormIntoConv().Apply(b.Graph, new OptimizerContext(Context.Opsets) { SharedStorage = shared });
        Assert.That(b.Graph.Initializers[b.Graph.Nodes.Single().Inputs[1]], Is.Not.SameAs(w));
        b = ConvBatchNorm(w, readTwice: true);
        new FoldBatchNormIntoConv().Apply(b.Graph, new OptimizerContext(Context.Opsets) { SharedStorage = new HashSet<object>(ReferenceEqualityComparer.Instance) });
        Assert.That(b.Graph.Initializers["w"], Is.SameAs(w));
        Assert.That(w.Span.ToArray(), Is.EqualTo(new[] { 1f, 2f }), "read by the other Conv too: left as it was");
    }

    [Test]
    public void OptimizingNeverChangesTheLoadedModelsWeights()
    {
        var b = ConvBatchNorm(new Tensor<float>([1f, 2f], 2, 1, 1, 1), readTwice: false);
        var model = new Model { Graph = b.Graph, IrVersion = 8 };
        model.OpsetImports[""] = 17;
        ModelOptimizer.Optimize(model, OptimizationLevel.All);
        Assert.That(((Tensor<float>)model.Graph.Initializers["w"]).Span.ToArray(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void PerChannelAddFoldsIntoTheConvBias()
    {
        var b = new GraphBuilder().Input("x", 1, 1, 3, 3).Output("y");
        b.Constant("w", new Tensor<float>([1f, 2f], 2, 1, 1, 1)).Constant("b", Tensor.Vector(0.5f, -1f));
        b.Constant("c", new Tensor<float>([3f, 4f], 1, 2, 1, 1));
        b.Node("Conv", ["x", "w", "b"], ["v"]);
        b.Node("Add", ["c", "v"], ["y"]);
        Assert.That(new FoldScaleShiftIntoConv().Apply(b.Graph, Context), Is.True);
        Node conv = b.Graph.Nodes.Single();
        Assert.That(conv.Outputs[0], Is.EqualTo("y"));
        Assert.That(((Tensor<float>)b.Graph.Initializers[conv.Inputs[2]]).Span.ToArray(), Is.EqualTo(new[] { 3.5f, 3f }));
        Assert.That(((Tensor<float>)b.Graph.Initializers["b"]).Span.ToArray(), Is.EqualTo(new[] { 0.5f, -1f }), "the original bias is never modified");
    }

    [TestCase(new[] { 2 }, TestName = "AddThatIsNotPerChannelStays([2]: broadcasts along W)")]
    [TestCase(new[] { 1, 1, 2, 1, 1 }, TestName = "AddThatIsNotPerChannelStays(rank 5: raises the output rank)")]
    [TestCase(new[] { 2, 3, 1 }, TestName = "AddThatIsNotPerChannelStays([2,3,1]: per row)")]
    public void AddThatIsNotPerChannelStays(int[] shape)
    {
        var b = new GraphBuilder().Input("x", 1, 1, 3, 3).Output("y");
        b.Constant("w", new Tensor<float>([1f, 2f], 2, 1, 1, 1)).Constant("c", new Tensor<float>(new float[shape.Aggregate(1, (p, d) => p * d)], shape));
        b.Node("Conv", ["x", "w"], ["v"]);
        b.Node("Add", ["v", "c"], ["y"]);
        Assert.That(new FoldScaleShiftIntoConv().Apply(b.Graph, Context), Is.False);
    }

    [Test]
    public void BiasAddOfAConvOutputReadTwiceStays()
    {
        var b = new GraphBuilder().Input("x", 1, 1, 3, 3).Output("y").Output("z");
        b.Constant("w", new Tensor<float>([1f], 1, 1, 1, 1)).Constant("c", Tensor.Vector(1f));
        b.Node("Conv", ["x", "w"], ["v"]);
        b.Node("Add", ["v", "c"], ["y"]);
        b.Node("Relu", ["v"], ["z"]);
        Assert.That(new FoldScaleShiftIntoConv().Apply(b.Graph, Context), Is.False);
    }

    [Test]
    public void ConvReluBecomesFusedConvWithTheActivation()
    {
        var b = new GraphBuilder().Input("x", 1, 1, 3, 3).Output("y").Constant("w", new Tensor<float>([1f], 1, 1, 1, 1));
        b.Node("Conv", ["x", "w"], ["c"], GraphBuilder.Ints("pads", 0, 0, 0, 0));
        b.Node("Relu", ["c"], ["y"]);
        Assert.That(new FuseActivation().Apply(b.Graph, Context), Is.True);
        Node fused = b.Graph.Nodes.Single();
        Assert.That((fused.Domain, fused.OpType), Is.EqualTo((FusedOps.Domain, "FusedConv")));
        Assert.That(FusedActivation.FromNode(fused).Kind, Is.EqualTo(ActivationKind.Relu));
        Assert.That(fused.GetInts("pads"), Is.EqualTo(new long[] { 0, 0, 0, 0 }));
    }

    [Test]
    public void ClipWithComputedBoundsIsNotFused()
    {
        var b = new GraphBuilder().Input("x", 1, 1, 3, 3).Input("hi").Output("y").Constant("w", new Tensor<float>([1f], 1, 1, 1, 1));
        b.Node("Conv", ["x", "w"], ["c"]);
        b.Node("Clip", ["c", "", "hi"], ["y"]);
        Assert.That(new FuseActivation().Apply(b.Graph, Context), Is.False);
    }

    [Test]
    public void ResidualAddFusesOnlyWhenShapesAreKnownEqual()
    {
        var b = new GraphBuilder().Input("x", 1, 1, 3, 3).Input("z", 1, 1, 3, 3).Output("y").Constant("w", new Tensor<float>([1f], 1, 1, 1, 1));
        b.Node("Conv", ["x", "w"], ["c"]);
        b.Node("Add", ["z", "c"], ["y"]);
        Assert.That(new FuseResidualAdd().Apply(b.Graph, Context), Is.False, "conv output shape unknown");
        var shape = new TensorTypeInfo(DataType.Float, new List<Dim> { 1, 1, 3, 3 });
        b.Graph.ValueTypes["c"] = shape;
        b.Graph.ValueTypes["z"] = shape;
        Assert.That(new FuseResidualAdd().Apply(b.Graph, Context), Is.True);
        Assert.That(b.Graph.Nodes.Single().Inputs, Is.EqualTo(new[] { "x", "w", "", "z" }));
    }

    [Test]
    public void MatMulPlusConstantBiasFuses()
    {
        var b = new GraphBuilder().Input("a", 4, 3).Output("y")
            .Constant("w", new Tensor<float>(new float[6], 3, 2)).Constant("bias", Tensor.Vector(1f, 2f));
        b.Node("MatMul", ["a", "w"], ["m"]);
        b.Node("Add", ["m", "bias"], ["y"]);
        Assert.That(new FuseMatMulBias().Apply(b.Graph, Context), Is.True);
        Assert.That(b.Graph.Nodes.Single().OpType, Is.EqualTo("FusedMatMul"));
    }

    [Test]
    public void ShapeOfAKnownShapeBecomesAConstantAndItsArithmeticFolds()
    {
        var b = new GraphBuilder().Input("x", 2, 3, 4).Output("y");
        b.Graph.ValueTypes["x"] = b.Graph.Inputs[0].Type!;
        b.Constant("two", Tensor.Vector(2L));
        b.Node("Shape", ["x"], ["s"], new AttributeValue { Name = "start", Kind = AttributeKind.Int, Int = -2 });
        b.Node("Concat", ["two", "s"], ["shape"], new AttributeValue { Name = "axis", Kind = AttributeKind.Int, Int = 0 });
        b.Node("Reshape", ["x", "shape"], ["y"]);
        GraphOptimizer.Run(b.Graph, Context, [new FoldKnownShapes(), new FoldConstants()]);
        Assert.That(b.Graph.Nodes.Select(n => n.OpType), Is.EqualTo(new[] { "Reshape" }));
        Assert.That(b.Graph.Initializers["shape"].ToInt64Array(), Is.EqualTo(new long[] { 2, 3, 4 }));
    }

    [Test]
    public void ShapeOfASymbolicShapeStays()
    {
        var b = new GraphBuilder().Output("y");
        b.Graph.Inputs.Add(new ValueInfo("x", new TensorTypeInfo(DataType.Float, new List<Dim> { new(null, "batch"), 3 })));
        b.Graph.ValueTypes["x"] = b.Graph.Inputs[0].Type!;
        b.Node("Shape", ["x"], ["y"]);
        Assert.That(new FoldKnownShapes().Apply(b.Graph, Context), Is.False);
    }
}
