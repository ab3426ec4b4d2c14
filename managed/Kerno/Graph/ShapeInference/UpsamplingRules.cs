namespace Kerno.Graph.ShapeInference;

/// <summary>
/// Shape rules for the operators that enlarge spatial axes (Resize, Upsample, ConvTranspose). Without them every
/// value downstream of a detection model's FPN had no element type, and the native backend left those nodes on
/// the reference kernels.
/// </summary>
internal static class UpsamplingRules
{
    public static void Register(Dictionary<string, ShapeRule> table)
    {
        table["Resize"] = ctx => [InferenceContext.Make(ctx.ElementType(0), Resize(ctx))];
        table["Upsample"] = ctx => [InferenceContext.Make(ctx.ElementType(0), Resize(ctx))];
        table["ConvTranspose"] = ctx => [InferenceContext.Make(ctx.ElementType(0), ConvTranspose(ctx))];
    }

    /// <summary>Resize / Upsample: constant sizes, or floor(input * scale) per axis; the rank at least when neither is known.</summary>
    private static IReadOnlyList<Dim>? Resize(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? x = ctx.Shape(0);
        if (x is null)
            return null;
        IReadOnlyList<Dim> unknown = Enumerable.Repeat(Dim.Unknown, x.Count).ToList();
        if (ctx.Node.Has("axes") || (ctx.Node.OpType == "Resize" && ctx.Node.GetString("keep_aspect_ratio_policy", "stretch") != "stretch"))
            return unknown;
        bool upsample = ctx.Node.OpType == "Upsample";
        if (!upsample && ctx.Opset >= 11 && ctx.HasInput(3))
            return ctx.Constant(3) is Tensor<long> sizes && sizes.Length == x.Count ? Dims.Known(sizes.Span.ToArray()) : unknown;
        float[]? scales = upsample && ctx.Opset < 9 ? ctx.Node.GetFloats("scales")
            : ctx.Constant(ctx.Opset >= 11 && !upsample ? 2 : 1) is Tensor<float> s ? s.Span.ToArray() : null;
        if (scales is null || scales.Length != x.Count)
            return unknown;
        var result = new List<Dim>(x.Count);
        for (int i = 0; i < x.Count; ++i)
        {
            if (!(scales[i] > 0))
                return unknown;
            result.Add(scales[i] == 1 ? x[i] : x[i].Value is { } v ? (long)Math.Floor(v * (double)scales[i]) : Dim.Unknown);
        }
        return result;
    }

    /// <summary>ConvTranspose: [N, W[1] * group, spatial...] from output_shape, or stride*(in-1) + output_padding + (k-1)*dilation + 1 - pads.</summary>
    private static IReadOnlyList<Dim>? ConvTranspose(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? x = ctx.Shape(0), w = ctx.Shape(1);
        if (x is null || x.Count < 3)
            return null;
        int spatial = x.Count - 2;
        long group = ctx.Node.GetInt("group", 1);
        Dim channels = w is { Count: > 1 } && w[1].Value is { } kg ? kg * group : Dim.Unknown;
        var result = new List<Dim> { x[0], channels };
        long[]? kernel = ctx.Node.GetInts("kernel_shape") ?? (w is { } ws && ws.Count == x.Count && ws.Skip(2).All(d => d.IsKnown)
            ? ws.Skip(2).Select(d => d.Value!.Value).ToArray() : null);
        if (ctx.Node.GetInts("output_shape") is { } os)
            return result.Concat(os.Length == spatial && os.All(v => v > 0) ? os.Select(v => new Dim(v)) : Enumerable.Repeat(Dim.Unknown, spatial)).ToList();
        long[] strides = ctx.Node.GetInts("strides") ?? Enumerable.Repeat(1L, spatial).ToArray();
        long[] dilations = ctx.Node.GetInts("dilations") ?? Enumerable.Repeat(1L, spatial).ToArray();
        long[] pads = ctx.Node.GetInts("pads") ?? new long[2 * spatial];
        long[] outputPadding = ctx.Node.GetInts("output_padding") ?? new long[spatial];
        string autoPad = ctx.Node.GetString("auto_pad", "NOTSET");
        if (kernel is null || kernel.Length != spatial || strides.Length != spatial || dilations.Length != spatial
            || pads.Length != 2 * spatial || outputPadding.Length != spatial)
            return result.Concat(Enumerable.Repeat(Dim.Unknown, spatial)).ToList();
        for (int i = 0; i < spatial; ++i)
        {
            if (x[2 + i].Value is not { } size)
            {
                result.Add(Dim.Unknown);
                continue;
            }
            long output = autoPad is "SAME_UPPER" or "SAME_LOWER" ? size * strides[i]
                : strides[i] * (size - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1
                  - (autoPad == "VALID" ? 0 : pads[i] + pads[i + spatial]);
            result.Add(output > 0 ? output : Dim.Unknown);
        }
        return result;
    }
}
