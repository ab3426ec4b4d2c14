using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// MatMul(A, B) + bias, with B a constant [K,N] float matrix and bias a constant of N elements (any
/// leading 1s), becomes kerno.FusedMatMul(A, B, bias): one GEMM with the bias added on its store.
/// Works for any rank of A (transformer activations are 3-D), unlike ONNX Gemm.
/// </summary>
public sealed class FuseMatMulBias : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "FuseMatMulBias";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        foreach (Node mm in graph.Nodes.ToList())
        {
            if (mm.OpType != "MatMul" || mm.Domain.Length != 0 || mm.Inputs.Count != 2)
                continue;
            if (GraphEdits.Constant(graph, mm.Inputs[1]) is not Tensor<float> b || b.Rank != 2)
                continue;
            var consumers = GraphEdits.Consumers(graph);
            Node? add = GraphEdits.SoleConsumer(mm.Outputs[0], consumers, GraphEdits.PinnedNames(graph));
            if (add is null || add.OpType != "Add" || add.Domain.Length != 0 || add.Inputs.Count != 2)
                continue;
            string biasName = add.Inputs[0] == mm.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
            if (GraphEdits.Constant(graph, biasName) is not Tensor<float> bias || bias.Length != b.Dims[1]
                || bias.Shape[..^1].ToArray().Any(d => d != 1) || bias.Rank > 1 && !ProducesAtLeastRank(graph, mm, bias.Rank))
                continue;
            var fused = new Node(mm.Name, "FusedMatMul", FusedOps.Domain, [mm.Inputs[0], mm.Inputs[1], biasName], [add.Outputs[0]])
            {
                Index = mm.Index,
            };
            graph.Nodes[graph.Nodes.IndexOf(mm)] = fused;
            graph.Nodes.Remove(add);
            changed = true;
        }
        return changed;
    }

    // A bias of rank r broadcasts the MatMul output up to rank r: only fuse when the output already has that rank.
    private static bool ProducesAtLeastRank(ComputeGraph graph, Node mm, int rank) =>
        graph.ValueTypes.GetValueOrDefault(mm.Outputs[0]) is TensorTypeInfo { Rank: { } r } && r >= rank;
}
