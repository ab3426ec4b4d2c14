using System.Runtime.CompilerServices;
using Kerno.Execution;
using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// Slice of a float tensor with constant starts/ends/axes/steps (attributes before opset 10, constant inputs
/// after): a strided copy. Trailing axes the slice keeps whole are merged into contiguous blocks, so slicing a
/// [1, 4420, 4] box tensor to [1, 4420, 2] is one short copy per row. Anything unusual (rank above 6, bad
/// axes, a zero step) goes to the reference kernel, which reports it.
/// </summary>
internal sealed unsafe class SliceStep : KernelStep
{
    private const int MaxRank = 6;
    private readonly long[] starts, ends, axes, steps;

    public SliceStep(Node node, long opset, ReferenceKernel reference, long[] starts, long[] ends, long[]? axes, long[]? steps)
        : base(node, opset, reference)
    {
        this.starts = starts;
        this.ends = ends;
        this.axes = axes ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        this.steps = steps ?? Enumerable.Repeat(1L, starts.Length).ToArray();
    }

    public override string KernelName => "slice";

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> x || x.Rank is 0 or > MaxRank || starts.Length > x.Rank
            || ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
        {
            RunReference(context);
            return;
        }
        int rank = x.Rank;
        Span<long> first = stackalloc long[rank], step = stackalloc long[rank], stride = stackalloc long[rank];
        Span<int> shape = stackalloc int[rank];
        Span<bool> seen = stackalloc bool[rank];
        x.Shape.CopyTo(shape);
        step.Fill(1);
        first.Clear();
        for (int i = 0; i < axes.Length; ++i)
        {
            long a = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (a < 0 || a >= rank || seen[(int)a] || steps[i] == 0)
            {
                RunReference(context);
                return;
            }
            seen[(int)a] = true;
            long dim = x.Shape[(int)a], s = steps[i], start = starts[i], end = ends[i];
            // numpy semantics, as the reference: negative indices count from the end, then clamp
            if (start < 0) start += dim;
            if (end < 0) end += dim;
            if (s > 0)
            {
                start = Math.Clamp(start, 0, dim);
                end = Math.Clamp(end, 0, dim);
            }
            else
            {
                start = Math.Clamp(start, 0, dim - 1);
                end = Math.Clamp(end, -1, dim - 1);
            }
            long count = s > 0 ? (end - start + s - 1) / s : (start - end - s - 1) / -s;
            first[(int)a] = start;
            step[(int)a] = s;
            shape[(int)a] = (int)Math.Max(0, count);
        }
        Tensor<float> y = context.Output(Outputs[0], shape);
        long total = 1;
        for (int d = rank - 1; d >= 0; --d)
        {
            stride[d] = total;
            total *= x.Shape[d];
        }
        if (total != x.Length || y.Length != Tensor.ElementCount(shape))
            throw Fail("size mismatch");
        if (y.Length > 0)
            fixed (float* px = x.Span, py = y.Span)
                Copy(px, py, x.Shape, shape, first, step, stride);
        context.Slots[Outputs[0]] = y;
    }

    /// <summary>y = x[first + i * step] over the output shape (every index already inside x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Copy(float* x, float* y, ReadOnlySpan<int> dims, ReadOnlySpan<int> shape, ReadOnlySpan<long> first, ReadOnlySpan<long> step, ReadOnlySpan<long> stride)
    {
        int rank = shape.Length;
        // Trailing axes kept whole are one contiguous block per element of the last sliced axis r.
        long inner = 1;
        int r = rank - 1;
        while (r >= 0 && first[r] == 0 && step[r] == 1 && shape[r] == dims[r])
            inner *= shape[r--];
        if (r < 0)
        {
            new ReadOnlySpan<float>(x, (int)inner).CopyTo(new Span<float>(y, (int)inner));
            return;
        }
        int count = shape[r];
        long rStride = step[r] * stride[r];
        // a unit-step sliced axis is contiguous too: one block per outer index
        long block = step[r] == 1 ? count * inner : inner;
        int blocksPerRow = step[r] == 1 ? 1 : count;
        Span<int> index = stackalloc int[Math.Max(r, 1)];
        index.Clear();
        long rows = 1;
        for (int d = 0; d < r; ++d)
            rows *= shape[d];
        float* dst = y;
        // source offset of the current row, updated as the outer index advances (many short rows: UltraFace)
        long rowSrc = first[r] * stride[r];
        for (int d = 0; d < r; ++d)
            rowSrc += first[d] * stride[d];
        for (long row = 0; row < rows; ++row)
        {
            long src = rowSrc;
            for (int b = 0; b < blocksPerRow; ++b, src += rStride, dst += block)
            {
                float* s = x + src;
                if (block <= 8)
                    for (int i = 0; i < block; ++i)
                        dst[i] = s[i];
                else
                    Buffer.MemoryCopy(s, dst, block * sizeof(float), block * sizeof(float));
            }
            for (int d = r - 1; d >= 0; --d)
            {
                rowSrc += step[d] * stride[d];
                if (++index[d] < shape[d])
                    break;
                rowSrc -= shape[d] * step[d] * stride[d];
                index[d] = 0;
            }
        }
    }
}
