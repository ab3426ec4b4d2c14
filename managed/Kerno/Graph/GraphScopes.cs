namespace Kerno.Graph;

/// <summary>
/// Which values a node reads, counting the ones its subgraphs (If/Loop/Scan bodies) read from enclosing
/// scopes: those must be computed before the node runs and kept alive until it finishes.
/// </summary>
public static class GraphScopes
{
    /// <summary>The node's explicit inputs plus the outer-scope values its subgraphs read.</summary>
    public static IEnumerable<string> AllInputs(Node node)
    {
        foreach (string i in node.Inputs)
            if (i.Length > 0)
                yield return i;
        foreach (ComputeGraph g in Subgraphs(node))
            foreach (string free in OuterReferences(g))
                yield return free;
    }

    /// <summary>The subgraphs held in a node's attributes.</summary>
    public static IEnumerable<ComputeGraph> Subgraphs(Node node)
    {
        foreach (AttributeValue a in node.Attributes.Values)
        {
            if (a.Graph is not null)
                yield return a.Graph;
            if (a.Graphs is not null)
                foreach (ComputeGraph g in a.Graphs)
                    yield return g;
        }
    }

    /// <summary>Values a graph (and its nested subgraphs) reads but does not define: they come from enclosing scopes.</summary>
    public static IReadOnlySet<string> OuterReferences(ComputeGraph graph)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (ValueInfo v in graph.Inputs)
            defined.Add(v.Name);
        foreach (string name in graph.Initializers.Keys)
            defined.Add(name);
        foreach (Node n in graph.Nodes)
            foreach (string o in n.Outputs)
                if (o.Length > 0)
                    defined.Add(o);
        var free = new HashSet<string>(StringComparer.Ordinal);
        foreach (Node n in graph.Nodes)
            foreach (string i in AllInputs(n))
                if (!defined.Contains(i))
                    free.Add(i);
        foreach (ValueInfo v in graph.Outputs)
            if (!defined.Contains(v.Name))
                free.Add(v.Name);
        return free;
    }
}
