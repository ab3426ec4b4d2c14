namespace Kerno.Graph.ShapeInference;

/// <summary>Shape rules for element-wise operators: unary ones keep their input's type, n-ary ones broadcast.</summary>
internal static class ElementwiseRules
{
    private static readonly string[] Unary =
    [
        "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Cos", "Cosh", "Elu", "Erf", "Exp", "Floor",
        "Gelu", "HardSigmoid", "HardSwish", "Identity", "LeakyRelu", "Log", "LogSoftmax", "Mish", "Neg", "Not",
        "Reciprocal", "Relu", "Round", "Selu", "Sigmoid", "Sign", "Sin", "Sinh", "Softmax", "Softplus", "Softsign",
        "Sqrt", "Tan", "Tanh", "ThresholdedRelu", "Celu", "Shrink", "Hardmax", "LRN", "InstanceNormalization",
        "MeanVarianceNormalization", "Clip", "BitwiseNot", "CumSum", "Trilu", "ReverseSequence",
    ];

    private static readonly string[] Arithmetic = ["Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean", "PRelu",
        "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitShift"];

    private static readonly string[] Logical = ["And", "Or", "Xor"];

    private static readonly string[] Comparison = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"];

    public static void Register(Dictionary<string, ShapeRule> table)
    {
        foreach (string op in Unary)
            table[op] = ctx => [ctx.Type(0)];
        foreach (string op in Arithmetic)
            table[op] = ctx => [Broadcast(ctx, ctx.ElementType(0), Enumerable.Range(0, ctx.InputCount))];
        foreach (string op in Logical.Concat(Comparison))
            table[op] = ctx => [Broadcast(ctx, DataType.Bool, [0, 1])];
        table["IsNaN"] = ctx => [InferenceContext.Make(DataType.Bool, ctx.Shape(0))];
        table["IsInf"] = ctx => [InferenceContext.Make(DataType.Bool, ctx.Shape(0))];
        table["Where"] = ctx => [Broadcast(ctx, ctx.ElementType(1), [0, 1, 2])];
        table["Dropout"] = ctx => [ctx.Type(0), InferenceContext.Make(DataType.Bool, ctx.Shape(0))];
        table["BatchNormalization"] = ctx => [ctx.Type(0)];
        table["LayerNormalization"] = ctx => [ctx.Type(0)];
        table["Cast"] = ctx => [InferenceContext.Make((DataType)ctx.Node.GetInt("to"), ctx.Shape(0))];
        table["CastLike"] = ctx => [InferenceContext.Make(ctx.ElementType(1), ctx.Shape(0))];
    }

    private static TensorTypeInfo Broadcast(InferenceContext ctx, DataType type, IEnumerable<int> inputs) =>
        InferenceContext.Make(type, Dims.Broadcast(inputs.Where(ctx.HasInput).Select(ctx.Shape)));
}
