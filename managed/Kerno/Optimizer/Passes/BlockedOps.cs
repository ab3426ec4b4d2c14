using Kerno.Graph;

namespace Kerno.Optimizer.Passes;

/// <summary>
/// Kerno's blocked-layout operators (domain "kerno"), which <see cref="AssignBlockedLayout"/> inserts. A blocked
/// value of a 4-D NCHW tensor [N, C, H, W] is a tensor of logical shape [N, Cp, H, W], Cp = C rounded up to the
/// block b, whose bytes are NCHWc: [N][Cp/b][H][W][b]. The Cp - C channels past C hold finite values, not
/// necessarily zeros (a blocked conv writes act(0 + residual's padding) there; pools and element-wise ops map finite
/// padding to finite padding); they are never read as data: a blocked conv's weights for them are zero (and
/// 0 * finite = 0, which is why they must be finite), and <see cref="FromBlocked"/> drops them.
/// <list type="bullet">
/// <item><c>ReorderToBlocked(X)</c>, attribute <c>block</c>: NCHW [N, C, H, W] to blocked [N, Cp, H, W], zero padding.</item>
/// <item><c>ReorderFromBlocked(X)</c>, attributes <c>block</c>, <c>channels</c> (C): back to NCHW [N, C, H, W].</item>
/// <item><c>BlockedConv(X, W, B, Z)</c>: kerno.FusedConv's inputs and attributes plus <c>block</c>; X, Z and the
/// output blocked, W and B as in ONNX (the true C = W's dim 1 x group, K = W's dim 0).</item>
/// <item><c>BlockedMaxPool</c>, <c>BlockedAveragePool</c>, <c>BlockedGlobalAveragePool</c>, <c>BlockedGlobalMaxPool</c>:
/// the ONNX pool's attributes plus <c>block</c>, on the blocked shape (pools are per channel, so the padding channels
/// are pooled like the others). A global pool's blocked [N, Cp, 1, 1] output is already in NCHW order.</item>
/// <item><c>BlockedBatchNormalization(X, scale, B, mean, var)</c>: inference BatchNormalization's inputs (C values each)
/// and attributes plus <c>block</c>.</item>
/// </list>
/// Element-wise ops of same-shape blocked values and Concat on axis 1 of blocked values whose C are multiples of b need
/// no op of their own: on the flat data they compute the same thing in either layout.
/// </summary>
public static class BlockedOps
{
    /// <summary>NCHW to blocked.</summary>
    public const string ToBlocked = "ReorderToBlocked";

    /// <summary>Blocked to NCHW.</summary>
    public const string FromBlocked = "ReorderFromBlocked";

    /// <summary>Convolution on blocked tensors.</summary>
    public const string Conv = "BlockedConv";

    /// <summary>Inference BatchNormalization on a blocked input.</summary>
    public const string BatchNorm = "BlockedBatchNormalization";

    /// <summary>Prefix of the blocked pools' names.</summary>
    public const string Prefix = "Blocked";

    /// <summary>The blocked op for an ONNX pool, or null.</summary>
    public static string? PoolOp(string onnxOp) =>
        onnxOp is "MaxPool" or "AveragePool" or "GlobalAveragePool" or "GlobalMaxPool" ? Prefix + onnxOp : null;

    /// <summary>The ONNX op a blocked pool computes (BlockedMaxPool -> MaxPool), or null for other ops.</summary>
    public static string? BaseOfPool(string blockedOp) =>
        blockedOp.StartsWith(Prefix, StringComparison.Ordinal) && PoolOp(blockedOp[Prefix.Length..]) is not null ? blockedOp[Prefix.Length..] : null;

    /// <summary>True for a node of one of these ops.</summary>
    public static bool Is(Node n) => n.Domain == FusedOps.Domain && (n.OpType is ToBlocked or FromBlocked or Conv or BatchNorm || BaseOfPool(n.OpType) is not null);

    /// <summary>C rounded up to a multiple of <paramref name="block"/>.</summary>
    public static long RoundUp(long c, long block) => (c + block - 1) / block * block;

    /// <summary>Shape inference of every blocked op: the blocked type of a rank-4 NCHW type is the same type with its
    /// channel dimension rounded up to the block (other dimensions, symbolic or not, unchanged).</summary>
    public static TensorTypeInfo BlockedType(TensorTypeInfo nchw, int block)
    {
        if (nchw.Shape is not { Count: 4 } s || s[1].Value is not long c)
            throw new ArgumentException($"a blocked value needs a rank-4 type with known channels, not {nchw}", nameof(nchw));
        return nchw with { Shape = [s[0], RoundUp(c, block), s[2], s[3]] };
    }

    internal static AttributeValue Int(string name, long value) => new() { Name = name, Kind = AttributeKind.Int, Int = value };
}
