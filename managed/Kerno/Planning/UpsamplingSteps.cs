using Kerno.Execution;
using Kerno.Graph;
using Kerno.Kernels;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// Resize (opset 11+) of the two spatial axes of an NCHW float tensor on <c>kerno_resize2d</c>: nearest or bilinear,
/// half_pixel / asymmetric / align_corners / pytorch_half_pixel coordinates, constant scales or sizes that keep N and C
/// and scale H and W by factors whose output sizes are exact (in * scale integral, what upsampling networks use).
/// Anything else (cubic, antialias, axes, roi, fractional sizes) runs the reference kernel.
/// </summary>
internal sealed unsafe class ResizeStep : KernelStep
{
    private readonly ResizeMode? mode;
    private readonly CoordinateMode coordinates;
    private readonly NearestMode nearest;

    public ResizeStep(Node node, long opset, ReferenceKernel reference) : base(node, opset, reference)
    {
        mode = node.GetString("mode", "nearest") switch { "nearest" => ResizeMode.Nearest, "linear" => ResizeMode.Linear, _ => null };
        CoordinateMode? c = node.GetString("coordinate_transformation_mode", "half_pixel") switch
        {
            "half_pixel" => CoordinateMode.HalfPixel,
            "asymmetric" => CoordinateMode.Asymmetric,
            "align_corners" => CoordinateMode.AlignCorners,
            "pytorch_half_pixel" => CoordinateMode.PytorchHalfPixel,
            _ => null,
        };
        NearestMode? n = node.GetString("nearest_mode", "round_prefer_floor") switch
        {
            "round_prefer_floor" => NearestMode.RoundPreferFloor,
            "round_prefer_ceil" => NearestMode.RoundPreferCeil,
            "floor" => NearestMode.Floor,
            "ceil" => NearestMode.Ceil,
            _ => null,
        };
        if (opset < 11 || c is null || n is null || node.Has("axes") || node.GetInt("antialias", 0) != 0
            || node.GetString("keep_aspect_ratio_policy", "stretch") != "stretch")
            mode = null;
        coordinates = c ?? default;
        nearest = n ?? default;
    }

    public override string KernelName => "resize-" + (mode?.ToString().ToLowerInvariant() ?? "reference");

    public override void Execute(RunContext context)
    {
        if (mode is not { } m || context.Slots[Inputs[0]] is not Tensor<float> { Rank: 4 } x || x.Length == 0 || Sizes(context, x) is not { } s)
        {
            RunReference(context);
            return;
        }
        var (oh, ow, sh, sw) = s;
        Tensor<float> y = context.Output(Outputs[0], [x.Shape[0], x.Shape[1], oh, ow]);
        int nc = x.Shape[0] * x.Shape[1];
        if (y.Length != (long)nc * oh * ow)
            throw Fail("output size mismatch");
        fixed (float* px = x.Span, py = y.Span)
        {
            // Planes split across the threads.
            LoopJob job = context.Loop;
            job.Body = &RunPlanes;
            job.P0 = px;
            job.P1 = py;
            (job.I0, job.I1, job.I2) = ((int)m, (int)coordinates, (int)nearest);
            (job.I3, job.I4, job.I5, job.I6, job.I7) = (nc, x.Shape[2], x.Shape[3], oh, ow);
            (job.F0, job.F1) = (sh, sw);
            int chunks = Math.Min(nc, ManagedKernels.Chunks(context, y.Length));
            job.I8 = chunks;
            job.Run(context.Pool, chunks);
        }
        context.Slots[Outputs[0]] = y;
    }

    private static void RunPlanes(LoopJob j, int chunk)
    {
        int nc = j.I3, h = j.I4, w = j.I5, oh = j.I6, ow = j.I7;
        int p0 = (int)((long)nc * chunk / j.I8), p1 = (int)((long)nc * (chunk + 1) / j.I8);
        if (p1 <= p0)
            return;
        NnKernels.Resize2d((ResizeMode)j.I0, (CoordinateMode)j.I1, (NearestMode)j.I2,
            new ReadOnlySpan<float>(j.P0 + (long)p0 * h * w, (p1 - p0) * h * w), new Span<float>(j.P1 + (long)p0 * oh * ow, (p1 - p0) * oh * ow),
            p1 - p0, h, w, oh, ow, j.F0, j.F1);
    }

    /// <summary>Output H, W and the H, W scales, or null when the run's scales/sizes are outside what the native kernel takes.</summary>
    private (int, int, float, float)? Sizes(RunContext context, Tensor<float> x)
    {
        int h = x.Shape[2], w = x.Shape[3];
        Value? sizesInput = Inputs.Length > 3 && Inputs[3] >= 0 ? context.Slots[Inputs[3]] : null;
        Value? scalesInput = Inputs.Length > 2 && Inputs[2] >= 0 ? context.Slots[Inputs[2]] : null;
        if (sizesInput is Tensor<long> { Length: 4 } sizes && (scalesInput is null || scalesInput is Tensor { Length: 0 }))
        {
            if (sizes[0] != x.Shape[0] || sizes[1] != x.Shape[1] || sizes[2] <= 0 || sizes[3] <= 0 || sizes[2] > int.MaxValue || sizes[3] > int.MaxValue)
                return null;
            int oh = (int)sizes[2], ow = (int)sizes[3];
            return (oh, ow, (float)oh / h, (float)ow / w);
        }
        if (scalesInput is Tensor<float> { Length: 4 } scales && (sizesInput is null || sizesInput is Tensor { Length: 0 }))
        {
            if (scales[0] != 1 || scales[1] != 1 || !(scales[2] > 0) || !(scales[3] > 0))
                return null;
            double oh = h * (double)scales[2], ow = w * (double)scales[3];
            // Integral sizes only: the reference's double coordinates and the kernel's float ones then agree.
            if (oh != Math.Floor(oh) || ow != Math.Floor(ow) || oh < 1 || ow < 1 || oh > int.MaxValue || ow > int.MaxValue)
                return null;
            return ((int)oh, (int)ow, scales[2], scales[3]);
        }
        return null;
    }
}

/// <summary>
/// ConvTranspose 2-D (NCHW, float) with constant weights and bias on <c>kerno_conv_transpose2d</c> (a GEMM through the
/// conv plans, then col2im), explicit pads and output_padding; output_shape and auto_pad run the reference kernel.
/// </summary>
internal sealed unsafe class ConvTransposeStep : KernelStep
{
    private readonly Tensor<float> weight;
    private readonly float[]? bias;
    private readonly int[] strides, pads, dilations, outputPadding;
    private readonly int group;
    private readonly bool supported;

    public ConvTransposeStep(Node node, long opset, ReferenceKernel reference, Tensor<float> weight, Tensor<float>? bias) : base(node, opset, reference)
    {
        this.weight = weight;
        this.bias = bias?.Span.ToArray();
        strides = Ints(node, "strides", 2, 1);
        dilations = Ints(node, "dilations", 2, 1);
        pads = Ints(node, "pads", 4, 0);
        outputPadding = Ints(node, "output_padding", 2, 0);
        group = checked((int)node.GetInt("group", 1));
        long[]? kernel = node.GetInts("kernel_shape");
        supported = weight.Rank == 4 && node.GetString("auto_pad", "NOTSET") == "NOTSET" && !node.Has("output_shape")
            && (kernel is null || (kernel.Length == 2 && kernel[0] == weight.Shape[2] && kernel[1] == weight.Shape[3]))
            && group > 0 && weight.Shape[0] % group == 0 && (bias is null || bias.Length == weight.Shape[1] * group);
    }

    private static int[] Ints(Node node, string name, int count, int absent)
    {
        long[] v = node.GetInts(name) ?? Enumerable.Repeat((long)absent, count).ToArray();
        if (v.Length != count || v.Any(x => x < 0 || x > int.MaxValue))
            throw new NotSupportedException($"{name} has {v.Length} values or one out of range");
        return v.Select(x => (int)x).ToArray();
    }

    public override string KernelName => "conv-transpose";

    public override IEnumerable<int> ConsumedConstants => bias is null ? [1] : [1, 2];

    private int[]? OutputShape(ReadOnlySpan<int> x)
    {
        if (!supported || x.Length != 4 || x[1] != weight.Shape[0])
            return null;
        var y = new int[] { x[0], weight.Shape[1] * group, 0, 0 };
        for (int i = 0; i < 2; ++i)
        {
            long size = (long)strides[i] * (x[2 + i] - 1) + outputPadding[i] + (long)(weight.Shape[2 + i] - 1) * dilations[i] + 1 - pads[i] - pads[2 + i];
            if (size <= 0 || size > int.MaxValue || outputPadding[i] >= Math.Max(strides[i], dilations[i]))
                return null;
            y[2 + i] = (int)size;
        }
        return y;
    }

    public override double Flops(Func<int, int[]?> shapeOf) =>
        shapeOf(Inputs[0]) is { Length: 4 } x ? 2.0 * x[0] * x[1] * x[2] * x[3] * (weight.Length / weight.Shape[0]) : 0;

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> x || x.Length == 0 || OutputShape(x.Shape) is not { } shape)
        {
            RunReference(context);
            return;
        }
        Tensor<float> y = context.Output(Outputs[0], shape);
        Slice[] slices = Slices(group == 1 ? Math.Min(context.Pool.Threads, shape[1]) : 1);
        if (slices.Length == 1)
        {
            NnKernels.ConvTranspose2d(x.Span, weight.Span, bias ?? [], y.Span, x.Shape, weight.Shape, shape, strides, pads, dilations, group);
            context.Slots[Outputs[0]] = y;
            return;
        }
        // Output channels split across the threads, one image at a time: each slice has its own columns of the weights.
        var run = new SliceRun(this, slices, x.Dims, shape);
        fixed (float* px = x.Span, py = y.Span)
        {
            LoopJob job = context.Loop;
            job.Body = &RunSlice;
            job.P0 = px;
            job.P1 = py;
            job.State = run;
            for (int n = 0; n < shape[0]; ++n)
            {
                job.I0 = n;
                job.Run(context.Pool, slices.Length);
            }
            job.State = null;
        }
        context.Slots[Outputs[0]] = y;
    }

    /// <summary>Output channels [K0, K0 + weight.Shape[1]) with their weights {C, k, kh, kw} and bias.</summary>
    private sealed record Slice(int K0, Tensor<float> Weight, float[]? Bias);

    private sealed record SliceRun(ConvTransposeStep Step, Slice[] Slices, int[] X, int[] Y);

    private Slice[]? slices;

    /// <summary><paramref name="count"/> slices of the output channels (group 1), made once per count.</summary>
    private Slice[] Slices(int count)
    {
        if (count <= 1)
            return [new Slice(0, weight, bias)];
        if (slices is { } made && made.Length == count)
            return made;
        int c = weight.Shape[0], k = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3], taps = kh * kw;
        var result = new Slice[count];
        for (int i = 0; i < count; ++i)
        {
            int k0 = (int)((long)k * i / count), k1 = (int)((long)k * (i + 1) / count);
            var w = new Tensor<float>([c, k1 - k0, kh, kw]);
            for (int ci = 0; ci < c; ++ci)
                weight.Span.Slice((ci * k + k0) * taps, (k1 - k0) * taps).CopyTo(w.Span.Slice(ci * (k1 - k0) * taps));
            result[i] = new Slice(k0, w, bias?[k0..k1]);
        }
        return slices = result;
    }

    private static void RunSlice(LoopJob j, int index)
    {
        var run = (SliceRun)j.State!;
        Slice s = run.Slices[index];
        ConvTransposeStep step = run.Step;
        int[] x = run.X, y = run.Y;
        int kc = s.Weight.Shape[1], n = j.I0;
        long inImage = (long)x[1] * x[2] * x[3], outPlane = (long)y[2] * y[3];
        NnKernels.ConvTranspose2d(new ReadOnlySpan<float>(j.P0 + n * inImage, (int)inImage), s.Weight.Span, s.Bias ?? [],
            new Span<float>(j.P1 + (n * (long)y[1] + s.K0) * outPlane, (int)(kc * outPlane)),
            [1, x[1], x[2], x[3]], s.Weight.Shape, [1, kc, y[2], y[3]], step.strides, step.pads, step.dilations, 1);
    }
}
