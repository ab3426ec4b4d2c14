using Google.Protobuf;
using Kerno.Onnx.Proto;
using static Kerno.Tests.Onnx.ProtoBuilder;

namespace Kerno.Tests.Reliability;

/// <summary>
/// Small valid models built in code, so the corruption test and the fuzz loop have seeds even where no
/// shared model data exists. Together they use every tensor encoding (float_data, int64_data, int32_data,
/// raw_data, string_data, sparse), attributes of each kind, subgraphs (If, Loop), and the operators whose
/// sizes come from data (Reshape, Slice, Pad, Tile, Expand, ConstantOfShape, Range, Resize, Gather, TopK).
/// </summary>
internal static class SmallModels
{
    /// <summary>Every generated model by name.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> All() =>
    [
        ("mlp", Mlp().ToByteArray()),
        ("cnn", Cnn().ToByteArray()),
        ("shape-ops", ShapeOps().ToByteArray()),
        ("control-flow", ControlFlow().ToByteArray()),
        ("data-sized", DataSized().ToByteArray()),
        ("encodings", Encodings().ToByteArray()),
    ];

    private static float[] Floats(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
    }

    private static TensorProto Int64s(string name, long[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Int64 };
        t.Dims.AddRange(dims.Length == 0 && values.Length != 1 ? [values.Length] : dims);
        t.Int64Data.AddRange(values);
        return t;
    }

    private static TensorProto RawFloats(string name, float[] values, params long[] dims) =>
        RawTensor(name, DataType.Float, values.SelectMany(BitConverter.GetBytes).ToArray(), dims);

    private static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
    private static AttributeProto Ints(string name, params long[] v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { v } };
    private static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };
    private static AttributeProto Str(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };
    private static AttributeProto TensorAttr(string name, TensorProto t) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };
    private static AttributeProto GraphAttr(string name, GraphProto g) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = g };

    /// <summary>X[1,8] -> MatMul -> Add -> Relu -> Gemm -> Softmax.</summary>
    public static ModelProto Mlp()
    {
        var g = new GraphProto { Name = "mlp" };
        g.Input.Add(Value("X", DataType.Float, 1, 8));
        g.Output.Add(Value("Y", DataType.Float, 1, 4));
        g.Initializer.Add(RawFloats("W1", Floats(8 * 16, 1), 8, 16));
        g.Initializer.Add(FloatTensor("B1", Floats(16, 2), 16));
        g.Initializer.Add(RawFloats("W2", Floats(4 * 16, 3), 4, 16));
        g.Initializer.Add(FloatTensor("B2", Floats(4, 4), 4));
        g.Node.Add(Node("MatMul", ["X", "W1"], ["h0"], "mm"));
        g.Node.Add(Node("Add", ["h0", "B1"], ["h1"], "add"));
        g.Node.Add(Node("Relu", ["h1"], ["h2"], "relu"));
        g.Node.Add(Node("Gemm", ["h2", "W2", "B2"], ["h3"], "gemm", "", Int("transB", 1), Float("alpha", 1.5f)));
        g.Node.Add(Node("Softmax", ["h3"], ["Y"], "softmax", "", Int("axis", -1)));
        return Model(g);
    }

    /// <summary>X[1,2,8,8] -> Conv -> BatchNormalization -> Relu -> MaxPool -> AveragePool -> GlobalAveragePool -> Flatten.</summary>
    public static ModelProto Cnn()
    {
        var g = new GraphProto { Name = "cnn" };
        g.Input.Add(Value("X", DataType.Float, 1, 2, 8, 8));
        g.Output.Add(Value("Y", DataType.Float, 1, 4));
        g.Initializer.Add(RawFloats("W", Floats(4 * 2 * 3 * 3, 5), 4, 2, 3, 3));
        g.Initializer.Add(FloatTensor("B", Floats(4, 6), 4));
        g.Initializer.Add(FloatTensor("scale", [1, 2, 0.5f, 1], 4));
        g.Initializer.Add(FloatTensor("bias", [0, 0.1f, 0.2f, 0.3f], 4));
        g.Initializer.Add(FloatTensor("mean", [0, 0, 0.1f, 0], 4));
        g.Initializer.Add(FloatTensor("var", [1, 1, 2, 0.5f], 4));
        g.Node.Add(Node("Conv", ["X", "W", "B"], ["c"], "conv", "", Ints("pads", 1, 1, 1, 1), Ints("strides", 1, 1),
            Ints("kernel_shape", 3, 3), Ints("dilations", 1, 1), Int("group", 1)));
        g.Node.Add(Node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["bn"], "bn", "", Float("epsilon", 1e-5f)));
        g.Node.Add(Node("Relu", ["bn"], ["r"], "relu"));
        g.Node.Add(Node("MaxPool", ["r"], ["p"], "pool", "", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)));
        g.Node.Add(Node("AveragePool", ["p"], ["ap"], "apool", "", Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Int("count_include_pad", 0)));
        g.Node.Add(Node("GlobalAveragePool", ["ap"], ["gp"], "gap"));
        g.Node.Add(Node("Flatten", ["gp"], ["Y"], "flatten", "", Int("axis", 1)));
        return Model(g);
    }

    /// <summary>Shape arithmetic: Shape -> Gather -> Concat -> Reshape, Transpose, Slice, Pad, Tile, Expand, Squeeze/Unsqueeze.</summary>
    public static ModelProto ShapeOps()
    {
        var g = new GraphProto { Name = "shape-ops" };
        g.Input.Add(Value("X", DataType.Float, 2, 3, 4));
        g.Output.Add(Value("Y", DataType.Float));
        g.Output.Add(Value("Z", DataType.Float));
        g.Output.Add(Value("W", DataType.Float));
        g.Initializer.Add(Int64s("idx", [0], 1));
        g.Initializer.Add(Int64s("tail", [-1], 1));
        g.Initializer.Add(Int64s("starts", [0, 1], 2));
        g.Initializer.Add(Int64s("ends", [2, 3], 2));
        g.Initializer.Add(Int64s("axes", [0, 2], 2));
        g.Initializer.Add(Int64s("pads", [0, 1, 0, 0, 1, 0], 6));
        g.Initializer.Add(Int64s("reps", [1, 2, 1], 3));
        g.Initializer.Add(Int64s("eshape", [2, 1, 1], 3));
        g.Initializer.Add(Int64s("uaxes", [0], 1));
        g.Node.Add(Node("Shape", ["X"], ["s"], "shape"));
        g.Node.Add(Node("Gather", ["s", "idx"], ["n"], "gather", "", Int("axis", 0)));
        g.Node.Add(Node("Concat", ["n", "tail"], ["newshape"], "concat", "", Int("axis", 0)));
        g.Node.Add(Node("Reshape", ["X", "newshape"], ["r"], "reshape"));
        g.Node.Add(Node("Transpose", ["X"], ["t"], "transpose", "", Ints("perm", 2, 0, 1)));
        g.Node.Add(Node("Slice", ["X", "starts", "ends", "axes"], ["sl"], "slice"));
        g.Node.Add(Node("Pad", ["sl", "pads"], ["pd"], "pad", "", Str("mode", "reflect")));
        g.Node.Add(Node("Tile", ["pd", "reps"], ["tl"], "tile"));
        g.Node.Add(Node("Expand", ["tl", "eshape"], ["ex"], "expand"));
        g.Node.Add(Node("Unsqueeze", ["ex", "uaxes"], ["us"], "unsqueeze"));
        g.Node.Add(Node("Squeeze", ["us", "uaxes"], ["Y"], "squeeze"));
        g.Node.Add(Node("ReduceSum", ["t", "uaxes"], ["W"], "reducesum", "", Int("keepdims", 1)));
        g.Node.Add(Node("Mul", ["r", "r"], ["Z"], "mul"));
        return Model(g);
    }

    /// <summary>If on a reduced condition; Loop with a constant trip count carrying a sum; a Scan-free opset 17 model.</summary>
    public static ModelProto ControlFlow()
    {
        var thenG = new GraphProto { Name = "then" };
        thenG.Output.Add(Value("tv", DataType.Float, 3));
        thenG.Node.Add(Node("Add", ["X", "X"], ["tv"], "then_add"));
        var elseG = new GraphProto { Name = "else" };
        elseG.Output.Add(Value("ev", DataType.Float, 3));
        elseG.Node.Add(Node("Neg", ["X"], ["ev"], "else_neg"));

        var body = new GraphProto { Name = "body" };
        body.Input.Add(Value("i", DataType.Int64));
        body.Input.Add(Value("cond_in", DataType.Bool));
        body.Input.Add(Value("acc_in", DataType.Float, 3));
        body.Output.Add(Value("cond_out", DataType.Bool));
        body.Output.Add(Value("acc_out", DataType.Float, 3));
        body.Output.Add(Value("scan_out", DataType.Float, 3));
        body.Node.Add(Node("Identity", ["cond_in"], ["cond_out"], "body_cond"));
        body.Node.Add(Node("Add", ["acc_in", "X"], ["acc_out"], "body_add"));
        body.Node.Add(Node("Cast", ["i"], ["fi"], "body_cast", "", Int("to", (long)DataType.Float)));
        body.Node.Add(Node("Mul", ["acc_out", "fi"], ["scan_out"], "body_mul"));

        var g = new GraphProto { Name = "control-flow" };
        g.Input.Add(Value("X", DataType.Float, 3));
        g.Output.Add(Value("Y", DataType.Float, 3));
        g.Output.Add(Value("acc", DataType.Float, 3));
        g.Output.Add(Value("scans", DataType.Float, 4, 3));
        g.Initializer.Add(Int64s("M", [4]));
        g.Initializer.Add(new TensorProto { Name = "T", DataType = (int)DataType.Bool, Int32Data = { 1 } });
        g.Initializer.Add(FloatTensor("zero", [0, 0, 0], 3));
        g.Node.Add(Node("ReduceSum", ["X"], ["sum"], "sum", "", Int("keepdims", 0)));
        g.Node.Add(Node("Greater", ["sum", "zf"], ["c"], "greater"));
        g.Node.Add(Node("Constant", [], ["zf"], "zf", "", TensorAttr("value", FloatTensor("", [0f]))));
        g.Node.Add(Node("If", ["c"], ["Y"], "if", "", GraphAttr("then_branch", thenG), GraphAttr("else_branch", elseG)));
        g.Node.Add(Node("Loop", ["M", "T", "zero"], ["acc", "scans"], "loop", "", GraphAttr("body", body)));
        return Model(g);
    }

    /// <summary>Operators whose output sizes come from tensor values: ConstantOfShape, Range, Resize, TopK, OneHot, NonZero.</summary>
    public static ModelProto DataSized()
    {
        var g = new GraphProto { Name = "data-sized" };
        g.Input.Add(Value("X", DataType.Float, 1, 1, 4, 4));
        g.Output.Add(Value("A", DataType.Float));
        g.Output.Add(Value("B", DataType.Float));
        g.Output.Add(Value("C", DataType.Float));
        g.Output.Add(Value("D", DataType.Int64));
        g.Output.Add(Value("E", DataType.Float));
        g.Output.Add(Value("F", DataType.Int64));
        g.Initializer.Add(Int64s("cshape", [2, 3], 2));
        g.Initializer.Add(FloatTensor("start", [0f]));
        g.Initializer.Add(FloatTensor("limit", [5f]));
        g.Initializer.Add(FloatTensor("delta", [0.5f]));
        g.Initializer.Add(FloatTensor("scales", [1, 1, 2, 2], 4));
        g.Initializer.Add(Int64s("k", [3], 1));
        g.Initializer.Add(Int64s("hot", [0, 2, 1], 3));
        g.Initializer.Add(Int64s("depth", [4]));
        g.Initializer.Add(Int64s("onoff", [0, 1], 2));
        g.Node.Add(Node("ConstantOfShape", ["cshape"], ["A"], "cos", "", TensorAttr("value", FloatTensor("", [1.5f], 1))));
        g.Node.Add(Node("Range", ["start", "limit", "delta"], ["B"], "range"));
        g.Node.Add(Node("Resize", ["X", "", "scales"], ["C"], "resize", "", Str("mode", "linear")));
        g.Node.Add(Node("Flatten", ["X"], ["flat"], "flatten", "", Int("axis", 0)));
        g.Node.Add(Node("TopK", ["flat", "k"], ["E", "D"], "topk", "", Int("axis", -1)));
        g.Node.Add(Node("OneHot", ["hot", "depth", "onoff"], ["oh"], "onehot"));
        g.Node.Add(Node("NonZero", ["oh"], ["F"], "nonzero"));
        return Model(g);
    }

    /// <summary>Every tensor encoding: int32_data for float16/bool/int8, string_data, double_data, uint64_data, a sparse initializer, Cast and Where.</summary>
    public static ModelProto Encodings()
    {
        var g = new GraphProto { Name = "encodings" };
        g.Input.Add(Value("X", DataType.Float, 2, 3));
        g.Output.Add(Value("Y", DataType.Float, 2, 3));
        g.Output.Add(Value("S", DataType.String, 2));
        g.Output.Add(Value("U", DataType.UInt64, 2));
        var half = new TensorProto { Name = "H", DataType = (int)DataType.Float16, Dims = { 3 } };
        half.Int32Data.AddRange([0x3c00, 0x4000, 0xbc00]);
        g.Initializer.Add(half);
        g.Initializer.Add(new TensorProto { Name = "mask", DataType = (int)DataType.Bool, Dims = { 2, 3 }, Int32Data = { 1, 0, 1, 0, 1, 0 } });
        g.Initializer.Add(new TensorProto { Name = "D", DataType = (int)DataType.Double, Dims = { 3 }, DoubleData = { 1, 2, 3 } });
        g.Initializer.Add(new TensorProto { Name = "I8", DataType = (int)DataType.Int8, Dims = { 3 }, Int32Data = { -1, 2, -3 } });
        g.Initializer.Add(new TensorProto { Name = "Str", DataType = (int)DataType.String, Dims = { 2 }, StringData = { ByteString.CopyFromUtf8("a"), ByteString.CopyFromUtf8("bc") } });
        g.Initializer.Add(new TensorProto { Name = "U64", DataType = (int)DataType.UInt64, Dims = { 2 }, Uint64Data = { 1, ulong.MaxValue } });
        var sparse = new SparseTensorProto { Dims = { 2, 3 }, Values = FloatTensor("SP", [5f, 7f], 2), Indices = Int64s("", [1, 4], 2) };
        g.SparseInitializer.Add(sparse);
        g.Node.Add(Node("Cast", ["H"], ["hf"], "cast_h", "", Int("to", (long)DataType.Float)));
        g.Node.Add(Node("Cast", ["D"], ["df"], "cast_d", "", Int("to", (long)DataType.Float)));
        g.Node.Add(Node("Cast", ["I8"], ["i8f"], "cast_i8", "", Int("to", (long)DataType.Float)));
        g.Node.Add(Node("Add", ["hf", "df"], ["hd"], "add1"));
        g.Node.Add(Node("Mul", ["hd", "i8f"], ["row"], "mul"));
        g.Node.Add(Node("Add", ["X", "row"], ["xr"], "add2"));
        g.Node.Add(Node("Add", ["xr", "SP"], ["xs"], "add3"));
        g.Node.Add(Node("Where", ["mask", "xs", "X"], ["Y"], "where"));
        g.Node.Add(Node("Identity", ["Str"], ["S"], "id_s"));
        g.Node.Add(Node("Identity", ["U64"], ["U"], "id_u"));
        return Model(g);
    }
}
