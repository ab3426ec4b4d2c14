using Kerno.Graph;
using Kerno.Optimizer.Passes;

namespace Kerno.Optimizer;

/// <summary>Runs the pass list of an optimization level over a graph until nothing changes.</summary>
public static class GraphOptimizer
{
    /// <summary>The passes of a level, in the order they run.</summary>
    public static IReadOnlyList<IGraphPass> PassesFor(OptimizationLevel level)
    {
        var passes = new List<IGraphPass>();
        if (level >= OptimizationLevel.Basic)
        {
            passes.Add(new FoldKnownShapes());
            passes.Add(new FoldConstants());
            passes.Add(new EliminateIdentity());
            passes.Add(new EliminateDeadNodes());
        }
        if (level >= OptimizationLevel.Extended)
        {
            passes.Add(new CancelTransposes());
            passes.Add(new FoldBatchNormIntoConv());
            passes.Add(new FoldScaleShiftIntoConv());
            passes.Add(new FoldScaleShiftIntoNextConv());
            passes.Add(new FuseMatMulBias());
            passes.Add(new FuseResidualAdd());
            passes.Add(new FuseHardSwishPattern());
            passes.Add(new FuseSwishPattern());
            passes.Add(new FuseActivation());
            passes.Add(new FuseScaleShiftToBatchNorm());
            passes.Add(new FuseLayerNormPattern());
            passes.Add(new EliminateDeadNodes());
        }
        if (level >= OptimizationLevel.All)
        {
            passes.Add(new FuseElementwiseChain()); // after every producer took the activations it can
            passes.Add(new AssignBlockedLayout()); // last: on the graph the kernels will run (native backend only)
        }
        return passes;
    }

    /// <summary>Applies <paramref name="passes"/> repeatedly (at most a few rounds) until none changes the graph.</summary>
    public static void Run(ComputeGraph graph, OptimizerContext context, IReadOnlyList<IGraphPass> passes)
    {
        for (int round = 0; round < 4; ++round)
        {
            bool changed = false;
            foreach (IGraphPass pass in passes)
                using (Execution.CreationTimings.Measure("optimize: " + pass.Name))
                    changed |= pass.Apply(graph, context);
            if (!changed)
                return;
        }
    }

    /// <summary>Optimizes a model's main graph at <paramref name="level"/>; <paramref name="nchwcBlock"/> &gt; 1 lets
    /// <see cref="AssignBlockedLayout"/> keep tensors blocked for the native kernels.</summary>
    public static void Run(Model model, OptimizationLevel level, int nchwcBlock = 0)
    {
        if (level >= OptimizationLevel.Extended)
            model.OpsetImports.TryAdd(FusedOps.Domain, 1); // fused nodes live in Kerno's own domain
        Run(model.Graph, new OptimizerContext(model.OpsetImports) { NchwcBlock = nchwcBlock }, PassesFor(level));
    }
}
