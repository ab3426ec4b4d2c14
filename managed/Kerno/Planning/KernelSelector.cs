using Kerno.Execution;
using Kerno.Graph;
using Kerno.Optimizer.Passes;
using Kerno.Reference;

namespace Kerno.Planning;

/// <summary>
/// Picks the kernel for each node of the optimized graph. Native kernels (libkerno) take what they handle and
/// everything else runs its reference kernel on the same tensors; a native step also falls back to the
/// reference kernel at run time when the actual shapes are outside what it handles, so the choice is never
/// wrong, only slower. Weights are packed here, once per session.
/// </summary>
internal static class KernelSelector
{
    /// <summary>The step for <paramref name="node"/>; <paramref name="tuned"/> is a tuned algorithm for it (Conv) from the
    /// tuning cache, used when still valid.</summary>
    public static KernelStep Select(Node node, long opset, ReferenceKernel reference, ComputeGraph graph, int threads = 1, Tuning.TunedConv? tuned = null)
    {
        try
        {
            return SelectNative(node, opset, reference, graph, threads, tuned) ?? new ReferenceStep(node, opset, reference);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or KernoModelException or OverflowException)
        {
            // Anything odd about the node (attribute kinds, sizes the packer refuses): the reference kernel judges it at run time.
            return new ReferenceStep(node, opset, reference);
        }
    }

    private static KernelStep? SelectNative(Node node, long opset, ReferenceKernel reference, ComputeGraph graph, int threads, Tuning.TunedConv? tuned)
    {
        bool kerno = node.Domain == FusedOps.Domain;
        if (node.Domain.Length != 0 && !kerno)
            return null;
        if (node.Inputs.Count == 0 || !IsFloat(graph, node.Inputs[0]))
            return null;
        switch (kerno ? "kerno." + node.OpType : node.OpType)
        {
            case "MatMul" when node.Inputs.Count == 2:
                if (Constant(graph, node.Inputs[1]) is { Rank: 2 } weights)
                    return MatMul(node, opset, reference, weights, null, FusedActivation.None);
                return IsFloat(graph, node.Inputs[1]) ? new BatchedMatMulStep(node, opset, reference) : null;
            case "kerno.FusedMatMul" when node.Inputs.Count is 2 or 3:
            {
                if (Constant(graph, node.Inputs[1]) is not { Rank: 2 } b)
                    return null;
                Tensor<float>? bias = null;
                if (node.Inputs.Count == 3 && node.Inputs[2].Length > 0 && (bias = Constant(graph, node.Inputs[2])) is null)
                    return null;
                if (bias is not null && bias.Length != b.Shape[1])
                    return null;
                return MatMul(node, opset, reference, b, bias, FusedActivation.FromNode(node));
            }
            case "Gemm" or "kerno.FusedGemm" when node.Inputs.Count is 2 or 3:
                return Gemm(node, opset, reference, graph, kerno ? FusedActivation.FromNode(node) : FusedActivation.None);
            case "Conv" or "kerno.FusedConv":
            {
                if (Constant(graph, node.Inputs[1]) is not { Rank: 4 } w)
                    return null;
                Tensor<float>? bias = null;
                if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0 && ((bias = Constant(graph, node.Inputs[2])) is null || bias.Length != w.Shape[0]))
                    return null;
                bool residual = kerno && node.Inputs.Count > 3 && node.Inputs[3].Length > 0;
                if (residual && !IsFloat(graph, node.Inputs[3]))
                    return null;
                FusedActivation act = kerno ? FusedActivation.FromNode(node) : FusedActivation.None;
                if (UseNativeConv)
                {
                    // libkerno's convolution plans; packed now when the input shape is known. A geometry it refuses
                    // goes to the SGEMM formulation below.
                    var native = new NativeConvStep(node, opset, reference, w, bias, act, residual, threads, tuned);
                    int[]? xShape = graph.ValueTypes.GetValueOrDefault(node.Inputs[0]) is TensorTypeInfo { IsFullyKnown: true } xt
                        ? xt.Shape!.Select(d => (int)d.Value!.Value).ToArray() : null;
                    if (xShape is null || native.Prepare(xShape))
                        return native;
                    native.Dispose();
                }
                long group = node.GetInt("group", 1);
                if (!residual && group > 1 && w.Shape[1] == 1 && w.Shape[0] == group)
                    return new DepthwiseConvStep(node, opset, reference, w, bias, act);
                return new ConvGemmStep(node, opset, reference, w, bias, kerno ? FusedActivation.FromNode(node) : FusedActivation.None, residual);
            }
            case "kerno." + BlockedOps.Conv:
                return BlockedConv(node, opset, reference, graph, threads, tuned);
            case "kerno." + BlockedOps.ToBlocked or "kerno." + BlockedOps.FromBlocked:
                return ActiveBlock(node) ? new ReorderStep(node, opset, reference, node.OpType == BlockedOps.ToBlocked) : null;
            case "kerno.BlockedMaxPool" or "kerno.BlockedAveragePool":
                return ActiveBlock(node) ? new Pool2dStep(node, opset, reference, blocked: true) : null;
            case "kerno." + BlockedOps.BatchNorm when node.Inputs.Count == 5 && ActiveBlock(node):
            {
                Tensor<float>?[] p = node.Inputs.Skip(1).Select(i => Constant(graph, i)).ToArray();
                return p.All(t => t is not null && t.Length == p[0]!.Length)
                    ? new BatchNormStep(node, opset, reference, p[0]!, p[1]!, p[2]!, p[3]!, (int)node.GetInt("block")) : null;
            }
            case "kerno.BlockedGlobalAveragePool" or "kerno.BlockedGlobalMaxPool":
                return ActiveBlock(node) ? new GlobalPoolStep(node, opset, reference, blocked: true) : null;
            case "Add" or "Sub" or "Mul" or "Div" or "Max" or "Min" or "Sum" when node.Inputs.Count == 2 && opset >= 8 && node.Inputs.All(i => IsFloat(graph, i)):
                return new BinaryStep(node, opset, reference);
            case "Relu":
                return new ActivationStep(node, opset, reference, new FusedActivation(ActivationKind.Relu));
            case "LeakyRelu":
                return new ActivationStep(node, opset, reference, new FusedActivation(ActivationKind.LeakyRelu, node.GetFloat("alpha", 0.01f)));
            case "Clip" when opset < 11:
                return new ActivationStep(node, opset, reference, new FusedActivation(ActivationKind.Clip, node.GetFloat("min", float.MinValue), node.GetFloat("max", float.MaxValue)));
            case "Clip":
            {
                float? lo = Bound(graph, node, 1, float.MinValue), hi = Bound(graph, node, 2, float.MaxValue);
                return lo is null || hi is null ? null : new ActivationStep(node, opset, reference, new FusedActivation(ActivationKind.Clip, lo.Value, hi.Value));
            }
            case "MaxPool" or "AveragePool":
                return new Pool2dStep(node, opset, reference);
            case "GlobalAveragePool" or "GlobalMaxPool":
                return new GlobalPoolStep(node, opset, reference);
            case "Concat" when node.Inputs.All(i => IsFloat(graph, i)):
                return new ConcatStep(node, opset, reference);
            case "Transpose":
                return new TransposeStep(node, opset, reference);
            case "Reshape" when opset < 5:
                return node.GetInts("shape") is { } shape ? new ReshapeStep(node, opset, reference, shape) : null;
            case "Reshape" when node.Inputs.Count == 2:
                return Optimizer.GraphEdits.Constant(graph, node.Inputs[1]) is Tensor<long> { Rank: 1 } target ? new ReshapeStep(node, opset, reference, target.ToInt64Array()) : null;
            case "kerno." + FuseElementwiseChain.OpType:
                return new ElementwiseChainStep(node, opset, reference);
            case "Exp":
                return new ExpStep(node, opset, reference);
            case "Slice":
                return Slice(node, opset, reference, graph);
            case "Dropout" when node.Outputs.Skip(1).All(o => o.Length == 0 || !IsRead(graph, o))
                && (node.Inputs.Count < 3 || node.Inputs[2].Length == 0 || Optimizer.GraphEdits.Constant(graph, node.Inputs[2]) is Tensor<bool> { Length: 1 } t && !t[0])
                && (opset >= 7 || node.GetInt("is_test", 0) != 0):
                return new PassThroughStep(node, opset, reference);
            case "LRN":
                return new LrnStep(node, opset, reference);
            case "Softmax" or "LogSoftmax":
                return new SoftmaxStep(node, opset, reference);
            case "Sigmoid" or "HardSwish" or "HardSigmoid" or "Tanh":
                return new ActivationStep(node, opset, reference, node.OpType switch
                {
                    "Sigmoid" => new FusedActivation(ActivationKind.Sigmoid),
                    "HardSwish" => new FusedActivation(ActivationKind.HardSwish),
                    "Tanh" => new FusedActivation(ActivationKind.Tanh),
                    _ => new FusedActivation(ActivationKind.HardSigmoid, node.GetFloat("alpha", 0.2f), node.GetFloat("beta", 0.5f)),
                });
            case "LayerNormalization" or "kerno.LayerNormalization" when node.Inputs.Count is 1 or 2 or 3
                && node.Outputs.Skip(1).All(o => o.Length == 0 || !IsRead(graph, o)):
            {
                Tensor<float>? scale = node.Inputs.Count > 1 && node.Inputs[1].Length > 0 ? Constant(graph, node.Inputs[1]) : null;
                Tensor<float>? bias = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? Constant(graph, node.Inputs[2]) : null;
                if ((scale is null && (!kerno || node.Inputs.Count > 1 && node.Inputs[1].Length > 0)) || (bias is null && node.Inputs.Count > 2 && node.Inputs[2].Length > 0))
                    return null;
                if (kerno && (scale is { Rank: not 1 } || bias is { Rank: not 1 }))
                    return null;
                return new LayerNormStep(node, opset, reference, scale, bias);
            }
            case "Resize" when opset >= 11:
                return new ResizeStep(node, opset, reference);
            case "ConvTranspose" when node.Inputs.Count is 2 or 3 && Constant(graph, node.Inputs[1]) is { Rank: 4 } w:
            {
                Tensor<float>? bias = node.Inputs.Count == 3 && node.Inputs[2].Length > 0 ? Constant(graph, node.Inputs[2]) : null;
                if (node.Inputs.Count == 3 && node.Inputs[2].Length > 0 && bias is null)
                    return null;
                return new ConvTransposeStep(node, opset, reference, w, bias);
            }
            case "BatchNormalization" when opset >= 9 && node.Inputs.Count == 5 && node.GetInt("training_mode", 0) == 0
                && node.Outputs.Skip(1).All(o => o.Length == 0 || !IsRead(graph, o)):
            {
                Tensor<float>?[] p = node.Inputs.Skip(1).Select(i => Constant(graph, i)).ToArray();
                return p.All(t => t is not null && t.Length == p[0]!.Length)
                    ? new BatchNormStep(node, opset, reference, p[0]!, p[1]!, p[2]!, p[3]!) : null;
            }
            default:
                return null;
        }
    }

    /// <summary>True when some node (or a graph output) reads <paramref name="name"/>.</summary>
    private static bool IsRead(ComputeGraph graph, string name) =>
        graph.Outputs.Any(o => o.Name == name) || graph.Nodes.Any(n => GraphScopes.AllInputs(n).Contains(name));

    /// <summary>A Slice whose starts/ends/axes/steps are known now (attributes, or constant inputs from opset 10).</summary>
    private static SliceStep? Slice(Node node, long opset, ReferenceKernel reference, ComputeGraph graph)
    {
        if (opset < 10)
            return node.GetInts("starts") is { } s && node.GetInts("ends") is { } e ? new SliceStep(node, opset, reference, s, e, node.GetInts("axes"), null) : null;
        long[]? Ints(int i) => node.Inputs.Count > i && node.Inputs[i].Length > 0
            && Optimizer.GraphEdits.Constant(graph, node.Inputs[i]) is { Rank: 1, DataType: DataType.Int64 or DataType.Int32 } t ? t.ToInt64Array() : null;
        bool Absent(int i) => node.Inputs.Count <= i || node.Inputs[i].Length == 0;
        long[]? starts = Ints(1), ends = Ints(2), axes = Ints(3), steps = Ints(4);
        if (starts is null || ends is null || (axes is null && !Absent(3)) || (steps is null && !Absent(4)))
            return null;
        return new SliceStep(node, opset, reference, starts, ends, axes, steps);
    }

    private static float? Bound(ComputeGraph graph, Node clip, int input, float absent)
    {
        if (clip.Inputs.Count <= input || clip.Inputs[input].Length == 0)
            return absent;
        return Constant(graph, clip.Inputs[input]) is { Length: 1 } t ? t[0] : null;
    }

    /// <summary>kerno.BlockedConv on libkerno's NCHWc plans; null (the reference kernel) when libkerno refuses it.</summary>
    private static NativeConvStep? BlockedConv(Node node, long opset, ReferenceKernel reference, ComputeGraph graph, int threads, Tuning.TunedConv? tuned)
    {
        if (!ActiveBlock(node) || node.Inputs.Count < 2 || Constant(graph, node.Inputs[1]) is not { Rank: 4 } w)
            return null;
        Tensor<float>? bias = null;
        if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0 && ((bias = Constant(graph, node.Inputs[2])) is null || bias.Length != w.Shape[0]))
            return null;
        bool residual = node.Inputs.Count > 3 && node.Inputs[3].Length > 0;
        var native = new NativeConvStep(node, opset, reference, w, bias, FusedActivation.FromNode(node), residual, threads, tuned, (int)node.GetInt("block"));
        int[]? xShape = graph.ValueTypes.GetValueOrDefault(node.Inputs[0]) is TensorTypeInfo { IsFullyKnown: true } xt
            ? xt.Shape!.Select(d => (int)d.Value!.Value).ToArray() : null;
        if (xShape is null || native.Prepare(xShape))
            return native;
        native.Dispose();
        return null;
    }

    /// <summary>True when a blocked node's block is the active kernel set's (else its reference kernel runs it).</summary>
    private static bool ActiveBlock(Node node) => node.GetInt("block", 0) == Kernels.NnKernels.NchwcBlock;

    /// <summary>The NCHWc block the optimizer may lay tensors out in for a session on <paramref name="backend"/>: the native
    /// kernel set's, or 0 (all NCHW) for the reference backend, with convolutions on managed SGEMM (KERNO_CONV=sgemm), or
    /// with KERNO_LAYOUT=nchw (comparisons).</summary>
    public static int NchwcBlockFor(ExecutionBackend backend) =>
        backend == ExecutionBackend.Native && UseNativeConv && Environment.GetEnvironmentVariable("KERNO_LAYOUT") != "nchw"
            ? Kernels.NnKernels.NchwcBlock : 0;

    /// <summary>Convolutions on libkerno's conv plans (true) or as managed im2col + SGEMM (false; tests and comparisons).</summary>
    internal static bool UseNativeConv { get; set; } = Environment.GetEnvironmentVariable("KERNO_CONV") != "sgemm";

    private static PackedGemmStep MatMul(Node node, long opset, ReferenceKernel reference, Tensor<float> b, Tensor<float>? bias, FusedActivation act)
    {
        int k = b.Shape[0], n = b.Shape[1];
        var packed = new PackedMatrix(false, n, k, b.Span);
        return new PackedGemmStep(node, opset, reference, packed, gemm: false, transA: false, alpha: 1, bias?.Span.ToArray(), null, act);
    }

    private static PackedGemmStep? Gemm(Node node, long opset, ReferenceKernel reference, ComputeGraph graph, FusedActivation act)
    {
        if (Constant(graph, node.Inputs[1]) is not { Rank: 2 } b)
            return null;
        bool transA = node.GetInt("transA", 0) != 0, transB = node.GetInt("transB", 0) != 0;
        float alpha = node.GetFloat("alpha", 1), beta = node.GetFloat("beta", 1);
        int n = transB ? b.Shape[0] : b.Shape[1], k = transB ? b.Shape[1] : b.Shape[0];
        float[]? column = null, row = null;
        if (node.Inputs.Count == 3 && node.Inputs[2].Length > 0)
        {
            if (Constant(graph, node.Inputs[2]) is not { } c)
                return null;
            ReadOnlySpan<int> cs = c.Shape;
            if (c.Length == 1 && cs.Length <= 2)
                column = Enumerable.Repeat(c[0] * beta, n).ToArray();
            else if ((cs.Length == 1 && cs[0] == n) || (cs.Length == 2 && cs[0] == 1 && cs[1] == n))
                column = c.Span.ToArray().Select(v => v * beta).ToArray();
            else if (cs.Length == 2 && cs[1] == 1)
                row = c.Span.ToArray().Select(v => v * beta).ToArray();
            else
                return null; // a full [M,N] C: the reference kernel
        }
        var packed = new PackedMatrix(transB, n, k, b.Span);
        return new PackedGemmStep(node, opset, reference, packed, gemm: true, transA, alpha, column, row, act);
    }

    private static Tensor<float>? Constant(ComputeGraph graph, string name) =>
        name.Length > 0 && Optimizer.GraphEdits.Constant(graph, name) is Tensor<float> t ? t : null;

    private static bool IsFloat(ComputeGraph graph, string name) =>
        name.Length > 0 && (Optimizer.GraphEdits.Constant(graph, name) is { } c ? c is Tensor<float>
            : graph.ValueTypes.GetValueOrDefault(name) is null or TensorTypeInfo { ElementType: DataType.Float or DataType.Undefined });
}
