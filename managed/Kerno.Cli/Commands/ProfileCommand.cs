using System.CommandLine;
using System.Globalization;

namespace Kerno.Cli.Commands;

/// <summary><c>kerno profile MODEL --trace out.json</c>: per-node timings of one run (after warm-up) and a Chrome trace.</summary>
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
        var top = new Option<int>("--top") { Description = "Nodes to list (slowest first; 0 = all)", DefaultValueFactory = _ => 25 };
        var input = new Option<string[]>("--input") { Description = "name=file.pb|file.npy, or name=1x3x128x640 for random values of that shape (repeatable)" };
        var command = new Command("profile", "Time every node of a model's run; print the slowest nodes and operators, optionally write a Chrome trace.")
        {
            model, trace, threads, runs, warmup, backend, top, input,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(trace), parse.GetValue(threads), parse.GetValue(runs),
            parse.GetValue(warmup), parse.GetValue(backend)!, parse.GetValue(top), parse.GetValue(input) ?? []));
        return command;
    }

    private static int Run(string path, string? trace, int threads, int runs, int warmup, string backend, int top, string[] inputSpecs)
    {
        var (modelPath, dataSet) = ModelFiles.Resolve(path);
        using var session = new InferenceSession(modelPath, ModelFiles.Options(backend, threads));
        var inputs = ModelFiles.Inputs(session, dataSet, inputSpecs);
        for (int i = 0; i < warmup; ++i)
            session.Run(inputs);
        var profiles = new List<ProfilingResult>();
        for (int i = 0; i < Math.Max(1, runs); ++i)
        {
            var options = new RunOptions { EnableProfiling = true };
            session.Run(inputs, options);
            profiles.Add(options.Profile!);
        }
        // The run with the median total is the one shown and traced; per-node times are medians over all runs.
        ProfilingResult shown = profiles.OrderBy(p => p.TotalMicroseconds).ElementAt(profiles.Count / 2);
        Console.WriteLine($"{Path.GetFileName(modelPath)}: {shown.Backend} backend, {shown.Threads} thread(s), median run {shown.TotalMicroseconds / 1000:0.###} ms over {profiles.Count} profiled runs");
        if (shown.Nodes.Count > 0)
        {
            var medians = shown.Nodes.Select((n, i) => (Node: n, Us: Median(profiles.Select(p => p.Nodes[i].DurationMicroseconds)))).ToList();
            double total = medians.Sum(m => m.Us);
            Console.WriteLine();
            Console.WriteLine("by operator:");
            foreach (var g in medians.GroupBy(m => (m.Node.OpType, m.Node.Kernel)).OrderByDescending(g => g.Sum(m => m.Us)))
            {
                double us = g.Sum(m => m.Us), flops = g.Sum(m => m.Node.Flops);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {g.Key.OpType,-22} {g.Key.Kernel,-26} x{g.Count(),-4} {us / 1000,9:0.000} ms {100 * us / total,6:0.0}%{(flops > 0 ? $"  {flops / us / 1e3,7:0.0} GFLOP/s" : "")}"));
            }
            Console.WriteLine();
            Console.WriteLine(top > 0 ? $"slowest {top} nodes:" : "nodes:");
            foreach (var (n, us) in medians.OrderByDescending(m => m.Us).Take(top > 0 ? top : int.MaxValue))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {Trim(n.Name, 34),-34} {n.OpType,-20} {n.Kernel,-24} {n.OutputShape,-20} {us / 1000,9:0.000} ms{(n.Flops > 0 ? $"  {n.Flops / us / 1e3,7:0.0} GFLOP/s" : "")}"));
        }
        if (trace is not null)
        {
            shown.WriteChromeTrace(trace);
            Console.WriteLine($"trace written to {trace}");
        }
        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var s = values.OrderBy(v => v).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static string Trim(string s, int n) => s.Length <= n ? s : "…" + s[^(n - 1)..];
}
