using Kerno.Graph;

namespace Kerno.Reference.Ops.Fused;

/// <summary>
/// Reference semantics of Kerno's fused operators (domain "kerno"), defined by the ONNX operators they
/// replace: run the base operator's reference kernel, add the residual or bias, apply the activation.
/// </summary>
internal static class FusedReferenceOps
{
    /// <summary>act(Conv(X, W, B) + Z): inputs X, W, B (may be ""), Z (optional residual of the output's shape).</summary>
    [OnnxOp("FusedConv", Domain = Optimizer.Passes.FusedOps.Domain)]
    private static Tensor FusedConv(OpContext ctx)
    {
        Tensor y = RunBase(ctx, "Conv", 22, ctx.Node.Inputs.Take(3));
        if (ctx.HasInput(3))
            y = AddSameShape(ctx, y, ctx.Input(3));
        return Activate(ctx, y);
    }

    /// <summary>act(Gemm(A, B, C)).</summary>
    [OnnxOp("FusedGemm", Domain = Optimizer.Passes.FusedOps.Domain)]
    private static Tensor FusedGemm(OpContext ctx) => Activate(ctx, RunBase(ctx, "Gemm", 13, ctx.Node.Inputs));

    /// <summary>act(MatMul(A, B) + bias), bias of N elements broadcast over the last axis.</summary>
    [OnnxOp("FusedMatMul", Domain = Optimizer.Passes.FusedOps.Domain)]
    private static Tensor FusedMatMul(OpContext ctx)
    {
        var y = (Tensor<float>)RunBase(ctx, "MatMul", 13, ctx.Node.Inputs.Take(2));
        if (ctx.HasInput(2))
        {
            Tensor<float> bias = ctx.Input<float>(2);
            int[]? shape = Broadcasting.TryShape(y.Dims, bias.Dims);
            if (shape is null || !shape.AsSpan().SequenceEqual(y.Dims))
                throw ctx.Fail($"bias {Tensor.FormatShape(bias.Dims)} does not broadcast onto {Tensor.FormatShape(y.Dims)}");
            int n = bias.Length;
            Span<float> ys = y.Span;
            ReadOnlySpan<float> bs = bias.Span;
            for (int i = 0; i < ys.Length; ++i)
                ys[i] += bs[i % n];
        }
        return Activate(ctx, y);
    }

    /// <summary>
    /// (X - mean) / sqrt(var + epsilon) over X's last axis, then * Scale and + B (both optional) with numpy broadcasting:
    /// exactly the primitive ops FuseLayerNormPattern replaces, whatever the shapes.
    /// </summary>
    [OnnxOp("LayerNormalization", Domain = Optimizer.Passes.FusedOps.Domain)]
    private static Tensor LayerNormalization(OpContext ctx)
    {
        Tensor<float> x = ctx.Input<float>(0);
        if (x.Rank == 0)
            throw ctx.Fail("X must have at least one axis");
        double eps = ctx.Node.GetFloat("epsilon", 1e-5f);
        int cols = x.Shape[^1], rows = cols == 0 ? 0 : x.Length / cols;
        var y = new Tensor<float>(x.Shape);
        ReadOnlySpan<float> xs = x.Span;
        Span<float> ys = y.Span;
        for (int r = 0; r < rows; ++r)
        {
            ReadOnlySpan<float> row = xs.Slice(r * cols, cols);
            double mean = 0, variance = 0;
            foreach (float v in row)
                mean += v;
            mean /= cols;
            foreach (float v in row)
                variance += (v - mean) * (v - mean);
            double inv = 1 / Math.Sqrt(variance / cols + eps);
            for (int c = 0; c < cols; ++c)
                ys[r * cols + c] = (float)((row[c] - mean) * inv);
        }
        Tensor result = y;
        if (ctx.HasInput(1))
            result = RunBinary(ctx, "Mul", result, ctx.Input(1));
        if (ctx.HasInput(2))
            result = RunBinary(ctx, "Add", result, ctx.Input(2));
        return result;
    }

    /// <summary>kerno.ElementwiseChain: the original element-wise nodes applied one after the other with their reference kernels.</summary>
    [OnnxOp(Optimizer.Passes.FuseElementwiseChain.OpType, Domain = Optimizer.Passes.FusedOps.Domain)]
    private static Tensor ElementwiseChain(OpContext ctx)
    {
        var program = Optimizer.Passes.FuseElementwiseChain.Program(ctx.Node) ?? throw ctx.Fail("ops, operands, swapped and params do not describe a program");
        long[] operands = ctx.Node.GetInts("operands")!;
        Tensor y = ctx.Input(0);
        for (int i = 0; i < program.Length; ++i)
        {
            var step = program[i];
            if (step.Operand is not null)
            {
                Tensor other = ctx.Input((int)operands[i]);
                y = step.Swapped ? RunBinary(ctx, step.Op, other, y) : RunBinary(ctx, step.Op, y, other);
                continue;
            }
            // Clip at opset 6 takes its bounds as attributes; the others read alpha / beta (ignored when they have none).
            var attributes = step.Op switch
            {
                "Clip" => new[] { FloatAttribute("min", step.P0), FloatAttribute("max", step.P1) },
                "LeakyRelu" => [FloatAttribute("alpha", step.P0)],
                "HardSigmoid" => [FloatAttribute("alpha", step.P0), FloatAttribute("beta", step.P1)],
                _ => [],
            };
            long opset = step.Op == "Clip" ? 6 : 14;
            var node = new Node(ctx.Node.Name, step.Op, "", ["x"], ctx.Node.Outputs, attributes) { Index = ctx.Node.Index };
            ReferenceKernel kernel = ReferenceOps.Find("", step.Op, opset) ?? throw ctx.Fail($"the reference {step.Op} kernel is missing");
            y = kernel(new OpContext(node, opset, [y], null))[0] as Tensor ?? throw ctx.Fail($"{step.Op} produced no tensor");
        }
        return y;
    }

    private static AttributeValue FloatAttribute(string name, float value) => new() { Name = name, Kind = AttributeKind.Float, Float = value };

    private static Tensor RunBinary(OpContext ctx, string opType, Tensor a, Tensor b)
    {
        var node = new Node(ctx.Node.Name, opType, "", ["a", "b"], ctx.Node.Outputs, []) { Index = ctx.Node.Index };
        ReferenceKernel kernel = ReferenceOps.Find("", opType, 14) ?? throw ctx.Fail($"the reference {opType} kernel is missing");
        return kernel(new OpContext(node, 14, [a, b], null))[0] as Tensor ?? throw ctx.Fail($"{opType} produced no tensor");
    }

    private static Tensor RunBase(OpContext ctx, string opType, long opset, IEnumerable<string> inputNames)
    {
        var names = inputNames.ToList();
        var attributes = ctx.Node.Attributes.Values.Where(a => a.Name is not ("activation" or "activation_params"));
        var node = new Node(ctx.Node.Name, opType, "", names, ctx.Node.Outputs, attributes) { Index = ctx.Node.Index };
        ReferenceKernel kernel = ReferenceOps.Find("", opType, opset)
            ?? throw ctx.Fail($"the reference {opType} kernel is missing");
        var inputs = ctx.Inputs.Take(names.Count).ToList();
        return kernel(new OpContext(node, opset, inputs, ctx.Subgraphs))[0] as Tensor
            ?? throw ctx.Fail($"{opType} produced no tensor");
    }

    private static Tensor AddSameShape(OpContext ctx, Tensor y, Tensor z)
    {
        if (y is not Tensor<float> yf || z is not Tensor<float> zf || !yf.Shape.SequenceEqual(zf.Shape))
            throw ctx.Fail($"residual input {Tensor.FormatShape(z.Dims)} must be float of the output's shape {Tensor.FormatShape(y.Dims)}");
        Span<float> ys = yf.Span;
        ReadOnlySpan<float> zs = zf.Span;
        for (int i = 0; i < ys.Length; ++i)
            ys[i] += zs[i];
        return yf;
    }

    private static Tensor Activate(OpContext ctx, Tensor y)
    {
        FusedActivation act = FusedActivation.FromNode(ctx.Node);
        if (act.Kind == ActivationKind.None)
            return y;
        switch (y)
        {
            case Tensor<float> f:
                foreach (ref float v in f.Span)
                    v = act.Apply(v);
                return f;
            case Tensor<double> d:
                foreach (ref double v in d.Span)
                    v = act.Apply(v);
                return d;
            default:
                throw ctx.Fail($"fused activations apply to float tensors, not {y.DataType}");
        }
    }
}
