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

    public BatchNormStep(Node node, long opset, ReferenceKernel reference, Tensor<float> scale, Tensor<float> bias, Tensor<float> mean, Tensor<float> variance)
        : base(node, opset, reference)
    {
        this.scale = scale.Span.ToArray();
        this.bias = bias.Span.ToArray();
        this.mean = mean.Span.ToArray();
        this.variance = variance.Span.ToArray();
        epsilon = node.GetFloat("epsilon", 1e-5f);
    }

    public override string KernelName => "batchnorm";

    public override int InPlaceInput => 0;

    public override void Execute(RunContext context)
    {
        int c = scale.Length;
        if (context.Slots[Inputs[0]] is not Tensor<float> { Rank: >= 2 } x || x.Length == 0 || x.Shape[1] != c
            || bias.Length != c || mean.Length != c || variance.Length != c)
        {
            RunReference(context);
            return;
        }
        int spatial = x.Length / (x.Shape[0] * c);
        Tensor<float> y = context.Output(Outputs[0], x.Shape);
        NnKernels.BatchNorm(TensorLayout.Nchw, x.Span, y.Span, x.Shape[0], c, spatial, scale, bias, mean, variance, epsilon);
        context.Slots[Outputs[0]] = y;
    }
}
