namespace Kerno.Graph;

/// <summary>
/// Orders nodes so each runs after the nodes producing its inputs (Kahn's algorithm). Among nodes that are
/// ready at the same time, file order is kept, so a graph that is already sorted is returned unchanged.
/// </summary>
public static class TopologicalSort
{
    /// <summary>
    /// Sorts <paramref name="nodes"/>. <paramref name="inputsOf"/> gives every value a node reads, including
    /// values its subgraphs read from the enclosing scope (default: <see cref="GraphScopes.AllInputs"/>).
    /// Values no node in the list produces are taken as available (graph inputs, initializers, outer scope).
    /// Throws <see cref="KernoModelException"/> naming a node on a cycle.
    /// </summary>
    public static List<Node> Sort(IReadOnlyList<Node> nodes, Func<Node, IEnumerable<string>>? inputsOf = null)
    {
        inputsOf ??= GraphScopes.AllInputs;
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; ++i)
            foreach (string o in nodes[i].Outputs)
                if (o.Length > 0)
                    producer.TryAdd(o, i);

        var pending = new int[nodes.Count];
        var consumers = new List<int>[nodes.Count];
        for (int i = 0; i < nodes.Count; ++i)
        {
            consumers[i] = new List<int>();
        }
        for (int i = 0; i < nodes.Count; ++i)
        {
            foreach (string name in inputsOf(nodes[i]).Where(n => n.Length > 0).Distinct())
            {
                if (producer.TryGetValue(name, out int p))
                {
                    // A node reading its own output is a cycle of length one.
                    pending[i]++;
                    consumers[p].Add(i);
                }
            }
        }

        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < nodes.Count; ++i)
            if (pending[i] == 0)
                ready.Enqueue(i, i);
        var order = new List<Node>(nodes.Count);
        while (ready.TryDequeue(out int i, out _))
        {
            order.Add(nodes[i]);
            foreach (int c in consumers[i])
                if (--pending[c] == 0)
                    ready.Enqueue(c, c);
        }
        if (order.Count != nodes.Count)
        {
            int stuck = Enumerable.Range(0, nodes.Count).First(i => pending[i] > 0);
            Node n = nodes[stuck];
            string waits = string.Join(", ", inputsOf(n).Where(x => producer.TryGetValue(x, out int p) && pending[p] > 0).Distinct().Select(x => $"'{x}'"));
            throw new KernoModelException(n, $"the graph has a cycle: this node needs {waits}, which depend on its own outputs");
        }
        return order;
    }
}
