using Kerno.Interop;

namespace Kerno.Kernels;

/// <summary>
/// Managed entry points to the native NN kernels. Every method checks shapes, enum values and span lengths
/// and throws <see cref="ArgumentException"/> before any native call; native status codes become exceptions.
/// </summary>
internal static unsafe class NnKernels
{
    private const int MaxRank = 8;

    /// <summary>The NCHWc channel block of the active native kernel set (16 AVX-512, 8 AVX2, 4 NEON/generic).</summary>
    public static int NchwcBlock
    {
        get
        {
            Native.EnsureLoaded();
            return NativeMethods.kerno_nchwc_block();
        }
    }

    /// <summary>Elements of an NCHWc tensor of logical shape [n][c][spatial].</summary>
    public static long NchwcLength(int n, int c, int spatial)
    {
        int b = NchwcBlock;
        return (long)n * ((c + b - 1) / b) * b * spatial;
    }

    private static void Positive(int v, string name)
    {
        if (v < 0) throw new ArgumentException($"{name} must be >= 0 (is {v})", name);
    }

    private static void Length(int actual, long expected, string name)
    {
        if (actual != expected) throw new ArgumentException($"{name} has {actual} elements, expected {expected}", name);
    }

    private static void Defined<T>(T value, string name) where T : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw new ArgumentException($"unknown {typeof(T).Name} {value}", name);
    }

    /// <summary>NCHW [n][c][h][w] to NCHWc.</summary>
    public static void ReorderToNchwc(ReadOnlySpan<float> src, Span<float> dst, int n, int c, int h, int w)
    {
        Positive(n, nameof(n)); Positive(c, nameof(c)); Positive(h, nameof(h)); Positive(w, nameof(w));
        Length(src.Length, (long)n * c * h * w, nameof(src));
        Length(dst.Length, NchwcLength(n, c, h * w), nameof(dst));
        fixed (float* s = src)
        fixed (float* d = dst)
            Native.Check(NativeMethods.kerno_reorder_nchw_to_nchwc(s, d, n, c, h, w), "kerno_reorder_nchw_to_nchwc");
    }

    /// <summary>NCHWc to NCHW [n][c][h][w].</summary>
    public static void ReorderToNchw(ReadOnlySpan<float> src, Span<float> dst, int n, int c, int h, int w)
    {
        Positive(n, nameof(n)); Positive(c, nameof(c)); Positive(h, nameof(h)); Positive(w, nameof(w));
        Length(src.Length, NchwcLength(n, c, h * w), nameof(src));
        Length(dst.Length, (long)n * c * h * w, nameof(dst));
        fixed (float* s = src)
        fixed (float* d = dst)
            Native.Check(NativeMethods.kerno_reorder_nchwc_to_nchw(s, d, n, c, h, w), "kerno_reorder_nchwc_to_nchw");
    }

    /// <summary>y = act(x); y may be the same memory as x.</summary>
    public static void Activate(ReadOnlySpan<float> x, Span<float> y, Activation activation, float alpha = 0, float beta = 0)
    {
        Defined(activation, nameof(activation));
        if (activation == Activation.Clip && !(alpha <= beta)) throw new ArgumentException("Clip needs min <= max", nameof(beta));
        Length(y.Length, x.Length, nameof(y));
        Native.EnsureLoaded();
        fixed (float* px = x)
        fixed (float* py = y)
            Native.Check(NativeMethods.kerno_activation(px, py, (nuint)x.Length, (int)activation, alpha, beta), "kerno_activation");
    }

    /// <summary>The numpy broadcast of two shapes.</summary>
    public static int[] BroadcastShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int r = Math.Max(a.Length, b.Length);
        var result = new int[r];
        for (int i = 0; i < r; ++i)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (da < 0 || db < 0) throw new ArgumentException("negative dimension");
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"shapes [{string.Join(",", a.ToArray())}] and [{string.Join(",", b.ToArray())}] do not broadcast");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    private static long Product(ReadOnlySpan<int> shape)
    {
        long p = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException("negative dimension");
            p *= d;
        }
        return p;
    }

    /// <summary>y = a op b with numpy broadcasting (ranks up to 8); y has <see cref="BroadcastShape"/>.</summary>
    public static void Binary(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<int> aShape, ReadOnlySpan<float> b, ReadOnlySpan<int> bShape, Span<float> y)
    {
        Defined(op, nameof(op));
        if (aShape.Length > MaxRank || bShape.Length > MaxRank) throw new ArgumentException($"rank above {MaxRank}");
        int[] outShape = BroadcastShape(aShape, bShape);
        Length(a.Length, Product(aShape), nameof(a));
        Length(b.Length, Product(bShape), nameof(b));
        Length(y.Length, Product(outShape), nameof(y));
        Native.EnsureLoaded();
        long* sa = stackalloc long[MaxRank];
        long* sb = stackalloc long[MaxRank];
        for (int i = 0; i < aShape.Length; ++i) sa[i] = aShape[i];
        for (int i = 0; i < bShape.Length; ++i) sb[i] = bShape[i];
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* py = y)
        {
            if (y.Length == 0) return;
            Native.Check(NativeMethods.kerno_binary((int)op, pa, sa, aShape.Length, pb, sb, bShape.Length, py), "kerno_binary");
        }
    }

    /// <summary>Softmax (or LogSoftmax) along <paramref name="axis"/> of <paramref name="shape"/> (ONNX opset 13).</summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> shape, int axis, bool log = false)
    {
        if (shape.Length == 0) throw new ArgumentException("softmax needs rank >= 1", nameof(shape));
        if (axis < 0) axis += shape.Length;
        if (axis < 0 || axis >= shape.Length) throw new ArgumentException($"axis outside rank {shape.Length}", nameof(axis));
        long total = Product(shape);
        Length(x.Length, total, nameof(x));
        Length(y.Length, total, nameof(y));
        long outer = Product(shape[..axis]), inner = Product(shape[(axis + 1)..]);
        Native.EnsureLoaded();
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (total == 0) return;
            Native.Check(NativeMethods.kerno_softmax(px, py, outer, shape[axis], inner, log ? 1 : 0), "kerno_softmax");
        }
    }

    /// <summary>LayerNormalization over the last <paramref name="cols"/> elements of each row; bias may be empty; mean/invStd [rows] or empty.</summary>
    public static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y, int rows, int cols,
                                 float epsilon, Span<float> mean = default, Span<float> invStd = default)
    {
        Positive(rows, nameof(rows));
        if (cols <= 0) throw new ArgumentException("cols must be > 0", nameof(cols));
        if (!(epsilon >= 0)) throw new ArgumentException("epsilon must be >= 0", nameof(epsilon));
        Length(x.Length, (long)rows * cols, nameof(x));
        Length(y.Length, (long)rows * cols, nameof(y));
        Length(scale.Length, cols, nameof(scale));
        if (!bias.IsEmpty) Length(bias.Length, cols, nameof(bias));
        if (!mean.IsEmpty) Length(mean.Length, rows, nameof(mean));
        if (!invStd.IsEmpty) Length(invStd.Length, rows, nameof(invStd));
        Native.EnsureLoaded();
        fixed (float* px = x)
        fixed (float* ps = scale)
        fixed (float* pb = bias)
        fixed (float* py = y)
        fixed (float* pm = mean)
        fixed (float* pi = invStd)
            Native.Check(NativeMethods.kerno_layer_norm(px, ps, bias.IsEmpty ? null : pb, py, rows, cols, epsilon,
                                                        mean.IsEmpty ? null : pm, invStd.IsEmpty ? null : pi), "kerno_layer_norm");
    }

    /// <summary>BatchNormalization (inference) on [n][c][spatial] (NCHW) or NCHWc, with a fused activation.</summary>
    public static void BatchNorm(TensorLayout layout, ReadOnlySpan<float> x, Span<float> y, int n, int c, int spatial,
                                 ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance,
                                 float epsilon, Activation activation = Activation.None, float alpha = 0, float beta = 0)
    {
        Defined(layout, nameof(layout));
        Defined(activation, nameof(activation));
        if (activation == Activation.Clip && !(alpha <= beta)) throw new ArgumentException("Clip needs min <= max", nameof(beta));
        Positive(n, nameof(n)); Positive(c, nameof(c)); Positive(spatial, nameof(spatial));
        long len = layout == TensorLayout.Nchw ? (long)n * c * spatial : NchwcLength(n, c, spatial);
        Length(x.Length, len, nameof(x));
        Length(y.Length, len, nameof(y));
        Length(scale.Length, c, nameof(scale));
        Length(bias.Length, c, nameof(bias));
        Length(mean.Length, c, nameof(mean));
        Length(variance.Length, c, nameof(variance));
        Native.EnsureLoaded();
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (float* ps = scale)
        fixed (float* pb = bias)
        fixed (float* pm = mean)
        fixed (float* pv = variance)
        {
            if (len == 0 || c == 0) return;
            Native.Check(NativeMethods.kerno_batch_norm((int)layout, px, py, n, c, spatial, ps, pb, pm, pv, epsilon, (int)activation, alpha, beta),
                         "kerno_batch_norm");
        }
    }

    /// <summary>Output size of a pooling window along one axis.</summary>
    public static int PoolOutputSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation, bool ceilMode)
    {
        long span = (long)input + padBegin + padEnd - ((long)(kernel - 1) * dilation + 1);
        if (span < 0) throw new ArgumentException("pooling window larger than the padded input");
        long o = ceilMode ? (span + stride - 1) / stride + 1 : span / stride + 1;
        // ONNX/PyTorch: with ceil_mode the last window must start inside the input or the begin padding.
        if (ceilMode && (o - 1) * stride >= input + padBegin) --o;
        return (int)o;
    }

    /// <summary>MaxPool / AveragePool 2-D. Shapes are {N, C, H, W}; pads {top, left, bottom, right}.</summary>
    public static void Pool2d(PoolKind kind, TensorLayout layout, ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> inputShape,
                              ReadOnlySpan<int> outputShape, ReadOnlySpan<int> kernel, ReadOnlySpan<int> strides, ReadOnlySpan<int> pads,
                              ReadOnlySpan<int> dilations, bool countIncludePad)
    {
        Defined(kind, nameof(kind));
        Defined(layout, nameof(layout));
        if (inputShape.Length != 4 || outputShape.Length != 4 || kernel.Length != 2 || strides.Length != 2 || pads.Length != 4 || dilations.Length != 2)
            throw new ArgumentException("pool2d needs 4-D shapes, 2 kernel/stride/dilation values and 4 pads");
        for (int i = 0; i < 4; ++i)
            if (inputShape[i] <= 0 || outputShape[i] <= 0 || pads[i] < 0) throw new ArgumentException("shapes must be positive and pads >= 0");
        for (int i = 0; i < 2; ++i)
        {
            if (kernel[i] <= 0 || strides[i] <= 0 || dilations[i] <= 0) throw new ArgumentException("kernel, strides and dilations must be positive");
            int lo = PoolOutputSize(inputShape[2 + i], kernel[i], strides[i], pads[i], pads[2 + i], dilations[i], false);
            long span = (long)inputShape[2 + i] + pads[i] + pads[2 + i] - ((long)(kernel[i] - 1) * dilations[i] + 1);
            long hi = (span + strides[i] - 1) / strides[i] + 1;
            if (outputShape[2 + i] != lo && outputShape[2 + i] != hi)
                throw new ArgumentException($"output size {outputShape[2 + i]} on axis {2 + i} does not match the window (expected {lo} or {hi})");
        }
        if (outputShape[0] != inputShape[0] || outputShape[1] != inputShape[1]) throw new ArgumentException("output N, C must equal input N, C");
        int hw = inputShape[2] * inputShape[3], ohw = outputShape[2] * outputShape[3];
        Length(x.Length, layout == TensorLayout.Nchw ? (long)inputShape[0] * inputShape[1] * hw : NchwcLength(inputShape[0], inputShape[1], hw), nameof(x));
        Length(y.Length, layout == TensorLayout.Nchw ? (long)inputShape[0] * inputShape[1] * ohw : NchwcLength(inputShape[0], inputShape[1], ohw), nameof(y));
        Native.EnsureLoaded();
        long* a = stackalloc long[18];
        for (int i = 0; i < 4; ++i) { a[i] = inputShape[i]; a[4 + i] = outputShape[i]; a[8 + i] = pads[i]; }
        for (int i = 0; i < 2; ++i) { a[12 + i] = kernel[i]; a[14 + i] = strides[i]; a[16 + i] = dilations[i]; }
        fixed (float* px = x)
        fixed (float* py = y)
            Native.Check(NativeMethods.kerno_pool2d((int)kind, (int)layout, px, py, a, a + 4, a + 12, a + 14, a + 8, a + 16, countIncludePad ? 1 : 0),
                         "kerno_pool2d");
    }

    /// <summary>GlobalAveragePool / GlobalMaxPool: [n][c][spatial] to [n][c] (NCHWc: to [n][ceil(c/b)][b]).</summary>
    public static void GlobalPool(PoolKind kind, TensorLayout layout, ReadOnlySpan<float> x, Span<float> y, int n, int c, int spatial)
    {
        Defined(kind, nameof(kind));
        Defined(layout, nameof(layout));
        Positive(n, nameof(n)); Positive(c, nameof(c));
        if (spatial <= 0) throw new ArgumentException("spatial must be > 0", nameof(spatial));
        bool nchw = layout == TensorLayout.Nchw;
        Length(x.Length, nchw ? (long)n * c * spatial : NchwcLength(n, c, spatial), nameof(x));
        Length(y.Length, nchw ? (long)n * c : NchwcLength(n, c, 1), nameof(y));
        Native.EnsureLoaded();
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (n == 0 || c == 0) return;
            Native.Check(NativeMethods.kerno_global_pool((int)kind, (int)layout, px, py, n, c, spatial), "kerno_global_pool");
        }
    }

    /// <summary>y = transpose(x, perm) (ranks up to 8).</summary>
    public static void Transpose(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> shape, ReadOnlySpan<int> perm)
    {
        if (shape.Length > MaxRank || perm.Length != shape.Length) throw new ArgumentException("perm must have the rank of shape (<= 8)", nameof(perm));
        Span<bool> seen = stackalloc bool[MaxRank];
        foreach (int p in perm)
        {
            if (p < 0 || p >= shape.Length || seen[p]) throw new ArgumentException("perm is not a permutation", nameof(perm));
            seen[p] = true;
        }
        long total = Product(shape);
        Length(x.Length, total, nameof(x));
        Length(y.Length, total, nameof(y));
        Native.EnsureLoaded();
        long* s = stackalloc long[MaxRank];
        long* pm = stackalloc long[MaxRank];
        for (int i = 0; i < shape.Length; ++i) { s[i] = shape[i]; pm[i] = perm[i]; }
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (total == 0) return;
            Native.Check(NativeMethods.kerno_transpose(px, py, s, pm, shape.Length), "kerno_transpose");
        }
    }

    /// <summary>Resize of the last two axes: [nc][h][w] to [nc][oh][ow]; scales are output/input as in ONNX.</summary>
    public static void Resize2d(ResizeMode mode, CoordinateMode coordinates, NearestMode nearest, ReadOnlySpan<float> x, Span<float> y,
                                int nc, int h, int w, int oh, int ow, float scaleH, float scaleW)
    {
        Defined(mode, nameof(mode)); Defined(coordinates, nameof(coordinates)); Defined(nearest, nameof(nearest));
        Positive(nc, nameof(nc));
        if (h <= 0 || w <= 0 || oh <= 0 || ow <= 0) throw new ArgumentException("spatial sizes must be > 0");
        if (!(scaleH > 0) || !(scaleW > 0)) throw new ArgumentException("scales must be > 0");
        Length(x.Length, (long)nc * h * w, nameof(x));
        Length(y.Length, (long)nc * oh * ow, nameof(y));
        Native.EnsureLoaded();
        fixed (float* px = x)
        fixed (float* py = y)
            Native.Check(NativeMethods.kerno_resize2d((int)mode, (int)coordinates, (int)nearest, px, py, nc, h, w, oh, ow, scaleH, scaleW), "kerno_resize2d");
    }

    /// <summary>ConvTranspose 2-D, NCHW. weight {C, K/group, kh, kw}; bias [K] or empty; output {N, K, OH, OW}.</summary>
    public static void ConvTranspose2d(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
                                       ReadOnlySpan<int> inputShape, ReadOnlySpan<int> weightShape, ReadOnlySpan<int> outputShape,
                                       ReadOnlySpan<int> strides, ReadOnlySpan<int> pads, ReadOnlySpan<int> dilations, int group)
    {
        if (inputShape.Length != 4 || weightShape.Length != 4 || outputShape.Length != 4 || strides.Length != 2 || pads.Length != 4 || dilations.Length != 2)
            throw new ArgumentException("conv_transpose2d needs 4-D shapes, 2 strides/dilations and 4 pads");
        for (int i = 0; i < 4; ++i)
            if (inputShape[i] <= 0 || weightShape[i] <= 0 || outputShape[i] <= 0 || pads[i] < 0) throw new ArgumentException("shapes must be positive and pads >= 0");
        for (int i = 0; i < 2; ++i)
            if (strides[i] <= 0 || dilations[i] <= 0) throw new ArgumentException("strides and dilations must be positive");
        if (group <= 0 || inputShape[1] % group != 0 || weightShape[0] != inputShape[1])
            throw new ArgumentException("weight must be {C, K/group, kh, kw} with group dividing C", nameof(weightShape));
        int k = weightShape[1] * group;
        if (outputShape[0] != inputShape[0] || outputShape[1] != k) throw new ArgumentException("output must be {N, K, OH, OW}", nameof(outputShape));
        for (int i = 0; i < 2; ++i)
        {
            long baseSize = (long)(inputShape[2 + i] - 1) * strides[i] - pads[i] - pads[2 + i] + (long)(weightShape[2 + i] - 1) * dilations[i] + 1;
            if (outputShape[2 + i] < baseSize || outputShape[2 + i] >= baseSize + Math.Max(strides[i], dilations[i]))
                throw new ArgumentException($"output size {outputShape[2 + i]} on axis {2 + i} does not match (expected {baseSize} + output_padding)");
        }
        Length(x.Length, Product(inputShape), nameof(x));
        Length(weight.Length, Product(weightShape), nameof(weight));
        if (!bias.IsEmpty) Length(bias.Length, k, nameof(bias));
        Length(y.Length, Product(outputShape), nameof(y));
        Native.EnsureLoaded();
        long* a = stackalloc long[20];
        for (int i = 0; i < 4; ++i) { a[i] = inputShape[i]; a[4 + i] = weightShape[i]; a[8 + i] = outputShape[i]; a[12 + i] = pads[i]; }
        for (int i = 0; i < 2; ++i) { a[16 + i] = strides[i]; a[18 + i] = dilations[i]; }
        fixed (float* px = x)
        fixed (float* pw = weight)
        fixed (float* pb = bias)
        fixed (float* py = y)
            Native.Check(NativeMethods.kerno_conv_transpose2d(px, pw, bias.IsEmpty ? null : pb, py, a, a + 4, a + 8, a + 16, a + 12, a + 18, group),
                         "kerno_conv_transpose2d");
    }
}
