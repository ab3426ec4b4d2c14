using Kerno.Graph;

namespace Kerno.Optimizer;

/// <summary>Queries and edits passes share: who consumes a value, which names must not change, rewiring uses.</summary>
internal static class GraphEdits
{
    /// <summary>For each value name, the nodes reading it (a node reading it twice appears twice).</summary>
    public static Dictionary<string, List<Node>> Consumers(ComputeGraph graph)
    {
        var map = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        foreach (Node n in graph.Nodes)
            foreach (string input in n.Inputs)
                if (input.Length > 0)
                    (map.TryGetValue(input, out var list) ? list : map[input] = new List<Node>()).Add(n);
        return map;
    }

    /// <summary>For each value name, the node producing it.</summary>
    public static Dictionary<string, Node> Producers(ComputeGraph graph)
    {
        var map = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (Node n in graph.Nodes)
            foreach (string output in n.Outputs)
                if (output.Length > 0)
                    map[output] = n;
        return map;
    }

    /// <summary>
    /// Names a pass must not rename or remove: graph outputs and every name a subgraph reads from this
    /// scope (subgraph bodies refer to outer values by name).
    /// </summary>
    public static HashSet<string> PinnedNames(ComputeGraph graph)
    {
        var pinned = new HashSet<string>(graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        foreach (Node n in graph.Nodes)
            foreach (AttributeValue a in n.Attributes.Values)
                foreach (ComputeGraph sub in SubgraphsOf(a))
                    CollectNamesUsed(sub, pinned);
        return pinned;
    }

    public static IEnumerable<ComputeGraph> SubgraphsOf(AttributeValue a) =>
        a.Graph is not null ? [a.Graph] : a.Graphs ?? [];

    private static void CollectNamesUsed(ComputeGraph g, HashSet<string> names)
    {
        foreach (Node n in g.Nodes)
        {
            names.UnionWith(n.Inputs.Where(i => i.Length > 0));
            foreach (AttributeValue a in n.Attributes.Values)
                foreach (ComputeGraph sub in SubgraphsOf(a))
                    CollectNamesUsed(sub, names);
        }
    }

    /// <summary>True when <paramref name="name"/> is a constant: an initializer that is not also a graph input the caller may feed.</summary>
    public static bool IsConstant(ComputeGraph graph, string name) =>
        graph.Initializers.ContainsKey(name) && !graph.Inputs.Any(i => i.Name == name);

    /// <summary>The constant tensor behind <paramref name="name"/>, or null.</summary>
    public static Tensor? Constant(ComputeGraph graph, string name) =>
        IsConstant(graph, name) ? graph.Initializers[name] : null;

    /// <summary>
    /// True when <paramref name="name"/> is a float constant, or a float ConstantOfShape of a constant shape that constant
    /// folding left unfolded (too large, or a fully-connected weight deferred to the native executor).
    /// </summary>
    public static bool IsFloatWeight(ComputeGraph graph, string name) =>
        Constant(graph, name) is Tensor<float>
        || graph.Nodes.Any(n => n.OpType == "ConstantOfShape" && n.Domain.Length == 0 && n.Outputs.Count == 1 && n.Outputs[0] == name
            && n.Inputs.Count == 1 && IsConstant(graph, n.Inputs[0]) && (n.GetTensor("value")?.DataType ?? DataType.Float) == DataType.Float);

    /// <summary>Replaces every read of <paramref name="from"/> by <paramref name="to"/>.</summary>
    public static void ReplaceUses(ComputeGraph graph, string from, string to)
    {
        foreach (Node n in graph.Nodes)
            for (int i = 0; i < n.Inputs.Count; ++i)
                if (n.Inputs[i] == from)
                    n.Inputs[i] = to;
    }

    /// <summary>A value name not used anywhere in the graph yet.</summary>
    public static string FreshName(ComputeGraph graph, string stem)
    {
        // Each candidate is looked up where it could be defined (no set of every name per call: passes call this per fold).
        bool Used(string name) => graph.Initializers.ContainsKey(name) || graph.Inputs.Any(v => v.Name == name)
            || graph.Nodes.Any(n => n.Outputs.Contains(name));
        for (int i = 0; ; ++i)
        {
            string name = i == 0 ? stem : $"{stem}_{i}";
            if (!Used(name))
                return name;
        }
    }

    /// <summary>True when a node's only consumer is exactly one other node (and it is not pinned).</summary>
    public static Node? SoleConsumer(string value, Dictionary<string, List<Node>> consumers, HashSet<string> pinned) =>
        !pinned.Contains(value) && consumers.TryGetValue(value, out var list) && list.Count == 1 ? list[0] : null;
}
