using Kerno.Graph;

namespace Kerno.Reference.Ops.GraphOps;

/// <summary>The sequence operators. Sequences are immutable values: every "modifying" op returns a new one.</summary>
internal static class SequenceOps
{
    private static TensorSequence Seq(OpContext ctx, int i) =>
        ctx.HasInput(i) ? ctx.Inputs[i] as TensorSequence ?? throw ctx.Fail($"input {i} should be a sequence, got {ctx.Inputs[i]!.GetType().Name}")
            : throw ctx.Fail($"input {i} is required but missing");

    private static TensorSequence Make(OpContext ctx, DataType type, IEnumerable<Tensor> items)
    {
        try
        {
            return new TensorSequence(type, items);
        }
        catch (ArgumentException e)
        {
            throw ctx.Fail(e.Message);
        }
    }

    /// <summary>A position input (scalar int32/int64, negative counts from the end) checked against [-n, n + extra).</summary>
    private static int Position(OpContext ctx, int input, int count, int fallback, bool allowEnd)
    {
        if (!ctx.HasInput(input))
            return fallback;
        Tensor p = ctx.Input(input);
        if (p.Length != 1 || p.DataType is not (DataType.Int32 or DataType.Int64))
            throw ctx.Fail($"position must be an int32 or int64 scalar, got {p}");
        long pos = p.ToInt64Array()[0];
        long upper = allowEnd ? count : count - 1;
        if (pos < -count || pos > upper)
            throw ctx.Fail($"position {pos} is out of range for a sequence of {count}");
        return (int)(pos < 0 ? pos + count : pos);
    }

    [OnnxOp("SequenceEmpty")]
    public static Value SequenceEmpty(OpContext ctx) =>
        Make(ctx, (DataType)ctx.Node.GetInt("dtype", (long)DataType.Float), []);

    [OnnxOp("SequenceConstruct")]
    public static Value SequenceConstruct(OpContext ctx)
    {
        var items = Enumerable.Range(0, ctx.Inputs.Count).Select(ctx.Input).ToList();
        if (items.Count == 0)
            throw ctx.Fail("needs at least one input");
        return Make(ctx, items[0].DataType, items);
    }

    [OnnxOp("SequenceAt")]
    public static Value SequenceAt(OpContext ctx)
    {
        TensorSequence s = Seq(ctx, 0);
        return s.Items[Position(ctx, 1, s.Items.Count, 0, allowEnd: false)];
    }

    [OnnxOp("SequenceInsert")]
    public static Value SequenceInsert(OpContext ctx)
    {
        TensorSequence s = Seq(ctx, 0);
        Tensor t = ctx.Input(1);
        int pos = Position(ctx, 2, s.Items.Count, s.Items.Count, allowEnd: true);
        var items = s.Items.ToList();
        items.Insert(pos, t);
        return Make(ctx, s.ElementType, items);
    }

    [OnnxOp("SequenceErase")]
    public static Value SequenceErase(OpContext ctx)
    {
        TensorSequence s = Seq(ctx, 0);
        if (s.Items.Count == 0)
            throw ctx.Fail("cannot erase from an empty sequence");
        int pos = Position(ctx, 1, s.Items.Count, s.Items.Count - 1, allowEnd: false);
        var items = s.Items.ToList();
        items.RemoveAt(pos);
        return Make(ctx, s.ElementType, items);
    }

    [OnnxOp("SequenceLength")]
    public static Value SequenceLength(OpContext ctx) => Tensor.Scalar((long)Seq(ctx, 0).Items.Count);

    [OnnxOp("SplitToSequence")]
    public static Value SplitToSequence(OpContext ctx)
    {
        Tensor input = ctx.Input(0);
        int axis = AxisCopy.Axis(ctx, ctx.Node.GetInt("axis", 0), input.Rank);
        int dim = input.Shape[axis];
        var items = new List<Tensor>();
        if (!ctx.HasInput(1))
        {
            bool keep = ctx.Node.GetInt("keepdims", 1) != 0;
            for (int i = 0; i < dim; ++i)
                items.Add(AxisCopy.Slice(input, axis, i, 1, keep));
            return Make(ctx, input.DataType, items);
        }
        Tensor split = ctx.Input(1);
        long[] sizes = split.ToInt64Array();
        if (split.Rank == 0)
        {
            long chunk = sizes[0];
            if (chunk <= 0)
                throw ctx.Fail($"split size {chunk} must be positive");
            sizes = Enumerable.Range(0, (int)((dim + chunk - 1) / chunk)).Select(i => System.Math.Min(chunk, dim - i * chunk)).ToArray();
        }
        if (sizes.Any(s => s < 0) || sizes.Sum() != dim)
            throw ctx.Fail($"split sizes [{string.Join(",", sizes)}] do not add up to dimension {dim}");
        int start = 0;
        foreach (long s in sizes)
        {
            items.Add(AxisCopy.Slice(input, axis, start, (int)s));
            start += (int)s;
        }
        return Make(ctx, input.DataType, items);
    }

    [OnnxOp("ConcatFromSequence")]
    public static Value ConcatFromSequence(OpContext ctx)
    {
        TensorSequence s = Seq(ctx, 0);
        if (s.Items.Count == 0)
            throw ctx.Fail("cannot concatenate an empty sequence");
        bool newAxis = ctx.Node.GetInt("new_axis", 0) != 0;
        long axisAttr = ctx.Node.GetInt("axis");
        int rank = s.Items[0].Rank + (newAxis ? 1 : 0);
        int axis = AxisCopy.Axis(ctx, axisAttr, rank);
        try
        {
            return newAxis ? AxisCopy.Stack(s.Items, axis) : AxisCopy.Concat(s.Items, axis);
        }
        catch (ArgumentException e)
        {
            throw ctx.Fail(e.Message);
        }
    }

    [OnnxOp("SequenceMap")]
    public static Value?[] SequenceMap(OpContext ctx)
    {
        ComputeGraph body = ctx.Node.GetGraph("body") ?? throw ctx.Fail("attribute 'body' is missing");
        ISubgraphRunner runner = ctx.Subgraphs ?? throw ctx.Fail("no subgraph runner available");
        TensorSequence first = Seq(ctx, 0);
        int count = first.Items.Count;
        for (int i = 1; i < ctx.Inputs.Count; ++i)
            if (ctx.Inputs[i] is TensorSequence other && other.Items.Count != count)
                throw ctx.Fail($"input {i} has {other.Items.Count} items, input 0 has {count}");
        var collected = new List<Tensor>[body.Outputs.Count];
        for (int j = 0; j < collected.Length; ++j)
            collected[j] = new List<Tensor>();
        for (int t = 0; t < count; ++t)
        {
            var inputs = new Value?[ctx.Inputs.Count];
            for (int i = 0; i < inputs.Length; ++i)
                inputs[i] = ctx.Inputs[i] is TensorSequence s ? s.Items[t] : ctx.Inputs[i];
            Value?[] outputs = runner.Run(body, inputs);
            for (int j = 0; j < collected.Length; ++j)
                collected[j].Add(outputs[j] as Tensor ?? throw ctx.Fail($"body output {j} must be a tensor"));
        }
        var results = new Value?[collected.Length];
        for (int j = 0; j < results.Length; ++j)
        {
            DataType type = collected[j].Count > 0 ? collected[j][0].DataType
                : body.Outputs[j].Type is TensorTypeInfo tt ? tt.ElementType : DataType.Float;
            results[j] = Make(ctx, type, collected[j]);
        }
        return results;
    }
}
