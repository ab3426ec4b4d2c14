using Kerno.Graph;
using Kerno.Optimizer.Passes;

namespace Kerno.Reference.Ops.Fused;

/// <summary>
/// Reference semantics of the blocked-layout operators (<see cref="BlockedOps"/>): unblock the inputs, run the
/// NCHW operator's reference kernel, block the result. Slow and obviously right, so the reference backend can run a
/// graph the layout pass rewrote and tests can compare the native steps with it.
/// </summary>
internal static class BlockedReferenceOps
{
    /// <summary>ONNX opset the NCHW operators run at (their semantics for the attributes kerno nodes carry are the same at every opset).</summary>
    private const long BaseOpset = 22;

    [OnnxOp(BlockedOps.ToBlocked, Domain = FusedOps.Domain)]
    private static Tensor ToBlocked(OpContext ctx) => Block(ctx, ctx.Input<float>(0), Block(ctx));

    [OnnxOp(BlockedOps.FromBlocked, Domain = FusedOps.Domain)]
    private static Tensor FromBlocked(OpContext ctx) => Unblock(ctx, ctx.Input<float>(0), Block(ctx), Channels(ctx));

    /// <summary>kerno.FusedConv on the unblocked input (true C = W's dim 1 x group) and residual (K = W's dim 0).</summary>
    [OnnxOp(BlockedOps.Conv, Domain = FusedOps.Domain)]
    private static Tensor Conv(OpContext ctx)
    {
        int b = Block(ctx);
        Tensor<float> w = ctx.Input<float>(1);
        if (w.Rank != 4)
            throw ctx.Fail("W must be 4-D");
        int c = checked(w.Shape[1] * (int)ctx.Node.GetInt("group", 1)), k = w.Shape[0];
        var inputs = ctx.Inputs.ToList();
        inputs[0] = Unblock(ctx, ctx.Input<float>(0), b, c);
        if (ctx.HasInput(3))
            inputs[3] = Unblock(ctx, ctx.Input<float>(3), b, k);
        Tensor y = RunNchw(ctx, "FusedConv", FusedOps.Domain, 1, inputs);
        return Block(ctx, (Tensor<float>)y, b);
    }

    /// <summary>The pool on the padded channels as they are (pools work per channel).</summary>
    [OnnxOp("BlockedMaxPool", "BlockedAveragePool", "BlockedGlobalAveragePool", "BlockedGlobalMaxPool", Domain = FusedOps.Domain)]
    private static Tensor Pool(OpContext ctx)
    {
        int b = Block(ctx);
        Tensor<float> x = ctx.Input<float>(0);
        if (x.Rank != 4)
            throw ctx.Fail("a blocked tensor is 4-D");
        string op = BlockedOps.BaseOfPool(ctx.Node.OpType) ?? throw ctx.Fail("not a blocked pool");
        Tensor y = RunNchw(ctx, op, "", BaseOpset, [Unblock(ctx, x, b, x.Shape[1])]);
        return Block(ctx, (Tensor<float>)y, b);
    }

    /// <summary>BatchNormalization on the unblocked input (C = the scale's length).</summary>
    [OnnxOp(BlockedOps.BatchNorm, Domain = FusedOps.Domain)]
    private static Tensor BatchNorm(OpContext ctx)
    {
        int b = Block(ctx);
        var inputs = ctx.Inputs.ToList();
        inputs[0] = Unblock(ctx, ctx.Input<float>(0), b, ctx.Input<float>(1).Length);
        return Block(ctx, (Tensor<float>)RunNchw(ctx, "BatchNormalization", "", BaseOpset, inputs), b);
    }

    private static int Block(OpContext ctx)
    {
        long b = ctx.Node.GetInt("block", 0);
        return b is >= 1 and <= 64 ? (int)b : throw ctx.Fail($"block must be in [1, 64], not {b}");
    }

    private static int Channels(OpContext ctx)
    {
        long c = ctx.Node.GetInt("channels", -1);
        return c is >= 0 and <= int.MaxValue ? (int)c : throw ctx.Fail($"channels must be >= 0, not {c}");
    }

    /// <summary>NCHW [N, C, H, W] to blocked [N, Cp, H, W] (bytes [N][Cp/b][H][W][b]), zeros past C.</summary>
    public static Tensor<float> Block(OpContext ctx, Tensor<float> x, int b)
    {
        if (x.Rank != 4)
            throw ctx.Fail($"only 4-D tensors are blocked, not {Tensor.FormatShape(x.Dims)}");
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3], cp = checked((int)BlockedOps.RoundUp(c, b));
        var y = new Tensor<float>([n, cp, x.Shape[2], x.Shape[3]]);
        ReadOnlySpan<float> xs = x.Span;
        Span<float> ys = y.Span;
        for (int i = 0; i < n; ++i)
            for (int ch = 0; ch < c; ++ch)
                for (int p = 0; p < hw; ++p)
                    ys[(((i * cp / b) + ch / b) * hw + p) * b + ch % b] = xs[(i * c + ch) * hw + p];
        return y;
    }

    /// <summary>Blocked [N, Cp, H, W] back to NCHW [N, <paramref name="c"/>, H, W] (Cp must be C rounded up to b).</summary>
    public static Tensor<float> Unblock(OpContext ctx, Tensor<float> x, int b, int c)
    {
        if (x.Rank != 4 || x.Shape[1] != BlockedOps.RoundUp(c, b))
            throw ctx.Fail($"a blocked tensor of {c} channels in blocks of {b} has shape [N, {BlockedOps.RoundUp(c, b)}, H, W], not {Tensor.FormatShape(x.Dims)}");
        int n = x.Shape[0], cp = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        var y = new Tensor<float>([n, c, x.Shape[2], x.Shape[3]]);
        ReadOnlySpan<float> xs = x.Span;
        Span<float> ys = y.Span;
        for (int i = 0; i < n; ++i)
            for (int ch = 0; ch < c; ++ch)
                for (int p = 0; p < hw; ++p)
                    ys[(i * c + ch) * hw + p] = xs[(((i * cp / b) + ch / b) * hw + p) * b + ch % b];
        return y;
    }

    /// <summary>Runs <paramref name="opType"/>'s reference kernel with this node's attributes but <c>block</c>.</summary>
    private static Tensor RunNchw(OpContext ctx, string opType, string domain, long opset, IReadOnlyList<Value?> inputs)
    {
        var attributes = ctx.Node.Attributes.Values.Where(a => a.Name != "block");
        var node = new Node(ctx.Node.Name, opType, domain, ctx.Node.Inputs, ctx.Node.Outputs.Take(1), attributes) { Index = ctx.Node.Index };
        ReferenceKernel kernel = ReferenceOps.Find(domain, opType, opset) ?? throw ctx.Fail($"the reference {opType} kernel is missing");
        return kernel(new OpContext(node, opset, inputs, ctx.Subgraphs))[0] as Tensor ?? throw ctx.Fail($"{opType} produced no tensor");
    }
}
