namespace Kerno.Graph.ShapeInference;

/// <summary>Shape rules for the operators that rearrange tensors: Reshape, Flatten, Transpose, Concat, Slice, Squeeze, Unsqueeze, Gather, Shape, Size.</summary>
internal static class ShapeOpRules
{
    public static void Register(Dictionary<string, ShapeRule> table)
    {
        table["Reshape"] = ctx => [InferenceContext.Make(ctx.ElementType(0), Reshape(ctx))];
        table["Flatten"] = Flatten;
        table["Transpose"] = Transpose;
        table["Concat"] = Concat;
        table["Slice"] = Slice;
        table["Squeeze"] = Squeeze;
        table["Unsqueeze"] = Unsqueeze;
        table["Gather"] = Gather;
        table["Shape"] = ctx => [InferenceContext.Make(DataType.Int64, ShapeLength(ctx))];
        table["Size"] = _ => [InferenceContext.Make(DataType.Int64, [])];
    }

    private static IReadOnlyList<Dim>? Reshape(InferenceContext ctx)
    {
        Tensor? target = ctx.Constant(1);
        if (target is null)
            return ctx.Shape(1) is [{ IsKnown: true } n] ? Enumerable.Repeat(Dim.Unknown, (int)n.Value!.Value).ToList() : null;
        long[] spec = target.ToInt64Array();
        IReadOnlyList<Dim>? input = ctx.Shape(0);
        bool allowZero = ctx.Node.GetInt("allowzero", 0) != 0;
        var result = new Dim[spec.Length];
        int inferred = -1;
        for (int i = 0; i < spec.Length; ++i)
        {
            if (spec[i] == -1)
            {
                inferred = i;
                result[i] = Dim.Unknown;
            }
            else if (spec[i] == 0 && !allowZero)
                result[i] = input is not null && i < input.Count ? input[i] : Dim.Unknown;
            else
                result[i] = spec[i];
        }
        if (inferred >= 0 && input is not null && Dims.Product(input) is { } total && Dims.Product(result.Where((_, i) => i != inferred)) is { } rest && rest != 0)
            result[inferred] = total / rest;
        return result;
    }

    private static TypeInfo?[] Flatten(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? s = ctx.Shape(0);
        if (s is null)
            return [InferenceContext.Make(ctx.ElementType(0), null)];
        long axisAttr = ctx.Node.GetInt("axis", 1);
        int axis = (int)(axisAttr < 0 ? axisAttr + s.Count : axisAttr);
        Dim Prod(IEnumerable<Dim> d) => Dims.Product(d) is { } p ? new Dim(p) : Dim.Unknown;
        return [InferenceContext.Make(ctx.ElementType(0), [Prod(s.Take(axis)), Prod(s.Skip(axis))])];
    }

    private static TypeInfo?[] Transpose(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? s = ctx.Shape(0);
        if (s is null)
            return [InferenceContext.Make(ctx.ElementType(0), null)];
        long[] perm = ctx.Node.GetInts("perm") ?? Enumerable.Range(0, s.Count).Reverse().Select(i => (long)i).ToArray();
        return [InferenceContext.Make(ctx.ElementType(0), perm.Select(p => s[Dims.Axis(p, s.Count)]).ToList())];
    }

    private static TypeInfo?[] Concat(InferenceContext ctx)
    {
        var shapes = Enumerable.Range(0, ctx.InputCount).Where(ctx.HasInput).Select(ctx.Shape).ToList();
        DataType type = ctx.ElementType(0);
        if (shapes.Count == 0 || shapes.Any(s => s is null))
            return [InferenceContext.Make(type, shapes.FirstOrDefault(s => s is not null) is { } known ? Enumerable.Repeat(Dim.Unknown, known.Count).ToList() : null)];
        int rank = shapes[0]!.Count;
        int axis = Dims.Axis(ctx.Node.GetInt("axis"), rank);
        var result = new Dim[rank];
        for (int i = 0; i < rank; ++i)
        {
            if (i == axis)
                result[i] = shapes.All(s => s![i].IsKnown) ? new Dim(shapes.Sum(s => s![i].Value!.Value)) : Dim.Unknown;
            else
                result[i] = shapes.Select(s => s![i]).FirstOrDefault(d => d.IsKnown, shapes[0]![i]);
        }
        return [InferenceContext.Make(type, result)];
    }

    private static TypeInfo?[] Slice(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? s = ctx.Shape(0);
        DataType type = ctx.ElementType(0);
        if (s is null)
            return [InferenceContext.Make(type, null)];
        long[]? starts, ends, axes, steps;
        if (ctx.Opset < 10)
        {
            starts = ctx.Node.GetInts("starts");
            ends = ctx.Node.GetInts("ends");
            axes = ctx.Node.GetInts("axes");
            steps = null;
        }
        else
        {
            starts = ctx.Constant(1)?.ToInt64Array();
            ends = ctx.Constant(2)?.ToInt64Array();
            axes = ctx.HasInput(3) ? ctx.Constant(3)?.ToInt64Array() : null;
            steps = ctx.HasInput(4) ? ctx.Constant(4)?.ToInt64Array() : null;
            if ((ctx.HasInput(3) && axes is null) || (ctx.HasInput(4) && steps is null))
                starts = null;
        }
        var result = s.ToArray();
        if (starts is null || ends is null)
        {
            // Which axes change is unknown: only the rank survives.
            return [InferenceContext.Make(type, Enumerable.Repeat(Dim.Unknown, s.Count).ToList())];
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        for (int i = 0; i < axes.Length; ++i)
        {
            int axis = Dims.Axis(axes[i], s.Count);
            long step = steps?[i] ?? 1;
            if (!s[axis].IsKnown || step == 0)
            {
                result[axis] = Dim.Unknown;
                continue;
            }
            long dim = s[axis].Value!.Value;
            long Clamp(long v, long lo, long hi) => System.Math.Max(lo, System.Math.Min(hi, v));
            long start = starts[i] < 0 ? starts[i] + dim : starts[i];
            long end = ends[i] < 0 ? ends[i] + dim : ends[i];
            long count;
            if (step > 0)
            {
                start = Clamp(start, 0, dim);
                end = Clamp(end, 0, dim);
                count = end > start ? (end - start + step - 1) / step : 0;
            }
            else
            {
                start = Clamp(start, 0, dim - 1);
                end = Clamp(end, -1, dim - 1);
                count = start > end ? (start - end - step - 1) / -step : 0;
            }
            result[axis] = count;
        }
        return [InferenceContext.Make(type, result)];
    }

    private static long[]? Axes(InferenceContext ctx, int input) =>
        ctx.Opset >= 13 ? (ctx.HasInput(input) ? ctx.Constant(input)?.ToInt64Array() : null) : ctx.Node.GetInts("axes");

    private static TypeInfo?[] Squeeze(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? s = ctx.Shape(0);
        DataType type = ctx.ElementType(0);
        if (s is null)
            return [InferenceContext.Make(type, null)];
        long[]? axes = Axes(ctx, 1);
        if (axes is null)
        {
            if (ctx.Opset >= 13 && ctx.HasInput(1))
                return [InferenceContext.Make(type, null)];
            // No axes: every size-1 axis goes, which is knowable only when all sizes are.
            return [InferenceContext.Make(type, s.All(d => d.IsKnown) ? s.Where(d => d.Value != 1).ToList() : null)];
        }
        var drop = axes.Select(a => Dims.Axis(a, s.Count)).ToHashSet();
        return [InferenceContext.Make(type, s.Where((_, i) => !drop.Contains(i)).ToList())];
    }

    private static TypeInfo?[] Unsqueeze(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? s = ctx.Shape(0);
        DataType type = ctx.ElementType(0);
        long[]? axes = Axes(ctx, 1);
        if (s is null || axes is null)
            return [InferenceContext.Make(type, null)];
        int rank = s.Count + axes.Length;
        var inserted = axes.Select(a => Dims.Axis(a, rank)).ToHashSet();
        var result = new List<Dim>(rank);
        int k = 0;
        for (int i = 0; i < rank; ++i)
            result.Add(inserted.Contains(i) ? new Dim(1) : s[k++]);
        return [InferenceContext.Make(type, result)];
    }

    private static TypeInfo?[] Gather(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? data = ctx.Shape(0), indices = ctx.Shape(1);
        DataType type = ctx.ElementType(0);
        if (data is null || indices is null)
            return [InferenceContext.Make(type, null)];
        int axis = Dims.Axis(ctx.Node.GetInt("axis", 0), data.Count);
        return [InferenceContext.Make(type, data.Take(axis).Concat(indices).Concat(data.Skip(axis + 1)).ToList())];
    }

    private static IReadOnlyList<Dim>? ShapeLength(InferenceContext ctx)
    {
        IReadOnlyList<Dim>? s = ctx.Shape(0);
        if (s is null)
            return [Dim.Unknown];
        int rank = s.Count;
        long start = ctx.Node.GetInt("start", 0), end = ctx.Node.GetInt("end", rank);
        long Norm(long v) => System.Math.Clamp(v < 0 ? v + rank : v, 0, rank);
        return [System.Math.Max(0, Norm(end) - Norm(start))];
    }
}
