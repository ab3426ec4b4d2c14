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
    private readonly InputValidator validator;
    private bool disposed;

    /// <summary>Loads a model file (external data is resolved next to it).</summary>
    public InferenceSession(string path, SessionOptions? options = null)
        : this(LoadChecked(options, o => ModelReader.Load(path, o.ToLimits())), options) { }

    /// <summary>Loads a model from bytes.</summary>
    public InferenceSession(byte[] model, SessionOptions? options = null)
        : this(new ReadOnlyMemory<byte>(model), options) { }

    /// <summary>Loads a model from bytes.</summary>
    public InferenceSession(ReadOnlyMemory<byte> model, SessionOptions? options = null)
        : this(LoadChecked(options, o => ModelReader.Load(model, null, o.ToLimits())), options) { }

    /// <summary>Loads a model from a stream, read to its end.</summary>
    public InferenceSession(Stream model, SessionOptions? options = null)
        : this(LoadChecked(options, o => ModelReader.Load(model, null, o.ToLimits())), options) { }

    /// <summary>Wraps an already loaded model (it is validated here).</summary>
    public InferenceSession(Model model, SessionOptions? options = null)
    {
        options ??= new SessionOptions();
        CheckBackend(options);
        Model = model;
        Options = options;
        GraphValidator.Validate(model);
        ShapeInferencer.Infer(model, options.FreeDimensions, options.ToLimits());
        // Planning the model as loaded reports every unsupported operator, even in nodes the optimizer would drop;
        // this plan also runs when a caller feeds an initializer the optimized graph treats as a constant.
        unoptimizedExecutor = new ReferenceExecutor(model, options.MaxSubgraphDepth, options.MaxTensorElements);
        Model optimized = ModelOptimizer.Optimize(model, options.OptimizationLevel, options.GraphPasses);
        executor = ReferenceEquals(optimized, model) ? unoptimizedExecutor : new ReferenceExecutor(optimized, options.MaxSubgraphDepth, options.MaxTensorElements);
        OptimizedModel = optimized;
        var initializers = model.Graph.Initializers;
        Inputs = model.Graph.Inputs.Where(i => !initializers.ContainsKey(i.Name)).Select(i => Metadata(i, options)).ToList();
        OverridableInitializers = model.Graph.Inputs.Where(i => initializers.ContainsKey(i.Name)).Select(i => Metadata(i, options)).ToList();
        // Outputs report what inference added to the declared type (e.g. a size a free dimension fixed).
        Outputs = model.Graph.Outputs.Select(o => Metadata(o with { Type = model.Graph.ValueTypes.GetValueOrDefault(o.Name) ?? o.Type }, options)).ToList();
        validator = new InputValidator(Inputs, OverridableInitializers, options.MaxTensorElements);
    }

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

    /// <summary>Runs the model on named tensors; returns every graph output in declaration order.</summary>
    public IReadOnlyList<NamedValue> Run(IReadOnlyDictionary<string, Tensor> inputs) =>
        Run(inputs.ToDictionary(kv => kv.Key, kv => (Value)kv.Value, StringComparer.Ordinal), CancellationToken.None);

    /// <summary>Runs the model on named tensors; returns every graph output in declaration order.</summary>
    public IReadOnlyList<NamedValue> Run(IEnumerable<NamedTensor> inputs)
    {
        var map = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (NamedTensor t in inputs)
            if (!map.TryAdd(t.Name, t.Tensor))
                throw new ArgumentException($"input '{t.Name}' is given twice", nameof(inputs));
        return Run(map, CancellationToken.None);
    }

    /// <summary>
    /// Runs the model on named values (tensors, sequences or optionals, for models whose inputs are not
    /// all tensors). <paramref name="cancellation"/> is checked between nodes.
    /// </summary>
    public IReadOnlyList<NamedValue> Run(IReadOnlyDictionary<string, Value> inputs, CancellationToken cancellation)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        validator.Validate(inputs);
        // Feeding an initializer changes a value the optimized graph treated as constant.
        bool overrides = OverridableInitializers.Count > 0 && OverridableInitializers.Any(i => inputs.ContainsKey(i.Name));
        ReferenceExecutor chosen = overrides ? unoptimizedExecutor : executor;
        return chosen.Run(inputs, cancellation).Select(kv => new NamedValue(kv.Key, kv.Value)).ToList();
    }

    /// <summary>Releases the session. The reference backend holds only managed memory; the native one will hold more.</summary>
    public void Dispose() => disposed = true;

    private static Model LoadChecked(SessionOptions? options, Func<SessionOptions, Model> load)
    {
        options ??= new SessionOptions();
        // Fail on the backend before spending time on a large model.
        CheckBackend(options);
        return load(options);
    }

    private static void CheckBackend(SessionOptions options)
    {
        if (options.Backend == ExecutionBackend.Native)
            throw new NotSupportedException("the native backend is not available yet; use ExecutionBackend.Reference");
        if (options.Backend != ExecutionBackend.Reference)
            throw new ArgumentOutOfRangeException(nameof(options), $"unknown backend {options.Backend}");
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
