using System.Numerics;
using System.Runtime.CompilerServices;
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(LoopJob j, int chunk)
    {
        int n = j.I4, chunks = j.I5;
        int begin = (int)((long)n * chunk / chunks), end = (int)((long)n * (chunk + 1) / chunks);
        float* x = j.P0, y = j.P1;
        int i = begin, w = Vector<float>.Count;
        var lo = new Vector<float>(-87f);
        var hi = new Vector<float>(88f);
        for (; i + w <= end; i += w)
        {
            var v = Vector.Load(x + i);
            // inside [-87, 88] the result is a normal float; outside (or NaN) the vector goes element by element
            if (Vector.LessThanOrEqualAll(v, hi) && Vector.GreaterThanOrEqualAll(v, lo))
                Exp(v).Store(y + i);
            else
                for (int k = i; k < i + w; ++k)
                    y[k] = MathF.Exp(x[k]);
        }
        for (; i < end; ++i)
            y[i] = MathF.Exp(x[i]);
    }

    /// <summary>exp(v) for v in [-87, 88]: v = n ln2 + r with |r| &lt;= ln2 / 2, exp(r) by its degree-6 Taylor
    /// polynomial (relative error about 2e-7), times 2^n built in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Vector<float> Exp(Vector<float> v)
    {
        // round to nearest by adding and subtracting 1.5 * 2^23 (exact for |v * log2 e| < 2^22)
        var magic = new Vector<float>(12582912f);
        Vector<float> n = v * 1.44269504f + magic - magic;
        // ln2 split in two so n * ln2 subtracts exactly for |n| <= 127
        Vector<float> r = v - n * 0.693145752f - n * 1.42860677e-6f;
        Vector<float> p = new(1f / 720);
        p = p * r + new Vector<float>(1f / 120);
        p = p * r + new Vector<float>(1f / 24);
        p = p * r + new Vector<float>(1f / 6);
        p = p * r + new Vector<float>(0.5f);
        p = p * r + Vector<float>.One;
        p = p * r + Vector<float>.One;
        Vector<int> bits = (Vector.ConvertToInt32(n) + new Vector<int>(127)) << 23;
        return p * Vector.AsVectorSingle(bits);
    }
}
