using Kerno.Onnx;
using Kerno.Reference;

namespace Kerno.Graph.ShapeInference;

/// <summary>
/// Best-effort static type and shape inference: fills <see cref="ComputeGraph.ValueTypes"/> for node outputs,
/// with symbolic dimensions kept as symbols (or fixed by free-dimension overrides). Rules cover the common
/// operator families; any node whose inputs are small known constants is evaluated with its reference kernel
/// instead, which is what resolves shape-computing subgraphs (Shape, Gather, Concat, ...) feeding Reshape.
/// A rule that cannot decide leaves the type unknown; only a fully known shape over
/// <see cref="ModelLimits.MaxTensorElements"/> is an error.
/// </summary>
public static class ShapeInferencer
{
    /// <summary>Largest constant (in elements) evaluated at load time: shape tensors are tiny, weights are not needed.</summary>
    private const int MaxFoldElements = 4096;

    private static readonly Dictionary<string, ShapeRule> Rules = BuildRules();

    private static Dictionary<string, ShapeRule> BuildRules()
    {
        var table = new Dictionary<string, ShapeRule>(StringComparer.Ordinal);
        ElementwiseRules.Register(table);
        LinearRules.Register(table);
        ShapeOpRules.Register(table);
        ReductionRules.Register(table);
        GeneratorRules.Register(table);
        UpsamplingRules.Register(table);
        return table;
    }

    /// <summary>Infers types for the main graph and its subgraphs.</summary>
    public static void Infer(Model model, IReadOnlyDictionary<string, long>? freeDimensions = null, ModelLimits? limits = null)
    {
        var run = new Run(model, freeDimensions ?? new Dictionary<string, long>(), limits ?? ModelLimits.Default);
        run.Graph(model.Graph, null);
    }

    /// <summary>Known types and constant values of one graph level, chained to the enclosing level.</summary>
    private sealed class Scope(ComputeGraph graph, Scope? parent)
    {
        public readonly Dictionary<string, Tensor> Constants = new(StringComparer.Ordinal);

        public TypeInfo? Type(string name) =>
            graph.ValueTypes.TryGetValue(name, out TypeInfo? t) ? t
            : graph.Initializers.TryGetValue(name, out Tensor? init) ? TypeOf(init)
            : parent?.Type(name);

        public Tensor? Constant(string name) =>
            Constants.TryGetValue(name, out Tensor? c) ? c : parent?.Constant(name);
    }

    private sealed class Run(Model model, IReadOnlyDictionary<string, long> free, ModelLimits limits)
    {
        public void Graph(ComputeGraph graph, Scope? parent)
        {
            var scope = new Scope(graph, parent);
            var inputNames = graph.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            foreach (ValueInfo input in graph.Inputs)
                if (InferenceSession.ApplyFreeDimensions(input.Type, free) is { } t)
                    graph.ValueTypes[input.Name] = t;
            // Initializers the caller may override (also graph inputs) are not constants.
            foreach ((string name, Tensor value) in graph.Initializers)
                if (!inputNames.Contains(name) && value.Length <= MaxFoldElements)
                    scope.Constants[name] = value;

            foreach (Node node in TopologicalSort.Sort(graph.Nodes))
            {
                Node(node, graph, scope);
                foreach (ComputeGraph sub in GraphScopes.Subgraphs(node))
                    Graph(sub, scope);
            }
        }

        private void Node(Node node, ComputeGraph graph, Scope scope)
        {
            long opset = model.Opset(node.Domain);
            var types = node.Inputs.Select(n => n.Length == 0 ? null : scope.Type(n)).ToArray();
            var constants = node.Inputs.Select(n => n.Length == 0 ? null : scope.Constant(n)).ToArray();
            var context = new InferenceContext(node, opset, types, constants);

            TypeInfo?[]? inferred = null;
            if (node.Domain.Length == 0 && Rules.TryGetValue(node.OpType, out ShapeRule? rule))
            {
                try
                {
                    inferred = rule(context);
                }
                catch (Exception e) when (e is ArgumentException or KernoModelException or InvalidOperationException or IndexOutOfRangeException or OverflowException or InvalidCastException)
                {
                    // Inference is advisory: the executor reports real shape errors with the actual values.
                    inferred = null;
                }
            }
            if (inferred is not null)
                CheckSize(node, inferred);

            Value?[]? folded = ShapeOf(node, types) ?? TryFold(node, opset, constants, inferred);
            // A Constant too large to fold here still has the type of its tensor (UltraFace's [4420, 2] priors).
            if (folded is null && node.OpType == "Constant" && node.Domain.Length == 0
                && node.Attributes.GetValueOrDefault("value") is { Kind: AttributeKind.Tensor, Tensor: { } value })
                inferred = [TypeOf(value)];
            for (int i = 0; i < node.Outputs.Count; ++i)
            {
                string name = node.Outputs[i];
                if (name.Length == 0)
                    continue;
                TypeInfo? type = folded is not null && i < folded.Length && folded[i] is Tensor ft ? TypeOf(ft)
                    : inferred is not null && i < inferred.Length ? inferred[i] : null;
                if (folded is not null && i < folded.Length && folded[i] is Tensor c)
                    scope.Constants[name] = c;
                if (type is not null)
                    graph.ValueTypes[name] = Merge(graph.ValueTypes.GetValueOrDefault(name), type);
            }
        }

        /// <summary>Shape and Size need only their input's shape, not its value: with a fully known shape they are constants.</summary>
        private static Value?[]? ShapeOf(Node node, TypeInfo?[] types)
        {
            if (node.Domain.Length != 0 || node.OpType is not ("Shape" or "Size") || types.Length == 0
                || types[0] is not TensorTypeInfo { IsFullyKnown: true } t)
                return null;
            long[] dims = t.Shape!.Select(d => d.Value!.Value).ToArray();
            if (node.OpType == "Size")
                return [Tensor.Scalar(dims.Aggregate(1L, (a, b) => a * b))];
            int rank = dims.Length;
            long Norm(long v) => System.Math.Clamp(v < 0 ? v + rank : v, 0, rank);
            long start = Norm(node.GetInt("start", 0)), end = Norm(node.GetInt("end", rank));
            return [Tensor.Vector(dims[(int)start..(int)System.Math.Max(start, end)])];
        }

        private void CheckSize(Node node, TypeInfo?[] types)
        {
            foreach (TypeInfo? t in types)
                if (t is TensorTypeInfo { IsFullyKnown: true } tt && Dims.SaturatingProduct(tt.Shape!) is var n && n > limits.MaxTensorElements)
                    throw new KernoModelException(node, $"output shape [{string.Join(",", tt.Shape!)}] has {(n == long.MaxValue ? "more than 2^63" : n)} elements, over the limit of {limits.MaxTensorElements} (MaxTensorElements)");
        }

        /// <summary>
        /// Evaluates a node whose inputs are all known constants, when its outputs are known to be small (or it is Constant).
        /// Random operators and nodes with subgraphs are never folded.
        /// </summary>
        private static Value?[]? TryFold(Node node, long opset, Tensor?[] constants, TypeInfo?[]? inferred)
        {
            bool isConstant = node.OpType == "Constant" && node.Domain.Length == 0;
            if (!isConstant)
            {
                if (node.Inputs.Count == 0 || GraphScopes.Subgraphs(node).Any() || node.OpType.Contains("Random", StringComparison.Ordinal)
                    || node.OpType is "Multinomial" or "Bernoulli" or "Dropout")
                    return null;
                for (int i = 0; i < node.Inputs.Count; ++i)
                    if (node.Inputs[i].Length > 0 && constants[i] is null)
                        return null;
                // Only when the rule proves every output small: folding must not allocate what a hostile model asks for.
                if (inferred is null || inferred.Length < node.Outputs.Count(o => o.Length > 0)
                    || inferred.Any(t => t is not TensorTypeInfo { IsFullyKnown: true } tt || Dims.SaturatingProduct(tt.Shape!) > MaxFoldElements))
                    return null;
            }
            ReferenceKernel? kernel = ReferenceOps.Find(node.Domain, node.OpType, opset);
            if (kernel is null)
                return null;
            try
            {
                using Execution.RunLimits.Scope cap = Execution.RunLimits.Enter(MaxFoldElements);
                Value?[] outputs = kernel(new OpContext(node, opset, constants));
                return outputs.All(o => o is null or Tensor { Length: <= MaxFoldElements }) ? outputs : null;
            }
            catch (Exception)
            {
                // A kernel that fails here fails at run time too, with the real inputs and a better message.
                return null;
            }
        }
    }

    private static TensorTypeInfo TypeOf(Tensor t) => new(t.DataType, Dims.Known(t.Shape.ToArray().Select(d => (long)d)));

    /// <summary>Combines a declared type with an inferred one, keeping the more specific information per dimension.</summary>
    private static TypeInfo Merge(TypeInfo? declared, TypeInfo inferred)
    {
        if (declared is not TensorTypeInfo d || inferred is not TensorTypeInfo i)
            return declared ?? inferred;
        DataType type = d.ElementType != DataType.Undefined ? d.ElementType : i.ElementType;
        if (d.Shape is null || i.Shape is null || d.Shape.Count != i.Shape.Count)
            return new TensorTypeInfo(type, d.Shape ?? i.Shape);
        return new TensorTypeInfo(type, d.Shape.Zip(i.Shape, (a, b) => a.IsKnown ? a : b.IsKnown ? b : a.Symbol is not null ? a : b).ToList());
    }
}
