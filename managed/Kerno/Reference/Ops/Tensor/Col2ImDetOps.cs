namespace Kerno.Reference.Ops.Tensors;

/// <summary>Col2Im (columns back into an image, summing overlaps) and Det (determinants of square matrices).</summary>
internal static class Col2ImDetOps
{
    /// <summary>
    /// Col2Im: input [N, C * prod(block_shape), L], where L counts the sliding block positions over the padded
    /// image; every column entry is added into output [N, C, image_shape...] at its block position (with
    /// dilations, pads [begin..., end...] and strides).
    /// </summary>
    [OnnxOp("Col2Im", MinOpset = 18)]
    public static Tensor Col2Im(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        int[] image = Elements.Ints(ctx, 1, "image_shape").Select(d => Elements.Dim(ctx, d)).ToArray();
        int[] block = Elements.Ints(ctx, 2, "block_shape").Select(d => Elements.Dim(ctx, d)).ToArray();
        int r = image.Length;
        if (block.Length != r || r == 0)
            throw ctx.Fail($"image_shape and block_shape must have the same non-zero length");
        long[] dil = ctx.Node.GetInts("dilations") ?? Enumerable.Repeat(1L, r).ToArray();
        long[] pads = ctx.Node.GetInts("pads") ?? new long[2 * r];
        long[] str = ctx.Node.GetInts("strides") ?? Enumerable.Repeat(1L, r).ToArray();
        if (dil.Length != r || pads.Length != 2 * r || str.Length != r)
            throw ctx.Fail("dilations, pads and strides must match the number of spatial axes");
        if (x.Rank != 3)
            throw ctx.Fail($"input must be 3-D [N, C*prod(block), L], got {Tensor.FormatShape(x.Shape)}");
        int blockSize = Tensor.ElementCount(block);
        if (blockSize == 0 || x.Shape[1] % blockSize != 0)
            throw ctx.Fail($"input channels {x.Shape[1]} are not a multiple of the block size {blockSize}");
        int n = x.Shape[0], channels = x.Shape[1] / blockSize;
        // Sliding positions per axis.
        var positions = new int[r];
        for (int d = 0; d < r; ++d)
        {
            long span = image[d] + pads[d] + pads[r + d] - dil[d] * (block[d] - 1) - 1;
            positions[d] = span < 0 ? 0 : (int)(span / str[d] + 1);
        }
        if (Tensor.ElementCount(positions) != x.Shape[2])
            throw ctx.Fail($"input has {x.Shape[2]} block positions but the image, block and attributes give {Tensor.ElementCount(positions)}");
        int locations = x.Shape[2];
        int pixels = Tensor.ElementCount(image);
        int[] imageStrides = Tensor.StridesOf(image);
        double[] xs = x.ToDoubleArray();
        int[] shape = [n, channels, .. image];
        var result = new double[Elements.Count(ctx, shape)];
        var pos = new int[r];
        for (int b = 0; b < n; ++b)
            for (int c = 0; c < channels; ++c)
                Elements.ForEachIndex(block, (k, kFlat) =>
                {
                    int row = (b * channels + c) * blockSize + kFlat;
                    Elements.ForEachIndex(positions, (l, lFlat) =>
                    {
                        for (int d = 0; d < r; ++d)
                        {
                            long p = l[d] * str[d] - pads[d] + k[d] * dil[d];
                            if (p < 0 || p >= image[d])
                                return;
                            pos[d] = (int)p;
                        }
                        result[(b * channels + c) * pixels + Elements.Offset(pos, imageStrides)] += xs[row * locations + lFlat];
                    });
                });
        return Elements.FromDoubles(x.DataType, shape, result);
    }

    /// <summary>Det: the determinant of each trailing [M, M] matrix (LU decomposition with partial pivoting).</summary>
    [OnnxOp("Det", MinOpset = 11)]
    public static Tensor Det(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        if (x.Rank < 2 || x.Shape[^1] != x.Shape[^2])
            throw ctx.Fail($"input must be [..., M, M], got {Tensor.FormatShape(x.Shape)}");
        if (!DataTypes.IsFloatingPoint(x.DataType))
            throw ctx.Fail($"Det needs a floating-point input, got {DataTypes.OnnxName(x.DataType)}");
        int m = x.Shape[^1];
        int[] shape = x.Shape[..^2].ToArray();
        int count = Tensor.ElementCount(shape);
        double[] xs = x.ToDoubleArray();
        var result = new double[count];
        var a = new double[m * m];
        for (int k = 0; k < count; ++k)
        {
            Array.Copy(xs, k * m * m, a, 0, m * m);
            result[k] = Determinant(a, m);
        }
        return Elements.FromDoubles(x.DataType, shape, result);
    }

    private static double Determinant(double[] a, int m)
    {
        double det = 1;
        for (int col = 0; col < m; ++col)
        {
            int pivot = col;
            for (int row = col + 1; row < m; ++row)
                if (Math.Abs(a[row * m + col]) > Math.Abs(a[pivot * m + col]))
                    pivot = row;
            if (a[pivot * m + col] == 0)
                return 0;
            if (pivot != col)
            {
                for (int j = 0; j < m; ++j)
                    (a[col * m + j], a[pivot * m + j]) = (a[pivot * m + j], a[col * m + j]);
                det = -det;
            }
            double p = a[col * m + col];
            det *= p;
            for (int row = col + 1; row < m; ++row)
            {
                double f = a[row * m + col] / p;
                for (int j = col; j < m; ++j)
                    a[row * m + j] -= f * a[col * m + j];
            }
        }
        return det;
    }
}
