using Kerno.Graph;

namespace Kerno.Reference.Ops.GraphOps;

/// <summary>
/// Loop: runs the body while the trip count and condition allow. Body inputs are (iteration, condition,
/// carried...), body outputs (condition, carried..., scan outputs...); scan outputs are stacked on a new axis 0.
/// </summary>
internal static class LoopOp
{
    [OnnxOp("Loop")]
    public static Value?[] Loop(OpContext ctx)
    {
        ComputeGraph body = ctx.Node.GetGraph("body") ?? throw ctx.Fail("attribute 'body' is missing");
        ISubgraphRunner runner = ctx.Subgraphs ?? throw ctx.Fail("no subgraph runner available");
        long? maxTrips = ctx.HasInput(0) ? ScalarInt(ctx, 0) : null;
        bool useCond = ctx.HasInput(1);
        bool cond = !useCond || ScalarInt(ctx, 1) != 0;
        int carriedCount = ctx.Inputs.Count - 2;
        if (carriedCount < 0)
            throw ctx.Fail("needs at least the M and cond inputs (possibly empty)");
        var carried = new Value?[carriedCount];
        for (int i = 0; i < carriedCount; ++i)
            carried[i] = ctx.Inputs[i + 2];
        int scanCount = body.Outputs.Count - 1 - carriedCount;
        if (scanCount < 0)
            throw ctx.Fail($"body has {body.Outputs.Count} outputs, fewer than 1 + {carriedCount} loop-carried values");
        var scans = new List<Tensor>[scanCount];
        for (int k = 0; k < scanCount; ++k)
            scans[k] = new List<Tensor>();

        for (long i = 0; cond && (maxTrips is null || i < maxTrips); ++i)
        {
            var inputs = new Value?[2 + carriedCount];
            inputs[0] = Tensor.Scalar(i);
            inputs[1] = Tensor.Scalar(cond);
            carried.CopyTo(inputs, 2);
            Value?[] outputs = runner.Run(body, inputs);
            if (useCond)
                cond = outputs[0] is Tensor c && c.Length == 1 ? c.ToDoubleArray()[0] != 0 : throw ctx.Fail("body condition output must be a one-element tensor");
            for (int j = 0; j < carriedCount; ++j)
                carried[j] = outputs[1 + j];
            for (int k = 0; k < scanCount; ++k)
                scans[k].Add(outputs[1 + carriedCount + k] as Tensor ?? throw ctx.Fail($"scan output {k} must be a tensor"));
        }

        var results = new Value?[carriedCount + scanCount];
        carried.CopyTo(results, 0);
        for (int k = 0; k < scanCount; ++k)
            results[carriedCount + k] = scans[k].Count > 0
                ? AxisCopy.Stack(scans[k], 0)
                : EmptyScan(body.Outputs[1 + carriedCount + k].Type);
        return results;
    }

    /// <summary>A zero-iteration scan output: [0, element dims...] where the body declares them, else [0].</summary>
    internal static Tensor EmptyScan(TypeInfo? declared, int axis = 0)
    {
        DataType type = declared is TensorTypeInfo t && t.ElementType != DataType.Undefined ? t.ElementType : DataType.Float;
        var shape = declared is TensorTypeInfo { IsFullyKnown: true } k ? k.Shape!.Select(d => (int)d.Value!.Value).ToList() : new List<int>();
        shape.Insert(System.Math.Min(axis, shape.Count), 0);
        return Tensor.Create(type, shape.ToArray());
    }

    private static long ScalarInt(OpContext ctx, int input)
    {
        Tensor t = ctx.Input(input);
        if (t.Length != 1)
            throw ctx.Fail($"input {input} must have one element, got shape {Tensor.FormatShape(t.Shape)}");
        return t.ToInt64Array()[0];
    }
}
