using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>Removes nodes whose outputs reach no graph output (and initializers nothing reads).</summary>
public sealed class EliminateDeadNodes : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "EliminateDeadNodes";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        var live = GraphEdits.PinnedNames(graph);
        var producers = GraphEdits.Producers(graph);
        var alive = new HashSet<Node>();
        var work = new Stack<string>(live);
        while (work.Count > 0)
        {
            string name = work.Pop();
            if (!producers.TryGetValue(name, out Node? node) || !alive.Add(node))
                continue;
            foreach (string input in node.Inputs)
                if (input.Length > 0 && live.Add(input))
                    work.Push(input);
            foreach (AttributeValue a in node.Attributes.Values)
                foreach (ComputeGraph sub in GraphEdits.SubgraphsOf(a))
                    foreach (Node inner in sub.Nodes)
                        foreach (string input in inner.Inputs)
                            if (input.Length > 0 && live.Add(input))
                                work.Push(input);
        }
        int before = graph.Nodes.Count + graph.Initializers.Count;
        graph.Nodes.RemoveAll(n => !alive.Contains(n));
        var inputs = graph.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string name in graph.Initializers.Keys.ToList())
            if (!live.Contains(name) && !inputs.Contains(name))
                graph.Initializers.Remove(name);
        return graph.Nodes.Count + graph.Initializers.Count != before;
    }
}
