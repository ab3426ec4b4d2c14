using Kerno.Execution;
using Kerno.Graph;
using Kerno.Optimizer.Passes;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// kerno.ReorderToBlocked / kerno.ReorderFromBlocked on libkerno's <c>kerno_reorder_*</c>: NCHW [N, C, H, W] &lt;-&gt;
/// blocked [N, Cp, H, W] (bytes NCHWc). The (image, channel block) pairs are split into runs of whole blocks, one
/// reorder call each, across the threads when the tensor is large enough to pay for it.
/// </summary>
internal sealed unsafe class ReorderStep : KernelStep
{
    private readonly bool toBlocked;
    private readonly int block;
    private readonly int channels; // C of the NCHW side (ReorderFromBlocked only; ReorderToBlocked reads it off its input)

    public ReorderStep(Node node, long opset, ReferenceKernel reference, bool toBlocked) : base(node, opset, reference)
    {
        this.toBlocked = toBlocked;
        block = (int)node.GetInt("block");
        long c = toBlocked ? 0 : node.GetInt("channels", -1);
        channels = c is >= 0 and <= int.MaxValue ? (int)c : -1;
    }

    public override string KernelName => toBlocked ? $"reorder-to-nchwc{block}" : $"reorder-from-nchwc{block}";

    public override void Execute(RunContext context)
    {
        if (context.Slots[Inputs[0]] is not Tensor<float> { Rank: 4 } x || x.Length == 0 || block != Kernels.NnKernels.NchwcBlock)
        {
            RunReference(context);
            return;
        }
        int n = x.Shape[0], h = x.Shape[2], w = x.Shape[3];
        int c = toBlocked ? x.Shape[1] : channels;
        long cp = BlockedOps.RoundUp(c, block);
        if (c <= 0 || (!toBlocked && x.Shape[1] != cp))
        {
            RunReference(context); // the reference kernel reports the mismatch
            return;
        }
        Tensor<float> y = context.Output(Outputs[0], [n, toBlocked ? (int)cp : c, h, w]);
        int blocks = (int)(cp / block), hw = h * w;
        if (x.Length != (toBlocked ? (long)n * c * hw : n * cp * hw) || y.Length != (toBlocked ? n * cp * hw : (long)n * c * hw))
            throw Fail("size mismatch");
        fixed (float* px = x.Span, py = y.Span)
        {
            LoopJob job = context.Loop;
            job.P0 = px;
            job.P1 = py;
            (job.I0, job.I1, job.I2, job.I3, job.I4) = (n, c, blocks, hw, toBlocked ? 1 : 0);
            long units = (long)n * blocks;
            bool parallel = y.Length >= 1 << 16 && context.Pool.Threads > 1;
            int chunks = parallel ? (int)Math.Min(units, context.Pool.Threads * 2) : 1;
            job.I5 = chunks;
            job.Body = &Chunk;
            job.Run(context.Pool, chunks, parallel);
        }
        context.Slots[Outputs[0]] = y;
    }

    /// <summary>Units [u0, u1) of the n x blocks (image, block) pairs, one reorder call per image they touch.</summary>
    private static void Chunk(LoopJob j, int chunk)
    {
        int n = j.I0, c = j.I1, blocks = j.I2, hw = j.I3, chunks = j.I5;
        long units = (long)n * blocks;
        long u0 = units * chunk / chunks, u1 = units * (chunk + 1) / chunks;
        int b = Kernels.NnKernels.NchwcBlock;
        for (long u = u0; u < u1;)
        {
            int image = (int)(u / blocks), b0 = (int)(u % blocks);
            int b1 = (int)Math.Min(blocks, b0 + (u1 - u));
            int c0 = b0 * b, cc = Math.Min(c, b1 * b) - c0;
            long plain = ((long)image * c + c0) * hw, blockedAt = ((long)image * blocks + b0) * b * hw;
            var nchw = new Span<float>((j.I4 != 0 ? j.P0 : j.P1) + plain, cc * hw);
            var nchwc = new Span<float>((j.I4 != 0 ? j.P1 : j.P0) + blockedAt, (b1 - b0) * b * hw);
            if (j.I4 != 0)
                Kernels.NnKernels.ReorderToNchwc(nchw, nchwc, 1, cc, 1, hw);
            else
                Kernels.NnKernels.ReorderToNchw(nchwc, nchw, 1, cc, 1, hw);
            u += b1 - b0;
        }
    }
}
