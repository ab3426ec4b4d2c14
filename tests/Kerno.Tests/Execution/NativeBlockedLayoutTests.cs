using Kerno.Graph;
using Kerno.Kernels;
using Kerno.Optimizer;
using Kerno.Optimizer.Passes;
using Kerno.Tests.Optimizer;

namespace Kerno.Tests.Execution;

/// <summary>
/// Native sessions with the layout pass (tensors kept NCHWc between blocked kernels) against the reference backend on
/// the graph as loaded: random CNNs with a residual block, pools, depthwise and grouped convs, a concat, channel counts
/// that are not multiples of the block, a blocked value as a graph output, batch 1 and 2, 1 and 2 threads, and the AVX2
/// kernel set (block 8) where the CPU has it.
/// </summary>
[NonParallelizable] // one test forces the kernel set
public class NativeBlockedLayoutTests
{
    private static AttributeValue Int(string name, long v) => new() { Name = name, Kind = AttributeKind.Int, Int = v };

    private static AttributeValue Float(string name, float v) => new() { Name = name, Kind = AttributeKind.Float, Float = v };

    private static readonly AttributeValue Pad1 = GraphBuilder.Ints("pads", 1, 1, 1, 1);

    private static Tensor<float> Positive(Tensor<float> t)
    {
        foreach (ref float v in t.Span)
            v = Math.Abs(v) + 0.5f;
        return t;
    }

    /// <summary>x [n, 3, 13, 11] through 8 convolutions (7 blocked) to y1 = GlobalAveragePool (flattened) and y2 = a 24-channel blocked conv's output.</summary>
    internal static Model Cnn(int seed, int n)
    {
        var rng = new Random(seed);
        var b = new GraphBuilder().Input("x", n, 3, 13, 11).Output("y1").Output("y2");
        Tensor<float> R(params int[] shape) => NativeBackendTests.Random(rng, shape);
        b.Constant("w1", R(20, 3, 3, 3)).Constant("b1", R(20)).Constant("w2", R(20, 20, 3, 3)).Constant("b2", R(20));
        b.Constant("wd", R(20, 1, 3, 3)).Constant("bd", R(20)).Constant("w3", R(24, 20, 1, 1)).Constant("b3", R(24));
        b.Constant("w4", R(16, 24, 3, 3)).Constant("w5", R(16, 24, 1, 1)).Constant("wg", R(32, 16, 3, 3)).Constant("w6", R(32, 32, 3, 3));
        b.Constant("bn_s", R(32)).Constant("bn_b", R(32)).Constant("bn_m", R(32)).Constant("bn_v", Positive(R(32)));
        b.Constant("lo", Tensor.Scalar(0f)).Constant("hi", Tensor.Scalar(6f)).Constant("half", Tensor.Scalar(0.5f));
        b.Node("Conv", ["x", "w1", "b1"], ["c1"], Pad1);                       // C = 3: stays NCHW
        b.Node("Relu", ["c1"], ["r1"]);
        b.Node("Conv", ["r1", "w2", "b2"], ["c2"], Pad1);                      // residual block on 20 (padded) channels
        b.Node("Add", ["c2", "r1"], ["s2"]);
        b.Node("Relu", ["s2"], ["r2"]);
        b.Node("MaxPool", ["r2"], ["p2"], GraphBuilder.Ints("kernel_shape", 3, 3), GraphBuilder.Ints("strides", 2, 2), Pad1);
        b.Node("Conv", ["p2", "wd", "bd"], ["cd"], Pad1, Int("group", 20));     // depthwise
        b.Node("Clip", ["cd", "lo", "hi"], ["rd"]);
        b.Node("Conv", ["rd", "w3", "b3"], ["c3"], GraphBuilder.Ints("strides", 2, 2)); // strided 1x1
        b.Node("Sigmoid", ["c3"], ["y2"]);                                    // padding lanes become sigmoid(0)
        b.Node("Conv", ["y2", "w4"], ["c4"], Pad1);
        b.Node("Conv", ["y2", "w5"], ["c5"]);
        b.Node("Concat", ["c4", "c5"], ["cat"], Int("axis", 1));
        b.Node("Mul", ["cat", "half"], ["m"]);
        b.Node("Conv", ["m", "wg"], ["cg"], Pad1, Int("group", 2));           // C/group = 16
        b.Node("LeakyRelu", ["cg"], ["lg"], Float("alpha", 0.1f));
        b.Node("BatchNormalization", ["lg", "bn_s", "bn_b", "bn_m", "bn_v"], ["bn"]); // after an activation: not folded
        b.Node("Conv", ["bn", "w6"], ["c6"], Pad1);
        b.Node("Add", ["c6", "m"], ["s6"]);
        b.Node("AveragePool", ["s6"], ["ap"], GraphBuilder.Ints("kernel_shape", 2, 2));
        b.Node("GlobalAveragePool", ["ap"], ["gp"]);
        b.Node("Flatten", ["gp"], ["y1"]);
        return NativeBackendTests.ModelOf(b);
    }

    private static void AssertNativeMatchesReference(int batch, int threads, string expectTag)
    {
        var x = NativeBackendTests.Random(new Random(7 + batch), batch, 3, 13, 11);
        var feeds = new Dictionary<string, Tensor> { ["x"] = x };
        using var reference = new InferenceSession(Cnn(3, batch), new SessionOptions { Backend = ExecutionBackend.Reference, OptimizationLevel = OptimizationLevel.None });
        var expected = reference.Run(feeds);
        using var native = new InferenceSession(Cnn(3, batch), new SessionOptions { Backend = ExecutionBackend.Native, IntraOpThreads = threads });
        var kernels = native.NativeExecutor!.Compiled.Steps.Select(s => s.KernelName).ToList();
        Assert.That(kernels.Count(k => k.StartsWith("conv-" + expectTag, StringComparison.Ordinal)), Is.EqualTo(7), string.Join(", ", kernels));
        Assert.That(kernels, Has.Some.StartsWith("batchnorm-" + expectTag));
        Assert.That(kernels, Has.Some.StartsWith("maxpool2d-" + expectTag).And.Some.StartsWith("global-avgpool-" + expectTag).And.Some.StartsWith("avgpool2d-" + expectTag));
        Assert.That(kernels.Count(k => k.StartsWith("reorder-to-", StringComparison.Ordinal)), Is.EqualTo(1), "once, after the first conv");
        Assert.That(kernels.Count(k => k.StartsWith("reorder-from-", StringComparison.Ordinal)), Is.EqualTo(1), "y2 only: the pooled 32 channels are whole blocks");
        for (int round = 0; round < 2; ++round)
        {
            var actual = native.Run(feeds);
            for (int o = 0; o < expected.Count; ++o)
            {
                var e = (Tensor<float>)expected[o].AsTensor();
                var a = (Tensor<float>)actual[o].AsTensor();
                Assert.That(a.Shape.ToArray(), Is.EqualTo(e.Shape.ToArray()), $"output {o} shape");
                for (int i = 0; i < e.Length; ++i)
                    Assert.That(a[i], Is.EqualTo(e[i]).Within(2e-4 + 1e-3 * Math.Abs(e[i])), $"output {o} element {i}, batch {batch}, {threads} threads, round {round}");
            }
        }
    }

    [Test]
    public void BlockedCnnMatchesTheReference([Values(1, 2)] int batch, [Values(1, 2)] int threads) =>
        AssertNativeMatchesReference(batch, threads, $"nchwc{NnKernels.NchwcBlock}");

    [Test]
    public void BlockedCnnMatchesTheReferenceOnAvx2([Values(1, 2)] int batch)
    {
        KernelIsa saved = KernoRuntimeInfo.ActiveIsa;
        try
        {
            KernoRuntimeInfo.ForceIsa(KernelIsa.Avx2);
        }
        catch (NotSupportedException)
        {
            Assert.Ignore("this CPU has no AVX2");
        }
        try
        {
            Assert.That(NnKernels.NchwcBlock, Is.EqualTo(8));
            AssertNativeMatchesReference(batch, 2, "nchwc8");
        }
        finally
        {
            KernoRuntimeInfo.ForceIsa(saved);
        }
    }

    [Test]
    public void ReferenceBackendRunsTheBlockedGraph([Values(4, 8, 16)] int block)
    {
        // The blocked ops' reference implementations: the pass with an explicit block on the reference backend.
        var feeds = new Dictionary<string, Tensor> { ["x"] = NativeBackendTests.Random(new Random(11), 2, 3, 13, 11) };
        using var plain = new InferenceSession(Cnn(5, 2), new SessionOptions { Backend = ExecutionBackend.Reference, OptimizationLevel = OptimizationLevel.None });
        using var blocked = new InferenceSession(Cnn(5, 2), new SessionOptions
        {
            Backend = ExecutionBackend.Reference, OptimizationLevel = OptimizationLevel.None, GraphPasses = [new AssignBlockedLayout(block)],
        });
        // Unfused, the residual Add reads an NCHW value, so the conv before it is alone in its region and stays NCHW.
        Assert.That(blocked.OptimizedModel.Graph.Nodes.Count(n => n.OpType == BlockedOps.Conv), Is.EqualTo(6));
        var expected = plain.Run(feeds);
        var actual = blocked.Run(feeds);
        for (int o = 0; o < expected.Count; ++o)
        {
            var e = (Tensor<float>)expected[o].AsTensor();
            var a = (Tensor<float>)actual[o].AsTensor();
            Assert.That(a.Shape.ToArray(), Is.EqualTo(e.Shape.ToArray()));
            for (int i = 0; i < e.Length; ++i)
                Assert.That(a[i], Is.EqualTo(e[i]).Within(1e-5 + 1e-5 * Math.Abs(e[i])), $"output {o} element {i}");
        }
    }

    [Test]
    public void ShapesOtherThanThePlannedOnesFallBackCorrectly()
    {
        // A free batch dimension: the blocked steps see a batch the session did not plan for.
        Model Make()
        {
            Model m = Cnn(9, 1);
            m.Graph.Inputs[0] = new ValueInfo("x", new TensorTypeInfo(DataType.Float, new List<Dim> { new(null, "N"), 3, 13, 11 }));
            return m;
        }
        var feeds = new Dictionary<string, Tensor> { ["x"] = NativeBackendTests.Random(new Random(13), 3, 3, 13, 11) };
        using var reference = new InferenceSession(Make(), new SessionOptions { Backend = ExecutionBackend.Reference, OptimizationLevel = OptimizationLevel.None });
        using var native = new InferenceSession(Make(), new SessionOptions { Backend = ExecutionBackend.Native, IntraOpThreads = 2 });
        var e = (Tensor<float>)reference.Run(feeds)[0].AsTensor();
        var a = (Tensor<float>)native.Run(feeds)[0].AsTensor();
        Assert.That(a.Shape.ToArray(), Is.EqualTo(e.Shape.ToArray()));
        for (int i = 0; i < e.Length; ++i)
            Assert.That(a[i], Is.EqualTo(e[i]).Within(2e-4 + 1e-3 * Math.Abs(e[i])), $"element {i}");
    }
}
