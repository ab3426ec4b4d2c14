using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>Merges a Transpose feeding only another Transpose into one (or none, when the permutations cancel).</summary>
public sealed class CancelTransposes : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "CancelTransposes";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        // The consumer map is rebuilt only after an edit: rebuilding it for every candidate made the pass quadratic.
        Dictionary<string, List<Node>>? consumers = null;
        HashSet<string> pinned = GraphEdits.PinnedNames(graph);
        foreach (Node first in graph.Nodes.ToList())
        {
            if (!graph.Nodes.Contains(first) || first.OpType != "Transpose" || first.Domain.Length != 0 || first.GetInts("perm") is not { } p1)
                continue;
            consumers ??= GraphEdits.Consumers(graph);
            Node? second = GraphEdits.SoleConsumer(first.Outputs[0], consumers, pinned);
            if (second is null || second.OpType != "Transpose" || second.Domain.Length != 0 || second.GetInts("perm") is not { } p2 || p1.Length != p2.Length)
                continue;
            // out[i] = mid[p2[i]] = in[p1[p2[i]]]
            long[] combined = p2.Select(i => p1[i]).ToArray();
            graph.Nodes.Remove(first);
            if (combined.Select((v, i) => v == i).All(b => b))
            {
                second.OpType = "Identity";
                second.Attributes.Clear();
            }
            else
                second.Attributes["perm"] = new AttributeValue { Name = "perm", Kind = AttributeKind.Ints, Ints = combined };
            second.Inputs[0] = first.Inputs[0];
            consumers = null;
            changed = true;
        }
        return changed;
    }
}
