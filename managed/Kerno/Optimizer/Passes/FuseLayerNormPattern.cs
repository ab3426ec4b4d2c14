using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// LayerNormalization over the last axis written out in primitive ops, as exporters write it before opset 17:
/// d = x - ReduceMean(x); y = d / Sqrt(ReduceMean(Pow(d, 2)) + eps) [* gamma] [+ beta] becomes one
/// kerno.LayerNormalization(x, gamma, beta) node (epsilon eps; gamma and beta optional, broadcast like the Mul and
/// Add they replace): one pass over each row instead of nine (PP-OCRv4's recognizer has five). Only when x is float,
/// gamma / beta are float vectors, and no intermediate value is read elsewhere.
/// </summary>
public sealed class FuseLayerNormPattern : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "FuseLayerNormPattern";

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        foreach (Node mean in graph.Nodes.ToList())
        {
            if (!graph.Nodes.Contains(mean) || !IsOp(mean, "ReduceMean") || mean.Inputs.Count == 0)
                continue;
            var consumers = GraphEdits.Consumers(graph);
            var pinned = GraphEdits.PinnedNames(graph);
            if (Match(graph, context, mean, consumers, pinned) is not { } match)
                continue;
            var (nodes, eps, gamma, beta) = match;
            var inputs = new List<string> { mean.Inputs[0], gamma ?? "" };
            if (beta is not null)
                inputs.Add(beta);
            var fused = new Node(mean.Name, "LayerNormalization", FusedOps.Domain, inputs, [nodes[^1].Outputs[0]],
                [new AttributeValue { Name = "epsilon", Kind = AttributeKind.Float, Float = eps }]) { Index = mean.Index };
            graph.Nodes[graph.Nodes.IndexOf(mean)] = fused;
            foreach (Node n in nodes.Skip(1))
                graph.Nodes.Remove(n);
            changed = true;
        }
        return changed;
    }

    private static bool IsOp(Node? n, string op) => n is not null && n.Domain.Length == 0 && n.OpType == op;

    /// <summary>The pattern's nodes from the first ReduceMean to the last node, epsilon, gamma and beta names (null when absent).</summary>
    private static (List<Node> Nodes, float Eps, string? Gamma, string? Beta)? Match(ComputeGraph graph, OptimizerContext context, Node mean,
        Dictionary<string, List<Node>> consumers, HashSet<string> pinned)
    {
        Node? Sole(Node n) => n.Outputs.Count == 1 ? GraphEdits.SoleConsumer(n.Outputs[0], consumers, pinned) : null;
        string x = mean.Inputs[0];
        if (graph.ValueTypes.GetValueOrDefault(x) is not TensorTypeInfo { ElementType: DataType.Float } type || type.Shape is { Count: 0 }
            || !LastAxisMean(graph, context, mean, type.Rank))
            return null;
        Node? sub = Sole(mean);
        if (!IsOp(sub, "Sub") || sub!.Inputs.Count != 2 || sub.Inputs[0] != x || sub.Inputs[1] != mean.Outputs[0])
            return null;
        string d = sub.Outputs[0];
        if (pinned.Contains(d) || !consumers.TryGetValue(d, out var readers) || readers.Count != 2)
            return null;
        Node? pow = readers.FirstOrDefault(r => IsOp(r, "Pow")), div = readers.FirstOrDefault(r => IsOp(r, "Div"));
        if (pow is null || div is null || pow.Inputs.Count != 2 || pow.Inputs[0] != d || FuseHardSwishPattern.Scalar(graph, pow.Inputs[1]) != 2f)
            return null;
        Node? variance = Sole(pow);
        if (!IsOp(variance, "ReduceMean") || variance!.Inputs[0] != pow.Outputs[0] || !LastAxisMean(graph, context, variance, type.Rank))
            return null;
        Node? add = Sole(variance);
        if (!IsOp(add, "Add") || add!.Inputs.Count != 2)
            return null;
        float? eps = FuseHardSwishPattern.Scalar(graph, add.Inputs[0] == variance.Outputs[0] ? add.Inputs[1] : add.Inputs[0]);
        Node? sqrt = Sole(add);
        if (eps is not { } e || !(e >= 0) || !IsOp(sqrt, "Sqrt") || Sole(sqrt!) != div || div.Inputs.Count != 2 || div.Inputs[0] != d || div.Inputs[1] != sqrt!.Outputs[0])
            return null;
        var nodes = new List<Node> { mean, sub, pow, variance, add, sqrt, div };
        string? gamma = null, beta = null;
        if (Sole(div) is { } mul && IsOp(mul, "Mul") && mul.Inputs.Count == 2 && Vector(graph, mul.Inputs[0] == div.Outputs[0] ? mul.Inputs[1] : mul.Inputs[0]) is { } g)
        {
            gamma = g;
            nodes.Add(mul);
        }
        if (Sole(nodes[^1]) is { } shift && IsOp(shift, "Add") && shift.Inputs.Count == 2
            && Vector(graph, shift.Inputs[0] == nodes[^1].Outputs[0] ? shift.Inputs[1] : shift.Inputs[0]) is { } b)
        {
            beta = b;
            nodes.Add(shift);
        }
        return (nodes, e, gamma, beta);
    }

    /// <summary>True when <paramref name="n"/> averages over the last axis only (-1, or rank - 1 when the rank is known), keeping it.</summary>
    private static bool LastAxisMean(ComputeGraph graph, OptimizerContext context, Node n, int? rank)
    {
        if (n.GetInt("keepdims", 1) != 1 || n.Outputs.Count != 1)
            return false;
        long[]? axes = context.Opset("") >= 18
            ? (n.Inputs.Count > 1 && n.Inputs[1].Length > 0 && GraphEdits.Constant(graph, n.Inputs[1]) is Tensor<long> t ? t.Span.ToArray() : null)
            : n.Inputs.Count == 1 ? n.GetInts("axes") : null;
        return axes is [var a] && (a == -1 || a == rank - 1);
    }

    /// <summary><paramref name="name"/> when it is a non-empty float constant of rank 1.</summary>
    private static string? Vector(ComputeGraph graph, string name) =>
        GraphEdits.Constant(graph, name) is Tensor<float> { Rank: 1, Length: > 0 } ? name : null;
}
