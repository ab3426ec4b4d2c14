namespace Kerno.Reference.Ops.Tensors;

/// <summary>Operators that select or reorder elements: Compress, NonZero, ReverseSequence, DepthToSpace, SpaceToDepth.</summary>
internal static class SelectionOps
{
    /// <summary>Compress: keeps the slices along an axis (or elements of the flattened input) where the condition is true.</summary>
    [OnnxOp("Compress", MinOpset = 9)]
    public static Tensor Compress(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        Tensor condT = ctx.Input(1);
        if (condT.Rank != 1)
            throw ctx.Fail($"condition must be 1-D, got {Tensor.FormatShape(condT.Shape)}");
        long[] cond = condT.ToInt64Array();
        int axis;
        if (ctx.Node.Has("axis"))
            axis = Elements.Axis(ctx, ctx.Node.GetInt("axis"), data.Rank);
        else
        {
            data = data.Reshape([data.Length]);
            axis = 0;
        }
        int dim = data.Shape[axis];
        for (int i = dim; i < cond.Length; ++i)
            if (cond[i] != 0)
                throw ctx.Fail($"condition selects index {i} beyond dimension {dim}");
        var kept = new List<int>();
        for (int i = 0; i < Math.Min(dim, cond.Length); ++i)
            if (cond[i] != 0)
                kept.Add(i);
        return TakeAlong(data, axis, kept);
    }

    /// <summary>The slices <paramref name="positions"/> of <paramref name="data"/> along <paramref name="axis"/>, in order.</summary>
    internal static Tensor TakeAlong(Tensor data, int axis, IReadOnlyList<int> positions)
    {
        int[] shape = data.Shape.ToArray();
        shape[axis] = positions.Count;
        int outer = Tensor.ElementCount(data.Shape[..axis]);
        int inner = Tensor.ElementCount(data.Shape[(axis + 1)..]);
        int dim = data.Shape[axis];
        var map = new int[outer * positions.Count * inner];
        int o = 0;
        for (int b = 0; b < outer; ++b)
            foreach (int p in positions)
                for (int j = 0; j < inner; ++j)
                    map[o++] = (b * dim + p) * inner + j;
        return Elements.Take(data, shape, map);
    }

    /// <summary>NonZero: the indices of the non-zero elements as an int64 [rank, count] tensor, row-major order.</summary>
    [OnnxOp("NonZero", MinOpset = 9)]
    public static Tensor NonZero(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        bool[] nonZero = data is Tensor<string> s
            ? s.Span.ToArray().Select(v => !string.IsNullOrEmpty(v)).ToArray()
            : data.ToDoubleArray().Select(v => v != 0).ToArray();
        var hits = new List<int[]>();
        Elements.ForEachIndex(data.Shape, (idx, flat) =>
        {
            if (nonZero[flat])
                hits.Add((int[])idx.Clone());
        });
        int rank = data.Rank;
        var result = new long[rank * hits.Count];
        for (int h = 0; h < hits.Count; ++h)
            for (int a = 0; a < rank; ++a)
                result[a * hits.Count + h] = hits[h][a];
        return Elements.Int64([rank, hits.Count], result);
    }

    /// <summary>ReverseSequence: for each batch entry b, reverses the first sequence_lens[b] entries along the time axis.</summary>
    [OnnxOp("ReverseSequence", MinOpset = 10)]
    public static Tensor ReverseSequence(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        long[] lens = Elements.Ints(ctx, 1, "sequence_lens");
        if (data.Rank < 2)
            throw ctx.Fail($"input must have rank at least 2, got {Tensor.FormatShape(data.Shape)}");
        int timeAxis = Elements.Axis(ctx, ctx.Node.GetInt("time_axis", 0), data.Rank, "time_axis");
        int batchAxis = Elements.Axis(ctx, ctx.Node.GetInt("batch_axis", 1), data.Rank, "batch_axis");
        if (timeAxis == batchAxis || timeAxis > 1 || batchAxis > 1)
            throw ctx.Fail("time_axis and batch_axis must be 0 and 1 in some order");
        if (lens.Length != data.Shape[batchAxis])
            throw ctx.Fail($"sequence_lens has {lens.Length} entries for a batch of {data.Shape[batchAxis]}");
        int maxLen = data.Shape[timeAxis];
        foreach (long l in lens)
            if (l < 0 || l > maxLen)
                throw ctx.Fail($"sequence length {l} is outside [0, {maxLen}]");
        int[] strides = Tensor.StridesOf(data.Shape);
        var map = new int[data.Length];
        Elements.ForEachIndex(data.Shape, (idx, flat) =>
        {
            int t = idx[timeAxis];
            long len = lens[idx[batchAxis]];
            int source = t < len ? (int)(len - 1 - t) : t;
            map[flat] = flat + (source - t) * strides[timeAxis];
        });
        return Elements.Take(data, data.Shape.ToArray(), map);
    }

    /// <summary>DepthToSpace: moves blocks of channels into blocksize x blocksize spatial blocks (DCR or CRD order).</summary>
    [OnnxOp("DepthToSpace")]
    public static Tensor DepthToSpace(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        if (data.Rank != 4)
            throw ctx.Fail($"input must be 4-D [N,C,H,W], got {Tensor.FormatShape(data.Shape)}");
        int b = (int)ctx.Node.GetInt("blocksize");
        string mode = ctx.Opset >= 11 ? ctx.Node.GetString("mode", "DCR") : "DCR";
        if (mode is not ("DCR" or "CRD"))
            throw ctx.Fail($"mode '{mode}' must be DCR or CRD");
        int n = data.Shape[0], c = data.Shape[1], h = data.Shape[2], w = data.Shape[3];
        if (b <= 0 || c % (b * b) != 0)
            throw ctx.Fail($"channels {c} are not divisible by blocksize² ({b}²)");
        int oc = c / (b * b);
        int[] shape = [n, oc, h * b, w * b];
        var map = new int[data.Length];
        Elements.ForEachIndex(shape, (idx, flat) =>
        {
            int y = idx[2], x = idx[3];
            int i = y % b, j = x % b;
            int ic = mode == "DCR" ? (i * b + j) * oc + idx[1] : idx[1] * b * b + i * b + j;
            map[flat] = ((idx[0] * c + ic) * h + y / b) * w + x / b;
        });
        return Elements.Take(data, shape, map);
    }

    /// <summary>SpaceToDepth: moves blocksize x blocksize spatial blocks into channels (inverse of DepthToSpace DCR).</summary>
    [OnnxOp("SpaceToDepth")]
    public static Tensor SpaceToDepth(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        if (data.Rank != 4)
            throw ctx.Fail($"input must be 4-D [N,C,H,W], got {Tensor.FormatShape(data.Shape)}");
        int b = (int)ctx.Node.GetInt("blocksize");
        int n = data.Shape[0], c = data.Shape[1], h = data.Shape[2], w = data.Shape[3];
        if (b <= 0 || h % b != 0 || w % b != 0)
            throw ctx.Fail($"spatial size {h}x{w} is not divisible by blocksize {b}");
        int[] shape = [n, c * b * b, h / b, w / b];
        var map = new int[data.Length];
        Elements.ForEachIndex(shape, (idx, flat) =>
        {
            int block = idx[1] / c, ic = idx[1] % c;
            int i = block / b, j = block % b;
            map[flat] = ((idx[0] * c + ic) * h + idx[2] * b + i) * w + idx[3] * b + j;
        });
        return Elements.Take(data, shape, map);
    }
}
