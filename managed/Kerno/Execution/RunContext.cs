using System.Runtime.InteropServices;
using Kerno.Planning;

namespace Kerno.Execution;

/// <summary>
/// The state of one run of an <see cref="ExecutionPlan"/>: value slots, the arena with a tensor already made
/// for every planned value, and scratch. Rented from the plan for the length of a run (one context per
/// concurrent run) and returned after, so its memory is reused.
/// </summary>
internal sealed unsafe class RunContext : IDisposable
{
    private readonly Arena? arena;
    private readonly Tensor<float>?[] planned;
    private readonly NativeExecutor executor;
    private void* scratch;
    private long scratchBytes;

    public RunContext(ExecutionPlan plan, KernoThreadPool pool, NativeExecutor executor)
    {
        Plan = plan;
        Pool = pool;
        this.executor = executor;
        int values = plan.Graph.ValueNames.Length;
        Slots = new Value?[values];
        planned = new Tensor<float>?[values];
        Overrides = new Tensor?[values];
        if (plan.Memory.ArenaBytes > 0)
        {
            arena = new Arena(plan.Memory.ArenaBytes);
            for (int v = 0; v < values; ++v)
            {
                long offset = plan.Memory.ValueOffsets[v];
                if (offset >= 0 && plan.Shapes[v] is { } shape)
                    planned[v] = new Tensor<float>(arena.Floats(offset, Tensor.ElementCount(shape)).Memory, shape);
            }
        }
        Reset();
    }

    public ExecutionPlan Plan { get; }

    public KernoThreadPool Pool { get; }

    /// <summary>Values by id for the current run.</summary>
    public Value?[] Slots { get; }

    /// <summary>Caller-provided tensors for graph outputs, by value id (null where none).</summary>
    public Tensor?[] Overrides { get; }

    public CancellationToken Cancellation { get; set; }

    /// <summary>When set, every value's shape after it is produced (shape discovery for dynamic inputs).</summary>
    public int[]?[]? RecordedShapes { get; set; }

    /// <summary>Reusable job for parallel GEMMs (one step runs at a time per context).</summary>
    public GemmJob Gemm { get; } = new();

    /// <summary>Reusable job for other parallel loops.</summary>
    public LoopJob Loop { get; } = new();

    /// <summary>Clears per-run state and reloads the constants.</summary>
    public void Reset()
    {
        Array.Copy(Plan.Graph.Constants, Slots, Slots.Length);
        Array.Clear(Overrides);
        RecordedShapes = null;
        Cancellation = default;
    }

    /// <summary>
    /// The tensor a native step writes output value <paramref name="id"/> into: the caller's tensor for a graph
    /// output they provided, the planned arena tensor when the shape is as planned, else a new tensor.
    /// </summary>
    public Tensor<float> Output(int id, ReadOnlySpan<int> shape)
    {
        if (Overrides[id] is Tensor<float> given && given.Shape.SequenceEqual(shape))
            return given;
        if (planned[id] is { } t && t.Shape.SequenceEqual(shape))
            return t;
        return new Tensor<float>(shape);
    }

    /// <summary>Scratch of at least <paramref name="bytes"/> bytes for step <paramref name="step"/>, 64-byte aligned:
    /// its planned arena region, or (shapes not as planned) a per-context buffer that grows as needed.</summary>
    public float* Workspace(int step, long bytes)
    {
        if (bytes <= 0)
            return null;
        long offset = Plan.Memory.WorkspaceOffsets[step];
        if (arena is not null && offset >= 0 && Plan.Memory.WorkspaceBytes[step] >= bytes)
            return (float*)(arena.Base + offset);
        if (scratchBytes < bytes)
        {
            if (scratch != null)
                Interop.NativeBuffer.Free(scratch);
            scratch = Interop.NativeBuffer.Alloc((nuint)bytes, Arena.Alignment);
            scratchBytes = bytes;
        }
        return (float*)scratch;
    }

    /// <summary>A reference frame holding the outer-scope values a node's subgraphs read.</summary>
    public Frame SubgraphFrame(KernelStep step)
    {
        var frame = new Frame(executor.Reference, Plan.Graph.Graph, null, 0, Cancellation);
        foreach (int v in step.Reads)
            if (v >= 0)
                frame.Set(Plan.Graph.ValueNames[v], Slots[v]);
        return frame;
    }

    public void Dispose()
    {
        arena?.Dispose();
        if (scratch != null)
        {
            Interop.NativeBuffer.Free(scratch);
            scratch = null;
        }
    }
}
