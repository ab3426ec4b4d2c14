using System.Diagnostics;
using Kerno.Execution;
using Kerno.Graph;
using Kerno.Optimizer;
using Kerno.Planning;
using Kerno.Tests.Optimizer;

namespace Kerno.Tests.Execution;

/// <summary>The native backend computes what the reference backend computes, on graphs that reach every kernel path.</summary>
public class NativeBackendTests
{
    internal static Tensor<float> Random(Random rng, params int[] shape)
    {
        var t = new Tensor<float>(shape);
        foreach (ref float v in t.Span)
            v = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    internal static Model ModelOf(GraphBuilder b, long opset = 17)
    {
        var model = new Model { Graph = b.Graph, IrVersion = 8 };
        model.OpsetImports[""] = opset;
        return model;
    }

    private static AttributeValue Int(string name, long v) => new() { Name = name, Kind = AttributeKind.Int, Int = v };
    private static AttributeValue Str(string name, string v) => new() { Name = name, Kind = AttributeKind.String, String = v };

    /// <summary>Runs <paramref name="make"/>'s model on both backends (native at 1 and 2 threads) and compares every output.</summary>
    internal static void AssertSame(Func<Model> make, Dictionary<string, Tensor> feeds, OptimizationLevel level = OptimizationLevel.All,
        double tolerance = 1e-4, string? expectKernel = null)
    {
        using var reference = new InferenceSession(make(), new SessionOptions { Backend = ExecutionBackend.Reference, OptimizationLevel = level });
        var expected = reference.Run(feeds);
        foreach (int threads in new[] { 1, 2 })
        {
            using var native = new InferenceSession(make(), new SessionOptions { Backend = ExecutionBackend.Native, IntraOpThreads = threads, OptimizationLevel = level });
            if (expectKernel is not null)
                Assert.That(native.NativeExecutor!.Compiled.Steps.Select(s => s.KernelName), Has.Some.StartsWith(expectKernel));
            for (int round = 0; round < 2; ++round) // the second run reuses the pooled arena
            {
                var actual = native.Run(feeds);
                Assert.That(actual, Has.Count.EqualTo(expected.Count));
                for (int o = 0; o < expected.Count; ++o)
                {
                    var e = (Tensor<float>)expected[o].AsTensor();
                    var a = (Tensor<float>)actual[o].AsTensor();
                    Assert.That(a.Shape.ToArray(), Is.EqualTo(e.Shape.ToArray()), $"output {o} shape");
                    for (int i = 0; i < e.Length; ++i)
                        Assert.That(a[i], Is.EqualTo(e[i]).Within(tolerance + tolerance * Math.Abs(e[i])), $"output {o} element {i}, {threads} threads, round {round}");
                }
            }
        }
    }

    [Test]
    public void SyntheticResidualCnnMatchesReference()
    {
        var feeds = new Dictionary<string, Tensor> { ["x"] = Random(new Random(2), 1, 3, 7, 6) };
        foreach (OptimizationLevel level in new[] { OptimizationLevel.None, OptimizationLevel.All })
            AssertSame(() => SyntheticModelEquivalenceTests.ResidualCnn(1), feeds, level, expectKernel: "conv-");
    }

    [Test]
    public void SyntheticMlpMatchesReference()
    {
        var feeds = new Dictionary<string, Tensor> { ["x"] = Random(new Random(2), 2, 5, 16) };
        foreach (OptimizationLevel level in new[] { OptimizationLevel.None, OptimizationLevel.All })
            AssertSame(() => SyntheticModelEquivalenceTests.Mlp(1), feeds, level, expectKernel: "sgemm-packed");
    }

    public static IEnumerable<TestCaseData> ConvCases()
    {
        // x shape, w shape, attributes
        yield return new TestCaseData(new[] { 2, 4, 9, 8 }, new[] { 6, 4, 3, 3 }, new[] { Ints("pads", 1, 1, 1, 1) }).SetName("ConvMatches(3x3 pad 1, batch 2)");
        yield return new TestCaseData(new[] { 1, 4, 9, 8 }, new[] { 6, 4, 3, 3 }, new[] { Ints("strides", 2, 2), Ints("pads", 0, 1, 2, 1) }).SetName("ConvMatches(3x3 stride 2 asymmetric pads)");
        yield return new TestCaseData(new[] { 1, 4, 11, 10 }, new[] { 5, 4, 3, 2 }, new[] { Ints("dilations", 2, 3), Ints("strides", 1, 2) }).SetName("ConvMatches(dilated rectangular)");
        yield return new TestCaseData(new[] { 1, 6, 8, 8 }, new[] { 6, 1, 3, 3 }, new[] { Int("group", 6), Ints("pads", 1, 1, 1, 1) }).SetName("ConvMatches(depthwise)");
        yield return new TestCaseData(new[] { 1, 8, 5, 5 }, new[] { 4, 4, 1, 1 }, new[] { Int("group", 2) }).SetName("ConvMatches(grouped 1x1)");
        yield return new TestCaseData(new[] { 2, 8, 10, 10 }, new[] { 48, 8, 3, 3 }, new[] { Ints("pads", 1, 1, 1, 1) }).SetName("ConvMatches(48 channels split across threads, batch 2)");
        yield return new TestCaseData(new[] { 1, 8, 12, 12 }, new[] { 8, 2, 3, 3 }, new[] { Int("group", 4), Ints("strides", 2, 2) }).SetName("ConvMatches(4 groups split across threads)");
        yield return new TestCaseData(new[] { 1, 8, 5, 7 }, new[] { 16, 8, 1, 1 }, Array.Empty<AttributeValue>()).SetName("ConvMatches(pointwise)");
        yield return new TestCaseData(new[] { 1, 3, 7, 7 }, new[] { 4, 3, 3, 3 }, new[] { Str("auto_pad", "SAME_UPPER"), Ints("strides", 2, 2) }).SetName("ConvMatches(SAME_UPPER stride 2)");
        yield return new TestCaseData(new[] { 1, 3, 7, 7 }, new[] { 4, 3, 2, 2 }, new[] { Str("auto_pad", "SAME_LOWER") }).SetName("ConvMatches(SAME_LOWER even kernel)");
        yield return new TestCaseData(new[] { 1, 3, 7, 7 }, new[] { 4, 3, 3, 3 }, new[] { Str("auto_pad", "VALID") }).SetName("ConvMatches(VALID)");
    }

    private static AttributeValue Ints(string name, params long[] v) => GraphBuilder.Ints(name, v);

    [TestCaseSource(nameof(ConvCases))]
    public void ConvMatches(int[] x, int[] w, AttributeValue[] attributes)
    {
        // libkerno's conv plans (split by channels or groups at 2 threads), then the managed im2col/depthwise fallbacks.
        foreach (bool nativeConv in new[] { true, false })
        {
            KernelSelector.UseNativeConv = nativeConv;
            try
            {
                ConvMatchesWith(x, w, attributes, nativeConv ? "conv-" : w[1] == 1 && w[0] == x[1] ? "conv-depthwise" : "conv-sgemm");
            }
            finally
            {
                KernelSelector.UseNativeConv = true;
            }
        }
    }

    private static void ConvMatchesWith(int[] x, int[] w, AttributeValue[] attributes, string kernel)
    {
        var rng = new Random(3);
        Tensor<float> weight = Random(rng, w), bias = Random(rng, w[0]);
        Model Make()
        {
            var b = new GraphBuilder().Input("x", x.Select(d => (long)d).ToArray()).Output("y");
            b.Constant("w", weight).Constant("b", bias);
            b.Node("Conv", ["x", "w", "b"], ["c"], attributes);
            b.Node("Relu", ["c"], ["y"]);
            return ModelOf(b);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = Random(rng, x) }, expectKernel: kernel);
    }

    [Test]
    public void FusedConvWithResidualAndNonNativeActivationsMatches([Values] bool nativeConv)
    {
        KernelSelector.UseNativeConv = nativeConv;
        try
        {
            FusedConvWithResidual();
        }
        finally
        {
            KernelSelector.UseNativeConv = true;
        }
    }

    private static void FusedConvWithResidual()
    {
        var rng = new Random(4);
        Tensor<float> w1 = Random(rng, 5, 5, 3, 3), w2 = Random(rng, 5, 5, 1, 1);
        foreach (string act in new[] { "Tanh", "HardSigmoid", "Sigmoid", "LeakyRelu" })
        {
            Model Make()
            {
                var b = new GraphBuilder().Input("x", 1, 5, 6, 6).Output("y");
                b.Constant("w1", w1).Constant("w2", w2);
                b.Node("Conv", ["x", "w1"], ["c1"], Ints("pads", 1, 1, 1, 1));
                b.Node("Conv", ["c1", "w2"], ["c2"]);
                b.Node("Add", ["c2", "c1"], ["s"]);
                b.Node(act, ["s"], ["y"]);
                var shape = new TensorTypeInfo(DataType.Float, new List<Dim> { 1, 5, 6, 6 });
                b.Graph.ValueTypes["c1"] = b.Graph.ValueTypes["c2"] = shape;
                return ModelOf(b);
            }
            AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = Random(rng, 1, 5, 6, 6) });
            // Extended: the fusions without the layout pass (at All, the second conv also goes blocked)
            using var s = new InferenceSession(Make(), new SessionOptions { Backend = ExecutionBackend.Native, OptimizationLevel = OptimizationLevel.Extended });
            Assert.That(s.OptimizedModel.Graph.Nodes.Select(n => n.OpType), Is.EqualTo(new[] { "Conv", "FusedConv" }), act);
            Assert.That(s.OptimizedModel.Graph.Nodes[1].Inputs, Has.Count.EqualTo(4), "residual fused");
        }
    }

    public static IEnumerable<TestCaseData> GemmCases()
    {
        // transA, transB, C shape (null = none)
        yield return new TestCaseData(0L, 0L, null).SetName("GemmMatches(no C)");
        yield return new TestCaseData(1L, 0L, new[] { 7 }).SetName("GemmMatches(transA, C [N])");
        yield return new TestCaseData(0L, 1L, new[] { 1, 7 }).SetName("GemmMatches(transB, C [1,N])");
        yield return new TestCaseData(1L, 1L, new[] { 5, 1 }).SetName("GemmMatches(both, C [M,1])");
        yield return new TestCaseData(0L, 0L, new[] { 1 }).SetName("GemmMatches(scalar C)");
        yield return new TestCaseData(0L, 0L, new[] { 5, 7 }).SetName("GemmMatches(full C falls back)");
    }

    [TestCaseSource(nameof(GemmCases))]
    public void GemmMatches(long transA, long transB, int[]? cShape)
    {
        var rng = new Random(5);
        int m = 5, k = 9, n = 7;
        Tensor<float> bw = transB != 0 ? Random(rng, n, k) : Random(rng, k, n);
        Tensor<float>? c = cShape is null ? null : Random(rng, cShape);
        int[] aShape = transA != 0 ? [k, m] : [m, k];
        Model Make()
        {
            var b = new GraphBuilder().Input("a", aShape.Select(d => (long)d).ToArray()).Output("y");
            b.Constant("b", bw);
            if (c is not null)
                b.Constant("c", c);
            b.Node("Gemm", c is null ? ["a", "b"] : ["a", "b", "c"], ["y"], Int("transA", transA), Int("transB", transB),
                GraphBuilder.Float("alpha", 0.7f), GraphBuilder.Float("beta", 1.3f));
            return ModelOf(b);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["a"] = Random(rng, aShape) }, OptimizationLevel.None);
    }

    [Test]
    public void BatchedMatMulWithBroadcastingMatches()
    {
        var rng = new Random(6);
        Model Make()
        {
            var b = new GraphBuilder().Input("a", 2, 3, 4, 5).Input("b", 3, 5, 6).Output("y");
            b.Node("MatMul", ["a", "b"], ["y"]);
            return ModelOf(b);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["a"] = Random(rng, 2, 3, 4, 5), ["b"] = Random(rng, 3, 5, 6) }, expectKernel: "sgemm-batched");
    }

    [Test]
    public void LargeMatMulSplitsAcrossThreads()
    {
        var rng = new Random(7);
        Tensor<float> w = Random(rng, 96, 80);
        Model Make()
        {
            var b = new GraphBuilder().Input("a", 3, 70, 96).Output("y");
            b.Constant("w", w);
            b.Node("MatMul", ["a", "w"], ["y"]);
            return ModelOf(b);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["a"] = Random(rng, 3, 70, 96) }, expectKernel: "sgemm-packed");
    }

    private static Model DynamicBatchMlp(Tensor<float> w1, Tensor<float> w2)
    {
        var g = new ComputeGraph();
        g.Inputs.Add(new ValueInfo("x", new TensorTypeInfo(DataType.Float, new List<Dim> { new(null, "N"), 12 })));
        g.Outputs.Add(new ValueInfo("y", null));
        g.Initializers["w1"] = w1;
        g.Initializers["w2"] = w2;
        g.Nodes.Add(new Node("mm1", "MatMul", "", ["x", "w1"], ["h"]) { Index = 0 });
        g.Nodes.Add(new Node("relu", "Relu", "", ["h"], ["r"]) { Index = 1 });
        g.Nodes.Add(new Node("mm2", "MatMul", "", ["r", "w2"], ["y"]) { Index = 2 });
        var model = new Model { Graph = g, IrVersion = 8 };
        model.OpsetImports[""] = 17;
        return model;
    }

    [Test]
    public void SymbolicBatchIsPlannedPerDistinctShape()
    {
        var rng = new Random(8);
        Tensor<float> w1 = Random(rng, 12, 10), w2 = Random(rng, 10, 3);
        using var reference = new InferenceSession(DynamicBatchMlp(w1, w2), new SessionOptions { Backend = ExecutionBackend.Reference });
        using var native = new InferenceSession(DynamicBatchMlp(w1, w2), new SessionOptions { Backend = ExecutionBackend.Native });
        Assert.That(native.NativeExecutor!.StaticPlan, Is.Null, "the batch is symbolic: no plan at creation");
        foreach (int batch in new[] { 1, 4, 1, 4, 7 })
        {
            var feeds = new Dictionary<string, Tensor> { ["x"] = Random(rng, batch, 12) };
            var e = (Tensor<float>)reference.Run(feeds)[0].AsTensor();
            var a = (Tensor<float>)native.Run(feeds)[0].AsTensor();
            Assert.That(a.Shape.ToArray(), Is.EqualTo(new[] { batch, 3 }));
            for (int i = 0; i < e.Length; ++i)
                Assert.That(a[i], Is.EqualTo(e[i]).Within(1e-4 + 1e-4 * Math.Abs(e[i])));
        }
        Assert.That(native.NativeExecutor.Plans.Select(p => p.Signature), Is.EquivalentTo(new[] { "[1,12];", "[4,12];", "[7,12];" }));
    }

    [Test]
    public void FreeDimensionsGiveAStaticPlanAndWeightsArePackedOnce()
    {
        var rng = new Random(9);
        var options = new SessionOptions { Backend = ExecutionBackend.Native };
        options.FreeDimensions["N"] = 2;
        using var s = new InferenceSession(DynamicBatchMlp(Random(rng, 12, 10), Random(rng, 10, 3)), options);
        ExecutionPlan plan = s.NativeExecutor!.StaticPlan!;
        Assert.That(plan, Is.Not.Null);
        Assert.That(s.NativeExecutor.Compiled.PackedBytes, Is.GreaterThan(0));
        // N is fixed, so every run has the planned shapes and the packed steps never fall back to their reference
        // kernels: the originals are released (WeightReleaseTests covers when they must stay).
        Assert.That(s.OptimizedModel.Graph.Initializers.Keys, Is.Empty);
        // h (2x10 floats) lives in the arena; Relu's output too; y is a graph output and does not.
        Assert.That(plan.Memory.ArenaBytes, Is.GreaterThan(0));
        Assert.That(plan.IsArenaValue(s.NativeExecutor.Compiled.ValueIds["h"]), Is.True);
        Assert.That(plan.IsArenaValue(s.NativeExecutor.Compiled.ValueIds["y"]), Is.False);
    }

    [Test]
    public void OutputsNeverAliasTheArenaAcrossRuns()
    {
        // y = Reshape(MatMul(x, w)): a view of an arena value becomes a graph output and must be copied out.
        var rng = new Random(10);
        Tensor<float> w = Random(rng, 4, 6);
        var b = new GraphBuilder().Input("x", 3, 4).Output("y").Output("z");
        b.Constant("w", w).Constant("shape", Tensor.Vector(18L));
        b.Node("MatMul", ["x", "w"], ["m"]);
        b.Node("Reshape", ["m", "shape"], ["y"]);
        b.Node("MatMul", ["x", "w"], ["m2"]);
        b.Node("Relu", ["m2"], ["z"]);
        using var s = new InferenceSession(ModelOf(b), new SessionOptions { Backend = ExecutionBackend.Native, OptimizationLevel = OptimizationLevel.None });
        var x1 = Random(rng, 3, 4);
        var first = (Tensor<float>)s.Run(new Dictionary<string, Tensor> { ["x"] = x1 })[0].AsTensor();
        float[] copy = first.Span.ToArray();
        s.Run(new Dictionary<string, Tensor> { ["x"] = Random(rng, 3, 4) });
        Assert.That(first.Span.ToArray(), Is.EqualTo(copy), "a second run changed the first run's output");
        Assert.That(ArenaMemory.IsArena(first), Is.False);
    }

    [Test]
    public void RunWritesIntoCallerTensors()
    {
        var rng = new Random(11);
        var feeds = new Dictionary<string, Tensor> { ["x"] = Random(rng, 2, 5, 16) };
        using var reference = new InferenceSession(SyntheticModelEquivalenceTests.Mlp(1), new SessionOptions { Backend = ExecutionBackend.Reference });
        using var native = new InferenceSession(SyntheticModelEquivalenceTests.Mlp(1), new SessionOptions { Backend = ExecutionBackend.Native });
        var expected = (Tensor<float>)reference.Run(feeds)[0].AsTensor();
        foreach (InferenceSession s in new[] { native, reference })
        {
            var target = new Tensor<float>(expected.Shape);
            var result = s.Run(feeds, new Dictionary<string, Tensor> { ["y"] = target });
            Assert.That(result[0].Value, Is.SameAs(target));
            for (int i = 0; i < expected.Length; ++i)
                Assert.That(target[i], Is.EqualTo(expected[i]).Within(1e-4 + 1e-4 * Math.Abs(expected[i])));
            Assert.Throws<ArgumentException>(() => s.Run(feeds, new Dictionary<string, Tensor> { ["y"] = new Tensor<float>([3]) }));
            Assert.Throws<ArgumentException>(() => s.Run(feeds, new Dictionary<string, Tensor> { ["nope"] = target }));
        }
    }

    [Test]
    public void ConcurrentRunsGiveTheSameResults()
    {
        var rng = new Random(12);
        using var s = new InferenceSession(SyntheticModelEquivalenceTests.ResidualCnn(1), new SessionOptions { Backend = ExecutionBackend.Native, IntraOpThreads = 2 });
        var inputs = Enumerable.Range(0, 4).Select(_ => Random(rng, 1, 3, 7, 6)).ToArray();
        var expected = inputs.Select(x => ((Tensor<float>)s.Run(new Dictionary<string, Tensor> { ["x"] = x })[0].AsTensor()).Span.ToArray()).ToArray();
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var y = (Tensor<float>)s.Run(new Dictionary<string, Tensor> { ["x"] = inputs[i % 4] })[0].AsTensor();
            Assert.That(y.Span.ToArray(), Is.EqualTo(expected[i % 4]));
        });
    }

    [Test]
    public void ProfilingReportsEveryNodeAndWritesAChromeTrace()
    {
        using var s = new InferenceSession(SyntheticModelEquivalenceTests.ResidualCnn(1), new SessionOptions { Backend = ExecutionBackend.Native });
        var options = new RunOptions { EnableProfiling = true };
        s.Run(new Dictionary<string, Tensor> { ["x"] = Random(new Random(1), 1, 3, 7, 6) }, options);
        ProfilingResult p = options.Profile!;
        Assert.That(s.LastProfile, Is.SameAs(p));
        Assert.That(p.Nodes.Select(n => n.OpType), Is.EqualTo(s.OptimizedModel.Graph.Nodes.Select(n => n.Domain.Length == 0 ? n.OpType : $"{n.Domain}.{n.OpType}")));
        Assert.That(p.Nodes.Where(n => n.OpType == "kerno.FusedConv").All(n => n.Flops > 0 && n.Kernel.StartsWith("conv-", StringComparison.Ordinal)));
        using var doc = System.Text.Json.JsonDocument.Parse(p.ToChromeTrace());
        Assert.That(doc.RootElement.GetProperty("traceEvents").GetArrayLength(), Is.EqualTo(p.Nodes.Count + 1));
    }

    [Test]
    public void CancellationStopsANativeRun()
    {
        using var s = new InferenceSession(SyntheticModelEquivalenceTests.Mlp(1), new SessionOptions { Backend = ExecutionBackend.Native });
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            s.Run(new Dictionary<string, Tensor> { ["x"] = Random(new Random(1), 2, 5, 16) }, new RunOptions { Cancellation = cts.Token }));
    }

    [Test]
    [NonParallelizable]
    public void IdleSessionUsesNoCpu()
    {
        using var s = new InferenceSession(SyntheticModelEquivalenceTests.ResidualCnn(1), new SessionOptions { Backend = ExecutionBackend.Native, IntraOpThreads = 2 });
        for (int i = 0; i < 20; ++i)
            s.Run(new Dictionary<string, Tensor> { ["x"] = Random(new Random(1), 1, 3, 7, 6) });
        Thread.Sleep(200); // past the workers' spin
        var process = Process.GetCurrentProcess();
        process.Refresh();
        TimeSpan before = process.TotalProcessorTime;
        double workersBefore = WorkerCpuSeconds();
        Thread.Sleep(1000);
        process.Refresh();
        double used = (process.TotalProcessorTime - before).TotalSeconds;
        double workers = WorkerCpuSeconds() - workersBefore;
        TestContext.Out.WriteLine($"idle second: process {used:0.000} s CPU, kerno workers {workers:0.000} s");
        // A spinning worker would take a whole core (1 s). On Linux the workers' own CPU time is the measure; the
        // process total also counts the runtime's threads (tiered JIT, GC, the test host), which made it flaky.
        if (OperatingSystem.IsLinux())
            Assert.That(workers, Is.LessThan(0.02), $"{workers:0.000} s of worker CPU in an idle second");
        else
            Assert.That(used, Is.LessThan(0.6), $"{used:0.000} s of process CPU in an idle second");
    }

    /// <summary>CPU seconds of this process's threads named kerno-worker-* (Linux /proc; 0 elsewhere).</summary>
    private static double WorkerCpuSeconds()
    {
        if (!OperatingSystem.IsLinux())
            return 0;
        double ticks = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith("kerno-worker", StringComparison.Ordinal))
                    continue;
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += long.Parse(f[11]) + long.Parse(f[12]); // utime, stime (fields 14, 15)
            }
            catch (IOException)
            {
                // the thread ended meanwhile
            }
        }
        return ticks / 100.0; // USER_HZ
    }

    [Test]
    public void ThreadPoolRunsEveryItemOnceAndPropagatesExceptions()
    {
        using var pool = new KernoThreadPool(3);
        var counts = new int[1000];
        var job = new CountingJob(counts);
        for (int round = 0; round < 50; ++round)
            pool.Run(job, counts.Length);
        Assert.That(counts.All(c => c == 50));
        Assert.Throws<InvalidOperationException>(() => pool.Run(new ThrowingJob(), 10));
        pool.Run(job, counts.Length); // still usable
        Assert.That(counts.All(c => c == 51));
    }

    private sealed class CountingJob(int[] counts) : IParallelWork
    {
        public void Execute(int index) => Interlocked.Increment(ref counts[index]);
    }

    private sealed class ThrowingJob : IParallelWork
    {
        public void Execute(int index) => throw new InvalidOperationException($"item {index}");
    }

    [Test]
    public void MemoryPlannerReusesDeadBuffersAndNeverOverlapsLiveOnes()
    {
        // a -> b -> c -> d chain of 1 KiB values, e in place on d, f a view of e; g reads a at the end (keeps a alive).
        var steps = new List<PlannerStep>
        {
            new([], [0], [1024], [-1], -1, 0),          // a
            new([0], [1], [1024], [-1], -1, 256),       // b (with workspace)
            new([1], [2], [1024], [-1], -1, 0),         // c
            new([2], [3], [1024], [-1], -1, 0),         // d
            new([3], [4], [1024], [-1], 3, 0),          // e in place on d
            new([4], [5], [-1], [4], -1, 0),            // f view of e
            new([0, 5], [6], [-1], [-1], -1, 0),        // g (graph output)
        };
        MemoryPlan plan = MemoryPlanner.Plan(7, steps, [6]);
        Assert.That(plan.InPlace[4], Is.True);
        Assert.That(plan.ValueOffsets[4], Is.EqualTo(plan.ValueOffsets[3]));
        Assert.That(plan.ValueOffsets[5], Is.EqualTo(plan.ValueOffsets[4]), "a view shares its input's memory");
        Assert.That(plan.ValueOffsets[6], Is.EqualTo(-1));
        Assert.That(plan.ValueOffsets.Where(o => o >= 0).All(o => o % 64 == 0));
        Assert.That(plan.ArenaBytes, Is.LessThan(plan.SumOfIntermediates));
        // Live ranges: a [0,6], b [1,2], c [2,3], d/e/f [3,6] (f read at 6): no two overlapping in time overlap in space.
        (long Off, int First, int Last)[] live = [(plan.ValueOffsets[0], 0, 6), (plan.ValueOffsets[1], 1, 2), (plan.ValueOffsets[2], 2, 3), (plan.ValueOffsets[3], 3, 6), (plan.WorkspaceOffsets[1], 1, 1)];
        long[] size = [1024, 1024, 1024, 1024, 256];
        for (int i = 0; i < live.Length; ++i)
            for (int j = i + 1; j < live.Length; ++j)
                if (live[i].First <= live[j].Last && live[j].First <= live[i].Last)
                    Assert.That(live[i].Off + size[i] <= live[j].Off || live[j].Off + size[j] <= live[i].Off, Is.True, $"buffers {i} and {j} overlap");
    }

    [Test]
    public void NativeRequestIsHonouredAndThreadsDefaultToPhysicalCores()
    {
        using var s = new InferenceSession(SyntheticModelEquivalenceTests.Mlp(1), new SessionOptions { Backend = ExecutionBackend.Native });
        Assert.That(s.Backend, Is.EqualTo(ExecutionBackend.Native));
        Assert.That(s.IntraOpThreads, Is.EqualTo(KernoThreadPool.PhysicalCores));
        Assert.That(KernoThreadPool.PhysicalCores, Is.InRange(1, Environment.ProcessorCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InferenceSession(SyntheticModelEquivalenceTests.Mlp(1), new SessionOptions { Backend = ExecutionBackend.Native, IntraOpThreads = -1 }));
    }
}
