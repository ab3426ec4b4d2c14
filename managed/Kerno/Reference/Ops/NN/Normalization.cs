namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>BatchNormalization, InstanceNormalization, LayerNormalization, GroupNormalization, RMSNormalization,
/// LpNormalization, MeanVarianceNormalization and LRN. Statistics are computed in double.</summary>
internal static class Normalization
{
    private static double[] PerChannel(OpContext ctx, int input, int channels, string what)
    {
        double[] v = ctx.Input(input).ToDoubleArray();
        if (v.Length != channels)
            throw ctx.Fail($"{what} has {v.Length} values, expected {channels}");
        return v;
    }

    [OnnxOp("BatchNormalization")]
    private static Value?[] BatchNormalization(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "X");
        if (xt.Rank < 1)
            throw ctx.Fail("X must have rank 1 or more");
        int N = xt.Shape[0], C = xt.Rank > 1 ? xt.Shape[1] : 1;
        int S = xt.Rank > 2 ? NNUtil.Product(xt.Shape[2..]) : 1;
        double eps = ctx.Node.GetFloat("epsilon", 1e-5f);
        double momentum = ctx.Node.GetFloat("momentum", 0.9f);
        bool training = ctx.Opset >= 14 && ctx.Node.GetInt("training_mode", 0) != 0;
        double[] x = xt.ToDoubleArray();
        double[] scale = PerChannel(ctx, 1, C, "scale"), bias = PerChannel(ctx, 2, C, "B");
        double[] mean = PerChannel(ctx, 3, C, "input_mean"), var = PerChannel(ctx, 4, C, "input_var");
        double[] useMean = mean, useVar = var;
        if (training)
        {
            useMean = new double[C];
            useVar = new double[C];
            for (int c = 0; c < C; ++c)
            {
                double sum = 0;
                for (int n = 0; n < N; ++n)
                    for (int s = 0; s < S; ++s)
                        sum += x[(n * C + c) * S + s];
                double m = sum / (N * S), sq = 0;
                for (int n = 0; n < N; ++n)
                    for (int s = 0; s < S; ++s)
                    {
                        double d = x[(n * C + c) * S + s] - m;
                        sq += d * d;
                    }
                useMean[c] = m;
                useVar[c] = sq / (N * S);
            }
        }
        var y = new double[x.Length];
        for (int n = 0; n < N; ++n)
            for (int c = 0; c < C; ++c)
            {
                double a = scale[c] / Math.Sqrt(useVar[c] + eps), b = bias[c] - useMean[c] * a;
                int o = (n * C + c) * S;
                for (int s = 0; s < S; ++s)
                    y[o + s] = x[o + s] * a + b;
            }
        var outputs = new Value?[ctx.OutputCount];
        outputs[0] = NNUtil.FromDoubles(xt.DataType, y, xt.Shape);
        if (training)
        {
            DataType mt = ctx.Input(3).DataType;
            var rm = new double[C];
            var rv = new double[C];
            for (int c = 0; c < C; ++c)
            {
                rm[c] = mean[c] * momentum + useMean[c] * (1 - momentum);
                rv[c] = var[c] * momentum + useVar[c] * (1 - momentum);
            }
            if (outputs.Length > 1)
                outputs[1] = NNUtil.FromDoubles(mt, rm, [C]);
            if (outputs.Length > 2)
                outputs[2] = NNUtil.FromDoubles(mt, rv, [C]);
        }
        return outputs;
    }

    [OnnxOp("InstanceNormalization")]
    private static Tensor InstanceNormalization(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "input");
        if (xt.Rank < 2)
            throw ctx.Fail("input must have rank 2 or more");
        int N = xt.Shape[0], C = xt.Shape[1], S = NNUtil.Product(xt.Shape[2..]);
        double eps = ctx.Node.GetFloat("epsilon", 1e-5f);
        double[] x = xt.ToDoubleArray(), scale = PerChannel(ctx, 1, C, "scale"), bias = PerChannel(ctx, 2, C, "B");
        var y = new double[x.Length];
        for (int nc = 0; nc < N * C; ++nc)
        {
            int c = nc % C;
            (double m, double v) = Moments(x.AsSpan(nc * S, S));
            double a = scale[c] / Math.Sqrt(v + eps), b = bias[c] - m * a;
            for (int s = 0; s < S; ++s)
                y[nc * S + s] = x[nc * S + s] * a + b;
        }
        return NNUtil.FromDoubles(xt.DataType, y, xt.Shape);
    }

    /// <summary>Mean and population variance.</summary>
    private static (double Mean, double Var) Moments(ReadOnlySpan<double> s)
    {
        if (s.Length == 0)
            return (0, 0);
        double sum = 0;
        foreach (double v in s)
            sum += v;
        double m = sum / s.Length, sq = 0;
        foreach (double v in s)
            sq += (v - m) * (v - m);
        return (m, sq / s.Length);
    }

    private static int Axis(OpContext ctx, Tensor x, long fallback)
    {
        long axis = ctx.Node.GetInt("axis", fallback);
        if (axis < 0)
            axis += x.Rank;
        if (axis < 0 || axis >= Math.Max(x.Rank, 1))
            throw ctx.Fail($"axis {ctx.Node.GetInt("axis", fallback)} is out of range for rank {x.Rank}");
        return (int)axis;
    }

    /// <summary>Reads an optional scale/bias broadcast to the normalized shape (X.shape[axis:]); null when absent.</summary>
    private static double[]? Affine(OpContext ctx, int input, int[] normShape)
    {
        if (ctx.OptionalInput(input) is not { } t)
            return null;
        int[] ts = NNUtil.ShapeOf(t);
        int[]? b = Broadcasting.TryShape(ts, normShape);
        if (b is null || !b.AsSpan().SequenceEqual(normShape))
            throw ctx.Fail($"input {input} of shape {Tensor.FormatShape(ts)} does not broadcast to {Tensor.FormatShape(normShape)}");
        double[] v = t.ToDoubleArray();
        int[] map = Broadcasting.IndexMap(ts, normShape);
        var r = new double[map.Length];
        for (int i = 0; i < r.Length; ++i)
            r[i] = v[map[i]];
        return r;
    }

    [OnnxOp("LayerNormalization")]
    private static Value?[] LayerNormalization(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "X");
        int axis = Axis(ctx, xt, -1);
        double eps = ctx.Node.GetFloat("epsilon", 1e-5f);
        int[] shape = NNUtil.ShapeOf(xt);
        int[] normShape = shape[axis..];
        int rows = NNUtil.Product(shape.AsSpan(0, axis)), cols = NNUtil.Product(normShape);
        double[] x = xt.ToDoubleArray();
        double[] scale = Affine(ctx, 1, normShape) ?? throw ctx.Fail("Scale is required");
        double[]? bias = Affine(ctx, 2, normShape);
        var y = new double[x.Length];
        var means = new double[rows];
        var inv = new double[rows];
        for (int r = 0; r < rows; ++r)
        {
            (double m, double v) = Moments(x.AsSpan(r * cols, cols));
            double iv = 1 / Math.Sqrt(v + eps);
            means[r] = m;
            inv[r] = iv;
            for (int c = 0; c < cols; ++c)
                y[r * cols + c] = (x[r * cols + c] - m) * iv * scale[c] + (bias?[c] ?? 0);
        }
        int[] statShape = shape.ToArray();
        for (int d = axis; d < statShape.Length; ++d)
            statShape[d] = 1;
        DataType st = xt.DataType == DataType.Double ? DataType.Double
            : (DataType)ctx.Node.GetInt("stash_type", 1) is var s && NNUtil.IsFloat(s) ? s : DataType.Float;
        var outputs = new Value?[Math.Max(1, ctx.OutputCount)];
        outputs[0] = NNUtil.FromDoubles(xt.DataType, y, shape);
        if (outputs.Length > 1)
            outputs[1] = NNUtil.FromDoubles(st, means, statShape);
        if (outputs.Length > 2)
            outputs[2] = NNUtil.FromDoubles(st, inv, statShape);
        return outputs;
    }

    [OnnxOp("RMSNormalization")]
    private static Tensor RMSNormalization(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "X");
        int axis = Axis(ctx, xt, -1);
        double eps = ctx.Node.GetFloat("epsilon", 1e-5f);
        int[] shape = NNUtil.ShapeOf(xt);
        int[] normShape = shape[axis..];
        int rows = NNUtil.Product(shape.AsSpan(0, axis)), cols = NNUtil.Product(normShape);
        double[] x = xt.ToDoubleArray();
        double[] scale = Affine(ctx, 1, normShape) ?? throw ctx.Fail("Scale is required");
        var y = new double[x.Length];
        for (int r = 0; r < rows; ++r)
        {
            double sq = 0;
            for (int c = 0; c < cols; ++c)
                sq += x[r * cols + c] * x[r * cols + c];
            double iv = 1 / Math.Sqrt(sq / cols + eps);
            for (int c = 0; c < cols; ++c)
                y[r * cols + c] = x[r * cols + c] * iv * scale[c];
        }
        return NNUtil.FromDoubles(xt.DataType, y, shape);
    }

    [OnnxOp("GroupNormalization")]
    private static Tensor GroupNormalization(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "X");
        if (xt.Rank < 2)
            throw ctx.Fail("X must have rank 2 or more");
        int N = xt.Shape[0], C = xt.Shape[1], S = NNUtil.Product(xt.Shape[2..]);
        int G = (int)ctx.Node.GetInt("num_groups");
        if (G <= 0 || C % G != 0)
            throw ctx.Fail($"num_groups {G} does not divide the {C} channels");
        double eps = ctx.Node.GetFloat("epsilon", 1e-5f);
        double[] scale = ctx.Input(1).ToDoubleArray(), bias = ctx.Input(2).ToDoubleArray();
        // Opset 18 takes one scale/bias per group; opset 21 one per channel.
        bool perGroup = scale.Length == G && (ctx.Opset < 21 || G == C);
        if (!perGroup && scale.Length != C || bias.Length != scale.Length)
            throw ctx.Fail($"scale/bias have {scale.Length}/{bias.Length} values; expected {(ctx.Opset < 21 ? G : C)}");
        double[] x = xt.ToDoubleArray();
        var y = new double[x.Length];
        int Cg = C / G, len = Cg * S;
        for (int n = 0; n < N; ++n)
            for (int g = 0; g < G; ++g)
            {
                int o = (n * C + g * Cg) * S;
                (double m, double v) = Moments(x.AsSpan(o, len));
                double iv = 1 / Math.Sqrt(v + eps);
                for (int c = 0; c < Cg; ++c)
                {
                    int ch = g * Cg + c;
                    double a = perGroup ? scale[g] : scale[ch], b = perGroup ? bias[g] : bias[ch];
                    for (int s = 0; s < S; ++s)
                    {
                        int i = o + c * S + s;
                        y[i] = (x[i] - m) * iv * a + b;
                    }
                }
            }
        return NNUtil.FromDoubles(xt.DataType, y, xt.Shape);
    }

    [OnnxOp("LpNormalization")]
    private static Tensor LpNormalization(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "input");
        int axis = Axis(ctx, xt, -1);
        long p = ctx.Node.GetInt("p", 2);
        if (p is not (1 or 2))
            throw ctx.Fail($"p must be 1 or 2, got {p}");
        int[] shape = NNUtil.ShapeOf(xt);
        int outer = NNUtil.Product(shape.AsSpan(0, axis)), len = shape[axis], inner = NNUtil.Product(shape.AsSpan(axis + 1));
        double[] x = xt.ToDoubleArray();
        var y = new double[x.Length];
        for (int o = 0; o < outer; ++o)
            for (int i = 0; i < inner; ++i)
            {
                double norm = 0;
                for (int a = 0; a < len; ++a)
                {
                    double v = x[(o * len + a) * inner + i];
                    norm += p == 1 ? Math.Abs(v) : v * v;
                }
                if (p == 2)
                    norm = Math.Sqrt(norm);
                for (int a = 0; a < len; ++a)
                {
                    int k = (o * len + a) * inner + i;
                    y[k] = norm == 0 ? 0 : x[k] / norm;
                }
            }
        return NNUtil.FromDoubles(xt.DataType, y, shape);
    }

    [OnnxOp("MeanVarianceNormalization")]
    private static Tensor MeanVarianceNormalization(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "X");
        int rank = xt.Rank;
        int[] axes = (NNUtil.Ints(ctx, "axes") ?? [0, 2, 3]).Select(a => a < 0 ? a + rank : a).ToArray();
        if (axes.Any(a => a < 0 || a >= rank))
            throw ctx.Fail($"axes are out of range for rank {rank}");
        int[] shape = NNUtil.ShapeOf(xt);
        int[] redShape = shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray();
        int[] map = Broadcasting.IndexMap(redShape, shape);
        int groups = NNUtil.Product(redShape);
        double[] x = xt.ToDoubleArray();
        var sum = new double[groups];
        var sq = new double[groups];
        var cnt = new int[groups];
        for (int i = 0; i < x.Length; ++i)
        {
            sum[map[i]] += x[i];
            cnt[map[i]]++;
        }
        for (int g = 0; g < groups; ++g)
            sum[g] /= Math.Max(cnt[g], 1);
        for (int i = 0; i < x.Length; ++i)
        {
            double d = x[i] - sum[map[i]];
            sq[map[i]] += d * d;
        }
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; ++i)
        {
            int g = map[i];
            y[i] = (x[i] - sum[g]) / (Math.Sqrt(sq[g] / Math.Max(cnt[g], 1)) + 1e-9);
        }
        return NNUtil.FromDoubles(xt.DataType, y, shape);
    }

    [OnnxOp("LRN")]
    private static Tensor LRN(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "X");
        if (xt.Rank < 2)
            throw ctx.Fail("X must have rank 2 or more");
        double alpha = ctx.Node.GetFloat("alpha", 1e-4f), beta = ctx.Node.GetFloat("beta", 0.75f), bias = ctx.Node.GetFloat("bias", 1f);
        int size = (int)ctx.Node.GetInt("size");
        int N = xt.Shape[0], C = xt.Shape[1], S = NNUtil.Product(xt.Shape[2..]);
        int lo = (size - 1) / 2, hi = size - 1 - lo;
        double[] x = xt.ToDoubleArray();
        var y = new double[x.Length];
        for (int n = 0; n < N; ++n)
            for (int c = 0; c < C; ++c)
                for (int s = 0; s < S; ++s)
                {
                    double sq = 0;
                    for (int k = Math.Max(0, c - lo); k <= Math.Min(C - 1, c + hi); ++k)
                    {
                        double v = x[(n * C + k) * S + s];
                        sq += v * v;
                    }
                    int i = (n * C + c) * S + s;
                    y[i] = x[i] / Math.Pow(bias + alpha / size * sq, beta);
                }
        return NNUtil.FromDoubles(xt.DataType, y, xt.Shape);
    }
}
