namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>DFT, STFT, the window generators and MelWeightMatrix. Transforms are direct O(n²) sums in double.</summary>
internal static class Signal
{
    /// <summary>DFT of complex rows: <paramref name="re"/>/<paramref name="im"/> of length n, output <paramref name="bins"/> bins of an n-point transform.</summary>
    private static void Dft(ReadOnlySpan<double> re, ReadOnlySpan<double> im, int n, int bins, bool inverse, Span<double> outRe, Span<double> outIm)
    {
        double sign = inverse ? 1 : -1;
        for (int k = 0; k < bins; ++k)
        {
            double sr = 0, si = 0;
            for (int t = 0; t < n; ++t)
            {
                // Reduce k*t mod n first so the angle stays small and exact.
                double ang = sign * 2 * Math.PI * ((long)k * t % n) / n;
                double c = Math.Cos(ang), s = Math.Sin(ang);
                sr += re[t] * c - im[t] * s;
                si += re[t] * s + im[t] * c;
            }
            if (inverse)
            {
                sr /= n;
                si /= n;
            }
            outRe[k] = sr;
            outIm[k] = si;
        }
    }

    [OnnxOp("DFT", MinOpset = 17)]
    private static Tensor DftOp(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "input");
        int rank = xt.Rank;
        if (rank < 2 || xt.Shape[^1] is not (1 or 2))
            throw ctx.Fail($"input {Tensor.FormatShape(xt.Shape)} must end in a dimension of 1 (real) or 2 (complex)");
        long axisL = ctx.Opset >= 20
            ? (ctx.OptionalInput(2) is { Length: > 0 } at ? at.ToInt64Array()[0] : -2)
            : ctx.Node.GetInt("axis", 1);
        if (axisL < 0)
            axisL += rank;
        if (axisL < 0 || axisL >= rank - 1)
            throw ctx.Fail($"axis is out of range for input rank {rank}");
        int axis = (int)axisL;
        bool inverse = ctx.Node.GetInt("inverse", 0) != 0, onesided = ctx.Node.GetInt("onesided", 0) != 0;
        bool complex = xt.Shape[^1] == 2;
        int len = xt.Shape[axis];
        bool irfft = inverse && onesided;
        int n = ctx.OptionalInput(1) is { Length: > 0 } lt ? checked((int)lt.ToInt64Array()[0]) : irfft ? 2 * (len - 1) : len;
        if (n <= 0)
            throw ctx.Fail($"dft_length {n} must be positive");
        // Inverse one-sided: the input is half a Hermitian spectrum, the output n real samples.
        int bins = irfft ? n : onesided ? n / 2 + 1 : n;
        int outer = NNUtil.Product(xt.Shape[..axis]), inner = NNUtil.Product(xt.Shape[(axis + 1)..^1]);
        int comp = complex ? 2 : 1, outComp = irfft ? 1 : 2;
        double[] x = xt.ToDoubleArray();
        var y = new double[outer * bins * inner * outComp];
        var re = new double[n];
        var im = new double[n];
        var ore = new double[bins];
        var oim = new double[bins];
        for (int o = 0; o < outer; ++o)
            for (int i = 0; i < inner; ++i)
            {
                Array.Clear(re);
                Array.Clear(im);
                for (int t = 0; t < Math.Min(n, len); ++t)
                {
                    int src = ((o * len + t) * inner + i) * comp;
                    re[t] = x[src];
                    im[t] = complex ? x[src + 1] : 0;
                }
                if (irfft)
                    for (int t = Math.Min(n, len); t < n; ++t)
                        if (n - t < len)
                        {
                            re[t] = re[n - t];
                            im[t] = -im[n - t];
                        }
                Dft(re, im, n, bins, inverse, ore, oim);
                for (int k = 0; k < bins; ++k)
                {
                    int dst = ((o * bins + k) * inner + i) * outComp;
                    y[dst] = ore[k];
                    if (!irfft)
                        y[dst + 1] = oim[k];
                }
            }
        int[] shape = xt.Shape.ToArray();
        shape[axis] = bins;
        shape[^1] = outComp;
        return NNUtil.FromDoubles(xt.DataType, y, shape);
    }

    [OnnxOp("STFT", MinOpset = 17)]
    private static Tensor Stft(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        NNUtil.RequireFloat(ctx, xt, "signal");
        if (xt.Rank != 3 || xt.Shape[2] is not (1 or 2))
            throw ctx.Fail($"signal {Tensor.FormatShape(xt.Shape)} must be [batch, length, 1 or 2]");
        int step = checked((int)ctx.Input(1).ToInt64Array()[0]);
        double[]? window = ctx.OptionalInput(2)?.ToDoubleArray();
        int frameLen = ctx.OptionalInput(3) is { Length: > 0 } fl ? checked((int)fl.ToInt64Array()[0]) : window?.Length
            ?? throw ctx.Fail("either window or frame_length is required");
        if (window is not null && window.Length != frameLen)
            throw ctx.Fail($"window has {window.Length} values but frame_length is {frameLen}");
        bool onesided = ctx.Node.GetInt("onesided", 1) != 0;
        int B = xt.Shape[0], L = xt.Shape[1];
        bool complex = xt.Shape[2] == 2;
        if (step <= 0 || frameLen <= 0 || frameLen > L)
            throw ctx.Fail($"frame_step {step} / frame_length {frameLen} do not fit a signal of {L}");
        int frames = (L - frameLen) / step + 1, bins = onesided ? frameLen / 2 + 1 : frameLen;
        double[] x = xt.ToDoubleArray();
        var y = new double[B * frames * bins * 2];
        var re = new double[frameLen];
        var im = new double[frameLen];
        var ore = new double[bins];
        var oim = new double[bins];
        int comp = complex ? 2 : 1;
        for (int b = 0; b < B; ++b)
            for (int f = 0; f < frames; ++f)
            {
                for (int t = 0; t < frameLen; ++t)
                {
                    int src = (b * L + f * step + t) * comp;
                    double w = window?[t] ?? 1;
                    re[t] = x[src] * w;
                    im[t] = complex ? x[src + 1] * w : 0;
                }
                Dft(re, im, frameLen, bins, false, ore, oim);
                for (int k = 0; k < bins; ++k)
                {
                    int dst = ((b * frames + f) * bins + k) * 2;
                    y[dst] = ore[k];
                    y[dst + 1] = oim[k];
                }
            }
        return NNUtil.FromDoubles(xt.DataType, y, [B, frames, bins, 2]);
    }

    [OnnxOp("HannWindow", "HammingWindow", "BlackmanWindow", MinOpset = 17)]
    private static Tensor Window(OpContext ctx)
    {
        long size = ctx.Input(0).ToInt64Array()[0];
        if (size < 0)
            throw ctx.Fail($"size {size} is negative");
        bool periodic = ctx.Node.GetInt("periodic", 1) != 0;
        var dt = (DataType)ctx.Node.GetInt("output_datatype", 1);
        double N = periodic ? size : size - 1;
        var w = new double[size];
        for (int n = 0; n < size; ++n)
        {
            double a = N == 0 ? 0 : 2 * Math.PI * n / N;
            w[n] = ctx.Node.OpType switch
            {
                "HannWindow" => 0.5 - 0.5 * Math.Cos(a),
                "HammingWindow" => 25.0 / 46 - (1 - 25.0 / 46) * Math.Cos(a),
                _ => 0.42 - 0.5 * Math.Cos(a) + 0.08 * Math.Cos(2 * a),
            };
        }
        return NNUtil.FromDoubles(dt, w, [(int)size]);
    }

    [OnnxOp("MelWeightMatrix", MinOpset = 17)]
    private static Tensor MelWeightMatrix(OpContext ctx)
    {
        int mels = checked((int)ctx.Input(0).ToInt64Array()[0]);
        int dftLen = checked((int)ctx.Input(1).ToInt64Array()[0]);
        long rate = ctx.Input(2).ToInt64Array()[0];
        double lo = ctx.Input(3).ToDoubleArray()[0], hi = ctx.Input(4).ToDoubleArray()[0];
        var dt = (DataType)ctx.Node.GetInt("output_datatype", 1);
        if (mels <= 0 || dftLen <= 0 || rate <= 0)
            throw ctx.Fail("num_mel_bins, dft_length and sample_rate must be positive");
        int specBins = dftLen / 2 + 1;
        double loMel = 2595 * Math.Log10(1 + lo / 700), hiMel = 2595 * Math.Log10(1 + hi / 700);
        // The step divides the mel range by num_mel_bins + 2 (the number of band edges), as the reference does.
        double melStep = (hiMel - loMel) / (mels + 2);
        var bin = new int[mels + 2];
        for (int i = 0; i < bin.Length; ++i)
        {
            double hz = 700 * (Math.Pow(10, (i * melStep + loMel) / 2595) - 1);
            bin[i] = (int)Math.Floor((dftLen + 1) * hz / rate);
        }
        var w = new double[specBins * mels];
        for (int m = 0; m < mels; ++m)
        {
            int left = bin[m], center = bin[m + 1], right = bin[m + 2];
            if (center == left)
            {
                if (center >= 0 && center < specBins)
                    w[center * mels + m] = 1;
            }
            else
                for (int j = left; j <= center; ++j)
                    if (j >= 0 && j < specBins)
                        w[j * mels + m] = (double)(j - left) / (center - left);
            if (right > center)
                for (int j = center; j < right; ++j)
                    if (j >= 0 && j < specBins)
                        w[j * mels + m] = (double)(right - j) / (right - center);
        }
        return NNUtil.FromDoubles(dt, w, [specBins, mels]);
    }
}
