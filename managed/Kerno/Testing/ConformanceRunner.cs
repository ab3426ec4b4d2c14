using System.Diagnostics;
using System.Text.RegularExpressions;
using Kerno.Graph;
using Kerno.Onnx;

namespace Kerno.Testing;

/// <summary>Settings for <see cref="ConformanceRunner"/>.</summary>
public sealed class ConformanceOptions
{
    /// <summary>Relative tolerance for float outputs. Default 1e-3 (ONNX's backend tests use the same).</summary>
    public double Rtol { get; init; } = 1e-3;

    /// <summary>Absolute tolerance for float outputs. Default 1e-5.</summary>
    public double Atol { get; init; } = 1e-5;

    /// <summary>Only tests whose folder name matches this run (null = all).</summary>
    public Regex? Filter { get; init; }

    /// <summary>The backend to test.</summary>
    public ExecutionBackend Backend { get; init; } = ExecutionBackend.Reference;

    /// <summary>Longest one test may take before it is reported as failed (it is then cancelled at the next node).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Graph optimization level of the sessions under test.</summary>
    public Optimizer.OptimizationLevel OptimizationLevel { get; init; } = Optimizer.OptimizationLevel.All;

    /// <summary>Tests: exactly these passes instead of the level's list.</summary>
    internal IReadOnlyList<Optimizer.IGraphPass>? GraphPasses { get; init; }
}

/// <summary>
/// Runs ONNX backend test folders (<c>model.onnx</c> plus <c>test_data_set_N/input_K.pb</c> and
/// <c>output_K.pb</c>) and compares outputs. Used by <c>kerno test-onnx</c> and by the NUnit conformance
/// tests, so both judge alike. No test can hang or crash the runner: each runs on its own thread with a
/// time-out, and every exception becomes a failure.
/// </summary>
public sealed class ConformanceRunner
{
    private readonly ConformanceOptions options;

    /// <summary>Creates a runner.</summary>
    public ConformanceRunner(ConformanceOptions? options = null) => this.options = options ?? new ConformanceOptions();

    /// <summary>
    /// The test folders under <paramref name="path"/>: the folder itself when it holds a <c>model.onnx</c>,
    /// else each subfolder that does, sorted by name, filtered by <see cref="ConformanceOptions.Filter"/>.
    /// </summary>
    public IReadOnlyList<string> FindTests(string path)
    {
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"test folder '{path}' does not exist");
        IEnumerable<string> dirs = File.Exists(System.IO.Path.Combine(path, "model.onnx"))
            ? [path]
            : Directory.GetDirectories(path).Where(d => File.Exists(System.IO.Path.Combine(d, "model.onnx")));
        return dirs.Where(d => options.Filter?.IsMatch(System.IO.Path.GetFileName(d)) ?? true)
            .OrderBy(d => d, StringComparer.Ordinal).ToList();
    }

    /// <summary>Runs every test found under each path, yielding results as they complete.</summary>
    public IEnumerable<ConformanceResult> RunAll(IEnumerable<string> paths)
    {
        foreach (string path in paths)
            foreach (string test in FindTests(path))
                yield return Run(test);
    }

    /// <summary>Runs one test folder.</summary>
    public ConformanceResult Run(string testDir)
    {
        testDir = System.IO.Path.GetFullPath(testDir.TrimEnd('/', '\\'));
        string name = System.IO.Path.GetFileName(testDir);
        var clock = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource();
        // A dedicated thread, so a runaway test can be abandoned after the time-out.
        var task = Task.Factory.StartNew(() => Execute(testDir, cts.Token), cts.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Outcome outcome;
        try
        {
            if (task.Wait(options.Timeout))
                outcome = task.Result;
            else
            {
                cts.Cancel();
                outcome = new Outcome(ConformanceStatus.Fail, $"timed out after {options.Timeout.TotalSeconds:0.#} s", 0, 0, []);
            }
        }
        catch (AggregateException e)
        {
            Exception inner = e.InnerException ?? e;
            outcome = new Outcome(ConformanceStatus.Fail, $"{inner.GetType().Name}: {inner.Message}", 0, 0, []);
        }
        return new ConformanceResult(name, testDir, outcome.Status, outcome.Message, outcome.MaxAbs, outcome.MaxRel, clock.Elapsed, outcome.Unsupported);
    }

    private sealed record Outcome(ConformanceStatus Status, string? Message, double MaxAbs, double MaxRel, IReadOnlyList<string> Unsupported);

    private Outcome Execute(string testDir, CancellationToken cancellation)
    {
        InferenceSession session;
        try
        {
            session = new InferenceSession(System.IO.Path.Combine(testDir, "model.onnx"), new SessionOptions
            {
                Backend = options.Backend,
                OptimizationLevel = options.OptimizationLevel,
                GraphPasses = options.GraphPasses,
            });
        }
        catch (KernoModelException e) when (e.UnsupportedOperators.Count > 0)
        {
            return new Outcome(ConformanceStatus.Skip, "unsupported: " + string.Join(", ", e.UnsupportedOperators), 0, 0, e.UnsupportedOperators);
        }
        catch (NotSupportedException e)
        {
            return new Outcome(ConformanceStatus.Skip, e.Message, 0, 0, []);
        }
        catch (Exception e)
        {
            return new Outcome(ConformanceStatus.Fail, $"load: {e.Message}", 0, 0, []);
        }

        using (session)
        {
            string[] dataSets = Directory.GetDirectories(testDir, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal).ToArray();
            if (dataSets.Length == 0)
                return new Outcome(ConformanceStatus.Skip, "no test_data_set_* folder", 0, 0, []);
            double maxAbs = 0, maxRel = 0;
            foreach (string dataSet in dataSets)
            {
                string set = System.IO.Path.GetFileName(dataSet);
                try
                {
                    Dictionary<string, Value> inputs = ReadInputs(session, dataSet);
                    Value?[] expected = ReadOutputs(session, dataSet);
                    IReadOnlyList<NamedValue> actual = session.Run(inputs, cancellation);
                    for (int i = 0; i < expected.Length; ++i)
                    {
                        Comparison c = ValueComparer.Compare(expected[i], actual[i].Value, options.Rtol, options.Atol);
                        maxAbs = Math.Max(maxAbs, double.IsNaN(c.MaxAbsError) ? 0 : c.MaxAbsError);
                        maxRel = Math.Max(maxRel, double.IsNaN(c.MaxRelError) ? 0 : c.MaxRelError);
                        if (!c.Matches)
                            return new Outcome(ConformanceStatus.Fail, $"{set} output '{actual[i].Name}': {c.Problem}", c.MaxAbsError, c.MaxRelError, []);
                    }
                }
                catch (OperationCanceledException)
                {
                    return new Outcome(ConformanceStatus.Fail, "cancelled (timed out)", maxAbs, maxRel, []);
                }
                catch (Exception e)
                {
                    return new Outcome(ConformanceStatus.Fail, $"{set}: {(e is KernoModelException or ArgumentException ? "" : e.GetType().Name + ": ")}{e.Message}", maxAbs, maxRel, []);
                }
            }
            return new Outcome(ConformanceStatus.Pass, null, maxAbs, maxRel, []);
        }
    }

    private static Dictionary<string, Value> ReadInputs(InferenceSession session, string dataSet)
    {
        string[] files = NumberedFiles(dataSet, "input_");
        // Test data feeds the inputs without initializers; older models list initializers as inputs too,
        // and then a data set with one file per declared input feeds all of them.
        IReadOnlyList<NodeMetadata> targets = files.Length == session.Inputs.Count
            ? session.Inputs
            : session.Inputs.Concat(session.OverridableInitializers)
                .OrderBy(m => session.Model.Graph.Inputs.FindIndex(v => v.Name == m.Name)).ToList();
        if (files.Length > targets.Count)
            throw new KernoModelException($"{files.Length} input files for {session.Inputs.Count} model inputs");
        var inputs = new Dictionary<string, Value>(StringComparer.Ordinal);
        for (int i = 0; i < files.Length; ++i)
            inputs[targets[i].Name] = ValueReader.ReadFile(files[i], DeclaredType(session.Model.Graph, targets[i].Name));
        return inputs;
    }

    private static Value?[] ReadOutputs(InferenceSession session, string dataSet)
    {
        string[] files = NumberedFiles(dataSet, "output_");
        if (files.Length != session.Outputs.Count)
            throw new KernoModelException($"{files.Length} output files for {session.Outputs.Count} model outputs");
        return files.Select((f, i) => (Value?)ValueReader.ReadFile(f, session.Outputs[i].Type)).ToArray();
    }

    private static TypeInfo? DeclaredType(ComputeGraph graph, string name) => graph.Inputs.First(v => v.Name == name).Type;

    private static string[] NumberedFiles(string dir, string prefix)
    {
        var files = new List<string>();
        for (int i = 0; File.Exists(System.IO.Path.Combine(dir, $"{prefix}{i}.pb")); ++i)
            files.Add(System.IO.Path.Combine(dir, $"{prefix}{i}.pb"));
        return files.ToArray();
    }
}
