using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Kerno.Tuning;
using Spectre.Console;

namespace Kerno.Cli.Commands;

/// <summary>
/// <c>kerno tune MODEL</c>: measures each convolution's candidate algorithms on the model's real shapes and writes
/// the winners to the tuning cache that later sessions of the same model on the same CPU read
/// (<see cref="SessionOptions.UseTuningCache"/>).
/// </summary>
internal static class TuneCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A .onnx file or a test folder (its input_N.pb files are used)" };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads to tune for (0 = one per physical core)", DefaultValueFactory = _ => 0 };
        var runs = new Option<int>("--runs") { Description = "Timed runs per candidate round (medians)", DefaultValueFactory = _ => 7 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs before each round", DefaultValueFactory = _ => 2 };
        var cache = new Option<string?>("--cache") { Description = "Cache file to write (default: ~/.cache/kerno/tuning/<model sha256>.json, XDG_CACHE_HOME honoured)" };
        var json = new Option<string?>("--json") { Description = "Also write the measurements to this JSON file" };
        var input = new Option<string[]>("--input") { Description = "name=file.pb|file.npy (repeatable); random inputs otherwise" };
        var command = new Command("tune", "Measure every convolution's candidate algorithms on the model's shapes and cache the fastest for later sessions.")
        {
            model, threads, runs, warmup, cache, json, input,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(threads), parse.GetValue(runs), parse.GetValue(warmup),
            parse.GetValue(cache), parse.GetValue(json), parse.GetValue(input) ?? []));
        return command.WithExamples("kerno tune model.onnx --threads 1", "kerno tune model.onnx --cache tuned.json --json report.json");
    }

    private static int Run(string path, int threads, int runs, int warmup, string? cachePath, string? jsonPath, string[] inputSpecs)
    {
        if (runs < 1 || warmup < 0 || threads < 0)
            throw new CliUsageException("--runs must be >= 1, --warmup and --threads >= 0");
        var (modelPath, dataSet) = ModelFiles.Resolve(path);
        string hash = TuningCache.HashFile(modelPath);
        string target = cachePath ?? TuningCache.DefaultPath(hash);
        TuneResult result;
        int usedThreads;
        double beforeMs, afterMs;
        Dictionary<string, Tensor> inputs;
        {
            SessionOptions options = ModelFiles.Options("native", threads);
            options.UseTuningCache = false; // measure from the cost model's choices, whatever an older cache says
            options.KeepOriginalWeights = true; // trials pack other algorithms from the originals
            using var session = new InferenceSession(modelPath, options);
            inputs = ModelFiles.Inputs(session, dataSet, inputSpecs);
            if (session.NativeExecutor?.StaticPlan is null)
                throw new CliUsageException("tuning needs every input shape fixed; this model has symbolic dimensions");
            usedThreads = session.IntraOpThreads;
            result = WithProgress("tune", report => Tuner.Tune(session, inputs, runs, warmup, report));
            TuningCache.Save(target, hash, modelPath, usedThreads, result.Nodes, double.NaN, double.NaN);
        }
        // Before / after on fresh sessions (each with the memory plan of its own choices), alternating runs.
        {
            SessionOptions plain = ModelFiles.Options("native", threads);
            plain.UseTuningCache = false;
            SessionOptions tuned = ModelFiles.Options("native", threads);
            tuned.TuningCachePath = target;
            using var before = new InferenceSession(modelPath, plain);
            using var after = new InferenceSession(modelPath, tuned);
            ModelFiles.ReportWarnings(after);
            (beforeMs, afterMs) = WithProgress("whole model before / after", report =>
            {
                report("whole model before / after", 0, 1);
                return Tuner.CompareLatency(before, after, inputs, Math.Max(runs, 5), warmup);
            });
        }
        TuningCache.Save(target, hash, modelPath, usedThreads, result.Nodes, beforeMs, afterMs);
        Print(Path.GetFileName(modelPath), usedThreads, result, beforeMs, afterMs);
        Console.WriteLine($"cache written to {target}");
        if (afterMs > beforeMs * 1.03)
            Console.Error.WriteLine("warning: the whole model ran slower with the tuned choices than with the cost model's: the per-node times were " +
                "probably disturbed (other processes, or several threads on busy cores); run kerno tune again on a quieter machine, or delete the cache file");
        if (jsonPath is not null)
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(new
            {
                model = modelPath,
                modelSha256 = hash,
                cpu = CpuIdentity.Current,
                threads = usedThreads,
                runs,
                clock = result.Clock,
                latencyBeforeMs = Math.Round(beforeMs, 4),
                latencyAfterMs = Math.Round(afterMs, 4),
                nodes = result.Nodes.Select((n, i) => new
                {
                    node = n.Node,
                    op = n.OpType,
                    shape = result.Shapes[i],
                    @default = n.Default.ToString(),
                    chosen = n.Chosen.ToString(),
                    speedup = Math.Round(SpeedUp(n), 3),
                    medianMs = n.MedianMs.ToDictionary(kv => kv.Key.ToString(), kv => Math.Round(kv.Value, 4)),
                }),
            }, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>Runs <paramref name="work"/> under a Spectre.Console progress bar when the console is interactive.</summary>
    private static T WithProgress<T>(string title, Func<Action<string, int, int>, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
            return work((_, _, _) => { });
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                ProgressTask task = ctx.AddTask(Markup.Escape(title), maxValue: 1);
                result = work((what, done, total) =>
                {
                    task.MaxValue = Math.Max(total, 1);
                    task.Value = done;
                    task.Description = Markup.Escape(what);
                });
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>Median time of the cost model's choice over the tuned one's.</summary>
    private static double SpeedUp(TunedNode n) =>
        n.MedianMs.TryGetValue(n.Default, out double d) && n.MedianMs.TryGetValue(n.Chosen, out double c) && c > 0 ? d / c : 1;

    private static void Print(string model, int threads, TuneResult result, double beforeMs, double afterMs)
    {
        Console.WriteLine($"{model}: {result.Nodes.Count} tunable node(s), {threads} thread(s); candidate times are per-node medians in ms of {result.Clock} (* = chosen)");
        Console.WriteLine();
        Console.WriteLine("| node | shape | candidates (ms) | default | chosen | speed-up |");
        Console.WriteLine("|---|---|---|---|---|---:|");
        for (int i = 0; i < result.Nodes.Count; ++i)
        {
            TunedNode n = result.Nodes[i];
            string candidates = string.Join(", ", n.MedianMs.OrderBy(kv => kv.Value)
                .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{Short(kv.Key)}{(kv.Key == n.Chosen ? "*" : "")} {kv.Value:0.000}")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {n.Node} | {result.Shapes[i]} | {candidates} | {Short(n.Default)} | {Short(n.Chosen)} | {SpeedUp(n):0.00}x |"));
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"whole model (median {result.Clock}, alternating runs): cost model {beforeMs:0.000} ms, tuned {afterMs:0.000} ms ({beforeMs / afterMs:0.00}x)"));
    }

    private static string Short(Kernels.ConvAlgorithm a) => a.ToString().ToLowerInvariant();
}
