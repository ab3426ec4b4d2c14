using Kerno.Graph;
using Kerno.Optimizer;

namespace Kerno.Tests.Optimizer;

/// <summary>
/// Each pass, alone and in its level, on small CNN and MLP graphs with random weights that contain every
/// pattern the passes rewrite: the optimized graph must compute what the loaded graph computes.
/// </summary>
public class SyntheticModelEquivalenceTests
{
    private static Tensor<float> Random(Random rng, params int[] shape)
    {
        var t = new Tensor<float>(shape);
        foreach (ref float v in t.Span)
            v = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    private static Tensor<float> Positive(Random rng, params int[] shape)
    {
        var t = Random(rng, shape);
        foreach (ref float v in t.Span)
            v = Math.Abs(v) + 0.1f;
        return t;
    }

    /// <summary>Conv+BN+Relu, Conv+BN+residual Add+Relu, Transpose pairs, Identity, Dropout, a folded ConstantOfShape bias.</summary>
    internal static Model ResidualCnn(int seed)
    {
        var rng = new Random(seed);
        var b = new GraphBuilder().Input("x", 1, 3, 7, 6).Output("y");
        var g = b.Graph;
        b.Constant("w1", Random(rng, 8, 3, 3, 3)).Constant("b1", Random(rng, 8));
        b.Constant("w2", Random(rng, 8, 8, 3, 3));
        foreach (string bn in new[] { "bn1", "bn2" })
            b.Constant($"{bn}_g", Random(rng, 8)).Constant($"{bn}_b", Random(rng, 8)).Constant($"{bn}_m", Random(rng, 8)).Constant($"{bn}_v", Positive(rng, 8));
        b.Constant("shape", Tensor.Vector(1L, 8L, 1L, 1L));
        var pads = GraphBuilder.Ints("pads", 1, 1, 1, 1);
        b.Node("Conv", ["x", "w1", "b1"], ["c1"], pads);
        b.Node("BatchNormalization", ["c1", "bn1_g", "bn1_b", "bn1_m", "bn1_v"], ["n1"]);
        b.Node("Relu", ["n1"], ["r1"]);
        b.Node("Identity", ["r1"], ["r1i"]);
        b.Node("Conv", ["r1i", "w2"], ["c2"], pads);
        b.Node("BatchNormalization", ["c2", "bn2_g", "bn2_b", "bn2_m", "bn2_v"], ["n2"]);
        b.Node("Add", ["n2", "r1"], ["s"]);
        b.Node("Relu", ["s"], ["r2"]);
        b.Node("Transpose", ["r2"], ["t1"], GraphBuilder.Ints("perm", 0, 2, 3, 1));
        b.Node("Transpose", ["t1"], ["t2"], GraphBuilder.Ints("perm", 0, 3, 1, 2));
        b.Node("Dropout", ["t2"], ["d"]);
        b.Node("ConstantOfShape", ["shape"], ["bias"], new AttributeValue { Name = "value", Kind = AttributeKind.Tensor, Tensor = Tensor.Vector(0.25f) });
        b.Node("Add", ["d", "bias"], ["y"]);
        var shape = new TensorTypeInfo(DataType.Float, new List<Dim> { 1, 8, 7, 6 });
        g.ValueTypes["n2"] = g.ValueTypes["c2"] = g.ValueTypes["r1"] = shape;
        var model = new Model { Graph = g, IrVersion = 8 };
        model.OpsetImports[""] = 17;
        return model;
    }

    /// <summary>MatMul+bias+Clip on a 3-D activation, Gemm+LeakyRelu, Gemm+Sigmoid.</summary>
    internal static Model Mlp(int seed)
    {
        var rng = new Random(seed);
        var b = new GraphBuilder().Input("x", 2, 5, 16).Output("y");
        b.Constant("w", Random(rng, 16, 12)).Constant("bias", Random(rng, 12));
        b.Constant("wg", Random(rng, 12, 6)).Constant("cg", Random(rng, 6)).Constant("lo", Tensor.Scalar(0f)).Constant("hi", Tensor.Scalar(0.5f));
        b.Constant("flat", Tensor.Vector(10L, 12L));
        b.Node("MatMul", ["x", "w"], ["m"]);
        b.Node("Add", ["bias", "m"], ["mb"]);
        b.Node("Clip", ["mb", "lo", "hi"], ["c"]);
        b.Node("Reshape", ["c", "flat"], ["r"]);
        b.Node("Gemm", ["r", "wg", "cg"], ["gm"], GraphBuilder.Float("alpha", 0.5f));
        b.Node("LeakyRelu", ["gm"], ["y"], GraphBuilder.Float("alpha", 0.1f));
        var model = new Model { Graph = b.Graph, IrVersion = 8 };
        model.OpsetImports[""] = 17;
        return model;
    }

    /// <summary>Conv + Add of per-channel constants shaped [K,1,1], [1,K,1,1] and [1] (CNTK-style biases), batch 2.</summary>
    internal static Model BiasAddCnn(int seed)
    {
        var rng = new Random(seed);
        var b = new GraphBuilder().Input("x", 2, 3, 6, 5).Output("y");
        b.Constant("w1", Random(rng, 4, 3, 3, 3)).Constant("c1", Random(rng, 4, 1, 1));
        b.Constant("w2", Random(rng, 4, 4, 1, 1)).Constant("b2", Random(rng, 4)).Constant("c2", Random(rng, 1, 4, 1, 1));
        b.Constant("w3", Random(rng, 4, 4, 1, 1)).Constant("c3", Random(rng, 1));
        b.Node("Conv", ["x", "w1"], ["v1"], GraphBuilder.Ints("pads", 1, 1, 1, 1));
        b.Node("Add", ["v1", "c1"], ["a1"]);
        b.Node("Relu", ["a1"], ["r1"]);
        b.Node("Conv", ["r1", "w2", "b2"], ["v2"]);
        b.Node("Add", ["c2", "v2"], ["a2"]);
        b.Node("Conv", ["a2", "w3"], ["v3"]);
        b.Node("Add", ["v3", "c3"], ["y"]);
        var model = new Model { Graph = b.Graph, IrVersion = 8 };
        model.OpsetImports[""] = 17;
        return model;
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        var passes = GraphOptimizer.PassesFor(OptimizationLevel.All).DistinctBy(p => p.Name).ToList();
        foreach (string model in new[] { nameof(ResidualCnn), nameof(Mlp), nameof(BiasAddCnn) })
        {
            foreach (IGraphPass pass in passes)
                yield return new TestCaseData(model, pass.Name, OptimizationLevel.None).SetName($"{{m}}({model}, {pass.Name})");
            foreach (OptimizationLevel level in new[] { OptimizationLevel.Basic, OptimizationLevel.Extended, OptimizationLevel.All })
                yield return new TestCaseData(model, null, level).SetName($"{{m}}({model}, level {level})");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void OptimizedGraphComputesTheSame(string modelName, string? passName, OptimizationLevel level)
    {
        Func<int, Model> make = modelName switch { nameof(ResidualCnn) => ResidualCnn, nameof(Mlp) => Mlp, _ => BiasAddCnn };
        Model model = make(1);
        var input = Random(new Random(2), model.Graph.Inputs[0].Type is TensorTypeInfo t ? t.Shape!.Select(d => (int)d.Value!).ToArray() : []);
        var feeds = new Dictionary<string, Tensor> { ["x"] = input };

        using var plain = new InferenceSession(make(1), new SessionOptions { OptimizationLevel = OptimizationLevel.None });
        var options = new SessionOptions { OptimizationLevel = level };
        if (passName is not null)
            options.GraphPasses = [GraphOptimizer.PassesFor(OptimizationLevel.All).First(p => p.Name == passName)];
        using var optimized = new InferenceSession(model, options);

        var expected = (Tensor<float>)plain.Run(feeds).Single().AsTensor();
        var actual = (Tensor<float>)optimized.Run(feeds).Single().AsTensor();
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(expected.Shape.ToArray()));
        for (int i = 0; i < expected.Length; ++i)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-4 + 1e-4 * Math.Abs(expected[i])), $"element {i}");
        if (level >= OptimizationLevel.Extended)
            Assert.That(optimized.OptimizedModel.Graph.Nodes.Count, Is.LessThan(plain.OptimizedModel.Graph.Nodes.Count), "the level should have fused something");
    }

    [Test]
    public void ExtendedLevelFusesTheResidualBlock()
    {
        using var s = new InferenceSession(ResidualCnn(1), new SessionOptions { OptimizationLevel = OptimizationLevel.Extended });
        var ops = s.OptimizedModel.Graph.Nodes.Select(n => n.OpType).ToList();
        Assert.That(ops, Is.EqualTo(new[] { "FusedConv", "FusedConv", "Add" }), string.Join(", ", ops));
    }

    [Test]
    public void ExtendedLevelFoldsEveryBiasAdd()
    {
        using var s = new InferenceSession(BiasAddCnn(1), new SessionOptions { OptimizationLevel = OptimizationLevel.Extended });
        var ops = s.OptimizedModel.Graph.Nodes.Select(n => n.OpType).ToList();
        Assert.That(ops, Is.EqualTo(new[] { "FusedConv", "Conv", "Conv" }), string.Join(", ", ops));
    }

    [Test]
    public void FeedingAnInitializerThatIsAlsoAnInputOverridesTheFoldedConstant()
    {
        Model Make()
        {
            Model m = ResidualCnn(1);
            m.Graph.Inputs.Add(new ValueInfo("w1", new TensorTypeInfo(DataType.Float, new List<Dim> { 8, 3, 3, 3 })));
            return m;
        }
        var x = Random(new Random(3), 1, 3, 7, 6);
        var w1 = Random(new Random(4), 8, 3, 3, 3);
        using var optimized = new InferenceSession(Make());
        using var plain = new InferenceSession(Make(), new SessionOptions { OptimizationLevel = OptimizationLevel.None });
        Assert.That(optimized.OverridableInitializers.Select(i => i.Name), Is.EqualTo(new[] { "w1" }));
        Assert.That(optimized.OptimizedModel.Graph.Nodes.Any(n => n.OpType == "BatchNormalization"), Is.False, "w1 is folded as a constant by default");

        foreach (var feeds in new[]
        {
            new Dictionary<string, Tensor> { ["x"] = x },
            new Dictionary<string, Tensor> { ["x"] = x, ["w1"] = w1 },
        })
        {
            var expected = (Tensor<float>)plain.Run(feeds).Single().AsTensor();
            var actual = (Tensor<float>)optimized.Run(feeds).Single().AsTensor();
            for (int i = 0; i < expected.Length; ++i)
                Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-4 + 1e-4 * Math.Abs(expected[i])), $"element {i} with {feeds.Count} feeds");
        }
    }
}
