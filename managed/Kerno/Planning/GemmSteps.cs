using Kerno.Execution;
using Kerno.Graph;
using Kerno.Interop;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>Activation helpers shared by the native steps: what the SGEMM epilogue fuses, and the rest done after.</summary>
internal static class Epilogues
{
    /// <summary>True when the native epilogue computes <paramref name="act"/> itself.</summary>
    public static bool Native(FusedActivation act) =>
        (int)act.Kind <= NativeMethods.KERNO_ACT_SILU && !(act.Kind == ActivationKind.Clip && !(act.Alpha <= act.Beta));

    public static unsafe NativeMethods.kerno_sgemm_epilogue_t Make(FusedActivation act, int biasKind, float* bias) => new()
    {
        activation = Native(act) ? (int)act.Kind : NativeMethods.KERNO_ACT_NONE,
        bias_kind = bias == null ? NativeMethods.KERNO_BIAS_NONE : biasKind,
        act_alpha = act.Alpha,
        act_beta = act.Beta,
        bias = bias,
    };

    /// <summary>Applies an activation the epilogue could not (HardSigmoid, Tanh, odd Clip) after the store.</summary>
    public static void After(FusedActivation act, Span<float> y)
    {
        if (act.Kind == ActivationKind.None || Native(act))
            return;
        foreach (ref float v in y)
            v = act.Apply(v);
    }
}

/// <summary>
/// MatMul / kerno.FusedMatMul with a constant [K,N] B, and Gemm / kerno.FusedGemm with a constant B: one SGEMM on
/// B packed at session creation, bias and activation in the epilogue. MatMul's A may have any rank (its leading
/// dims fold into M).
/// </summary>
internal sealed unsafe class PackedGemmStep : KernelStep, IDisposable
{
    private readonly PackedMatrix packed;
    private readonly bool gemm;       // Gemm semantics: A is 2-D, may be transposed
    private readonly bool transA;
    private readonly float alpha;
    private readonly float[]? columnBias; // n values (already times beta)
    private readonly float[]? rowBias;    // m values (already times beta), C shaped [M,1]
    private readonly FusedActivation activation;

    public PackedGemmStep(Node node, long opset, ReferenceKernel reference, PackedMatrix packed, bool gemm, bool transA, float alpha,
        float[]? columnBias, float[]? rowBias, FusedActivation activation)
        : base(node, opset, reference)
    {
        this.packed = packed;
        this.gemm = gemm;
        this.transA = transA;
        this.alpha = alpha;
        this.columnBias = columnBias;
        this.rowBias = rowBias;
        this.activation = activation;
    }

    public override string KernelName => "sgemm-packed" + (activation.Kind != ActivationKind.None ? "+" + activation.Kind.ToString().ToLowerInvariant() : "");

    public override IEnumerable<int> ConsumedConstants => Node.Inputs.Count > 2 ? [1, 2] : [1];

    public override long PackedBytes => (long)packed.Bytes;

    /// <summary>Output shape for A's shape, or null when the native kernel does not handle it.</summary>
    private int[]? OutputShape(ReadOnlySpan<int> a, out int m, out int k)
    {
        m = k = 0;
        if (gemm)
        {
            if (a.Length != 2)
                return null;
            (m, k) = transA ? (a[1], a[0]) : (a[0], a[1]);
            return k == packed.K ? [m, packed.N] : null;
        }
        if (a.Length == 0)
            return null;
        k = a[^1];
        if (k != packed.K)
            return null;
        long rows = 1;
        for (int i = 0; i < a.Length - 1; ++i)
            rows *= a[i];
        m = (int)rows;
        var shape = a.ToArray();
        if (a.Length == 1)
            return [packed.N];
        shape[^1] = packed.N;
        return shape;
    }

    public override double Flops(Func<int, int[]?> shapeOf) =>
        shapeOf(Inputs[0]) is { } a && OutputShape(a, out int m, out int k) is not null ? 2.0 * m * packed.N * k : 0;

    private bool released;

    /// <summary>The packed copy is all this step reads (it never kept B): the originals can go when A's static shape is
    /// one the packed path handles.</summary>
    public override bool ReleaseOriginals(Func<int, int[]?> staticShapeOf)
    {
        if (staticShapeOf(Inputs[0]) is not { } a || OutputShape(a, out int m, out _) is null || m == 0 || (rowBias is not null && rowBias.Length != m))
            return false;
        released = true;
        return true;
    }

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> a || OutputShape(a.Shape, out int m, out int k) is not { } shape
            || (rowBias is not null && rowBias.Length != m) || m == 0)
        {
            if (released)
                throw Fail("this run's shapes differ from the ones the session planned (and released the original weights for)");
            RunReference(context);
            return;
        }
        int n = packed.N;
        Tensor<float> y = context.Output(Outputs[0], shape);
        // Sizes: A holds m x k (or k x m), Y holds m x n, the bias m or n: checked before any pointer is taken.
        if (a.Length < (long)m * k || y.Length < (long)m * n)
            throw Fail($"A {Tensor.FormatShape(a.Shape)} or Y {Tensor.FormatShape(y.Shape)} is too small for a {m}x{k}x{n} GEMM");
        float[]? bias = columnBias ?? rowBias;
        fixed (float* pa = a.Span, py = y.Span, pbias = bias)
        {
            GemmJob job = context.Gemm;
            job.Reset();
            job.TransA = gemm && transA;
            job.M = m;
            job.N = n;
            job.K = k;
            job.Alpha = alpha;
            job.A = pa;
            job.Lda = job.TransA ? m : k;
            job.Packed = packed.Data;
            job.PackedBytes = packed.Bytes;
            job.C = py;
            job.Ldc = n;
            job.Epilogue = Epilogues.Make(activation, columnBias is not null ? NativeMethods.KERNO_BIAS_COL : NativeMethods.KERNO_BIAS_ROW, bias is null ? null : pbias);
            job.Run(context.Pool);
        }
        Epilogues.After(activation, y.Span);
        context.Slots[Outputs[0]] = y;
    }

    public void Dispose() => packed.Dispose();
}

/// <summary>MatMul of two computed tensors (attention scores, ...): batched SGEMM with numpy batch broadcasting.</summary>
internal sealed unsafe class BatchedMatMulStep : KernelStep
{
    public BatchedMatMulStep(Node node, long opset, ReferenceKernel reference) : base(node, opset, reference) { }

    public override string KernelName => "sgemm-batched";

    private static int[]? OutputShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b, out int batches)
    {
        batches = 0;
        if (a.Length < 2 || b.Length < 2 || a[^1] != b[^2])
            return null;
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank - 2; ++i)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                return null;
            shape[i] = da == 1 ? db : da;
            count *= shape[i];
        }
        shape[^2] = a[^2];
        shape[^1] = b[^1];
        if (count > int.MaxValue)
            return null;
        batches = (int)count;
        return shape;
    }

    public override double Flops(Func<int, int[]?> shapeOf) =>
        shapeOf(Inputs[0]) is { } a && shapeOf(Inputs[1]) is { } b && OutputShape(a, b, out int batches) is not null
            ? 2.0 * batches * a[^2] * a[^1] * b[^1] : 0;

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> a || context.Slots[Inputs[1]] is not Tensor<float> b
            || OutputShape(a.Shape, b.Shape, out int batches) is not { } shape || a.Length == 0 || b.Length == 0)
        {
            RunReference(context);
            return;
        }
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        Tensor<float> y = context.Output(Outputs[0], shape);
        GemmJob job = context.Gemm;
        job.Reset();
        job.EnsureBatches(batches);
        // Batch offsets with broadcasting: walk the output's batch index and map it into A's and B's.
        int rank = shape.Length;
        long aMat = (long)m * k, bMat = (long)k * n, cMat = (long)m * n;
        Span<int> index = stackalloc int[Math.Max(rank - 2, 1)];
        index.Clear();
        for (int bi = 0; bi < batches; ++bi)
        {
            long ao = 0, bo = 0, aStride = 1, bStride = 1;
            for (int d = rank - 3; d >= 0; --d)
            {
                int ad = d - (rank - a.Rank), bd = d - (rank - b.Rank);
                if (ad >= 0)
                {
                    if (a.Shape[ad] != 1)
                        ao += index[d] * aStride;
                    aStride *= a.Shape[ad];
                }
                if (bd >= 0)
                {
                    if (b.Shape[bd] != 1)
                        bo += index[d] * bStride;
                    bStride *= b.Shape[bd];
                }
            }
            job.AOffsets[bi] = ao * aMat;
            job.BOffsets[bi] = bo * bMat;
            job.COffsets[bi] = bi * cMat;
            for (int d = rank - 3; d >= 0; --d)
            {
                if (++index[d] < shape[d])
                    break;
                index[d] = 0;
            }
        }
        if (y.Length != (long)batches * cMat)
            throw Fail($"output {Tensor.FormatShape(y.Shape)} does not hold {batches} {m}x{n} products");
        fixed (float* pa = a.Span, pb = b.Span, py = y.Span)
        {
            job.M = m;
            job.N = n;
            job.K = k;
            job.A = pa;
            job.Lda = k;
            job.B = pb;
            job.Ldb = n;
            job.C = py;
            job.Ldc = n;
            job.Run(context.Pool);
        }
        context.Slots[Outputs[0]] = y;
    }
}
