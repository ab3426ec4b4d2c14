using System.CommandLine;
using System.Globalization;
using System.Text;
using Kerno.Graph;
using Kerno.Planning;

namespace Kerno.Cli.Commands;

/// <summary>
/// <c>kerno inspect MODEL [--optimized] [--memory] [--dot FILE]</c>: the graph with shapes, FLOPs per node and the
/// kernel the native backend chose for each node; with <c>--memory</c>, the arena against the sum of intermediates.
/// </summary>
internal static class InspectCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A .onnx file or a test folder" };
        var optimized = new Option<bool>("--optimized") { Description = "Show the graph after the optimizer, as the native backend runs it (folded, fused, kernels chosen)" };
        var memory = new Option<bool>("--memory") { Description = "Show the memory plan: arena size, sum of intermediates, packed weights" };
        var dot = new Option<string?>("--dot") { Description = "Write the shown graph in Graphviz dot format to this file" };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads the plan is made for", DefaultValueFactory = _ => 1 };
        var cache = new Option<string?>("--tuning-cache") { Description = "Tuning cache file to use (default: the model's file under ~/.cache/kerno/tuning, if any)" };
        var command = new Command("inspect", "Show a model's graph: shapes, FLOPs and chosen kernel per node (\"(tuned)\" when kerno tune chose it), and its memory plan.")
        {
            model, optimized, memory, dot, threads, cache,
        };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(optimized), parse.GetValue(memory), parse.GetValue(dot), parse.GetValue(threads),
            parse.GetValue(cache)));
        return command;
    }

    /// <summary>The step's kernel, marked when the tuning cache chose its algorithm.</summary>
    private static string KernelOf(KernelStep s, Func<int, int[]?> shapeOf) =>
        s.KernelName + (s is NativeConvStep conv && shapeOf(s.Inputs[0]) is { } x && conv.IsTuned(x) ? " (tuned)" : "");

    private sealed record Row(int Index, string Name, string Op, string Inputs, string Outputs, string Shape, double Flops, string Kernel);

    private static int Run(string path, bool optimized, bool memory, string? dotPath, int threads, string? tuningCache)
    {
        var (modelPath, _) = ModelFiles.Resolve(path);
        using var session = new InferenceSession(modelPath, new SessionOptions
        {
            Backend = ExecutionBackend.Native, IntraOpThreads = Math.Max(1, threads), TuningCachePath = tuningCache,
        });
        ModelFiles.ReportWarnings(session);
        Model m = session.Model;
        Console.WriteLine($"{Path.GetFileName(modelPath)}: IR {m.IrVersion}, opsets {string.Join(", ", m.OpsetImports.Select(kv => $"{(kv.Key.Length == 0 ? "ai.onnx" : kv.Key)} {kv.Value}"))}, producer '{m.ProducerName} {m.ProducerVersion}'".TrimEnd());
        foreach (NodeMetadata i in session.Inputs)
            Console.WriteLine($"  input  {i.Name}: {i.Type}");
        foreach (NodeMetadata o in session.Outputs)
            Console.WriteLine($"  output {o.Name}: {o.Type}");

        Execution.NativeExecutor native = session.NativeExecutor!;
        ExecutionPlan? plan = native.StaticPlan;
        var rows = new List<Row>();
        ComputeGraph shown;
        if (optimized)
        {
            shown = session.OptimizedModel.Graph;
            CompiledGraph c = native.Compiled;
            int[]? ShapeOf(int v) => v < 0 ? null : plan?.Shapes[v] ?? Inferred(shown, c.ValueNames[v]);
            foreach (KernelStep s in c.Steps)
                rows.Add(new Row(s.Index, s.Node.Name, Op(s.Node), string.Join(", ", s.Node.Inputs), string.Join(", ", s.Node.Outputs),
                    Shape(s.Outputs.Length > 0 ? ShapeOf(s.Outputs[0]) : null), s.Flops(ShapeOf), KernelOf(s, ShapeOf)));
        }
        else
        {
            shown = m.Graph;
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
        Console.WriteLine();
        Console.WriteLine($"{(optimized ? "optimized graph" : "graph as loaded")}: {rows.Count} nodes, {rows.Sum(r => r.Flops) / 1e9:0.###} GFLOP" +
                          (optimized ? $", {native.Compiled.Steps.Count(s => s.IsNative)} on native/vectorized kernels" : ""));
        Console.WriteLine($"  {"#",4}  {"node",-28} {"op",-22} {"output shape",-20} {"MFLOP",10}  kernel");
        foreach (Row r in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Index,4}  {Trim(r.Name.Length > 0 ? r.Name : r.Outputs, 28),-28} {r.Op,-22} {r.Shape,-20} {(r.Flops > 0 ? (r.Flops / 1e6).ToString("0.0", CultureInfo.InvariantCulture) : "-"),10}  {r.Kernel}"));
        var byOp = rows.GroupBy(r => (r.Op, r.Kernel)).OrderByDescending(g => g.Sum(r => r.Flops)).ThenByDescending(g => g.Count());
        Console.WriteLine();
        Console.WriteLine("by operator:");
        foreach (var g in byOp)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {g.Key.Op,-22} {g.Key.Kernel,-26} x{g.Count(),-4} {g.Sum(r => r.Flops) / 1e6,10:0.0} MFLOP"));

        if (memory)
        {
            Console.WriteLine();
            if (plan is null)
                Console.WriteLine("memory: input shapes are not all known, so plans are made per input shape at run time (none yet)");
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
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"memory: arena {Mib(mp.ArenaBytes)} for {count} intermediate tensors ({Mib(intermediates)}) and workspaces; " +
                    $"one buffer each would take {Mib(mp.SumOfIntermediates)} ({(mp.SumOfIntermediates > 0 ? 100.0 * mp.ArenaBytes / mp.SumOfIntermediates : 0):0.0}%); " +
                    $"{mp.BufferCount} buffers, {mp.InPlace.Count(b => b)} steps in place"));
                Console.WriteLine($"        packed weights {Mib(native.Compiled.PackedBytes)}; one arena per concurrent run");
            }
        }
        if (dotPath is not null)
        {
            File.WriteAllText(dotPath, Dot(shown, rows));
            Console.WriteLine($"graph written to {dotPath}");
        }
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

    private static string Dot(ComputeGraph g, List<Row> rows)
    {
        var sb = new StringBuilder("digraph kerno {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n");
        string Id(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        var producer = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Row r in rows)
        {
            string id = $"n{r.Index}";
            foreach (string o in r.Outputs.Split(", ", StringSplitOptions.RemoveEmptyEntries))
                producer[o] = id;
            sb.Append(CultureInfo.InvariantCulture, $"  {id} [label={Id($"{r.Op}\\n{r.Shape}\\n{r.Kernel}")}];\n");
        }
        foreach (ValueInfo i in g.Inputs.Where(i => !g.Initializers.ContainsKey(i.Name)))
            sb.Append(CultureInfo.InvariantCulture, $"  {Id("in:" + i.Name)} [label={Id(i.Name)}, shape=ellipse];\n");
        foreach (ValueInfo o in g.Outputs)
            sb.Append(CultureInfo.InvariantCulture, $"  {Id("out:" + o.Name)} [label={Id(o.Name)}, shape=ellipse];\n");
        foreach (Row r in rows)
            foreach (string input in r.Inputs.Split(", ", StringSplitOptions.RemoveEmptyEntries))
            {
                if (producer.TryGetValue(input, out string? from))
                    sb.Append(CultureInfo.InvariantCulture, $"  {from} -> n{r.Index};\n");
                else if (g.Inputs.Any(i => i.Name == input) && !g.Initializers.ContainsKey(input))
                    sb.Append(CultureInfo.InvariantCulture, $"  {Id("in:" + input)} -> n{r.Index};\n");
            }
        foreach (ValueInfo o in g.Outputs)
            if (producer.TryGetValue(o.Name, out string? from))
                sb.Append(CultureInfo.InvariantCulture, $"  {from} -> {Id("out:" + o.Name)};\n");
        return sb.Append("}\n").ToString();
    }
}
