namespace Kerno.Reference.Ops.Tensors;

/// <summary>Slice: numpy-style strided slicing along chosen axes.</summary>
internal static class SliceOp
{
    /// <summary>
    /// Slice: starts/ends/axes as attributes before opset 10, as inputs (with steps) after. Negative indices count
    /// from the end; out-of-range values are clamped, as in numpy.
    /// </summary>
    [OnnxOp("Slice")]
    public static Tensor Slice(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        long[] starts, ends;
        long[]? axes, steps = null;
        if (ctx.Opset < 10)
        {
            starts = ctx.Node.GetInts("starts") ?? throw ctx.Fail("attribute 'starts' is required");
            ends = ctx.Node.GetInts("ends") ?? throw ctx.Fail("attribute 'ends' is required");
            axes = ctx.Node.GetInts("axes");
        }
        else
        {
            starts = Elements.Ints(ctx, 1, "starts");
            ends = Elements.Ints(ctx, 2, "ends");
            axes = ctx.HasInput(3) ? Elements.Ints(ctx, 3, "axes") : null;
            steps = ctx.HasInput(4) ? Elements.Ints(ctx, 4, "steps") : null;
        }
        int rank = data.Rank;
        if (ends.Length != starts.Length || (axes is not null && axes.Length != starts.Length) || (steps is not null && steps.Length != starts.Length))
            throw ctx.Fail("starts, ends, axes and steps must have the same length");
        int[] ax = axes is null ? Enumerable.Range(0, starts.Length).ToArray() : Elements.Axes(ctx, axes, rank);
        if (ax.Length > rank)
            throw ctx.Fail($"{ax.Length} slices for rank {rank}");

        // Per axis: first index, step, count.
        var first = new long[rank];
        var step = new long[rank];
        var shape = data.Shape.ToArray();
        for (int a = 0; a < rank; ++a)
            step[a] = 1;
        for (int i = 0; i < ax.Length; ++i)
        {
            int a = ax[i];
            long dim = data.Shape[a];
            long s = steps?[i] ?? 1;
            if (s == 0)
                throw ctx.Fail("slice step cannot be 0");
            long start = starts[i], end = ends[i];
            if (start < 0)
                start += dim;
            if (end < 0)
                end += dim;
            if (s > 0)
            {
                start = Math.Clamp(start, 0, dim);
                end = Math.Clamp(end, 0, dim);
            }
            else
            {
                start = Math.Clamp(start, 0, dim - 1);
                end = Math.Clamp(end, -1, dim - 1);
            }
            long count = s > 0 ? (end - start + s - 1) / s : (start - end + (-s) - 1) / (-s);
            first[a] = start;
            step[a] = s;
            shape[a] = (int)Math.Max(0, count);
        }
        int[] strides = Tensor.StridesOf(data.Shape);
        var map = new int[Elements.Count(ctx, shape)];
        Elements.ForEachIndex(shape, (idx, flat) =>
        {
            long o = 0;
            for (int a = 0; a < rank; ++a)
                o += (first[a] + idx[a] * step[a]) * strides[a];
            map[flat] = (int)o;
        });
        return Elements.Take(data, shape, map);
    }
}
