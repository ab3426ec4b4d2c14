namespace Kerno.Reference.Ops.Tensors;

/// <summary>Operators that rearrange or repeat elements: Transpose, Concat, Split, Expand, Tile.</summary>
internal static class LayoutOps
{
    /// <summary>Transpose: output axis i is input axis perm[i] (default: reversed axes).</summary>
    [OnnxOp("Transpose")]
    public static Tensor Transpose(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        int rank = data.Rank;
        long[] perm = ctx.Node.GetInts("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        if (perm.Length != rank)
            throw ctx.Fail($"perm [{string.Join(",", perm)}] does not match rank {rank}");
        int[] p = Elements.Axes(ctx, perm, rank);
        return Permute(data, p);
    }

    /// <summary>Transposes <paramref name="data"/> so that output axis i is input axis <paramref name="perm"/>[i].</summary>
    internal static Tensor Permute(Tensor data, int[] perm)
    {
        int rank = data.Rank;
        var shape = new int[rank];
        int[] inStrides = Tensor.StridesOf(data.Shape);
        var strides = new int[rank];
        for (int i = 0; i < rank; ++i)
        {
            shape[i] = data.Shape[perm[i]];
            strides[i] = inStrides[perm[i]];
        }
        var map = new int[data.Length];
        Elements.ForEachIndex(shape, (idx, flat) => map[flat] = Elements.Offset(idx, strides));
        return Elements.Take(data, shape, map);
    }

    /// <summary>Concat: joins the inputs along an axis (all other dimensions equal).</summary>
    [OnnxOp("Concat")]
    public static Tensor Concat(OpContext ctx)
    {
        var inputs = new List<Tensor>();
        for (int i = 0; i < ctx.Inputs.Count; ++i)
            if (ctx.HasInput(i))
                inputs.Add(ctx.Input(i));
        if (inputs.Count == 0)
            throw ctx.Fail("needs at least one input");
        if (ctx.Opset >= 4 && !ctx.Node.Has("axis"))
            throw ctx.Fail("attribute 'axis' is required");
        int rank = inputs[0].Rank;
        int axis = Elements.Axis(ctx, ctx.Node.GetInt("axis", 1), rank);
        var shape = inputs[0].Shape.ToArray();
        shape[axis] = 0;
        foreach (Tensor t in inputs)
        {
            if (t.DataType != inputs[0].DataType)
                throw ctx.Fail($"inputs have different element types ({inputs[0].DataType} and {t.DataType})");
            if (t.Rank != rank)
                throw ctx.Fail($"inputs have different ranks ({Tensor.FormatShape(inputs[0].Shape)} and {Tensor.FormatShape(t.Shape)})");
            for (int d = 0; d < rank; ++d)
                if (d != axis && t.Shape[d] != shape[d])
                    throw ctx.Fail($"cannot concatenate {Tensor.FormatShape(inputs[0].Shape)} and {Tensor.FormatShape(t.Shape)} along axis {axis}");
            shape[axis] += t.Shape[axis];
        }
        int outer = Tensor.ElementCount(shape.AsSpan(0, axis));
        int inner = Tensor.ElementCount(shape.AsSpan(axis + 1));
        int n = Elements.Count(ctx, shape);
        var which = new int[n];
        var map = new int[n];
        int o = 0;
        for (int b = 0; b < outer; ++b)
            for (int s = 0; s < inputs.Count; ++s)
            {
                int block = inputs[s].Shape[axis] * inner;
                for (int k = 0; k < block; ++k, ++o)
                {
                    which[o] = s;
                    map[o] = b * block + k;
                }
            }
        return Elements.TakeMany(inputs, shape, which, map);
    }

    /// <summary>
    /// Split: cuts the input along an axis into parts given by 'split' (attribute before opset 13, input after),
    /// or into equal parts (num_outputs from opset 18, the last part may be smaller).
    /// </summary>
    [OnnxOp("Split")]
    public static Value?[] Split(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        int axis = Elements.Axis(ctx, ctx.Node.GetInt("axis", 0), data.Rank);
        int dim = data.Shape[axis];
        long[]? split = null;
        if (ctx.Opset >= 13 || (ctx.Opset < 2 && ctx.HasInput(1)))
            split = ctx.HasInput(1) ? Elements.Ints(ctx, 1, "split") : null;
        else
            split = ctx.Node.GetInts("split");
        if (split is not null && split.Length == 0)
            split = null;
        int outputs = ctx.OutputCount;
        if (split is null)
        {
            if (ctx.Opset >= 18 && ctx.Node.Has("num_outputs"))
            {
                long num = ctx.Node.GetInt("num_outputs");
                if (num != outputs)
                    throw ctx.Fail($"num_outputs is {num} but the node has {outputs} outputs");
                int part = (int)((dim + num - 1) / num);
                split = Enumerable.Range(0, outputs).Select(i => (long)Math.Max(0, Math.Min(part, dim - i * part))).ToArray();
            }
            else
            {
                if (outputs == 0 || dim % outputs != 0)
                    throw ctx.Fail($"cannot split dimension {dim} into {outputs} equal parts");
                split = Enumerable.Repeat((long)(dim / outputs), outputs).ToArray();
            }
        }
        if (split.Length != outputs)
            throw ctx.Fail($"split [{string.Join(",", split)}] has {split.Length} parts but the node has {outputs} outputs");
        if (split.Any(s => s < 0) || split.Sum() != dim)
            throw ctx.Fail($"split [{string.Join(",", split)}] does not add up to dimension {dim}");
        var results = new Value?[outputs];
        int start = 0;
        for (int i = 0; i < outputs; ++i)
        {
            int len = (int)split[i];
            results[i] = SliceAxis(data, axis, start, len);
            start += len;
        }
        return results;
    }

    /// <summary>The part [start, start + length) of <paramref name="data"/> along <paramref name="axis"/>.</summary>
    internal static Tensor SliceAxis(Tensor data, int axis, int start, int length)
    {
        var shape = data.Shape.ToArray();
        shape[axis] = length;
        int outer = Tensor.ElementCount(shape.AsSpan(0, axis));
        int inner = Tensor.ElementCount(shape.AsSpan(axis + 1));
        int dim = data.Shape[axis];
        var map = new int[outer * length * inner];
        int o = 0;
        for (int b = 0; b < outer; ++b)
            for (int k = 0; k < length * inner; ++k)
                map[o++] = (b * dim + start) * inner + k;
        return Elements.Take(data, shape, map);
    }

    /// <summary>Expand: broadcasts the input to the (bidirectional) broadcast of its shape and the given shape.</summary>
    [OnnxOp("Expand")]
    public static Tensor Expand(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        long[] requested = Elements.Ints(ctx, 1, "shape");
        int[] want = requested.Select(d => Elements.Dim(ctx, d)).ToArray();
        int[] shape = Broadcasting.Shape(ctx, data.Shape.ToArray(), want);
        return Elements.Take(data, shape, Broadcasting.IndexMap(data.Shape.ToArray(), shape));
    }

    /// <summary>Tile: repeats the input repeats[i] times along each axis i.</summary>
    [OnnxOp("Tile")]
    public static Tensor Tile(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        long[] repeats = Elements.Ints(ctx, 1, "repeats");
        if (repeats.Length != data.Rank)
            throw ctx.Fail($"repeats has {repeats.Length} entries but the input has rank {data.Rank}");
        var shape = new int[data.Rank];
        for (int i = 0; i < shape.Length; ++i)
            shape[i] = Elements.Dim(ctx, data.Shape[i] * repeats[i], "tiled dimension");
        int[] strides = Tensor.StridesOf(data.Shape);
        var map = new int[Elements.Count(ctx, shape)];
        ReadOnlySpan<int> inShape = data.Shape;
        int[] dims = inShape.ToArray();
        Elements.ForEachIndex(shape, (idx, flat) =>
        {
            int o = 0;
            for (int a = 0; a < idx.Length; ++a)
                o += idx[a] % dims[a] * strides[a];
            map[flat] = o;
        });
        return Elements.Take(data, shape, map);
    }
}
