using Kerno.Graph;

namespace Kerno.Optimizer;

/// <summary>One graph transformation. Every pass keeps the graph's results (tests run models with and without each pass).</summary>
public interface IGraphPass
{
    /// <summary>Name shown in logs and tests.</summary>
    string Name { get; }

    /// <summary>Rewrites <paramref name="graph"/> in place; returns true when something changed.</summary>
    bool Apply(ComputeGraph graph, OptimizerContext context);
}

/// <summary>What passes may know besides the graph: opsets and limits.</summary>
public sealed class OptimizerContext
{
    /// <summary>Creates a context for a model's opsets.</summary>
    public OptimizerContext(IReadOnlyDictionary<string, long> opsets) => Opsets = opsets;

    /// <summary>Opset version per domain ("" = ai.onnx).</summary>
    public IReadOnlyDictionary<string, long> Opsets { get; }

    /// <summary>Constant folding does not materialize tensors larger than this (elements).</summary>
    public long MaxFoldedElements { get; init; } = 64L << 20;

    /// <summary>NCHWc channel block the blocked-layout pass uses (the native kernel set's), 0 to keep every tensor NCHW
    /// (the reference backend).</summary>
    public int NchwcBlock { get; init; }

    /// <summary>The opset of a domain.</summary>
    public long Opset(string domain) => Opsets.GetValueOrDefault(domain == "ai.onnx" ? "" : domain);
}
