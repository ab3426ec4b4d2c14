using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Execution;

/// <summary>
/// The values of one running graph. Lookups fall through to the graph's initializers and then to the
/// enclosing frame, which is how subgraphs see outer-scope values. A frame is also the
/// <see cref="ISubgraphRunner"/> handed to the nodes of its graph, so a subgraph they run nests under it.
/// </summary>
internal sealed class Frame : ISubgraphRunner
{
    private readonly ReferenceExecutor executor;
    private readonly ComputeGraph graph;
    private readonly Frame? parent;
    private readonly Dictionary<string, Value?> values = new(StringComparer.Ordinal);

    public Frame(ReferenceExecutor executor, ComputeGraph graph, Frame? parent, int depth, CancellationToken cancellation)
    {
        this.executor = executor;
        this.graph = graph;
        this.parent = parent;
        Depth = depth;
        Cancellation = cancellation;
    }

    /// <summary>Cancels the run between nodes; the same token for every frame of one run.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Nesting depth (0 = main graph), bounded so runaway recursion fails cleanly.</summary>
    public int Depth { get; }

    public void Set(string name, Value? value) => values[name] = value;

    public void Remove(string name) => values.Remove(name);

    public bool TryGet(string name, out Value? value)
    {
        for (Frame? f = this; f is not null; f = f.parent)
        {
            if (f.values.TryGetValue(name, out value))
                return true;
            if (f.graph.Initializers.TryGetValue(name, out Tensor? t))
            {
                value = t;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <inheritdoc/>
    public Value?[] Run(ComputeGraph subgraph, IReadOnlyList<Value?> inputs) => executor.RunSubgraph(subgraph, this, inputs);
}
