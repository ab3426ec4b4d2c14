using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// Conv / Gemm / kerno.FusedMatMul / kerno.FusedConv followed by an activation that feeds on nothing else
/// becomes one fused node applying the activation on its output store (kerno.FusedConv, kerno.FusedGemm,
/// kerno.FusedMatMul with an <c>activation</c> attribute). Float tensors only (weights must be float constants).
/// </summary>
public sealed class FuseActivation : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "FuseActivation";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        // The consumer map is rebuilt only after an edit: rebuilding it for every candidate made the pass quadratic.
        Dictionary<string, List<Node>>? consumers = null;
        HashSet<string> pinned = GraphEdits.PinnedNames(graph);
        foreach (Node producer in graph.Nodes.ToList())
        {
            string? fusedOp = FusedOpFor(graph, producer);
            if (fusedOp is null)
                continue;
            consumers ??= GraphEdits.Consumers(graph);
            Node? act = GraphEdits.SoleConsumer(producer.Outputs[0], consumers, pinned);
            if (act is null || act.Inputs.Count == 0 || act.Inputs[0] != producer.Outputs[0] || Recognize(graph, act, context) is not { } activation)
                continue;
            Attach(graph, producer, fusedOp, activation, act.Outputs[0]);
            graph.Nodes.Remove(act);
            consumers = null;
            changed = true;
        }
        return changed;
    }

    /// <summary>Replaces <paramref name="producer"/> by <paramref name="fusedOp"/> applying <paramref name="activation"/> and writing <paramref name="output"/>.</summary>
    internal static void Attach(ComputeGraph graph, Node producer, string fusedOp, FusedActivation activation, string output)
    {
        var attributes = producer.Attributes.Values.Where(a => a.Name is not ("activation" or "activation_params"))
            .Concat(activation.ToAttributes());
        var fused = new Node(producer.Name, fusedOp, FusedOps.Domain, producer.Inputs, [output], attributes) { Index = producer.Index };
        graph.Nodes[graph.Nodes.IndexOf(producer)] = fused;
    }

    /// <summary>The fused op a node becomes when it takes an activation (null when it cannot take one).</summary>
    internal static string? FusedOpFor(ComputeGraph graph, Node n)
    {
        if (n.Outputs.Count != 1 || n.Has("activation"))
            return null;
        bool floatWeights = n.Inputs.Count > 1 && GraphEdits.IsFloatWeight(graph, n.Inputs[1]);
        return (n.Domain, n.OpType) switch
        {
            ("", "Conv") when floatWeights => "FusedConv",
            ("", "Gemm") when floatWeights => "FusedGemm",
            (FusedOps.Domain, "FusedConv" or "FusedGemm" or "FusedMatMul") => n.OpType,
            _ => null,
        };
    }

    /// <summary>The activation a node computes, when it is one the fused kernels implement.</summary>
    internal static FusedActivation? Recognize(ComputeGraph graph, Node act, OptimizerContext context)
    {
        if (act.Domain.Length != 0 || act.Outputs.Count != 1)
            return null;
        switch (act.OpType)
        {
            case "Relu": return new FusedActivation(ActivationKind.Relu);
            case "Sigmoid": return new FusedActivation(ActivationKind.Sigmoid);
            case "Tanh": return new FusedActivation(ActivationKind.Tanh);
            case "HardSwish": return new FusedActivation(ActivationKind.HardSwish);
            case "LeakyRelu": return new FusedActivation(ActivationKind.LeakyRelu, act.GetFloat("alpha", 0.01f));
            case "HardSigmoid": return new FusedActivation(ActivationKind.HardSigmoid, act.GetFloat("alpha", 0.2f), act.GetFloat("beta", 0.5f));
            case "Gelu" when act.GetString("approximate", "none") == "tanh": return new FusedActivation(ActivationKind.GeluTanh);
            case "Clip":
                if (context.Opset("") < 11)
                    return new FusedActivation(ActivationKind.Clip, act.GetFloat("min", float.MinValue), act.GetFloat("max", float.MaxValue));
                float? lo = Bound(graph, act, 1, float.MinValue), hi = Bound(graph, act, 2, float.MaxValue);
                return lo is null || hi is null ? null : new FusedActivation(ActivationKind.Clip, lo.Value, hi.Value);
            default: return null;
        }
    }

    private static float? Bound(ComputeGraph graph, Node clip, int input, float absent)
    {
        if (clip.Inputs.Count <= input || clip.Inputs[input].Length == 0)
            return absent;
        return GraphEdits.Constant(graph, clip.Inputs[input]) is Tensor<float> { Length: 1 } t ? t[0] : null;
    }
}
