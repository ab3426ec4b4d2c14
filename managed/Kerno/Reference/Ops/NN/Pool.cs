namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>MaxPool, AveragePool, LpPool, the global pools and MaxUnpool.</summary>
internal static class Pool
{
    private sealed record Geometry(int N, int C, int[] InSp, int[] OutSp, int[] Kernel, int[] Strides, int[] Dilations,
        int[] PadsBegin, int[] PadsEnd, int[] Table)
    {
        public int InSize => NNUtil.Product(InSp);
        public int OutSize => NNUtil.Product(OutSp);
        public int KSize => NNUtil.Product(Kernel);
    }

    private static Geometry Plan(OpContext ctx, Tensor x)
    {
        if (x.Rank < 3)
            throw ctx.Fail($"X must have rank 3 or more, got {Tensor.FormatShape(x.Shape)}");
        int rank = x.Rank - 2;
        int[] kernel = NNUtil.Ints(ctx, "kernel_shape") ?? throw ctx.Fail("kernel_shape is required");
        if (kernel.Length != rank)
            throw ctx.Fail($"kernel_shape has {kernel.Length} values, expected {rank}");
        int[] strides = NNUtil.Ints(ctx, "strides") ?? NNUtil.Repeat(rank, 1);
        int[] dilations = NNUtil.Ints(ctx, "dilations") ?? NNUtil.Repeat(rank, 1);
        bool ceil = ctx.Node.GetInt("ceil_mode", 0) != 0;
        int[] inSp = x.Shape[2..].ToArray();
        int[] outSp = NNUtil.WindowOutput(ctx, inSp, kernel, strides, dilations, out int[] pb, out int[] pe, ceil, pooling: true);
        int[] table = NNUtil.WindowTable(inSp, outSp, kernel, strides, dilations, pb);
        return new Geometry(x.Shape[0], x.Shape[1], inSp, outSp, kernel, strides, dilations, pb, pe, table);
    }

    [OnnxOp("MaxPool")]
    private static Value?[] MaxPool(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        Geometry g = Plan(ctx, xt);
        double[] x = xt.ToDoubleArray();
        int S = g.InSize, P = g.OutSize, K = g.KSize;
        var y = new double[g.N * g.C * P];
        bool wantIdx = ctx.WantsOutput(1);
        long[]? idx = wantIdx ? new long[y.Length] : null;
        int[]? colMajor = null;
        if (wantIdx && ctx.Node.GetInt("storage_order", 0) == 1)
        {
            colMajor = new int[S];
            int rank = g.InSp.Length;
            var coord = new int[rank];
            for (int i = 0; i < S; ++i)
            {
                int off = 0, stride = 1;
                for (int d = 0; d < rank; ++d)
                {
                    off += coord[d] * stride;
                    stride *= g.InSp[d];
                }
                colMajor[i] = off;
                for (int d = rank - 1; d >= 0; --d)
                {
                    if (++coord[d] < g.InSp[d])
                        break;
                    coord[d] = 0;
                }
            }
        }
        for (int nc = 0; nc < g.N * g.C; ++nc)
        {
            int xb = nc * S;
            for (int p = 0; p < P; ++p)
            {
                double best = double.NegativeInfinity;
                int bestOff = -1;
                for (int k = 0; k < K; ++k)
                {
                    int off = g.Table[p * K + k];
                    if (off < 0)
                        continue;
                    double v = x[xb + off];
                    if (v > best || bestOff < 0)
                    {
                        best = v;
                        bestOff = off;
                    }
                }
                y[nc * P + p] = best;
                if (idx is not null)
                    idx[nc * P + p] = bestOff < 0 ? -1 : (long)xb + (colMajor is null ? bestOff : colMajor[bestOff]);
            }
        }
        int[] ys = [g.N, g.C, .. g.OutSp];
        Tensor yt = NNUtil.FromDoubles(xt.DataType, y, ys);
        return idx is null ? [yt] : [yt, new Tensor<long>(idx, ys)];
    }

    [OnnxOp("AveragePool")]
    private static Tensor AveragePool(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "X");
        Geometry g = Plan(ctx, xt);
        bool includePad = ctx.Node.GetInt("count_include_pad", 0) != 0;
        double[] x = xt.ToDoubleArray();
        int S = g.InSize, P = g.OutSize, K = g.KSize;
        int[]? padCount = includePad ? PaddedCounts(g) : null;
        var y = new double[g.N * g.C * P];
        for (int nc = 0; nc < g.N * g.C; ++nc)
        {
            int xb = nc * S;
            for (int p = 0; p < P; ++p)
            {
                double sum = 0;
                int count = 0;
                for (int k = 0; k < K; ++k)
                {
                    int off = g.Table[p * K + k];
                    if (off < 0)
                        continue;
                    sum += x[xb + off];
                    count++;
                }
                int div = padCount?[p] ?? count;
                y[nc * P + p] = div == 0 ? 0 : sum / div;
            }
        }
        return NNUtil.FromDoubles(xt.DataType, y, [g.N, g.C, .. g.OutSp]);
    }

    /// <summary>For each output position, how many kernel taps fall inside the padded input (explicit pads included).</summary>
    private static int[] PaddedCounts(Geometry g)
    {
        int rank = g.InSp.Length;
        var perDim = new int[rank][];
        for (int d = 0; d < rank; ++d)
        {
            perDim[d] = new int[g.OutSp[d]];
            for (int o = 0; o < g.OutSp[d]; ++o)
            {
                int c = 0;
                for (int k = 0; k < g.Kernel[d]; ++k)
                {
                    int pos = o * g.Strides[d] - g.PadsBegin[d] + k * g.Dilations[d];
                    if (pos >= -g.PadsBegin[d] && pos < g.InSp[d] + g.PadsEnd[d])
                        c++;
                }
                perDim[d][o] = c;
            }
        }
        var counts = new int[g.OutSize];
        var coord = new int[rank];
        for (int p = 0; p < counts.Length; ++p)
        {
            int c = 1;
            for (int d = 0; d < rank; ++d)
                c *= perDim[d][coord[d]];
            counts[p] = c;
            for (int d = rank - 1; d >= 0; --d)
            {
                if (++coord[d] < g.OutSp[d])
                    break;
                coord[d] = 0;
            }
        }
        return counts;
    }

    [OnnxOp("LpPool")]
    private static Tensor LpPool(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "X");
        Geometry g = Plan(ctx, xt);
        double pw = ctx.Node.GetInt("p", 2);
        double[] x = xt.ToDoubleArray();
        int S = g.InSize, P = g.OutSize, K = g.KSize;
        var y = new double[g.N * g.C * P];
        for (int nc = 0; nc < g.N * g.C; ++nc)
            for (int p = 0; p < P; ++p)
            {
                double sum = 0;
                for (int k = 0; k < K; ++k)
                {
                    int off = g.Table[p * K + k];
                    if (off >= 0)
                        sum += Math.Pow(Math.Abs(x[nc * S + off]), pw);
                }
                y[nc * P + p] = Math.Pow(sum, 1 / pw);
            }
        return NNUtil.FromDoubles(xt.DataType, y, [g.N, g.C, .. g.OutSp]);
    }

    [OnnxOp("GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")]
    private static Tensor GlobalPool(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        if (xt.Rank < 2)
            throw ctx.Fail($"X must have rank 2 or more, got {Tensor.FormatShape(xt.Shape)}");
        double[] x = xt.ToDoubleArray();
        int N = xt.Shape[0], C = xt.Shape[1];
        int S = NNUtil.Product(xt.Shape[2..]);
        string op = ctx.Node.OpType;
        double pw = op == "GlobalLpPool" ? ctx.Node.GetInt("p", 2) : 0;
        var y = new double[N * C];
        for (int nc = 0; nc < N * C; ++nc)
        {
            ReadOnlySpan<double> s = x.AsSpan(nc * S, S);
            double r;
            switch (op)
            {
                case "GlobalMaxPool":
                    r = double.NegativeInfinity;
                    foreach (double v in s)
                        r = double.IsNaN(v) ? v : Math.Max(r, v);
                    break;
                case "GlobalAveragePool":
                    r = 0;
                    foreach (double v in s)
                        r += v;
                    r /= S;
                    break;
                default:
                    r = 0;
                    foreach (double v in s)
                        r += Math.Pow(Math.Abs(v), pw);
                    r = Math.Pow(r, 1 / pw);
                    break;
            }
            y[nc] = r;
        }
        int[] ys = xt.Shape.ToArray();
        for (int d = 2; d < ys.Length; ++d)
            ys[d] = 1;
        return NNUtil.FromDoubles(xt.DataType, y, ys);
    }

    [OnnxOp("MaxUnpool")]
    private static Tensor MaxUnpool(OpContext ctx)
    {
        Tensor xt = ctx.Input(0), it = ctx.Input(1);
        int rank = xt.Rank - 2;
        if (rank < 1)
            throw ctx.Fail($"X must have rank 3 or more, got {Tensor.FormatShape(xt.Shape)}");
        int[] kernel = NNUtil.Ints(ctx, "kernel_shape") ?? throw ctx.Fail("kernel_shape is required");
        int[] strides = NNUtil.Ints(ctx, "strides") ?? NNUtil.Repeat(rank, 1);
        int[] pads = NNUtil.Ints(ctx, "pads") ?? NNUtil.Repeat(2 * rank, 0);
        if (kernel.Length != rank || strides.Length != rank || pads.Length != 2 * rank || kernel.Any(v => v < 1) || strides.Any(v => v < 1))
            throw ctx.Fail($"kernel_shape {Tensor.FormatShape(kernel)}, strides {Tensor.FormatShape(strides)} or pads {Tensor.FormatShape(pads)} do not fit {rank} spatial axes");
        int[] dflt = xt.Shape.ToArray();
        for (int d = 0; d < rank; ++d)
        {
            long size = (dflt[d + 2] - 1L) * strides[d] + kernel[d] - pads[d] - pads[d + rank];
            if (size < 1 || size > int.MaxValue)
                throw ctx.Fail($"the unpooled size along axis {d + 2} is {size}");
            dflt[d + 2] = (int)size;
        }
        int[] ys = ctx.OptionalInput(2) is { } os ? os.ToInt64Array().Select(v => checked((int)v)).ToArray() : dflt;
        if (ys.Length != xt.Rank || ys[0] != dflt[0] || ys[1] != dflt[1])
            throw ctx.Fail($"output_shape {Tensor.FormatShape(ys)} does not fit X {Tensor.FormatShape(xt.Shape)}");
        double[] x = xt.ToDoubleArray();
        long[] idx = it.ToInt64Array();
        if (idx.Length != x.Length)
            throw ctx.Fail("I must have the shape of X");
        // Indices address the default-shaped output; they keep their spatial coordinates in a larger output_shape.
        int dS = NNUtil.Product(dflt.AsSpan(2)), oS = NNUtil.Product(ys.AsSpan(2));
        int[] dStr = Tensor.StridesOf(dflt.AsSpan(2)), oStr = Tensor.StridesOf(ys.AsSpan(2));
        var y = new double[Tensor.ElementCount(ys)];
        for (int i = 0; i < x.Length; ++i)
        {
            long id = idx[i];
            if (id < 0 || id >= (long)dflt[0] * dflt[1] * dS)
                throw ctx.Fail($"index {id} is outside the pooled input");
            long nc = id / dS, rem = id % dS, o = 0;
            for (int d = 0; d < rank; ++d)
            {
                long c = rem / dStr[d];
                rem %= dStr[d];
                if (c >= ys[d + 2])
                    throw ctx.Fail($"index {id} falls outside output_shape");
                o += c * oStr[d];
            }
            y[nc * oS + o] = x[i];
        }
        return NNUtil.FromDoubles(xt.DataType, y, ys);
    }
}
