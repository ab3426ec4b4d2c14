using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// Conv followed by Mul / Add / Sub with a float constant that is a scalar or one value per output channel becomes
/// one Conv with scaled weights and a shifted bias: conv(x)*s + t = conv'(x) with W'[k] = W[k]*s[k], B'[k] = B[k]*s[k] + t[k].
/// PP-LCNetV3 (PP-OCRv4's backbone) follows every convolution with such a learnable scale and shift, so this
/// removes two passes over each feature map. Only when the Conv output feeds nothing else.
/// </summary>
public sealed class FoldScaleShiftIntoConv : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "FoldScaleShiftIntoConv";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        // The consumer map is rebuilt only after an edit: rebuilding it for every candidate made the pass quadratic.
        Dictionary<string, List<Node>>? consumers = null;
        HashSet<string> pinned = GraphEdits.PinnedNames(graph);
        foreach (Node conv in graph.Nodes.ToList())
        {
            if (conv.OpType != "Conv" || conv.Domain.Length != 0 || conv.Inputs.Count < 2 || conv.Outputs.Count != 1
                || GraphEdits.Constant(graph, conv.Inputs[1]) is not Tensor<float> w || w.Rank < 3 || w.Dims[0] == 0)
                continue;
            bool hasBias = conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0;
            Tensor<float>? b = hasBias ? GraphEdits.Constant(graph, conv.Inputs[2]) as Tensor<float> : null;
            int k = w.Dims[0];
            if (hasBias && (b is null || b.Length != k))
                continue;
            float[]? scale = null, shift = null;
            consumers ??= GraphEdits.Consumers(graph);
            var removed = new List<Node>();
            string output = conv.Outputs[0];
            // A chain such as Mul(s) then Add(t) folds as a whole.
            while (GraphEdits.SoleConsumer(output, consumers, pinned) is { } op && op.Domain.Length == 0 && op.Inputs.Count == 2
                && op.OpType is "Mul" or "Add" or "Sub" && op.Inputs[0] != op.Inputs[1] && (op.OpType != "Sub" || op.Inputs[0] == output))
            {
                string other = op.Inputs[0] == output ? op.Inputs[1] : op.Inputs[0];
                if (PerChannel(GraphEdits.Constant(graph, other), k, w.Rank) is not { } c)
                    break;
                scale ??= Enumerable.Repeat(1f, k).ToArray();
                shift ??= Enumerable.Range(0, k).Select(i => b?[i] ?? 0f).ToArray();
                for (int i = 0; i < k; ++i)
                {
                    float v = c.Length == 1 ? c[0] : c[i];
                    switch (op.OpType)
                    {
                        case "Mul": scale[i] *= v; shift[i] *= v; break;
                        case "Add": shift[i] += v; break;
                        default: shift[i] -= v; break;
                    }
                }
                removed.Add(op);
                output = op.Outputs[0];
            }
            if (removed.Count == 0)
                continue;
            var newW = w.Clone();
            int perFilter = w.Length / k;
            for (int o = 0; o < k; ++o)
                foreach (ref float v in newW.Span.Slice(o * perFilter, perFilter))
                    v *= scale![o];
            string wName = GraphEdits.FreshName(graph, conv.Inputs[1] + "_scaled");
            graph.Initializers[wName] = newW;
            string bName = GraphEdits.FreshName(graph, output + "_bias");
            graph.Initializers[bName] = new Tensor<float>(shift!, [k]);
            conv.Inputs[1] = wName;
            if (conv.Inputs.Count > 2) conv.Inputs[2] = bName; else conv.Inputs.Add(bName);
            conv.Outputs[0] = output;
            foreach (Node n in removed)
                graph.Nodes.Remove(n);
            consumers = null;
            changed = true;
        }
        return changed;
    }

    /// <summary>
    /// <paramref name="c"/> when it is a finite float scalar or one value per channel laid out to broadcast along axis 1
    /// of a rank-<paramref name="rank"/> output (shape [k,1,1] or [1,k,1,1]) without changing its shape; else null.
    /// </summary>
    private static Tensor<float>? PerChannel(Tensor? c, int k, int rank)
    {
        if (c is not Tensor<float> t || t.Rank > rank || (t.Length != 1 && t.Length != k))
            return null;
        foreach (float v in t.Span)
            if (!float.IsFinite(v))
                return null;
        ReadOnlySpan<int> s = t.Shape;
        for (int i = 0; i < s.Length; ++i)
        {
            int axis = rank - s.Length + i; // the output axis this dimension lines up with
            if (s[i] != 1 && !(axis == 1 && s[i] == k))
                return null;
        }
        return t;
    }
}
