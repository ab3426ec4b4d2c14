using Kerno.Onnx;
using Kerno.Optimizer;

namespace Kerno;

/// <summary>Which implementation runs the operators.</summary>
public enum ExecutionBackend
{
    /// <summary>The managed reference kernels: slow, simple, the definition of correct results.</summary>
    Reference,

    /// <summary>
    /// The native (C/assembly) kernels of libkerno where they exist (GEMM-shaped nodes: MatMul, Gemm, convolutions,
    /// fused ops), the reference kernels for everything else, a static memory plan and a session thread pool.
    /// </summary>
    Native,
}

/// <summary>Settings for an <see cref="InferenceSession"/>.</summary>
public sealed class SessionOptions
{
    /// <summary>
    /// The backend that runs the operators. Default: <see cref="ExecutionBackend.Native"/> (libkerno's kernels
    /// where they exist, the reference kernels for every other node).
    /// </summary>
    public ExecutionBackend Backend { get; set; } = ExecutionBackend.Native;

    /// <summary>
    /// Threads one operator may use (0 = one per physical core). The native backend's session owns that many
    /// threads (the caller's included); idle workers block, so an idle session uses no CPU. The reference backend
    /// runs single-threaded and ignores it.
    /// </summary>
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Sizes for symbolic dimensions (ONNX <c>dim_param</c>, e.g. "batch" = 1). They replace the symbols in
    /// <see cref="InferenceSession.Inputs"/>/<see cref="InferenceSession.Outputs"/>, are enforced on inputs,
    /// and let shape inference plan with fixed sizes.
    /// </summary>
    public Dictionary<string, long> FreeDimensions { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// How much the graph optimizer does at session creation. Default: <see cref="OptimizationLevel.All"/>.
    /// Initializers that are also graph inputs are optimized as constants; a run that feeds one runs the
    /// model as loaded instead.
    /// </summary>
    public OptimizationLevel OptimizationLevel { get; set; } = OptimizationLevel.All;

    /// <summary>
    /// Use the choices <c>kerno tune</c> measured for this model on this CPU (default: true). The cache file is
    /// <see cref="TuningCachePath"/> or, by default, <c>$XDG_CACHE_HOME/kerno/tuning/&lt;SHA-256 of the model
    /// file&gt;.json</c> (<c>~/.cache/kerno/tuning/...</c> without XDG_CACHE_HOME). A file for another model, another
    /// CPU (vendor, family, model, ISA features, core count) or another thread count, or one that cannot be read,
    /// is ignored with a note in <see cref="InferenceSession.Warnings"/>; a tuned choice is applied only when it
    /// is one of the algorithms libkerno accepts for the node's geometry, so a cache can cost speed, never
    /// correctness. Only sessions created from a file path or bytes are matched (the hash needs the bytes); the
    /// model is hashed only when a cache file may exist. Native backend only.
    /// </summary>
    public bool UseTuningCache { get; set; } = true;

    /// <summary>The tuning cache file to read (see <see cref="UseTuningCache"/>); null = the default per-model file.</summary>
    public string? TuningCachePath { get; set; }

    /// <summary>kerno tune: keep the original weights of packed steps (trials pack other algorithms from them).</summary>
    internal bool KeepOriginalWeights { get; set; }

    /// <summary>Tests: run exactly these passes instead of the level's list.</summary>
    internal IReadOnlyList<IGraphPass>? GraphPasses { get; set; }

    /// <summary>Largest model accepted, in bytes (external data included). Default: 2 GiB - 1.</summary>
    public long MaxModelBytes { get; set; } = ModelLimits.Default.MaxModelBytes;

    /// <summary>Largest element count of any tensor in the model or given as input. Default: 2^30.</summary>
    public long MaxTensorElements { get; set; } = ModelLimits.Default.MaxTensorElements;

    /// <summary>Most nodes, counting subgraphs and functions. Default: 1,000,000.</summary>
    public int MaxNodes { get; set; } = ModelLimits.Default.MaxNodes;

    /// <summary>Deepest nesting of subgraphs. Default: 32.</summary>
    public int MaxSubgraphDepth { get; set; } = ModelLimits.Default.MaxSubgraphDepth;

    internal ModelLimits ToLimits() => new()
    {
        MaxModelBytes = MaxModelBytes,
        MaxTensorElements = MaxTensorElements,
        MaxNodes = MaxNodes,
        MaxSubgraphDepth = MaxSubgraphDepth,
    };
}
