using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// A scalar scale and shift that no convolution could absorb, Add(Mul(x, s), t) on an NCHW float tensor with a known
/// channel count, becomes BatchNormalization(x, scale = s, bias = t, mean = 0, var = 1, epsilon = 0): the same
/// x * s + t in one pass instead of two (PP-LCNetV3's affine after HardSwish before a padded depthwise conv).
/// Opset 9+ only (BatchNormalization without the older spatial / is_test variants).
/// </summary>
public sealed class FuseScaleShiftToBatchNorm : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "FuseScaleShiftToBatchNorm";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        if (context.Opset("") < 9)
            return false;
        bool changed = false;
        foreach (Node mul in graph.Nodes.ToList())
        {
            if (mul.OpType != "Mul" || mul.Domain.Length != 0 || mul.Inputs.Count != 2 || mul.Outputs.Count != 1)
                continue;
            int c = FuseHardSwishPattern.Scalar(graph, mul.Inputs[1]) is not null ? 1 : FuseHardSwishPattern.Scalar(graph, mul.Inputs[0]) is not null ? 0 : -1;
            if (c < 0)
                continue;
            string x = mul.Inputs[1 - c];
            if (Channels(graph, x) is not { } channels)
                continue;
            var consumers = GraphEdits.Consumers(graph);
            Node? add = GraphEdits.SoleConsumer(mul.Outputs[0], consumers, GraphEdits.PinnedNames(graph));
            if (add is null || add.OpType != "Add" || add.Domain.Length != 0 || add.Inputs.Count != 2 || add.Inputs[0] == add.Inputs[1])
                continue;
            float? t = FuseHardSwishPattern.Scalar(graph, add.Inputs[0] == mul.Outputs[0] ? add.Inputs[1] : add.Inputs[0]);
            float s = FuseHardSwishPattern.Scalar(graph, mul.Inputs[c])!.Value;
            if (t is not { } shift || !float.IsFinite(s) || !float.IsFinite(shift))
                continue;
            int k = (int)channels;
            string Vector(string stem, float v)
            {
                string name = GraphEdits.FreshName(graph, add.Outputs[0] + stem);
                graph.Initializers[name] = new Tensor<float>(Enumerable.Repeat(v, k).ToArray(), [k]);
                return name;
            }
            var inputs = new List<string> { x, Vector("_scale", s), Vector("_shift", shift), Vector("_zero", 0), Vector("_one", 1) };
            var bn = new Node(mul.Name, "BatchNormalization", "", inputs, [add.Outputs[0]],
                [new AttributeValue { Name = "epsilon", Kind = AttributeKind.Float, Float = 0 }]) { Index = mul.Index };
            graph.Nodes[graph.Nodes.IndexOf(mul)] = bn;
            graph.Nodes.Remove(add);
            changed = true;
        }
        return changed;
    }

    /// <summary>
    /// The channel count of float NCHW value <paramref name="x"/>: from its inferred shape, or from the weights of the
    /// convolution producing it (shape inference cannot always see through large Constant-node weights).
    /// </summary>
    private static int? Channels(ComputeGraph graph, string x)
    {
        if (graph.ValueTypes.GetValueOrDefault(x) is TensorTypeInfo { ElementType: DataType.Float, Shape: { Count: >= 3 } shape }
            && shape[1].Value is { } known && known > 0 && known <= 1 << 20)
            return (int)known;
        Node? producer = graph.Nodes.FirstOrDefault(n => n.Outputs.Contains(x));
        if (producer is not null && producer.OpType is "Conv" or "FusedConv" && producer.Domain is "" or FusedOps.Domain && producer.Inputs.Count > 1
            && GraphEdits.Constant(graph, producer.Inputs[1]) is Tensor<float> { Rank: 4 } w && w.Dims[0] > 0)
            return w.Dims[0];
        return null;
    }
}
