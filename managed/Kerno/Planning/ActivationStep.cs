using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kerno.Execution;
using Kerno.Graph;
using Kerno.Interop;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// An activation on a float tensor that no producer took into its epilogue, in place when the input dies; element
/// ranges split across the threads. Relu, LeakyRelu and Clip are vector loops here; Sigmoid, HardSwish (and the
/// other kinds libkerno vectorizes) go to <c>kerno_activation</c>; the rest (Tanh, HardSigmoid) is a scalar loop.
/// </summary>
internal sealed unsafe class ActivationStep : KernelStep
{
    private readonly FusedActivation activation;

    public ActivationStep(Node node, long opset, ReferenceKernel reference, FusedActivation activation) : base(node, opset, reference)
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
        if (!Cheap(activation.Kind))
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
            int chunks = ManagedKernels.Chunks(context, x.Length * (Cheap(activation.Kind) ? 1L : 8L));
            job.I5 = chunks;
            job.Run(context.Pool, chunks);
        }
        context.Slots[Outputs[0]] = y;
    }

    /// <summary>Kinds that cost about one instruction per element (a vector loop here, no call into libkerno).</summary>
    private static bool Cheap(ActivationKind kind) => kind is ActivationKind.Relu or ActivationKind.Clip or ActivationKind.LeakyRelu;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(LoopJob j, int chunk)
    {
        int n = j.I4, chunks = j.I5;
        int begin = (int)((long)n * chunk / chunks), end = (int)((long)n * (chunk + 1) / chunks);
        var act = new FusedActivation((ActivationKind)j.I0, j.F0, j.F1);
        if (!Cheap(act.Kind) && Epilogues.Native(act))
        {
            Native.Check(NativeMethods.kerno_activation(j.P0 + begin, j.P1 + begin, (nuint)(end - begin), (int)act.Kind, act.Alpha, act.Beta), "kerno_activation");
            return;
        }
        var x = new ReadOnlySpan<float>(j.P0 + begin, end - begin);
        var y = new Span<float>(j.P1 + begin, end - begin);
        int i = 0, w = Vector<float>.Count;
        ref float rx = ref MemoryMarshal.GetReference(x), ry = ref MemoryMarshal.GetReference(y);
        switch (act.Kind)
        {
            case ActivationKind.Relu:
                for (; i + w <= y.Length; i += w)
                    Vector.Max(Vector.LoadUnsafe(ref rx, (nuint)i), Vector<float>.Zero).StoreUnsafe(ref ry, (nuint)i);
                break;
            case ActivationKind.Clip when act.Alpha <= act.Beta:
                var lo = new Vector<float>(act.Alpha);
                var hi = new Vector<float>(act.Beta);
                for (; i + w <= y.Length; i += w)
                    Vector.Min(Vector.Max(Vector.LoadUnsafe(ref rx, (nuint)i), lo), hi).StoreUnsafe(ref ry, (nuint)i);
                break;
            case ActivationKind.LeakyRelu:
                var slope = new Vector<float>(act.Alpha);
                for (; i + w <= y.Length; i += w)
                {
                    var v = Vector.LoadUnsafe(ref rx, (nuint)i);
                    Vector.ConditionalSelect(Vector.GreaterThanOrEqual(v, Vector<float>.Zero), v, v * slope).StoreUnsafe(ref ry, (nuint)i);
                }
                break;
        }
        for (; i < y.Length; ++i)
        {
            float v = x[i];
            // NaN stays NaN for Relu, as in the reference (v > 0 ? v : 0 would give 0).
            y[i] = act.Kind == ActivationKind.Relu ? (float.IsNaN(v) ? v : Math.Max(v, 0)) : act.Apply(v);
        }
    }
}
