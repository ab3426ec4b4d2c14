using System.CommandLine;
using System.Globalization;
using Kerno.Graph;
using Kerno.Planning;
using Spectre.Console;

namespace Kerno.Cli.Commands;

/// <summary>
/// <c>kerno inspect MODEL [--optimized] [--memory] [--dot FILE]</c>: the graph with shapes, FLOPs per node and the
/// kernel the native backend chose for each node; with <c>--memory</c>, the arena against the sum of intermediates;
/// with <c>--dot</c>, the optimized graph for Graphviz (rendered when <c>dot</c> is installed).
/// </summary>
internal static class InspectCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A .onnx file or a test folder" };
        var optimized = new Option<bool>("--optimized") { Description = "Show the graph after the optimizer, as the native backend runs it (folded, fused, kernels chosen)" };
        var memory = new Option<bool>("--memory") { Description = "Show the memory plan: arena size, sum of intermediates, packed weights" };
        var dot = new Option<string?>("--dot")
        {
            Description = "Write the optimized graph (op, kernel and output shape per node; fused nodes marked) as Graphviz DOT to FILE.dot; " +
                          "with FILE.svg or FILE.png, also render it there with Graphviz's dot when installed",
            HelpName = "FILE",
        };
        var render = new Option<bool>("--render") { Description = "With --dot FILE.dot: also render FILE.svg with Graphviz's dot" };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads the plan is made for (0 = one per physical core)", DefaultValueFactory = _ => 1 };
        var cache = new Option<string?>("--tuning-cache") { Description = "Tuning cache file to use (default: the model's file under ~/.cache/kerno/tuning, if any)" };
        Option<string?> json = Cli.JsonOption();
        var command = new Command("inspect", "Show a model's graph: shapes, FLOPs and chosen kernel per node (\"(tuned)\" when kerno tune chose it), and its memory plan; draw it with Graphviz.")
        {
            model, optimized, memory, dot, render, threads, cache, json,
        };
        command.SetAction(parse =>
        {
            var (jsonGiven, jsonFile) = Cli.JsonTarget(parse, json);
            return Run(parse.GetValue(model)!, parse.GetValue(optimized), parse.GetValue(memory), parse.GetValue(dot), parse.GetValue(render),
                parse.GetValue(threads), parse.GetValue(cache), jsonGiven, jsonFile);
        });
        return command.WithExamples(
            "kerno inspect model.onnx",
            "kerno inspect model.onnx --optimized --memory",
            "kerno inspect model.onnx --dot graph.svg     # graph.dot, and graph.svg when Graphviz is installed",
            "kerno inspect model.onnx --dot graph.dot --render",
            "kerno inspect model.onnx --optimized --tuning-cache tuned.json   # kernels kerno tune chose are marked (tuned)",
            "kerno inspect model.onnx --optimized --json | jq '.nodes[] | .kernel'");
    }

    /// <summary>The step's kernel, marked when the tuning cache chose its algorithm.</summary>
    private static string KernelOf(KernelStep s, Func<int, int[]?> shapeOf) =>
        s.KernelName + (s is NativeConvStep conv && shapeOf(s.Inputs[0]) is { } x && conv.IsTuned(x) ? " (tuned)" : "");

    private sealed record Row(int Index, string Name, string Op, string Inputs, string Outputs, string Shape, double Flops, string Kernel);

    /// <summary>
    /// A console that renders tables into <paramref name="log"/> (stdout, or nothing under --json), wide enough that
    /// redirected output (logs, CI, tests) does not wrap cells at Spectre's default 80 columns.
    /// </summary>
    private static IAnsiConsole TableConsole(TextWriter log)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(log) });
        if (console.Profile.Width < 160)
            console.Profile.Width = 160;
        return console;
    }

    private static int Run(string path, bool optimized, bool memory, string? dotArg, bool render, int threads, string? tuningCache, bool jsonGiven, string? jsonFile)
    {
        // Where the DOT text goes and what is rendered from it, checked before the model loads.
        string? dotPath = null, renderPath = null;
        if (dotArg is not null)
        {
            string ext = Path.GetExtension(dotArg).ToLowerInvariant();
            if (ext is ".svg" or ".png")
                (dotPath, renderPath) = (Path.ChangeExtension(dotArg, ".dot"), dotArg);
            else
                (dotPath, renderPath) = (dotArg, render ? Path.ChangeExtension(dotArg, ".svg") : null);
            if (Path.GetDirectoryName(Path.GetFullPath(dotArg)) is { } dir && !Directory.Exists(dir))
                throw new CliUsageException($"--dot: the folder of '{dotArg}' does not exist");
        }
        else if (render)
            throw new CliUsageException("--render: expected --dot FILE too (the graph to render)");
        if (threads < 0)
            throw new CliUsageException($"--threads: expected 0 (one per physical core) or more, got {threads}");
        bool jsonToStdout = jsonGiven && jsonFile is null;
        TextWriter log = jsonToStdout ? TextWriter.Null : Console.Out;
        var (modelPath, _) = ModelFiles.Resolve(path);
        using var session = new InferenceSession(modelPath, new SessionOptions
        {
            Backend = ExecutionBackend.Native, IntraOpThreads = threads, TuningCachePath = tuningCache,
        });
        ModelFiles.ReportWarnings(session);
        Model m = session.Model;
        log.WriteLine($"{Path.GetFileName(modelPath)}: IR {m.IrVersion}, opsets {string.Join(", ", m.OpsetImports.Select(kv => $"{(kv.Key.Length == 0 ? "ai.onnx" : kv.Key)} {kv.Value}"))}, producer '{m.ProducerName} {m.ProducerVersion}'".TrimEnd());
        foreach (NodeMetadata i in session.Inputs)
            log.WriteLine($"  input  {i.Name}: {i.Type}");
        foreach (NodeMetadata o in session.Outputs)
            log.WriteLine($"  output {o.Name}: {o.Type}");

        Execution.NativeExecutor native = session.NativeExecutor!;
        ExecutionPlan? plan = native.StaticPlan;
        var rows = new List<Row>();
        ComputeGraph optimizedGraph = session.OptimizedModel.Graph;
        CompiledGraph c = native.Compiled;
        int[]? ShapeOf(int v) => v < 0 ? null : plan?.Shapes[v] ?? Inferred(optimizedGraph, c.ValueNames[v]);
        if (optimized)
        {
            foreach (KernelStep s in c.Steps)
                rows.Add(new Row(s.Index, s.Node.Name, Op(s.Node), string.Join(", ", s.Node.Inputs), string.Join(", ", s.Node.Outputs),
                    Shape(s.Outputs.Length > 0 ? ShapeOf(s.Outputs[0]) : null), s.Flops(ShapeOf), KernelOf(s, ShapeOf)));
        }
        else
        {
            var kernels = native.Compiled.Steps.GroupBy(s => s.Node.Outputs.FirstOrDefault() ?? "").ToDictionary(g => g.Key, g => g.First().KernelName);
            int i = 0;
            foreach (Node n in TopologicalSort.Sort(m.Graph.Nodes))
            {
                string first = n.Outputs.FirstOrDefault() ?? "";
                int[]? shape = Inferred(m.Graph, first);
                rows.Add(new Row(i++, n.Name, Op(n), string.Join(", ", n.Inputs), string.Join(", ", n.Outputs), Shape(shape),
                    Flops(m.Graph, n), kernels.TryGetValue(first, out string? k) ? k : "(fused or folded)"));
            }
        }
        log.WriteLine();
        log.WriteLine($"{(optimized ? "optimized graph" : "graph as loaded")}: {rows.Count} nodes, {rows.Sum(r => r.Flops) / 1e9:0.###} GFLOP" +
                          (optimized ? $", {native.Compiled.Steps.Count(s => s.IsNative)} on native/vectorized kernels" : ""));
        IAnsiConsole console = TableConsole(log);
        var nodes = new Table().Border(TableBorder.Simple);
        nodes.AddColumn(new TableColumn("#").RightAligned()).AddColumn("node").AddColumn("op").AddColumn("output shape")
            .AddColumn(new TableColumn("MFLOP").RightAligned()).AddColumn("kernel");
        foreach (Row r in rows)
            nodes.AddRow(r.Index.ToString(CultureInfo.InvariantCulture), Markup.Escape(Trim(r.Name.Length > 0 ? r.Name : r.Outputs, 28)), Markup.Escape(r.Op),
                Markup.Escape(r.Shape), r.Flops > 0 ? (r.Flops / 1e6).ToString("0.0", CultureInfo.InvariantCulture) : "-", Markup.Escape(r.Kernel));
        console.Write(nodes);
        var byOp = rows.GroupBy(r => (r.Op, r.Kernel)).OrderByDescending(g => g.Sum(r => r.Flops)).ThenByDescending(g => g.Count());
        log.WriteLine();
        log.WriteLine("by operator:");
        var ops = new Table().Border(TableBorder.Simple);
        ops.AddColumn("op").AddColumn("kernel").AddColumn(new TableColumn("nodes").RightAligned()).AddColumn(new TableColumn("MFLOP").RightAligned());
        foreach (var g in byOp)
            ops.AddRow(Markup.Escape(g.Key.Op), Markup.Escape(g.Key.Kernel), g.Count().ToString(CultureInfo.InvariantCulture),
                (g.Sum(r => r.Flops) / 1e6).ToString("0.0", CultureInfo.InvariantCulture));
        console.Write(ops);

        if (memory)
        {
            log.WriteLine();
            if (plan is null)
                log.WriteLine("memory: input shapes are not all known, so plans are made per input shape at run time (none yet)");
            else
            {
                MemoryPlan mp = plan.Memory;
                long intermediates = 0;
                int count = 0;
                for (int v = 0; v < native.Compiled.ValueNames.Length; ++v)
                    if (mp.ValueOffsets[v] >= 0 && plan.Shapes[v] is { } s)
                    {
                        intermediates += 4L * Tensor.ElementCount(s);
                        ++count;
                    }
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"memory: arena {Mib(mp.ArenaBytes)} for {count} intermediate tensors ({Mib(intermediates)}) and workspaces; " +
                    $"one buffer each would take {Mib(mp.SumOfIntermediates)} ({(mp.SumOfIntermediates > 0 ? 100.0 * mp.ArenaBytes / mp.SumOfIntermediates : 0):0.0}%); " +
                    $"{mp.BufferCount} buffers, {mp.InPlace.Count(b => b)} steps in place"));
                log.WriteLine($"        packed weights {Mib(native.Compiled.PackedBytes)}; one arena per concurrent run");
            }
        }
        TextWriter notes = jsonToStdout ? Console.Error : Console.Out;
        if (dotPath is not null)
        {
            var steps = c.Steps.Select(s => new GraphDot.Step(s.Index, s.Node, s.KernelName, s.IsNative,
                Shape(s.Outputs.Length > 0 ? ShapeOf(s.Outputs[0]) : null))).ToList();
            var ids = c.ValueNames.Select((n, v) => (n, v)).GroupBy(p => p.n).ToDictionary(g => g.Key, g => g.First().v, StringComparer.Ordinal);
            string title = $"{ModelFiles.DisplayName(path, modelPath)}: optimized graph, {steps.Count} steps";
            File.WriteAllText(dotPath, GraphDot.Write(title, optimizedGraph, steps, name => Shape(ids.TryGetValue(name, out int v) ? ShapeOf(v) : Inferred(optimizedGraph, name))));
            notes.WriteLine($"graph written to {dotPath}");
            if (renderPath is not null)
            {
                if (Graphviz.FindDot() is { } dotTool)
                {
                    Graphviz.Render(dotTool, dotPath, renderPath);
                    notes.WriteLine($"graph rendered to {renderPath}");
                }
                else
                    notes.WriteLine(Graphviz.MissingHint(dotPath, renderPath));
            }
        }
        if (jsonGiven)
            Cli.WriteJson(new
            {
                model = modelPath,
                graph = optimized ? "optimized" : "loaded",
                gflop = Math.Round(rows.Sum(r => r.Flops) / 1e9, 6),
                inputs = session.Inputs.Select(i => new { name = i.Name, type = i.Type?.ToString() }),
                outputs = session.Outputs.Select(o => new { name = o.Name, type = o.Type?.ToString() }),
                nodes = rows.Select(r => new { index = r.Index, name = r.Name, op = r.Op, outputShape = r.Shape, flops = r.Flops, kernel = r.Kernel }),
                memory = plan is null ? null : new
                {
                    arenaBytes = plan.Memory.ArenaBytes,
                    sumOfIntermediatesBytes = plan.Memory.SumOfIntermediates,
                    packedWeightsBytes = c.PackedBytes,
                },
            }, jsonFile);
        return 0;
    }

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.00} MiB");

    private static string Op(Node n) => n.Domain.Length == 0 ? n.OpType : $"{n.Domain}.{n.OpType}";

    private static string Shape(int[]? s) => s is null ? "?" : Tensor.FormatShape(s);

    private static string Trim(string s, int n) => s.Length <= n ? s : "…" + s[^(n - 1)..];

    private static int[]? Inferred(ComputeGraph g, string name) =>
        g.Initializers.TryGetValue(name, out Tensor? t) ? t.Shape.ToArray()
        : g.ValueTypes.GetValueOrDefault(name) is TensorTypeInfo { IsFullyKnown: true } tt ? tt.Shape!.Select(d => (int)d.Value!.Value).ToArray() : null;

    /// <summary>FLOPs of the GEMM-like nodes of a graph as loaded (multiply-add = 2).</summary>
    private static double Flops(ComputeGraph g, Node n)
    {
        int[]? y = n.Outputs.Count > 0 ? Inferred(g, n.Outputs[0]) : null;
        int[]? w = n.Inputs.Count > 1 ? Inferred(g, n.Inputs[1]) : null;
        int[]? a = n.Inputs.Count > 0 ? Inferred(g, n.Inputs[0]) : null;
        if (y is null || n.Domain.Length != 0)
            return 0;
        long outCount = y.Aggregate(1L, (p, d) => p * d);
        return n.OpType switch
        {
            "Conv" when w is { Length: >= 3 } => 2.0 * outCount * w.Skip(1).Aggregate(1L, (p, d) => p * d),
            "MatMul" or "Gemm" when a is { Length: >= 1 } => 2.0 * outCount * (n.OpType == "Gemm" && n.GetInt("transA", 0) != 0 ? a[0] : a[^1]),
            _ => 0,
        };
    }
}
