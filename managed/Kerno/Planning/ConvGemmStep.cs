using Kerno.Execution;
using Kerno.Graph;
using Kerno.Interop;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>Geometry of a 2-D convolution (ONNX Conv attributes resolved for one input size).</summary>
internal readonly record struct ConvGeometry(int N, int C, int H, int W, int K, int KH, int KW, int Group,
    int StrideH, int StrideW, int DilationH, int DilationW, int PadTop, int PadLeft, int PadBottom, int PadRight)
{
    public int OutH => (H + PadTop + PadBottom - ((KH - 1) * DilationH + 1)) / StrideH + 1;
    public int OutW => (W + PadLeft + PadRight - ((KW - 1) * DilationW + 1)) / StrideW + 1;
    public int CPerGroup => C / Group;
    public int KPerGroup => K / Group;

    /// <summary>1x1, stride 1, no padding: the input is already the GEMM's B operand.</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && StrideH == 1 && StrideW == 1 && PadTop == 0 && PadLeft == 0 && PadBottom == 0 && PadRight == 0;

    public double Flops => 2.0 * N * K * OutH * OutW * CPerGroup * KH * KW;

    /// <summary>Resolves the node's attributes for an input of shape [N,C,H,W] and a weight of shape [K,C/g,kh,kw]; null when not a plain 2-D conv.</summary>
    public static ConvGeometry? Of(Node node, ReadOnlySpan<int> x, ReadOnlySpan<int> w)
    {
        if (x.Length != 4 || w.Length != 4)
            return null;
        long group = node.GetInt("group", 1);
        long[] strides = node.GetInts("strides") ?? [1, 1];
        long[] dilations = node.GetInts("dilations") ?? [1, 1];
        long[]? kernelShape = node.GetInts("kernel_shape");
        if (group < 1 || strides.Length != 2 || dilations.Length != 2 || strides.Any(s => s < 1 || s > 1 << 16) || dilations.Any(d => d < 1 || d > 1 << 16))
            return null;
        if (kernelShape is not null && (kernelShape.Length != 2 || kernelShape[0] != w[2] || kernelShape[1] != w[3]))
            return null;
        if (x[1] != w[1] * group || w[0] % group != 0 || w[0] == 0 || x[0] == 0 || x[2] == 0 || x[3] == 0)
            return null;
        int kh = w[2], kw = w[3], sh = (int)strides[0], sw = (int)strides[1], dh = (int)dilations[0], dw = (int)dilations[1];
        int pt, pl, pb, pr;
        string autoPad = node.GetString("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET":
                long[] pads = node.GetInts("pads") ?? [0, 0, 0, 0];
                if (pads.Length != 4 || pads.Any(p => p < 0 || p > 1 << 16))
                    return null;
                (pt, pl, pb, pr) = ((int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3]);
                break;
            case "VALID":
                pt = pl = pb = pr = 0;
                break;
            case "SAME_UPPER" or "SAME_LOWER":
                (pt, pb) = Same(x[2], kh, sh, dh, autoPad == "SAME_UPPER");
                (pl, pr) = Same(x[3], kw, sw, dw, autoPad == "SAME_UPPER");
                break;
            default:
                return null;
        }
        var g = new ConvGeometry(x[0], x[1], x[2], x[3], w[0], kh, kw, (int)group, sh, sw, dh, dw, pt, pl, pb, pr);
        return g.OutH > 0 && g.OutW > 0 ? g : null;
    }

    private static (int Begin, int End) Same(int size, int k, int s, int d, bool upper)
    {
        int outSize = (size + s - 1) / s;
        int total = Math.Max(0, (outSize - 1) * s + (k - 1) * d + 1 - size);
        int small = total / 2;
        return upper ? (small, total - small) : (total - small, small);
    }
}

/// <summary>
/// Conv / kerno.FusedConv (2-D, NCHW) as SGEMM: per image and group, Y (K/g x OH*OW) = W (K/g x C/g*kh*kw) times the
/// im2col matrix (or the input itself for pointwise convolutions), with the bias per row, the residual through
/// beta = 1 and the activation in the epilogue. Used until libkerno's convolution kernels are available.
/// </summary>
internal sealed unsafe class ConvGemmStep : KernelStep
{
    private readonly Tensor<float> weight;
    private readonly int[] weightShape;
    private readonly float[]? bias;
    private readonly FusedActivation activation;
    private readonly bool residual;

    public ConvGemmStep(Node node, long opset, ReferenceKernel reference, Tensor<float> weight, Tensor<float>? bias, FusedActivation activation, bool residual)
        : base(node, opset, reference)
    {
        this.weight = weight;
        weightShape = weight.Shape.ToArray();
        this.bias = bias?.Span.ToArray();
        this.activation = activation;
        this.residual = residual;
    }

    public override string KernelName => "conv-sgemm" + (activation.Kind != ActivationKind.None ? "+" + activation.Kind.ToString().ToLowerInvariant() : "");

    public override IEnumerable<int> ConsumedConstants => bias is null ? [1] : [1, 2];

    private ConvGeometry? Geometry(int[]? x) => x is null ? null : ConvGeometry.Of(Node, x, weightShape);

    public override double Flops(Func<int, int[]?> shapeOf) => Geometry(shapeOf(Inputs[0]))?.Flops ?? 0;

    public override long WorkspaceBytes(Func<int, int[]?> shapeOf) =>
        Geometry(shapeOf(Inputs[0])) is { } g && !g.IsPointwise ? 4L * g.CPerGroup * g.KH * g.KW * g.OutH * g.OutW : 0;

    public override void Execute(RunContext context)
    {
        Tensor<float>? z = residual && Inputs.Length > 3 && Inputs[3] >= 0 ? context.Slots[Inputs[3]] as Tensor<float> : null;
        if (context.Slots[Inputs[0]] is not Tensor<float> x || Geometry(x.Dims) is not { } g || (residual && z is null))
        {
            RunReference(context);
            return;
        }
        int oh = g.OutH, ow = g.OutW, spatial = oh * ow;
        int rows = g.CPerGroup * g.KH * g.KW;
        Span<int> shape = [g.N, g.K, oh, ow];
        if (z is not null && !z.Shape.SequenceEqual(shape))
        {
            RunReference(context);
            return;
        }
        Tensor<float> y = context.Output(Outputs[0], shape);
        if (x.Length != (long)g.N * g.C * g.H * g.W || y.Length != (long)g.N * g.K * spatial || weight.Length != (long)g.K * rows)
            throw Fail("tensor sizes do not match the convolution geometry");
        long colBytes = g.IsPointwise ? 0 : 4L * rows * spatial;
        float* col = context.Workspace(Index, colBytes);
        if (z is not null && !ReferenceEquals(z, y))
            z.Span.CopyTo(y.Span);
        fixed (float* px = x.Span, py = y.Span, pw = weight.Span, pbias = bias)
        {
            GemmJob job = context.Gemm;
            for (int n = 0; n < g.N; ++n)
            {
                for (int grp = 0; grp < g.Group; ++grp)
                {
                    float* image = px + ((long)n * g.C + (long)grp * g.CPerGroup) * g.H * g.W;
                    float* b = image;
                    if (!g.IsPointwise)
                    {
                        Im2Col(context, g, image, col);
                        b = col;
                    }
                    job.Reset();
                    job.M = g.KPerGroup;
                    job.N = spatial;
                    job.K = rows;
                    job.A = pw + (long)grp * g.KPerGroup * rows;
                    job.Lda = rows;
                    job.B = b;
                    job.Ldb = spatial;
                    job.C = py + ((long)n * g.K + (long)grp * g.KPerGroup) * spatial;
                    job.Ldc = spatial;
                    job.Beta = z is not null ? 1 : 0;
                    job.Epilogue = Epilogues.Make(activation, NativeMethods.KERNO_BIAS_ROW, pbias == null ? null : pbias + (long)grp * g.KPerGroup);
                    job.Run(context.Pool);
                }
            }
        }
        Epilogues.After(activation, y.Span);
        context.Slots[Outputs[0]] = y;
    }

    /// <summary>Fills col [C/g * kh * kw][OH * OW] from one image's channels of one group (zeros where padded).</summary>
    private static void Im2Col(RunContext context, ConvGeometry g, float* image, float* col)
    {
        LoopJob loop = context.Loop;
        loop.Body = &Im2ColRows;
        loop.P0 = image;
        loop.P1 = col;
        loop.I0 = g.H;
        loop.I1 = g.W;
        loop.I2 = g.KH;
        loop.I3 = g.KW;
        loop.I4 = g.StrideH;
        loop.I5 = g.StrideW;
        loop.I6 = g.DilationH;
        loop.I7 = g.DilationW;
        loop.I8 = g.PadTop;
        loop.I9 = g.PadLeft;
        loop.I10 = g.OutH;
        loop.I11 = g.OutW;
        int channels = g.CPerGroup;
        long work = (long)channels * g.KH * g.KW * g.OutH * g.OutW;
        loop.Run(context.Pool, channels, parallel: work >= 1 << 15);
    }

    private static void Im2ColRows(LoopJob j, int c)
    {
        int h = j.I0, w = j.I1, kh = j.I2, kw = j.I3, sh = j.I4, sw = j.I5, dh = j.I6, dw = j.I7, pt = j.I8, pl = j.I9, oh = j.I10, ow = j.I11;
        float* src = j.P0 + (long)c * h * w;
        float* dst = j.P1 + (long)c * kh * kw * oh * ow;
        for (int ki = 0; ki < kh; ++ki)
        {
            for (int kj = 0; kj < kw; ++kj)
            {
                // Output columns whose input column is inside the image: ow0 <= x < ow1.
                int offW = kj * dw - pl;
                int ow0 = offW >= 0 ? 0 : Math.Min(ow, (-offW + sw - 1) / sw);
                int ow1 = w - offW <= 0 ? 0 : Math.Min(ow, (w - offW + sw - 1) / sw);
                ow1 = Math.Max(ow0, ow1);
                for (int y = 0; y < oh; ++y, dst += ow)
                {
                    int iy = y * sh - pt + ki * dh;
                    if ((uint)iy >= (uint)h)
                    {
                        new Span<float>(dst, ow).Clear();
                        continue;
                    }
                    float* row = src + (long)iy * w + offW;
                    for (int x = 0; x < ow0; ++x)
                        dst[x] = 0;
                    if (sw == 1)
                        new ReadOnlySpan<float>(row + ow0, ow1 - ow0).CopyTo(new Span<float>(dst + ow0, ow1 - ow0));
                    else
                        for (int x = ow0; x < ow1; ++x)
                            dst[x] = row[x * sw];
                    for (int x = ow1; x < ow; ++x)
                        dst[x] = 0;
                }
            }
        }
    }
}
