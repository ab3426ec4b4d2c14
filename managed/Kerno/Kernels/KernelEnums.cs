namespace Kerno.Kernels;

/// <summary>Tensor memory layouts of the native kernels (<c>KERNO_LAYOUT_*</c>).</summary>
internal enum TensorLayout
{
    /// <summary>ONNX's [N][C][H][W].</summary>
    Nchw = 0,

    /// <summary>Blocked [N][ceil(C/b)][H][W][b] with b = <see cref="NnKernels.NchwcBlock"/>; channel tails are zero.</summary>
    Nchwc = 1,
}

/// <summary>Activations fused on output stores (<c>KERNO_ACT_*</c>, shared with SGEMM's epilogue).</summary>
internal enum Activation
{
    /// <summary>Identity.</summary>
    None = 0,

    /// <summary>max(x, 0).</summary>
    Relu = 1,

    /// <summary>min(max(x, alpha), beta); ReLU6 is alpha 0, beta 6.</summary>
    Clip = 2,

    /// <summary>x &gt;= 0 ? x : alpha * x.</summary>
    LeakyRelu = 3,

    /// <summary>1 / (1 + exp(-x)).</summary>
    Sigmoid = 4,

    /// <summary>x * clamp(x / 6 + 1/2, 0, 1).</summary>
    HardSwish = 5,

    /// <summary>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    GeluTanh = 6,

    /// <summary>x * sigmoid(x).</summary>
    Silu = 7,
}

/// <summary>Convolution algorithms (<c>KERNO_CONV_*</c>).</summary>
internal enum ConvAlgorithm
{
    /// <summary>Let the plan choose.</summary>
    Auto = 0,

    /// <summary>im2col + packed SGEMM.</summary>
    Im2Col = 1,

    /// <summary>1x1 as GEMM.</summary>
    Gemm1x1 = 2,

    /// <summary>Winograd F(2x2, 3x3).</summary>
    WinogradF2 = 3,

    /// <summary>Winograd F(4x4, 3x3).</summary>
    WinogradF4 = 4,

    /// <summary>Winograd F(6x6, 3x3).</summary>
    WinogradF6 = 5,

    /// <summary>Direct NCHWc kernel.</summary>
    Direct = 6,

    /// <summary>Depthwise (group == C == K).</summary>
    Depthwise = 7,
}

/// <summary>Element-wise binary operators (<c>KERNO_BINARY_*</c>).</summary>
internal enum BinaryOp
{
    /// <summary>a + b.</summary>
    Add = 0,

    /// <summary>a - b.</summary>
    Sub = 1,

    /// <summary>a * b.</summary>
    Mul = 2,

    /// <summary>a / b.</summary>
    Div = 3,

    /// <summary>max(a, b).</summary>
    Max = 4,

    /// <summary>min(a, b).</summary>
    Min = 5,
}

/// <summary>Pooling kinds (<c>KERNO_POOL_*</c>).</summary>
internal enum PoolKind
{
    /// <summary>Maximum.</summary>
    Max = 0,

    /// <summary>Average.</summary>
    Average = 1,
}

/// <summary>Resize interpolation (<c>KERNO_RESIZE_*</c>).</summary>
internal enum ResizeMode
{
    /// <summary>Nearest neighbour.</summary>
    Nearest = 0,

    /// <summary>Bilinear.</summary>
    Linear = 1,
}

/// <summary>ONNX Resize coordinate_transformation_mode (<c>KERNO_COORD_*</c>).</summary>
internal enum CoordinateMode
{
    /// <summary>half_pixel.</summary>
    HalfPixel = 0,

    /// <summary>asymmetric.</summary>
    Asymmetric = 1,

    /// <summary>align_corners.</summary>
    AlignCorners = 2,

    /// <summary>pytorch_half_pixel.</summary>
    PytorchHalfPixel = 3,
}

/// <summary>ONNX Resize nearest_mode (<c>KERNO_NEAREST_*</c>).</summary>
internal enum NearestMode
{
    /// <summary>round_prefer_floor.</summary>
    RoundPreferFloor = 0,

    /// <summary>round_prefer_ceil.</summary>
    RoundPreferCeil = 1,

    /// <summary>floor.</summary>
    Floor = 2,

    /// <summary>ceil.</summary>
    Ceil = 3,
}
