namespace Kerno.Onnx;

/// <summary>
/// Caps that keep a hostile or corrupt model from exhausting memory or the stack while it is loaded.
/// The defaults fit any real model; lower them when loading models from untrusted sources.
/// </summary>
public sealed class ModelLimits
{
    /// <summary>Largest model file (or stream or buffer) accepted, in bytes. Default: 2 GiB - 1 (protobuf's own limit).</summary>
    public long MaxModelBytes { get; init; } = int.MaxValue;

    /// <summary>Largest element count of any single tensor (initializer, attribute, input or inferred). Default: 2^30.</summary>
    public long MaxTensorElements { get; init; } = 1L << 30;

    /// <summary>Most nodes in the model, counting every subgraph and function body. Default: 1,000,000.</summary>
    public int MaxNodes { get; init; } = 1_000_000;

    /// <summary>Deepest nesting of subgraphs (If/Loop/Scan bodies inside bodies). Default: 32.</summary>
    public int MaxSubgraphDepth { get; init; } = 32;

    /// <summary>The defaults.</summary>
    public static ModelLimits Default { get; } = new();
}
