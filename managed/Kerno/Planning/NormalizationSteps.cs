using Kerno.Execution;
using Kerno.Graph;
using Kerno.Kernels;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// BatchNormalization at inference (one output, constant scale/bias/mean/var of C floats) that the optimizer could
/// not fold into a convolution, on <c>kerno_batch_norm</c> over [N][C][spatial].
/// </summary>
internal sealed class BatchNormStep : KernelStep
{
    private readonly float[] scale, bias, mean, variance;
    private readonly float epsilon;
    private readonly int block; // kerno.BlockedBatchNormalization: the NCHWc block (x is [N, C rounded up, H, W]); 0 for NCHW

    public BatchNormStep(Node node, long opset, ReferenceKernel reference, Tensor<float> scale, Tensor<float> bias, Tensor<float> mean, Tensor<float> variance,
        int block = 0)
        : base(node, opset, reference)
    {
        this.block = block;
        this.scale = scale.Span.ToArray();
        this.bias = bias.Span.ToArray();
        this.mean = mean.Span.ToArray();
        this.variance = variance.Span.ToArray();
        epsilon = node.GetFloat("epsilon", 1e-5f);
    }

    public override string KernelName => block > 0 ? $"batchnorm-nchwc{block}" : "batchnorm";

    public override int InPlaceInput => 0;

    public override void Execute(RunContext context)
    {
        int c = scale.Length;
        int stored = block > 0 ? (int)Optimizer.Passes.BlockedOps.RoundUp(c, block) : c;
        if (context.Slots[Inputs[0]] is not Tensor<float> { Rank: >= 2 } x || x.Length == 0 || x.Shape[1] != stored
            || bias.Length != c || mean.Length != c || variance.Length != c || (block > 0 && (x.Rank != 4 || block != NnKernels.NchwcBlock)))
        {
            RunReference(context);
            return;
        }
        int spatial = x.Length / (x.Shape[0] * stored);
        Tensor<float> y = context.Output(Outputs[0], x.Shape);
        NnKernels.BatchNorm(block > 0 ? TensorLayout.Nchwc : TensorLayout.Nchw, x.Span, y.Span, x.Shape[0], c, spatial, scale, bias, mean, variance, epsilon);
        context.Slots[Outputs[0]] = y;
    }
}

/// <summary>
/// LayerNormalization (and kerno.LayerNormalization from FuseLayerNormPattern, over the last axis, scale optional) with
/// constant scale and bias, only the first output read, on <c>kerno_layer_norm</c> over rows = prod(shape[..axis]),
/// cols = prod(shape[axis..]); a scale or bias that is not one value per column runs the reference kernel.
/// </summary>
internal sealed class LayerNormStep : KernelStep
{
    private readonly float[]? scale;
    private readonly float[]? bias;
    private readonly float epsilon;
    private readonly long axis;

    public LayerNormStep(Node node, long opset, ReferenceKernel reference, Tensor<float>? scale, Tensor<float>? bias) : base(node, opset, reference)
    {
        this.scale = scale?.Span.ToArray();
        this.bias = bias?.Span.ToArray();
        epsilon = node.GetFloat("epsilon", 1e-5f);
        axis = node.GetInt("axis", -1);
    }

    public override string KernelName => "layernorm";

    public override int InPlaceInput => 0;

    public override IEnumerable<int> ConsumedConstants => (scale is null ? Array.Empty<int>() : [1]).Concat(bias is null ? [] : [2]);

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> { Rank: > 0 } x || x.Length == 0 || !(epsilon >= 0))
        {
            RunReference(context);
            return;
        }
        int a = (int)(axis < 0 ? axis + x.Rank : axis);
        if (a < 0 || a >= x.Rank)
        {
            RunReference(context);
            return;
        }
        long cols = 1;
        for (int d = a; d < x.Rank; ++d)
            cols *= x.Shape[d];
        if ((scale is not null && cols != scale.Length) || (bias is not null && bias.Length != cols))
        {
            RunReference(context);
            return;
        }
        Tensor<float> y = context.Output(Outputs[0], x.Shape);
        NnKernels.LayerNorm(x.Span, scale ?? Ones((int)cols), bias ?? [], y.Span, (int)(x.Length / cols), (int)cols, epsilon, [], []);
        context.Slots[Outputs[0]] = y;
    }

    private float[]? ones;

    private float[] Ones(int n) => ones is { } o && o.Length == n ? o : ones = Enumerable.Repeat(1f, n).ToArray();
}
