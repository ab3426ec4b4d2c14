namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>Attention (opset 23/24: MHA/GQA/MQA, masks, causal, past KV, softcap, qk output modes) and RotaryEmbedding.</summary>
internal static class Attention
{
    /// <summary>Converts a 3-D [B, S, H*D] tensor to 4-D [B, H, S, D] layout (row-major copy).</summary>
    private static double[] To4D(double[] x, int B, int S, int H, int D)
    {
        var r = new double[x.Length];
        for (int b = 0; b < B; ++b)
            for (int s = 0; s < S; ++s)
                for (int h = 0; h < H; ++h)
                    Array.Copy(x, ((b * S + s) * H + h) * D, r, ((b * H + h) * S + s) * D, D);
        return r;
    }

    [OnnxOp("Attention", MinOpset = 23)]
    private static Value?[] AttentionOp(OpContext ctx)
    {
        Tensor qt = ctx.Input(0), kt = ctx.Input(1), vt = ctx.Input(2);
        NNUtil.RequireFloat(ctx, qt, "Q");
        bool threeD = qt.Rank == 3;
        if (!threeD && qt.Rank != 4 || kt.Rank != qt.Rank || vt.Rank != qt.Rank)
            throw ctx.Fail($"Q {Tensor.FormatShape(qt.Shape)}, K {Tensor.FormatShape(kt.Shape)}, V {Tensor.FormatShape(vt.Shape)} must all be 3-D or 4-D");
        int B = qt.Shape[0];
        int Hq, Hkv, Sq, Skv, D, Dv;
        double[] q = qt.ToDoubleArray(), k = kt.ToDoubleArray(), v = vt.ToDoubleArray();
        if (threeD)
        {
            Hq = (int)ctx.Node.GetInt("q_num_heads");
            Hkv = (int)ctx.Node.GetInt("kv_num_heads");
            Sq = qt.Shape[1];
            Skv = kt.Shape[1];
            if (Hq <= 0 || Hkv <= 0 || qt.Shape[2] % Hq != 0 || kt.Shape[2] % Hkv != 0 || vt.Shape[2] % Hkv != 0)
                throw ctx.Fail("hidden sizes are not divisible by q_num_heads / kv_num_heads");
            D = qt.Shape[2] / Hq;
            Dv = vt.Shape[2] / Hkv;
            q = To4D(q, B, Sq, Hq, D);
            k = To4D(k, B, Skv, Hkv, kt.Shape[2] / Hkv);
            v = To4D(v, B, Skv, Hkv, Dv);
        }
        else
        {
            Hq = qt.Shape[1];
            Sq = qt.Shape[2];
            D = qt.Shape[3];
            Hkv = kt.Shape[1];
            Skv = kt.Shape[2];
            Dv = vt.Shape[3];
        }
        if ((threeD ? kt.Shape[2] / Hkv : kt.Shape[3]) != D)
            throw ctx.Fail("Q and K head sizes differ");
        if (Hq % Hkv != 0)
            throw ctx.Fail($"q heads {Hq} is not a multiple of kv heads {Hkv}");
        // Past key/value: [B, Hkv, P, D] concatenated before the new ones.
        Tensor? pk = ctx.OptionalInput(4), pv = ctx.OptionalInput(5);
        int P = pk?.Shape[2] ?? 0;
        int T = P + Skv;
        double[] kAll = k, vAll = v;
        if (pk is not null)
        {
            if (pv is null || pk.Rank != 4 || pk.Shape[0] != B || pk.Shape[1] != Hkv || pk.Shape[3] != D || pv.Shape[2] != P)
                throw ctx.Fail($"past_key {Tensor.FormatShape(pk.Shape)} does not match K");
            kAll = ConcatSeq(pk.ToDoubleArray(), k, B, Hkv, P, Skv, D);
            vAll = ConcatSeq(pv.ToDoubleArray(), v, B, Hkv, P, Skv, Dv);
        }
        double scale = ctx.Node.Has("scale") ? ctx.Node.GetFloat("scale") : 1 / Math.Sqrt(D);
        double softcap = ctx.Node.GetFloat("softcap", 0f);
        bool causal = ctx.Node.GetInt("is_causal", 0) != 0;
        int mode = (int)ctx.Node.GetInt("qk_matmul_output_mode", 0);
        long[]? nonpad = ctx.Opset >= 24 ? ctx.OptionalInput(6)?.ToInt64Array() : null;

        // Bias [B, Hq, Sq, T] from the mask (broadcast; a shorter last axis is padded with -inf), causal and padding masks.
        var bias = new double[B * Hq * Sq * T];
        if (ctx.OptionalInput(3) is { } mt)
        {
            int[] ms = NNUtil.ShapeOf(mt);
            if (ms.Length == 0)
                ms = [1];
            int mlast = ms[^1];
            if (mlast > T)
                throw ctx.Fail($"attn_mask {Tensor.FormatShape(ms)} is longer than the total sequence {T}");
            int[] target = [B, Hq, Sq, mlast];
            int[]? bs = Broadcasting.TryShape(ms, target);
            if (bs is null || !bs.AsSpan().SequenceEqual(target))
                throw ctx.Fail($"attn_mask {Tensor.FormatShape(ms)} does not broadcast to {Tensor.FormatShape(target)}");
            int[] map = Broadcasting.IndexMap(ms, target);
            double[] mv = mt.DataType == DataType.Bool
                ? ((Tensor<bool>)mt).Span.ToArray().Select(b => b ? 0.0 : double.NegativeInfinity).ToArray()
                : mt.ToDoubleArray();
            for (int r = 0; r < B * Hq * Sq; ++r)
                for (int j = 0; j < T; ++j)
                    bias[r * T + j] = j < mlast ? mv[map[r * mlast + j]] : double.NegativeInfinity;
        }
        for (int b = 0; b < B; ++b)
        {
            long offset = nonpad is not null ? nonpad[b] - Sq : P;
            for (int h = 0; h < Hq; ++h)
                for (int i = 0; i < Sq; ++i)
                    for (int j = 0; j < T; ++j)
                    {
                        bool masked = (causal && i + offset < j) || (nonpad is not null && j >= nonpad[b]);
                        if (masked)
                            bias[((b * Hq + h) * Sq + i) * T + j] += double.NegativeInfinity;
                    }
        }

        int group = Hq / Hkv;
        var y = new double[B * Hq * Sq * Dv];
        double[]? qkOut = ctx.WantsOutput(3) ? new double[B * Hq * Sq * T] : null;
        var row = new double[T];
        for (int b = 0; b < B; ++b)
            for (int h = 0; h < Hq; ++h)
            {
                int kh = h / group;
                int qb = (b * Hq + h) * Sq * D, kb = (b * Hkv + kh) * T * D, vb = (b * Hkv + kh) * T * Dv;
                for (int i = 0; i < Sq; ++i)
                {
                    int bo = ((b * Hq + h) * Sq + i) * T;
                    double biasMax = double.NegativeInfinity;
                    for (int j = 0; j < T; ++j)
                    {
                        double s = 0;
                        for (int d = 0; d < D; ++d)
                            s += q[qb + i * D + d] * kAll[kb + j * D + d];
                        s *= scale;
                        if (qkOut is not null && mode == 0)
                            qkOut[bo + j] = s;
                        if (softcap > 0)
                            s = softcap * Math.Tanh(s / softcap);
                        if (qkOut is not null && mode == 1)
                            qkOut[bo + j] = s;
                        s += bias[bo + j];
                        biasMax = Math.Max(biasMax, bias[bo + j]);
                        if (qkOut is not null && mode == 2)
                            qkOut[bo + j] = s;
                        row[j] = s;
                    }
                    bool allMasked = T == 0 || double.IsNegativeInfinity(biasMax);
                    double mx = double.NegativeInfinity;
                    for (int j = 0; j < T; ++j)
                        mx = Math.Max(mx, row[j]);
                    double sum = 0;
                    for (int j = 0; j < T; ++j)
                    {
                        row[j] = Math.Exp(row[j] - mx);
                        sum += row[j];
                    }
                    for (int j = 0; j < T; ++j)
                        row[j] = allMasked ? 0 : row[j] / sum;
                    if (qkOut is not null && mode == 3)
                        Array.Copy(row, 0, qkOut, bo, T);
                    int yo = ((b * Hq + h) * Sq + i) * Dv;
                    for (int j = 0; j < T; ++j)
                    {
                        double p = row[j];
                        if (p == 0)
                            continue;
                        for (int d = 0; d < Dv; ++d)
                            y[yo + d] += p * vAll[vb + j * Dv + d];
                    }
                }
            }
        DataType dt = qt.DataType;
        var outputs = new Value?[Math.Max(1, ctx.OutputCount)];
        if (threeD)
        {
            var y3 = new double[y.Length];
            for (int b = 0; b < B; ++b)
                for (int h = 0; h < Hq; ++h)
                    for (int s = 0; s < Sq; ++s)
                        Array.Copy(y, ((b * Hq + h) * Sq + s) * Dv, y3, ((b * Sq + s) * Hq + h) * Dv, Dv);
            outputs[0] = NNUtil.FromDoubles(dt, y3, [B, Sq, Hq * Dv]);
        }
        else
            outputs[0] = NNUtil.FromDoubles(dt, y, [B, Hq, Sq, Dv]);
        if (outputs.Length > 1 && ctx.WantsOutput(1))
            outputs[1] = NNUtil.FromDoubles(kt.DataType, kAll, [B, Hkv, T, D]);
        if (outputs.Length > 2 && ctx.WantsOutput(2))
            outputs[2] = NNUtil.FromDoubles(vt.DataType, vAll, [B, Hkv, T, Dv]);
        if (outputs.Length > 3 && qkOut is not null)
            outputs[3] = NNUtil.FromDoubles(dt, qkOut, [B, Hq, Sq, T]);
        return outputs;
    }

    private static double[] ConcatSeq(double[] past, double[] cur, int B, int H, int P, int S, int D)
    {
        var r = new double[B * H * (P + S) * D];
        for (int bh = 0; bh < B * H; ++bh)
        {
            Array.Copy(past, bh * P * D, r, bh * (P + S) * D, P * D);
            Array.Copy(cur, bh * S * D, r, bh * (P + S) * D + P * D, S * D);
        }
        return r;
    }

    [OnnxOp("RotaryEmbedding", MinOpset = 23)]
    private static Tensor RotaryEmbedding(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "X");
        bool interleaved = ctx.Node.GetInt("interleaved", 0) != 0;
        int B, S, H, D;
        bool threeD = xt.Rank == 3;
        if (threeD)
        {
            B = xt.Shape[0];
            S = xt.Shape[1];
            H = (int)ctx.Node.GetInt("num_heads", 0);
            if (H <= 0 || xt.Shape[2] % H != 0)
                throw ctx.Fail("a 3-D input needs num_heads dividing the hidden size");
            D = xt.Shape[2] / H;
        }
        else if (xt.Rank == 4)
        {
            B = xt.Shape[0];
            H = xt.Shape[1];
            S = xt.Shape[2];
            D = xt.Shape[3];
        }
        else
            throw ctx.Fail($"X must be 3-D or 4-D, got {Tensor.FormatShape(xt.Shape)}");
        int rot = (int)ctx.Node.GetInt("rotary_embedding_dim", 0);
        if (rot == 0)
            rot = D;
        if (rot > D || rot % 2 != 0)
            throw ctx.Fail($"rotary_embedding_dim {rot} is invalid for head size {D}");
        int half = rot / 2;
        Tensor cosT = ctx.Input(1), sinT = ctx.Input(2);
        double[] cos = cosT.ToDoubleArray(), sin = sinT.ToDoubleArray();
        long[]? pos = ctx.OptionalInput(3)?.ToInt64Array();
        int cw = cosT.Shape[^1];
        if (cw < half)
            throw ctx.Fail($"cos_cache width {cw} is smaller than rotary_embedding_dim/2 = {half}");
        double[] x = xt.ToDoubleArray();
        var y = (double[])x.Clone();
        for (int b = 0; b < B; ++b)
            for (int s = 0; s < S; ++s)
            {
                int crow;
                if (pos is not null)
                {
                    long p = pos[b * S + s];
                    if (p < 0 || p >= cosT.Shape[0])
                        throw ctx.Fail($"position id {p} is outside the cache of {cosT.Shape[0]} rows");
                    crow = (int)p * cw;
                }
                else
                    crow = (b * S + s) * cw;
                for (int h = 0; h < H; ++h)
                {
                    int o = threeD ? ((b * S + s) * H + h) * D : ((b * H + h) * S + s) * D;
                    for (int i = 0; i < half; ++i)
                    {
                        int i1 = interleaved ? o + 2 * i : o + i, i2 = interleaved ? o + 2 * i + 1 : o + half + i;
                        double c = cos[crow + i], sn = sin[crow + i];
                        double x1 = x[i1], x2 = x[i2];
                        y[i1] = c * x1 - sn * x2;
                        y[i2] = sn * x1 + c * x2;
                    }
                }
            }
        return NNUtil.FromDoubles(xt.DataType, y, xt.Shape);
    }
}
