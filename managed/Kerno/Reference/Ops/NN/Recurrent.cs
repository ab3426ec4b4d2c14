namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>RNN, GRU and LSTM (all directions, sequence_lens, initial states, layout, clip, activations, peepholes).</summary>
internal static class Recurrent
{
    private enum Kind { Rnn, Gru, Lstm }

    private delegate double Activation(double x);

    private static Activation MakeActivation(OpContext ctx, string name, Queue<float> alphas, Queue<float> betas)
    {
        double A(double d) => alphas.Count > 0 ? alphas.Dequeue() : d;
        double B(double d) => betas.Count > 0 ? betas.Dequeue() : d;
        switch (name.ToLowerInvariant())
        {
            case "sigmoid": return x => 1 / (1 + Math.Exp(-x));
            case "tanh": return Math.Tanh;
            case "relu": return x => Math.Max(0, x);
            case "softsign": return x => x / (1 + Math.Abs(x));
            case "softplus": return x => Math.Log(1 + Math.Exp(x));
            case "leakyrelu": { double a = A(0.01); return x => x >= 0 ? x : a * x; }
            case "thresholdedrelu": { double a = A(1.0); return x => x > a ? x : 0; }
            case "elu": { double a = A(1.0); return x => x >= 0 ? x : a * (Math.Exp(x) - 1); }
            case "affine": { double a = A(1.0), b = B(0.0); return x => a * x + b; }
            case "scaledtanh": { double a = A(1.0), b = B(1.0); return x => a * Math.Tanh(b * x); }
            case "hardsigmoid": { double a = A(0.2), b = B(0.5); return x => Math.Max(0, Math.Min(1, a * x + b)); }
            default: throw ctx.Fail($"unknown activation '{name}'");
        }
    }

    [OnnxOp("RNN")]
    private static Value?[] Rnn(OpContext ctx) => Run(ctx, Kind.Rnn);

    [OnnxOp("GRU")]
    private static Value?[] Gru(OpContext ctx) => Run(ctx, Kind.Gru);

    [OnnxOp("LSTM")]
    private static Value?[] Lstm(OpContext ctx) => Run(ctx, Kind.Lstm);

    private static Value?[] Run(OpContext ctx, Kind kind)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "X");
        int G = kind switch { Kind.Lstm => 4, Kind.Gru => 3, _ => 1 };
        int layout = (int)ctx.Node.GetInt("layout", 0);
        string direction = ctx.Node.GetString("direction", "forward");
        int D = direction == "bidirectional" ? 2 : 1;
        if (direction is not ("forward" or "reverse" or "bidirectional"))
            throw ctx.Fail($"unknown direction '{direction}'");
        if (xt.Rank != 3)
            throw ctx.Fail($"X must have rank 3, got {Tensor.FormatShape(xt.Shape)}");
        int T = layout == 0 ? xt.Shape[0] : xt.Shape[1], Bn = layout == 0 ? xt.Shape[1] : xt.Shape[0], I = xt.Shape[2];
        Tensor wt = ctx.Input(1), rt = ctx.Input(2);
        if (wt.Rank != 3 || rt.Rank != 3)
            throw ctx.Fail($"W {Tensor.FormatShape(wt.Shape)} and R {Tensor.FormatShape(rt.Shape)} must have rank 3");
        int H = (int)ctx.Node.GetInt("hidden_size", rt.Shape[^1]);
        if (!wt.Shape.SequenceEqual([D, G * H, I]) || !rt.Shape.SequenceEqual([D, G * H, H]))
            throw ctx.Fail($"W {Tensor.FormatShape(wt.Shape)} / R {Tensor.FormatShape(rt.Shape)} do not match {D} directions, hidden {H}, input {I}");
        double clip = ctx.Node.Has("clip") ? ctx.Node.GetFloat("clip") : double.PositiveInfinity;
        bool linearBeforeReset = ctx.Node.GetInt("linear_before_reset", 0) != 0;
        bool inputForget = ctx.Node.GetInt("input_forget", 0) != 0;
        double[] x = xt.ToDoubleArray(), w = wt.ToDoubleArray(), r = rt.ToDoubleArray();
        double[] b = ctx.OptionalInput(3)?.ToDoubleArray() ?? new double[D * 2 * G * H];
        if (b.Length != D * 2 * G * H)
            throw ctx.Fail($"B has {b.Length} values, expected {D * 2 * G * H}");
        long[]? seqLens = ctx.OptionalInput(4)?.ToInt64Array();
        double[]? h0 = ctx.OptionalInput(5)?.ToDoubleArray();
        double[]? c0 = kind == Kind.Lstm ? ctx.OptionalInput(6)?.ToDoubleArray() : null;
        double[]? peep = kind == Kind.Lstm ? ctx.OptionalInput(7)?.ToDoubleArray() : null;
        if (H < 1 || h0 is not null && h0.Length != D * Bn * H || c0 is not null && c0.Length != D * Bn * H
            || peep is not null && peep.Length != D * 3 * H || seqLens is not null && seqLens.Length != Bn)
            throw ctx.Fail($"hidden_size {H}, initial_h/initial_c ({h0?.Length}/{c0?.Length} values, expected {D * Bn * H}), " +
                           $"P ({peep?.Length}, expected {D * 3 * H}) or sequence_lens ({seqLens?.Length}, expected {Bn}) do not fit");

        string[] defaults = kind switch
        {
            Kind.Lstm => ["Sigmoid", "Tanh", "Tanh"],
            Kind.Gru => ["Sigmoid", "Tanh"],
            _ => ["Tanh"],
        };
        string[] names = ctx.Node.GetStrings("activations") ?? [];
        if (names.Length == 0)
            names = Enumerable.Repeat(defaults, D).SelectMany(a => a).ToArray();
        else if (names.Length == defaults.Length && D == 2)
            names = [.. names, .. names];
        if (names.Length != defaults.Length * D)
            throw ctx.Fail($"activations has {names.Length} names, expected {defaults.Length * D}");
        var alphas = new Queue<float>(ctx.Node.GetFloats("activation_alpha") ?? []);
        var betas = new Queue<float>(ctx.Node.GetFloats("activation_beta") ?? []);
        Activation[] acts = names.Select(n => MakeActivation(ctx, n, alphas, betas)).ToArray();

        var y = new double[T * D * Bn * H];
        var yh = new double[D * Bn * H];
        var yc = new double[D * Bn * H];
        // Index helpers honoring layout.
        int XIdx(int t, int bi) => layout == 0 ? (t * Bn + bi) * I : (bi * T + t) * I;
        int YIdx(int t, int d, int bi) => layout == 0 ? ((t * D + d) * Bn + bi) * H : ((bi * T + t) * D + d) * H;
        int SIdx(int d, int bi) => layout == 0 ? (d * Bn + bi) * H : (bi * D + d) * H;

        var gates = new double[G * H];
        var hPrev = new double[H];
        var cPrev = new double[H];
        var rh = new double[H];
        double Clip(double v) => Math.Clamp(v, -clip, clip);
        for (int d = 0; d < D; ++d)
        {
            bool reverse = direction == "reverse" || d == 1;
            Activation f = acts[d * defaults.Length], g = defaults.Length > 1 ? acts[d * defaults.Length + 1] : f;
            Activation hAct = defaults.Length > 2 ? acts[d * defaults.Length + 2] : g;
            int wo = d * G * H * I, ro = d * G * H * H, bo = d * 2 * G * H, po = d * 3 * H;
            for (int bi = 0; bi < Bn; ++bi)
            {
                int len = seqLens is null ? T : (int)seqLens[bi];
                if (len < 0 || len > T)
                    throw ctx.Fail($"sequence_lens[{bi}] = {len} is outside [0, {T}]");
                int si = SIdx(d, bi);
                for (int k = 0; k < H; ++k)
                {
                    hPrev[k] = h0?[si + k] ?? 0;
                    cPrev[k] = c0?[si + k] ?? 0;
                }
                for (int step = 0; step < len; ++step)
                {
                    int t = reverse ? len - 1 - step : step;
                    int xi = XIdx(t, bi);
                    // gates = W x + Wb (+ R h + Rb except GRU's hidden gate, handled below).
                    for (int j = 0; j < G * H; ++j)
                    {
                        double acc = b[bo + j];
                        int wr = wo + j * I;
                        for (int k = 0; k < I; ++k)
                            acc += w[wr + k] * x[xi + k];
                        bool gruHidden = kind == Kind.Gru && j >= 2 * H;
                        if (!gruHidden)
                        {
                            acc += b[bo + G * H + j];
                            int rr = ro + j * H;
                            for (int k = 0; k < H; ++k)
                                acc += r[rr + k] * hPrev[k];
                        }
                        gates[j] = acc;
                    }
                    switch (kind)
                    {
                        case Kind.Rnn:
                            for (int k = 0; k < H; ++k)
                                hPrev[k] = f(Clip(gates[k]));
                            break;
                        case Kind.Gru:
                            {
                                // order z, r, h
                                for (int k = 0; k < H; ++k)
                                {
                                    gates[k] = f(Clip(gates[k]));
                                    gates[H + k] = f(Clip(gates[H + k]));
                                }
                                if (linearBeforeReset)
                                {
                                    for (int k = 0; k < H; ++k)
                                    {
                                        double acc = b[bo + G * H + 2 * H + k];
                                        int rr = ro + (2 * H + k) * H;
                                        for (int m = 0; m < H; ++m)
                                            acc += r[rr + m] * hPrev[m];
                                        rh[k] = gates[H + k] * acc;
                                    }
                                    for (int k = 0; k < H; ++k)
                                        gates[2 * H + k] += rh[k];
                                }
                                else
                                {
                                    for (int k = 0; k < H; ++k)
                                        rh[k] = gates[H + k] * hPrev[k];
                                    for (int k = 0; k < H; ++k)
                                    {
                                        double acc = b[bo + G * H + 2 * H + k];
                                        int rr = ro + (2 * H + k) * H;
                                        for (int m = 0; m < H; ++m)
                                            acc += r[rr + m] * rh[m];
                                        gates[2 * H + k] += acc;
                                    }
                                }
                                for (int k = 0; k < H; ++k)
                                {
                                    double hh = g(Clip(gates[2 * H + k]));
                                    double z = gates[k];
                                    hPrev[k] = (1 - z) * hh + z * hPrev[k];
                                }
                                break;
                            }
                        case Kind.Lstm:
                            {
                                // order i, o, f, c; peepholes P = [Pi, Po, Pf]
                                for (int k = 0; k < H; ++k)
                                {
                                    double pi = peep?[po + k] ?? 0, pO = peep?[po + H + k] ?? 0, pf = peep?[po + 2 * H + k] ?? 0;
                                    double it = f(Clip(gates[k] + pi * cPrev[k]));
                                    double ft = inputForget ? 1 - it : f(Clip(gates[2 * H + k] + pf * cPrev[k]));
                                    double ct = g(Clip(gates[3 * H + k]));
                                    double c = ft * cPrev[k] + it * ct;
                                    double ot = f(Clip(gates[H + k] + pO * c));
                                    cPrev[k] = c;
                                    hPrev[k] = ot * hAct(c);
                                }
                                break;
                            }
                    }
                    Array.Copy(hPrev, 0, y, YIdx(t, d, bi), H);
                }
                Array.Copy(hPrev, 0, yh, si, H);
                Array.Copy(cPrev, 0, yc, si, H);
            }
        }
        DataType dt = xt.DataType;
        int[] yShape = layout == 0 ? [T, D, Bn, H] : [Bn, T, D, H];
        int[] sShape = layout == 0 ? [D, Bn, H] : [Bn, D, H];
        var outputs = new Value?[Math.Max(1, ctx.OutputCount)];
        if (ctx.WantsOutput(0))
            outputs[0] = NNUtil.FromDoubles(dt, y, yShape);
        if (outputs.Length > 1 && ctx.WantsOutput(1))
            outputs[1] = NNUtil.FromDoubles(dt, yh, sShape);
        if (outputs.Length > 2 && kind == Kind.Lstm && ctx.WantsOutput(2))
            outputs[2] = NNUtil.FromDoubles(dt, yc, sShape);
        return outputs;
    }
}
