using System.Runtime.CompilerServices;
using Kerno.Execution;
using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// Transpose of float tensors (rank &lt;= 6) as a strided gather over the output. Axes of size 1 are dropped and
/// runs of axes that stay adjacent are merged first, so a channel shuffle ([1, g, c, H, W] -> [1, c, g, H, W])
/// becomes a 3-D transpose whose rows are whole H*W planes, copied as blocks; large ones are split across the pool.
/// </summary>
internal sealed unsafe class TransposeStep : KernelStep
{
    private const int MaxRank = 6;

    public TransposeStep(Node node, long opset, ReferenceKernel reference) : base(node, opset, reference) { }

    public override string KernelName => "transpose";

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> x || x.Rank is 0 or > MaxRank || x.Length == 0)
        {
            RunReference(context);
            return;
        }
        int rank = x.Rank;
        long[]? permAttr = Node.GetInts("perm");
        // A malformed perm (wrong length, out of range, repeated) is the reference kernel's to report.
        if (permAttr is not null && permAttr.Length != rank)
        {
            RunReference(context);
            return;
        }
        Span<int> perm = stackalloc int[rank];
        Span<bool> seen = stackalloc bool[rank];
        for (int d = 0; d < rank; ++d)
        {
            long p = permAttr is null ? rank - 1 - d : permAttr[d];
            if (p < 0 || p >= rank || seen[(int)p])
            {
                RunReference(context);
                return;
            }
            seen[(int)p] = true;
            perm[d] = (int)p;
        }
        Span<int> shape = stackalloc int[rank];
        Span<int> inStride = stackalloc int[rank];
        int s = 1;
        for (int d = rank - 1; d >= 0; --d)
        {
            inStride[d] = s;
            s *= x.Shape[d];
        }
        for (int d = 0; d < rank; ++d)
            shape[d] = x.Shape[perm[d]];
        Tensor<float> y = context.Output(Outputs[0], shape);
        if (y.Length != x.Length)
            throw Fail("size mismatch");

        // Merged output axes: sizes and the input stride of each (an axis continuing the previous one in the
        // input, i.e. perm[d] == perm[d-1] + 1, extends it).
        LoopJob job = context.Loop;
        int m = 0, prev = -2;
        Span<int> dims = stackalloc int[rank], strides = stackalloc int[rank];
        for (int d = 0; d < rank; ++d)
        {
            if (shape[d] == 1)
                continue;
            if (m > 0 && perm[d] == prev + 1)
            {
                dims[m - 1] *= shape[d];
                strides[m - 1] = inStride[perm[d]];
            }
            else
            {
                dims[m] = shape[d];
                strides[m] = inStride[perm[d]];
                ++m;
            }
            prev = perm[d];
        }
        if (m == 0)
        {
            dims[0] = 1;
            strides[0] = 1;
            m = 1;
        }
        (job.I0, job.I1, job.I2, job.I3, job.I4, job.I5, job.I6) = (m, dims[0], m > 1 ? dims[1] : 1, m > 2 ? dims[2] : 1, m > 3 ? dims[3] : 1, m > 4 ? dims[4] : 1, m > 5 ? dims[5] : 1);
        (job.I7, job.I8, job.I9, job.I10, job.I11, job.I12) = (strides[0], m > 1 ? strides[1] : 0, m > 2 ? strides[2] : 0, m > 3 ? strides[3] : 0, m > 4 ? strides[4] : 0, m > 5 ? strides[5] : 0);
        int rows = x.Length / dims[m - 1];
        int chunks = ManagedKernels.Chunks(context, x.Length);
        job.I13 = rows;
        job.I14 = Math.Min(chunks, rows);
        fixed (float* px = x.Span, py = y.Span)
        {
            job.P0 = px;
            job.P1 = py;
            job.Body = &Rows;
            job.Run(context.Pool, job.I14, job.I14 > 1);
        }
        context.Slots[Outputs[0]] = y;
    }

    /// <summary>Output rows [chunk * rows / chunks, (chunk + 1) * rows / chunks) of the merged transpose.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows(LoopJob j, int chunk)
    {
        int m = j.I0, rows = j.I13, chunks = j.I14;
        Span<int> dims = [j.I1, j.I2, j.I3, j.I4, j.I5, j.I6];
        Span<int> strides = [j.I7, j.I8, j.I9, j.I10, j.I11, j.I12];
        int r0 = (int)((long)rows * chunk / chunks), r1 = (int)((long)rows * (chunk + 1) / chunks);
        int last = dims[m - 1], lastStride = strides[m - 1];
        // the output index of row r0, last axis excluded
        Span<int> index = stackalloc int[MaxRank];
        index.Clear();
        for (int d = m - 2, r = r0; d >= 0; --d)
        {
            index[d] = r % dims[d];
            r /= dims[d];
        }
        float* dst = j.P1 + (long)r0 * last;
        for (int r = r0; r < r1; ++r)
        {
            long src = 0;
            for (int d = 0; d < m - 1; ++d)
                src += (long)index[d] * strides[d];
            float* p = j.P0 + src;
            if (lastStride == 1)
                Buffer.MemoryCopy(p, dst, last * sizeof(float), last * sizeof(float));
            else
                for (int i = 0; i < last; ++i)
                    dst[i] = p[(long)i * lastStride];
            dst += last;
            for (int d = m - 2; d >= 0; --d)
            {
                if (++index[d] < dims[d])
                    break;
                index[d] = 0;
            }
        }
    }
}
