using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// Evaluates, once, every node whose inputs are all constants (with the reference kernels) and turns its
/// outputs into initializers. This is what makes weights computed in-graph (e.g. ConstantOfShape(0.02))
/// and shape arithmetic free at run time.
/// </summary>
public sealed class FoldConstants : IGraphPass
{
    private static readonly HashSet<string> NonDeterministic = new(StringComparer.Ordinal)
    {
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
    };

    /// <inheritdoc/>
    public string Name => "FoldConstants";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        var graphOutputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        Dictionary<string, List<Node>>? consumers = context.DeferLargeWeights ? GraphEdits.Consumers(graph) : null;
        bool changed = false;
        foreach (Node node in graph.Nodes.ToList())
        {
            if (!Foldable(graph, node, graphOutputs) || (consumers is not null && FullyConnectedWeight(graph, node, consumers)))
                continue;
            ReferenceKernel? kernel = ReferenceOps.Find(node.Domain, node.OpType, context.Opset(node.Domain));
            if (kernel is null)
                continue;
            var inputs = node.Inputs.Select(i => i.Length == 0 ? null : (Value)graph.Initializers[i]).ToList();
            Value?[] outputs;
            try
            {
                // The cap stops a fold from allocating what a hostile model asks for before the size check below.
                using Execution.RunLimits.Scope cap = Execution.RunLimits.Enter(context.MaxFoldedElements);
                outputs = kernel(new OpContext(node, context.Opset(node.Domain), inputs));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Leave the error to execution time, where the executor names the node (and wraps what a kernel
                // throws in a KernoModelException): creating a session must not fail with another exception type.
                continue;
            }
            if (outputs.Length < node.Outputs.Count(o => o.Length > 0)
                || outputs.Take(node.Outputs.Count).Any(o => o is not null and not Tensor)
                || outputs.OfType<Tensor>().Any(t => t.Length > context.MaxFoldedElements))
                continue;
            for (int i = 0; i < node.Outputs.Count; ++i)
                if (node.Outputs[i].Length > 0 && outputs[i] is Tensor t)
                    graph.Initializers[node.Outputs[i]] = t;
            graph.Nodes.Remove(node);
            changed = true;
        }
        return changed;
    }

    private static bool Foldable(ComputeGraph graph, Node node, HashSet<string> graphOutputs) =>
        !NonDeterministic.Contains(node.OpType)
        && node.Attributes.Values.All(a => a.Graph is null && a.Graphs is null)
        && node.Inputs.All(i => i.Length == 0 || GraphEdits.IsConstant(graph, i))
        && node.Outputs.All(o => !graphOutputs.Contains(o))
        && !(node.OpType == "ConstantOfShape" && TooLarge(graph, node));

    // ConstantOfShape allocates what its shape input says: check before evaluating.
    private static bool TooLarge(ComputeGraph graph, Node node) => Elements(graph, node) > (64L << 20);

    /// <summary>The elements a ConstantOfShape makes (past 64M: some larger count), 0 without a shape input.</summary>
    private static long Elements(ComputeGraph graph, Node node)
    {
        if (node.Inputs.Count == 0 || node.Inputs[0].Length == 0)
            return 0;
        long n = 1;
        foreach (long d in graph.Initializers[node.Inputs[0]].ToInt64Array())
        {
            if (d < 0 || (n = n * Math.Max(d, 1)) > (64L << 20))
                return long.MaxValue;
        }
        return n;
    }

    /// <summary>
    /// A ConstantOfShape of over 1M elements read only as the B of Gemm / MatMul nodes, fused or not (fully-connected weights): left to
    /// the native executor (<see cref="OptimizerContext.DeferLargeWeights"/>), which folds it just before the reader packs it.
    /// </summary>
    private static bool FullyConnectedWeight(ComputeGraph graph, Node node, Dictionary<string, List<Node>> consumers) =>
        node.OpType == "ConstantOfShape" && node.Domain.Length == 0 && node.Outputs.Count == 1 && Elements(graph, node) > (1L << 20)
        && consumers.TryGetValue(node.Outputs[0], out List<Node>? readers)
        && readers.All(r => ((r.Domain.Length == 0 && r.OpType is "Gemm" or "MatMul") || (r.Domain == FusedOps.Domain && r.OpType is "FusedGemm" or "FusedMatMul"))
            && r.Inputs.Count > 1
            && r.Inputs[1] == node.Outputs[0] && r.Inputs[0] != node.Outputs[0] && r.Inputs.Skip(2).All(i => i != node.Outputs[0]));
}
