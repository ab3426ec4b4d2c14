using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// A scalar scale and shift feeding an unpadded Conv, y = Conv(x * s + t), becomes one Conv on x with W' = W * s and
/// B'[k] = B[k] + t * sum(W[k]): PP-LCNetV3 applies such a learnable affine after each activation, and half of them
/// feed a 1x1 convolution. Padded convolutions are left alone (their zero padding would become t). Only when the
/// Mul / Add outputs feed nothing else.
/// </summary>
public sealed class FoldScaleShiftIntoNextConv : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "FoldScaleShiftIntoNextConv";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        // The maps are rebuilt only after an edit: rebuilding them for every candidate made the pass quadratic.
        Dictionary<string, Node>? producers = null;
        Dictionary<string, List<Node>>? consumers = null;
        HashSet<string> pinned = GraphEdits.PinnedNames(graph);
        foreach (Node conv in graph.Nodes.ToList())
        {
            if (conv.OpType != "Conv" || conv.Domain.Length != 0 || conv.Inputs.Count < 2 || !Unpadded(conv)
                || GraphEdits.Constant(graph, conv.Inputs[1]) is not Tensor<float> w || w.Rank < 3 || w.Dims[0] == 0)
                continue;
            bool hasBias = conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0;
            Tensor<float>? b = hasBias ? GraphEdits.Constant(graph, conv.Inputs[2]) as Tensor<float> : null;
            int k = w.Dims[0];
            if (hasBias && (b is null || b.Length != k))
                continue;
            producers ??= GraphEdits.Producers(graph);
            consumers ??= GraphEdits.Consumers(graph);
            // Walk back from the conv's input over Add / Sub / Mul by scalar constants: x -> (Mul s) -> (Add t) -> conv.
            float scale = 1, shift = 0;
            var removed = new List<Node>();
            string input = conv.Inputs[0];
            while (producers.TryGetValue(input, out Node? op) && op.Domain.Length == 0 && op.Inputs.Count == 2 && op.Outputs.Count == 1
                && op.OpType is "Mul" or "Add" or "Sub" && GraphEdits.SoleConsumer(input, consumers, pinned) == (removed.Count == 0 ? conv : removed[^1]))
            {
                int c = FuseHardSwishPattern.Scalar(graph, op.Inputs[1]) is not null ? 1 : FuseHardSwishPattern.Scalar(graph, op.Inputs[0]) is not null && op.OpType != "Sub" ? 0 : -1;
                if (c < 0 || op.Inputs[1 - c] == op.Inputs[c])
                    break;
                float v = FuseHardSwishPattern.Scalar(graph, op.Inputs[c])!.Value;
                if (!float.IsFinite(v))
                    break;
                // The ops seen so far compute (value * scale + shift) of this op's output; fold this op in front.
                switch (op.OpType)
                {
                    case "Mul": scale *= v; break;
                    case "Add": shift += scale * v; break;
                    default: shift -= scale * v; break;
                }
                removed.Add(op);
                input = op.Inputs[1 - c];
            }
            if (removed.Count == 0)
                continue;
            var newW = w.Clone();
            int perFilter = w.Length / k;
            var newB = new float[k];
            for (int o = 0; o < k; ++o)
            {
                Span<float> filter = newW.Span.Slice(o * perFilter, perFilter);
                double sum = 0;
                foreach (float f in filter)
                    sum += f;
                newB[o] = (float)((b?[o] ?? 0f) + shift * sum);
                foreach (ref float f in filter)
                    f *= scale;
            }
            string wName = GraphEdits.FreshName(graph, conv.Inputs[1] + "_inscaled");
            graph.Initializers[wName] = newW;
            string bName = GraphEdits.FreshName(graph, conv.Outputs[0] + "_inbias");
            graph.Initializers[bName] = new Tensor<float>(newB, [k]);
            conv.Inputs[0] = input;
            conv.Inputs[1] = wName;
            if (conv.Inputs.Count > 2) conv.Inputs[2] = bName; else conv.Inputs.Add(bName);
            foreach (Node n in removed)
                graph.Nodes.Remove(n);
            producers = null;
            consumers = null;
            changed = true;
        }
        return changed;
    }

    /// <summary>No padding: explicit pads all zero (or absent) and auto_pad NOTSET or VALID.</summary>
    private static bool Unpadded(Node conv) =>
        conv.GetString("auto_pad", "NOTSET") is "NOTSET" or "VALID" && (conv.GetInts("pads") ?? []).All(p => p == 0);
}
