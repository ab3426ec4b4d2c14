namespace Kerno.Planning;

/// <summary>What the memory planner needs to know about one step of the execution order.</summary>
/// <param name="Reads">Value ids the step reads (explicit inputs and outer-scope values its subgraphs read).</param>
/// <param name="Writes">Value ids the step defines.</param>
/// <param name="WriteBytes">Per write: bytes it needs in the arena, or -1 when it does not live there (reference
/// outputs, graph outputs, unknown shapes).</param>
/// <param name="AliasOf">Per write: the value id it is a view of (Reshape and friends share their input's memory),
/// or -1.</param>
/// <param name="InPlaceInput">A value id the step may overwrite with its first write (element-wise kernels), or -1.</param>
/// <param name="WorkspaceBytes">Scratch the step needs while it runs (im2col columns, ...), 0 for none.</param>
internal sealed record PlannerStep(int[] Reads, int[] Writes, long[] WriteBytes, int[] AliasOf, int InPlaceInput, long WorkspaceBytes);

/// <summary>Where everything of one execution plan lives in its arena.</summary>
internal sealed class MemoryPlan
{
    /// <summary>Bytes of the arena (a multiple of 64).</summary>
    public long ArenaBytes { get; init; }

    /// <summary>Per value id: byte offset of its elements in the arena, or -1.</summary>
    public required long[] ValueOffsets { get; init; }

    /// <summary>Per step: byte offset of its workspace in the arena, or -1.</summary>
    public required long[] WorkspaceOffsets { get; init; }

    /// <summary>Per step: bytes of workspace planned (0 for none).</summary>
    public required long[] WorkspaceBytes { get; init; }

    /// <summary>Per step: whether its first write reuses the memory of <see cref="PlannerStep.InPlaceInput"/>.</summary>
    public required bool[] InPlace { get; init; }

    /// <summary>What the arena's tensors and workspaces would take with one buffer each (no reuse).</summary>
    public long SumOfIntermediates { get; init; }

    /// <summary>Number of distinct buffers (a buffer holds a value, its in-place successors and its views).</summary>
    public int BufferCount { get; init; }

    /// <summary>An empty plan: nothing in the arena (dynamic shapes; everything allocated when produced).</summary>
    public static MemoryPlan Empty(int values, int steps) => new()
    {
        ValueOffsets = Enumerable.Repeat(-1L, values).ToArray(),
        WorkspaceOffsets = Enumerable.Repeat(-1L, steps).ToArray(),
        WorkspaceBytes = new long[steps],
        InPlace = new bool[steps],
    };
}

/// <summary>
/// Static memory planning over an execution order: liveness of every arena value, in-place reuse for element-wise
/// steps whose input dies at that step, views (Reshape, ...) kept alive with the buffer they look into, then offsets
/// in one 64-byte-aligned arena chosen greedily by size (largest buffers first, each at the lowest offset that
/// does not overlap a buffer live at the same time). Graph outputs are never in the arena.
/// </summary>
internal static class MemoryPlanner
{
    private sealed class Buffer
    {
        public long Bytes;
        public int First;
        public int Last;
        public long Offset = -1;
    }

    /// <param name="valueCount">Number of value ids.</param>
    /// <param name="steps">The steps in execution order.</param>
    /// <param name="keepToEnd">Values that must survive the last step (graph outputs and what they view).</param>
    public static MemoryPlan Plan(int valueCount, IReadOnlyList<PlannerStep> steps, IEnumerable<int> keepToEnd)
    {
        int end = steps.Count;
        var lastUse = new int[valueCount];
        Array.Fill(lastUse, -1);
        for (int i = 0; i < steps.Count; ++i)
        {
            foreach (int w in steps[i].Writes)
                if (w >= 0)
                    lastUse[w] = Math.Max(lastUse[w], i);
            foreach (int r in steps[i].Reads)
                if (r >= 0)
                    lastUse[r] = Math.Max(lastUse[r], i);
        }
        foreach (int v in keepToEnd)
            if (v >= 0 && v < valueCount)
                lastUse[v] = end;

        var bufferOf = new int[valueCount];
        Array.Fill(bufferOf, -1);
        var buffers = new List<Buffer>();
        var inPlace = new bool[steps.Count];
        var workspaceBuffer = new int[steps.Count];
        Array.Fill(workspaceBuffer, -1);
        long sum = 0;

        for (int i = 0; i < steps.Count; ++i)
        {
            PlannerStep s = steps[i];
            for (int j = 0; j < s.Writes.Length; ++j)
            {
                int w = s.Writes[j];
                if (w < 0)
                    continue;
                int alias = j < s.AliasOf.Length ? s.AliasOf[j] : -1;
                if (alias >= 0 && bufferOf[alias] >= 0)
                {
                    Buffer b = buffers[bufferOf[alias]];
                    bufferOf[w] = bufferOf[alias];
                    b.Last = Math.Max(b.Last, lastUse[w]);
                    continue;
                }
                long bytes = j < s.WriteBytes.Length ? s.WriteBytes[j] : -1;
                if (bytes < 0)
                    continue;
                sum += Align(bytes);
                if (j == 0 && s.InPlaceInput >= 0 && bufferOf[s.InPlaceInput] >= 0)
                {
                    Buffer b = buffers[bufferOf[s.InPlaceInput]];
                    // The input's memory is free after this step when nothing that shares it is read later.
                    if (b.Last <= i && Align(b.Bytes) == Align(bytes))
                    {
                        bufferOf[w] = bufferOf[s.InPlaceInput];
                        b.Last = Math.Max(b.Last, lastUse[w]);
                        inPlace[i] = true;
                        continue;
                    }
                }
                bufferOf[w] = buffers.Count;
                buffers.Add(new Buffer { Bytes = Align(bytes), First = i, Last = Math.Max(i, lastUse[w]) });
            }
            if (s.WorkspaceBytes > 0)
            {
                sum += Align(s.WorkspaceBytes);
                workspaceBuffer[i] = buffers.Count;
                buffers.Add(new Buffer { Bytes = Align(s.WorkspaceBytes), First = i, Last = i });
            }
        }

        long arena = 0;
        var placed = new List<Buffer>();
        foreach (Buffer b in buffers.OrderByDescending(b => b.Bytes).ThenBy(b => b.First))
        {
            long offset = 0;
            foreach (Buffer p in placed.Where(p => p.First <= b.Last && b.First <= p.Last).OrderBy(p => p.Offset))
            {
                if (p.Offset - offset >= b.Bytes)
                    break;
                offset = Math.Max(offset, p.Offset + p.Bytes);
            }
            b.Offset = offset;
            placed.Add(b);
            arena = Math.Max(arena, offset + b.Bytes);
        }

        var offsets = new long[valueCount];
        for (int v = 0; v < valueCount; ++v)
            offsets[v] = bufferOf[v] >= 0 ? buffers[bufferOf[v]].Offset : -1;
        return new MemoryPlan
        {
            ArenaBytes = arena,
            ValueOffsets = offsets,
            WorkspaceOffsets = workspaceBuffer.Select(b => b >= 0 ? buffers[b].Offset : -1).ToArray(),
            WorkspaceBytes = steps.Select(s => Math.Max(0, s.WorkspaceBytes)).ToArray(),
            InPlace = inPlace,
            SumOfIntermediates = sum,
            BufferCount = buffers.Count,
        };
    }

    public static long Align(long bytes) => (bytes + Execution.Arena.Alignment - 1) / Execution.Arena.Alignment * Execution.Arena.Alignment;
}
