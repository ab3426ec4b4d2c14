using Kerno.Interop;

namespace Kerno.Kernels;

/// <summary>Geometry of a 2-D convolution, ONNX Conv semantics.</summary>
/// <param name="N">Batch.</param>
/// <param name="C">Input channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="K">Output channels.</param>
/// <param name="KernelH">Kernel height.</param>
/// <param name="KernelW">Kernel width.</param>
/// <param name="StrideH">Vertical stride.</param>
/// <param name="StrideW">Horizontal stride.</param>
/// <param name="PadTop">Top padding.</param>
/// <param name="PadLeft">Left padding.</param>
/// <param name="PadBottom">Bottom padding.</param>
/// <param name="PadRight">Right padding.</param>
/// <param name="DilationH">Vertical dilation.</param>
/// <param name="DilationW">Horizontal dilation.</param>
/// <param name="Group">Groups (C and K divisible by it).</param>
internal readonly record struct Conv2dShape(
    int N, int C, int H, int W, int K, int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1, int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationH = 1, int DilationW = 1, int Group = 1)
{
    /// <summary>Output height.</summary>
    public int OutH => StrideH <= 0 ? 0 : (H + PadTop + PadBottom - ((KernelH - 1) * DilationH + 1)) / StrideH + 1;

    /// <summary>Output width.</summary>
    public int OutW => StrideW <= 0 ? 0 : (W + PadLeft + PadRight - ((KernelW - 1) * DilationW + 1)) / StrideW + 1;

    /// <summary>Throws <see cref="ArgumentException"/> unless this is a valid convolution.</summary>
    public void Validate()
    {
        if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || K <= 0 || KernelH <= 0 || KernelW <= 0)
            throw new ArgumentException($"convolution shapes must be positive: {this}");
        if (StrideH <= 0 || StrideW <= 0 || DilationH <= 0 || DilationW <= 0)
            throw new ArgumentException($"strides and dilations must be positive: {this}");
        if (PadTop < 0 || PadLeft < 0 || PadBottom < 0 || PadRight < 0)
            throw new ArgumentException($"pads must be >= 0: {this}");
        if (Group <= 0 || C % Group != 0 || K % Group != 0)
            throw new ArgumentException($"group {Group} must divide C={C} and K={K}");
        // In long: (kernel - 1) * dilation + 1 and the padded sizes overflow int for hostile values.
        long paddedH = (long)H + PadTop + PadBottom, paddedW = (long)W + PadLeft + PadRight;
        if (paddedH > int.MaxValue || paddedW > int.MaxValue)
            throw new ArgumentException($"the padded input does not fit in an int: {this}");
        if (paddedH < (long)(KernelH - 1) * DilationH + 1 || paddedW < (long)(KernelW - 1) * DilationW + 1)
            throw new ArgumentException($"the dilated kernel is larger than the padded input: {this}");
    }
}

/// <summary>
/// A native convolution: plan + packed (for Winograd: pre-transformed) weights + workspace, made once and run
/// many times. Every shape and buffer length is checked before calling native code. Not thread-safe (one
/// workspace); create one per thread.
/// </summary>
internal sealed unsafe class Conv2d : IDisposable
{
    private nint plan;
    private float* packed;
    private void* workspace;
    private readonly nuint workspaceSize;

    /// <summary>The geometry.</summary>
    public Conv2dShape Shape { get; }

    /// <summary>The layout of input, residual and output.</summary>
    public TensorLayout Layout { get; }

    /// <summary>The algorithm the plan runs (never <see cref="ConvAlgorithm.Auto"/>).</summary>
    public ConvAlgorithm Algorithm { get; }

    /// <summary>The NCHWc block the plan was made with.</summary>
    public int Block { get; }

    /// <summary>Creates the plan and packs <paramref name="weight"/> [K][C/group][kh][kw] and <paramref name="bias"/> [K] (may be empty).</summary>
    public Conv2d(Conv2dShape shape, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, TensorLayout layout = TensorLayout.Nchw,
                  ConvAlgorithm algorithm = ConvAlgorithm.Auto, Activation activation = Activation.None, float alpha = 0, float beta = 0)
    {
        shape.Validate();
        if (!Enum.IsDefined(layout)) throw new ArgumentException($"unknown layout {layout}", nameof(layout));
        if (!Enum.IsDefined(algorithm)) throw new ArgumentException($"unknown algorithm {algorithm}", nameof(algorithm));
        if (!Enum.IsDefined(activation)) throw new ArgumentException($"unknown activation {activation}", nameof(activation));
        if (activation == Activation.Clip && !(alpha <= beta)) throw new ArgumentException("Clip needs min <= max", nameof(beta));
        long weightLength = (long)shape.K * (shape.C / shape.Group) * shape.KernelH * shape.KernelW;
        if (weight.Length != weightLength)
            throw new ArgumentException($"weight has {weight.Length} elements, the shape needs {weightLength}", nameof(weight));
        if (!bias.IsEmpty && bias.Length != shape.K)
            throw new ArgumentException($"bias has {bias.Length} elements, expected {shape.K} or none", nameof(bias));
        Native.EnsureLoaded();
        Shape = shape;
        Layout = layout;
        Block = NnKernels.NchwcBlock;
        long* inShape = stackalloc long[4] { shape.N, shape.C, shape.H, shape.W };
        long* wShape = stackalloc long[4] { shape.K, shape.C / shape.Group, shape.KernelH, shape.KernelW };
        long* strides = stackalloc long[2] { shape.StrideH, shape.StrideW };
        long* pads = stackalloc long[4] { shape.PadTop, shape.PadLeft, shape.PadBottom, shape.PadRight };
        long* dil = stackalloc long[2] { shape.DilationH, shape.DilationW };
        nint p;
        Native.Check(NativeMethods.kerno_conv2d_create(inShape, wShape, strides, pads, dil, shape.Group, (int)layout, (int)algorithm,
                                                       (int)activation, alpha, beta, &p), "kerno_conv2d_create");
        plan = p;
        try
        {
            Algorithm = (ConvAlgorithm)NativeMethods.kerno_conv2d_algorithm(plan);
            nuint packedSize = NativeMethods.kerno_conv2d_packed_size(plan);
            workspaceSize = NativeMethods.kerno_conv2d_workspace_size(plan);
            packed = (float*)NativeMethods.kerno_aligned_alloc(packedSize, 64);
            if (packed == null) throw new OutOfMemoryException($"kerno_aligned_alloc({packedSize}): {Native.LastError()}");
            if (workspaceSize > 0)
            {
                workspace = NativeMethods.kerno_aligned_alloc(workspaceSize, 64);
                if (workspace == null) throw new OutOfMemoryException($"kerno_aligned_alloc({workspaceSize}): {Native.LastError()}");
            }
            fixed (float* w = weight)
            fixed (float* b = bias)
                Native.Check(NativeMethods.kerno_conv2d_pack(plan, w, bias.IsEmpty ? null : b, packed, packedSize), "kerno_conv2d_pack");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Elements of a tensor with <paramref name="channels"/> channels and <paramref name="spatial"/> pixels in this layout.</summary>
    public long ElementCount(int channels, int spatial) =>
        Layout == TensorLayout.Nchw
            ? (long)Shape.N * channels * spatial
            : (long)Shape.N * ((channels + Block - 1) / Block) * Block * spatial;

    /// <summary>output = act(conv(input) + bias + residual); residual may be empty.</summary>
    public void Run(ReadOnlySpan<float> input, ReadOnlySpan<float> residual, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(plan == 0, this);
        long inLength = ElementCount(Shape.C, Shape.H * Shape.W), outLength = ElementCount(Shape.K, Shape.OutH * Shape.OutW);
        if (input.Length != inLength)
            throw new ArgumentException($"input has {input.Length} elements, expected {inLength}", nameof(input));
        if (output.Length != outLength)
            throw new ArgumentException($"output has {output.Length} elements, expected {outLength}", nameof(output));
        if (!residual.IsEmpty && residual.Length != outLength)
            throw new ArgumentException($"residual has {residual.Length} elements, expected {outLength} or none", nameof(residual));
        fixed (float* x = input)
        fixed (float* r = residual)
        fixed (float* y = output)
            Native.Check(NativeMethods.kerno_conv2d_run(plan, x, packed, residual.IsEmpty ? null : r, y, workspace, workspaceSize),
                         "kerno_conv2d_run");
    }

    /// <summary>Frees the plan, the packed weights and the workspace.</summary>
    public void Dispose()
    {
        if (plan != 0) NativeMethods.kerno_conv2d_destroy(plan);
        plan = 0;
        NativeMethods.kerno_aligned_free(packed);
        packed = null;
        NativeMethods.kerno_aligned_free(workspace);
        workspace = null;
    }
}
