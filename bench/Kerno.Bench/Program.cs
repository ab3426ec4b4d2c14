using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Kerno.Kernels;

namespace Kerno.Bench;

/// <summary>
/// Kerno's benchmarks. Subcommands:
///   gemm --m M --n N --k K [--threads T] [--isa generic|avx2|avx512|neon] [--variant asm|twin]
///        [--compare openblas,onednn] [--suite] [--seconds S] [--clock wall|cpu] [--json FILE]
///   peak [--isa ...] [--seconds S]
///   conv --shape N,C,H,W --kernel K,C/g,kh,kw ... [--compare onnxruntime] | conv --suite resnet50|vgg19|ultraface|mobilenet (see ConvBench)
///   scaling --m M --n N --k K [--threads T] [--isa ...] [--reps R] [--path all|native|pool|dedicated] [--split S] (see ScalingBench)
///   epilogue [--m M --n N --k K] [--isa ...] [--rounds R]: the cost of each activation (see EpilogueBench)
/// GEMM timings are medians over rounds that run Kerno and each peer back to back (so load from other
/// processes hits all of them alike); % of peak is against the FMA probe (kerno_bench_fma_peak, thread CPU time)
/// run on T threads in every round (wall clock) or before and after the rounds (CPU time). --clock cpu (1 thread only) times the GEMMs by the thread's CPU time too,
/// which takes out time slices lost to other processes on a shared machine.
/// </summary>
internal static unsafe class Program
{
    private static readonly (int M, int N, int K)[] Suite =
    {
        (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
        (3136, 64, 576), (784, 128, 1152), (196, 256, 2304), (49, 512, 4608), (3136, 256, 64), (1, 1000, 2048),
    };

    private static int Main(string[] args)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help")
                return Usage();
            if (args[0] == "conv")
                return ConvBench.Run(args.Skip(1).ToArray());
            var opts = Options.Parse(args.Skip(1).ToArray());
            return args[0] switch
            {
                "gemm" => Gemm(opts),
                "peak" => Peak(opts),
                "scaling" => Scaling(opts),
                "epilogue" => Epilogue(opts),
                _ => Usage(),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Kerno.Bench gemm --m M --n N --k K [--threads T] [--isa ISA] [--variant asm|twin] [--compare openblas,onednn] [--suite] [--seconds S] [--json FILE]");
        Console.Error.WriteLine("       Kerno.Bench peak [--isa ISA] [--seconds S]");
        Console.Error.WriteLine(ConvBench.UsageText);
        Console.Error.WriteLine(ScalingBench.UsageText);
        Console.Error.WriteLine(EpilogueBench.UsageText);
        return 2;
    }

    private static void ApplyIsa(Options o)
    {
        if (o.Get("isa") is { } isa)
            KernoRuntimeInfo.ForceIsa(Enum.Parse<KernelIsa>(isa, ignoreCase: true));
    }

    private static int Peak(Options o)
    {
        ApplyIsa(o);
        double seconds = o.Double("seconds", 1.0);
        KernelIsa isa = KernoRuntimeInfo.ActiveIsa;
        Console.WriteLine($"cpu features: {KernoRuntimeInfo.CpuFeatures}");
        foreach (KernelIsa probe in Enum.GetValues<KernelIsa>())
        {
            if (o.Get("isa") is not null && probe != isa)
                continue;
            try
            {
                double g = SgemmTuning.MeasureFmaPeak(probe, seconds);
                Console.WriteLine($"{probe,-8} FP32 FMA peak, 1 core: {g,7:F1} GFLOPS (median of ~10 ms chunks over {seconds} s)");
            }
            catch (NotSupportedException)
            {
            }
        }
        return 0;
    }

    private static int Epilogue(Options o)
    {
        ApplyIsa(o);
        int? m = o.Has("m") ? o.Int("m", 0) : null;
        return EpilogueBench.Run(m, o.Has("n") ? o.Int("n", 0) : null, o.Has("k") ? o.Int("k", 0) : null, o.Int("rounds", 31));
    }

    private static int Scaling(Options o)
    {
        ApplyIsa(o);
        int m = o.Int("m", 1024);
        return ScalingBench.Run(m, o.Int("n", m), o.Int("k", m), o.Int("threads", 2), o.Int("reps", 21), o.Get("path") ?? "all", o.Int("split", 1));
    }

    private sealed record Result(string Command, string Isa, int M, int N, int K, int Threads, double Gflops,
        double PeakGflops, double PercentOfPeak, Dictionary<string, double> PeerGflops, Dictionary<string, double> Ratio);

    private static int Gemm(Options o)
    {
        ApplyIsa(o);
        if (o.Get("variant") is { } v)
            SgemmTuning.SetBlocking(variant: v == "twin" ? 1 : v == "asm" ? 0 : throw new ArgumentException("--variant asm|twin"));
        int threads = o.Int("threads", 1);
        bool cpuClock = (o.Get("clock") ?? "wall") switch
        {
            "wall" => false,
            "cpu" => true,
            var c => throw new ArgumentException($"--clock {c}: wall or cpu"),
        };
        if (cpuClock && threads != 1)
            throw new ArgumentException("--clock cpu measures one thread: use --threads 1");
        double seconds = o.Double("seconds", 2.0);
        var shapes = o.Has("suite") ? Suite.ToList() : new List<(int, int, int)> { (o.Int("m", 1024), o.Int("n", o.Int("m", 1024)), o.Int("k", o.Int("m", 1024))) };
        var peers = (o.Get("compare") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(name => Peer.Load(name, threads)).Where(p => p is not null).Select(p => p!).ToList();
        foreach (var p in peers)
            p.SetThreads(threads);

        KernelIsa isa = KernoRuntimeInfo.ActiveIsa;
        bool hasPeak = true;
        try { SgemmTuning.MeasureFmaPeak(isa, 0.01); } catch (NotSupportedException) { hasPeak = false; }
        var blk = SgemmTuning.Blocking;
        Console.WriteLine($"kerno {KernoRuntimeInfo.NativeVersion} isa={isa} tile={blk.Mr}x{blk.Nr} MC={blk.Mc} NC={blk.Nc} KC={blk.Kc} threads={threads} " +
                          $"clock={(cpuClock ? "thread-cpu" : "wall")}; peak = the FMA probe on the same threads in every round");
        string header = $"{"M",6} {"N",6} {"K",6} {"kerno GF",9} {"peak GF",8} {"%peak",6}" + string.Concat(peers.Select(p => $" {p.Name + " GF",11} {"ratio",6}"));
        Console.WriteLine(header);

        string command = "gemm " + string.Join(' ', o.Raw);
        var results = new List<Result>();
        foreach (var (m, n, k) in shapes)
        {
            var r = Measure(m, n, k, threads, peers, seconds, hasPeak ? isa : null, cpuClock);
            var ratios = r.Peers.ToDictionary(kv => kv.Key, kv => r.Kerno / kv.Value);
            double pct = r.Peak > 0 ? 100 * r.Kerno / r.Peak : 0;
            Console.WriteLine($"{m,6} {n,6} {k,6} {r.Kerno,9:F1} {r.Peak,8:F1} {pct,6:F1}" + string.Concat(peers.Select(p => $" {r.Peers[p.Name],11:F1} {ratios[p.Name],6:F2}")));
            results.Add(new Result(command, isa.ToString(), m, n, k, threads, r.Kerno, r.Peak, pct, r.Peers, ratios));
        }
        if (o.Get("json") is { } path)
        {
            File.WriteAllText(path, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {path}");
        }
        return 0;
    }

    /// <summary>The FMA probe on <paramref name="threads"/> threads at once: the sum of their GFLOPS.</summary>
    private static double PeakOnThreads(KernelIsa isa, int threads)
    {
        if (threads == 1)
            return SgemmTuning.MeasureFmaPeak(isa, 0.02);
        var g = new double[threads];
        var ts = Enumerable.Range(0, threads).Select(i => new Thread(() => g[i] = SgemmTuning.MeasureFmaPeak(isa, 0.02))).ToList();
        ts.ForEach(t => t.Start());
        ts.ForEach(t => t.Join());
        return g.Sum();
    }

    /// <summary>Medians of GFLOPS over rounds of (kerno, peer 1, peer 2, ..., FMA probe) runs.</summary>
    private static (double Kerno, double Peak, Dictionary<string, double> Peers) Measure(int m, int n, int k, int threads,
        List<Peer> peers, double seconds, KernelIsa? peakIsa, bool cpuClock)
    {
        nuint align = 64;
        long asz = (long)m * k, bsz = (long)k * n, csz = (long)m * n;
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)(asz * 4), align);
        float* b = (float*)NativeMemory.AlignedAlloc((nuint)(bsz * 4), align);
        float* c = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(csz, 1) * 4), align);
        try
        {
            var rnd = new Random(42);
            for (long i = 0; i < asz; ++i) a[i] = (float)(rnd.NextDouble() - 0.5);
            for (long i = 0; i < bsz; ++i) b[i] = (float)(rnd.NextDouble() - 0.5);
            var runs = new List<(string Name, Action Run)>();
            runs.Add(("kerno", threads == 1
                ? () => Sgemm.Multiply(false, false, m, n, k, 1f, new ReadOnlySpan<float>(a, (int)asz), k, new ReadOnlySpan<float>(b, (int)bsz), n, 0f, new Span<float>(c, (int)csz), n)
                : () => Sgemm.MultiplyThreaded(false, false, m, n, k, 1f, new ReadOnlySpan<float>(a, (int)asz), k, new ReadOnlySpan<float>(b, (int)bsz), n, 0f, new Span<float>(c, (int)csz), n, threads)));
            foreach (var p in peers)
                runs.Add((p.Name, () => p.Sgemm(m, n, k, a, b, c)));

            double flops = 2.0 * m * n * k;
            var times = runs.ToDictionary(r => r.Name, _ => new List<double>());
            var peaks = new List<double>();
            // Warm up (packing buffers, JIT, peers' thread pools), then rounds until the time is up.
            foreach (var r in runs)
                for (int i = 0; i < 3; ++i) r.Run();
            if (peakIsa is { } p0 && cpuClock)
            {
                peaks.Add(PeakOnThreads(p0, threads));
                foreach (var r in runs)
                    r.Run();
            }
            var total = Stopwatch.StartNew();
            int rounds = 0;
            while (rounds < 9 || (total.Elapsed.TotalSeconds < seconds && rounds < 2001))
            {
                // Wall clock: the FMA probe in every round (the load from other processes changes), then one
                // untimed run: after the probe's pause the operands may have left the shared caches, and the
                // first library would pay for bringing them back. CPU time: the probe before and after the rounds
                // only, since right after a long probe the first GEMMs run measurably slower.
                if (peakIsa is { } pi && !cpuClock)
                {
                    peaks.Add(PeakOnThreads(pi, threads));
                    runs[0].Run();
                }
                foreach (var r in runs)
                {
                    // Repeat tiny problems inside one timing so the clock's resolution does not matter.
                    int inner = Math.Max(1, (int)(2e7 / flops));
                    double t0 = cpuClock ? Clocks.ThreadCpuSeconds() : 0;
                    long w0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < inner; ++i) r.Run();
                    double dt = (cpuClock ? Clocks.ThreadCpuSeconds() - t0 : Stopwatch.GetElapsedTime(w0).TotalSeconds) / inner;
                    times[r.Name].Add(dt);
                }
                ++rounds;
            }
            if (peakIsa is { } p1 && cpuClock)
                peaks.Add(PeakOnThreads(p1, threads));
            double Median(List<double> t)
            {
                t.Sort();
                return t[t.Count / 2];
            }
            var peerResults = peers.ToDictionary(p => p.Name, p => flops / Median(times[p.Name]) * 1e-9);
            return (flops / Median(times["kerno"]) * 1e-9, peaks.Count > 0 ? Median(peaks) : 0, peerResults);
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }

    private sealed class Options
    {
        private readonly Dictionary<string, string?> _values = new();
        public IReadOnlyList<string> Raw { get; private init; } = Array.Empty<string>();

        public static Options Parse(string[] args)
        {
            var o = new Options { Raw = args };
            for (int i = 0; i < args.Length; ++i)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal))
                    throw new ArgumentException($"unexpected argument '{args[i]}'");
                string key = args[i][2..];
                string? value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
                o._values[key] = value;
            }
            return o;
        }

        public bool Has(string key) => _values.ContainsKey(key);
        public string? Get(string key) => _values.TryGetValue(key, out var v) ? v : null;
        public int Int(string key, int fallback) => Get(key) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        public double Double(string key, double fallback) => Get(key) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
    }
}
