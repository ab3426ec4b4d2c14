using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>Removes Identity nodes and inference-mode Dropout (whose mask output nobody reads) by rewiring their readers.</summary>
public sealed class EliminateIdentity : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "EliminateIdentity";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        foreach (Node node in graph.Nodes.ToList())
        {
            if (!IsIdentity(graph, node) || node.Inputs.Count == 0 || node.Inputs[0].Length == 0)
                continue;
            var pinned = GraphEdits.PinnedNames(graph);
            string x = node.Inputs[0], y = node.Outputs[0];
            if (!pinned.Contains(y))
            {
                GraphEdits.ReplaceUses(graph, y, x);
                graph.Nodes.Remove(node);
                changed = true;
                continue;
            }
            // y is a graph output: let x's producer write y directly, if x is used nowhere else.
            var producers = GraphEdits.Producers(graph);
            var consumers = GraphEdits.Consumers(graph);
            if (producers.TryGetValue(x, out Node? producer) && !pinned.Contains(x)
                && consumers.TryGetValue(x, out var readers) && readers.Count == 1)
            {
                producer.Outputs[producer.Outputs.IndexOf(x)] = y;
                graph.Nodes.Remove(node);
                changed = true;
            }
        }
        return changed;
    }

    private static bool IsIdentity(ComputeGraph graph, Node node)
    {
        if (node.Domain.Length != 0)
            return false;
        if (node.OpType == "Identity")
            return node.Outputs.Count == 1;
        if (node.OpType != "Dropout")
            return false;
        // The mask may be named and still unread (SqueezeNet's export names it).
        bool maskUnused = node.Outputs.Count < 2 || node.Outputs[1].Length == 0
            || (!GraphEdits.PinnedNames(graph).Contains(node.Outputs[1]) && !GraphEdits.Consumers(graph).ContainsKey(node.Outputs[1]));
        // Dropout(opset 12+) trains only when its training_mode input is true.
        bool inference = node.Inputs.Count < 3 || node.Inputs[2].Length == 0
            || (GraphEdits.Constant(graph, node.Inputs[2]) is Tensor<bool> mode && !mode[0]);
        return maskUnused && inference;
    }
}
