using Kerno.Graph;

namespace Kerno.Reference.Ops.GraphOps;

/// <summary>Optional, OptionalHasElement, OptionalGetElement.</summary>
internal static class OptionalOps
{
    [OnnxOp("Optional")]
    public static Value Optional(OpContext ctx)
    {
        TypeInfo? type = ctx.Node.Attribute("type")?.Type;
        if (ctx.HasInput(0))
            return ctx.Inputs[0] is OptionalValue ? throw ctx.Fail("an optional cannot hold an optional") : new OptionalValue(ctx.Inputs[0], type);
        if (type is null)
            throw ctx.Fail("an empty optional needs the 'type' attribute");
        return new OptionalValue(null, type);
    }

    // Since opset 18 these also accept a plain tensor or sequence (a present value) and an omitted input (absent).
    [OnnxOp("OptionalHasElement")]
    public static Value OptionalHasElement(OpContext ctx) =>
        Tensor.Scalar(ctx.HasInput(0) && (ctx.Inputs[0] is not OptionalValue o || o.HasValue));

    [OnnxOp("OptionalGetElement")]
    public static Value OptionalGetElement(OpContext ctx)
    {
        Value v = ctx.HasInput(0) ? ctx.Inputs[0]! : throw ctx.Fail("input 0 is required but missing");
        if (v is OptionalValue o)
            return o.Content ?? throw ctx.Fail("the optional is empty");
        return v;
    }
}
