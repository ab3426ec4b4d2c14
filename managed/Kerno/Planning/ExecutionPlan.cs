using System.Collections.Concurrent;
using Kerno.Execution;
using Kerno.Graph;

namespace Kerno.Planning;

/// <summary>
/// The steps of a session's main graph with kernels chosen and weights packed, and the numbering of its values.
/// Built once per session; <see cref="ExecutionPlan"/>s (one per distinct input-shape signature) add the memory
/// layout.
/// </summary>
internal sealed class CompiledGraph
{
    public required ComputeGraph Graph { get; init; }

    public required KernelStep[] Steps { get; init; }

    /// <summary>Value names by id.</summary>
    public required string[] ValueNames { get; init; }

    public required Dictionary<string, int> ValueIds { get; init; }

    /// <summary>Per value id: the constant every run starts with (initializers), else null.</summary>
    public required Value?[] Constants { get; init; }

    /// <summary>Value ids of the graph inputs the caller feeds, in declaration order.</summary>
    public required int[] InputIds { get; init; }

    /// <summary>Value ids of the graph outputs, in declaration order.</summary>
    public required int[] OutputIds { get; init; }

    /// <summary>Per step: value ids whose last reader it is (dropped after it; constants and outputs never are).</summary>
    public required int[][] Release { get; init; }

    /// <summary>Bytes of packed weights the steps hold.</summary>
    public long PackedBytes { get; init; }
}

/// <summary>
/// A compiled graph specialized to one set of input shapes: the planned shape of every arena value, the memory
/// plan, and a pool of <see cref="RunContext"/>s. Each concurrent run rents its own context (with its own arena),
/// so runs never share intermediate memory; the pool keeps what finished runs return, so steady-state runs on
/// fixed shapes allocate nothing for intermediates.
/// </summary>
internal sealed class ExecutionPlan : IDisposable
{
    private readonly ConcurrentBag<RunContext> contexts = new();
    private bool disposed;

    public ExecutionPlan(CompiledGraph graph, int[]?[] shapes, MemoryPlan memory, string signature)
    {
        Graph = graph;
        Shapes = shapes;
        Memory = memory;
        Signature = signature;
    }

    public CompiledGraph Graph { get; }

    /// <summary>Per value id: the shape this plan expects (null when unknown).</summary>
    public int[]?[] Shapes { get; }

    public MemoryPlan Memory { get; }

    /// <summary>The input shapes this plan is for, as text ("" for the dynamic plan).</summary>
    public string Signature { get; }

    public bool IsArenaValue(int id) => Memory.ValueOffsets[id] >= 0;

    public RunContext Rent(KernoThreadPool pool, Execution.NativeExecutor executor)
    {
        if (contexts.TryTake(out RunContext? c))
            return c;
        return new RunContext(this, pool, executor);
    }

    public void Return(RunContext context)
    {
        context.Reset();
        if (Volatile.Read(ref disposed) || contexts.Count >= 8)
            context.Dispose();
        else
            contexts.Add(context);
    }

    public void Dispose()
    {
        disposed = true;
        while (contexts.TryTake(out RunContext? c))
            c.Dispose();
    }
}
