using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Kerno.Cli.Commands;

/// <summary>
/// <c>kerno bench MODEL|TESTDIR</c>: session creation time, min/median/max latency and peak working set; with
/// <c>--compare onnxruntime</c>, ONNX Runtime on the same inputs, run alternately with Kerno in this process.
/// </summary>
internal static class BenchCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A .onnx file, or a test folder (model.onnx + test_data_set_*: its first data set's inputs are used)" };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads (0 = one per physical core)", DefaultValueFactory = _ => 0 };
        var runs = new Option<int>("--runs") { Description = "Timed runs", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first", DefaultValueFactory = _ => 3 };
        var backend = new Option<string>("--backend") { Description = "native or reference", DefaultValueFactory = _ => "native" };
        var compare = new Option<string?>("--compare") { Description = "Also run this engine alternately: onnxruntime" };
        var json = new Option<string?>("--json") { Description = "Write the results as JSON to this file" };
        var input = new Option<string[]>("--input") { Description = "name=file.pb|file.npy, or name=1x3x128x640 for random values of that shape (repeatable); other inputs come from the test data or are random", AllowMultipleArgumentsPerToken = false };
        var clock = new Option<string>("--clock") { Description = "wall, or cpu: the calling thread's CPU time (--threads 1 only; steadier on a busy machine)", DefaultValueFactory = _ => "wall" };
        var command = new Command("bench", "Benchmark a model: session creation, latency (min/median/max), peak memory; optionally against ONNX Runtime.")
        {
            model, threads, runs, warmup, backend, compare, json, input, clock,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(threads), parse.GetValue(runs), parse.GetValue(warmup),
            parse.GetValue(backend)!, parse.GetValue(compare), parse.GetValue(json), parse.GetValue(input) ?? [], parse.GetValue(clock)!));
        return command;
    }

    internal sealed record Stats(double Min, double Median, double Max, double Mean)
    {
        public static Stats Of(List<double> ms)
        {
            var s = ms.OrderBy(x => x).ToList();
            double median = s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
            return new Stats(s[0], median, s[^1], s.Average());
        }
    }

    private static int Run(string path, int threads, int runs, int warmup, string backend, string? compare, string? jsonPath, string[] inputSpecs, string clockKind = "wall")
    {
        if (runs < 1 || warmup < 0 || threads < 0)
        {
            Console.Error.WriteLine("--runs must be >= 1, --warmup and --threads >= 0");
            return 2;
        }
        if (clockKind is not ("wall" or "cpu") || (clockKind == "cpu" && threads != 1))
        {
            Console.Error.WriteLine($"--clock {clockKind}: wall, or cpu with --threads 1");
            return 2;
        }
        Func<double> now = clockKind == "cpu" ? ThreadCpuMilliseconds : () => Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
        if (compare is not null && compare.ToLowerInvariant() is not ("onnxruntime" or "ort"))
        {
            Console.Error.WriteLine($"unknown --compare '{compare}' (use onnxruntime)");
            return 2;
        }
        var (modelPath, dataSet) = ModelFiles.Resolve(path);
        var clock = Stopwatch.StartNew();
        using var session = new InferenceSession(modelPath, ModelFiles.Options(backend, threads));
        double createMs = clock.Elapsed.TotalMilliseconds;
        var inputs = ModelFiles.Inputs(session, dataSet, inputSpecs);
        int usedThreads = session.IntraOpThreads;

        IReadOnlyList<NamedValue> kernoOut = session.Run(inputs);
        for (int i = 1; i < warmup; ++i)
            session.Run(inputs);
        long kernoPeak = Process.GetCurrentProcess().PeakWorkingSet64;

        var peers = new List<(string Name, OrtPeer Peer)>();
        try
        {
            if (compare is not null)
            {
                byte[] bytes = File.ReadAllBytes(modelPath);
                int ortThreads = threads > 0 ? threads : usedThreads;
                try
                {
                    peers.Add(("onnxruntime", OrtPeer.Create(bytes, ortThreads, inputs)));
                }
                catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
                {
                    throw new CliUsageException($"ONNX Runtime's native library is not available here (the tool carries it for linux-x64 and linux-arm64): {e.Message}");
                }
                if (OrtPeer.WithoutInitializerInputs(bytes) is { } stripped)
                {
                    try
                    {
                        peers.Add(("onnxruntime (initializer inputs removed)", OrtPeer.Create(stripped, ortThreads, inputs)));
                    }
                    catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
                    {
                        Console.Error.WriteLine($"onnxruntime refused the copy without initializer inputs: {e.Message}");
                    }
                }
                foreach (var (_, p) in peers)
                    for (int i = 0; i < Math.Max(warmup, 1); ++i)
                        p.RunTimed();
            }

            var kernoMs = new List<double>(runs);
            var peerMs = peers.Select(_ => new List<double>(runs)).ToList();
            for (int r = 0; r < runs; ++r)
            {
                double t0 = now();
                session.Run(inputs);
                kernoMs.Add(now() - t0);
                for (int p = 0; p < peers.Count; ++p)
                {
                    t0 = now();
                    peers[p].Peer.RunTimed();
                    peerMs[p].Add(now() - t0);
                }
            }
            Stats kerno = Stats.Of(kernoMs);
            string name = Path.GetFileName(Directory.Exists(path) ? path.TrimEnd('/') : modelPath);
            Console.WriteLine($"{name}: {session.Backend.ToString().ToLowerInvariant()} backend, {usedThreads} thread(s), {runs} runs after {warmup} warm-up{(clockKind == "cpu" ? ", thread CPU time" : "")}");
            Console.WriteLine($"  kerno        create {createMs,9:0.0} ms   min {kerno.Min,9:0.000}   median {kerno.Median,9:0.000}   max {kerno.Max,9:0.000} ms   peak working set {kernoPeak / 1048576.0:0} MiB");
            var peerReports = new List<object>();
            for (int p = 0; p < peers.Count; ++p)
            {
                Stats s = Stats.Of(peerMs[p]);
                float[]?[] ortOut = peers[p].Peer.Run();
                double maxDiff = MaxAbsDifference(kernoOut, ortOut);
                double ratio = s.Median / kerno.Median;
                Console.WriteLine($"  {peers[p].Name}");
                Console.WriteLine($"               create {peers[p].Peer.CreateMilliseconds,9:0.0} ms   min {s.Min,9:0.000}   median {s.Median,9:0.000}   max {s.Max,9:0.000} ms");
                Console.WriteLine($"               ORT median / Kerno median = {ratio:0.00}x ({(ratio >= 1 ? "Kerno faster" : "ORT faster")}), max abs output difference {maxDiff:0.###e+0}");
                peerReports.Add(new { name = peers[p].Name, createMs = Round(peers[p].Peer.CreateMilliseconds), minMs = Round(s.Min), medianMs = Round(s.Median), maxMs = Round(s.Max), ratio = Round(ratio), maxAbsDiff = maxDiff });
            }
            Console.WriteLine($"  process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MiB");
            if (jsonPath is not null)
            {
                var report = new
                {
                    model = modelPath,
                    backend = session.Backend.ToString().ToLowerInvariant(),
                    threads = usedThreads,
                    runs,
                    warmup,
                    kerno = new { createMs = Round(createMs), minMs = Round(kerno.Min), medianMs = Round(kerno.Median), maxMs = Round(kerno.Max), meanMs = Round(kerno.Mean), peakWorkingSetMiB = Round(kernoPeak / 1048576.0) },
                    compare = peerReports,
                };
                File.WriteAllText(jsonPath, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            }
        }
        finally
        {
            foreach (var (_, p) in peers)
                p.Dispose();
        }
        return 0;
    }

    private static double Round(double v) => Math.Round(v, 4);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGettime(int clock, out Timespec ts);

    /// <summary>The calling thread's CPU time (Linux CLOCK_THREAD_CPUTIME_ID): at one thread both engines run on it.</summary>
    private static double ThreadCpuMilliseconds()
    {
        if (ClockGettime(3, out Timespec ts) != 0)
            throw new PlatformNotSupportedException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return ts.Seconds * 1e3 + ts.Nanoseconds * 1e-6;
    }

    internal static double MaxAbsDifference(IReadOnlyList<NamedValue> kerno, float[]?[] other)
    {
        double max = 0;
        for (int i = 0; i < Math.Min(kerno.Count, other.Length); ++i)
        {
            if (kerno[i].Value is not Tensor<float> k || other[i] is not { } o || o.Length != k.Length)
                continue;
            ReadOnlySpan<float> ks = k.Span;
            for (int j = 0; j < o.Length; ++j)
            {
                double d = Math.Abs((double)ks[j] - o[j]);
                if (double.IsNaN(d))
                    d = float.IsNaN(ks[j]) && float.IsNaN(o[j]) ? 0 : double.PositiveInfinity;
                max = Math.Max(max, d);
            }
        }
        return max;
    }

    internal static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
