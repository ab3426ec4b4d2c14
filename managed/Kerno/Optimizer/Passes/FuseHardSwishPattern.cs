using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// HardSwish written out in primitive ops, as Paddle exports it before opset 14 (x * Clip(x + 3, 0, 6) / 6, or
/// x * HardSigmoid(x, 1/6, 1/2)), right after a Conv / Gemm / fused node, becomes that node's HardSwish epilogue:
/// four passes over the feature map fewer for every activation of PP-LCNetV3.
/// </summary>
public sealed class FuseHardSwishPattern : ActivationPatternPass
{
    /// <inheritdoc/>
    public override string Name => "FuseHardSwishPattern";

    /// <inheritdoc/>
    protected override FusedActivation Activation => new(ActivationKind.HardSwish);

    /// <inheritdoc/>
    protected override List<Node>? Match(ComputeGraph graph, OptimizerContext context, string x, List<Node> readers,
        Dictionary<string, List<Node>> consumers, HashSet<string> pinned)
    {
        Node? Sole(Node n) => n.Outputs.Count == 1 ? GraphEdits.SoleConsumer(n.Outputs[0], consumers, pinned) : null;
        bool IsOp(Node? n, string op) => n is not null && n.Domain.Length == 0 && n.OpType == op;
        Node? mul = readers.FirstOrDefault(r => IsOp(r, "Mul") && r.Inputs.Count == 2 && r.Inputs.Contains(x));
        Node? gate = readers.FirstOrDefault(r => r != mul);
        if (mul is null || gate is null || gate.Inputs.Count == 0 || gate.Inputs[0] != x && !(IsOp(gate, "Add") && gate.Inputs.Contains(x)))
            return null;
        string other = mul.Inputs[0] == x ? mul.Inputs[1] : mul.Inputs[0];
        if (IsOp(gate, "HardSigmoid"))
        {
            // x * HardSigmoid(x, 1/6, 1/2)
            if (other != gate.Outputs[0] || Sole(gate) != mul || !Near(gate.GetFloat("alpha", 0.2f), 1 / 6f) || gate.GetFloat("beta", 0.5f) != 0.5f)
                return null;
            return [gate, mul];
        }
        // Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6), or the Mul by 1/6.
        if (!IsOp(gate, "Add") || gate.Inputs.Count != 2 || Scalar(graph, gate.Inputs[0] == x ? gate.Inputs[1] : gate.Inputs[0]) != 3f)
            return null;
        Node? clip = Sole(gate);
        if (!IsOp(clip, "Clip") || clip!.Inputs[0] != gate.Outputs[0] || other != clip.Outputs[0] || Sole(clip) != mul
            || FuseActivation.Recognize(graph, clip, context) is not { Kind: ActivationKind.Clip, Alpha: 0f, Beta: 6f })
            return null;
        Node? div = Sole(mul);
        if (div is null || div.Domain.Length != 0 || div.Inputs.Count != 2 || div.Inputs[0] != mul.Outputs[0]
            || !(div.OpType == "Div" && Scalar(graph, div.Inputs[1]) == 6f || div.OpType == "Mul" && Scalar(graph, div.Inputs[1]) is { } s && Near(s, 1 / 6f)))
            return null;
        return [gate, clip, mul, div];
    }

    private static bool Near(float a, float b) => Math.Abs(a - b) <= 1e-6f;

    /// <summary>The value of a one-element float constant of rank 0 or 1 (so it broadcasts without changing any shape), else null.</summary>
    internal static float? Scalar(ComputeGraph graph, string name) =>
        GraphEdits.Constant(graph, name) is Tensor<float> { Length: 1, Rank: <= 1 } t ? t[0] : null;
}
