namespace Kerno.Reference.Ops.GraphOps;

/// <summary>If: runs then_branch or else_branch; the branch's outputs are the node's.</summary>
internal static class IfOp
{
    [OnnxOp("If")]
    public static Value?[] If(OpContext ctx)
    {
        Tensor cond = ctx.Input(0);
        if (cond.Length != 1)
            throw ctx.Fail($"condition must have one element, got shape {Tensor.FormatShape(cond.Shape)}");
        bool take = cond.ToDoubleArray()[0] != 0;
        var branch = ctx.Node.GetGraph(take ? "then_branch" : "else_branch")
            ?? throw ctx.Fail($"attribute '{(take ? "then_branch" : "else_branch")}' is missing");
        var runner = ctx.Subgraphs ?? throw ctx.Fail("no subgraph runner available");
        Value?[] outputs = runner.Run(branch, []);
        if (outputs.Length < ctx.OutputCount)
            throw ctx.Fail($"branch produced {outputs.Length} outputs, the node declares {ctx.OutputCount}");
        return outputs;
    }
}
