namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>Conv, ConvTranspose and ConvInteger: im2col / col2im around a double-precision GEMM.</summary>
internal static class Conv
{
    /// <summary>Result of a convolution in double: elements and shape.</summary>
    internal readonly record struct Result(double[] Data, int[] Shape);

    [OnnxOp("Conv")]
    private static Tensor ConvOp(OpContext ctx)
    {
        Tensor x = ctx.Input(0), w = ctx.Input(1);
        NNUtil.RequireFloat(ctx, x, "X");
        Tensor? b = ctx.OptionalInput(2);
        Result r = Forward(ctx, x.ToDoubleArray(), NNUtil.ShapeOf(x), w.ToDoubleArray(), NNUtil.ShapeOf(w), b?.ToDoubleArray());
        return NNUtil.FromDoubles(x.DataType, r.Data, r.Shape);
    }

    [OnnxOp("ConvInteger")]
    private static Tensor ConvInteger(OpContext ctx)
    {
        Tensor x = ctx.Input(0), w = ctx.Input(1);
        double[] xd = x.ToDoubleArray(), wd = w.ToDoubleArray();
        int[] ws = NNUtil.ShapeOf(w);
        if (ctx.OptionalInput(2) is { } xz)
        {
            if (xz.Length != 1)
                throw ctx.Fail("x_zero_point must be a scalar");
            double z = xz.ToDoubleArray()[0];
            for (int i = 0; i < xd.Length; ++i)
                xd[i] -= z;
        }
        if (ctx.OptionalInput(3) is { } wz)
            SubtractPerChannel(ctx, wd, ws, wz.ToDoubleArray());
        Result r = Forward(ctx, xd, NNUtil.ShapeOf(x), wd, ws, null);
        return NNUtil.FromDoubles(DataType.Int32, r.Data, r.Shape);
    }

    [OnnxOp("QLinearConv")]
    private static Tensor QLinearConv(OpContext ctx)
    {
        Tensor x = ctx.Input(0), w = ctx.Input(3), yz = ctx.Input(7);
        double[] xd = Quantize.DequantizeRaw(x), wd = Quantize.DequantizeRaw(w);
        int[] ws = NNUtil.ShapeOf(w);
        double[] xz = Quantize.DequantizeRaw(ctx.Input(2));
        if (xz.Length != 1)
            throw ctx.Fail("x_zero_point must be a scalar");
        for (int i = 0; i < xd.Length; ++i)
            xd[i] -= xz[0];
        SubtractPerChannel(ctx, wd, ws, Quantize.DequantizeRaw(ctx.Input(5)));
        double[]? bias = ctx.OptionalInput(8)?.ToDoubleArray();
        Result r = Forward(ctx, xd, NNUtil.ShapeOf(x), wd, ws, bias);
        double xs = MatMul.Scalar(ctx, ctx.Input(1).ToDoubleArray(), "x_scale"), ys = MatMul.Scalar(ctx, ctx.Input(6).ToDoubleArray(), "y_scale");
        double[] wsc = ctx.Input(4).ToDoubleArray();
        double zy = MatMul.Scalar(ctx, Quantize.DequantizeRaw(yz), "y_zero_point");
        int M = r.Shape[1], P = NNUtil.Product(r.Shape.AsSpan(2));
        if (wsc.Length != 1 && wsc.Length != M)
            throw ctx.Fail($"w_scale has {wsc.Length} values, expected 1 or {M} (one per output channel)");
        for (int i = 0; i < r.Data.Length; ++i)
        {
            int m = i / P % M;
            float s = (float)xs * (float)wsc[wsc.Length == 1 ? 0 : m] / (float)ys;
            r.Data[i] = Math.Round((float)(r.Data[i] * s), MidpointRounding.ToEven) + zy;
        }
        return Quantize.Saturate(ctx, yz.DataType, r.Data, r.Shape);
    }

    /// <summary>Subtracts a scalar or per-output-channel (axis 0) zero point from weights.</summary>
    internal static void SubtractPerChannel(OpContext ctx, double[] w, int[] shape, double[] zp)
    {
        if (shape.Length == 0)
            throw ctx.Fail("W must have rank 1 or more, got a scalar");
        int m = shape[0];
        int per = m == 0 ? 0 : w.Length / m;
        if (zp.Length != 1 && zp.Length != m)
            throw ctx.Fail($"weight zero point has {zp.Length} values, expected 1 or {m}");
        for (int i = 0; i < w.Length; ++i)
            w[i] -= zp.Length == 1 ? zp[0] : zp[i / per];
    }

    /// <summary>The forward convolution of X [N,C,...] with W [M,C/group,...] plus optional bias.</summary>
    internal static Result Forward(OpContext ctx, double[] x, int[] xs, double[] w, int[] wsh, double[]? bias)
    {
        if (xs.Length < 3)
            throw ctx.Fail($"X must have rank 3 or more, got shape {Tensor.FormatShape(xs)}");
        if (wsh.Length != xs.Length)
            throw ctx.Fail($"W rank {wsh.Length} does not match X rank {xs.Length}");
        int rank = xs.Length - 2;
        int N = xs[0], C = xs[1], M = wsh[0];
        int group = (int)ctx.Node.GetInt("group", 1);
        if (group <= 0 || C % group != 0 || M % group != 0 || wsh[1] != C / group)
            throw ctx.Fail($"X {Tensor.FormatShape(xs)} and W {Tensor.FormatShape(wsh)} do not agree with group={group}");
        int[] kernel = NNUtil.Ints(ctx, "kernel_shape") ?? wsh[2..];
        if (!kernel.AsSpan().SequenceEqual(wsh.AsSpan(2)))
            throw ctx.Fail($"kernel_shape {Tensor.FormatShape(kernel)} does not match W {Tensor.FormatShape(wsh)}");
        int[] strides = NNUtil.Ints(ctx, "strides") ?? NNUtil.Repeat(rank, 1);
        int[] dilations = NNUtil.Ints(ctx, "dilations") ?? NNUtil.Repeat(rank, 1);
        if (strides.Length != rank || dilations.Length != rank)
            throw ctx.Fail("strides/dilations length does not match the spatial rank");
        int[] inSp = xs[2..];
        int[] outSp = NNUtil.WindowOutput(ctx, inSp, kernel, strides, dilations, out int[] pb, out _);
        int inSize = NNUtil.Product(inSp), P = NNUtil.Product(outSp), Ks = NNUtil.Product(kernel);
        int Cg = C / group, Mg = M / group, Kdim = Cg * Ks;
        if (bias is not null && bias.Length != M)
            throw ctx.Fail($"B has {bias.Length} values, expected {M}");
        int[] ys = [N, M, .. outSp];
        var y = new double[N * M * P];
        bool direct = Ks == 1 && strides.All(s => s == 1) && pb.All(p => p == 0) && P == inSize;
        int[]? table = direct ? null : NNUtil.WindowTable(inSp, outSp, kernel, strides, dilations, pb);
        double[] col = direct ? [] : new double[Kdim * P];
        for (int n = 0; n < N; ++n)
            for (int g = 0; g < group; ++g)
            {
                int xBase = (n * C + g * Cg) * inSize;
                ReadOnlySpan<double> bMat;
                if (direct)
                    bMat = x.AsSpan(xBase, Cg * inSize);
                else
                {
                    for (int c = 0; c < Cg; ++c)
                    {
                        int xc = xBase + c * inSize;
                        for (int kk = 0; kk < Ks; ++kk)
                        {
                            int row = (c * Ks + kk) * P;
                            for (int p = 0; p < P; ++p)
                            {
                                int off = table![p * Ks + kk];
                                col[row + p] = off < 0 ? 0 : x[xc + off];
                            }
                        }
                    }
                    bMat = col;
                }
                Span<double> yg = y.AsSpan((n * M + g * Mg) * P, Mg * P);
                NNUtil.Gemm(Mg, P, Kdim, w.AsSpan(g * Mg * Kdim, Mg * Kdim), Kdim, bMat, P, yg, P, false);
            }
        if (bias is not null)
            for (int n = 0; n < N; ++n)
                for (int m = 0; m < M; ++m)
                {
                    Span<double> s = y.AsSpan((n * M + m) * P, P);
                    double bv = bias[m];
                    for (int i = 0; i < s.Length; ++i)
                        s[i] += bv;
                }
        return new Result(y, ys);
    }

    [OnnxOp("ConvTranspose")]
    private static Tensor ConvTranspose(OpContext ctx)
    {
        Tensor xt = ctx.Input(0), wt = ctx.Input(1);
        NNUtil.RequireFloat(ctx, xt, "X");
        int[] xs = NNUtil.ShapeOf(xt), wsh = NNUtil.ShapeOf(wt);
        if (xs.Length < 3 || wsh.Length != xs.Length)
            throw ctx.Fail($"X {Tensor.FormatShape(xs)} and W {Tensor.FormatShape(wsh)} have bad ranks");
        int rank = xs.Length - 2;
        int group = (int)ctx.Node.GetInt("group", 1);
        int N = xs[0], C = xs[1];
        if (group <= 0 || C % group != 0 || wsh[0] != C)
            throw ctx.Fail($"X {Tensor.FormatShape(xs)} and W {Tensor.FormatShape(wsh)} do not agree with group={group}");
        int Cg = C / group, Mg = wsh[1], M = Mg * group;
        int[] kernel = NNUtil.Ints(ctx, "kernel_shape") ?? wsh[2..];
        int[] strides = NNUtil.Ints(ctx, "strides") ?? NNUtil.Repeat(rank, 1);
        int[] dilations = NNUtil.Ints(ctx, "dilations") ?? NNUtil.Repeat(rank, 1);
        int[] outPad = NNUtil.Ints(ctx, "output_padding") ?? NNUtil.Repeat(rank, 0);
        int[]? outShapeAttr = NNUtil.Ints(ctx, "output_shape");
        int[]? pads = NNUtil.Ints(ctx, "pads");
        string autoPad = ctx.Node.GetString("auto_pad", "NOTSET");
        if (!kernel.AsSpan().SequenceEqual(wsh.AsSpan(2)) || strides.Length != rank || dilations.Length != rank || outPad.Length != rank
            || pads is not null && pads.Length != 2 * rank || strides.Any(v => v < 1) || dilations.Any(v => v < 1))
            throw ctx.Fail($"kernel_shape {Tensor.FormatShape(kernel)} (W {Tensor.FormatShape(wsh)}), strides, dilations, output_padding or pads " +
                           $"do not fit {rank} spatial axes");
        int[] inSp = xs[2..];
        var pb = new int[rank];
        var outSp = new int[rank];
        if (outShapeAttr is not null && outShapeAttr.Length == rank + 2)
            outShapeAttr = outShapeAttr[2..];
        if (outShapeAttr is not null && outShapeAttr.Length != rank)
            throw ctx.Fail($"output_shape has {outShapeAttr.Length} values, expected {rank}");
        for (int d = 0; d < rank; ++d)
        {
            int dk = (kernel[d] - 1) * dilations[d] + 1;
            int full = strides[d] * (inSp[d] - 1) + outPad[d] + dk;
            if (outShapeAttr is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                int o = outShapeAttr?[d] ?? inSp[d] * strides[d];
                int total = full - o;
                pb[d] = autoPad == "SAME_LOWER" ? total - total / 2 : total / 2;
                outSp[d] = o;
            }
            else
            {
                int b = autoPad == "VALID" ? 0 : pads?[d] ?? 0, e = autoPad == "VALID" ? 0 : pads?[d + rank] ?? 0;
                pb[d] = b;
                outSp[d] = full - b - e;
            }
            if (outSp[d] < 0)
                throw ctx.Fail($"output spatial size {outSp[d]} is negative along axis {d}");
        }
        double[] x = xt.ToDoubleArray(), w = wt.ToDoubleArray();
        double[]? bias = ctx.OptionalInput(2)?.ToDoubleArray();
        if (bias is not null && bias.Length != M)
            throw ctx.Fail($"B has {bias.Length} values, expected {M}");
        int Pin = NNUtil.Product(inSp), Pout = NNUtil.Product(outSp), Ks = NNUtil.Product(kernel);
        // table[p_in * Ks + k] = output offset (or -1) that input position p_in feeds through kernel tap k.
        int[] table = NNUtil.WindowTable(outSp, inSp, kernel, strides, dilations, pb);
        var y = new double[N * M * Pout];
        var col = new double[Mg * Ks * Pin];
        // W_g is [Cg, Mg*Ks]; col = W_g^T [Mg*Ks, Cg] · X_g [Cg, Pin].
        var wT = new double[group][];
        for (int g = 0; g < group; ++g)
            wT[g] = NNUtil.Transpose(w.AsSpan(g * Cg * Mg * Ks, Cg * Mg * Ks), Cg, Mg * Ks);
        for (int n = 0; n < N; ++n)
            for (int g = 0; g < group; ++g)
            {
                NNUtil.Gemm(Mg * Ks, Pin, Cg, wT[g], Cg, x.AsSpan((n * C + g * Cg) * Pin, Cg * Pin), Pin, col, Pin, false);
                for (int m = 0; m < Mg; ++m)
                {
                    Span<double> yc = y.AsSpan((n * M + g * Mg + m) * Pout, Pout);
                    for (int kk = 0; kk < Ks; ++kk)
                    {
                        int row = (m * Ks + kk) * Pin;
                        for (int p = 0; p < Pin; ++p)
                        {
                            int off = table[p * Ks + kk];
                            if (off >= 0)
                                yc[off] += col[row + p];
                        }
                    }
                }
            }
        if (bias is not null)
            for (int n = 0; n < N; ++n)
                for (int m = 0; m < M; ++m)
                {
                    Span<double> s = y.AsSpan((n * M + m) * Pout, Pout);
                    for (int i = 0; i < s.Length; ++i)
                        s[i] += bias[m];
                }
        return NNUtil.FromDoubles(xt.DataType, y, [N, M, .. outSp]);
    }
}
