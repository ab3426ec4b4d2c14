namespace Kerno.Graph.ShapeInference;

/// <summary>Shape rules for MatMul, Gemm, Conv and pooling.</summary>
internal static class LinearRules
{
    public static void Register(Dictionary<string, ShapeRule> table)
    {
        table["MatMul"] = ctx => [InferenceContext.Make(ctx.ElementType(0), MatMul(ctx.Shape(0), ctx.Shape(1)))];
        table["Gemm"] = Gemm;
        table["Conv"] = ctx => [InferenceContext.Make(ctx.ElementType(0), Conv(ctx, channelsFromWeight: true))];
        foreach (string op in new[] { "MaxPool", "AveragePool", "LpPool" })
            table[op] = ctx => [InferenceContext.Make(ctx.ElementType(0), Conv(ctx, channelsFromWeight: false)),
                InferenceContext.Make(DataType.Int64, Conv(ctx, channelsFromWeight: false))];
        foreach (string op in new[] { "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool" })
            table[op] = ctx => [InferenceContext.Make(ctx.ElementType(0), ctx.Shape(0) is { Count: >= 2 } s
                ? s.Take(2).Concat(Enumerable.Repeat(new Dim(1), s.Count - 2)).ToList() : null)];
    }

    private static IReadOnlyList<Dim>? MatMul(IReadOnlyList<Dim>? a, IReadOnlyList<Dim>? b)
    {
        if (a is null || b is null || a.Count == 0 || b.Count == 0)
            return null;
        // 1-D operands are promoted (a to [1,K], b to [K,1]) and the added axis removed afterwards.
        var aa = a.Count == 1 ? new List<Dim> { 1, a[0] } : a.ToList();
        var bb = b.Count == 1 ? new List<Dim> { b[0], 1 } : b.ToList();
        Dim k1 = aa[^1], k2 = bb[^2];
        if (k1.IsKnown && k2.IsKnown && k1.Value != k2.Value)
            throw new ArgumentException($"MatMul inner dimensions {k1} and {k2} differ");
        IReadOnlyList<Dim>? batch = Dims.Broadcast([aa.Take(aa.Count - 2).ToList(), bb.Take(bb.Count - 2).ToList()]);
        var result = batch!.ToList();
        if (a.Count > 1)
            result.Add(aa[^2]);
        if (b.Count > 1)
            result.Add(bb[^1]);
        return result;
    }

    private static TypeInfo?[] Gemm(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? a = ctx.Shape(0), b = ctx.Shape(1);
        if (a is not { Count: 2 } || b is not { Count: 2 })
            return [InferenceContext.Make(ctx.ElementType(0), null)];
        Dim m = ctx.Node.GetInt("transA", 0) != 0 ? a[1] : a[0];
        Dim n = ctx.Node.GetInt("transB", 0) != 0 ? b[0] : b[1];
        return [InferenceContext.Make(ctx.ElementType(0), [m, n])];
    }

    /// <summary>Output shape of Conv and pooling: [N, C or M, spatial...] from kernel, strides, pads, dilations, auto_pad, ceil_mode.</summary>
    private static IReadOnlyList<Dim>? Conv(InferenceContext ctx, bool channelsFromWeight)
    {
        IReadOnlyList<Dim>? x = ctx.Shape(0);
        if (x is null || x.Count < 3)
            return null;
        int spatial = x.Count - 2;
        long[]? kernel = ctx.Node.GetInts("kernel_shape");
        IReadOnlyList<Dim>? w = ctx.Shape(1);
        if (kernel is null && channelsFromWeight && w is { } ws && ws.Count == x.Count && ws.Skip(2).All(d => d.IsKnown))
            kernel = ws.Skip(2).Select(d => d.Value!.Value).ToArray();
        Dim channels = channelsFromWeight ? (w is { Count: > 0 } ? w[0] : Dim.Unknown) : x[1];
        var result = new List<Dim> { x[0], channels };
        if (kernel is null || kernel.Length != spatial)
            return result.Concat(Enumerable.Repeat(Dim.Unknown, spatial)).ToList();
        long[] strides = ctx.Node.GetInts("strides") ?? Enumerable.Repeat(1L, spatial).ToArray();
        long[] dilations = ctx.Node.GetInts("dilations") ?? Enumerable.Repeat(1L, spatial).ToArray();
        long[] pads = ctx.Node.GetInts("pads") ?? new long[2 * spatial];
        string autoPad = ctx.Node.GetString("auto_pad", "NOTSET");
        bool ceil = ctx.Node.GetInt("ceil_mode", 0) != 0;
        if (strides.Length != spatial || dilations.Length != spatial || pads.Length != 2 * spatial)
            throw new KernoModelException(ctx.Node, $"strides/dilations/pads have {strides.Length}/{dilations.Length}/{pads.Length} values, expected {spatial}/{spatial}/{2 * spatial}");
        for (int i = 0; i < spatial; ++i)
        {
            // Checked here so a hostile model is refused at load instead of dividing by zero or overflowing.
            if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 || pads[i + spatial] < 0
                || kernel[i] > int.MaxValue || strides[i] > int.MaxValue || dilations[i] > int.MaxValue
                || pads[i] > int.MaxValue || pads[i + spatial] > int.MaxValue)
                throw new KernoModelException(ctx.Node, $"kernel {kernel[i]}, stride {strides[i]}, dilation {dilations[i]} and pads {pads[i]}, {pads[i + spatial]} along spatial axis {i} are out of range");
        }
        for (int i = 0; i < spatial; ++i)
        {
            Dim input = x[2 + i];
            if (!input.IsKnown)
            {
                result.Add(Dim.Unknown);
                continue;
            }
            long size = input.Value!.Value;
            long effective = (kernel[i] - 1) * dilations[i] + 1;
            long output = autoPad switch
            {
                "SAME_UPPER" or "SAME_LOWER" => (size + strides[i] - 1) / strides[i],
                "VALID" => (size - effective) / strides[i] + 1,
                _ => Out(size + pads[i] + pads[i + spatial] - effective, strides[i], ceil),
            };
            // With ceil_mode the last window must still start inside the input or its left padding.
            if (ceil && autoPad is not ("SAME_UPPER" or "SAME_LOWER" or "VALID") && (output - 1) * strides[i] >= size + pads[i])
                output--;
            long padded = autoPad switch { "SAME_UPPER" or "SAME_LOWER" => effective, "VALID" => size, _ => size + pads[i] + pads[i + spatial] };
            if (padded < effective)
                throw new KernoModelException(ctx.Node, $"window {effective} is larger than the padded input {padded} along spatial axis {i}");
            result.Add(output);
        }
        return result;
    }

    private static long Out(long span, long stride, bool ceil) =>
        (ceil ? (span + stride - 1) / stride : span / stride) + 1;
}
