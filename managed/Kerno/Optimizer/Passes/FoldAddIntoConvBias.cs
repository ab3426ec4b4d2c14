using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// Conv followed by Add of a per-channel float constant (shape [K,1,...,1], [1,K,1,...,1] or one element: how
/// older exporters such as CNTK's write the bias) becomes one Conv whose bias is the sum, so the bias is added
/// on the convolution's store and activation fusion can then see Conv + Relu. Only when the Conv output feeds
/// nothing else and the constant does not broadcast the output to a higher rank.
/// </summary>
public sealed class FoldAddIntoConvBias : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "FoldAddIntoConvBias";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        foreach (Node conv in graph.Nodes.ToList())
        {
            if (conv.OpType != "Conv" || conv.Domain.Length != 0 || conv.Inputs.Count < 2 || conv.Outputs.Count != 1)
                continue;
            if (GraphEdits.Constant(graph, conv.Inputs[1]) is not Tensor<float> w || w.Rank < 3)
                continue;
            var consumers = GraphEdits.Consumers(graph);
            Node? add = GraphEdits.SoleConsumer(conv.Outputs[0], consumers, GraphEdits.PinnedNames(graph));
            if (add is null || add.OpType != "Add" || add.Domain.Length != 0 || add.Inputs.Count != 2 || add.Inputs[0] == add.Inputs[1])
                continue;
            string addend = add.Inputs[0] == conv.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
            int k = w.Dims[0];
            if (GraphEdits.Constant(graph, addend) is not Tensor<float> c || !PerChannel(c, k, w.Rank))
                continue;
            Tensor<float>? b = conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0 ? GraphEdits.Constant(graph, conv.Inputs[2]) as Tensor<float> : null;
            if (conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0 && (b is null || b.Length != k))
                continue;
            var bias = new Tensor<float>([k]);
            for (int o = 0; o < k; ++o)
                bias[o] = (b?[o] ?? 0f) + c[c.Length == 1 ? 0 : o];
            string name = GraphEdits.FreshName(graph, add.Outputs[0] + "_bias");
            graph.Initializers[name] = bias;
            if (conv.Inputs.Count > 2) conv.Inputs[2] = name; else conv.Inputs.Add(name);
            conv.Outputs[0] = add.Outputs[0];
            graph.Nodes.Remove(add);
            changed = true;
        }
        return changed;
    }

    /// <summary>True when <paramref name="c"/> adds one value per output channel (or one value to all) to an
    /// NCHW... output of rank <paramref name="rank"/> without changing its shape.</summary>
    private static bool PerChannel(Tensor<float> c, int k, int rank)
    {
        ReadOnlySpan<int> s = c.Shape;
        if (s.Length > rank)
            return false;
        if (c.Length == 1)
            return true;
        // right-aligned: output axis 1 (channels) is c's axis s.Length - (rank - 1); every other axis must be 1
        int channelAxis = s.Length - (rank - 1);
        for (int i = 0; i < s.Length; ++i)
            if (s[i] != (i == channelAxis ? k : 1))
                return false;
        return channelAxis >= 0 && c.Length == k;
    }
}
