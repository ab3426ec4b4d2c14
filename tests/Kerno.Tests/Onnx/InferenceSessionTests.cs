using Kerno.Onnx.Proto;
using static Kerno.Tests.Onnx.ProtoBuilder;

namespace Kerno.Tests.Onnx;

public class InferenceSessionTests
{
    private static InferenceSession Identity(SessionOptions? options = null) => new(Model(IdentityGraph()).Bytes(), options);

    [Test]
    public void RunsAndReturnsNamedOutputs()
    {
        using var s = Identity();
        var x = Tensor.Vector(1f, 2f);
        var outputs = s.Run(new Dictionary<string, Tensor> { ["X"] = x });
        Assert.Multiple(() =>
        {
            Assert.That(outputs.Single().Name, Is.EqualTo("Y"));
            Assert.That(((Tensor<float>)outputs[0].AsTensor()).Span.ToArray(), Is.EqualTo(new[] { 1f, 2f }));
            Assert.That(s.Run([new NamedTensor("X", x)]).Single().Name, Is.EqualTo("Y"));
            Assert.That(s.Inputs.Single().ElementType, Is.EqualTo(DataType.Float));
            Assert.That(s.Outputs.Single().Shape!.Single().Value, Is.EqualTo(2));
        });
    }

    [Test]
    public void InputsAreCheckedWithExpectedVersusGiven()
    {
        using var s = Identity();
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentException>(() => s.Run(new Dictionary<string, Tensor> { ["Q"] = Tensor.Vector(1f, 2f) }))!.Message,
                Does.Contain("'X'").And.Contain("required"));
            Assert.That(Assert.Throws<ArgumentException>(() => s.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.Vector(1, 2) }))!.Message,
                Does.Contain("expected element type float, given int32"));
            Assert.That(Assert.Throws<ArgumentException>(() => s.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.Vector(1f, 2f, 3f) }))!.Message,
                Does.Contain("expected shape [2]").And.Contain("given [3]"));
            Assert.That(Assert.Throws<ArgumentException>(() => s.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.Vector(1f, 2f), ["Z"] = Tensor.Vector(1f) }))!.Message,
                Does.Contain("'Z' is not an input"));
        });
    }

    [Test]
    public void SymbolicDimensionsMustAgreeAndFreeDimensionsFixThem()
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(SymbolicValue("A", DataType.Float, "N"));
        g.Input.Add(SymbolicValue("B", DataType.Float, "N"));
        g.Output.Add(SymbolicValue("Y", DataType.Float, "N"));
        g.Node.Add(Node("Identity", ["A"], ["Y"]));
        byte[] bytes = Model(g).Bytes();
        using var s = new InferenceSession(bytes);
        Assert.That(Assert.Throws<ArgumentException>(() => s.Run(new Dictionary<string, Tensor> { ["A"] = Tensor.Vector(1f), ["B"] = Tensor.Vector(1f, 2f) }))!.Message,
            Does.Contain("dimension 'N'"));
        var options = new SessionOptions();
        options.FreeDimensions["N"] = 3;
        using var fixedN = new InferenceSession(bytes, options);
        Assert.Multiple(() =>
        {
            Assert.That(fixedN.Inputs[0].Shape![0].Value, Is.EqualTo(3));
            Assert.That(Assert.Throws<ArgumentException>(() => fixedN.Run(new Dictionary<string, Tensor> { ["A"] = Tensor.Vector(1f), ["B"] = Tensor.Vector(1f) }))!.Message,
                Does.Contain("expected shape [3]"));
        });
    }

    [Test]
    public void InitializerThatIsAlsoAnInputIsADefault()
    {
        GraphProto g = IdentityGraph();
        g.Input.Clear();
        g.Input.Add(Value("X", DataType.Float, 2));
        g.Initializer.Add(FloatTensor("X", [5, 6], 2));
        using var s = new InferenceSession(Model(g).Bytes());
        Assert.Multiple(() =>
        {
            Assert.That(s.Inputs, Is.Empty);
            Assert.That(s.OverridableInitializers.Single().Name, Is.EqualTo("X"));
            Assert.That(((Tensor<float>)s.Run(new Dictionary<string, Tensor>())[0].AsTensor())[0], Is.EqualTo(5f));
            Assert.That(((Tensor<float>)s.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.Vector(7f, 8f) })[0].AsTensor())[0], Is.EqualTo(7f));
        });
    }

    [Test]
    public void NativeBackendIsNotAvailableYet() =>
        Assert.That(Assert.Throws<NotSupportedException>(() => Identity(new SessionOptions { Backend = ExecutionBackend.Native }))!.Message,
            Does.Contain("native backend"));

    [Test]
    public void EveryUnsupportedOperatorIsListedOnce()
    {
        GraphProto g = IdentityGraph();
        g.Node.Add(Node("NoSuchOp", ["Y"], ["Z1"], "n1"));
        g.Node.Add(Node("NoSuchOp", ["Y"], ["Z2"], "n2"));
        g.Node.Add(Node("OtherMissing", ["Y"], ["Z3"], "n3"));
        var e = Assert.Throws<KernoModelException>(() => new InferenceSession(Model(g).Bytes()))!;
        Assert.That(e.UnsupportedOperators, Is.EqualTo(new[] { "NoSuchOp (opset 17)", "OtherMissing (opset 17)" }));
    }

    [Test]
    public void ModelLocalFunctionIsExpandedWithAttributeReferences()
    {
        // Function Twice(a) -> b: t = Identity(a); b = Constant-free pass through, with a referenced attribute ignored by Identity.
        var f = new FunctionProto { Name = "Pass", Domain = "my.fn" };
        f.Input.Add("a");
        f.Output.Add("b");
        f.Attribute.Add("unused");
        f.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        f.Node.Add(Node("Identity", ["a"], ["t"]));
        f.Node.Add(Node("Identity", ["t"], ["b"]));
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 2));
        g.Output.Add(Value("Y", DataType.Float, 2));
        g.Node.Add(Node("Pass", ["X"], ["Y"], "call", "my.fn"));
        ModelProto m = Model(g);
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "my.fn", Version = 1 });
        m.Functions.Add(f);
        using var s = new InferenceSession(m.Bytes());
        Assert.That(((Tensor<float>)s.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.Vector(3f, 4f) })[0].AsTensor())[1], Is.EqualTo(4f));
    }

    [Test]
    public void KernelExceptionsAreWrappedWithTheNode()
    {
        // SequenceAt with a position out of range fails inside the kernel.
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 2));
        g.Output.Add(Value("Y", DataType.Float, 2));
        g.Node.Add(Node("SequenceConstruct", ["X"], ["S"], "make"));
        g.Node.Add(Node("Constant", [], ["P"], "pos", "", new AttributeProto { Name = "value_int", Type = AttributeProto.Types.AttributeType.Int, I = 5 }));
        g.Node.Add(Node("SequenceAt", ["S", "P"], ["Y"], "at"));
        using var s = new InferenceSession(Model(g).Bytes());
        var e = Assert.Throws<KernoModelException>(() => s.Run(new Dictionary<string, Tensor> { ["X"] = Tensor.Vector(1f, 2f) }))!;
        Assert.That(e.NodeName, Is.EqualTo("at"));
    }
}
