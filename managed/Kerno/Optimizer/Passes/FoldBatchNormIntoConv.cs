using System.Numerics;
using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// Conv followed by inference BatchNormalization becomes one Conv with scaled weights and a new bias:
/// W'[k] = W[k] * s[k], B'[k] = (B[k] - mean[k]) * s[k] + beta[k], s = gamma / sqrt(var + eps).
/// Only when the Conv output feeds nothing else and every parameter is a float constant.
/// </summary>
public sealed class FoldBatchNormIntoConv : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "FoldBatchNormIntoConv";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        // Built once: a fold renames the Conv's output to the BatchNorm's and drops the BatchNorm, which changes no other
        // Conv's consumers (rebuilding the map for every Conv made the pass quadratic).
        Dictionary<string, List<Node>> consumers = GraphEdits.Consumers(graph);
        HashSet<string> pinned = GraphEdits.PinnedNames(graph);
        foreach (Node conv in graph.Nodes.ToList())
        {
            if (conv.OpType != "Conv" || conv.Domain.Length != 0 || conv.Inputs.Count < 2)
                continue;
            Node? bn = GraphEdits.SoleConsumer(conv.Outputs[0], consumers, pinned);
            if (bn is null || bn.OpType != "BatchNormalization" || bn.Domain.Length != 0 || bn.Inputs.Count < 5
                || bn.Outputs.Skip(1).Any(o => o.Length > 0) || bn.GetInt("training_mode", 0) != 0)
                continue;
            if (GraphEdits.Constant(graph, conv.Inputs[1]) is not Tensor<float> w || w.Rank < 3)
                continue;
            Tensor<float>? b = conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0
                ? GraphEdits.Constant(graph, conv.Inputs[2]) as Tensor<float> : null;
            if (conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0 && b is null)
                continue;
            var p = bn.Inputs.Skip(1).Take(4).Select(n => GraphEdits.Constant(graph, n) as Tensor<float>).ToArray();
            int k = w.Dims[0];
            if (p.Any(t => t is null || t.Length != k) || (b is not null && b.Length != k))
                continue;
            float eps = bn.GetFloat("epsilon", 1e-5f);
            Tensor<float> gamma = p[0]!, beta = p[1]!, mean = p[2]!, variance = p[3]!;

            // Scaled in place when the weight is this copy's own (one the optimizer folded, e.g. the light models'
            // ConstantOfShape weights), else written in one pass into uninitialized memory: ResNet-50's weights are 100 MB.
            bool inPlace = context.MayOverwrite(graph, conv.Inputs[1], consumers, pinned);
            var newW = inPlace ? w : new Tensor<float>(GC.AllocateUninitializedArray<float>(w.Length).AsMemory(), w.Shape);
            var newB = new Tensor<float>([k]);
            int perFilter = w.Length / k;
            for (int o = 0; o < k; ++o)
            {
                double s = gamma[o] / Math.Sqrt((double)variance[o] + eps);
                Scale(w.Span.Slice(o * perFilter, perFilter), s, newW.Span.Slice(o * perFilter, perFilter));
                newB[o] = (float)(((b?[o] ?? 0f) - (double)mean[o]) * s + beta[o]);
            }
            if (inPlace)
                graph.Initializers.Remove(conv.Inputs[1]); // its values changed: only the new name may refer to them
            string wName = GraphEdits.FreshName(graph, conv.Inputs[1] + "_bnfolded");
            graph.Initializers[wName] = newW;
            string bName = GraphEdits.FreshName(graph, bn.Outputs[0] + "_bias");
            graph.Initializers[bName] = newB;
            conv.Inputs[1] = wName;
            if (conv.Inputs.Count > 2) conv.Inputs[2] = bName; else conv.Inputs.Add(bName);
            conv.Outputs[0] = bn.Outputs[0];
            graph.Nodes.Remove(bn);
            changed = true;
        }
        return changed;
    }

    /// <summary>to[i] = (float)(from[i] * s), the product in double: vector widening and narrowing round exactly as the scalar casts.</summary>
    private static void Scale(ReadOnlySpan<float> from, double s, Span<float> to)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vs = new Vector<double>(s);
            for (; i + Vector<float>.Count <= from.Length; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(from[i..]), out Vector<double> lo, out Vector<double> hi);
                Vector.Narrow(lo * vs, hi * vs).CopyTo(to[i..]);
            }
        }
        for (; i < from.Length; ++i)
            to[i] = (float)(from[i] * s);
    }
}
