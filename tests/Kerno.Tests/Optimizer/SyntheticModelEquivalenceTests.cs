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

    /// <summary>
    /// PP-LCNetV3 as Paddle exports it: every conv followed by a scalar scale and shift, HardSwish written out
    /// (x * Clip(x + 3, 0, 6) / 6 and x * HardSigmoid(x)), a per-channel scale, a scale and shift before a padded and an
    /// unpadded conv, Swish as x * Sigmoid(x * 1).
    /// </summary>
    internal static Model LcnetBlock(int seed)
    {
        var rng = new Random(seed);
        var b = new GraphBuilder().Input("x", 1, 4, 6, 5).Output("y");
        b.Constant("w1", Random(rng, 8, 4, 3, 3)).Constant("b1", Random(rng, 8));
        b.Constant("w2", Random(rng, 8, 1, 3, 3)).Constant("w3", Random(rng, 6, 8, 1, 1)).Constant("b3", Random(rng, 6));
        b.Constant("s1", Tensor.Vector(1.7f)).Constant("t1", Tensor.Vector(0.3f)).Constant("s2", Tensor.Vector(0.6f)).Constant("t2", Tensor.Vector(-0.2f));
        b.Constant("sc", Random(rng, 8, 1, 1)).Constant("three", Tensor.Scalar(3f)).Constant("six", Tensor.Scalar(6f)).Constant("zero", Tensor.Scalar(0f));
        b.Constant("one", Tensor.Scalar(1f));
        var pads = GraphBuilder.Ints("pads", 1, 1, 1, 1);
        b.Node("Conv", ["x", "w1", "b1"], ["c1"], pads);
        b.Node("Mul", ["s1", "c1"], ["m1"]);
        b.Node("Add", ["m1", "t1"], ["a1"]);
        b.Node("Add", ["a1", "three"], ["h1"]);
        b.Node("Clip", ["h1", "zero", "six"], ["h2"]);
        b.Node("Mul", ["a1", "h2"], ["h3"]);
        b.Node("Div", ["h3", "six"], ["h4"]);
        b.Node("Mul", ["s2", "h4"], ["m2"]);
        b.Node("Add", ["m2", "t2"], ["a2"]);
        b.Node("Conv", ["a2", "w2"], ["c2"], pads, new AttributeValue { Name = "group", Kind = AttributeKind.Int, Int = 8 });
        b.Node("Mul", ["c2", "sc"], ["m3"]);
        b.Node("Sub", ["m3", "t1"], ["a3"]);
        b.Node("HardSigmoid", ["a3"], ["g3"], GraphBuilder.Float("alpha", 1 / 6f), GraphBuilder.Float("beta", 0.5f));
        b.Node("Mul", ["a3", "g3"], ["h5"]);
        b.Node("Mul", ["h5", "s2"], ["h6"]);
        b.Node("Sub", ["h6", "t1"], ["h7"]);
        b.Node("Conv", ["h7", "w3", "b3"], ["c3"]);
        b.Node("Mul", ["c3", "one"], ["c3one"]);
        b.Node("Sigmoid", ["c3one"], ["sg"]);
        b.Node("Mul", ["c3", "sg"], ["y"]);
        var model = new Model { Graph = b.Graph, IrVersion = 8 };
        model.OpsetImports[""] = 17;
        return model;
    }

    /// <summary>A transformer MLP as exported before opset 17: LayerNorm in primitive ops (with and without gamma/beta), MatMul+bias+Swish.</summary>
    internal static Model TransformerMlp(int seed)
    {
        var rng = new Random(seed);
        var b = new GraphBuilder().Input("x", 2, 5, 8).Output("y");
        b.Constant("gamma", Random(rng, 8)).Constant("beta", Random(rng, 8)).Constant("w", Random(rng, 8, 6)).Constant("bias", Random(rng, 6));
        b.Constant("two", Tensor.Scalar(2f)).Constant("eps", Tensor.Scalar(1e-5f)).Constant("eps2", Tensor.Vector(1e-6f)).Constant("one", Tensor.Scalar(1f));
        var last = GraphBuilder.Ints("axes", -1);
        void LayerNorm(string x, string y, string eps, bool affine)
        {
            b.Node("ReduceMean", [x], [y + "_m"], last);
            b.Node("Sub", [x, y + "_m"], [y + "_d"]);
            b.Node("Pow", [y + "_d", "two"], [y + "_p"]);
            b.Node("ReduceMean", [y + "_p"], [y + "_v"], GraphBuilder.Ints("axes", 2));
            b.Node("Add", [eps, y + "_v"], [y + "_e"]);
            b.Node("Sqrt", [y + "_e"], [y + "_s"]);
            b.Node("Div", [y + "_d", y + "_s"], affine ? [y + "_n"] : [y]);
            if (!affine)
                return;
            b.Node("Mul", [y + "_n", "gamma"], [y + "_g"]);
            b.Node("Add", [y + "_g", "beta"], [y]);
        }
        LayerNorm("x", "ln1", "eps", affine: true);
        b.Node("MatMul", ["ln1", "w"], ["mm"]);
        b.Node("Add", ["mm", "bias"], ["mb"]);
        b.Node("Mul", ["mb", "one"], ["mb1"]);
        b.Node("Sigmoid", ["mb1"], ["sg"]);
        b.Node("Mul", ["sg", "mb"], ["sw"]);
        LayerNorm("sw", "y", "eps2", affine: false);
        var model = new Model { Graph = b.Graph, IrVersion = 8 };
        model.OpsetImports[""] = 13;
        return model;
    }

    /// <summary>Element-wise chains after a fused MatMul: per-channel, scalar and full-shape operands, Clip, x * Sigmoid(x) on a plain tensor.</summary>
    internal static Model EltwiseTail(int seed)
    {
        var rng = new Random(seed);
        var b = new GraphBuilder().Input("x", 2, 6, 10).Output("y");
        b.Constant("w", Random(rng, 10, 10)).Constant("bias", Random(rng, 10)).Constant("ch", Random(rng, 6, 1));
        b.Constant("two", Tensor.Scalar(2f)).Constant("lo", Tensor.Scalar(-0.4f)).Constant("hi", Tensor.Scalar(0.9f));
        b.Node("MatMul", ["x", "w"], ["mm"]);
        b.Node("Add", ["mm", "bias"], ["mb"]);
        b.Node("Softmax", ["x"], ["s"]);
        b.Node("Mul", ["mb", "s"], ["a"]);
        b.Node("Sub", ["a", "ch"], ["d"]);
        b.Node("Div", ["d", "two"], ["q"]);
        b.Node("Clip", ["q", "lo", "hi"], ["e"]);
        b.Node("Sigmoid", ["e"], ["g"]);
        b.Node("Mul", ["e", "g"], ["sw"]);
        b.Node("Tanh", ["sw"], ["t"]);
        b.Node("Add", ["t", "s"], ["y"]);
        var model = new Model { Graph = b.Graph, IrVersion = 8 };
        model.OpsetImports[""] = 13;
        return model;
    }

    [Test]
    public void AllLevelFusesTheElementwiseTail()
    {
        using var s = new InferenceSession(EltwiseTail(1), new SessionOptions { OptimizationLevel = OptimizationLevel.All });
        var nodes = s.OptimizedModel.Graph.Nodes.Select(n => n.OpType).ToList();
        Assert.That(nodes, Is.EqualTo(new[] { "FusedMatMul", "Softmax", "ElementwiseChain", "ElementwiseChain" }), string.Join(", ", nodes));
        Assert.That(s.NativeExecutor!.Compiled.Steps.Select(st => st.KernelName), Has.Exactly(2).EqualTo("eltwise-chain"));
    }

    [Test]
    public void AllLevelFusesTheTransformerMlp()
    {
        using var s = new InferenceSession(TransformerMlp(1), new SessionOptions { OptimizationLevel = OptimizationLevel.All });
        var nodes = s.OptimizedModel.Graph.Nodes.Select(n => n.OpType + (n.Has("activation") ? "+" + n.GetString("activation", "") : "")).ToList();
        Assert.That(nodes, Is.EqualTo(new[] { "LayerNormalization", "FusedMatMul+Silu", "LayerNormalization" }), string.Join(", ", nodes));
        Assert.That(s.NativeExecutor!.Compiled.Steps.Select(st => st.KernelName), Has.Exactly(2).EqualTo("layernorm"));
    }

    [Test]
    public void AllLevelFoldsTheLcnetBlockIntoThreeConvolutions()
    {
        using var s = new InferenceSession(LcnetBlock(1), new SessionOptions { OptimizationLevel = OptimizationLevel.All, Backend = ExecutionBackend.Reference }); // no layout pass
        var nodes = s.OptimizedModel.Graph.Nodes.Select(n => n.OpType + (n.Has("activation") ? "+" + n.GetString("activation", "") : "")).ToList();
        Assert.That(nodes, Is.EqualTo(new[] { "FusedConv+HardSwish", "BatchNormalization", "FusedConv+HardSwish", "FusedConv+Silu" }), string.Join(", ", nodes));
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        var passes = GraphOptimizer.PassesFor(OptimizationLevel.All).DistinctBy(p => p.Name).ToList();
        foreach (string model in new[] { nameof(ResidualCnn), nameof(Mlp), nameof(BiasAddCnn), nameof(LcnetBlock), nameof(TransformerMlp), nameof(EltwiseTail) })
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
        Func<int, Model> make = modelName switch { nameof(ResidualCnn) => ResidualCnn, nameof(LcnetBlock) => LcnetBlock, nameof(TransformerMlp) => TransformerMlp, nameof(BiasAddCnn) => BiasAddCnn, nameof(EltwiseTail) => EltwiseTail, _ => Mlp };
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
