using Kerno.Graph;
using Kerno.Kernels;
using Kerno.Planning;

namespace Kerno.Tuning;

/// <summary>A measured choice for one convolution node: the geometry it was measured on, the winning algorithm, and
/// the operator it was measured as (kerno.BlockedConv runs on NCHWc, Conv and kerno.FusedConv on NCHW: a choice
/// measured in one layout says nothing about the other); null matches any (cache files that did not record it).</summary>
internal sealed record TunedConv(ConvGeometry Geometry, ConvAlgorithm Algorithm, string? OpType = null);

/// <summary>
/// The tuned choices a session applies, by node. A choice is only a preference: the node uses it when its
/// geometry is the measured one and libkerno accepts the algorithm for it, so a stale entry costs speed, never
/// correctness.
/// </summary>
internal sealed class TuningChoices
{
    public TuningChoices(IReadOnlyDictionary<string, TunedConv> byNode) => ByNode = byNode;

    public IReadOnlyDictionary<string, TunedConv> ByNode { get; }

    public TunedConv? For(Node node, int stepIndex) =>
        ByNode.GetValueOrDefault(NodeKey(node, stepIndex)) is { } t && (t.OpType is null || t.OpType == OpName(node)) ? t : null;

    /// <summary>The operator as the cache records it: "Conv", "kerno.BlockedConv".</summary>
    public static string OpName(Node node) => node.Domain.Length == 0 ? node.OpType : $"{node.Domain}.{node.OpType}";

    /// <summary>The node's name, or "OpType#step" for an unnamed one (as in profiles); step indices are stable for a
    /// given model and optimization level.</summary>
    public static string NodeKey(Node node, int stepIndex) => node.Name.Length > 0 ? node.Name : $"{node.OpType}#{stepIndex}";
}
