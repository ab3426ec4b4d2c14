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
/// <param name="Slices">Read values that are contiguous pieces of the first write, with their byte offsets in it
/// (Concat of one image along the channels): the planner may place them there, so the step has nothing to copy.</param>
internal sealed record PlannerStep(int[] Reads, int[] Writes, long[] WriteBytes, int[] AliasOf, int InPlaceInput, long WorkspaceBytes,
    (int Value, long Offset)[]? Slices = null);

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
/// steps whose input dies at that step, views (Reshape, ...) kept alive with the buffer they look into, Concat
/// inputs planned as pieces of the Concat's output (their producers write in place, the Concat copies nothing),
/// then offsets in one 64-byte-aligned arena chosen greedily by size (largest buffers first, each at the lowest
/// offset that does not overlap a buffer live at the same time). Graph outputs are never in the arena.
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
        var within = new long[valueCount]; // byte offset of a value inside its buffer (non-zero only for pieces)
        var inPiece = new bool[valueCount]; // a piece of a Concat's output, or a view of one
        var buffers = new List<Buffer>();
        (int Whole, long Offset)[] pieceOf = Pieces(valueCount, steps);
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
                    within[w] = within[alias];
                    inPiece[w] = inPiece[alias];
                    b.Last = Math.Max(b.Last, lastUse[w]);
                    continue;
                }
                long bytes = j < s.WriteBytes.Length ? s.WriteBytes[j] : -1;
                if (bytes < 0)
                    continue;
                sum += Align(bytes);
                if (bufferOf[w] >= 0)
                {
                    // a Concat output whose buffer the first of its pieces opened
                    Buffer b = buffers[bufferOf[w]];
                    b.Last = Math.Max(b.Last, lastUse[w]);
                    continue;
                }
                if (pieceOf[w].Whole >= 0)
                {
                    int whole = pieceOf[w].Whole;
                    if (bufferOf[whole] < 0)
                    {
                        bufferOf[whole] = buffers.Count;
                        buffers.Add(new Buffer { Bytes = Align(WholeBytes(steps, whole)), First = i, Last = Math.Max(i, lastUse[whole]) });
                    }
                    Buffer b = buffers[bufferOf[whole]];
                    bufferOf[w] = bufferOf[whole];
                    within[w] = pieceOf[w].Offset;
                    inPiece[w] = true;
                    b.Last = Math.Max(b.Last, lastUse[w]);
                    continue;
                }
                // (never over a piece of a Concat or its views: their buffer is the Concat's, larger than they are)
                if (j == 0 && s.InPlaceInput >= 0 && bufferOf[s.InPlaceInput] >= 0 && !inPiece[s.InPlaceInput])
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
            offsets[v] = bufferOf[v] >= 0 ? buffers[bufferOf[v]].Offset + within[v] : -1;
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

    /// <summary>
    /// Per value: the Concat output it is planned inside and its byte offset there, or (-1, 0). A piece must be an
    /// arena value of its own (not a view; a piece is never written in place over its step's input), fed to one
    /// Concat once, at a 64-byte-aligned offset (kernels may assume aligned outputs), and the Concat's output must
    /// be in the arena.
    /// </summary>
    private static (int Whole, long Offset)[] Pieces(int valueCount, IReadOnlyList<PlannerStep> steps)
    {
        var pieceOf = new (int Whole, long Offset)[valueCount];
        Array.Fill(pieceOf, (-1, 0L));
        var plain = new bool[valueCount]; // written by a step as an arena value of its own
        foreach (PlannerStep s in steps)
            for (int j = 0; j < s.Writes.Length; ++j)
                if (s.Writes[j] >= 0 && j < s.WriteBytes.Length && s.WriteBytes[j] >= 0 && (j >= s.AliasOf.Length || s.AliasOf[j] < 0))
                    plain[s.Writes[j]] = true;
        var claimed = new bool[valueCount];
        foreach (PlannerStep s in steps)
        {
            if (s.Slices is not { Length: > 0 } slices || s.Writes.Length == 0 || s.Writes[0] < 0 || s.WriteBytes[0] < 0)
                continue;
            int whole = s.Writes[0];
            var seen = new HashSet<int>();
            foreach ((int v, long offset) in slices)
                if (!seen.Add(v))
                    claimed[v] = true; // the same value twice: one copy at least
            foreach ((int v, long offset) in slices)
            {
                if (v < 0 || v == whole || !plain[v] || claimed[v] || offset % Execution.Arena.Alignment != 0)
                    continue;
                claimed[v] = true;
                pieceOf[v] = (whole, offset);
            }
        }
        // A Concat output that is itself a piece of a later Concat: its pieces live in the outermost one.
        for (int v = 0; v < valueCount; ++v)
            while (pieceOf[v].Whole >= 0 && pieceOf[pieceOf[v].Whole].Whole >= 0)
                pieceOf[v] = (pieceOf[pieceOf[v].Whole].Whole, pieceOf[v].Offset + pieceOf[pieceOf[v].Whole].Offset);
        return pieceOf;
    }

    private static long WholeBytes(IReadOnlyList<PlannerStep> steps, int value)
    {
        foreach (PlannerStep s in steps)
            for (int j = 0; j < s.Writes.Length; ++j)
                if (s.Writes[j] == value)
                    return s.WriteBytes[j];
        throw new InvalidOperationException($"value {value} is not written");
    }

    public static long Align(long bytes) => (bytes + Execution.Arena.Alignment - 1) / Execution.Arena.Alignment * Execution.Arena.Alignment;
}
