using Kerno.Graph;
using Kerno.Kernels;
using Kerno.Planning;

namespace Kerno.Tuning;

/// <summary>A measured choice for one convolution node: the geometry it was measured on and the winning algorithm.</summary>
internal sealed record TunedConv(ConvGeometry Geometry, ConvAlgorithm Algorithm);

/// <summary>
/// The tuned choices a session applies, by node. A choice is only a preference: the node uses it when its
/// geometry is the measured one and libkerno accepts the algorithm for it, so a stale entry costs speed, never
/// correctness.
/// </summary>
internal sealed class TuningChoices
{
    public TuningChoices(IReadOnlyDictionary<string, TunedConv> byNode) => ByNode = byNode;

    public IReadOnlyDictionary<string, TunedConv> ByNode { get; }

    public TunedConv? For(Node node, int stepIndex) => ByNode.GetValueOrDefault(NodeKey(node, stepIndex));

    /// <summary>The node's name, or "OpType#step" for an unnamed one (as in profiles); step indices are stable for a
    /// given model and optimization level.</summary>
    public static string NodeKey(Node node, int stepIndex) => node.Name.Length > 0 ? node.Name : $"{node.OpType}#{stepIndex}";
}
