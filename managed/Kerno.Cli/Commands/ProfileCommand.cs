using System.CommandLine;
using System.Globalization;
using Kerno.Cli.Charts;

namespace Kerno.Cli.Commands;

/// <summary>
/// <c>kerno profile MODEL [--plot ops.svg] [--trace out.json]</c>: per-node timings (medians over runs after warm-up),
/// a chart of the time per operator type, and a Chrome trace.
/// </summary>
internal static class ProfileCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A .onnx file or a test folder" };
        var trace = new Option<string?>("--trace") { Description = "Write a Chrome trace (chrome://tracing, Perfetto) of the profiled run to this file" };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads (0 = one per physical core)", DefaultValueFactory = _ => 0 };
        var runs = new Option<int>("--runs") { Description = "Profiled runs; the table shows the median time per node", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first", DefaultValueFactory = _ => 2 };
        var backend = new Option<string>("--backend") { Description = "native or reference", DefaultValueFactory = _ => "native" };
        backend.CompletionSources.Add("native", "reference");
        var top = new Option<int>("--top") { Description = "Nodes to list (slowest first; 0 = all)", DefaultValueFactory = _ => 25 };
        var input = new Option<string[]>("--input") { Description = "name=file.pb|file.npy (repeatable)" };
        var plot = new Option<string?>("--plot") { Description = "Draw the share of time per operator type to this .svg or .png", HelpName = "FILE" };
        Option<string?> json = Cli.JsonOption();
        var command = new Command("profile", "Time every node of a model's run; print the slowest nodes and operators, optionally as a chart or a Chrome trace.")
        {
            model, trace, threads, runs, warmup, backend, top, input, plot, json,
        };
        command.SetAction(parse =>
        {
            var (jsonGiven, jsonFile) = Cli.JsonTarget(parse, json);
            return Run(parse.GetValue(model)!, parse.GetValue(trace), parse.GetValue(threads), parse.GetValue(runs),
                parse.GetValue(warmup), parse.GetValue(backend)!, parse.GetValue(top), parse.GetValue(input) ?? [], parse.GetValue(plot), jsonGiven, jsonFile);
        });
        return command.WithExamples(
            "kerno profile model.onnx --threads 1",
            "kerno profile model.onnx --threads 1 --runs 11 --plot ops.svg",
            "kerno profile model.onnx --trace run.json   # open in chrome://tracing or Perfetto",
            "kerno profile model.onnx --json | jq '.byOpType[0]'");
    }

    private static int Run(string path, string? trace, int threads, int runs, int warmup, string backend, int top, string[] inputSpecs,
        string? plotPath, bool jsonGiven, string? jsonFile)
    {
        if (runs < 1 || warmup < 0 || threads < 0)
            throw new CliUsageException($"--runs must be >= 1, --warmup and --threads >= 0, got {runs}, {warmup} and {threads}");
        if (plotPath is not null)
            ChartFile.Validate(plotPath, "--plot");
        var (modelPath, dataSet) = ModelFiles.Resolve(path);
        using var session = new InferenceSession(modelPath, ModelFiles.Options(backend, threads));
        ModelFiles.ReportWarnings(session);
        var inputs = ModelFiles.Inputs(session, dataSet, inputSpecs);
        for (int i = 0; i < warmup; ++i)
            session.Run(inputs);
        var profiles = new List<ProfilingResult>();
        for (int i = 0; i < runs; ++i)
        {
            var options = new RunOptions { EnableProfiling = true };
            session.Run(inputs, options);
            profiles.Add(options.Profile!);
        }
        // The run with the median total is the one shown and traced; per-node times are medians over all runs.
        ProfilingResult shown = profiles.OrderBy(p => p.TotalMicroseconds).ElementAt(profiles.Count / 2);
        bool jsonToStdout = jsonGiven && jsonFile is null;
        TextWriter log = jsonToStdout ? TextWriter.Null : Console.Out;
        string name = Path.GetFileName(Directory.Exists(path) ? path.TrimEnd('/') : modelPath);
        log.WriteLine($"{name}: {shown.Backend} backend, {shown.Threads} thread(s), median run {shown.TotalMicroseconds / 1000:0.###} ms over {profiles.Count} profiled runs");
        var medians = shown.Nodes.Select((n, i) => (Node: n, Us: Median(profiles.Select(p => p.Nodes[i].DurationMicroseconds)))).ToList();
        double total = medians.Sum(m => m.Us);
        var byKernel = medians.GroupBy(m => (m.Node.OpType, m.Node.Kernel)).OrderByDescending(g => g.Sum(m => m.Us)).ToList();
        var slowest = medians.OrderByDescending(m => m.Us).Take(top > 0 ? top : int.MaxValue).ToList();
        if (medians.Count > 0)
        {
            log.WriteLine();
            log.WriteLine("by operator:");
            foreach (var g in byKernel)
            {
                double us = g.Sum(m => m.Us), flops = g.Sum(m => m.Node.Flops);
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {g.Key.OpType,-22} {g.Key.Kernel,-26} x{g.Count(),-4} {us / 1000,9:0.000} ms {100 * us / total,6:0.0}%{(flops > 0 ? $"  {flops / us / 1e3,7:0.0} GFLOP/s" : "")}"));
            }
            log.WriteLine();
            log.WriteLine(top > 0 ? $"slowest {top} nodes:" : "nodes:");
            foreach (var (n, us) in slowest)
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {Trim(n.Name, 34),-34} {n.OpType,-20} {n.Kernel,-24} {n.OutputShape,-20} {us / 1000,9:0.000} ms{(n.Flops > 0 ? $"  {n.Flops / us / 1e3,7:0.0} GFLOP/s" : "")}"));
        }
        TextWriter notes = jsonToStdout ? Console.Error : Console.Out;
        if (trace is not null)
        {
            shown.WriteChromeTrace(trace);
            notes.WriteLine($"trace written to {trace}");
        }
        if (plotPath is not null)
        {
            var rows = byKernel.Select(g => ($"{g.Key.OpType}: {g.Key.Kernel}", g.Sum(m => m.Us), g.Count())).ToList();
            OpTimeChart.Save(rows, string.Create(CultureInfo.InvariantCulture,
                $"{ModelFiles.DisplayName(path, modelPath)}: {shown.Threads} thread{(shown.Threads == 1 ? "" : "s")}, {total / 1000:0.##} ms in nodes (median run {shown.TotalMicroseconds / 1000:0.##} ms)"), plotPath);
            notes.WriteLine($"chart written to {plotPath}");
        }
        if (jsonGiven)
        {
            double Ms(double us) => Math.Round(us / 1000, 4);
            Cli.WriteJson(new
            {
                model = modelPath,
                backend = shown.Backend.ToString().ToLowerInvariant(),
                threads = shown.Threads,
                runs = profiles.Count,
                warmup,
                medianRunMs = Ms(shown.TotalMicroseconds),
                nodesMs = Ms(total),
                byOpType = medians.GroupBy(m => m.Node.OpType).OrderByDescending(g => g.Sum(m => m.Us))
                    .Select(g => new { opType = g.Key, nodes = g.Count(), ms = Ms(g.Sum(m => m.Us)), percent = Math.Round(100 * g.Sum(m => m.Us) / total, 2) }),
                byKernel = byKernel.Select(g => new { opType = g.Key.OpType, kernel = g.Key.Kernel, nodes = g.Count(), ms = Ms(g.Sum(m => m.Us)), flops = g.Sum(m => m.Node.Flops) }),
                nodes = slowest.Select(m => new { name = m.Node.Name, opType = m.Node.OpType, kernel = m.Node.Kernel, outputShape = m.Node.OutputShape, ms = Ms(m.Us), flops = m.Node.Flops }),
            }, jsonFile);
        }
        return Cli.Ok;
    }

    private static double Median(IEnumerable<double> values)
    {
        var s = values.OrderBy(v => v).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static string Trim(string s, int n) => s.Length <= n ? s : "…" + s[^(n - 1)..];
}
