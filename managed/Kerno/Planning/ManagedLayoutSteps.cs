using System.Numerics;
using System.Runtime.CompilerServices;
using Kerno.Execution;
using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>MaxPool (without the Indices output) and AveragePool over 2-D NCHW float tensors with explicit pads, on
/// libkerno's pool kernel. Attributes are read once; a run only computes the output size. kerno.BlockedMaxPool /
/// kerno.BlockedAveragePool run the same kernel on NCHWc tensors, split by channel blocks.</summary>
internal sealed unsafe class Pool2dStep : KernelStep
{
    private readonly bool max;
    private readonly int block; // NCHWc block (blocked pools), 1 for NCHW: the unit the planes are split by

    /// <summary>kh, kw, sh, sw, dh, dw, pad top, left, bottom, right, count_include_pad; null when the node is
    /// outside what the kernel handles (the reference kernel runs it).</summary>
    private readonly int[]? attrs;
    private readonly bool ceil;

    public Pool2dStep(Node node, long opset, ReferenceKernel reference, bool blocked = false) : base(node, opset, reference)
    {
        max = node.OpType is "MaxPool" or "BlockedMaxPool";
        block = blocked ? (int)node.GetInt("block") : 1;
        long[]? kernel = node.GetInts("kernel_shape");
        long[] strides = node.GetInts("strides") ?? [1, 1];
        long[] dil = node.GetInts("dilations") ?? [1, 1];
        long[] pads = node.GetInts("pads") ?? [0, 0, 0, 0];
        ceil = node.GetInt("ceil_mode", 0) != 0;
        if (kernel is not { Length: 2 } || strides.Length != 2 || dil.Length != 2 || pads.Length != 4
            || node.GetString("auto_pad", "NOTSET") is not ("NOTSET" or "") || (max && node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
            || kernel.Concat(strides).Concat(dil).Any(v => v < 1 || v > 1 << 16) || pads.Any(v => v < 0 || v > 1 << 16))
            return;
        attrs = [(int)kernel[0], (int)kernel[1], (int)strides[0], (int)strides[1], (int)dil[0], (int)dil[1],
            (int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3], (int)node.GetInt("count_include_pad", 0)];
    }

    public override string KernelName => (max ? "maxpool2d" : "avgpool2d") + (block > 1 ? $"-nchwc{block}" : "");

    /// <summary>Output height and width for an input of <paramref name="x"/> (rank 4), or false when the window does not fit.</summary>
    private bool OutputSize(ReadOnlySpan<int> x, out int oh, out int ow)
    {
        oh = ow = 0;
        // Empty tensors go to the reference kernel (libkerno's pool wants positive sizes).
        if (attrs is not { } a || x.Length != 4 || x[0] <= 0 || x[1] <= 0 || x[2] <= 0 || x[3] <= 0)
            return false;
        Span<int> o = stackalloc int[2];
        for (int d = 0; d < 2; ++d)
        {
            int dk = (a[d] - 1) * a[4 + d] + 1, n = x[2 + d], s = a[2 + d], pb = a[6 + d], pe = a[8 + d];
            int span = n + pb + pe - dk;
            if (span < 0)
                return false;
            if (ceil)
            {
                // the last window must start inside the image or the leading padding
                o[d] = (span + s - 1) / s + 1;
                if ((o[d] - 1) * s >= n + pb)
                    o[d]--;
            }
            else
                o[d] = span / s + 1;
            // pads as large as the window can leave a ceil-mode size below the floor one: the reference judges it
            if (o[d] != span / s + 1 && o[d] != (span + s - 1) / s + 1)
                return false;
        }
        (oh, ow) = (o[0], o[1]);
        return true;
    }

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> x || !OutputSize(x.Shape, out int oh, out int ow) || x.Shape[1] % block != 0
            || (block > 1 && block != Kernels.NnKernels.NchwcBlock))
        {
            RunReference(context);
            return;
        }
        int[] a = attrs!;
        Tensor<float> y = context.Output(Outputs[0], [x.Shape[0], x.Shape[1], oh, ow]);
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int units = planes / block; // channel planes, or (image, channel block) pairs
        if (x.Length != (long)planes * h * w || y.Length != (long)planes * oh * ow)
            throw Fail("size mismatch");
        fixed (float* px = x.Span, py = y.Span)
        {
            LoopJob job = context.Loop;
            job.P0 = px;
            job.P1 = py;
            (job.I0, job.I1, job.I2, job.I3, job.I4, job.I5, job.I6, job.I7, job.I8, job.I9, job.I10) = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
            (job.I11, job.I12, job.I13, job.I14, job.I15) = (h, w, oh, ow, max ? 1 : 0);
            // libkerno's pool kernel on chunks of planes (each chunk a [1, c, H, W] tensor) split across the threads.
            bool parallel = (long)planes * oh * ow * a[0] * a[1] >= 1 << 15;
            int chunks = parallel ? Math.Min(units, context.Pool.Threads * 2) : 1;
            job.F0 = units;
            job.F1 = chunks;
            job.I15 |= block << 1; // bit 0: max; above: channels per unit (the NCHWc block, 1 for NCHW)
            job.Body = &NativeChunk;
            job.Run(context.Pool, chunks, parallel);
        }
        context.Slots[Outputs[0]] = y;
    }

    private static void NativeChunk(LoopJob j, int chunk)
    {
        int units = (int)j.F0, chunks = (int)j.F1, b = j.I15 >> 1;
        int u0 = (int)((long)units * chunk / chunks), u1 = (int)((long)units * (chunk + 1) / chunks);
        if (u1 <= u0)
            return;
        // A run of whole channel blocks of an NCHWc tensor is the NCHWc tensor [1, blocks x b, H, W].
        int p0 = u0 * b, p1 = u1 * b;
        int h = j.I11, w = j.I12, oh = j.I13, ow = j.I14;
        Span<int> inShape = [1, p1 - p0, h, w];
        Span<int> outShape = [1, p1 - p0, oh, ow];
        Span<int> kernel = [j.I0, j.I1];
        Span<int> strides = [j.I2, j.I3];
        Span<int> dilations = [j.I4, j.I5];
        Span<int> pads = [j.I6, j.I7, j.I8, j.I9];
        var x = new ReadOnlySpan<float>(j.P0 + (long)p0 * h * w, (p1 - p0) * h * w);
        var y = new Span<float>(j.P1 + (long)p0 * oh * ow, (p1 - p0) * oh * ow);
        Kernels.NnKernels.Pool2d((j.I15 & 1) != 0 ? Kernels.PoolKind.Max : Kernels.PoolKind.Average, b > 1 ? Kernels.TensorLayout.Nchwc : Kernels.TensorLayout.Nchw, x, y,
            inShape, outShape, kernel, strides, pads, dilations, j.I10 != 0);
    }
}

/// <summary>GlobalAveragePool / GlobalMaxPool over float NC... tensors; the blocked forms on libkerno's NCHWc global pool.</summary>
internal sealed unsafe class GlobalPoolStep : KernelStep
{
    private readonly bool max;
    private readonly int block; // 0 for NCHW

    public GlobalPoolStep(Node node, long opset, ReferenceKernel reference, bool blocked = false) : base(node, opset, reference)
    {
        max = node.OpType is "GlobalMaxPool" or "BlockedGlobalMaxPool";
        block = blocked ? (int)node.GetInt("block") : 0;
    }

    public override string KernelName => (max ? "global-maxpool" : "global-avgpool") + (block > 0 ? $"-nchwc{block}" : "");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> x || x.Rank < 3 || x.Length == 0
            || (block > 0 && (x.Rank != 4 || x.Shape[1] % block != 0 || block != Kernels.NnKernels.NchwcBlock)))
        {
            RunReference(context);
            return;
        }
        if (block > 0)
        {
            // [N, Cp, H, W] blocked to [N, Cp, 1, 1], whose NCHWc bytes are its NCHW ones.
            Tensor<float> yb = context.Output(Outputs[0], [x.Shape[0], x.Shape[1], 1, 1]);
            Kernels.NnKernels.GlobalPool(max ? Kernels.PoolKind.Max : Kernels.PoolKind.Average, Kernels.TensorLayout.Nchwc, x.Span, yb.Span,
                x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3]);
            context.Slots[Outputs[0]] = yb;
            return;
        }
        Span<int> shape = stackalloc int[x.Rank];
        shape.Fill(1);
        shape[0] = x.Shape[0];
        shape[1] = x.Shape[1];
        Tensor<float> y = context.Output(Outputs[0], shape);
        int planes = shape[0] * shape[1], spatial = x.Length / planes;
        ReadOnlySpan<float> xs = x.Span;
        Span<float> ys = y.Span;
        for (int p = 0; p < planes; ++p)
        {
            ReadOnlySpan<float> s = xs.Slice(p * spatial, spatial);
            if (max)
            {
                float m = float.NegativeInfinity;
                foreach (float v in s)
                    m = float.IsNaN(v) || v > m ? v : m;
                ys[p] = m;
            }
            else
            {
                double sum = 0;
                int i = 0, w = Vector<float>.Count;
                var acc = Vector<float>.Zero;
                for (; i + w <= s.Length; i += w)
                    acc += new Vector<float>(s.Slice(i, w));
                sum = Vector.Sum(acc);
                for (; i < s.Length; ++i)
                    sum += s[i];
                ys[p] = (float)(sum / spatial);
            }
        }
        context.Slots[Outputs[0]] = y;
    }
}

/// <summary>
/// Concat of float tensors: one block copy per input per outer index. When nothing precedes the axis but ones
/// (one image, channels), each input is a contiguous piece of the output: the memory planner then has the inputs'
/// producers write straight into the output, and the step skips the inputs that are already in place.
/// </summary>
internal sealed unsafe class ConcatStep : KernelStep
{
    public ConcatStep(Node node, long opset, ReferenceKernel reference) : base(node, opset, reference) { }

    public override string KernelName => "concat";

    public override long[]? InputPiecesOfOutput(Func<int, int[]?> shapeOf)
    {
        if (Inputs.Length < 2 || Inputs.Any(i => i < 0) || shapeOf(Inputs[0]) is not { Length: > 0 } first)
            return null;
        long axisAttr = Node.GetInt("axis", 0);
        int rank = first.Length, axis = (int)(axisAttr < 0 ? axisAttr + rank : axisAttr);
        if (axis < 0 || axis >= rank || first.Take(axis).Any(d => d != 1))
            return null;
        var offsets = new long[Inputs.Length];
        long offset = 0;
        for (int k = 0; k < Inputs.Length; ++k)
        {
            if (shapeOf(Inputs[k]) is not { } s || s.Length != rank)
                return null;
            offsets[k] = offset;
            offset += 4L * Tensor.ElementCount(s);
        }
        return offsets;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(RunContext context)
    {
        if (Inputs.Length == 0 || Inputs.Any(i => i < 0 || context.Slots[i] is not Tensor<float>))
        {
            RunReference(context);
            return;
        }
        var first = (Tensor<float>)context.Slots[Inputs[0]]!;
        int rank = first.Rank;
        long axisAttr = Node.GetInt("axis", 0);
        int axis = (int)(axisAttr < 0 ? axisAttr + rank : axisAttr);
        if (rank == 0 || axis < 0 || axis >= rank)
        {
            RunReference(context);
            return;
        }
        Span<int> shape = stackalloc int[rank];
        first.Shape.CopyTo(shape);
        long total = 0;
        foreach (int id in Inputs)
        {
            var t = (Tensor<float>)context.Slots[id]!;
            if (t.Rank != rank)
            {
                RunReference(context);
                return;
            }
            for (int d = 0; d < rank; ++d)
                if (d != axis && t.Shape[d] != shape[d])
                {
                    RunReference(context);
                    return;
                }
            total += t.Shape[axis];
        }
        if (total > int.MaxValue)
        {
            RunReference(context);
            return;
        }
        shape[axis] = (int)total;
        Tensor<float> y = context.Output(Outputs[0], shape);
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; ++d)
            outer *= shape[d];
        for (int d = axis + 1; d < rank; ++d)
            inner *= shape[d];
        long rowOut = total * inner, offset = 0;
        if (y.Length != outer * rowOut)
            throw Fail("size mismatch");
        fixed (float* py = y.Span)
        {
            foreach (int id in Inputs)
            {
                var t = (Tensor<float>)context.Slots[id]!;
                long block = t.Shape[axis] * inner;
                if (t.Length != outer * block)
                    throw Fail("size mismatch");
                fixed (float* pt = t.Span)
                {
                    float* src = pt, dst = py + offset;
                    if (outer == 1 && src == dst)
                    {
                        offset += block; // planned in place: its producer wrote it here
                        continue;
                    }
                    for (long o = 0; o < outer; ++o, src += block, dst += rowOut)
                    {
                        // short rows (UltraFace's [4420, 2] + [4420, 2] boxes) copy faster without a call per row
                        if (block <= 8)
                            for (int i = 0; i < block; ++i)
                                dst[i] = src[i];
                        else
                            Buffer.MemoryCopy(src, dst, block * sizeof(float), block * sizeof(float));
                    }
                }
                offset += block;
            }
        }
        context.Slots[Outputs[0]] = y;
    }
}

/// <summary>
/// Depthwise 2-D convolution (group = C = K, one filter per channel) done directly: for each channel plane, a
/// sum over the window with bias and activation fused; channels split across the pool.
/// </summary>
internal sealed unsafe class DepthwiseConvStep : KernelStep
{
    private readonly Tensor<float> weight;
    private readonly float[]? bias;
    private readonly FusedActivation activation;

    public DepthwiseConvStep(Node node, long opset, ReferenceKernel reference, Tensor<float> weight, Tensor<float>? bias, FusedActivation activation)
        : base(node, opset, reference)
    {
        this.weight = weight;
        this.bias = bias?.Span.ToArray();
        this.activation = activation;
    }

    public override string KernelName => "conv-depthwise" + (activation.Kind != ActivationKind.None ? "+" + activation.Kind.ToString().ToLowerInvariant() : "");

    public override IEnumerable<int> ConsumedConstants => bias is null ? [1] : [1, 2];

    private ConvGeometry? Geometry(int[]? x) => x is null ? null : ConvGeometry.Of(Node, x, weight.Shape);

    public override double Flops(Func<int, int[]?> shapeOf) => Geometry(shapeOf(Inputs[0]))?.Flops ?? 0;

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> x || Geometry(x.Dims) is not { } g || g.Group != g.C || g.K != g.C)
        {
            RunReference(context);
            return;
        }
        Span<int> shape = [g.N, g.K, g.OutH, g.OutW];
        Tensor<float> y = context.Output(Outputs[0], shape);
        if (x.Length != (long)g.N * g.C * g.H * g.W || y.Length != (long)g.N * g.K * g.OutH * g.OutW || weight.Length != (long)g.K * g.KH * g.KW)
            throw Fail("size mismatch");
        fixed (float* px = x.Span, py = y.Span, pw = weight.Span, pb = bias)
        {
            LoopJob job = context.Loop;
            job.Body = &Plane;
            job.P0 = px;
            job.P1 = py;
            job.P2 = pw;
            job.P3 = pb;
            job.I0 = g.H;
            job.I1 = g.W;
            job.I2 = g.KH;
            job.I3 = g.KW;
            job.I4 = g.StrideH;
            job.I5 = g.StrideW;
            job.I6 = g.DilationH;
            job.I7 = g.DilationW;
            job.I8 = g.PadTop;
            job.I9 = g.PadLeft;
            job.I10 = g.OutH;
            job.I11 = g.OutW;
            int planes = g.N * g.C;
            job.F0 = g.C;
            job.Run(context.Pool, planes, parallel: (long)planes * g.OutH * g.OutW * g.KH * g.KW >= 1 << 15);
        }
        if (activation.Kind != ActivationKind.None)
            ApplyActivation(y);
        context.Slots[Outputs[0]] = y;
    }

    private void ApplyActivation(Tensor<float> y)
    {
        Span<float> s = y.Span;
        if (activation.Kind == ActivationKind.Relu)
        {
            int i = 0, w = Vector<float>.Count;
            for (; i + w <= s.Length; i += w)
                Vector.Max(new Vector<float>(s.Slice(i, w)), Vector<float>.Zero).CopyTo(s.Slice(i, w));
            for (; i < s.Length; ++i)
                s[i] = s[i] > 0 ? s[i] : 0;
        }
        else
            foreach (ref float v in s)
                v = activation.Apply(v);
    }

    private static void Plane(LoopJob j, int plane)
    {
        int h = j.I0, w = j.I1, kh = j.I2, kw = j.I3, sh = j.I4, sw = j.I5, dh = j.I6, dw = j.I7, pt = j.I8, pl = j.I9, oh = j.I10, ow = j.I11;
        int c = plane % (int)j.F0;
        float* src = j.P0 + (long)plane * h * w, dst = j.P1 + (long)plane * oh * ow, filt = j.P2 + (long)c * kh * kw;
        float b = j.P3 == null ? 0 : j.P3[c];
        // Output columns whose whole window is inside the image horizontally: no bounds checks there.
        int x0 = Math.Max(0, (pl + sw - 1) / sw), x1 = Math.Min(ow, (w - (kw - 1) * dw + pl + sw - 1) / sw);
        if (x1 < x0)
            x1 = x0;
        for (int i = 0; i < oh; ++i)
        {
            float* row = dst + (long)i * ow;
            for (int x = 0; x < ow; ++x)
                row[x] = b;
            for (int ki = 0; ki < kh; ++ki)
            {
                int iy = i * sh - pt + ki * dh;
                if ((uint)iy >= (uint)h)
                    continue;
                float* srow = src + (long)iy * w;
                for (int kj = 0; kj < kw; ++kj)
                {
                    float f = filt[ki * kw + kj];
                    int off = kj * dw - pl;
                    for (int x = 0; x < x0; ++x)
                    {
                        int ix = x * sw + off;
                        if ((uint)ix < (uint)w)
                            row[x] += f * srow[ix];
                    }
                    if (sw == 1)
                    {
                        float* s = srow + off;
                        int x = x0, vw = Vector<float>.Count;
                        var vf = new Vector<float>(f);
                        for (; x + vw <= x1; x += vw)
                        {
                            var acc = new Vector<float>(new ReadOnlySpan<float>(row + x, vw));
                            (acc + vf * new Vector<float>(new ReadOnlySpan<float>(s + x, vw))).CopyTo(new Span<float>(row + x, vw));
                        }
                        for (; x < x1; ++x)
                            row[x] += f * s[x];
                    }
                    else
                        for (int x = x0; x < x1; ++x)
                            row[x] += f * srow[x * sw + off];
                    for (int x = x1; x < ow; ++x)
                    {
                        int ix = x * sw + off;
                        if ((uint)ix < (uint)w)
                            row[x] += f * srow[ix];
                    }
                }
            }
        }
    }
}

/// <summary>Softmax / LogSoftmax on float tensors with libkerno's kernel (both axis conventions: opset &lt; 13 flattens at the axis).</summary>
internal sealed unsafe class SoftmaxStep : KernelStep
{
    private readonly bool log;

    public SoftmaxStep(Node node, long opset, ReferenceKernel reference) : base(node, opset, reference) => log = node.OpType == "LogSoftmax";

    public override string KernelName => log ? "logsoftmax" : "softmax";

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> x || x.Rank == 0 || x.Length == 0)
        {
            RunReference(context);
            return;
        }
        int rank = x.Rank;
        long axisAttr = Node.GetInt("axis", Opset >= 13 ? -1 : 1);
        int axis = (int)(axisAttr < 0 ? axisAttr + rank : axisAttr);
        if (axis < 0 || axis >= rank)
        {
            RunReference(context);
            return;
        }
        long outer = 1, length = 1, inner = 1;
        for (int d = 0; d < rank; ++d)
        {
            if (d < axis)
                outer *= x.Shape[d];
            else if (d == axis || Opset < 13)
                length *= x.Shape[d];
            else
                inner *= x.Shape[d];
        }
        Tensor<float> y = context.Output(Outputs[0], x.Shape);
        if (y.Length != x.Length || outer * length * inner != x.Length)
            throw Fail("size mismatch");
        fixed (float* px = x.Span, py = y.Span)
            Interop.Native.Check(Interop.NativeMethods.kerno_softmax(px, py, outer, length, inner, log ? 1 : 0), "kerno_softmax");
        context.Slots[Outputs[0]] = y;
    }
}

/// <summary>Dropout at inference (no mask wanted, training mode off): its output is its input, shared, no copy.</summary>
internal sealed class PassThroughStep : KernelStep
{
    public PassThroughStep(Node node, long opset, ReferenceKernel reference) : base(node, opset, reference) { }

    public override string KernelName => "pass-through";

    public override bool ArenaOutput(int output) => false;

    public override int ViewOf(int output) => output == 0 ? 0 : -1;

    public override void Execute(RunContext context) => context.Slots[Outputs[0]] = context.Slots[Inputs[0]];
}

/// <summary>LRN across channels (NC... float tensors): per channel, the sum of squares over its channel window, then one pow per element.</summary>
internal sealed unsafe class LrnStep : KernelStep
{
    public LrnStep(Node node, long opset, ReferenceKernel reference) : base(node, opset, reference) { }

    public override string KernelName => "lrn";

    public override long WorkspaceBytes(Func<int, int[]?> shapeOf) =>
        shapeOf(Inputs[0]) is { Length: >= 3 } x ? 4L * x.Skip(2).Aggregate(1L, (a, b) => a * b) : 0;

    public override void Execute(RunContext context)
    {
        long size = Node.GetInt("size", 0);
        if (context.Slots[Inputs[0]] is not Tensor<float> x || x.Rank < 3 || x.Length == 0 || size < 1)
        {
            RunReference(context);
            return;
        }
        float alpha = Node.GetFloat("alpha", 1e-4f), beta = Node.GetFloat("beta", 0.75f), bias = Node.GetFloat("bias", 1f);
        int n = x.Shape[0], c = x.Shape[1], spatial = x.Length / (n * c);
        int lo = (int)((size - 1) / 2), hi = (int)(size - 1 - lo);
        Tensor<float> y = context.Output(Outputs[0], x.Shape);
        float* sum = context.Workspace(Index, 4L * spatial);
        float scale = alpha / size;
        fixed (float* px = x.Span, py = y.Span)
        {
            for (int b = 0; b < n; ++b)
            {
                float* xb = px + (long)b * c * spatial, yb = py + (long)b * c * spatial;
                for (int ch = 0; ch < c; ++ch)
                {
                    // Sum of squares over the channel window, recomputed per channel (no running-sum cancellation).
                    new Span<float>(sum, spatial).Clear();
                    for (int k = Math.Max(0, ch - lo); k <= Math.Min(c - 1, ch + hi); ++k)
                        AddSquares(sum, xb + (long)k * spatial, spatial, 1);
                    float* xc = xb + (long)ch * spatial, yc = yb + (long)ch * spatial;
                    for (int i = 0; i < spatial; ++i)
                        yc[i] = xc[i] * MathF.Pow(bias + scale * sum[i], -beta);
                }
            }
        }
        context.Slots[Outputs[0]] = y;
    }

    private static void AddSquares(float* sum, float* x, int count, float sign)
    {
        for (int i = 0; i < count; ++i)
            sum[i] += sign * x[i] * x[i];
    }
}
