using System.Numerics;
using Kerno.Execution;
using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>Exp of a float tensor with the runtime's vectorized exp (UltraFace decodes its box sizes with it), in
/// place when the planner allows; chunks split across the pool for large tensors.</summary>
internal sealed unsafe class ExpStep : KernelStep
{
    public ExpStep(Node node, long opset, ReferenceKernel reference) : base(node, opset, reference) { }

    public override string KernelName => "eltwise-exp";

    public override int InPlaceInput => 0;

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> x)
        {
            RunReference(context);
            return;
        }
        Tensor<float> y = context.Output(Outputs[0], x.Shape);
        if (y.Length != x.Length)
            throw Fail("output size mismatch");
        fixed (float* px = x.Span, py = y.Span)
        {
            LoopJob job = context.Loop;
            job.Body = &Run;
            job.P0 = px;
            job.P1 = py;
            job.I4 = x.Length;
            int chunks = ManagedKernels.Chunks(context, x.Length * 8L);
            job.I5 = chunks;
            job.Run(context.Pool, chunks);
        }
        context.Slots[Outputs[0]] = y;
    }

    private static void Run(LoopJob j, int chunk)
    {
        int n = j.I4, chunks = j.I5;
        int begin = (int)((long)n * chunk / chunks), end = (int)((long)n * (chunk + 1) / chunks);
        float* x = j.P0, y = j.P1;
        int i = begin, w = Vector<float>.Count;
        for (; i + w <= end; i += w)
            Vector.Exp(Vector.Load(x + i)).Store(y + i);
        for (; i < end; ++i)
            y[i] = MathF.Exp(x[i]);
    }
}
