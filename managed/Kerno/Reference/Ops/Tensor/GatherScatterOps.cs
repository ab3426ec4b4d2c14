namespace Kerno.Reference.Ops.Tensors;

/// <summary>Indexing operators: Gather, GatherElements, GatherND, ScatterND, ScatterElements and Scatter.</summary>
internal static class GatherScatterOps
{
    private static long Index(OpContext ctx, long i, int dim, string what)
    {
        if (i < -dim || i >= dim)
            throw ctx.Fail($"{what} index {i} is out of range for dimension {dim}");
        return i < 0 ? i + dim : i;
    }

    private static long[] Indices(OpContext ctx, int input)
    {
        Tensor t = ctx.Input(input);
        if (t.DataType is not (DataType.Int32 or DataType.Int64))
            throw ctx.Fail($"indices (input {input}) should be int32 or int64, got {DataTypes.OnnxName(t.DataType)}");
        return t.ToInt64Array();
    }

    /// <summary>Gather: takes entries of <c>data</c> along an axis at <c>indices</c>; output shape data[:axis] + indices + data[axis+1:].</summary>
    [OnnxOp("Gather")]
    public static Tensor Gather(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        Tensor indicesT = ctx.Input(1);
        long[] indices = Indices(ctx, 1);
        int axis = Elements.Axis(ctx, ctx.Node.GetInt("axis", 0), data.Rank);
        int dim = data.Shape[axis];
        int outer = Tensor.ElementCount(data.Shape[..axis]);
        int inner = Tensor.ElementCount(data.Shape[(axis + 1)..]);
        int[] shape = [.. data.Shape[..axis], .. indicesT.Shape, .. data.Shape[(axis + 1)..]];
        var map = new int[Elements.Count(ctx, shape)];
        int o = 0;
        for (int b = 0; b < outer; ++b)
            foreach (long raw in indices)
            {
                long k = Index(ctx, raw, dim, "gather");
                for (int j = 0; j < inner; ++j)
                    map[o++] = (int)((b * dim + k) * inner + j);
            }
        return Elements.Take(data, shape, map);
    }

    /// <summary>GatherElements: output[i] = data[i with axis coordinate replaced by indices[i]]; output has indices' shape.</summary>
    [OnnxOp("GatherElements")]
    public static Tensor GatherElements(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        Tensor indicesT = ctx.Input(1);
        long[] indices = Indices(ctx, 1);
        if (indicesT.Rank != data.Rank)
            throw ctx.Fail($"indices rank {indicesT.Rank} differs from data rank {data.Rank}");
        int axis = Elements.Axis(ctx, ctx.Node.GetInt("axis", 0), data.Rank);
        int[] strides = Tensor.StridesOf(data.Shape);
        int dim = data.Shape[axis];
        int[] shape = indicesT.Shape.ToArray();
        for (int a = 0; a < shape.Length; ++a)
            if (a != axis && shape[a] > data.Shape[a])
                throw ctx.Fail($"indices {Tensor.FormatShape(shape)} are larger than data {Tensor.FormatShape(data.Shape)} along axis {a}");
        var map = new int[indices.Length];
        Elements.ForEachIndex(shape, (idx, flat) =>
        {
            int o = 0;
            for (int a = 0; a < idx.Length; ++a)
                o += (a == axis ? (int)Index(ctx, indices[flat], dim, "gather") : idx[a]) * strides[a];
            map[flat] = o;
        });
        return Elements.Take(data, shape, map);
    }

    /// <summary>
    /// For GatherND/ScatterND: the flat offsets into <paramref name="dataShape"/> of the slices addressed by
    /// each index tuple (the last dimension of the indices), with <paramref name="batchDims"/> leading batch axes.
    /// Returns the slice starts per tuple and the slice size.
    /// </summary>
    private static (int[] Starts, int SliceSize) NdSlices(OpContext ctx, int[] dataShape, int[] indicesShape, long[] indices, int batchDims)
    {
        int q = indicesShape.Length;
        if (q < 1)
            throw ctx.Fail("indices must have rank at least 1");
        int m = indicesShape[q - 1];
        if (batchDims < 0 || batchDims >= Math.Min(q, dataShape.Length) || batchDims + m > dataShape.Length)
            throw ctx.Fail($"batch_dims {batchDims} with index tuples of length {m} do not fit data {Tensor.FormatShape(dataShape)} and indices {Tensor.FormatShape(indicesShape)}");
        for (int b = 0; b < batchDims; ++b)
            if (dataShape[b] != indicesShape[b])
                throw ctx.Fail($"batch dimension {b} differs: data {Tensor.FormatShape(dataShape)}, indices {Tensor.FormatShape(indicesShape)}");
        int[] strides = Tensor.StridesOf(dataShape);
        int sliceSize = Tensor.ElementCount(dataShape.AsSpan(batchDims + m));
        int tuples = m == 0 ? Tensor.ElementCount(indicesShape.AsSpan(0, q - 1)) : indices.Length / m;
        int perBatch = Tensor.ElementCount(indicesShape.AsSpan(batchDims, q - 1 - batchDims));
        int batchBlock = batchDims == 0 ? 0 : strides[batchDims - 1];
        var starts = new int[tuples];
        for (int t = 0; t < tuples; ++t)
        {
            int batch = perBatch == 0 ? 0 : t / perBatch;
            long o = (long)batch * batchBlock;
            for (int j = 0; j < m; ++j)
                o += Index(ctx, indices[t * m + j], dataShape[batchDims + j], "gather/scatter") * strides[batchDims + j];
            starts[t] = (int)o;
        }
        return (starts, sliceSize);
    }

    /// <summary>GatherND: gathers slices of <c>data</c> addressed by the index tuples in the last axis of <c>indices</c> (with batch_dims).</summary>
    [OnnxOp("GatherND")]
    public static Tensor GatherND(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        Tensor indicesT = ctx.Input(1);
        if (indicesT.DataType != DataType.Int64)
            throw ctx.Fail($"indices should be int64, got {DataTypes.OnnxName(indicesT.DataType)}");
        int batchDims = ctx.Opset >= 12 ? (int)ctx.Node.GetInt("batch_dims", 0) : 0;
        int[] dataShape = data.Shape.ToArray(), indShape = indicesT.Shape.ToArray();
        (int[] starts, int sliceSize) = NdSlices(ctx, dataShape, indShape, indicesT.ToInt64Array(), batchDims);
        int m = indShape[^1];
        int[] shape = [.. indShape[..^1], .. dataShape[(batchDims + m)..]];
        var map = new int[Elements.Count(ctx, shape)];
        for (int t = 0; t < starts.Length; ++t)
            for (int j = 0; j < sliceSize; ++j)
                map[t * sliceSize + j] = starts[t] + j;
        return Elements.Take(data, shape, map);
    }

    /// <summary>ScatterND: a copy of <c>data</c> with the slices addressed by <c>indices</c> replaced by (or reduced with) <c>updates</c>.</summary>
    [OnnxOp("ScatterND")]
    public static Tensor ScatterND(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        Tensor indicesT = ctx.Input(1);
        Tensor updates = ctx.Input(2);
        if (indicesT.DataType != DataType.Int64)
            throw ctx.Fail($"indices should be int64, got {DataTypes.OnnxName(indicesT.DataType)}");
        int[] dataShape = data.Shape.ToArray(), indShape = indicesT.Shape.ToArray();
        (int[] starts, int sliceSize) = NdSlices(ctx, dataShape, indShape, indicesT.ToInt64Array(), 0);
        int m = indShape[^1];
        int[] expected = [.. indShape[..^1], .. dataShape[m..]];
        if (!updates.Shape.SequenceEqual(expected))
            throw ctx.Fail($"updates shape {Tensor.FormatShape(updates.Shape)} should be {Tensor.FormatShape(expected)}");
        var targets = new int[updates.Length];
        for (int t = 0; t < starts.Length; ++t)
            for (int j = 0; j < sliceSize; ++j)
                targets[t * sliceSize + j] = starts[t] + j;
        return Scatter(ctx, data, updates, targets, Reduction(ctx));
    }

    /// <summary>ScatterElements (and the deprecated Scatter): data with data[i with axis coordinate = indices[i]] set to (or reduced with) updates[i].</summary>
    [OnnxOp("ScatterElements", "Scatter")]
    public static Tensor ScatterElements(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        Tensor indicesT = ctx.Input(1);
        Tensor updates = ctx.Input(2);
        long[] indices = Indices(ctx, 1);
        if (indicesT.Rank != data.Rank || !indicesT.Shape.SequenceEqual(updates.Shape))
            throw ctx.Fail($"indices {Tensor.FormatShape(indicesT.Shape)} and updates {Tensor.FormatShape(updates.Shape)} must have the same shape and data's rank {data.Rank}");
        int axis = Elements.Axis(ctx, ctx.Node.GetInt("axis", 0), data.Rank);
        int[] strides = Tensor.StridesOf(data.Shape);
        int dim = data.Shape[axis];
        int[] dataShape = data.Shape.ToArray();
        var targets = new int[indices.Length];
        Elements.ForEachIndex(indicesT.Shape, (idx, flat) =>
        {
            int o = 0;
            for (int a = 0; a < idx.Length; ++a)
            {
                int c = a == axis ? (int)Index(ctx, indices[flat], dim, "scatter") : idx[a];
                if (c >= dataShape[a])
                    throw ctx.Fail($"indices shape {Tensor.FormatShape(indicesT.Shape)} exceeds data {Tensor.FormatShape(dataShape)}");
                o += c * strides[a];
            }
            targets[flat] = o;
        });
        return Scatter(ctx, data, updates, targets, ctx.Node.OpType == "Scatter" ? "none" : Reduction(ctx));
    }

    /// <summary>
    /// TensorScatter (opset 24, KV-cache update): a copy of past_cache with update written along the sequence axis
    /// (default -2) starting at write_indices[batch] (0 when omitted); in "circular" mode positions wrap around
    /// max_sequence_length.
    /// </summary>
    [OnnxOp("TensorScatter", MinOpset = 24)]
    public static Tensor TensorScatter(OpContext ctx)
    {
        Tensor past = ctx.Input(0);
        Tensor update = ctx.Input(1);
        if (past.Rank < 2)
            throw ctx.Fail($"past_cache must have rank at least 2, got {Tensor.FormatShape(past.Shape)}");
        int axis = Elements.Axis(ctx, ctx.Node.GetInt("axis", -2), past.Rank);
        if (axis == 0)
            throw ctx.Fail("axis cannot be the batch axis 0");
        string mode = ctx.Node.GetString("mode", "linear");
        if (mode is not ("linear" or "circular"))
            throw ctx.Fail($"mode '{mode}' must be linear or circular");
        if (update.DataType != past.DataType || update.Rank != past.Rank)
            throw ctx.Fail($"update {Tensor.FormatShape(update.Shape)} does not match past_cache {Tensor.FormatShape(past.Shape)}");
        for (int a = 0; a < past.Rank; ++a)
            if ((a != axis && update.Shape[a] != past.Shape[a]) || (a == axis && update.Shape[a] > past.Shape[a]))
                throw ctx.Fail($"update {Tensor.FormatShape(update.Shape)} does not fit past_cache {Tensor.FormatShape(past.Shape)} along axis {axis}");
        int batch = past.Shape[0];
        long[] write = ctx.HasInput(2) ? Indices(ctx, 2) : new long[batch];
        if (write.Length != batch)
            throw ctx.Fail($"write_indices has {write.Length} entries for a batch of {batch}");
        int maxLen = past.Shape[axis], seqLen = update.Shape[axis];
        int outer = Tensor.ElementCount(past.Shape[..axis]);
        int inner = Tensor.ElementCount(past.Shape[(axis + 1)..]);
        int perBatch = outer / Math.Max(1, batch);
        var which = new int[past.Length];
        int[] map = Enumerable.Range(0, past.Length).ToArray();
        for (int b = 0; b < outer; ++b)
        {
            long start = write[b / Math.Max(1, perBatch)];
            for (int t = 0; t < seqLen; ++t)
            {
                long pos = start + t;
                if (mode == "circular")
                    pos = ((pos % maxLen) + maxLen) % maxLen;
                if (pos < 0 || pos >= maxLen)
                    throw ctx.Fail($"write index {start} + {t} is outside the cache length {maxLen}");
                for (int j = 0; j < inner; ++j)
                {
                    int o = (int)((b * maxLen + pos) * inner + j);
                    which[o] = 1;
                    map[o] = (b * seqLen + t) * inner + j;
                }
            }
        }
        return Elements.TakeMany([past, update], past.Shape.ToArray(), which, map);
    }

    private static string Reduction(OpContext ctx)
    {
        string r = ctx.Opset >= 16 ? ctx.Node.GetString("reduction", "none") : "none";
        if (r is not ("none" or "add" or "mul" or "max" or "min") || (ctx.Opset < 18 && r is "max" or "min"))
            throw ctx.Fail($"reduction '{r}' is not supported at opset {ctx.Opset}");
        return r;
    }

    private static Tensor Scatter(OpContext ctx, Tensor data, Tensor updates, int[] targets, string reduction)
    {
        if (updates.DataType != data.DataType)
            throw ctx.Fail($"updates are {DataTypes.OnnxName(updates.DataType)} but data is {DataTypes.OnnxName(data.DataType)}");
        if (reduction != "none" && data.DataType == DataType.String)
            throw ctx.Fail($"reduction '{reduction}' does not apply to strings");
        return Elements.Visit(data, new ScatterFunc(updates, targets, reduction));
    }

    private sealed record ScatterFunc(Tensor Updates, int[] Targets, string Reduction) : ITensorFunc<Tensor>
    {
        public Tensor Run<T>(Tensor<T> data)
        {
            Tensor<T> result = data.Clone();
            var upd = (Tensor<T>)Updates;
            Func<T, T, T> combine = Reduction == "none" ? (_, b) => b : Reducers.For<T>(Reduction);
            Span<T> dst = result.Span;
            ReadOnlySpan<T> src = upd.Span;
            for (int i = 0; i < Targets.Length; ++i)
                dst[Targets[i]] = combine(dst[Targets[i]], src[i]);
            return result;
        }
    }
}

/// <summary>Element combiners (add, mul, max, min) for every numeric storage type and bool (or/and).</summary>
internal static class Reducers
{
    /// <summary>The combiner for <paramref name="op"/> on <typeparamref name="T"/>.</summary>
    public static Func<T, T, T> For<T>(string op)
    {
        object f = typeof(T) switch
        {
            Type t when t == typeof(float) => Make<float>(op, (a, b) => a + b, (a, b) => a * b, MathF.Max, MathF.Min),
            Type t when t == typeof(double) => Make<double>(op, (a, b) => a + b, (a, b) => a * b, Math.Max, Math.Min),
            Type t when t == typeof(Half) => Make<Half>(op, (a, b) => a + b, (a, b) => a * b, Half.Max, Half.Min),
            Type t when t == typeof(BFloat16) => Make<BFloat16>(op, (a, b) => (BFloat16)(a + (float)b), (a, b) => (BFloat16)(a * (float)b),
                (a, b) => (BFloat16)MathF.Max(a, b), (a, b) => (BFloat16)MathF.Min(a, b)),
            Type t when t == typeof(sbyte) => Make<sbyte>(op, (a, b) => (sbyte)(a + b), (a, b) => (sbyte)(a * b), Math.Max, Math.Min),
            Type t when t == typeof(byte) => Make<byte>(op, (a, b) => (byte)(a + b), (a, b) => (byte)(a * b), Math.Max, Math.Min),
            Type t when t == typeof(short) => Make<short>(op, (a, b) => (short)(a + b), (a, b) => (short)(a * b), Math.Max, Math.Min),
            Type t when t == typeof(ushort) => Make<ushort>(op, (a, b) => (ushort)(a + b), (a, b) => (ushort)(a * b), Math.Max, Math.Min),
            Type t when t == typeof(int) => Make<int>(op, (a, b) => a + b, (a, b) => a * b, Math.Max, Math.Min),
            Type t when t == typeof(uint) => Make<uint>(op, (a, b) => a + b, (a, b) => a * b, Math.Max, Math.Min),
            Type t when t == typeof(long) => Make<long>(op, (a, b) => a + b, (a, b) => a * b, Math.Max, Math.Min),
            Type t when t == typeof(ulong) => Make<ulong>(op, (a, b) => a + b, (a, b) => a * b, Math.Max, Math.Min),
            Type t when t == typeof(bool) => Make<bool>(op, (a, b) => a | b, (a, b) => a & b, (a, b) => a | b, (a, b) => a & b),
            _ => throw new NotSupportedException($"reduction '{op}' does not apply to {typeof(T).Name}"),
        };
        return (Func<T, T, T>)f;
    }

    private static Func<T, T, T> Make<T>(string op, Func<T, T, T> add, Func<T, T, T> mul, Func<T, T, T> max, Func<T, T, T> min) => op switch
    {
        "add" => add,
        "mul" => mul,
        "max" => max,
        "min" => min,
        _ => throw new NotSupportedException($"unknown reduction '{op}'"),
    };
}
