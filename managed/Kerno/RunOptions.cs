using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kerno.Execution;
using Kerno.Planning;

namespace Kerno;

/// <summary>Settings of one <see cref="InferenceSession"/> run.</summary>
public sealed class RunOptions
{
    /// <summary>Checked between nodes; cancelling ends the run with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken Cancellation { get; set; }

    /// <summary>
    /// Time every node of the run. The result goes to <see cref="Profile"/> (and the session's
    /// <see cref="InferenceSession.LastProfile"/>). Do not share one profiling <see cref="RunOptions"/> between
    /// concurrent runs: each run replaces <see cref="Profile"/>.
    /// </summary>
    public bool EnableProfiling { get; set; }

    /// <summary>kerno tune: per-node times by the calling thread's CPU time (single-threaded sessions), not wall time.</summary>
    internal bool ThreadCpuClock { get; set; }

    /// <summary>The profile of the last run made with these options and <see cref="EnableProfiling"/> set.</summary>
    public ProfilingResult? Profile { get; internal set; }
}

/// <summary>The time one node took in a profiled run.</summary>
/// <param name="Name">The node's name (or "OpType#index" for an unnamed node).</param>
/// <param name="OpType">The operator, with its domain for non-ONNX ones (e.g. <c>kerno.FusedConv</c>).</param>
/// <param name="Kernel">The kernel that ran it (e.g. <c>sgemm-packed</c>, <c>reference</c>).</param>
/// <param name="StartMicroseconds">When it started, from the start of the run.</param>
/// <param name="DurationMicroseconds">How long it took.</param>
/// <param name="OutputShape">The shape of its first output, as text.</param>
/// <param name="Flops">Floating-point operations it does (multiply-add = 2), 0 when not estimated.</param>
public sealed record NodeProfile(string Name, string OpType, string Kernel, double StartMicroseconds, double DurationMicroseconds,
    string OutputShape, double Flops);

/// <summary>Per-node timings of one run, with summaries and a Chrome trace export.</summary>
public sealed class ProfilingResult
{
    internal ProfilingResult(string backend, int threads, IReadOnlyList<NodeProfile> nodes, double totalMicroseconds)
    {
        Backend = backend;
        Threads = threads;
        Nodes = nodes;
        TotalMicroseconds = totalMicroseconds;
    }

    /// <summary>"native" or "reference".</summary>
    public string Backend { get; }

    /// <summary>Threads the session's kernels used.</summary>
    public int Threads { get; }

    /// <summary>Every node in execution order.</summary>
    public IReadOnlyList<NodeProfile> Nodes { get; }

    /// <summary>Wall time of the whole run.</summary>
    public double TotalMicroseconds { get; }

    /// <summary>Time per operator type (descending), with the number of nodes.</summary>
    public IReadOnlyList<(string OpType, string Kernel, int Count, double Microseconds)> ByOperator() =>
        Nodes.GroupBy(n => (n.OpType, n.Kernel))
            .Select(g => (g.Key.OpType, g.Key.Kernel, g.Count(), g.Sum(n => n.DurationMicroseconds)))
            .OrderByDescending(g => g.Item4).ToList();

    /// <summary>The profile as Chrome's trace-event JSON (open in chrome://tracing or Perfetto).</summary>
    public string ToChromeTrace()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteString("displayTimeUnit", "ms");
            w.WriteStartArray("traceEvents");
            w.WriteStartObject();
            w.WriteString("name", "run");
            w.WriteString("ph", "X");
            w.WriteNumber("ts", 0);
            w.WriteNumber("dur", Math.Round(TotalMicroseconds, 3));
            w.WriteNumber("pid", 1);
            w.WriteNumber("tid", 0);
            w.WriteString("cat", "session");
            w.WriteEndObject();
            foreach (NodeProfile n in Nodes)
            {
                w.WriteStartObject();
                w.WriteString("name", n.Name);
                w.WriteString("cat", n.OpType);
                w.WriteString("ph", "X");
                w.WriteNumber("ts", Math.Round(n.StartMicroseconds, 3));
                w.WriteNumber("dur", Math.Round(n.DurationMicroseconds, 3));
                w.WriteNumber("pid", 1);
                w.WriteNumber("tid", 1);
                w.WriteStartObject("args");
                w.WriteString("op", n.OpType);
                w.WriteString("kernel", n.Kernel);
                w.WriteString("shape", n.OutputShape);
                if (n.Flops > 0)
                    w.WriteNumber("gflops", Math.Round(n.Flops / Math.Max(n.DurationMicroseconds, 1e-3) / 1e3, 2));
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("backend", Backend);
            w.WriteNumber("threads", Threads);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes <see cref="ToChromeTrace"/> to a file.</summary>
    public void WriteChromeTrace(string path) => File.WriteAllText(path, ToChromeTrace());

    /// <summary>A text table of the slowest operators.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{Backend}, {Threads} thread(s), total {TotalMicroseconds / 1000:0.###} ms, {Nodes.Count} nodes");
        foreach (var (op, kernel, count, us) in ByOperator())
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {op,-24} {kernel,-24} x{count,-4} {us / 1000,10:0.###} ms {100 * us / Math.Max(TotalMicroseconds, 1e-9),6:0.0}%");
        return sb.ToString();
    }
}

/// <summary>Collects step timings during one native run.</summary>
internal sealed class ProfilingCollector
{
    private readonly List<NodeProfile> nodes = new();
    private readonly bool cpuClock;

    /// <param name="threadCpuClock">Time nodes by the thread's CPU time (node start times stay wall-clock based).</param>
    public ProfilingCollector(bool threadCpuClock = false) => cpuClock = threadCpuClock && ThreadCpuClock.IsAvailable;

    /// <summary>The clock step durations are measured with, in Stopwatch ticks.</summary>
    public long Now() => cpuClock ? ThreadCpuClock.Now() : Stopwatch.GetTimestamp();
    private long start;
    private ExecutionPlan? plan;

    public void Begin(ExecutionPlan executionPlan)
    {
        plan = executionPlan;
        start = Stopwatch.GetTimestamp();
    }

    public void Step(KernelStep step, long begin, long end, RunContext context)
    {
        string shape = step.Outputs.Length > 0 && step.Outputs[0] >= 0 && context.Slots[step.Outputs[0]] is Tensor t ? Tensor.FormatShape(t.Shape) : "";
        var slots = context.Slots;
        double flops = step.Flops(v => v >= 0 && slots[v] is Tensor x ? x.Shape.ToArray() : null);
        string op = step.Node.Domain.Length == 0 ? step.Node.OpType : $"{step.Node.Domain}.{step.Node.OpType}";
        string name = step.Node.Name.Length > 0 ? step.Node.Name : $"{step.Node.OpType}#{step.Index}";
        double startUs = cpuClock ? Micro(Stopwatch.GetTimestamp() - start) - Micro(end - begin) : Micro(begin - start);
        nodes.Add(new NodeProfile(name, op, step.KernelName, startUs, Micro(end - begin), shape, flops));
    }

    public ProfilingResult Finish(int threads)
    {
        double total = Micro(Stopwatch.GetTimestamp() - start);
        _ = plan;
        return new ProfilingResult("native", threads, nodes, total);
    }

    private static double Micro(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
}
