using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Kerno.Cli.Charts;
using Spectre.Console;

namespace Kerno.Cli.Commands;

/// <summary>
/// <c>kerno bench MODEL|TESTDIR</c>: session creation time, min/median/max latency and peak working set; with
/// <c>--compare onnxruntime</c>, ONNX Runtime on the same inputs, run alternately with Kerno in this process. Several
/// models and thread counts run one after the other; <c>--plot</c> draws them all in one chart.
/// </summary>
internal static class BenchCommand
{
    internal static Command Create()
    {
        var models = new Argument<string[]>("MODEL")
        {
            Description = "One or more .onnx files or test folders (model.onnx + test_data_set_*: the first data set's inputs are used)",
            Arity = ArgumentArity.OneOrMore,
        };
        var threads = new Option<string>("--threads")
        {
            Description = "Intra-op threads; a comma-separated list benchmarks each count (0 = one per physical core)",
            DefaultValueFactory = _ => "0",
            HelpName = "N[,N...]",
        };
        var runs = new Option<int>("--runs") { Description = "Timed runs", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first", DefaultValueFactory = _ => 3 };
        var backend = new Option<string>("--backend") { Description = "native or reference", DefaultValueFactory = _ => "native" };
        backend.CompletionSources.Add("native", "reference");
        var compare = new Option<string?>("--compare") { Description = "Also run this engine alternately: onnxruntime" };
        compare.CompletionSources.Add("onnxruntime");
        Option<string?> json = Cli.JsonOption();
        json.Description += " (one object per model x threads: an array when there are several)";
        var plot = new Option<string?>("--plot") { Description = "Draw the latencies (Kerno vs --compare, one group per model x threads) to this .svg or .png", HelpName = "FILE" };
        var input = new Option<string[]>("--input") { Description = "name=file.pb|file.npy, or name=1x3x128x640 for random values of that shape (repeatable, applies to every model); other inputs come from the test data or are random", AllowMultipleArgumentsPerToken = false };
        var creation = new Option<bool>("--creation")
        {
            Description = "Also create a second session of the model with each engine (JIT and first-use costs paid) and print where Kerno's creation spent its time, phase by phase, in both",
        };
        var clock = new Option<string>("--clock") { Description = "wall, or cpu: the calling thread's CPU time (--threads 1 only; steadier on a busy machine)", DefaultValueFactory = _ => "wall" };
        clock.CompletionSources.Add("wall", "cpu");
        var command = new Command("bench", "Benchmark models: session creation, latency (min/median/max), peak memory; optionally against ONNX Runtime, and as a chart.")
        {
            models, threads, runs, warmup, backend, compare, json, plot, input, clock, creation,
        };
        command.SetAction(parse =>
        {
            var (jsonGiven, jsonFile) = Cli.JsonTarget(parse, json);
            return Run(parse.GetValue(models)!, ParseThreads(parse.GetValue(threads)!), parse.GetValue(runs), parse.GetValue(warmup),
                parse.GetValue(backend)!, parse.GetValue(compare), jsonGiven, jsonFile, parse.GetValue(plot), parse.GetValue(input) ?? [], parse.GetValue(clock)!,
                parse.GetValue(creation));
        });
        return command.WithExamples(
            "kerno bench model.onnx",
            "kerno bench model.onnx --threads 1 --runs 50 --compare onnxruntime",
            "kerno bench a.onnx b.onnx --threads 1,2 --compare onnxruntime --plot latency.svg",
            "kerno bench model.onnx --json | jq '.kerno.medianMs'");
    }

    /// <summary>Resets the kernel's peak-RSS mark (Linux: "5" to /proc/self/clear_refs); returns the working set then,
    /// or -1 when the mark cannot be reset (the ORT figure is then not printed).</summary>
    private static long ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return Process.GetCurrentProcess().WorkingSet64;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return -1;
        }
    }

    internal sealed record Stats(double Min, double Median, double Max, double Mean)
    {
        public static Stats Of(List<double> ms)
        {
            var s = ms.OrderBy(x => x).ToList();
            double median = s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
            return new Stats(s[0], median, s[^1], s.Average());
        }

        public LatencyChart.BenchStats ForChart() => new(Min, Median, Max);
    }

    /// <summary>"1,2,4" (or "0") as thread counts; a usage error otherwise.</summary>
    internal static int[] ParseThreads(string text)
    {
        var counts = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                throw new CliUsageException($"--threads: expected a thread count or a comma-separated list such as 1,2,4, got '{text}'");
            if (!counts.Contains(n))
                counts.Add(n);
        }
        return [.. counts];
    }

    /// <summary>One model at one thread count: what the text, JSON and chart report.</summary>
    private sealed record Result(string Name, int Threads, Stats Kerno, Stats? Peer, object Json, string[] Row);

    private static readonly string[] SummaryColumns =
        ["model", "thr", "create", "median", "min", "ORT", "ORT/Kerno", "max diff", "+MiB", "ORT +MiB"];

    /// <summary>One row per model x threads after the detailed lines, so several models read as one table.</summary>
    private static void WriteSummary(IReadOnlyList<Result> results)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("bench summary: ms; ORT = ONNX Runtime median; ORT/Kerno > 1: Kerno faster; +MiB: peak working set added");
        foreach (string c in SummaryColumns)
            table.AddColumn(new TableColumn(Markup.Escape(c)) { Alignment = c == "model" ? Justify.Left : Justify.Right });
        foreach (Result r in results)
            table.AddRow(r.Row.Select(Markup.Escape).ToArray());
        // Redirected output (logs, CI) gets Spectre's 80 columns, which wraps every cell: give the table room.
        if (Console.IsOutputRedirected && AnsiConsole.Profile.Width < 132)
            AnsiConsole.Profile.Width = 132;
        AnsiConsole.Write(table);
    }

    private static int Run(string[] paths, int[] threadCounts, int runs, int warmup, string backend, string? compare, bool jsonGiven, string? jsonFile,
        string? plotPath, string[] inputSpecs, string clockKind, bool creation)
    {
        if (runs < 1 || warmup < 0)
            throw new CliUsageException($"--runs must be >= 1 and --warmup >= 0, got {runs} and {warmup}");
        if (compare is not null && compare.ToLowerInvariant() is not ("onnxruntime" or "ort"))
            throw new CliUsageException($"--compare: expected onnxruntime, got '{compare}'");
        if (clockKind is not ("wall" or "cpu") || (clockKind == "cpu" && threadCounts.Any(t => t != 1)))
            throw new CliUsageException($"--clock: expected wall, or cpu with --threads 1, got '{clockKind}'");
        ModelFiles.ParseBackend(backend);
        if (plotPath is not null)
            ChartFile.Validate(plotPath, "--plot");
        // Every path is checked before the first (long) benchmark starts.
        var models = paths.Select(p => (Path: p, Files: ModelFiles.Resolve(p))).ToList();
        var jobs = models.SelectMany(m => threadCounts.Select(t => (m.Path, m.Files.Model, m.Files.DataSet, Threads: t))).ToList();

        bool jsonToStdout = jsonGiven && jsonFile is null;
        var results = new List<Result>();
        if (!jsonToStdout && jobs.Count > 1 && AnsiConsole.Profile.Capabilities.Interactive)
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask task = ctx.AddTask("bench", maxValue: jobs.Count);
                    foreach (var job in jobs)
                    {
                        task.Description = Markup.Escape($"{ModelFiles.DisplayName(job.Path, job.Model)}, {job.Threads} thread(s)");
                        var lines = new StringWriter();
                        results.Add(BenchOne(job.Path, job.Model, job.DataSet, job.Threads, runs, warmup, backend, compare, inputSpecs, clockKind, creation, lines));
                        Collect();
                        AnsiConsole.Write(new Text(lines.ToString()));
                        task.Increment(1);
                    }
                    task.Description = "bench";
                });
        }
        else
        {
            TextWriter log = jsonToStdout ? TextWriter.Null : Console.Out;
            foreach (var job in jobs)
            {
                results.Add(BenchOne(job.Path, job.Model, job.DataSet, job.Threads, runs, warmup, backend, compare, inputSpecs, clockKind, creation, log));
                Collect();
            }
        }
        if (!jsonToStdout)
            WriteSummary(results);
        if (jsonGiven)
            Cli.WriteJson(results.Count == 1 ? results[0].Json : results.Select(r => r.Json).ToArray(), jsonFile);
        if (plotPath is not null)
        {
            LatencyChart.Save(results.Select(r => new LatencyChart.Group(r.Name, r.Threads, r.Kerno.ForChart(), r.Peer?.ForChart())).ToList(),
                "ONNX Runtime", plotPath);
            (jsonToStdout ? Console.Error : Console.Out).WriteLine($"chart written to {plotPath}");
        }
        return Cli.Ok;
    }

    /// <summary>
    /// Frees the last model's weights before the next one is timed, so its collection does not land in those runs, and
    /// on Linux resets the process's peak resident size (VmHWM) so each model reports its own peak working set.
    /// </summary>
    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        try
        {
            if (OperatingSystem.IsLinux())
                File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Older kernels or a restricted /proc: later models then report the peak so far.
        }
    }

    private static Result BenchOne(string path, string modelPath, string? dataSet, int threads, int runs, int warmup, string backend, string? compare,
        string[] inputSpecs, string clockKind, bool creation, TextWriter log)
    {
        Func<double> now = clockKind == "cpu" ? () => Kerno.Execution.ThreadCpuClock.Seconds() * 1e3 : () => Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
        long baseline = Process.GetCurrentProcess().WorkingSet64;
        var clock = Stopwatch.StartNew();
        double cpu0 = CreationReport.CpuMs();
        using var session = new InferenceSession(modelPath, ModelFiles.Options(backend, threads));
        double createMs = clock.Elapsed.TotalMilliseconds, createCpuMs = CreationReport.CpuMs() - cpu0;
        ModelFiles.ReportWarnings(session);
        var inputs = ModelFiles.Inputs(session, dataSet, inputSpecs);
        int usedThreads = session.IntraOpThreads;

        IReadOnlyList<NamedValue> kernoOut = session.Run(inputs);
        for (int i = 1; i < warmup; ++i)
            session.Run(inputs);
        long kernoPeak = Process.GetCurrentProcess().PeakWorkingSet64;
        long ortAdded = -1;

        var peers = new List<(string Name, OrtPeer Peer)>();
        byte[]? ortBytes = null;
        try
        {
            if (compare is not null)
            {
                // ONNX Runtime's own peak: reset the process's high-water mark (Linux), then read it after ORT's
                // session creation and warm-up, over the working set just before.
                byte[] bytes = ortBytes = File.ReadAllBytes(modelPath);
                long beforeOrt = ResetPeak();
                int ortThreads = threads > 0 ? threads : usedThreads;
                try
                {
                    peers.Add(("onnxruntime", OrtPeer.Create(bytes, ortThreads, inputs)));
                    for (int i = 0; i < Math.Max(warmup, 1); ++i)
                        peers[0].Peer.RunTimed();
                    if (beforeOrt > 0)
                        ortAdded = Process.GetCurrentProcess().PeakWorkingSet64 - beforeOrt;
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
            // With several threads each engine's pool keeps spinning for a while after a run, so alternating run by
            // run, one engine's spinning workers hold the cores the other one needs. Then the engines alternate in
            // blocks of back-to-back runs (a serving loop), with a pause at each switch that lets the other engine's
            // workers park; the first run of a block is untimed. One thread: plain run-by-run alternation.
            bool blocks = peers.Count > 0 && usedThreads > 1;
            int block = blocks ? BlockRuns : 1;
            for (int done = 0; done < runs; done += block)
            {
                int n = Math.Min(block, runs - done);
                TimeBlock(() => session.Run(inputs), kernoMs, n, blocks);
                for (int p = 0; p < peers.Count; ++p)
                    TimeBlock(peers[p].Peer.RunTimed, peerMs[p], n, blocks);
            }

            void TimeBlock(Action run, List<double> times, int n, bool settle)
            {
                if (settle)
                {
                    Thread.Sleep(PauseMilliseconds);
                    run();
                }
                for (int i = 0; i < n; ++i)
                {
                    double t0 = now();
                    run();
                    times.Add(now() - t0);
                }
            }
            Stats kerno = Stats.Of(kernoMs);
            string name = Path.GetFileName(Directory.Exists(path) ? path.TrimEnd('/') : modelPath);
            log.WriteLine($"{name}: {session.Backend.ToString().ToLowerInvariant()} backend, {usedThreads} thread(s), {runs} runs after {warmup} warm-up{(clockKind == "cpu" ? ", thread CPU time" : "")}{(blocks ? $", engines alternating in blocks of {BlockRuns} runs" : "")}");
            log.WriteLine($"  kerno        create {createMs,9:0.0} ms (thread CPU {createCpuMs:0.0} ms)   min {kerno.Min,9:0.000}   median {kerno.Median,9:0.000}   max {kerno.Max,9:0.000} ms   peak working set {kernoPeak / 1048576.0:0} MiB (+{(kernoPeak - baseline) / 1048576.0:0} MiB over the process before the session)");
            if (ortAdded >= 0)
                log.WriteLine($"  onnxruntime  peak working set +{ortAdded / 1048576.0:0} MiB over the process before its session (creation and warm-up)");
            var peerReports = new List<object>();
            var peerStats = new List<Stats>();
            var peerDiffs = new List<double>();
            for (int p = 0; p < peers.Count; ++p)
            {
                Stats s = Stats.Of(peerMs[p]);
                peerStats.Add(s);
                float[]?[] ortOut = peers[p].Peer.Run();
                double maxDiff = MaxAbsDifference(kernoOut, ortOut);
                peerDiffs.Add(maxDiff);
                double ratio = s.Median / kerno.Median;
                log.WriteLine($"  {peers[p].Name}");
                log.WriteLine($"               create {peers[p].Peer.CreateMilliseconds,9:0.0} ms (thread CPU {peers[p].Peer.CreateCpuMilliseconds:0.0} ms)   min {s.Min,9:0.000}   median {s.Median,9:0.000}   max {s.Max,9:0.000} ms");
                log.WriteLine($"               ORT median / Kerno median = {ratio:0.00}x ({(ratio >= 1 ? "Kerno faster" : "ORT faster")}), max abs output difference {maxDiff:0.###e+0}");
                peerReports.Add(new { name = peers[p].Name, createMs = Round(peers[p].Peer.CreateMilliseconds), createCpuMs = Round(peers[p].Peer.CreateCpuMilliseconds), minMs = Round(s.Min), medianMs = Round(s.Median), maxMs = Round(s.Max), ratio = Round(ratio), maxAbsDiff = maxDiff });
            }
            log.WriteLine($"  process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MiB");
            object? creationReport = creation
                ? CreationReport.Measure(modelPath, ModelFiles.Options(backend, threads), session, createMs, createCpuMs,
                    peers.Count > 0 ? (ortBytes!, peers[0].Peer, threads > 0 ? threads : usedThreads) : null, inputs, log)
                : null;
            var report = new
            {
                model = modelPath,
                backend = session.Backend.ToString().ToLowerInvariant(),
                threads = usedThreads,
                runs,
                warmup,
                kerno = new { createMs = Round(createMs), createCpuMs = Round(createCpuMs), minMs = Round(kerno.Min), medianMs = Round(kerno.Median), maxMs = Round(kerno.Max), meanMs = Round(kerno.Mean), peakWorkingSetMiB = Round(kernoPeak / 1048576.0), peakWorkingSetAddedMiB = Round((kernoPeak - baseline) / 1048576.0) },
                onnxruntimePeakWorkingSetAddedMiB = ortAdded >= 0 ? Round(ortAdded / 1048576.0) : (double?)null,
                compare = peerReports,
                creation = creationReport,
            };
            // The chart compares with ONNX Runtime as given (the first peer), not the copy without initializer inputs.
            string displayName = ModelFiles.DisplayName(path, modelPath);
            var inv = CultureInfo.InvariantCulture;
            string[] row =
            [
                displayName, usedThreads.ToString(inv), createMs.ToString("0", inv),
                kerno.Median.ToString("0.000", inv), kerno.Min.ToString("0.000", inv),
                peerStats.Count > 0 ? peerStats[0].Median.ToString("0.000", inv) : "-",
                peerStats.Count > 0 ? (peerStats[0].Median / kerno.Median).ToString("0.00", inv) + "x" : "-",
                peerDiffs.Count > 0 ? peerDiffs[0].ToString("0.#e+0", inv) : "-",
                ((kernoPeak - baseline) / 1048576.0).ToString("0", inv), ortAdded >= 0 ? (ortAdded / 1048576.0).ToString("0", inv) : "-",
            ];
            return new Result(displayName, usedThreads, kerno, peerStats.Count > 0 ? peerStats[0] : null, report, row);
        }
        finally
        {
            foreach (var (_, p) in peers)
                p.Dispose();
        }
    }

    private static double Round(double v) => Math.Round(v, 4);

    /// <summary>With several threads, engines alternate in blocks of this many timed runs (see BenchOne).</summary>
    private const int BlockRuns = 5;

    /// <summary>Pause at each switch of engine with several threads, so the other engine's spinning workers park.</summary>
    private const int PauseMilliseconds = 200;

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
