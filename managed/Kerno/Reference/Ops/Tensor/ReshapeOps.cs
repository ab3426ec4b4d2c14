namespace Kerno.Reference.Ops.Tensors;

/// <summary>Operators that only change a tensor's shape: Reshape, Flatten, Squeeze, Unsqueeze, plus Shape and Size.</summary>
internal static class ReshapeOps
{
    /// <summary>Reshape: shape from the attribute (opset &lt; 5) or input 1; 0 copies the input dim (unless allowzero), -1 is inferred.</summary>
    [OnnxOp("Reshape")]
    public static Tensor Reshape(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        long[] requested = ctx.Opset < 5
            ? ctx.Node.GetInts("shape") ?? throw ctx.Fail("attribute 'shape' is required")
            : Elements.Ints(ctx, 1, "shape");
        bool allowZero = ctx.Opset >= 14 && ctx.Node.GetInt("allowzero", 0) != 0;
        return data.Reshape(ResolveShape(ctx, data.Shape, requested, allowZero));
    }

    /// <summary>Applies Reshape's rules (0 = copy, -1 = infer) to a requested shape.</summary>
    internal static int[] ResolveShape(OpContext ctx, ReadOnlySpan<int> input, long[] requested, bool allowZero)
    {
        var shape = new int[requested.Length];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < requested.Length; ++i)
        {
            long d = requested[i];
            if (d == -1)
            {
                if (inferred >= 0)
                    throw ctx.Fail($"shape [{string.Join(",", requested)}] has more than one -1");
                inferred = i;
                continue;
            }
            if (d == 0 && !allowZero)
            {
                if (i >= input.Length)
                    throw ctx.Fail($"shape [{string.Join(",", requested)}] copies dimension {i} with 0, but the input has rank {input.Length}");
                d = input[i];
            }
            if (d < 0)
                throw ctx.Fail($"shape [{string.Join(",", requested)}] has invalid dimension {d}");
            if (allowZero && d == 0 && requested.Contains(-1))
                throw ctx.Fail($"shape [{string.Join(",", requested)}] has both 0 (with allowzero) and -1");
            shape[i] = Elements.Dim(ctx, d);
            known *= d;
        }
        int total = Tensor.ElementCount(input);
        if (inferred >= 0)
        {
            if (known == 0 || total % known != 0)
                throw ctx.Fail($"cannot reshape {Tensor.FormatShape(input)} to [{string.Join(",", requested)}]");
            shape[inferred] = (int)(total / known);
        }
        else if (known != total)
            throw ctx.Fail($"cannot reshape {Tensor.FormatShape(input)} ({total} elements) to {Tensor.FormatShape(shape)}");
        return shape;
    }

    /// <summary>Flatten: a 2-D tensor [prod(dims before axis), prod(dims from axis)].</summary>
    [OnnxOp("Flatten")]
    public static Tensor Flatten(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        long axis = ctx.Node.GetInt("axis", 1);
        int rank = data.Rank;
        if (axis < -rank || axis > rank)
            throw ctx.Fail($"axis {axis} is out of range for rank {rank}");
        int a = (int)(axis < 0 ? axis + rank : axis);
        int outer = Tensor.ElementCount(data.Shape[..a]);
        int inner = Tensor.ElementCount(data.Shape[a..]);
        return data.Reshape([outer, inner]);
    }

    /// <summary>Squeeze: removes the given size-1 axes (attribute before opset 13, input after), or all size-1 axes.</summary>
    [OnnxOp("Squeeze")]
    public static Tensor Squeeze(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        long[]? axes = ctx.Opset < 13 ? ctx.Node.GetInts("axes") : (ctx.HasInput(1) ? Elements.Ints(ctx, 1, "axes") : null);
        var remove = new bool[data.Rank];
        if (axes is null)
        {
            for (int i = 0; i < data.Rank; ++i)
                remove[i] = data.Shape[i] == 1;
        }
        else
        {
            foreach (int a in Elements.Axes(ctx, axes, data.Rank))
            {
                if (data.Shape[a] != 1)
                    throw ctx.Fail($"cannot squeeze axis {a} of size {data.Shape[a]} in {Tensor.FormatShape(data.Shape)}");
                remove[a] = true;
            }
        }
        var shape = new List<int>();
        for (int i = 0; i < data.Rank; ++i)
            if (!remove[i])
                shape.Add(data.Shape[i]);
        return data.Reshape(shape.ToArray());
    }

    /// <summary>Unsqueeze: inserts size-1 axes at the given positions of the output (attribute before opset 13, input after).</summary>
    [OnnxOp("Unsqueeze")]
    public static Tensor Unsqueeze(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        long[] axes = ctx.Opset < 13
            ? ctx.Node.GetInts("axes") ?? throw ctx.Fail("attribute 'axes' is required")
            : Elements.Ints(ctx, 1, "axes");
        int rank = data.Rank + axes.Length;
        var insert = new bool[rank];
        foreach (int a in Elements.Axes(ctx, axes, rank))
            insert[a] = true;
        var shape = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; ++i)
            shape[i] = insert[i] ? 1 : data.Shape[k++];
        return data.Reshape(shape);
    }

    /// <summary>Shape: the input's dimensions as int64, optionally sliced by start/end (opset 15).</summary>
    [OnnxOp("Shape")]
    public static Tensor Shape(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        int rank = data.Rank;
        long start = 0, end = rank;
        if (ctx.Opset >= 15)
        {
            start = ctx.Node.GetInt("start", 0);
            end = ctx.Node.GetInt("end", rank);
        }
        start = Math.Clamp(start < 0 ? start + rank : start, 0, rank);
        end = Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        long[] dims = data.Shape.ToArray().Select(d => (long)d).Skip((int)start).Take((int)Math.Max(0, end - start)).ToArray();
        return Elements.Int64([dims.Length], dims);
    }

    /// <summary>Size: the number of elements as an int64 scalar.</summary>
    [OnnxOp("Size")]
    public static Tensor Size(OpContext ctx) => Tensor.Scalar((long)ctx.Input(0).Length);
}
