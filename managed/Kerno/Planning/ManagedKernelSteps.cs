using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kerno.Execution;
using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// Vectorized managed kernels for the memory-bound operators around the GEMMs (element-wise arithmetic and
/// activations, pooling, concatenation, transposition, depthwise convolution), on the arena like the native
/// steps, with in-place reuse where the planner allows it. They stand in until libkerno has these kernels; each
/// handles the common float cases and runs the reference kernel for anything else.
/// </summary>
/// <remarks>
/// The loops of the managed kernels are marked <see cref="System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization"/>:
/// a session calls each a few dozen times, too few for tiered compilation to replace their tier-0 code, whose
/// vector loops run several times slower (a [4420, 2] Exp took 32 us at tier 0, 8 us optimized).
/// </remarks>
internal static class ManagedKernels
{
    /// <summary>Splits [0, n) into chunks for the pool when the work is large enough to pay for it.</summary>
    public static int Chunks(RunContext context, long work) =>
        context.Pool.Threads == 1 || work < 1 << 16 ? 1 : (int)Math.Min(context.Pool.Threads * 4L, Math.Max(1, work / (1 << 14)));
}

/// <summary>Add, Sub, Mul, Div, Max, Min, two-input Sum on float tensors: same shapes, a scalar, a trailing vector, or a per-channel operand.</summary>
internal sealed unsafe class BinaryStep : KernelStep
{
    private enum Op { Add, Sub, Mul, Div, Max, Min }

    private readonly Op op;

    public BinaryStep(Node node, long opset, ReferenceKernel reference) : base(node, opset, reference)
    {
        op = node.OpType switch
        {
            "Add" or "Sum" => Op.Add,
            "Sub" => Op.Sub,
            "Mul" => Op.Mul,
            "Div" => Op.Div,
            "Max" => Op.Max,
            _ => Op.Min,
        };
    }

    public override string KernelName => "eltwise-" + op.ToString().ToLowerInvariant();

    /// <summary>Input 0 may be overwritten when it has the output's shape (the planner checks sizes).</summary>
    public override int InPlaceInput => 0;

    /// <summary>How <paramref name="small"/> broadcasts onto <paramref name="full"/>: (period, repeat) meaning element i uses small[(i / repeat) % period]; null when not one of the fast cases.</summary>
    internal static (long Period, long Repeat)? Pattern(ReadOnlySpan<int> full, ReadOnlySpan<int> small)
    {
        if (small.Length > full.Length)
            return null;
        int offset = full.Length - small.Length;
        int first = -1, last = -1;
        for (int i = 0; i < small.Length; ++i)
        {
            if (small[i] == 1)
                continue;
            if (small[i] != full[i + offset])
                return null;
            if (first < 0)
                first = i;
            last = i;
        }
        if (first < 0)
            return (1, 1);
        long period = 1;
        for (int i = first; i <= last; ++i)
        {
            if (small[i] != full[i + offset])
                return null; // a 1 inside the varying block: not contiguous
            period *= small[i];
        }
        long repeat = 1;
        for (int i = last + offset + 1; i < full.Length; ++i)
            repeat *= full[i];
        return (period, repeat);
    }

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> a || context.Slots[Inputs[1]] is not Tensor<float> b)
        {
            RunReference(context);
            return;
        }
        bool swap = false;
        Tensor<float> full = a, small = b;
        if (!a.Shape.SequenceEqual(b.Shape))
        {
            if (Pattern(a.Shape, b.Shape) is null)
            {
                if (Pattern(b.Shape, a.Shape) is null)
                {
                    RunReference(context);
                    return;
                }
                (full, small, swap) = (b, a, true);
            }
        }
        var (period, repeat) = a.Shape.SequenceEqual(b.Shape) ? (full.Length, 1L) : Pattern(full.Shape, small.Shape)!.Value;
        if (full.Length == 0 || small.Length != period)
        {
            RunReference(context);
            return;
        }
        Tensor<float> y = context.Output(Outputs[0], full.Shape);
        if (y.Length != full.Length)
            throw Fail("output size mismatch");
        fixed (float* pf = full.Span, ps = small.Span, py = y.Span)
        {
            LoopJob job = context.Loop;
            job.Body = &Run;
            job.P0 = pf;
            job.P1 = ps;
            job.P2 = py;
            job.I0 = (int)op;
            job.I1 = swap ? 1 : 0;
            job.I2 = (int)period;
            job.I3 = (int)repeat;
            job.I4 = full.Length;
            int chunks = ManagedKernels.Chunks(context, full.Length);
            job.I5 = chunks;
            job.Run(context.Pool, chunks);
        }
        context.Slots[Outputs[0]] = y;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(LoopJob j, int chunk)
    {
        int n = j.I4, chunks = j.I5;
        long period = j.I2, repeat = j.I3;
        var op = (Op)j.I0;
        bool swap = j.I1 != 0;
        int begin = (int)((long)n * chunk / chunks), end = (int)((long)n * (chunk + 1) / chunks);
        if (period == n && repeat == 1)
        {
            Apply(op, swap, new ReadOnlySpan<float>(j.P0 + begin, end - begin), new ReadOnlySpan<float>(j.P1 + begin, end - begin), new Span<float>(j.P2 + begin, end - begin));
            return;
        }
        if (period == 1)
        {
            ApplyScalar(op, swap, new ReadOnlySpan<float>(j.P0 + begin, end - begin), j.P1[0], new Span<float>(j.P2 + begin, end - begin));
            return;
        }
        if (repeat == 1 && period < 4 * Vector<float>.Count)
        {
            // A short trailing vector (e.g. [.., 2] boxes): element by element.
            for (int k = begin; k < end; ++k)
                j.P2[k] = swap ? Scalar(op, j.P1[k % period], j.P0[k]) : Scalar(op, j.P0[k], j.P1[k % period]);
            return;
        }
        int i = begin;
        while (i < end)
        {
            long block = i / repeat;
            int blockEnd = (int)Math.Min(end, (block + 1) * repeat);
            float s = j.P1[block % period];
            if (repeat > 1)
                ApplyScalar(op, swap, new ReadOnlySpan<float>(j.P0 + i, blockEnd - i), s, new Span<float>(j.P2 + i, blockEnd - i));
            else
            {
                // Trailing-vector broadcast: the small operand repeats every `period` elements.
                int segEnd = (int)Math.Min(end, (i / period + 1) * period);
                int off = (int)(i % period);
                Apply(op, swap, new ReadOnlySpan<float>(j.P0 + i, segEnd - i), new ReadOnlySpan<float>(j.P1 + off, segEnd - i), new Span<float>(j.P2 + i, segEnd - i));
                blockEnd = segEnd;
            }
            i = blockEnd;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Apply(Op op, bool swap, ReadOnlySpan<float> x, ReadOnlySpan<float> z, Span<float> y)
    {
        if (swap)
        {
            ReadOnlySpan<float> t = x;
            x = z;
            z = t;
        }
        int i = 0, w = Vector<float>.Count;
        ref float rx = ref MemoryMarshal.GetReference(x), rz = ref MemoryMarshal.GetReference(z), ry = ref MemoryMarshal.GetReference(y);
        for (; i + w <= y.Length; i += w)
        {
            var a = Vector.LoadUnsafe(ref rx, (nuint)i);
            var b = Vector.LoadUnsafe(ref rz, (nuint)i);
            Vector<float> r = op switch
            {
                Op.Add => a + b,
                Op.Sub => a - b,
                Op.Mul => a * b,
                Op.Div => a / b,
                Op.Max => Vector.Max(a, b),
                _ => Vector.Min(a, b),
            };
            r.StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < y.Length; ++i)
            y[i] = Scalar(op, x[i], z[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ApplyScalar(Op op, bool swap, ReadOnlySpan<float> x, float s, Span<float> y)
    {
        int i = 0, w = Vector<float>.Count;
        var vs = new Vector<float>(s);
        ref float rx = ref MemoryMarshal.GetReference(x), ry = ref MemoryMarshal.GetReference(y);
        for (; i + w <= y.Length; i += w)
        {
            var a = Vector.LoadUnsafe(ref rx, (nuint)i);
            Vector<float> l = swap ? vs : a, r = swap ? a : vs;
            Vector<float> v = op switch
            {
                Op.Add => l + r,
                Op.Sub => l - r,
                Op.Mul => l * r,
                Op.Div => l / r,
                Op.Max => Vector.Max(l, r),
                _ => Vector.Min(l, r),
            };
            v.StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < y.Length; ++i)
            y[i] = swap ? Scalar(op, s, x[i]) : Scalar(op, x[i], s);
    }

    // NaN handling as the reference: Max/Min propagate NaN.
    private static float Scalar(Op op, float a, float b) => op switch
    {
        Op.Add => a + b,
        Op.Sub => a - b,
        Op.Mul => a * b,
        Op.Div => a / b,
        Op.Max => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : Math.Max(a, b),
        _ => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : Math.Min(a, b),
    };
}
