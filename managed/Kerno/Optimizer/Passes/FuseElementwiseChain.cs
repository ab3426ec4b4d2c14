using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// A chain of float element-wise nodes (Add -> Relu, Mul -> Add -> Sigmoid, x * Sigmoid(x), ...) that no producer took
/// into its epilogue becomes one kerno.ElementwiseChain node, so the tensor is read and written once instead of once per
/// node. Each intermediate result must have a single consumer and not be a graph output; every node keeps the chain's
/// shape (the chained tensor never broadcasts); a node's other operand is a float constant that broadcasts onto the
/// chain (scalar, per-channel, full), the chain's own input, or the one full-shape tensor input the chain may read.
/// Shapes come from shape inference: unknown shapes do not fuse.
/// </summary>
/// <remarks>
/// The fused node's inputs are the chain input followed by the other operands; its program is four attributes of one
/// entry per original node: <c>ops</c> (ONNX op names), <c>operands</c> (input index of the other operand, -1 for
/// unary ops), <c>swapped</c> (1 when the chained value is the right operand) and <c>params</c> (two floats per op:
/// LeakyRelu alpha, HardSigmoid alpha and beta, Clip min and max).
/// </remarks>
public sealed class FuseElementwiseChain : IGraphPass
{
    /// <summary>Name of the fused operator.</summary>
    public const string OpType = "ElementwiseChain";

    private static readonly HashSet<string> BinaryOps = ["Add", "Sub", "Mul", "Div", "Max", "Min"];
    private static readonly HashSet<string> UnaryOps = ["Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Exp", "Neg", "Abs", "Sqrt"];

    /// <inheritdoc/>
    public string Name => "FuseElementwiseChain";

    /// <summary>One original node of a chain: the op, its other operand (null for unary ops), the side of the chained value, two parameters.</summary>
    internal readonly record struct Step(string Op, string? Operand, bool Swapped, float P0, float P1);

    /// <inheritdoc/>
    public bool Apply(ComputeGraph graph, OptimizerContext context)
    {
        bool changed = false;
        // The consumer map is rebuilt only after an edit, and fused nodes are remembered rather than searched for in the
        // node list: both per candidate made the pass quadratic.
        Dictionary<string, List<Node>>? consumers = null;
        HashSet<string> pinned = GraphEdits.PinnedNames(graph);
        var gone = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        foreach (Node head in graph.Nodes.ToList())
        {
            if (gone.Contains(head) || HeadInput(graph, head) is not { } x)
                continue;
            consumers ??= GraphEdits.Consumers(graph);
            long[] shape = KnownFloatShape(graph, x)!;
            var nodes = new List<Node>();
            var steps = new List<Step>();
            string? extra = null;
            Node? n = head;
            string value = x;
            while (n is not null && Classify(graph, context, n, value, x, shape, ref extra) is { } step)
            {
                nodes.Add(n);
                steps.Add(step);
                value = n.Outputs[0];
                n = GraphEdits.SoleConsumer(value, consumers, pinned);
            }
            if (steps.Count < 2)
                continue;
            var inputs = new List<string> { x };
            foreach (Step s in steps)
                if (s.Operand is { } o && !inputs.Contains(o))
                    inputs.Add(o);
            var attributes = new[]
            {
                new AttributeValue { Name = "ops", Kind = AttributeKind.Strings, Strings = steps.Select(s => s.Op).ToArray() },
                new AttributeValue { Name = "operands", Kind = AttributeKind.Ints, Ints = steps.Select(s => s.Operand is null ? -1L : inputs.IndexOf(s.Operand)).ToArray() },
                new AttributeValue { Name = "swapped", Kind = AttributeKind.Ints, Ints = steps.Select(s => s.Swapped ? 1L : 0L).ToArray() },
                new AttributeValue { Name = "params", Kind = AttributeKind.Floats, Floats = steps.SelectMany(s => new[] { s.P0, s.P1 }).ToArray() },
            };
            // The last node's place: every operand (a tensor input may be computed after the head) exists there.
            Node last = nodes[^1];
            var fused = new Node(head.Name, OpType, FusedOps.Domain, inputs, [last.Outputs[0]], attributes) { Index = head.Index };
            graph.Nodes[graph.Nodes.IndexOf(last)] = fused;
            foreach (Node done in nodes.Take(nodes.Count - 1))
                graph.Nodes.Remove(done);
            gone.UnionWith(nodes);
            consumers = null;
            changed = true;
        }
        return changed;
    }

    /// <summary>The program of a fused node, read back from its attributes (null when they do not describe one).</summary>
    internal static Step[]? Program(Node node)
    {
        string[]? ops = node.GetStrings("ops");
        long[]? operands = node.GetInts("operands"), swapped = node.GetInts("swapped");
        float[]? p = node.GetFloats("params");
        if (ops is null || operands is null || swapped is null || p is null || operands.Length != ops.Length || swapped.Length != ops.Length || p.Length != 2 * ops.Length)
            return null;
        var steps = new Step[ops.Length];
        for (int i = 0; i < ops.Length; ++i)
        {
            bool binary = BinaryOps.Contains(ops[i]);
            if (!binary && !UnaryOps.Contains(ops[i]) || binary != (operands[i] >= 0) || operands[i] >= node.Inputs.Count)
                return null;
            steps[i] = new Step(ops[i], binary ? node.Inputs[(int)operands[i]] : null, swapped[i] != 0, p[2 * i], p[2 * i + 1]);
        }
        return steps;
    }

    /// <summary>The input a chain starting at <paramref name="head"/> runs along, or null when the node cannot start one.</summary>
    private static string? HeadInput(ComputeGraph graph, Node head)
    {
        if (head.Domain.Length != 0 || head.Outputs.Count != 1 || head.Inputs.Count == 0)
            return null;
        if (KnownFloatShape(graph, head.Outputs[0]) is not { } outShape)
            return null;
        foreach (string candidate in BinaryOps.Contains(head.OpType) ? head.Inputs : head.Inputs.Take(1))
            if (candidate.Length > 0 && !GraphEdits.IsConstant(graph, candidate) && KnownFloatShape(graph, candidate) is { } s && s.SequenceEqual(outShape))
                return candidate;
        return null;
    }

    /// <summary>The step <paramref name="n"/> adds to a chain whose current value is <paramref name="value"/>, or null when it does not chain.</summary>
    private static Step? Classify(ComputeGraph graph, OptimizerContext context, Node n, string value, string x, long[] shape, ref string? extra)
    {
        if (n.Domain.Length != 0 || n.Outputs.Count != 1 || n.Inputs.Count == 0
            || KnownFloatShape(graph, n.Outputs[0]) is not { } outShape || !outShape.SequenceEqual(shape))
            return null;
        if (UnaryOps.Contains(n.OpType))
        {
            if (n.Inputs[0] != value)
                return null;
            long opset = context.Opset("");
            switch (n.OpType)
            {
                case "Clip" when opset < 11:
                    return n.Inputs.Count == 1 ? new Step("Clip", null, false, n.GetFloat("min", float.MinValue), n.GetFloat("max", float.MaxValue)) : null;
                case "Clip":
                {
                    float? lo = Bound(graph, n, 1, float.MinValue), hi = Bound(graph, n, 2, float.MaxValue);
                    return lo is null || hi is null || n.Inputs.Count > 3 ? null : new Step("Clip", null, false, lo.Value, hi.Value);
                }
                case "LeakyRelu":
                    return n.Inputs.Count == 1 ? new Step(n.OpType, null, false, n.GetFloat("alpha", 0.01f), 0) : null;
                case "HardSigmoid":
                    return n.Inputs.Count == 1 ? new Step(n.OpType, null, false, n.GetFloat("alpha", 0.2f), n.GetFloat("beta", 0.5f)) : null;
                default:
                    return n.Inputs.Count == 1 && n.Attributes.Count == 0 ? new Step(n.OpType, null, false, 0, 0) : null;
            }
        }
        if (!BinaryOps.Contains(n.OpType) || n.Inputs.Count != 2 || n.Inputs[0] == n.Inputs[1] && n.Inputs[0] != x || !n.Inputs.Contains(value))
            return null;
        bool swapped = n.Inputs[0] != value;
        string other = swapped ? n.Inputs[0] : n.Inputs[1];
        if (GraphEdits.Constant(graph, other) is { } c)
        {
            // A float constant that broadcasts onto the chain without growing it.
            if (c is not Tensor<float> || c.Rank > shape.Length)
                return null;
            for (int i = 0; i < c.Rank; ++i)
                if (c.Shape[i] != 1 && c.Shape[i] != shape[shape.Length - c.Rank + i])
                    return null;
            return new Step(n.OpType, other, swapped, 0, 0);
        }
        if (KnownFloatShape(graph, other) is not { } otherShape || !otherShape.SequenceEqual(shape))
            return null;
        if (other != x)
        {
            if (extra is not null && extra != other)
                return null; // at most one full-shape tensor besides the chain input
            extra = other;
        }
        return new Step(n.OpType, other, swapped, 0, 0);
    }

    private static float? Bound(ComputeGraph graph, Node clip, int input, float absent)
    {
        if (clip.Inputs.Count <= input || clip.Inputs[input].Length == 0)
            return absent;
        return GraphEdits.Constant(graph, clip.Inputs[input]) is Tensor<float> { Length: 1 } t ? t[0] : null;
    }

    /// <summary>The fully known shape of a float value, or null.</summary>
    private static long[]? KnownFloatShape(ComputeGraph graph, string name)
    {
        if (GraphEdits.Constant(graph, name) is { } c)
            return c is Tensor<float> ? c.Shape.ToArray().Select(d => (long)d).ToArray() : null;
        return graph.ValueTypes.GetValueOrDefault(name) is TensorTypeInfo { IsFullyKnown: true, ElementType: DataType.Float } t
            ? t.Shape!.Select(d => d.Value!.Value).ToArray() : null;
    }
}
