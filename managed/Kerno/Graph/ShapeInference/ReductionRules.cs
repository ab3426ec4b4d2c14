namespace Kerno.Graph.ShapeInference;

/// <summary>Shape rules for ReduceX and ArgMax/ArgMin: reduced axes become 1 (keepdims) or disappear.</summary>
internal static class ReductionRules
{
    private static readonly string[] Reductions = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
        "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"];

    public static void Register(Dictionary<string, ShapeRule> table)
    {
        foreach (string op in Reductions)
            table[op] = Reduce;
        table["ArgMax"] = Arg;
        table["ArgMin"] = Arg;
    }

    private static TypeInfo?[] Reduce(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? s = ctx.Shape(0);
        DataType type = ctx.ElementType(0);
        // ReduceSum moved axes to an input at opset 13, the others at opset 18.
        bool axesAsInput = ctx.Node.OpType == "ReduceSum" ? ctx.Opset >= 13 : ctx.Opset >= 18;
        long[]? axes = axesAsInput ? (ctx.HasInput(1) ? ctx.Constant(1)?.ToInt64Array() : []) : ctx.Node.GetInts("axes") ?? [];
        if (s is null || axes is null)
            return [InferenceContext.Make(type, null)];
        bool keep = ctx.Node.GetInt("keepdims", 1) != 0;
        if (axes.Length == 0)
        {
            if (axesAsInput && ctx.Node.GetInt("noop_with_empty_axes", 0) != 0)
                return [ctx.Type(0)];
            axes = Enumerable.Range(0, s.Count).Select(i => (long)i).ToArray();
        }
        var reduced = axes.Select(a => Dims.Axis(a, s.Count)).ToHashSet();
        var result = new List<Dim>();
        for (int i = 0; i < s.Count; ++i)
        {
            if (!reduced.Contains(i))
                result.Add(s[i]);
            else if (keep)
                result.Add(1);
        }
        return [InferenceContext.Make(type, result)];
    }

    private static TypeInfo?[] Arg(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? s = ctx.Shape(0);
        if (s is null)
            return [InferenceContext.Make(DataType.Int64, null)];
        int axis = Dims.Axis(ctx.Node.GetInt("axis", 0), s.Count);
        bool keep = ctx.Node.GetInt("keepdims", 1) != 0;
        var result = s.ToList();
        if (keep)
            result[axis] = 1;
        else
            result.RemoveAt(axis);
        return [InferenceContext.Make(DataType.Int64, result)];
    }
}
