using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// Shape and Size of a value whose inferred shape is fully known become constants, so the shape arithmetic
/// models do at run time (Shape -> Gather -> Concat -> Reshape) folds away with <see cref="FoldConstants"/>.
/// </summary>
public sealed class FoldKnownShapes : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "FoldKnownShapes";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        var graphOutputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        bool changed = false;
        foreach (Node node in graph.Nodes.ToList())
        {
            if (node.Domain.Length != 0 || node.OpType is not ("Shape" or "Size") || node.Inputs.Count != 1
                || node.Outputs.Count != 1 || graphOutputs.Contains(node.Outputs[0]))
                continue;
            if (graph.ValueTypes.GetValueOrDefault(node.Inputs[0]) is not TensorTypeInfo { IsFullyKnown: true } type)
                continue;
            long[] dims = type.Shape!.Select(d => d.Value!.Value).ToArray();
            Tensor value;
            if (node.OpType == "Size")
                value = Tensor.Scalar(dims.Aggregate(1L, (a, d) => a * d));
            else
            {
                int rank = dims.Length;
                int start = Clamp(node.GetInt("start", 0), rank), end = Clamp(node.GetInt("end", rank), rank);
                value = Tensor.Vector(dims[start..Math.Max(start, end)]);
            }
            graph.Initializers[node.Outputs[0]] = value;
            graph.Nodes.Remove(node);
            changed = true;
        }
        return changed;
    }

    // Shape-15's start/end: negative counts from the back, then clamp to [0, rank].
    private static int Clamp(long axis, int rank) => (int)Math.Clamp(axis < 0 ? axis + rank : axis, 0, rank);
}
