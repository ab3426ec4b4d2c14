using Google.Protobuf;
using Kerno.Onnx.Proto;
using static Kerno.Tests.Onnx.ProtoBuilder;

namespace Kerno.Tests.Reliability;

/// <summary>
/// One test per bug the corruption test and the fuzzers found: the minimal model that triggered it, and the
/// outcome now promised (a <see cref="KernoModelException"/>, never another exception type).
/// </summary>
[Category("Reliability")]
public class HostileInputRegressionTests
{
    private static AttributeProto Ints(string name, params long[] v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { v } };

    private static byte[] ConvModel(long[] strides, long[] pads, bool knownSpatial, long[]? dilations = null, string op = "Conv")
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(knownSpatial ? Value("X", DataType.Float, 1, 1, 5, 5) : SymbolicValue("X", DataType.Float, "N", "C", "H", "W"));
        g.Output.Add(Value("Y", DataType.Float));
        g.Initializer.Add(FloatTensor("W", new float[9], 1, 1, 3, 3));
        var attrs = new List<AttributeProto> { Ints("strides", strides), Ints("pads", pads), Ints("kernel_shape", 3, 3) };
        if (dilations is not null)
            attrs.Add(Ints("dilations", dilations));
        g.Node.Add(Node(op, op == "Conv" ? ["X", "W"] : ["X"], ["Y"], "c", "", attrs.ToArray()));
        return Model(g).ToByteArray();
    }

    /// <summary>Found by the corruption test (UltraFace RFB-320 simplified, a Conv stride varint set to 0):
    /// shape inference divided by zero and a DivideByZeroException escaped session creation. Inference is
    /// advisory (it leaves the shape unknown); the kernel refuses the geometry when the model runs.</summary>
    [Test]
    public void ConvWithZeroStrideIsAModelError()
    {
        using var s = new InferenceSession(ConvModel([0, 1], [1, 1, 1, 1], knownSpatial: true));
        var e = Assert.Throws<KernoModelException>(() => s.Run(new Dictionary<string, Tensor> { ["X"] = new Tensor<float>([1, 1, 5, 5]) }))!;
        Assert.That(e.Message, Does.Contain("stride 0"));
    }

    [TestCase(new long[] { 1, 0 }, new long[] { 0, 0, 0, 0 }, null, "Conv")]
    [TestCase(new long[] { 1, 1 }, new long[] { -1, 0, 0, 0 }, null, "Conv")]
    [TestCase(new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, new long[] { 0, 1 }, "Conv")]
    [TestCase(new long[] { 0, 1 }, new long[] { 0, 0, 0, 0 }, null, "MaxPool")]
    [TestCase(new long[] { 1, 1 }, new long[] { 0, 0, -5, 0 }, null, "AveragePool")]
    [TestCase(new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, new long[] { 1L << 30, 4 }, "MaxPool")]
    public void BadWindowGeometryIsAModelError(long[] strides, long[] pads, long[]? dilations, string op)
    {
        foreach (bool known in new[] { true, false })
        {
            using var s = new InferenceSession(ConvModel(strides, pads, known, dilations, op));
            var e = Assert.Throws<KernoModelException>(() => s.Run(new Dictionary<string, Tensor> { ["X"] = new Tensor<float>([1, 1, 5, 5]) }))!;
            Assert.That(e.InnerException, Is.Null, e.ToString());
        }
    }

    /// <summary>Found by the fuzz loop in the Soak run (reported as a hang): a linear Resize whose scales make the
    /// output far too large filtered the inner axes first, and those intermediates (up to 16M elements, under
    /// the limit) took tens of seconds before the last axis was refused. The output size is now checked first.</summary>
    [TestCase(ExecutionBackend.Reference)]
    [TestCase(ExecutionBackend.Native)]
    public void ResizeRefusesAnOversizedOutputBeforeFiltering(ExecutionBackend backend)
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 1, 1, 4, 4));
        g.Input.Add(Value("scales", DataType.Float, 4));
        g.Output.Add(Value("Y", DataType.Float));
        g.Node.Add(Node("Resize", ["X", "", "scales"], ["Y"], "resize", "",
            new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("linear") }));
        var options = ModelProbe.Options(backend);
        using var s = new InferenceSession(Model(g, 19).ToByteArray(), options);
        var feed = new Dictionary<string, Tensor> { ["X"] = new Tensor<float>([1, 1, 4, 4]), ["scales"] = Tensor.Vector(100f, 260f, 100f, 40f) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<KernoModelException>(() => s.Run(feed))!;
        Assert.Multiple(() =>
        {
            Assert.That(e.Message, Does.Contain("MaxTensorElements").Or.Contain("elements"));
            // Filtering [1,260,400,160] first took 12 s on the reference backend (a quiet machine); refusing takes milliseconds.
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        });
    }

    /// <summary>Found in review: typed fields (float_data, string_data, ...) were counted only after the tensor
    /// was allocated, so 20 bytes claiming dims [2^30] allocated 4 GiB (8 GiB of references for strings) first.</summary>
    [TestCase(DataType.Float)]
    [TestCase(DataType.String)]
    [TestCase(DataType.Int64)]
    public void TypedDataClaimingAHugeShapeIsRejectedBeforeAllocating(DataType type)
    {
        GraphProto g = IdentityGraph();
        g.Initializer.Add(new TensorProto { Name = "W", DataType = (int)type, Dims = { 1L << 30 } });
        byte[] bytes = Model(g).ToByteArray();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<KernoModelException>(() => Kerno.Onnx.ModelReader.Load(bytes));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(16 << 20));
    }

    /// <summary>Found in review: MaxTensorElements bounded declared and inferred shapes only; sizes that come
    /// from tensor values at run time (ConstantOfShape, Range, Tile, ...) could allocate up to 2^31 elements.</summary>
    [Test]
    public void SizesComputedAtRunTimeAreBoundedByMaxTensorElements()
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("S", DataType.Int64, 2));
        g.Input.Add(Value("L", DataType.Float));
        g.Output.Add(Value("Y", DataType.Float));
        g.Output.Add(Value("R", DataType.Float));
        g.Initializer.Add(FloatTensor("zero", [0f]));
        g.Initializer.Add(FloatTensor("one", [1f]));
        g.Node.Add(Node("ConstantOfShape", ["S"], ["Y"], "cos"));
        g.Node.Add(Node("Range", ["zero", "L", "one"], ["R"], "range"));
        var options = new SessionOptions { MaxTensorElements = 10_000 };
        using var s = new InferenceSession(Model(g).ToByteArray(), options);
        Dictionary<string, Tensor> Feed(long a, long b, float limit) => new()
        {
            ["S"] = Tensor.Vector(a, b),
            ["L"] = Tensor.Scalar(limit),
        };
        Assert.That(s.Run(Feed(100, 100, 10_000))[0].AsTensor().Length, Is.EqualTo(10_000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e1 = Assert.Throws<KernoModelException>(() => s.Run(Feed(40_000, 50_000, 5)))!;
        var e2 = Assert.Throws<KernoModelException>(() => s.Run(Feed(1, 1, 2e9f)))!;
        Assert.Multiple(() =>
        {
            Assert.That(e1.Message, Does.Contain("MaxTensorElements"));
            Assert.That(e2.Message, Does.Contain("MaxTensorElements"));
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(16 << 20));
        });
        // The cap belongs to the run: outside it, tensors of any size can be created again.
        Assert.That(new Tensor<byte>([20_000]).Length, Is.EqualTo(20_000));
    }
}
