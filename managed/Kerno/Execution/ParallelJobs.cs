using System.Runtime.InteropServices;
using Kerno.Interop;

namespace Kerno.Execution;

/// <summary>
/// A (batched) SGEMM split into tiles by <c>kerno_sgemm_partition</c> and run with the <c>*_range</c> calls on the
/// session's threads. Pointer based and unchecked: the step that fills it has validated every size against the
/// tensors it took the pointers from, and keeps them pinned until <see cref="Run"/> returns.
/// </summary>
internal sealed unsafe class GemmJob : IParallelWork
{
    /// <summary>Below this many multiply-adds one thread does the whole GEMM (waking workers costs more).</summary>
    private const long ParallelThreshold = 1 << 16;

    public bool TransA;
    public bool TransB;
    public int M, N, K;
    public float Alpha = 1, Beta;
    public float* A;
    public int Lda;
    public float* B;
    public int Ldb;
    public byte* Packed;
    public nuint PackedBytes;
    public float* C;
    public int Ldc;
    public NativeMethods.kerno_sgemm_epilogue_t Epilogue;

    /// <summary>Batches: element offsets of each batch's A, B and C (null = one GEMM).</summary>
    public int Batches = 1;
    public long[] AOffsets = new long[1], BOffsets = new long[1], COffsets = new long[1];

    private nuint tileM, tileN;
    private int tiles;

    public void EnsureBatches(int count)
    {
        if (AOffsets.Length < count)
        {
            int size = Math.Max(count, AOffsets.Length * 2);
            AOffsets = new long[size];
            BOffsets = new long[size];
            COffsets = new long[size];
        }
        Batches = count;
    }

    /// <summary>Sets up one plain GEMM (no batches).</summary>
    public void Reset()
    {
        Batches = 1;
        AOffsets[0] = BOffsets[0] = COffsets[0] = 0;
        Packed = null;
        PackedBytes = 0;
        B = null;
        TransA = TransB = false;
        Alpha = 1;
        Beta = 0;
        Epilogue = default;
    }

    public void Run(KernoThreadPool pool)
    {
        if (M == 0 || N == 0 || Batches == 0)
            return;
        long work = (long)M * N * Math.Max(K, 1) * Batches;
        int threads = work < ParallelThreshold ? 1 : pool.Threads;
        if (threads == 1)
        {
            for (int b = 0; b < Batches; ++b)
                Single(b);
            return;
        }
        // With several batches per thread, whole GEMMs are the work items; otherwise split each into tiles.
        int workers = Batches >= threads ? 1 : (threads + Batches - 1) / Batches;
        nuint tm, tn, count;
        Native.Check(NativeMethods.kerno_sgemm_partition((nuint)M, (nuint)N, (nuint)K, workers, &tm, &tn, &count), "kerno_sgemm_partition");
        tileM = tm;
        tileN = tn;
        tiles = (int)count;
        pool.Run(this, tiles * Batches);
    }

    private void Single(int batch)
    {
        fixed (NativeMethods.kerno_sgemm_epilogue_t* e = &Epilogue)
        {
            float* a = A + AOffsets[batch], c = C + COffsets[batch];
            int status = Packed != null
                ? NativeMethods.kerno_sgemm_packed(TransA ? 1 : 0, (nuint)M, (nuint)N, (nuint)K, Alpha, a, (nuint)Lda, Packed, PackedBytes, Beta, c, (nuint)Ldc, (nint)e)
                : NativeMethods.kerno_sgemm(TransA ? 1 : 0, TransB ? 1 : 0, (nuint)M, (nuint)N, (nuint)K, Alpha, a, (nuint)Lda, B + BOffsets[batch], (nuint)Ldb, Beta, c, (nuint)Ldc, (nint)e);
            Native.Check(status, Packed != null ? "kerno_sgemm_packed" : "kerno_sgemm");
        }
    }

    public void Execute(int index)
    {
        int batch = index / tiles, tile = index % tiles;
        fixed (NativeMethods.kerno_sgemm_epilogue_t* e = &Epilogue)
        {
            float* a = A + AOffsets[batch], c = C + COffsets[batch];
            int status = Packed != null
                ? NativeMethods.kerno_sgemm_packed_range(TransA ? 1 : 0, (nuint)M, (nuint)N, (nuint)K, Alpha, a, (nuint)Lda, Packed, PackedBytes, Beta, c, (nuint)Ldc, (nint)e, tileM, tileN, (nuint)tile, (nuint)tile + 1)
                : NativeMethods.kerno_sgemm_range(TransA ? 1 : 0, TransB ? 1 : 0, (nuint)M, (nuint)N, (nuint)K, Alpha, a, (nuint)Lda, B + BOffsets[batch], (nuint)Ldb, Beta, c, (nuint)Ldc, (nint)e, tileM, tileN, (nuint)tile, (nuint)tile + 1);
            Native.Check(status, Packed != null ? "kerno_sgemm_packed_range" : "kerno_sgemm_range");
        }
    }

    /// <summary>Elements a rows x cols operand with row stride ld spans.</summary>
    public static long Extent(long rows, long cols, long ld) => rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
}

/// <summary>
/// A parallel loop over items with a static function and a few pointer/int arguments, so kernels can split work
/// across the pool without allocating a closure per call.
/// </summary>
internal sealed unsafe class LoopJob : IParallelWork
{
    public delegate*<LoopJob, int, void> Body;
    public float* P0, P1, P2, P3;
    public int I0, I1, I2, I3, I4, I5, I6, I7, I8, I9, I10, I11, I12, I13, I14, I15;
    public float F0, F1;
    public object? State;

    public void Run(KernoThreadPool pool, int items, bool parallel = true)
    {
        if (!parallel || pool.Threads == 1)
        {
            for (int i = 0; i < items; ++i)
                Body(this, i);
            return;
        }
        pool.Run(this, items);
    }

    public void Execute(int index) => Body(this, index);
}

/// <summary>Weights packed once at session creation for <c>kerno_sgemm_packed</c> (native, 64-byte aligned).</summary>
internal sealed unsafe class PackedMatrix : IDisposable
{
    public PackedMatrix(bool transB, int n, int k, ReadOnlySpan<float> b)
    {
        N = n;
        K = k;
        long size = Kernels.Sgemm.PackedBSize(n, k);
        Bytes = (nuint)Math.Max(size, 1);
        Data = (byte*)Interop.NativeBuffer.Alloc(Bytes);
        GC.AddMemoryPressure((long)Bytes);
        Kernels.Sgemm.PackB(transB, n, k, b, transB ? Math.Max(k, 1) : Math.Max(n, 1), new Span<byte>(Data, (int)Math.Min(size, int.MaxValue)));
    }

    public int N { get; }
    public int K { get; }
    public byte* Data { get; private set; }
    public nuint Bytes { get; }

    public void Dispose()
    {
        if (Data == null)
            return;
        Interop.NativeBuffer.Free(Data);
        Data = null;
        GC.RemoveMemoryPressure((long)Bytes);
        GC.SuppressFinalize(this);
    }

    ~PackedMatrix()
    {
        if (Data != null)
            Interop.NativeBuffer.Free(Data);
    }
}
