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

    /// <summary>
    /// Leave large weights that only a Gemm or MatMul reads, made by ConstantOfShape, unfolded: the native executor makes
    /// each just before its reader packs it, then drops it, so they never all exist at once (set for the native backend).
    /// </summary>
    internal bool DeferLargeWeights { get; init; }

    /// <summary>
    /// Arrays the graph's tensors may share with the model as loaded (its initializers and its nodes' tensor attributes):
    /// a pass may change a constant in place only when it is not among them (<see cref="MayOverwrite"/>). Null: every
    /// tensor counts as shared, nothing is overwritten.
    /// </summary>
    internal HashSet<object>? SharedStorage { get; init; }

    /// <summary>
    /// True when initializer <paramref name="name"/> may be changed in place by its only reader: its tensor owns a whole
    /// array the model as loaded does not hold (e.g. a weight constant folding made), no other initializer shares it,
    /// and one node reads it, once (<paramref name="consumers"/> and <paramref name="pinned"/> as
    /// <see cref="GraphEdits"/> makes them: pinned names are graph outputs and names subgraphs read). Saves a copy of every folded weight (ResNet-50's BatchNorm folding: 100 MB).
    /// </summary>
    internal bool MayOverwrite(ComputeGraph graph, string name, Dictionary<string, List<Node>> consumers, HashSet<string> pinned)
    {
        if (SharedStorage is null || !graph.Initializers.TryGetValue(name, out Tensor? t) || Storage(t) is not { } array
            || SharedStorage.Contains(array) || pinned.Contains(name) || graph.Inputs.Any(i => i.Name == name)
            || !consumers.TryGetValue(name, out List<Node>? readers) || readers.Count != 1)
            return false;
        foreach ((string other, Tensor u) in graph.Initializers)
            if (other != name && ReferenceEquals(Storage(u), array))
                return false;
        return true;
    }

    /// <summary>The array a tensor's elements are, when they are exactly one whole managed array.</summary>
    internal static object? Storage(Tensor t)
    {
        if (t is not Tensor<float> f)
            return null;
        return System.Runtime.InteropServices.MemoryMarshal.TryGetArray<float>(f.Memory, out ArraySegment<float> seg)
            && seg.Offset == 0 && seg.Count == seg.Array!.Length ? seg.Array : null;
    }

    /// <summary>The opset of a domain.</summary>
    public long Opset(string domain) => Opsets.GetValueOrDefault(domain == "ai.onnx" ? "" : domain);
}
