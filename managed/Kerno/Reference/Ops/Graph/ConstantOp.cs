using Kerno.Graph;

namespace Kerno.Reference.Ops.GraphOps;

/// <summary>Constant: a tensor from exactly one of the value attributes.</summary>
internal static class ConstantOp
{
    [OnnxOp("Constant")]
    public static Tensor Constant(OpContext ctx)
    {
        AttributeValue[] set = ctx.Node.Attributes.Values.Where(a => a.Name is "value" or "sparse_value" or "value_float"
            or "value_floats" or "value_int" or "value_ints" or "value_string" or "value_strings").ToArray();
        if (set.Length != 1)
            throw ctx.Fail($"needs exactly one value attribute, got {(set.Length == 0 ? "none" : string.Join(", ", set.Select(a => a.Name)))}");
        AttributeValue a = set[0];
        return a.Name switch
        {
            // Sparse values were densified when the model was loaded.
            "value" or "sparse_value" => a.Tensor ?? throw ctx.Fail($"attribute '{a.Name}' should be a tensor, got {a.Kind}"),
            "value_float" => Tensor.Scalar(Expect(ctx, a, AttributeKind.Float).Float),
            "value_floats" => Tensor.Vector(Expect(ctx, a, AttributeKind.Floats).Floats!),
            "value_int" => Tensor.Scalar(Expect(ctx, a, AttributeKind.Int).Int),
            "value_ints" => Tensor.Vector(Expect(ctx, a, AttributeKind.Ints).Ints!),
            "value_string" => Tensor.Scalar(Expect(ctx, a, AttributeKind.String).String ?? ""),
            _ => Tensor.Vector(Expect(ctx, a, AttributeKind.Strings).Strings!),
        };
    }

    private static AttributeValue Expect(OpContext ctx, AttributeValue a, AttributeKind kind) =>
        a.Kind == kind ? a : throw ctx.Fail($"attribute '{a.Name}' should be {kind}, got {a.Kind}");
}
