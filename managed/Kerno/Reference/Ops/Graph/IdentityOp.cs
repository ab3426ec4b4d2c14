namespace Kerno.Reference.Ops.GraphOps;

/// <summary>Identity: passes any value (tensor, sequence, optional) through unchanged.</summary>
internal static class IdentityOp
{
    // Values are immutable once produced, so sharing the input object is safe and saves a copy.
    [OnnxOp("Identity")]
    public static Value?[] Identity(OpContext ctx) =>
        [ctx.Inputs.Count > 0 ? ctx.Inputs[0] ?? throw ctx.Fail("input 0 is required but missing") : throw ctx.Fail("input 0 is required but missing")];
}
