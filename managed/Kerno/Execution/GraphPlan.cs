using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Execution;

/// <summary>One node ready to run: its kernel, the opset it was written against, and the values that die after it.</summary>
internal sealed record PlanStep(Node Node, ReferenceKernel Kernel, long Opset, string[] Release);

/// <summary>
/// How to run one graph: nodes in topological order with their kernels, and for each step the values
/// whose last use it is, so the executor can drop them and keep peak memory down.
/// </summary>
internal sealed class GraphPlan
{
    public GraphPlan(ComputeGraph graph, IReadOnlyList<PlanStep> steps)
    {
        Graph = graph;
        Steps = steps;
    }

    public ComputeGraph Graph { get; }

    public IReadOnlyList<PlanStep> Steps { get; }
}

/// <summary>
/// Builds <see cref="GraphPlan"/>s for a graph and all its subgraphs (expanding functions), and collects
/// every operator without an implementation so the caller can report them all at once.
/// </summary>
internal sealed class PlanBuilder
{
    private readonly Model model;
    private readonly FunctionInliner inliner;
    private readonly Dictionary<ComputeGraph, GraphPlan> plans = new(ReferenceEqualityComparer.Instance);
    private readonly SortedSet<string> unsupported = new(StringComparer.Ordinal);

    public PlanBuilder(Model model)
    {
        this.model = model;
        inliner = new FunctionInliner(model);
    }

    /// <summary>Plans the main graph and every subgraph; throws one exception listing all unsupported operators.</summary>
    public IReadOnlyDictionary<ComputeGraph, GraphPlan> Build()
    {
        Plan(model.Graph, model.Opset);
        if (unsupported.Count > 0)
            throw new KernoModelException($"the model uses operators the reference backend does not implement: {string.Join(", ", unsupported)}")
            {
                UnsupportedOperators = unsupported.ToList(),
            };
        return plans;
    }

    private void Plan(ComputeGraph graph, Func<string, long> opsetOf)
    {
        List<FunctionInliner.Step> expanded = inliner.Expand(graph.Nodes, opsetOf);
        var stepOf = new Dictionary<Node, FunctionInliner.Step>(ReferenceEqualityComparer.Instance);
        foreach (FunctionInliner.Step s in expanded)
            stepOf[s.Node] = s;
        List<Node> order = TopologicalSort.Sort(expanded.Select(s => s.Node).ToList());

        var inputsOf = order.Select(n => GraphScopes.AllInputs(n).ToArray()).ToArray();
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < order.Count; ++i)
        {
            foreach (string o in order[i].Outputs)
                if (o.Length > 0)
                    lastUse[o] = i; // never read: dies right after it is made
            foreach (string name in inputsOf[i])
                lastUse[name] = i;
        }
        foreach (ValueInfo output in graph.Outputs)
            lastUse.Remove(output.Name);
        var release = new List<string>[order.Count];
        for (int i = 0; i < order.Count; ++i)
            release[i] = new List<string>();
        foreach ((string name, int step) in lastUse)
            release[step].Add(name);

        var steps = new List<PlanStep>(order.Count);
        for (int i = 0; i < order.Count; ++i)
        {
            Node node = order[i];
            long opset = stepOf[node].Opset;
            ReferenceKernel? kernel = ReferenceOps.Find(node.Domain, node.OpType, opset);
            if (kernel is null)
            {
                string op = node.Domain.Length == 0 ? node.OpType : $"{node.Domain}.{node.OpType}";
                unsupported.Add($"{op} (opset {opset})");
                kernel = _ => throw new KernoModelException(node, "operator is not implemented");
            }
            steps.Add(new PlanStep(node, kernel, opset, release[i].ToArray()));
            // Subgraphs see the opsets of the scope they are written in.
            foreach (ComputeGraph sub in GraphScopes.Subgraphs(node))
                Plan(sub, stepOf[node].OpsetOf);
        }
        plans[graph] = new GraphPlan(graph, steps);
    }
}
