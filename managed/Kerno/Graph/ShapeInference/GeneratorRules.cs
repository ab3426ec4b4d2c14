namespace Kerno.Graph.ShapeInference;

/// <summary>Shape rules for operators whose output size comes from an input's value: ConstantOfShape, Range, Expand, Tile.</summary>
internal static class GeneratorRules
{
    public static void Register(Dictionary<string, ShapeRule> table)
    {
        table["ConstantOfShape"] = ctx =>
        {
            DataType type = ctx.Node.GetTensor("value")?.DataType ?? DataType.Float;
            Tensor? shape = ctx.Constant(0);
            return [InferenceContext.Make(type, shape is not null ? Dims.Known(shape.ToInt64Array())
                : ctx.Shape(0) is [{ IsKnown: true } n] ? Enumerable.Repeat(Dim.Unknown, (int)n.Value!.Value).ToList() : null)];
        };
        table["Range"] = ctx =>
        {
            Tensor? start = ctx.Constant(0), limit = ctx.Constant(1), delta = ctx.Constant(2);
            if (start is null || limit is null || delta is null)
                return [InferenceContext.Make(ctx.ElementType(0), [Dim.Unknown])];
            double s = start.ToDoubleArray()[0], l = limit.ToDoubleArray()[0], d = delta.ToDoubleArray()[0];
            long count = d == 0 ? 0 : (long)System.Math.Max(0, System.Math.Ceiling((l - s) / d));
            return [InferenceContext.Make(ctx.ElementType(0), [count])];
        };
        table["Expand"] = ctx =>
        {
            Tensor? shape = ctx.Constant(1);
            IReadOnlyList<Dim>? target = shape is not null ? Dims.Known(shape.ToInt64Array()) : null;
            return [InferenceContext.Make(ctx.ElementType(0), target is null ? null : Dims.Broadcast([ctx.Shape(0), target]))];
        };
        table["Tile"] = ctx =>
        {
            IReadOnlyList<Dim>? s = ctx.Shape(0);
            long[]? repeats = ctx.Constant(1)?.ToInt64Array();
            if (s is null)
                return [InferenceContext.Make(ctx.ElementType(0), null)];
            if (repeats is null || repeats.Length != s.Count)
                return [InferenceContext.Make(ctx.ElementType(0), Enumerable.Repeat(Dim.Unknown, s.Count).ToList())];
            return [InferenceContext.Make(ctx.ElementType(0), s.Select((d, i) => d.IsKnown ? new Dim(d.Value!.Value * repeats[i]) : Dim.Unknown).ToList())];
        };
    }
}
