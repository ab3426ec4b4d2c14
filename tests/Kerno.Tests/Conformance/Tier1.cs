using Kerno.Onnx;
using Kerno.Testing;

namespace Kerno.Tests.Conformance;

/// <summary>
/// Issue #3's Tier 1 operators (the ops CNNs and transformers live on) and the rule the conformance tests hold
/// them to: a test whose operators are all Tier 1 passes or is listed in expected_failures.txt (never skipped),
/// and every skip names an unsupported operator outside Tier 1.
/// </summary>
internal static class Tier1
{
    public static IReadOnlySet<string> Ops { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "MatMul", "Gemm",
        "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Sigmoid", "HardSigmoid", "HardSwish", "Swish", "Tanh", "Clip",
        "Softplus", "Softsign", "Mish", "Gelu", "Erf", "Softmax", "LogSoftmax", "Hardmax",
        "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean", "Sqrt", "Exp", "Log", "Abs", "Neg", "Sign",
        "Reciprocal", "Floor", "Ceil", "Round",
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
        "IsNaN", "IsInf", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Not", "And", "Or", "Xor",
        "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "BitShift", "Where",
        "Reshape", "Flatten", "Transpose", "Concat", "Split", "Slice", "Gather", "GatherElements", "GatherND", "ScatterND",
        "ScatterElements", "Squeeze", "Unsqueeze", "Expand", "Tile", "Pad", "Resize", "Upsample",
        "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool",
        "BatchNormalization", "InstanceNormalization", "LayerNormalization", "GroupNormalization", "RMSNormalization",
        "LpNormalization", "MeanVarianceNormalization", "LRN", "Dropout", "Identity", "Shape", "Size", "Constant",
        "ConstantOfShape", "Cast", "CastLike", "Range",
        "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
        "ReduceLogSumExp", "ReduceSumSquare",
        "ArgMax", "ArgMin", "TopK", "CumSum", "CumProd", "Einsum", "Trilu", "OneHot", "Compress", "DepthToSpace",
        "SpaceToDepth", "NonZero", "EyeLike", "Attention", "RotaryEmbedding", "QuantizeLinear", "DequantizeLinear",
        "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger",
    };

    /// <summary>True when every node of the model's main graph is a Tier 1 op of the default domain.</summary>
    public static bool ModelIsAllTier1(string testDir)
    {
        Graph.Model model;
        try
        {
            model = ModelReader.Load(Path.Combine(testDir, "model.onnx"));
        }
        catch (KernoModelException)
        {
            return false; // unreadable: the unexpected-failure check reports it
        }
        return model.Graph.Nodes.All(n => n.Domain is "" or "ai.onnx" && Ops.Contains(n.OpType));
    }

    /// <summary>
    /// An entry of <see cref="ConformanceResult.UnsupportedOperators"/> names a Tier 1 op: "Op (opset N)" is the
    /// default domain, "domain.Op (opset N)" another one (ai.onnx.ml, ai.onnx.preview...), never Tier 1.
    /// </summary>
    private static bool NamesTier1(string unsupported)
    {
        int paren = unsupported.IndexOf(" (", StringComparison.Ordinal);
        string op = paren < 0 ? unsupported : unsupported[..paren];
        return !op.Contains('.') && Ops.Contains(op);
    }

    /// <summary>
    /// The results that break the rule: skips that name no unsupported op, or only Tier 1 ones; and tests made of
    /// Tier 1 ops only that do not pass and are not in <paramref name="isListed"/>.
    /// </summary>
    public static List<string> Violations(IEnumerable<ConformanceResult> results, Func<string, bool> isListed)
    {
        var problems = new List<string>();
        foreach (ConformanceResult r in results.Where(r => r.Status != ConformanceStatus.Pass))
        {
            if (r.Status == ConformanceStatus.Skip && (r.UnsupportedOperators.Count == 0 || r.UnsupportedOperators.All(NamesTier1)))
                problems.Add($"{r.Name}: skipped without naming an unsupported operator outside Tier 1 ({r.Message})");
            else if (!isListed(r.Name) && ModelIsAllTier1(r.Path))
                problems.Add($"{r.Name}: only Tier 1 ops, {r.Status} and not in expected_failures.txt ({r.Message})");
        }
        return problems;
    }
}
