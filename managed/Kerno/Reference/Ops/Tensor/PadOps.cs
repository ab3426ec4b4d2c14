namespace Kerno.Reference.Ops.Tensors;

/// <summary>Pad and CenterCropPad.</summary>
internal static class PadOps
{
    /// <summary>
    /// Pad: pads (negative = crop) each axis with a constant, the reflection, the edge value or a wrap-around.
    /// Opset &lt; 11 takes 'pads'/'paddings' and 'value' attributes; later opsets take pads, constant_value and
    /// (opset 18) axes inputs; 'wrap' is from opset 19.
    /// </summary>
    [OnnxOp("Pad")]
    public static Tensor Pad(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        int rank = data.Rank;
        string mode = ctx.Node.GetString("mode", "constant");
        if (mode is not ("constant" or "reflect" or "edge") && !(mode == "wrap" && ctx.Opset >= 19))
            throw ctx.Fail($"mode '{mode}' is not supported at opset {ctx.Opset}");
        long[] pads;
        Tensor? fill = null;
        int[] axes;
        if (ctx.Opset < 11)
        {
            pads = ctx.Node.GetInts(ctx.Opset < 2 ? "paddings" : "pads") ?? throw ctx.Fail("attribute 'pads' is required");
            double value = ctx.Node.GetFloat("value", 0f);
            if (data.DataType != DataType.String)
                fill = Elements.FromDoubles(data.DataType, [1], [value]);
            axes = Enumerable.Range(0, rank).ToArray();
        }
        else
        {
            pads = Elements.Ints(ctx, 1, "pads");
            if (ctx.HasInput(2))
            {
                fill = ctx.Input(2);
                if (fill.DataType != data.DataType)
                    throw ctx.Fail($"constant_value is {DataTypes.OnnxName(fill.DataType)} but data is {DataTypes.OnnxName(data.DataType)}");
                if (fill.Length == 0)
                    fill = null;
            }
            axes = ctx.Opset >= 18 && ctx.HasInput(3)
                ? Elements.Axes(ctx, Elements.Ints(ctx, 3, "axes"), rank)
                : Enumerable.Range(0, rank).ToArray();
        }
        if (pads.Length != 2 * axes.Length)
            throw ctx.Fail($"pads has {pads.Length} values but {2 * axes.Length} are needed for {axes.Length} axes");
        var begin = new long[rank];
        var end = new long[rank];
        for (int i = 0; i < axes.Length; ++i)
        {
            begin[axes[i]] = pads[i];
            end[axes[i]] = pads[i + axes.Length];
        }
        return PadWith(ctx, data, begin, end, mode, fill);
    }

    /// <summary>Pads (or, for negative amounts, crops) every axis of <paramref name="data"/>.</summary>
    internal static Tensor PadWith(OpContext ctx, Tensor data, long[] begin, long[] end, string mode, Tensor? fill)
    {
        int rank = data.Rank;
        var shape = new int[rank];
        for (int a = 0; a < rank; ++a)
        {
            long d = data.Shape[a] + begin[a] + end[a];
            if (d < 0)
                throw ctx.Fail($"pads [{begin[a]}, {end[a]}] remove more than dimension {a} of {Tensor.FormatShape(data.Shape)}");
            shape[a] = Elements.Dim(ctx, d, "padded dimension");
            if (mode != "constant" && data.Shape[a] == 0 && d > 0)
                throw ctx.Fail($"cannot {mode}-pad an empty axis {a}");
        }
        // For each axis, the input coordinate of every output coordinate (-1 = the constant).
        var coords = new int[rank][];
        for (int a = 0; a < rank; ++a)
        {
            int dim = data.Shape[a];
            coords[a] = new int[shape[a]];
            for (int o = 0; o < shape[a]; ++o)
            {
                long i = o - begin[a];
                if (i < 0 || i >= dim)
                {
                    i = mode switch
                    {
                        "constant" => -1,
                        "edge" => Math.Clamp(i, 0, dim - 1),
                        "wrap" => ((i % dim) + dim) % dim,
                        _ => Reflect(i, dim),
                    };
                }
                coords[a][o] = (int)i;
            }
        }
        int[] strides = Tensor.StridesOf(data.Shape);
        var map = new int[Elements.Count(ctx, shape)];
        Elements.ForEachIndex(shape, (idx, flat) =>
        {
            int o = 0;
            for (int a = 0; a < rank; ++a)
            {
                int c = coords[a][idx[a]];
                if (c < 0)
                {
                    o = -1;
                    break;
                }
                o += c * strides[a];
            }
            map[flat] = o;
        });
        return Elements.Take(data, shape, map, fill);
    }

    private static long Reflect(long i, long dim)
    {
        if (dim == 1)
            return 0;
        long period = 2 * (dim - 1);
        i = ((i % period) + period) % period;
        return i < dim ? i : period - i;
    }

    /// <summary>CenterCropPad: crops or zero-pads the given axes (default all) symmetrically to the requested shape.</summary>
    [OnnxOp("CenterCropPad", MinOpset = 18)]
    public static Tensor CenterCropPad(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        long[] target = Elements.Ints(ctx, 1, "shape");
        long[]? axesAttr = ctx.Node.GetInts("axes");
        int[] axes = axesAttr is null ? Enumerable.Range(0, data.Rank).ToArray() : Elements.Axes(ctx, axesAttr, data.Rank);
        if (target.Length != axes.Length)
            throw ctx.Fail($"shape has {target.Length} values for {axes.Length} axes");
        var begin = new long[data.Rank];
        var end = new long[data.Rank];
        for (int i = 0; i < axes.Length; ++i)
        {
            int a = axes[i];
            long dim = data.Shape[a], want = target[i];
            if (want < 0)
                throw ctx.Fail($"shape value {want} is negative");
            if (want < dim)
            {
                long crop = dim - want;
                begin[a] = -(crop / 2);
                end[a] = -(crop - crop / 2);
            }
            else
            {
                long pad = want - dim;
                begin[a] = pad / 2;
                end[a] = pad - pad / 2;
            }
        }
        return PadWith(ctx, data, begin, end, "constant", null);
    }
}
