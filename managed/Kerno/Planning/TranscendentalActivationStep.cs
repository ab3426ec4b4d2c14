using Kerno.Execution;
using Kerno.Graph;
using Kerno.Interop;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// Sigmoid, HardSwish, HardSigmoid and Tanh on float tensors when no producer took them into its epilogue: Sigmoid
/// and HardSwish on libkerno's vectorized <c>kerno_activation</c>, the other two as a managed loop; element ranges
/// split across the threads, in place when the input dies here.
/// </summary>
internal sealed unsafe class TranscendentalActivationStep : KernelStep
{
    private readonly FusedActivation activation;

    public TranscendentalActivationStep(Node node, long opset, ReferenceKernel reference, FusedActivation activation) : base(node, opset, reference)
    {
        this.activation = activation;
    }

    public override string KernelName => "eltwise-" + activation.Kind.ToString().ToLowerInvariant();

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
        if (x.Length == 0)
        {
            context.Slots[Outputs[0]] = y;
            return;
        }
        Native.EnsureLoaded();
        fixed (float* px = x.Span, py = y.Span)
        {
            LoopJob job = context.Loop;
            job.Body = &Run;
            job.P0 = px;
            job.P1 = py;
            job.I0 = (int)activation.Kind;
            job.F0 = activation.Alpha;
            job.F1 = activation.Beta;
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
        var act = new FusedActivation((ActivationKind)j.I0, j.F0, j.F1);
        if (Epilogues.Native(act))
        {
            Native.Check(NativeMethods.kerno_activation(j.P0 + begin, j.P1 + begin, (nuint)(end - begin), (int)act.Kind, act.Alpha, act.Beta), "kerno_activation");
            return;
        }
        for (int i = begin; i < end; ++i)
            j.P1[i] = act.Apply(j.P0[i]);
    }
}
