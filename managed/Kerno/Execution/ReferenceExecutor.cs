using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Execution;

/// <summary>
/// Runs a model with the reference kernels: node by node in topological order, dropping each value after
/// its last use. Plans (order, kernels, functions expanded) are made once, at construction, which is also
/// when every unsupported operator is reported, in one <see cref="KernoModelException"/>.
/// </summary>
internal sealed class ReferenceExecutor
{
    private readonly Model model;
    private readonly IReadOnlyDictionary<ComputeGraph, GraphPlan> plans;
    private readonly int maxDepth;
    private readonly long maxTensorElements;

    /// <param name="model">The model to run.</param>
    /// <param name="maxSubgraphDepth">Deepest nesting of subgraph calls.</param>
    /// <param name="maxTensorElements">Cap on every tensor a run creates (0 = none), see <see cref="RunLimits"/>.</param>
    public ReferenceExecutor(Model model, int maxSubgraphDepth = 64, long maxTensorElements = 0)
    {
        this.model = model;
        maxDepth = maxSubgraphDepth;
        this.maxTensorElements = maxTensorElements;
        plans = new PlanBuilder(model).Build();
    }

    /// <summary>The plans of the main graph and every subgraph (the native backend reuses their order and kernels).</summary>
    internal IReadOnlyDictionary<ComputeGraph, GraphPlan> Plans => plans;

    /// <summary>
    /// Runs the main graph; <paramref name="cancellation"/> is checked between nodes (the conformance runner uses it for time-outs).
    /// Several runs may go on at once: all per-run state lives in frames. <paramref name="inputs"/> binds graph inputs by name (an initializer named here is
    /// overridden). Returns the graph outputs in declaration order.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Value?>> Run(IReadOnlyDictionary<string, Value> inputs, CancellationToken cancellation = default)
    {
        using RunLimits.Scope limit = RunLimits.Enter(maxTensorElements);
        var frame = new Frame(this, model.Graph, null, 0, cancellation);
        foreach ((string name, Value value) in inputs)
            frame.Set(name, value);
        Value?[] outputs = Execute(plans[model.Graph], frame);
        return model.Graph.Outputs.Select((o, i) => new KeyValuePair<string, Value?>(o.Name, outputs[i])).ToList();
    }

    /// <summary>Runs a subgraph under <paramref name="parent"/> with its formal inputs bound positionally.</summary>
    internal Value?[] RunSubgraph(ComputeGraph graph, Frame parent, IReadOnlyList<Value?> inputs)
    {
        if (!plans.TryGetValue(graph, out GraphPlan? plan))
            throw new KernoModelException($"subgraph '{graph.Name}' is not part of this model");
        if (parent.Depth + 1 > maxDepth)
            throw new KernoModelException($"subgraph '{graph.Name}': subgraph calls nest deeper than {maxDepth}");
        if (inputs.Count != graph.Inputs.Count)
            throw new KernoModelException($"subgraph '{graph.Name}' declares {graph.Inputs.Count} inputs but was given {inputs.Count}");
        var frame = new Frame(this, graph, parent, parent.Depth + 1, parent.Cancellation);
        for (int i = 0; i < inputs.Count; ++i)
            frame.Set(graph.Inputs[i].Name, inputs[i]);
        return Execute(plan, frame);
    }

    private Value?[] Execute(GraphPlan plan, Frame frame)
    {
        foreach (PlanStep step in plan.Steps)
        {
            frame.Cancellation.ThrowIfCancellationRequested();
            Node node = step.Node;
            var inputs = new Value?[node.Inputs.Count];
            for (int i = 0; i < inputs.Length; ++i)
            {
                string name = node.Inputs[i];
                if (name.Length == 0)
                    continue;
                if (!frame.TryGet(name, out inputs[i]))
                    throw new KernoModelException(node, $"input '{name}' has no value (it was not fed or not produced)");
            }
            Value?[] results = Invoke(step, inputs, frame);
            for (int i = 0; i < node.Outputs.Count; ++i)
                if (node.Outputs[i].Length > 0)
                    frame.Set(node.Outputs[i], i < results.Length ? results[i] : null);
            foreach (string dead in step.Release)
                frame.Remove(dead);
        }
        var outputs = new Value?[plan.Graph.Outputs.Count];
        for (int i = 0; i < outputs.Length; ++i)
        {
            string name = plan.Graph.Outputs[i].Name;
            if (!frame.TryGet(name, out outputs[i]))
                throw new KernoModelException($"graph output '{name}' of '{plan.Graph.Name}' was not computed");
        }
        return outputs;
    }

    private static Value?[] Invoke(PlanStep step, Value?[] inputs, Frame frame)
    {
        var context = new OpContext(step.Node, step.Opset, inputs, frame);
        try
        {
            return step.Kernel(context) ?? throw new KernoModelException(step.Node, "the kernel returned no outputs");
        }
        catch (Exception e) when (e is not KernoModelException and not OperationCanceledException)
        {
            throw new KernoModelException(step.Node, $"{e.GetType().Name}: {e.Message}", e);
        }
    }
}
