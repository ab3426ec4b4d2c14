using System.Diagnostics;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Kerno.Kernels;
using Kerno.Onnx.Proto;
using static Kerno.Tests.Onnx.ProtoBuilder;

namespace Kerno.Tests.Reliability;

/// <summary>
/// Sessions under concurrent use and over many create/run/dispose cycles, at CI size (seconds). Set
/// KERNO_SOAK_SECONDS (or run the Cake target Soak) for the long version of the soak loop.
/// </summary>
[Category("Reliability")]
[NonParallelizable]
public class ConcurrencyAndSoakTests
{
    private static byte[] Cnn => SmallModels.Cnn().ToByteArray();

    private static Tensor<float> RandomInput(int seed, params int[] shape)
    {
        var r = new Random(seed);
        var t = new Tensor<float>(shape);
        for (int i = 0; i < t.Length; ++i)
            t[i] = (float)(r.NextDouble() * 2 - 1);
        return t;
    }

    private static byte[] Bits(IReadOnlyList<NamedValue> outputs) =>
        outputs.SelectMany(o => MemoryMarshal.AsBytes(((Tensor<float>)o.AsTensor()).Span).ToArray()).ToArray();

    [Test]
    public void OneSessionRunFromEightThreadsMatchesSingleThreadedRunsBitForBit()
    {
        using var session = new InferenceSession(Cnn);
        const int distinct = 16, threads = 8, runsPerThread = 256;
        var inputs = Enumerable.Range(0, distinct).Select(i => RandomInput(i, 1, 2, 8, 8)).ToArray();
        byte[][] expected = inputs.Select(x => Bits(session.Run(new Dictionary<string, Tensor> { ["X"] = x }))).ToArray();
        int mismatches = 0, runs = 0;
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < runsPerThread; ++i)
            {
                int k = (t * 7 + i) % distinct;
                byte[] got = Bits(session.Run(new Dictionary<string, Tensor> { ["X"] = inputs[k] }));
                if (!got.AsSpan().SequenceEqual(expected[k]))
                    Interlocked.Increment(ref mismatches);
                Interlocked.Increment(ref runs);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        TestContext.Out.WriteLine($"{runs} runs on {threads} threads, {mismatches} mismatches");
        Assert.Multiple(() =>
        {
            Assert.That(runs, Is.GreaterThanOrEqualTo(2000));
            Assert.That(mismatches, Is.Zero);
        });
    }

    /// <summary>Managed heap after a full collection, and libkerno's live allocations.</summary>
    private static (long Managed, ulong Native) Footprint()
    {
        for (int i = 0; i < 3; ++i)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return (GC.GetTotalMemory(forceFullCollection: true), KernoRuntimeInfo.NativeLiveBytes);
    }

    private static long SoakSeconds =>
        long.TryParse(Environment.GetEnvironmentVariable("KERNO_SOAK_SECONDS"), out long s) ? s : 0;

    /// <summary>
    /// 1,000 sessions and 100,000 runs leave the managed heap and libkerno's live bytes where they were. The sessions
    /// alternate the MLP (packed SGEMM weights) and the CNN (native conv plans and packed weights, a run arena), whose
    /// native memory all comes from libkerno's counted allocator: the test first shows the counter rises while a
    /// session is open, so a leak of any of them would show.
    /// </summary>
    [Test]
    public void CreatingAndDisposingSessionsAndRunningKeepsMemoryFlat()
    {
        byte[][] models = [SmallModels.Mlp().ToByteArray(), Cnn];
        Dictionary<string, Tensor>[] feeds =
        [
            new() { ["X"] = RandomInput(1, 1, 8) },
            new() { ["X"] = RandomInput(2, 1, 2, 8, 8) },
        ];
        // Warm up (JIT, caches, the operator table), then measure.
        for (int i = 0; i < 50; ++i)
        {
            using var s = new InferenceSession(models[i % 2]);
            s.Run(feeds[i % 2]);
        }
        var before = Footprint();
        ulong held;
        using (var open = new InferenceSession(Cnn))
        {
            open.Run(feeds[1]);
            held = KernoRuntimeInfo.NativeLiveBytes - before.Native;
        }
        var clock = Stopwatch.StartNew();
        int sessions = 0;
        long runs = 0;
        for (int i = 0; i < 1000; ++i, ++sessions)
        {
            using var s = new InferenceSession(models[i % 2]);
            s.Run(feeds[i % 2]);
        }
        var afterSessions = Footprint();
        using (var s = new InferenceSession(Cnn))
        {
            var deadline = TimeSpan.FromSeconds(Math.Max(SoakSeconds, 0));
            for (long i = 0; i < 100_000 || clock.Elapsed < deadline; ++i, ++runs)
                s.Run(feeds[1]);
        }
        var after = Footprint();
        string report = $"{sessions} sessions + {runs} runs in {clock.Elapsed.TotalSeconds:F1} s; managed heap {before.Managed / 1024} KiB -> " +
                        $"{afterSessions.Managed / 1024} KiB (after sessions) -> {after.Managed / 1024} KiB; native live bytes {before.Native} -> " +
                        $"{afterSessions.Native} (after sessions) -> {after.Native}; one open CNN session holds {held} native bytes";
        TestContext.Out.WriteLine(report);
        TestContext.Progress.WriteLine(report);
        Assert.Multiple(() =>
        {
            Assert.That(held, Is.GreaterThan(0UL), "an open session's native memory is not counted: the native check below could not fail");
            Assert.That(afterSessions.Managed - before.Managed, Is.LessThan(2L << 20), "managed heap grew over 1000 sessions");
            Assert.That(after.Managed - before.Managed, Is.LessThan(2L << 20), "managed heap grew over the runs");
            Assert.That(afterSessions.Native, Is.EqualTo(before.Native), "native live bytes changed over the sessions");
            Assert.That(after.Native, Is.EqualTo(before.Native), "native live bytes changed over the runs");
        });
    }

    [Test]
    public void RunAfterDisposeThrowsObjectDisposedException()
    {
        var s = new InferenceSession(Model(IdentityGraph()).ToByteArray());
        s.Dispose();
        s.Dispose(); // twice is fine
        Assert.Throws<ObjectDisposedException>(() => s.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.Vector(1f, 2f) }));
        Assert.Throws<ObjectDisposedException>(() => s.Run([new NamedTensor("X", Tensor.Vector(1f, 2f))]));
    }

    /// <summary>A Loop of 2^40 iterations: only cancellation ends it.</summary>
    private static byte[] EndlessLoop()
    {
        var body = new GraphProto { Name = "body" };
        body.Input.Add(Value("i", DataType.Int64));
        body.Input.Add(Value("c", DataType.Bool));
        body.Input.Add(Value("a", DataType.Float, 1));
        body.Output.Add(Value("c_out", DataType.Bool));
        body.Output.Add(Value("a_out", DataType.Float, 1));
        body.Node.Add(Node("Identity", ["c"], ["c_out"]));
        body.Node.Add(Node("Add", ["a", "a"], ["a_out"]));
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 1));
        g.Output.Add(Value("Y", DataType.Float, 1));
        g.Initializer.Add(new TensorProto { Name = "M", DataType = (int)DataType.Int64, Int64Data = { 1L << 40 } });
        g.Initializer.Add(new TensorProto { Name = "T", DataType = (int)DataType.Bool, Int32Data = { 1 } });
        g.Node.Add(Node("Loop", ["M", "T", "X"], ["Y"], "loop", "",
            new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body }));
        return Model(g).ToByteArray();
    }

    [TestCase(ExecutionBackend.Native)]
    [TestCase(ExecutionBackend.Reference)]
    public void CancellationStopsALongRunBetweenNodes(ExecutionBackend backend)
    {
        using var s = new InferenceSession(EndlessLoop(), new SessionOptions { Backend = backend });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();
        Assert.That(() => s.Run(new Dictionary<string, Value> { ["X"] = Tensor.Vector(1f) }, cts.Token),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "the run did not stop soon after cancellation");
        // The session is still usable afterwards.
        using var again = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        Assert.That(() => s.Run(new Dictionary<string, Value> { ["X"] = Tensor.Vector(1f) }, again.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void OutputsAreBitIdenticalAcrossRunsSessionsAndThreadSettings()
    {
        var x = RandomInput(3, 1, 2, 8, 8);
        var feed = new Dictionary<string, Tensor> { ["X"] = x };
        byte[]? reference = null;
        foreach (int threads in new[] { 1, 2, 8, 0 })
        {
            using var s = new InferenceSession(Cnn, new SessionOptions { IntraOpThreads = threads });
            for (int i = 0; i < 3; ++i)
            {
                byte[] got = Bits(s.Run(feed));
                reference ??= got;
                Assert.That(got, Is.EqualTo(reference), $"IntraOpThreads {threads}, run {i}");
            }
        }
    }

    private static string SharedFile(string relative)
    {
        string? shared = RepoPaths.SharedData;
        string? path = shared is null ? null : Path.Combine(shared, relative);
        if (path is null || !File.Exists(path))
            Assert.Ignore("shared test data not found: set KERNO_TEST_DATA (default ../shared)");
        return path!;
    }

    /// <summary>Output bits of <paramref name="path"/> on the native backend with <paramref name="threads"/> threads, run twice (must agree).</summary>
    private static byte[] RunTwice(string path, int threads)
    {
        var options = new SessionOptions { IntraOpThreads = threads, UseTuningCache = false };
        using var s = new InferenceSession(path, options);
        var feed = s.Inputs.ToDictionary(i => i.Name, i => (Tensor)RandomInput(7, i.Shape!.Select(d => (int)(d.Value ?? 1)).ToArray()));
        byte[] first = Bits(s.Run(feed));
        using var again = new InferenceSession(path, options);
        Assert.That(Bits(again.Run(feed)), Is.EqualTo(first), $"{threads} threads: two sessions differ");
        return first;
    }

    /// <summary>
    /// Real models on the native backend (SGEMM, convolutions, pools split over threads) give the same bits for
    /// 1, 2, 3, 4 and 8 intra-op threads: the tiny CNN above is too small to be split at all.
    /// </summary>
    [TestCase("models/zoo/mnist_8/model.onnx")]
    [TestCase("models/ultraface/version-RFB-320.onnx")]
    [TestCase("models/ultraface/version-slim-320.onnx")]
    [TestCase("onnx-tests/light/test_squeezenet/model.onnx")]
    [TestCase("models/zoo/super_resolution_10/model.onnx")] // a 3x3 conv whose per-thread-count cost once picked F(6,3) or F(4,3)
    public void RealModelOutputsAreBitIdenticalAcrossThreadCounts(string relative)
    {
        string path = SharedFile(relative);
        byte[] reference = RunTwice(path, 1);
        foreach (int threads in new[] { 2, 3, 4, 8 })
        {
            byte[] got = RunTwice(path, threads);
            Assert.That(got.AsSpan().SequenceEqual(reference), Is.True,
                $"{threads} threads differ from 1 thread at byte {got.AsSpan().CommonPrefixLength(reference)} of {got.Length}");
        }
    }

    /// <summary>
    /// The native SGEMM splits C into tiles, never the K reduction; its KC blocking depends on K alone and the
    /// small-M (GEMV-like) path is chosen from the whole problem's M, not per tile: every thread count sums in the
    /// same order, so results are bit-identical for any thread count, on the packed-only variant (bit 1) and with
    /// the small-M path on (docs/SECURITY.md, Determinism).
    /// </summary>
    [TestCase(1, 1, 1)]
    [TestCase(37, 53, 301)]
    [TestCase(128, 96, 1024)]
    [TestCase(5, 700, 129)]
    [TestCase(9, 300, 200)] // thread tiles of 1-4 rows, shorter than the small-M limit
    public void SgemmIsBitIdenticalAcrossThreadCounts(int m, int n, int k)
    {
        var r = new Random(m * 31 + n * 7 + k);
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
        static bool Same(float[] x, float[] y) => MemoryMarshal.AsBytes(x.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(y.AsSpan()));
        try
        {
            foreach (int variant in new[] { 2, 0 })
            {
                SgemmTuning.SetBlocking(variant: variant);
                var single = new float[m * n];
                Sgemm.Multiply(false, false, m, n, k, 1, a, k, b, n, 0, single, n);
                foreach (int threads in new[] { 1, 2, 3, 4, 8 })
                {
                    var c = new float[m * n];
                    Sgemm.MultiplyThreaded(false, false, m, n, k, 1, a, k, b, n, 0, c, n, threads);
                    var again = new float[m * n];
                    Sgemm.MultiplyThreaded(false, false, m, n, k, 1, a, k, b, n, 0, again, n, threads);
                    Assert.That(Same(c, again), Is.True, $"variant {variant}, {threads} threads, repeated");
                    Assert.That(Same(c, single), Is.True, $"variant {variant}, {threads} threads vs 1");
                }
            }
        }
        finally
        {
            SgemmTuning.SetBlocking();
        }
    }
}
