using Kerno.Execution;
using Kerno.Graph;
using Kerno.Graph.ShapeInference;
using Kerno.Onnx;
using Kerno.Optimizer;

namespace Kerno;

/// <summary>
/// A loaded, validated model ready to run. Creating a session reads the model, checks its structure and
/// reports every operator Kerno cannot run in one <see cref="KernoModelException"/>; <see cref="Run(IReadOnlyDictionary{string, Tensor})"/>
/// checks inputs against the declared types before computing. Runs may happen concurrently.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly ReferenceExecutor executor;
    private readonly ReferenceExecutor unoptimizedExecutor;
    private readonly NativeExecutor? native;
    private readonly InputValidator validator;
    private readonly List<string> warnings = new();
    private bool disposed;

    /// <summary>Loads a model file (external data is resolved next to it).</summary>
    public InferenceSession(string path, SessionOptions? options = null)
        : this(LoadChecked(options, o => ModelReader.Load(path, o.ToLimits())), options, () => Tuning.TuningCache.HashFile(path)) { }

    /// <summary>Loads a model from bytes.</summary>
    public InferenceSession(byte[] model, SessionOptions? options = null)
        : this(new ReadOnlyMemory<byte>(model), options) { }

    /// <summary>Loads a model from bytes.</summary>
    public InferenceSession(ReadOnlyMemory<byte> model, SessionOptions? options = null)
        : this(LoadChecked(options, o => ModelReader.Load(model, null, o.ToLimits())), options, () => Tuning.TuningCache.Hash(model.Span)) { }

    /// <summary>Loads a model from a stream, read to its end.</summary>
    public InferenceSession(Stream model, SessionOptions? options = null)
        : this(LoadChecked(options, o => ModelReader.Load(model, null, o.ToLimits())), options) { }

    /// <summary>Wraps an already loaded model (it is validated here). No tuning cache applies (it is keyed by the file's bytes).</summary>
    public InferenceSession(Model model, SessionOptions? options = null)
        : this(model, options, null) { }

    private InferenceSession(Model model, SessionOptions? options, Func<string>? modelHash)
    {
        CreationTimings = Execution.CreationTimings.Current ?? Execution.CreationTimings.Begin();
        try
        {
            options ??= new SessionOptions();
            CheckBackend(options);
            Model = model;
            Options = options;
            using (Execution.CreationTimings.Measure("validate"))
                GraphValidator.Validate(model);
            using (Execution.CreationTimings.Measure("shape inference"))
                ShapeInferencer.Infer(model, options.FreeDimensions, options.ToLimits());
            // Planning the model as loaded reports every unsupported operator, even in nodes the optimizer would drop;
            // this plan also runs when a caller feeds an initializer the optimized graph treats as a constant.
            using (Execution.CreationTimings.Measure("reference plan"))
                unoptimizedExecutor = new ReferenceExecutor(model, options.MaxSubgraphDepth, options.MaxTensorElements);
            Model optimized;
            using (Execution.CreationTimings.Measure("optimize"))
                optimized = ModelOptimizer.Optimize(model, options.OptimizationLevel, options.GraphPasses, options.FreeDimensions, options.ToLimits(),
                    Planning.KernelSelector.NchwcBlockFor(options.Backend), deferLargeWeights: options.Backend == ExecutionBackend.Native);
            using (Execution.CreationTimings.Measure("reference plan"))
                executor = ReferenceEquals(optimized, model) ? unoptimizedExecutor : new ReferenceExecutor(optimized, options.MaxSubgraphDepth, options.MaxTensorElements);
            OptimizedModel = optimized;
            if (options.Backend == ExecutionBackend.Native)
            {
                int threads = options.IntraOpThreads > 0 ? options.IntraOpThreads : Execution.KernoThreadPool.PhysicalCores;
                // Weights the native kernels packed are dropped from the optimized copy (never from the model as loaded,
                // which runs when a caller feeds an initializer).
                Tuning.TuningChoices? tuning;
                using (Execution.CreationTimings.Measure("tuning cache"))
                    tuning = options.UseTuningCache && modelHash is not null
                        ? Tuning.TuningCache.ForSession(options.TuningCachePath, modelHash, threads, warnings)
                        : null;
                native = new NativeExecutor(optimized, executor, threads, dropConsumedInitializers: !ReferenceEquals(optimized, model), options.MaxTensorElements,
                    tuning, warnings, options.KeepOriginalWeights);
                foreach (string w in warnings)
                    System.Diagnostics.Trace.TraceWarning("Kerno: " + w);
            }
            var initializers = model.Graph.Initializers;
            Inputs = model.Graph.Inputs.Where(i => !initializers.ContainsKey(i.Name)).Select(i => Metadata(i, options)).ToList();
            OverridableInitializers = model.Graph.Inputs.Where(i => initializers.ContainsKey(i.Name)).Select(i => Metadata(i, options)).ToList();
            // Outputs report what inference added to the declared type (e.g. a size a free dimension fixed).
            Outputs = model.Graph.Outputs.Select(o => Metadata(o with { Type = model.Graph.ValueTypes.GetValueOrDefault(o.Name) ?? o.Type }, options)).ToList();
            validator = new InputValidator(Inputs, OverridableInitializers, options.MaxTensorElements);
        }
        finally
        {
            Execution.CreationTimings.End();
        }
    }

    /// <summary>Where creating this session spent its time, per phase (<c>kerno bench --phases</c>).</summary>
    internal Execution.CreationTimings CreationTimings { get; }

    /// <summary>Notes from session creation that did not stop it, e.g. a tuning cache that was ignored and why.</summary>
    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>The inputs the caller must feed.</summary>
    public IReadOnlyList<NodeMetadata> Inputs { get; }

    /// <summary>Graph inputs that have an initializer: constants unless the caller feeds them.</summary>
    public IReadOnlyList<NodeMetadata> OverridableInitializers { get; }

    /// <summary>The outputs <see cref="Run(IReadOnlyDictionary{string, Tensor})"/> returns, in order.</summary>
    public IReadOnlyList<NodeMetadata> Outputs { get; }

    /// <summary>The loaded model (graph IR).</summary>
    public Model Model { get; }

    /// <summary>The graph the session executes: <see cref="Model"/> after the optimizer (the same object at level None).</summary>
    public Model OptimizedModel { get; }

    /// <summary>The options the session was created with.</summary>
    public SessionOptions Options { get; }

    /// <summary>The backend the session runs on.</summary>
    public ExecutionBackend Backend => Options.Backend;

    /// <summary>Threads one operator may use: <see cref="SessionOptions.IntraOpThreads"/>, or one per physical core (1 for the reference backend).</summary>
    public int IntraOpThreads => native?.Threads ?? 1;

    /// <summary>The profile of the last run made with <see cref="RunOptions.EnableProfiling"/>, if any.</summary>
    public ProfilingResult? LastProfile { get; private set; }

    /// <summary>The native backend's compiled graph (null for the reference backend); for inspect and tests.</summary>
    internal NativeExecutor? NativeExecutor => native;

    /// <summary>Runs the model on named tensors; returns every graph output in declaration order.</summary>
    public IReadOnlyList<NamedValue> Run(IReadOnlyDictionary<string, Tensor> inputs) =>
        Run(ToValues(inputs), null, new RunOptions());

    /// <summary>Runs the model on named tensors with per-run options (profiling, cancellation).</summary>
    public IReadOnlyList<NamedValue> Run(IReadOnlyDictionary<string, Tensor> inputs, RunOptions options) =>
        Run(ToValues(inputs), null, options ?? throw new ArgumentNullException(nameof(options)));

    /// <summary>Runs the model on named tensors; returns every graph output in declaration order.</summary>
    public IReadOnlyList<NamedValue> Run(IEnumerable<NamedTensor> inputs)
    {
        var map = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (NamedTensor t in inputs)
            if (!map.TryAdd(t.Name, t.Tensor))
                throw new ArgumentException($"input '{t.Name}' is given twice", nameof(inputs));
        return Run(map, null, new RunOptions());
    }

    /// <summary>
    /// Runs the model on named values (tensors, sequences or optionals, for models whose inputs are not
    /// all tensors). <paramref name="cancellation"/> is checked between nodes.
    /// </summary>
    public IReadOnlyList<NamedValue> Run(IReadOnlyDictionary<string, Value> inputs, CancellationToken cancellation) =>
        Run(inputs, null, new RunOptions { Cancellation = cancellation });

    /// <summary>
    /// Runs the model and writes outputs into tensors the caller allocated: <paramref name="outputs"/> maps graph
    /// output names to tensors of the output's element type and exact shape (outputs not named there are only
    /// returned). On the native backend with fixed shapes, kernels write straight into the given tensors, so a
    /// steady-state run allocates nothing for its results. Returns every graph output (the given tensors for the
    /// named ones).
    /// </summary>
    /// <exception cref="ArgumentException">An output name is unknown, or a given tensor does not fit the result.</exception>
    public IReadOnlyList<NamedValue> Run(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyDictionary<string, Tensor> outputs, RunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var targets = new Tensor?[Outputs.Count];
        foreach ((string name, Tensor t) in outputs)
        {
            int i = -1;
            for (int j = 0; j < Outputs.Count; ++j)
                if (Outputs[j].Name == name)
                    i = j;
            if (i < 0)
                throw new ArgumentException($"the model has no output '{name}'", nameof(outputs));
            targets[i] = t ?? throw new ArgumentNullException(nameof(outputs), $"output '{name}' is null");
        }
        return Run(ToValues(inputs), targets, options ?? new RunOptions());
    }

    private IReadOnlyList<NamedValue> Run(IReadOnlyDictionary<string, Value> inputs, Tensor?[]? targets, RunOptions options)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        validator.Validate(inputs);
        // Feeding an initializer changes a value the optimized graph treated as constant: the model as loaded runs (reference kernels).
        bool overrides = OverridableInitializers.Count > 0 && OverridableInitializers.Any(i => inputs.ContainsKey(i.Name));
        Value?[] values;
        if (native is not null && !overrides)
        {
            ProfilingCollector? collector = options.EnableProfiling ? new ProfilingCollector(options.ThreadCpuClock) : null;
            values = native.Run(inputs, targets, options.Cancellation, collector);
            if (collector is not null)
                LastProfile = options.Profile = collector.Finish(native.Threads);
        }
        else
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            ReferenceExecutor chosen = overrides ? unoptimizedExecutor : executor;
            values = chosen.Run(inputs, options.Cancellation).Select(kv => kv.Value).ToArray();
            if (targets is not null)
                for (int i = 0; i < values.Length; ++i)
                    if (targets[i] is { } target && !ReferenceEquals(values[i], target))
                    {
                        Execution.NativeExecutor.CopyInto(Outputs[i].Name, values[i], target);
                        values[i] = target;
                    }
            if (options.EnableProfiling)
            {
                double us = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                LastProfile = options.Profile = new ProfilingResult("reference", 1, [], us);
            }
        }
        var result = new NamedValue[values.Length];
        for (int i = 0; i < values.Length; ++i)
            result[i] = new NamedValue(Outputs[i].Name, values[i]);
        return result;
    }

    private static Dictionary<string, Value> ToValues(IReadOnlyDictionary<string, Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var map = new Dictionary<string, Value>(inputs.Count, StringComparer.Ordinal);
        foreach ((string name, Tensor t) in inputs)
            map[name] = t;
        return map;
    }

    /// <summary>Releases the session: the native backend's packed weights, arenas and worker threads.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        native?.Dispose();
    }

    private static Model LoadChecked(SessionOptions? options, Func<SessionOptions, Model> load)
    {
        options ??= new SessionOptions();
        // Fail on the backend before spending time on a large model.
        CheckBackend(options);
        Execution.CreationTimings.Begin();
        try
        {
            using (Execution.CreationTimings.Measure("load"))
                return load(options);
        }
        catch
        {
            Execution.CreationTimings.End();
            throw;
        }
    }

    private static void CheckBackend(SessionOptions options)
    {
        if (options.Backend is not (ExecutionBackend.Reference or ExecutionBackend.Native))
            throw new ArgumentOutOfRangeException(nameof(options), $"unknown backend {options.Backend}");
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.IntraOpThreads, 1024);
    }

    private static NodeMetadata Metadata(ValueInfo v, SessionOptions options) =>
        new(v.Name, ApplyFreeDimensions(v.Type, options.FreeDimensions), v.DocString);

    /// <summary>Replaces symbolic dims named in <paramref name="free"/> with their sizes (the symbol is kept for display).</summary>
    internal static TypeInfo? ApplyFreeDimensions(TypeInfo? type, IReadOnlyDictionary<string, long> free) => type switch
    {
        TensorTypeInfo { Shape: not null } t when free.Count > 0 => t with
        {
            Shape = t.Shape.Select(d => d.Symbol is not null && !d.IsKnown && free.TryGetValue(d.Symbol, out long v) ? new Dim(v, d.Symbol) : d).ToList(),
        },
        SequenceTypeInfo s => s with { ElementType = ApplyFreeDimensions(s.ElementType, free) },
        OptionalTypeInfo o => o with { ElementType = ApplyFreeDimensions(o.ElementType, free) },
        _ => type,
    };
}
