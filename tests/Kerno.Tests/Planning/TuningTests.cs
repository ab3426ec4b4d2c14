using System.Text.Json.Nodes;
using Kerno.Cli;
using Kerno.Kernels;
using Kerno.Onnx.Proto;
using Kerno.Planning;
using Kerno.Tests.Onnx;
using Kerno.Tuning;
using Kerno.Tests.Cli;
using Kerno.Graph;

namespace Kerno.Tests.Planning;

/// <summary><c>kerno tune</c> and the tuning cache: written, read by later sessions, ignored when it does not fit,
/// never changing results beyond the kernels' tolerance.</summary>
[NonParallelizable]
public class TuningTests
{
    /// <summary>x[1,8,12,12] -> Conv 3x3 pad 1 (16) -> Relu -> Conv 1x1 (8) -> y.</summary>
    private static string TinyConvModel()
    {
        var rng = new Random(7);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var g = new GraphProto { Name = "tiny" };
        g.Input.Add(ProtoBuilder.Value("x", DataType.Float, 1, 8, 12, 12));
        g.Output.Add(ProtoBuilder.Value("y", DataType.Float, 1, 8, 12, 12));
        g.Initializer.Add(ProtoBuilder.FloatTensor("w1", R(16 * 8 * 9), 16, 8, 3, 3));
        g.Initializer.Add(ProtoBuilder.FloatTensor("b1", R(16), 16));
        g.Initializer.Add(ProtoBuilder.FloatTensor("w2", R(8 * 16), 8, 16, 1, 1));
        var pads = new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints };
        pads.Ints.Add([1, 1, 1, 1]);
        g.Node.Add(ProtoBuilder.Node("Conv", ["x", "w1", "b1"], ["c1"], "conv3x3", "", pads));
        g.Node.Add(ProtoBuilder.Node("Relu", ["c1"], ["r1"], "relu"));
        g.Node.Add(ProtoBuilder.Node("Conv", ["r1", "w2"], ["y"], "conv1x1"));
        string path = Path.Combine(TempDir.Create(), "tiny.onnx");
        File.WriteAllBytes(path, ProtoBuilder.Model(g).Bytes());
        return path;
    }

    private static Dictionary<string, Tensor> Input()
    {
        var rng = new Random(3);
        var x = new Tensor<float>([1, 8, 12, 12]);
        for (int i = 0; i < x.Length; ++i)
            x.Span[i] = (float)(rng.NextDouble() * 2 - 1);
        return new() { ["x"] = x };
    }

    // All (the default, what kerno tune measures): the layout pass makes both convs kerno.BlockedConv. Extended: NCHW
    // convolutions (kerno.FusedConv), where every algorithm is a candidate (blocked ones take direct, Winograd and
    // depthwise only: NativeBlockedLayoutTests).
    private const global::Kerno.Optimizer.OptimizationLevel Nchw = global::Kerno.Optimizer.OptimizationLevel.Extended;

    private static InferenceSession Native(string model, string? cache, global::Kerno.Optimizer.OptimizationLevel level = global::Kerno.Optimizer.OptimizationLevel.All) =>
        new(model, new SessionOptions { IntraOpThreads = 1, TuningCachePath = cache, OptimizationLevel = level });

    private static List<NativeConvStep> Convs(InferenceSession s) => s.NativeExecutor!.Compiled.Steps.OfType<NativeConvStep>().ToList();

    private static int[] InputShape(InferenceSession s, NativeConvStep step) => s.NativeExecutor!.StaticPlan!.Shapes[step.Inputs[0]]!;

    private static void AssertMatchesReference(string model, InferenceSession native)
    {
        using var reference = new InferenceSession(model, new SessionOptions { Backend = ExecutionBackend.Reference });
        var x = Input();
        var want = (Tensor<float>)reference.Run(x)[0].Value!;
        var got = (Tensor<float>)native.Run(x)[0].Value!;
        Assert.That(got.Shape.ToArray(), Is.EqualTo(want.Shape.ToArray()));
        for (int i = 0; i < want.Length; ++i)
            Assert.That(got.Span[i], Is.EqualTo(want.Span[i]).Within(2e-4 + 1e-3 * Math.Abs(want.Span[i])), $"element {i}");
    }

    private static (int Code, string Out, string Err) Kerno(params string[] args) => KernoCommand.Run(args);

    [Test]
    public void TuneWritesACacheThatLaterSessionsUse()
    {
        string model = TinyConvModel();
        string cache = Path.Combine(TempDir.Create(), "sub", "tiny.json");
        var (code, stdout, stderr) = Kerno("tune", model, "--threads", "1", "--runs", "2", "--warmup", "1", "--cache", cache);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("| conv3x3 |").And.Contain("| conv1x1 |").And.Contain("whole model"));
        Assert.That(File.Exists(cache));
        var root = JsonNode.Parse(File.ReadAllText(cache))!;
        Assert.That((string?)root["modelSha256"], Is.EqualTo(TuningCache.HashFile(model)));
        Assert.That((string?)root["cpu"], Is.EqualTo(CpuIdentity.Current));
        var nodes = root["threads"]!["1"]!["nodes"]!.AsArray();
        Assert.That(nodes.Select(n => (string?)n!["node"]), Is.EquivalentTo(new[] { "conv3x3", "conv1x1" }));

        using var session = Native(model, cache);
        Assert.That(session.Warnings, Is.Empty);
        foreach (NativeConvStep step in Convs(session))
        {
            Assert.That(step.IsTuned(InputShape(session, step)), step.Node.Name);
            string chosen = (string)nodes.First(n => (string?)n!["node"] == step.Node.Name)!["chosen"]!;
            Assert.That(step.AlgorithmFor(InputShape(session, step)).ToString(), Is.EqualTo(chosen));
        }
        AssertMatchesReference(model, session);

        (code, stdout, _) = Kerno("inspect", model, "--optimized", "--tuning-cache", cache);
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("(tuned)"));

        // Without the cache (another path), the same choices as before tuning: the cost model's, deterministic.
        using var a = Native(model, cache + ".absent");
        using var b = Native(model, cache + ".absent");
        Assert.That(Convs(a).Select(s => s.KernelName), Is.EqualTo(Convs(b).Select(s => s.KernelName)));
        Assert.That(Convs(a).Select(s => s.IsTuned(InputShape(a, s))), Is.All.False);
    }

    [Test]
    public void EveryTunedAlgorithmMatchesTheReference()
    {
        string model = TinyConvModel();
        string hash = TuningCache.HashFile(model);
        using var probe = Native(model, null, Nchw);
        NativeConvStep conv3 = Convs(probe).Single(s => s.Node.Name == "conv3x3");
        ConvGeometry g = conv3.GeometryOf(InputShape(probe, conv3))!.Value;
        IReadOnlyList<ConvAlgorithm> candidates = conv3.Candidates(g);
        Assert.That(candidates, Is.SupersetOf(new[] { ConvAlgorithm.Im2Col, ConvAlgorithm.Direct, ConvAlgorithm.WinogradF2, ConvAlgorithm.WinogradF4, ConvAlgorithm.WinogradF6 }));
        foreach (ConvAlgorithm a in candidates)
        {
            string cache = Path.Combine(TempDir.Create(), "c.json");
            TuningCache.Save(cache, hash, model, 1, [new TunedNode("conv3x3", "kerno.FusedConv", g, ConvAlgorithm.Auto, a, new Dictionary<ConvAlgorithm, double>())], 1, 1);
            using var session = Native(model, cache, Nchw);
            Assert.That(session.Warnings, Is.Empty, a.ToString());
            NativeConvStep step = Convs(session).Single(s => s.Node.Name == "conv3x3");
            Assert.That(step.AlgorithmFor(InputShape(session, step)), Is.EqualTo(a));
            Assert.That(step.KernelName, Is.EqualTo("conv-" + a.ToString().ToLowerInvariant() + "+relu"));
            AssertMatchesReference(model, session);
        }
    }

    [Test]
    public void CorruptStaleForeignOrInvalidCachesAreIgnoredWithAWarning()
    {
        string model = TinyConvModel();
        string hash = TuningCache.HashFile(model);
        using var probe = Native(model, null, Nchw);
        NativeConvStep conv3 = Convs(probe).Single(s => s.Node.Name == "conv3x3");
        ConvGeometry g = conv3.GeometryOf(InputShape(probe, conv3))!.Value;
        string dir = TempDir.Create();
        string Good(ConvAlgorithm a, ConvGeometry geometry, string node = "conv3x3", int threads = 1, string op = "kerno.FusedConv")
        {
            string f = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".json");
            TuningCache.Save(f, hash, model, threads, [new TunedNode(node, op, geometry, ConvAlgorithm.Auto, a, new Dictionary<ConvAlgorithm, double>())], 1, 1);
            return f;
        }
        string Edit(string file, string key, JsonNode value)
        {
            var root = JsonNode.Parse(File.ReadAllText(file))!;
            root[key] = value;
            File.WriteAllText(file, root.ToJsonString());
            return file;
        }
        var rng = new Random(11);
        var garbage = new byte[300];
        rng.NextBytes(garbage);
        string garbageFile = Path.Combine(dir, "garbage.json");
        File.WriteAllBytes(garbageFile, garbage);
        string truncated = Path.Combine(dir, "truncated.json");
        File.WriteAllText(truncated, File.ReadAllText(Good(ConvAlgorithm.Direct, g))[..40]);
        var cases = new (string File, string Why)[]
        {
            (garbageFile, "unreadable"),
            (truncated, "unreadable"),
            (Edit(Good(ConvAlgorithm.Direct, g), "modelSha256", new string('0', 64)), "another model"),
            (Edit(Good(ConvAlgorithm.Direct, g), "cpu", "GenuineFoo family 1 model 2"), "another CPU"),
            (Edit(Good(ConvAlgorithm.Direct, g), "format", 99), "format"),
            (Good(ConvAlgorithm.Direct, g, threads: 3), "no results for 1 thread"),
            (Good(ConvAlgorithm.Gemm1x1, g), "does not apply"),                          // 1x1 GEMM is no candidate for a 3x3
            (Good(ConvAlgorithm.Direct, g with { H = 13 }), "does not apply"),           // measured on another geometry
            (Good(ConvAlgorithm.Direct, g, node: "no-such-node"), "does not apply"),
            (Good(ConvAlgorithm.Direct, g, op: "kerno.BlockedConv"), "does not apply"),   // measured on NCHWc, this session is NCHW
        };
        foreach (var (file, why) in cases)
        {
            using var session = Native(model, file, Nchw);
            Assert.That(session.Warnings, Has.Some.Contain(why), file);
            Assert.That(Convs(session).Select(s => s.IsTuned(InputShape(session, s))), Is.All.False, file);
            Assert.That(Convs(session).Select(s => s.KernelName), Is.EqualTo(Convs(probe).Select(s => s.KernelName)), file);
            AssertMatchesReference(model, session);
        }
        using (var off = new InferenceSession(model, new SessionOptions { IntraOpThreads = 1, TuningCachePath = garbageFile, UseTuningCache = false }))
            Assert.That(off.Warnings, Is.Empty);
    }

    [Test]
    public void DefaultCacheFileIsPerModelUnderXdgCacheHome()
    {
        string? old = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string dir = TempDir.Create();
        try
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", dir);
            string model = TinyConvModel();
            var (code, stdout, stderr) = Kerno("tune", model, "--threads", "1", "--runs", "1", "--warmup", "0");
            Assert.That(code, Is.EqualTo(0), stderr);
            string expected = Path.Combine(dir, "kerno", "tuning", TuningCache.HashFile(model) + ".json");
            Assert.That(File.Exists(expected), stdout);
            using var session = Native(model, null);
            Assert.That(session.Warnings, Is.Empty);
            Assert.That(Convs(session).Select(s => s.IsTuned(InputShape(session, s))), Is.All.True);
            using var fromBytes = new InferenceSession(File.ReadAllBytes(model), new SessionOptions { IntraOpThreads = 1 });
            Assert.That(Convs(fromBytes).Select(s => s.IsTuned(InputShape(fromBytes, s))), Is.All.True);
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", old);
        }
    }
}

/// <summary>Weights not held twice: originals of packed steps go when every run is proven to use the packed path, and
/// stay when a reference fallback is possible (dynamic shapes, geometry libkerno refuses, kerno tune's trials).</summary>
public class WeightReleaseTests
{
    private static Model ConvModel(bool dynamicBatch, int stride = 1)
    {
        var rng = new Random(5);
        Tensor<float> R(params int[] shape)
        {
            var t = new Tensor<float>(shape);
            for (int i = 0; i < t.Length; ++i)
                t.Span[i] = (float)(rng.NextDouble() * 2 - 1);
            return t;
        }
        var g = new GraphProto { Name = "convs" };
        g.Input.Add(dynamicBatch ? ProtoBuilder.SymbolicValue("x", DataType.Float, "N", "8", "10", "10") : ProtoBuilder.Value("x", DataType.Float, 1, 8, 10, 10));
        g.Output.Add(new ValueInfoProto { Name = "y" });
        var w1 = R(16, 8, 3, 3);
        var w2 = R(4, 16 * 10 * 10 / (stride * stride));
        g.Initializer.Add(ProtoBuilder.FloatTensor("w1", w1.Span.ToArray(), 16, 8, 3, 3));
        g.Initializer.Add(ProtoBuilder.FloatTensor("b1", R(16).Span.ToArray(), 16));
        g.Initializer.Add(ProtoBuilder.FloatTensor("w2", w2.Span.ToArray(), w2.Shape[0], w2.Shape[1]));
        var pads = new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints };
        pads.Ints.Add([1, 1, 1, 1]);
        var strides = new AttributeProto { Name = "strides", Type = AttributeProto.Types.AttributeType.Ints };
        strides.Ints.Add([stride, stride]);
        var axis = new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 };
        var transB = new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 };
        g.Node.Add(ProtoBuilder.Node("Conv", ["x", "w1", "b1"], ["c"], "conv", "", pads, strides));
        g.Node.Add(ProtoBuilder.Node("Relu", ["c"], ["r"], "relu"));
        g.Node.Add(ProtoBuilder.Node("Flatten", ["r"], ["f"], "flatten", "", axis));
        g.Node.Add(ProtoBuilder.Node("Gemm", ["f", "w2"], ["y"], "fc", "", transB));
        return global::Kerno.Onnx.ModelReader.Load(ProtoBuilder.Model(g).Bytes());
    }

    private static void AssertMatchesReference(Func<Model> make, InferenceSession native, int batch)
    {
        var rng = new Random(batch);
        var x = new Tensor<float>([batch, 8, 10, 10]);
        for (int i = 0; i < x.Length; ++i)
            x.Span[i] = (float)(rng.NextDouble() * 2 - 1);
        var feeds = new Dictionary<string, Tensor> { ["x"] = x };
        using var reference = new InferenceSession(make(), new SessionOptions { Backend = ExecutionBackend.Reference });
        var want = (Tensor<float>)reference.Run(feeds)[0].Value!;
        var got = (Tensor<float>)native.Run(feeds)[0].Value!;
        Assert.That(got.Shape.ToArray(), Is.EqualTo(want.Shape.ToArray()));
        for (int i = 0; i < want.Length; ++i)
            Assert.That(got.Span[i], Is.EqualTo(want.Span[i]).Within(1e-4 + 1e-4 * Math.Abs(want.Span[i])));
    }

    private static bool Holds(InferenceSession s, string name) =>
        s.OptimizedModel.Graph.Initializers.ContainsKey(name)
        || (s.NativeExecutor!.Compiled.ValueIds.TryGetValue(name, out int id) && s.NativeExecutor.Compiled.Constants[id] is not null);

    [Test]
    public void StaticShapesReleaseTheOriginals()
    {
        using var s = new InferenceSession(ConvModel(dynamicBatch: false), new SessionOptions { IntraOpThreads = 1 });
        Assert.That(s.NativeExecutor!.Compiled.Steps.Select(k => k.KernelName), Does.Contain("sgemm-packed"));
        Assert.That(new[] { "w1", "b1", "w2" }.Where(n => Holds(s, n)), Is.Empty);
        Assert.That(s.NativeExecutor.Compiled.Steps.OfType<NativeConvStep>().Single().HasOriginalWeights, Is.False);
        Assert.That(s.Model.Graph.Initializers.ContainsKey("w1"), "the model as loaded keeps its initializers");
        for (int run = 0; run < 2; ++run)
            AssertMatchesReference(() => ConvModel(false), s, 1);
    }

    [Test]
    public void DynamicShapesKeepTheOriginalsForTheFallback()
    {
        using var s = new InferenceSession(ConvModel(dynamicBatch: true), new SessionOptions { IntraOpThreads = 1 });
        Assert.That(Holds(s, "w1") && Holds(s, "w2"));
        Assert.That(s.NativeExecutor!.Compiled.Steps.OfType<NativeConvStep>().Single().HasOriginalWeights);
        AssertMatchesReference(() => ConvModel(true), s, 1);
        AssertMatchesReference(() => ConvModel(true), s, 3);
    }

    [Test]
    public void TuningSessionsKeepTheOriginals()
    {
        using var s = new InferenceSession(ConvModel(dynamicBatch: false), new SessionOptions { IntraOpThreads = 1, KeepOriginalWeights = true });
        Assert.That(Holds(s, "w1") && Holds(s, "w2"));
        AssertMatchesReference(() => ConvModel(false), s, 1);
    }

    [Test]
    public void ReleasedWeightsWithUnexpectedShapesFailLoudly()
    {
        // A run whose shapes differ from the planned ones cannot happen through InferenceSession (inputs are
        // validated); if it did, the step reports it instead of running the reference kernel without weights.
        using var s = new InferenceSession(ConvModel(dynamicBatch: false), new SessionOptions { IntraOpThreads = 1 });
        var x = new Tensor<float>([1, 8, 12, 12]);
        var e = Assert.Throws<KernoModelException>(() => s.NativeExecutor!.Run(new Dictionary<string, Value> { ["x"] = x }, null, default, null));
        Assert.That(e!.Message, Does.Contain("released"));
    }
}
