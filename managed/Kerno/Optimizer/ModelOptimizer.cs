using Kerno.Graph;

namespace Kerno.Optimizer;

/// <summary>
/// Makes the optimized copy of a model a session runs. Initializers that are also graph inputs become plain
/// constants in the copy (so they fold, pack and fuse); a run that feeds one of them uses the original model.
/// The copy shares tensors and subgraphs with the original; passes never modify a tensor in place.
/// </summary>
public static class ModelOptimizer
{
    /// <summary>Returns the model to execute at <paramref name="level"/>: the original for None, else an optimized copy.</summary>
    public static Model Optimize(Model model, OptimizationLevel level, IReadOnlyList<IGraphPass>? passes = null)
        => Optimize(model, level, passes, null, null, deferLargeWeights: false);

    /// <summary>
    /// As above; when initializers were also graph inputs (IR &lt; 4 models list every weight as an input), shapes are
    /// inferred again on the copy, where they are constants, so the passes (and the native planner) see the shapes
    /// that depend on them.
    /// </summary>
    internal static Model Optimize(Model model, OptimizationLevel level, IReadOnlyList<IGraphPass>? passes,
        IReadOnlyDictionary<string, long>? freeDimensions, Onnx.ModelLimits? limits, int nchwcBlock = 0, bool deferLargeWeights = false)
    {
        if (level == OptimizationLevel.None && passes is null)
            return model;
        Model copy = CloneMainGraph(model);
        ComputeGraph graph = copy.Graph;
        if (graph.Inputs.RemoveAll(i => graph.Initializers.ContainsKey(i.Name)) > 0)
            using (Execution.CreationTimings.Measure("optimize: shape inference on the copy"))
                Graph.ShapeInference.ShapeInferencer.Infer(copy, freeDimensions, limits);
        if (passes is not null || level >= OptimizationLevel.Extended)
            copy.OpsetImports.TryAdd(Passes.FusedOps.Domain, 1); // fused nodes live in Kerno's own domain
        var context = new OptimizerContext(copy.OpsetImports)
        {
            NchwcBlock = nchwcBlock, SharedStorage = SharedStorage(model.Graph), DeferLargeWeights = deferLargeWeights,
        };
        GraphOptimizer.Run(graph, context, passes ?? GraphOptimizer.PassesFor(level));
        return copy;
    }

    /// <summary>The arrays the copy shares with the model as loaded: its initializers' and its nodes' tensor attributes'.</summary>
    private static HashSet<object> SharedStorage(ComputeGraph graph)
    {
        var shared = new HashSet<object>(ReferenceEqualityComparer.Instance);
        void Add(Tensor? t)
        {
            if (t is not null && OptimizerContext.Storage(t) is { } array)
                shared.Add(array);
        }
        foreach (Tensor t in graph.Initializers.Values)
            Add(t);
        foreach (Node n in graph.Nodes)
            foreach (AttributeValue a in n.Attributes.Values)
            {
                Add(a.Tensor);
                foreach (Tensor t in a.Tensors ?? [])
                    Add(t);
            }
        return shared;
    }

    private static Model CloneMainGraph(Model model)
    {
        ComputeGraph src = model.Graph;
        var graph = new ComputeGraph { Name = src.Name, Parent = src.Parent, DocString = src.DocString };
        foreach (Node n in src.Nodes)
            graph.Nodes.Add(new Node(n.Name, n.OpType, n.Domain, n.Inputs, n.Outputs, n.Attributes.Values) { Index = n.Index, DocString = n.DocString });
        graph.Inputs.AddRange(src.Inputs);
        graph.Outputs.AddRange(src.Outputs);
        foreach (var (name, tensor) in src.Initializers)
            graph.Initializers[name] = tensor;
        foreach (var (name, type) in src.ValueTypes)
            graph.ValueTypes[name] = type;
        var copy = new Model
        {
            Graph = graph,
            IrVersion = model.IrVersion,
            ProducerName = model.ProducerName,
            ProducerVersion = model.ProducerVersion,
            BaseDirectory = model.BaseDirectory,
        };
        foreach (var (domain, version) in model.OpsetImports)
            copy.OpsetImports[domain] = version;
        foreach (var (key, function) in model.Functions)
            copy.Functions[key] = function;
        foreach (var (key, value) in model.Metadata)
            copy.Metadata[key] = value;
        return copy;
    }
}
