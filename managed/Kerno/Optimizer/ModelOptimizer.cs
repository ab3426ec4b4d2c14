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
        => Optimize(model, level, passes, null, null);

    /// <summary>
    /// As above; when initializers were also graph inputs (IR &lt; 4 models list every weight as an input), shapes are
    /// inferred again on the copy, where they are constants, so the passes (and the native planner) see the shapes
    /// that depend on them.
    /// </summary>
    internal static Model Optimize(Model model, OptimizationLevel level, IReadOnlyList<IGraphPass>? passes,
        IReadOnlyDictionary<string, long>? freeDimensions, Onnx.ModelLimits? limits)
    {
        if (level == OptimizationLevel.None && passes is null)
            return model;
        Model copy = CloneMainGraph(model);
        ComputeGraph graph = copy.Graph;
        if (graph.Inputs.RemoveAll(i => graph.Initializers.ContainsKey(i.Name)) > 0)
            using (Execution.CreationTimings.Measure("optimize: shape inference on the copy"))
                Graph.ShapeInference.ShapeInferencer.Infer(copy, freeDimensions, limits);
        if (passes is null)
            GraphOptimizer.Run(copy, level);
        else
        {
            copy.OpsetImports.TryAdd(Passes.FusedOps.Domain, 1);
            GraphOptimizer.Run(graph, new OptimizerContext(copy.OpsetImports), passes);
        }
        return copy;
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
