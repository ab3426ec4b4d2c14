using Kerno.Graph;

namespace Kerno.Reference.Ops.GraphOps;

/// <summary>
/// Scan (opset 9 semantics): iterates the body over slices of the scan inputs along their scan axes,
/// threading N state values; per-iteration outputs are stacked along the scan output axes.
/// </summary>
internal static class ScanOp
{
    [OnnxOp("Scan", MinOpset = 9)]
    public static Value?[] Scan(OpContext ctx)
    {
        ComputeGraph body = ctx.Node.GetGraph("body") ?? throw ctx.Fail("attribute 'body' is missing");
        ISubgraphRunner runner = ctx.Subgraphs ?? throw ctx.Fail("no subgraph runner available");
        int m = (int)ctx.Node.GetInt("num_scan_inputs");
        int n = ctx.Inputs.Count - m;
        if (m < 1 || n < 0)
            throw ctx.Fail($"num_scan_inputs {m} does not fit {ctx.Inputs.Count} inputs");
        int k = body.Outputs.Count - n;
        if (k < 0)
            throw ctx.Fail($"body has {body.Outputs.Count} outputs, fewer than the {n} state values");
        long[] inDirs = ctx.Node.GetInts("scan_input_directions") ?? new long[m];
        long[] inAxes = ctx.Node.GetInts("scan_input_axes") ?? new long[m];
        long[] outDirs = ctx.Node.GetInts("scan_output_directions") ?? new long[k];
        long[] outAxes = ctx.Node.GetInts("scan_output_axes") ?? new long[k];
        if (inDirs.Length != m || inAxes.Length != m || outDirs.Length != k || outAxes.Length != k)
            throw ctx.Fail("scan direction/axis attributes do not match the number of scan inputs/outputs");

        var scanInputs = new Tensor[m];
        var axes = new int[m];
        int length = -1;
        for (int i = 0; i < m; ++i)
        {
            scanInputs[i] = ctx.Input(n + i);
            axes[i] = AxisCopy.Axis(ctx, inAxes[i], scanInputs[i].Rank);
            int len = scanInputs[i].Shape[axes[i]];
            if (length >= 0 && len != length)
                throw ctx.Fail($"scan inputs have different lengths ({length} and {len})");
            length = len;
        }

        var state = new Value?[n];
        for (int i = 0; i < n; ++i)
            state[i] = ctx.Inputs[i];
        var collected = new List<Tensor>[k];
        for (int j = 0; j < k; ++j)
            collected[j] = new List<Tensor>();

        for (int t = 0; t < length; ++t)
        {
            var inputs = new Value?[n + m];
            state.CopyTo(inputs, 0);
            for (int i = 0; i < m; ++i)
            {
                int index = inDirs[i] == 1 ? length - 1 - t : t;
                inputs[n + i] = AxisCopy.Slice(scanInputs[i], axes[i], index, 1, keepAxis: false);
            }
            Value?[] outputs = runner.Run(body, inputs);
            for (int i = 0; i < n; ++i)
                state[i] = outputs[i];
            for (int j = 0; j < k; ++j)
                collected[j].Add(outputs[n + j] as Tensor ?? throw ctx.Fail($"scan output {j} must be a tensor"));
        }

        var results = new Value?[n + k];
        state.CopyTo(results, 0);
        for (int j = 0; j < k; ++j)
        {
            List<Tensor> items = collected[j];
            if (outDirs[j] == 1)
                items.Reverse();
            if (items.Count == 0)
            {
                int rank = body.Outputs[n + j].Type is TensorTypeInfo { Rank: { } r } ? r : 0;
                results[n + j] = LoopOp.EmptyScan(body.Outputs[n + j].Type, (int)(outAxes[j] < 0 ? outAxes[j] + rank + 1 : outAxes[j]));
                continue;
            }
            int axis = AxisCopy.Axis(ctx, outAxes[j], items[0].Rank + 1);
            results[n + j] = AxisCopy.Stack(items, axis);
        }
        return results;
    }
}
