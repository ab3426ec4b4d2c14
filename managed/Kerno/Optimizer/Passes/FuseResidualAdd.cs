using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// Conv followed by Add(conv, Z) or a two-input Sum(conv, Z) (a residual connection) becomes kerno.FusedConv(X, W, B, Z): the sum is
/// done on the convolution's output store. Only when shapes are known to be equal (Z must not broadcast
/// the convolution's output up), so ResNet blocks fuse and nothing else changes meaning.
/// </summary>
public sealed class FuseResidualAdd : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "FuseResidualAdd";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        // The consumer map is rebuilt only after an edit: rebuilding it for every candidate made the pass quadratic.
        Dictionary<string, List<Node>>? consumers = null;
        HashSet<string> pinned = GraphEdits.PinnedNames(graph);
        foreach (Node conv in graph.Nodes.ToList())
        {
            bool plainConv = conv.OpType == "Conv" && conv.Domain.Length == 0;
            bool fusedConv = conv.OpType == "FusedConv" && conv.Domain == FusedOps.Domain && conv.Inputs.Count < 4 && !conv.Has("activation");
            if (!plainConv && !fusedConv)
                continue;
            consumers ??= GraphEdits.Consumers(graph);
            Node? add = GraphEdits.SoleConsumer(conv.Outputs[0], consumers, pinned);
            if (add is null || add.OpType is not ("Add" or "Sum") || add.Domain.Length != 0 || add.Inputs.Count != 2 || add.Inputs[0] == add.Inputs[1])
                continue;
            string z = add.Inputs[0] == conv.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
            if (!SameKnownShape(graph, conv.Outputs[0], z))
                continue;
            var inputs = conv.Inputs.ToList();
            while (inputs.Count < 3)
                inputs.Add("");
            inputs.Add(z);
            var fused = new Node(conv.Name, "FusedConv", FusedOps.Domain, inputs, [add.Outputs[0]], conv.Attributes.Values) { Index = conv.Index };
            graph.Nodes[graph.Nodes.IndexOf(conv)] = fused;
            graph.Nodes.Remove(add);
            consumers = null;
            changed = true;
        }
        return changed;
    }

    private static bool SameKnownShape(ComputeGraph graph, string a, string b) =>
        graph.ValueTypes.GetValueOrDefault(a) is TensorTypeInfo { IsFullyKnown: true } ta
        && graph.ValueTypes.GetValueOrDefault(b) is TensorTypeInfo { IsFullyKnown: true } tb
        && ta.ElementType == DataType.Float && tb.ElementType == DataType.Float
        && ta.Shape!.SequenceEqual(tb.Shape!);
}
