using System.Runtime.InteropServices;
using Kerno.Interop;

namespace Kerno.Kernels;

/// <summary>The activation an <see cref="Sgemm"/> call fuses into its store.</summary>
public enum SgemmActivation
{
    /// <summary>No activation.</summary>
    None = NativeMethods.KERNO_ACT_NONE,
    /// <summary>max(x, 0).</summary>
    Relu = NativeMethods.KERNO_ACT_RELU,
    /// <summary>min(max(x, min), max); ReLU6 is Clip(0, 6).</summary>
    Clip = NativeMethods.KERNO_ACT_CLIP,
    /// <summary>x &gt;= 0 ? x : slope * x.</summary>
    LeakyRelu = NativeMethods.KERNO_ACT_LEAKY_RELU,
    /// <summary>1 / (1 + exp(-x)).</summary>
    Sigmoid = NativeMethods.KERNO_ACT_SIGMOID,
    /// <summary>x * clip(x / 6 + 1/2, 0, 1).</summary>
    HardSwish = NativeMethods.KERNO_ACT_HARD_SWISH,
    /// <summary>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    GeluTanh = NativeMethods.KERNO_ACT_GELU_TANH,
    /// <summary>x * sigmoid(x) (Swish).</summary>
    Silu = NativeMethods.KERNO_ACT_SILU,
}

/// <summary>Which way an <see cref="Sgemm"/> bias broadcasts over C.</summary>
public enum SgemmBias
{
    /// <summary>No bias.</summary>
    None = NativeMethods.KERNO_BIAS_NONE,
    /// <summary>One value per row of C (m values).</summary>
    Row = NativeMethods.KERNO_BIAS_ROW,
    /// <summary>One value per column of C (n values).</summary>
    Column = NativeMethods.KERNO_BIAS_COL,
}

/// <summary>The fused activation of an <see cref="Sgemm"/> call and its parameters.</summary>
/// <param name="Activation">The activation.</param>
/// <param name="Alpha">Clip's minimum, LeakyReLU's slope.</param>
/// <param name="Beta">Clip's maximum.</param>
public readonly record struct SgemmEpilogue(SgemmActivation Activation, float Alpha = 0f, float Beta = 0f)
{
    /// <summary>No activation.</summary>
    public static SgemmEpilogue None => default;
    /// <summary>ReLU.</summary>
    public static SgemmEpilogue Relu => new(SgemmActivation.Relu);
    /// <summary>Clip(min, max).</summary>
    public static SgemmEpilogue Clip(float min, float max) => new(SgemmActivation.Clip, min, max);
    /// <summary>LeakyReLU(slope).</summary>
    public static SgemmEpilogue LeakyRelu(float slope) => new(SgemmActivation.LeakyRelu, slope);
}

/// <summary>How <see cref="Sgemm.Partition"/> split C into tiles for workers.</summary>
/// <param name="TileM">Rows of C per tile.</param>
/// <param name="TileN">Columns of C per tile.</param>
/// <param name="TileCount">Number of tiles, numbered row-major over the tile grid.</param>
public readonly record struct SgemmPartition(int TileM, int TileN, int TileCount);

/// <summary>
/// Single-precision GEMM on the native kernels: <c>C = act(alpha * op(A) * op(B) + beta * C + bias)</c>, row-major.
/// op(A) is m x k (A stored m x k, or k x m when <c>transA</c>), op(B) is k x n (B stored k x n, or n x k when
/// <c>transB</c>), C is m x n; each operand has a row stride (lda, ldb, ldc) of at least its stored columns.
/// With <c>beta = 0</c> C is not read. Every size, stride and span length is checked before the native call.
/// </summary>
public static unsafe class Sgemm
{
    /// <summary>C = act(alpha op(A) op(B) + beta C + bias).</summary>
    /// <exception cref="ArgumentException">A size, stride, span length or epilogue parameter is out of range.</exception>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a,
        int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, SgemmEpilogue epilogue = default,
        SgemmBias biasKind = SgemmBias.None, ReadOnlySpan<float> bias = default)
    {
        CheckGemm(transA, m, n, k, a, lda, beta, c, ldc, epilogue, biasKind, bias);
        CheckOperand(nameof(b), b.Length, transB ? n : k, transB ? k : n, ldb, nameof(ldb));
        Native.EnsureLoaded();
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            var e = Epilogue(epilogue, biasKind, pbias);
            Native.Check(NativeMethods.kerno_sgemm(transA ? 1 : 0, transB ? 1 : 0, (nuint)m, (nuint)n, (nuint)k, alpha,
                pa, (nuint)lda, pb, (nuint)ldb, beta, pc, (nuint)ldc, (nint)(&e)), "kerno_sgemm");
        }
    }

    /// <summary>The same GEMM split over <paramref name="threads"/> native threads (for tools and benchmarks).</summary>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public static void MultiplyThreaded(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        int threads, SgemmEpilogue epilogue = default, SgemmBias biasKind = SgemmBias.None,
        ReadOnlySpan<float> bias = default)
    {
        CheckGemm(transA, m, n, k, a, lda, beta, c, ldc, epilogue, biasKind, bias);
        CheckOperand(nameof(b), b.Length, transB ? n : k, transB ? k : n, ldb, nameof(ldb));
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, 256);
        Native.EnsureLoaded();
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            var e = Epilogue(epilogue, biasKind, pbias);
            Native.Check(NativeMethods.kerno_sgemm_threaded(transA ? 1 : 0, transB ? 1 : 0, (nuint)m, (nuint)n,
                (nuint)k, alpha, pa, (nuint)lda, pb, (nuint)ldb, beta, pc, (nuint)ldc, (nint)(&e), threads),
                "kerno_sgemm_threaded");
        }
    }

    /// <summary>Splits C into at most <paramref name="workers"/> tiles for <see cref="MultiplyRange"/> /
    /// <see cref="MultiplyPackedRange"/> (small problems get fewer tiles).</summary>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public static SgemmPartition Partition(int m, int n, int k, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(workers, 4096);
        Native.EnsureLoaded();
        nuint tm, tn, count;
        Native.Check(NativeMethods.kerno_sgemm_partition((nuint)m, (nuint)n, (nuint)k, workers, &tm, &tn, &count),
            "kerno_sgemm_partition");
        return new SgemmPartition(checked((int)tm), checked((int)tn), checked((int)count));
    }

    /// <summary>The tiles [<paramref name="tileBegin"/>, <paramref name="tileEnd"/>) of a partitioned GEMM; workers
    /// calling this with disjoint ranges and otherwise equal arguments compute the whole product together.</summary>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public static void MultiplyRange(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        SgemmPartition partition, int tileBegin, int tileEnd, SgemmEpilogue epilogue = default,
        SgemmBias biasKind = SgemmBias.None, ReadOnlySpan<float> bias = default)
    {
        CheckGemm(transA, m, n, k, a, lda, beta, c, ldc, epilogue, biasKind, bias);
        CheckOperand(nameof(b), b.Length, transB ? n : k, transB ? k : n, ldb, nameof(ldb));
        CheckRange(m, n, partition, tileBegin, tileEnd);
        Native.EnsureLoaded();
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            var e = Epilogue(epilogue, biasKind, pbias);
            Native.Check(NativeMethods.kerno_sgemm_range(transA ? 1 : 0, transB ? 1 : 0, (nuint)m, (nuint)n, (nuint)k,
                alpha, pa, (nuint)lda, pb, (nuint)ldb, beta, pc, (nuint)ldc, (nint)(&e), (nuint)partition.TileM,
                (nuint)partition.TileN, (nuint)tileBegin, (nuint)tileEnd), "kerno_sgemm_range");
        }
    }

    /// <summary>Bytes a packed op(B) of k x n takes for the active kernel set.</summary>
    /// <exception cref="ArgumentException">n or k is negative.</exception>
    public static long PackedBSize(int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        Native.EnsureLoaded();
        nuint bytes;
        Native.Check(NativeMethods.kerno_sgemm_pack_b_size((nuint)n, (nuint)k, &bytes), "kerno_sgemm_pack_b_size");
        return checked((long)bytes);
    }

    /// <summary>Packs op(B) (k x n) once, for <see cref="MultiplyPacked"/> calls that reuse it (weights). The
    /// packed bytes belong to the kernel set active now; after <see cref="KernoRuntimeInfo.ForceIsa"/> pack again.</summary>
    /// <exception cref="ArgumentException">An argument is out of range or <paramref name="packed"/> is too small.</exception>
    public static void PackB(bool transB, int n, int k, ReadOnlySpan<float> b, int ldb, Span<byte> packed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckOperand(nameof(b), b.Length, transB ? n : k, transB ? k : n, ldb, nameof(ldb));
        long need = PackedBSize(n, k);
        if (packed.Length < need)
            throw new ArgumentException($"packed holds {packed.Length} bytes, a packed {k} x {n} B needs {need}", nameof(packed));
        fixed (float* pb = b)
        fixed (byte* pp = packed)
            Native.Check(NativeMethods.kerno_sgemm_pack_b(transB ? 1 : 0, (nuint)n, (nuint)k, pb, (nuint)ldb, pp,
                (nuint)packed.Length), "kerno_sgemm_pack_b");
    }

    /// <summary>C = act(alpha op(A) B + beta C + bias) with B packed by <see cref="PackB"/>.</summary>
    /// <exception cref="ArgumentException">An argument is out of range, or <paramref name="packedB"/> was packed for
    /// another shape or kernel set.</exception>
    public static void MultiplyPacked(bool transA, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<byte> packedB, float beta, Span<float> c, int ldc, SgemmEpilogue epilogue = default,
        SgemmBias biasKind = SgemmBias.None, ReadOnlySpan<float> bias = default)
    {
        CheckGemm(transA, m, n, k, a, lda, beta, c, ldc, epilogue, biasKind, bias);
        CheckPacked(packedB, n, k);
        Native.EnsureLoaded();
        fixed (float* pa = a, pc = c, pbias = bias)
        fixed (byte* pp = packedB)
        {
            var e = Epilogue(epilogue, biasKind, pbias);
            Native.Check(NativeMethods.kerno_sgemm_packed(transA ? 1 : 0, (nuint)m, (nuint)n, (nuint)k, alpha, pa,
                (nuint)lda, pp, (nuint)packedB.Length, beta, pc, (nuint)ldc, (nint)(&e)), "kerno_sgemm_packed");
        }
    }

    /// <summary>Tiles [<paramref name="tileBegin"/>, <paramref name="tileEnd"/>) of <see cref="MultiplyPacked"/>.</summary>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public static void MultiplyPackedRange(bool transA, int m, int n, int k, float alpha, ReadOnlySpan<float> a,
        int lda, ReadOnlySpan<byte> packedB, float beta, Span<float> c, int ldc, SgemmPartition partition,
        int tileBegin, int tileEnd, SgemmEpilogue epilogue = default, SgemmBias biasKind = SgemmBias.None,
        ReadOnlySpan<float> bias = default)
    {
        CheckGemm(transA, m, n, k, a, lda, beta, c, ldc, epilogue, biasKind, bias);
        CheckPacked(packedB, n, k);
        CheckRange(m, n, partition, tileBegin, tileEnd);
        Native.EnsureLoaded();
        fixed (float* pa = a, pc = c, pbias = bias)
        fixed (byte* pp = packedB)
        {
            var e = Epilogue(epilogue, biasKind, pbias);
            Native.Check(NativeMethods.kerno_sgemm_packed_range(transA ? 1 : 0, (nuint)m, (nuint)n, (nuint)k, alpha,
                pa, (nuint)lda, pp, (nuint)packedB.Length, beta, pc, (nuint)ldc, (nint)(&e), (nuint)partition.TileM,
                (nuint)partition.TileN, (nuint)tileBegin, (nuint)tileEnd), "kerno_sgemm_packed_range");
        }
    }

    // ---- checks ----
    private static NativeMethods.kerno_sgemm_epilogue_t Epilogue(SgemmEpilogue e, SgemmBias biasKind, float* bias) => new()
    {
        activation = (int)e.Activation,
        bias_kind = (int)biasKind,
        act_alpha = e.Alpha,
        act_beta = e.Beta,
        bias = biasKind == SgemmBias.None ? null : bias,
    };

    /// <summary>Elements a rows x cols operand with row stride ld spans: (rows - 1) ld + cols, 0 when empty.</summary>
    private static long Extent(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;

    private static void CheckOperand(string name, int length, int rows, int cols, int ld, string ldName)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentOutOfRangeException(ldName, ld, $"{ldName} must be at least {Math.Max(1, cols)} (the columns {name} stores)");
        long need = Extent(rows, cols, ld);
        if (length < need)
            throw new ArgumentException($"{name} holds {length} floats, a {rows} x {cols} operand with row stride {ld} needs {need}", name);
    }

    private static void CheckGemm(bool transA, int m, int n, int k, ReadOnlySpan<float> a, int lda, float beta,
        Span<float> c, int ldc, SgemmEpilogue epilogue, SgemmBias biasKind, ReadOnlySpan<float> bias)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckOperand(nameof(a), a.Length, transA ? k : m, transA ? m : k, lda, nameof(lda));
        CheckOperand(nameof(c), c.Length, m, n, ldc, nameof(ldc));
        if (!Enum.IsDefined(epilogue.Activation))
            throw new ArgumentOutOfRangeException(nameof(epilogue), epilogue.Activation, "unknown activation");
        if (epilogue.Activation == SgemmActivation.Clip && !(epilogue.Alpha <= epilogue.Beta))
            throw new ArgumentException($"Clip min {epilogue.Alpha} is not <= max {epilogue.Beta}", nameof(epilogue));
        if (!Enum.IsDefined(biasKind))
            throw new ArgumentOutOfRangeException(nameof(biasKind), biasKind, "unknown bias kind");
        int biasNeed = biasKind switch { SgemmBias.Row => m, SgemmBias.Column => n, _ => 0 };
        if (bias.Length < biasNeed || (biasKind != SgemmBias.None && bias.IsEmpty && m > 0 && n > 0))
            throw new ArgumentException($"bias holds {bias.Length} floats, a {biasKind} bias needs {biasNeed}", nameof(bias));
    }

    private static void CheckPacked(ReadOnlySpan<byte> packedB, int n, int k)
    {
        long need = PackedBSize(n, k);
        if (packedB.Length < need)
            throw new ArgumentException($"packedB holds {packedB.Length} bytes, a packed {k} x {n} B needs {need}", nameof(packedB));
    }

    private static void CheckRange(int m, int n, SgemmPartition p, int tileBegin, int tileEnd)
    {
        if (m == 0 || n == 0)
            return;
        if (p.TileM < 1 || p.TileN < 1)
            throw new ArgumentOutOfRangeException(nameof(p), p, "tile sizes must be positive (use Sgemm.Partition)");
        long count = (long)((m + (long)p.TileM - 1) / p.TileM) * ((n + (long)p.TileN - 1) / p.TileN);
        if (tileBegin < 0 || tileBegin > tileEnd || tileEnd > count)
            throw new ArgumentOutOfRangeException(nameof(tileEnd), $"tiles [{tileBegin}, {tileEnd}) are not within the {count} tiles of the partition");
    }
}

/// <summary>Tuning knobs and probes for benchmarks and tests (process-wide).</summary>
public static unsafe class SgemmTuning
{
    /// <summary>The active kernel set's register tile (MR x NR) and cache blocks (MC, NC, KC).</summary>
    public static (int Mr, int Nr, int Mc, int Nc, int Kc) Blocking
    {
        get
        {
            Native.EnsureLoaded();
            nuint mr, nr, mc, nc, kc;
            Native.Check(NativeMethods.kerno_sgemm_get_blocking(&mr, &nr, &mc, &nc, &kc), "kerno_sgemm_get_blocking");
            return ((int)mr, (int)nr, (int)mc, (int)nc, (int)kc);
        }
    }

    /// <summary>Overrides MC / NC / KC (0 = automatic) and picks the assembly kernels (variant 0) or their
    /// C / intrinsics twins (bit 0 set); bit 1 turns off the small-M (GEMV-like) path. Not thread-safe: call
    /// between GEMMs.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public static void SetBlocking(int mc = 0, int nc = 0, int kc = 0, int variant = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mc);
        ArgumentOutOfRangeException.ThrowIfNegative(nc);
        ArgumentOutOfRangeException.ThrowIfNegative(kc);
        if (variant is < 0 or > 3)
            throw new ArgumentException($"variant {variant} is not 0..3 (bit 0: C twins, bit 1: no small-M path)", nameof(variant));
        Native.EnsureLoaded();
        Native.Check(NativeMethods.kerno_sgemm_set_blocking((nuint)mc, (nuint)nc, (nuint)kc, variant), "kerno_sgemm_set_blocking");
    }

    /// <summary>Measured FP32 FMA throughput of one core with <paramref name="isa"/>'s widest vectors, in GFLOPS.</summary>
    /// <exception cref="NotSupportedException">No probe for that kernel set on this CPU.</exception>
    /// <exception cref="ArgumentException"><paramref name="seconds"/> is not in (0, 60] or <paramref name="isa"/> is unknown.</exception>
    public static double MeasureFmaPeak(KernelIsa isa, double seconds = 0.5)
    {
        if (!Enum.IsDefined(isa))
            throw new ArgumentOutOfRangeException(nameof(isa), isa, "unknown kernel set");
        if (!(seconds > 0 && seconds <= 60))
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "must be in (0, 60]");
        Native.EnsureLoaded();
        double g;
        Native.Check(NativeMethods.kerno_bench_fma_peak((int)isa, seconds, &g), "kerno_bench_fma_peak");
        return g;
    }
}
