namespace Kerno.Reference.Ops.Tensors;

/// <summary>GridSample and AffineGrid: sampling an image at normalized coordinates, and making such coordinates from affine matrices.</summary>
internal static class GridSampleOps
{
    /// <summary>
    /// GridSample (opset 16: 2-D, modes bilinear/nearest/bicubic; opset 20: N-D, modes linear/nearest/cubic):
    /// for input [N, C, D1..Dr] and grid [N, O1..Ok, r], output[n, c, o] samples input[n, c] at the grid point
    /// (x = grid[..., 0] indexes the last spatial axis). Coordinates in [-1, 1] span the input: the centers of the
    /// corner pixels with align_corners, else their outer edges. Points outside are handled by padding_mode:
    /// zeros, border (clamped) or reflection.
    /// </summary>
    [OnnxOp("GridSample", MinOpset = 16)]
    public static Tensor GridSample(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        Tensor grid = ctx.Input(1);
        string mode = ctx.Node.GetString("mode", ctx.Opset >= 20 ? "linear" : "bilinear") switch
        {
            "bilinear" or "linear" => "linear",
            "bicubic" or "cubic" => "cubic",
            "nearest" => "nearest",
            string m => throw ctx.Fail($"mode '{m}' is not supported"),
        };
        string padding = ctx.Node.GetString("padding_mode", "zeros");
        if (padding is not ("zeros" or "border" or "reflection"))
            throw ctx.Fail($"padding_mode '{padding}' is not supported");
        bool alignCorners = ctx.Node.GetInt("align_corners", 0) != 0;
        int r = x.Rank - 2;
        if (r < 1 || (ctx.Opset < 20 && r != 2))
            throw ctx.Fail($"input {Tensor.FormatShape(x.Shape)} has an unsupported rank at opset {ctx.Opset}");
        if (grid.Rank != r + 2 || grid.Shape[0] != x.Shape[0] || grid.Shape[^1] != r)
            throw ctx.Fail($"grid {Tensor.FormatShape(grid.Shape)} does not fit input {Tensor.FormatShape(x.Shape)}");
        if (mode == "cubic" && r != 2)
            throw ctx.Fail("cubic mode is only defined for 2-D inputs");

        int n = x.Shape[0], channels = x.Shape[1];
        int[] spatial = x.Shape[2..].ToArray();
        int[] outSpatial = grid.Shape[1..^1].ToArray();
        int points = Tensor.ElementCount(outSpatial);
        int pixels = Tensor.ElementCount(spatial);
        int[] strides = Tensor.StridesOf(spatial);
        double[] xs = x.ToDoubleArray();
        double[] gs = grid.ToDoubleArray();
        int[] shape = [n, channels, .. outSpatial];
        var result = new double[Elements.Count(ctx, shape)];

        var coord = new double[r];
        for (int b = 0; b < n; ++b)
            for (int p = 0; p < points; ++p)
            {
                // coord[d] is the (unnormalized) position along spatial axis d.
                for (int d = 0; d < r; ++d)
                    coord[d] = Unnormalize(gs[(b * points + p) * r + (r - 1 - d)], spatial[d], alignCorners);
                for (int c = 0; c < channels; ++c)
                {
                    int baseOffset = (b * channels + c) * pixels;
                    double Pixel(int[] idx)
                    {
                        for (int d = 0; d < r; ++d)
                            if (idx[d] < 0 || idx[d] >= spatial[d])
                                return 0;
                        return xs[baseOffset + Elements.Offset(idx, strides)];
                    }
                    result[(b * channels + c) * points + p] = mode switch
                    {
                        "nearest" => Nearest(coord, spatial, padding, alignCorners, Pixel),
                        "linear" => Linear(coord, spatial, padding, alignCorners, Pixel),
                        _ => Cubic(coord, spatial, padding, alignCorners, Pixel),
                    };
                }
            }
        return Elements.FromDoubles(x.DataType, shape, result);
    }

    private static double Unnormalize(double g, int size, bool alignCorners) =>
        alignCorners ? (g + 1) / 2 * (size - 1) : ((g + 1) * size - 1) / 2;

    /// <summary>Applies the padding mode to a coordinate: border clamps, reflection folds it back inside.</summary>
    private static double Pad(double c, int size, string padding, bool alignCorners)
    {
        if (padding == "border")
            return Math.Clamp(c, 0, size - 1);
        if (padding == "reflection")
        {
            c = alignCorners ? Reflect(c, 0, size - 1) : Reflect(c, -0.5, size - 0.5);
            return Math.Clamp(c, 0, size - 1);
        }
        return c;
    }

    /// <summary>Reflects <paramref name="c"/> back and forth into [lo, hi].</summary>
    private static double Reflect(double c, double lo, double hi)
    {
        double span = hi - lo;
        if (span <= 0)
            return 0;
        double d = Math.Abs(c - lo);
        double flips = Math.Floor(d / span);
        double extra = d - flips * span;
        return flips % 2 == 0 ? lo + extra : hi - extra;
    }

    private static double Nearest(double[] coord, int[] spatial, string padding, bool alignCorners, Func<int[], double> pixel)
    {
        var idx = new int[coord.Length];
        for (int d = 0; d < coord.Length; ++d)
            idx[d] = (int)Math.Round(Pad(coord[d], spatial[d], padding, alignCorners), MidpointRounding.ToEven);
        return pixel(idx);
    }

    private static double Linear(double[] coord, int[] spatial, string padding, bool alignCorners, Func<int[], double> pixel)
    {
        int r = coord.Length;
        var lo = new int[r];
        var frac = new double[r];
        for (int d = 0; d < r; ++d)
        {
            double c = Pad(coord[d], spatial[d], padding, alignCorners);
            lo[d] = (int)Math.Floor(c);
            frac[d] = c - lo[d];
        }
        double sum = 0;
        var idx = new int[r];
        for (int corner = 0; corner < 1 << r; ++corner)
        {
            double w = 1;
            for (int d = 0; d < r; ++d)
            {
                int bit = (corner >> d) & 1;
                idx[d] = lo[d] + bit;
                w *= bit == 1 ? frac[d] : 1 - frac[d];
            }
            if (w != 0)
                sum += w * pixel(idx);
        }
        return sum;
    }

    private static double Cubic(double[] coord, int[] spatial, string padding, bool alignCorners, Func<int[], double> pixel)
    {
        // The 4x4 neighbourhood around the unpadded coordinate; each tap's index is padded on its own.
        const double a = -0.75;
        int r = coord.Length;
        var lo = new int[r];
        var weights = new double[r][];
        for (int d = 0; d < r; ++d)
        {
            lo[d] = (int)Math.Floor(coord[d]) - 1;
            double t = coord[d] - Math.Floor(coord[d]);
            weights[d] = [CubicWeight(t + 1, a), CubicWeight(t, a), CubicWeight(1 - t, a), CubicWeight(2 - t, a)];
        }
        double sum = 0;
        var idx = new int[r];
        int taps = 1 << (2 * r);
        for (int tap = 0; tap < taps; ++tap)
        {
            double w = 1;
            for (int d = 0; d < r; ++d)
            {
                int k = (tap >> (2 * d)) & 3;
                w *= weights[d][k];
                int i = lo[d] + k;
                idx[d] = padding == "zeros" ? i : (int)Pad(i, spatial[d], padding, alignCorners);
            }
            if (w != 0)
                sum += w * pixel(idx);
        }
        return sum;
    }

    private static double CubicWeight(double d, double a)
    {
        d = Math.Abs(d);
        if (d <= 1)
            return ((a + 2) * d - (a + 3)) * d * d + 1;
        if (d < 2)
            return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        return 0;
    }

    /// <summary>
    /// AffineGrid: for theta [N, r, r+1] and size [N, C, D1..Dr] (r = 2 or 3), the grid [N, D1..Dr, r] of
    /// theta · (x, y[, z], 1) over the normalized base coordinates of the output (x along the last axis).
    /// </summary>
    [OnnxOp("AffineGrid", MinOpset = 20)]
    public static Tensor AffineGrid(OpContext ctx)
    {
        Tensor theta = ctx.Input(0);
        long[] size = Elements.Ints(ctx, 1, "size");
        bool alignCorners = ctx.Node.GetInt("align_corners", 0) != 0;
        int r = size.Length - 2;
        if (r is not (2 or 3) || theta.Rank != 3 || theta.Shape[0] != size[0] || theta.Shape[1] != r || theta.Shape[2] != r + 1)
            throw ctx.Fail($"theta {Tensor.FormatShape(theta.Shape)} does not fit size [{string.Join(",", size)}]");
        int n = theta.Shape[0];
        int[] spatial = size[2..].Select(d => Elements.Dim(ctx, d)).ToArray();
        int points = Tensor.ElementCount(spatial);
        double[] th = theta.ToDoubleArray();
        int[] shape = [n, .. spatial, r];
        var result = new double[Elements.Count(ctx, shape)];
        var basis = new double[r + 1];
        for (int b = 0; b < n; ++b)
            Elements.ForEachIndex(spatial, (idx, p) =>
            {
                // basis = (x, y[, z], 1) with x along the last spatial axis.
                for (int d = 0; d < r; ++d)
                    basis[d] = Linspace(idx[r - 1 - d], spatial[r - 1 - d], alignCorners);
                basis[r] = 1;
                for (int row = 0; row < r; ++row)
                {
                    double v = 0;
                    for (int k = 0; k <= r; ++k)
                        v += th[(b * r + row) * (r + 1) + k] * basis[k];
                    result[(b * points + p) * r + row] = v;
                }
            });
        return Elements.FromDoubles(theta.DataType, shape, result);
    }

    /// <summary>The normalized coordinate of position <paramref name="i"/> of <paramref name="n"/> in [-1, 1].</summary>
    private static double Linspace(int i, int n, bool alignCorners)
    {
        if (n <= 1)
            return 0;
        return alignCorners ? -1 + 2.0 * i / (n - 1) : (2.0 * i + 1) / n - 1;
    }
}
