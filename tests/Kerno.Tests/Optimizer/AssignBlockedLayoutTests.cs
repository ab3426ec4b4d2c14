using Kerno.Graph;
using Kerno.Graph.ShapeInference;
using Kerno.Optimizer;
using Kerno.Optimizer.Passes;

namespace Kerno.Tests.Optimizer;

/// <summary>What the layout-assignment pass does to small CNN graphs: which nodes go blocked, where the reorders go.</summary>
public class AssignBlockedLayoutTests
{
    private const int B = 16;
    private static readonly OptimizerContext Context = new(new Dictionary<string, long> { [""] = 17, [FusedOps.Domain] = 1 });

    private static Tensor<float> W(int k, int c, int kh = 3, int kw = 3) => new([k, c, kh, kw]);

    private static AttributeValue Int(string name, long v) => new() { Name = name, Kind = AttributeKind.Int, Int = v };

    private static readonly AttributeValue Same3x3 = GraphBuilder.Ints("pads", 1, 1, 1, 1);

    /// <summary>Infers shapes (as the session does before optimizing) and runs the pass with block 16.</summary>
    private static bool Assign(GraphBuilder b)
    {
        var model = new Model { Graph = b.Graph, IrVersion = 8 };
        model.OpsetImports[""] = 17;
        model.OpsetImports[FusedOps.Domain] = 1;
        ShapeInferencer.Infer(model);
        return new AssignBlockedLayout(B).Apply(b.Graph, Context);
    }

    private static List<string> Ops(ComputeGraph g) => g.Nodes.Select(n => n.OpType).ToList();

    private static Node Producer(ComputeGraph g, string value) => g.Nodes.Single(n => n.Outputs.Contains(value));

    [Test]
    public void FirstConvStaysNchwAndItsOutputIsReorderedOnce()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y");
        b.Constant("w1", W(20, 3)).Constant("w2", W(24, 20)).Constant("w3", W(24, 20));
        b.Node("Conv", ["x", "w1"], ["c1"], Same3x3);
        b.Node("Conv", ["c1", "w2"], ["c2"], Same3x3);
        b.Node("Conv", ["c1", "w3"], ["c3"], Same3x3); // reads c1 too: one reorder serves both
        b.Node("Add", ["c2", "c3"], ["y"]);
        Assert.That(Assign(b), Is.True);
        var g = b.Graph;
        Assert.That(Ops(g).Count(o => o == BlockedOps.ToBlocked), Is.EqualTo(1));
        Assert.That(Producer(g, "c1").OpType, Is.EqualTo("Conv"), "C = 3: libkerno's few-channel NCHW kernel");
        Node reorder = g.Nodes.Single(n => n.OpType == BlockedOps.ToBlocked);
        Assert.That(reorder.Inputs[0], Is.EqualTo("c1"));
        Assert.That(g.Nodes.Where(n => n.OpType == BlockedOps.Conv).Select(n => n.Inputs[0]), Is.All.EqualTo(reorder.Outputs[0]));
        Assert.That(Producer(g, "y").OpType, Is.EqualTo(BlockedOps.FromBlocked), "the graph output keeps its name and NCHW layout");
        Assert.That(((TensorTypeInfo)g.ValueTypes[reorder.Outputs[0]]).Shape, Is.EqualTo(new Dim[] { 1, 32, 8, 8 }), "20 channels padded to 32");
        Assert.That(new AssignBlockedLayout(B).Apply(g, Context), Is.False, "a second run changes nothing");
    }

    [Test]
    public void PoolsConcatAndElementwiseOpsStayBlockedBetweenConvs()
    {
        var b = new GraphBuilder().Input("x", 2, 16, 9, 9).Output("y");
        b.Constant("w1", W(16, 16)).Constant("w2", W(16, 16)).Constant("w3", W(32, 32, 1, 1)).Constant("half", Tensor.Scalar(0.5f));
        b.Node("Conv", ["x", "w1"], ["a"], Same3x3);
        b.Node("Relu", ["a"], ["ar"]);
        b.Node("Conv", ["ar", "w2"], ["c"], Same3x3);
        b.Node("Add", ["c", "ar"], ["s"]);
        b.Node("Mul", ["s", "half"], ["m"]);
        b.Node("Dropout", ["m"], ["md", "mask"]); // the mask is never read: an identity
        b.Node("Concat", ["md", "ar"], ["cat"], Int("axis", 1));
        b.Node("MaxPool", ["cat"], ["p"], GraphBuilder.Ints("kernel_shape", 2, 2), GraphBuilder.Ints("strides", 2, 2));
        b.Node("Conv", ["p", "w3"], ["q"]);
        b.Node("GlobalAveragePool", ["q"], ["y"]);
        Assert.That(Assign(b), Is.True);
        var ops = Ops(b.Graph);
        Assert.That(ops, Is.EqualTo(new[]
        {
            BlockedOps.ToBlocked, BlockedOps.Conv, "Relu", BlockedOps.Conv, "Add", "Mul", "Dropout", "Concat", "BlockedMaxPool", BlockedOps.Conv, "BlockedGlobalAveragePool",
        }), string.Join(", ", ops));
        // The global pool's [2, 32, 1, 1] output with 32 = 2 blocks is NCHW already: no reorder, the name is the graph output's.
        Assert.That(b.Graph.Nodes[^1].Outputs[0], Is.EqualTo("y"));
        Assert.That(b.Graph.Nodes.Where(n => n.OpType == "BlockedMaxPool").Single().GetInt("block"), Is.EqualTo(B));
    }

    [Test]
    public void GlobalPoolOfChannelsNotMultipleOfTheBlockIsSlicedBackToNchw()
    {
        var b = new GraphBuilder().Input("x", 1, 8, 5, 5).Output("y");
        b.Constant("w0", W(8, 8)).Constant("w", W(20, 8));
        b.Node("Conv", ["x", "w0"], ["c0"], Same3x3);
        b.Node("Conv", ["c0", "w"], ["c"], Same3x3);
        b.Node("GlobalAveragePool", ["c"], ["y"]);
        Assert.That(Assign(b), Is.True);
        Node last = b.Graph.Nodes[^1];
        Assert.That((last.OpType, last.Outputs[0], last.GetInt("channels")), Is.EqualTo((BlockedOps.FromBlocked, "y", 20L)));
    }

    [Test]
    public void ARegionWithoutAConvIsLeftNchw()
    {
        var b = new GraphBuilder().Input("x", 1, 32, 8, 8).Output("y");
        b.Node("Relu", ["x"], ["r"]);
        b.Node("MaxPool", ["r"], ["p"], GraphBuilder.Ints("kernel_shape", 2, 2));
        b.Node("Add", ["p", "p"], ["y"]);
        Assert.That(Assign(b), Is.False);
        Assert.That(Ops(b.Graph), Is.EqualTo(new[] { "Relu", "MaxPool", "Add" }));
    }

    [Test]
    public void ALoneConvStaysNchw()
    {
        // ShuffleNet's depthwise convs between channel shuffles: reorders around each would only add work.
        var b = new GraphBuilder().Input("x", 1, 24, 8, 8).Output("y");
        b.Constant("wd", W(24, 1)).Constant("shape", Tensor.Vector(1L, 2L, 12L, 64L));
        b.Node("Conv", ["x", "wd"], ["d"], Same3x3, Int("group", 24));
        b.Node("Relu", ["d"], ["r"]);
        b.Node("Reshape", ["r", "shape"], ["y"]);
        Assert.That(Assign(b), Is.False);
        Assert.That(Ops(b.Graph), Is.EqualTo(new[] { "Conv", "Relu", "Reshape" }));
    }

    [Test]
    public void GroupsTheBlockedKernelsCannotTakeStayNchw()
    {
        var b = new GraphBuilder().Input("x", 1, 32, 8, 8).Output("g2").Output("dw").Output("g2ok");
        b.Constant("wg", W(32, 16)).Constant("wd", W(32, 1)).Constant("wok", W(64, 32, 1, 1));
        b.Node("Conv", ["x", "wg"], ["g2"], Same3x3, Int("group", 2));   // C/group = 16: a multiple of 16
        b.Node("Conv", ["x", "wd"], ["dw"], Same3x3, Int("group", 32));  // depthwise
        b.Constant("wg4", W(32, 8));
        b.Node("Conv", ["x", "wg4"], ["g4"], Same3x3, Int("group", 4));  // C/group = 8: not a multiple of 16
        b.Node("Conv", ["g4", "wok"], ["g2ok"]);
        Assert.That(Assign(b), Is.True);
        var g = b.Graph;
        Assert.That(g.Nodes.Single(n => n.Name.StartsWith("Conv_0")).OpType, Is.EqualTo(BlockedOps.Conv));
        Assert.That(g.Nodes.Single(n => n.Name.StartsWith("Conv_1")).OpType, Is.EqualTo(BlockedOps.Conv));
        Assert.That(g.Nodes.Single(n => n.Name.StartsWith("Conv_2")).OpType, Is.EqualTo("Conv"));
        Assert.That(g.Nodes.Single(n => n.Name.StartsWith("Conv_3")).OpType, Is.EqualTo("Conv"), "alone in its region (its input is NCHW)");
        Assert.That(g.Nodes.Count(n => n.OpType == BlockedOps.ToBlocked), Is.EqualTo(1), "x once for both blocked readers");
        Assert.That(g.Nodes.Count(n => n.OpType == BlockedOps.FromBlocked), Is.EqualTo(2), "one per blocked graph output");
    }

    [Test]
    public void ConcatOfChannelsNotMultipleOfTheBlockReadsNchw()
    {
        var b = new GraphBuilder().Input("x", 1, 8, 6, 6).Output("y");
        b.Constant("w1", W(24, 8)).Constant("w2", W(24, 8));
        b.Node("Conv", ["x", "w1"], ["a"], Same3x3);
        b.Node("Conv", ["x", "w2"], ["c"], Same3x3);
        b.Node("Concat", ["a", "c"], ["y"], Int("axis", 1));
        Assert.That(Assign(b), Is.True);
        Assert.That(Producer(b.Graph, "y").OpType, Is.EqualTo("Concat"));
        Assert.That(Producer(b.Graph, "a").OpType, Is.EqualTo(BlockedOps.FromBlocked));
        Assert.That(Producer(b.Graph, "c").OpType, Is.EqualTo(BlockedOps.FromBlocked));
    }

    [Test]
    public void ResidualFromAnNchwValueIsReordered()
    {
        var b = new GraphBuilder().Input("x", 1, 16, 6, 6).Input("z", 1, 16, 6, 6).Output("y");
        b.Constant("w", W(16, 16)).Constant("w0", W(16, 16));
        b.Node("Conv", ["x", "w0"], ["a"], Same3x3);
        var conv = new Node("fc", "FusedConv", FusedOps.Domain, ["a", "w", "", "z"], ["y"], [Same3x3]);
        b.Graph.Nodes.Add(conv);
        b.Graph.ValueTypes["y"] = new TensorTypeInfo(DataType.Float, new List<Dim> { 1, 16, 6, 6 });
        Assert.That(Assign(b), Is.True);
        Node blocked = b.Graph.Nodes.Single(n => n.Name == "fc");
        Assert.That(blocked.OpType, Is.EqualTo(BlockedOps.Conv));
        Assert.That(Producer(b.Graph, blocked.Inputs[0]).OpType, Is.EqualTo(BlockedOps.Conv));
        Assert.That(Producer(b.Graph, blocked.Inputs[3]).OpType, Is.EqualTo(BlockedOps.ToBlocked));
        Assert.That(b.Graph.Nodes.Count(n => n.OpType == BlockedOps.ToBlocked), Is.EqualTo(2), "x and z");
        Assert.That((blocked.Inputs[1], blocked.Inputs[2]), Is.EqualTo(("w", "")));
        Assert.That(Producer(b.Graph, "y").OpType, Is.EqualTo(BlockedOps.FromBlocked));
    }

    [Test]
    public void OnlyNativeSessionsAtAllAssignTheLayout()
    {
        Model Make()
        {
            var b = new GraphBuilder().Input("x", 1, 8, 6, 6).Output("y");
            b.Constant("w1", W(16, 8)).Constant("w2", W(16, 16));
            b.Node("Conv", ["x", "w1"], ["a"], Same3x3);
            b.Node("Conv", ["a", "w2"], ["y"], Same3x3);
            var m = new Model { Graph = b.Graph, IrVersion = 8 };
            m.OpsetImports[""] = 17;
            return m;
        }
        bool HasBlocked(SessionOptions o)
        {
            using var s = new InferenceSession(Make(), o);
            return s.OptimizedModel.Graph.Nodes.Any(BlockedOps.Is);
        }
        Assert.Multiple(() =>
        {
            Assert.That(HasBlocked(new SessionOptions { Backend = ExecutionBackend.Native }), Is.True);
            Assert.That(HasBlocked(new SessionOptions { Backend = ExecutionBackend.Reference }), Is.False);
            Assert.That(HasBlocked(new SessionOptions { Backend = ExecutionBackend.Native, OptimizationLevel = OptimizationLevel.Extended }), Is.False);
        });
    }
}
