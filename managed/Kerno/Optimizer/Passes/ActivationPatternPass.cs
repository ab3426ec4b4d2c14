using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// An activation written out in primitive ops right after a Conv / Gemm / fused node, read by the producer's output
/// through exactly two nodes (x * f(x)), becomes that node's epilogue. Subclasses say which activation and how to
/// recognize its nodes.
/// </summary>
public abstract class ActivationPatternPass : IGraphPass
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>The epilogue the matched nodes become.</summary>
    protected abstract FusedActivation Activation { get; }

    /// <summary>The pattern's nodes (the last one writes the result) when <paramref name="x"/>'s two readers compute the activation of x; null otherwise.</summary>
    protected abstract List<Node>? Match(ComputeGraph graph, OptimizerContext context, string x, List<Node> readers,
        Dictionary<string, List<Node>> consumers, HashSet<string> pinned);

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        // The consumer map is rebuilt only after an edit: rebuilding it for every candidate made the pass quadratic.
        Dictionary<string, List<Node>>? consumers = null;
        HashSet<string> pinned = GraphEdits.PinnedNames(graph);
        foreach (Node producer in graph.Nodes.ToList())
        {
            if (producer.Outputs.Count != 1 || FuseActivation.FusedOpFor(graph, producer) is not { } fusedOp)
                continue;
            consumers ??= GraphEdits.Consumers(graph);
            string x = producer.Outputs[0];
            if (pinned.Contains(x) || !consumers.TryGetValue(x, out var readers) || readers.Count != 2)
                continue;
            if (Match(graph, context, x, readers, consumers, pinned) is not { } nodes)
                continue;
            FuseActivation.Attach(graph, producer, fusedOp, Activation, nodes[^1].Outputs[0]);
            foreach (Node n in nodes)
                graph.Nodes.Remove(n);
            consumers = null;
            changed = true;
        }
        return changed;
    }
}
