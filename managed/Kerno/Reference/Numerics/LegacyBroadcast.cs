namespace Kerno.Reference.Numerics;

/// <summary>
/// The broadcasting of binary ops before opset 7: with <c>broadcast=1</c> the second input B is broadcast onto the
/// first, its dimensions lined up with A's starting at <c>axis</c> (trailing when no axis is given, as numpy does).
/// </summary>
internal static class LegacyBroadcast
{
    /// <summary>B reshaped so that numpy broadcasting gives the legacy result (B itself from opset 7 on).</summary>
    public static Tensor Align(OpContext ctx, Tensor a, Tensor b)
    {
        if (ctx.Opset >= 7 || ctx.Node.GetInt("broadcast", 0) == 0 || !ctx.Node.Has("axis") || b.Length == 1)
            return b;
        long axis = ctx.Node.GetInt("axis");
        if (axis < 0)
            axis += a.Rank;
        if (axis < 0 || axis + b.Rank > a.Rank)
            throw ctx.Fail($"axis {ctx.Node.GetInt("axis")} cannot line up shape {Tensor.FormatShape(b.Shape)} with {Tensor.FormatShape(a.Shape)}");
        var shape = new int[a.Rank - axis];
        Array.Fill(shape, 1);
        b.Shape.CopyTo(shape);
        return b.Reshape(shape);
    }
}
