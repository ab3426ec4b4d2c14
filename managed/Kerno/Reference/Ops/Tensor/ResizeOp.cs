using Kerno.Graph;

namespace Kerno.Reference.Ops.Tensors;

/// <summary>Resize and the older Upsample: nearest, (multi)linear and cubic interpolation over any axes.</summary>
internal static class ResizeOp
{
    /// <summary>Everything that decides how one axis is resampled.</summary>
    private sealed record Settings(
        string Mode,
        string CoordinateMode,
        string NearestMode,
        double CubicA,
        bool ExcludeOutside,
        double Extrapolation,
        bool Antialias);

    /// <summary>
    /// Resize (opsets 10, 11, 13, 18, 19): output size from 'sizes' (with keep_aspect_ratio_policy) or
    /// floor(input * scale); each output coordinate is mapped back to the input by coordinate_transformation_mode
    /// and sampled with the nearest (nearest_mode), linear or cubic (cubic_coeff_a, exclude_outside) filter,
    /// stretched by 1/scale when antialias is set and downscaling. Opset 10 is asymmetric with floor rounding.
    /// </summary>
    [OnnxOp("Resize", MinOpset = 10)]
    public static Tensor Resize(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        int rank = x.Rank;
        Node node = ctx.Node;
        string mode = node.GetString("mode", "nearest");
        if (ctx.Opset < 11)
        {
            // Resize-10 has no rounding attribute; nearest truncates when upsampling and rounds up when downsampling.
            var legacy = new Settings(mode, "asymmetric", "legacy", -0.75, false, 0, false);
            if (mode is not ("nearest" or "linear"))
                throw ctx.Fail($"mode '{mode}' is not supported at opset {ctx.Opset}");
            double[] sc = ctx.Input(1).ToDoubleArray();
            return Run(ctx, x, Enumerable.Range(0, rank).ToArray(), sc, OutputSizes(ctx, x, Enumerable.Range(0, rank).ToArray(), sc, null), null, legacy);
        }

        var settings = new Settings(
            mode,
            node.GetString("coordinate_transformation_mode", "half_pixel"),
            node.GetString("nearest_mode", "round_prefer_floor"),
            node.GetFloat("cubic_coeff_a", -0.75f),
            node.GetInt("exclude_outside", 0) != 0,
            node.GetFloat("extrapolation_value", 0f),
            ctx.Opset >= 18 && node.GetInt("antialias", 0) != 0);
        CheckSettings(ctx, settings);

        int[] axes = ctx.Opset >= 18 && node.GetInts("axes") is { } ax
            ? Elements.Axes(ctx, ax, rank)
            : Enumerable.Range(0, rank).ToArray();
        int n = axes.Length;
        double[]? roi = ctx.HasInput(1) && ctx.Input(1).Length > 0 ? ctx.Input(1).ToDoubleArray() : null;
        if (roi is not null && roi.Length != 2 * n)
            throw ctx.Fail($"roi has {roi.Length} values but {2 * n} are needed for {n} axes");
        double[]? scales = ctx.HasInput(2) && ctx.Input(2).Length > 0 ? ctx.Input(2).ToDoubleArray() : null;
        long[]? sizes = ctx.HasInput(3) && ctx.Input(3).Length > 0 ? Elements.Ints(ctx, 3, "sizes") : null;
        if ((scales is null) == (sizes is null))
            throw ctx.Fail("exactly one of 'scales' and 'sizes' must be given");
        if (settings.CoordinateMode != "tf_crop_and_resize")
            roi = null;

        int[] outSizes;
        if (sizes is not null)
        {
            if (sizes.Length != n)
                throw ctx.Fail($"sizes has {sizes.Length} values for {n} axes");
            string policy = ctx.Opset >= 18 ? node.GetString("keep_aspect_ratio_policy", "stretch") : "stretch";
            scales = new double[n];
            outSizes = new int[n];
            if (policy == "stretch")
            {
                for (int i = 0; i < n; ++i)
                {
                    outSizes[i] = Elements.Dim(ctx, sizes[i], "size");
                    scales[i] = (double)sizes[i] / x.Shape[axes[i]];
                }
            }
            else if (policy is "not_larger" or "not_smaller")
            {
                double[] ratios = Enumerable.Range(0, n).Select(i => (double)sizes[i] / x.Shape[axes[i]]).ToArray();
                double scale = policy == "not_larger" ? ratios.Min() : ratios.Max();
                for (int i = 0; i < n; ++i)
                {
                    scales[i] = scale;
                    outSizes[i] = Elements.Dim(ctx, (long)Math.Floor(scale * x.Shape[axes[i]] + 0.5), "size");
                }
            }
            else
                throw ctx.Fail($"keep_aspect_ratio_policy '{policy}' is not supported");
        }
        else
        {
            if (scales!.Length != n)
                throw ctx.Fail($"scales has {scales.Length} values for {n} axes");
            outSizes = OutputSizes(ctx, x, axes, scales, roi);
        }
        return Run(ctx, x, axes, scales, outSizes, roi, settings);
    }

    /// <summary>Upsample (opsets 7-9, deprecated): asymmetric nearest (floor) or linear resampling by 'scales' (attribute before opset 9, input after).</summary>
    [OnnxOp("Upsample", MinOpset = 7)]
    public static Tensor Upsample(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        string mode = ctx.Node.GetString("mode", "nearest");
        if (mode == "bilinear")
            mode = "linear";
        double[] scales = ctx.Opset < 9
            ? (ctx.Node.GetFloats("scales") ?? throw ctx.Fail("attribute 'scales' is required")).Select(f => (double)f).ToArray()
            : ctx.Input(1).ToDoubleArray();
        int[] axes = Enumerable.Range(0, x.Rank).ToArray();
        var settings = new Settings(mode, "asymmetric", "floor", -0.75, false, 0, false);
        CheckSettings(ctx, settings);
        return Run(ctx, x, axes, scales, OutputSizes(ctx, x, axes, scales, null), null, settings);
    }

    private static void CheckSettings(OpContext ctx, Settings s)
    {
        if (s.Mode is not ("nearest" or "linear" or "cubic"))
            throw ctx.Fail($"mode '{s.Mode}' is not supported");
        string[] modes = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize"];
        if (!modes.Contains(s.CoordinateMode)
            && !(s.CoordinateMode == "tf_half_pixel_for_nn" && ctx.Opset < 18)
            && !(s.CoordinateMode == "half_pixel_symmetric" && ctx.Opset >= 19))
            throw ctx.Fail($"coordinate_transformation_mode '{s.CoordinateMode}' is not supported at opset {ctx.Opset}");
        if (s.NearestMode is not ("round_prefer_floor" or "round_prefer_ceil" or "floor" or "ceil"))
            throw ctx.Fail($"nearest_mode '{s.NearestMode}' is not supported");
    }

    /// <summary>floor(input * scale), times the roi extent for tf_crop_and_resize.</summary>
    private static int[] OutputSizes(OpContext ctx, Tensor x, int[] axes, double[] scales, double[]? roi)
    {
        if (scales.Length != axes.Length)
            throw ctx.Fail($"scales has {scales.Length} values for {axes.Length} axes");
        var result = new int[axes.Length];
        for (int i = 0; i < axes.Length; ++i)
        {
            if (!(scales[i] > 0))
                throw ctx.Fail($"scale {scales[i]} must be positive");
            double extent = roi is null ? 1 : roi[axes.Length + i] - roi[i];
            result[i] = Elements.Dim(ctx, (long)Math.Floor(x.Shape[axes[i]] * extent * scales[i]), "output size");
        }
        return result;
    }

    private static Tensor Run(OpContext ctx, Tensor x, int[] axes, double[] scales, int[] outSizes, double[]? roi, Settings s)
    {
        int rank = x.Rank;
        int[] shape = x.Shape.ToArray();
        // Per axis: the input coordinate of each output position (NaN = extrapolate).
        var coords = new double[rank][];
        var axisScale = new double[rank];
        for (int a = 0; a < rank; ++a)
        {
            coords[a] = Enumerable.Range(0, shape[a]).Select(i => (double)i).ToArray();
            axisScale[a] = 1;
        }
        for (int i = 0; i < axes.Length; ++i)
        {
            int a = axes[i];
            double start = roi?[i] ?? 0, end = roi?[axes.Length + i] ?? 1;
            axisScale[a] = scales[i];
            coords[a] = Enumerable.Range(0, outSizes[i])
                .Select(o => OriginalCoordinate(s.CoordinateMode, o, scales[i], x.Shape[a], outSizes[i], start, end))
                .ToArray();
            shape[a] = outSizes[i];
        }
        // Refuse an output over the limits before filtering: the separable filter's intermediates can stay under
        // them while the last axis would not, and computing them first took tens of seconds (a fuzz finding).
        Elements.Count(ctx, shape);

        if (s.Mode == "nearest")
        {
            // Nearest moves elements: an index map works for every element type.
            int[] inStrides = Tensor.StridesOf(x.Shape);
            var index = new int[rank][];
            for (int a = 0; a < rank; ++a)
                index[a] = coords[a].Select(c => NearestIndex(c, x.Shape[a], axisScale[a], s)).ToArray();
            var map = new int[Elements.Count(ctx, shape)];
            Elements.ForEachIndex(shape, (idx, flat) =>
            {
                int o = 0;
                for (int a = 0; a < rank; ++a)
                {
                    int k = index[a][idx[a]];
                    if (k < 0)
                    {
                        o = -1;
                        break;
                    }
                    o += k * inStrides[a];
                }
                map[flat] = o;
            });
            Tensor? fill = map.Contains(-1) ? Elements.FromDoubles(x.DataType, [1], [s.Extrapolation]) : null;
            return Elements.Take(x, shape, map, fill);
        }

        // Linear and cubic are separable: filter one axis at a time, last axis first (so that an extrapolated
        // value on an inner axis is weighted by the outer axes, as in the nested per-axis definition).
        double[] data = x.ToDoubleArray();
        int[] cur = x.Shape.ToArray();
        for (int a = rank - 1; a >= 0; --a)
        {
            if (!axes.Contains(a))
                continue;
            data = FilterAxis(data, cur, a, coords[a], axisScale[a], s);
            cur[a] = coords[a].Length;
        }
        Func<double, double> round = Math.Round;
        return Elements.FromDoubles(x.DataType, shape, data, round);
    }

    /// <summary>
    /// The input coordinate of output position <paramref name="o"/> (NaN where tf_crop_and_resize leaves the input).
    /// As in the ONNX reference, the "resized length" of align_corners and pytorch_half_pixel is the unrounded input
    /// length times the scale; tf_crop_and_resize uses the output size (the crop's sample count).
    /// </summary>
    private static double OriginalCoordinate(string mode, int o, double scale, int inLen, int outLen, double roiStart, double roiEnd)
    {
        double resized = inLen * scale;
        switch (mode)
        {
            case "half_pixel":
                return (o + 0.5) / scale - 0.5;
            case "half_pixel_symmetric":
            {
                double adjustment = outLen / (scale * inLen);
                double center = inLen / 2.0;
                double offset = center * (1 - adjustment);
                return offset + (o + 0.5) / scale - 0.5;
            }
            case "pytorch_half_pixel":
                return resized > 1 ? (o + 0.5) / scale - 0.5 : 0;
            case "align_corners":
                return resized == 1 ? 0 : o * (inLen - 1.0) / (resized - 1.0);
            case "asymmetric":
                return o / scale;
            case "tf_half_pixel_for_nn":
                return (o + 0.5) / scale;
            case "tf_crop_and_resize":
            {
                double c = outLen > 1
                    ? roiStart * (inLen - 1) + o * (roiEnd - roiStart) * (inLen - 1) / (outLen - 1)
                    : 0.5 * (roiStart + roiEnd) * (inLen - 1);
                return c < 0 || c > inLen - 1 ? double.NaN : c;
            }
            default:
                throw new InvalidOperationException(mode);
        }
    }

    /// <summary>The input index nearest to coordinate <paramref name="c"/>, clamped; -1 to extrapolate.</summary>
    private static int NearestIndex(double c, int len, double scale, Settings s)
    {
        if (double.IsNaN(c))
            return -1;
        double r = s.NearestMode switch
        {
            "legacy" => scale < 1 ? Math.Ceiling(c) : Math.Floor(c),
            "floor" => Math.Floor(c),
            "ceil" => Math.Ceiling(c),
            "round_prefer_ceil" => c - Math.Floor(c) == 0.5 ? Math.Ceiling(c) : Math.Round(c),
            _ => c - Math.Floor(c) == 0.5 ? Math.Floor(c) : Math.Round(c),
        };
        return (int)Math.Clamp(r, 0, len - 1);
    }

    /// <summary>The linear (tent) or Keys cubic kernel at distance <paramref name="d"/>.</summary>
    private static double Kernel(string mode, double d, double a)
    {
        d = Math.Abs(d);
        if (mode == "linear")
            return Math.Max(0, 1 - d);
        if (d <= 1)
            return ((a + 2) * d - (a + 3)) * d * d + 1;
        if (d < 2)
            return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        return 0;
    }

    /// <summary>Resamples axis <paramref name="axis"/> of a row-major array to the given coordinates.</summary>
    private static double[] FilterAxis(double[] data, int[] shape, int axis, double[] coords, double scale, Settings s)
    {
        int len = shape[axis];
        int outer = Tensor.ElementCount(shape.AsSpan(0, axis));
        int inner = Tensor.ElementCount(shape.AsSpan(axis + 1));
        int outLen = coords.Length;
        var result = new double[outer * outLen * inner];

        // Filter support: the tent reaches 1 input step, the cubic 2; antialiasing stretches both by 1/scale.
        double support = s.Mode == "linear" ? 1 : 2;
        double kscale = s.Antialias ? Math.Min(scale, 1) : 1;
        int start = (int)Math.Floor(-support / kscale) + 1;
        int end = 1 - start; // offsets start .. end inclusive around floor(c)
        for (int o = 0; o < outLen; ++o)
        {
            double c = coords[o];
            var taps = new List<(int Index, double Weight)>();
            if (!double.IsNaN(c))
            {
                double f = Math.Floor(c);
                double total = 0;
                for (int k = start; k <= end; ++k)
                {
                    long i = (long)f + k;
                    double w = Kernel(s.Mode, (i - c) * kscale, s.CubicA);
                    if (s.ExcludeOutside && (i < 0 || i >= len))
                        w = 0;
                    if (w == 0)
                        continue;
                    taps.Add(((int)Math.Clamp(i, 0, len - 1), w));
                    total += w;
                }
                for (int t = 0; t < taps.Count; ++t)
                    taps[t] = (taps[t].Index, taps[t].Weight / total);
            }
            for (int b = 0; b < outer; ++b)
                for (int j = 0; j < inner; ++j)
                {
                    double v;
                    if (double.IsNaN(c))
                        v = s.Extrapolation;
                    else
                    {
                        v = 0;
                        foreach ((int i, double w) in taps)
                            v += w * data[(b * len + i) * inner + j];
                    }
                    result[(b * outLen + o) * inner + j] = v;
                }
        }
        return result;
    }
}
