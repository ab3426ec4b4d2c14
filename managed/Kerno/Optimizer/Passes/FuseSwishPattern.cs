using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// Swish / SiLU written out as x * Sigmoid(x) (Paddle exports it as x * Sigmoid(x * 1)) right after a Conv / Gemm /
/// fused node becomes that node's SiLU epilogue (PP-OCRv4's recognizer neck and transformer MLPs).
/// </summary>
public sealed class FuseSwishPattern : ActivationPatternPass
{
    /// <inheritdoc/>
    public override string Name => "FuseSwishPattern";

    /// <inheritdoc/>
    protected override FusedActivation Activation => new(ActivationKind.Silu);

    /// <inheritdoc/>
    protected override List<Node>? Match(ComputeGraph graph, OptimizerContext context, string x, List<Node> readers,
        Dictionary<string, List<Node>> consumers, HashSet<string> pinned) =>
        Match(graph, x, readers[0], readers[1], consumers, pinned) ?? Match(graph, x, readers[1], readers[0], consumers, pinned);

    /// <summary>The pattern's nodes (the last is the final Mul) when <paramref name="mul"/> = x * Sigmoid(x or x * 1) with the sigmoid branch starting at <paramref name="first"/>.</summary>
    private static List<Node>? Match(ComputeGraph graph, string x, Node mul, Node first, Dictionary<string, List<Node>> consumers, HashSet<string> pinned)
    {
        Node? Sole(Node n) => n.Outputs.Count == 1 ? GraphEdits.SoleConsumer(n.Outputs[0], consumers, pinned) : null;
        static bool IsOp(Node? n, string op) => n is not null && n.Domain.Length == 0 && n.OpType == op;
        if (!IsOp(mul, "Mul") || mul.Inputs.Count != 2 || mul.Inputs[0] == mul.Inputs[1] || !mul.Inputs.Contains(x))
            return null;
        var nodes = new List<Node> { first };
        Node? sigmoid = first;
        if (IsOp(first, "Mul"))
        {
            // x * 1: only the exact identity, whose output has x's shape.
            if (first.Inputs.Count != 2 || FuseHardSwishPattern.Scalar(graph, first.Inputs[0] == x ? first.Inputs[1] : first.Inputs[0]) != 1f)
                return null;
            sigmoid = Sole(first);
            if (sigmoid is null)
                return null;
            nodes.Add(sigmoid);
        }
        string other = mul.Inputs[0] == x ? mul.Inputs[1] : mul.Inputs[0];
        if (!IsOp(sigmoid, "Sigmoid") || sigmoid!.Inputs.Count != 1 || sigmoid.Inputs[0] != (nodes.Count == 2 ? first.Outputs[0] : x)
            || other != sigmoid.Outputs[0] || Sole(sigmoid) != mul)
            return null;
        nodes.Add(mul);
        return nodes;
    }
}
