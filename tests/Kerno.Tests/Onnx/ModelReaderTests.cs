using Google.Protobuf;
using Kerno.Onnx;
using Kerno.Onnx.Proto;
using static Kerno.Tests.Onnx.ProtoBuilder;

namespace Kerno.Tests.Onnx;

public class ModelReaderTests
{
    private static KernoModelException LoadFails(ModelProto m, ModelLimits? limits = null) =>
        Assert.Throws<KernoModelException>(() => ModelReader.Load(m.Bytes(), null, limits))!;

    [Test]
    public void LoadsAMinimalModel()
    {
        var model = ModelReader.Load(Model(IdentityGraph()).Bytes());
        Assert.Multiple(() =>
        {
            Assert.That(model.Graph.Nodes, Has.Count.EqualTo(1));
            Assert.That(model.Graph.Nodes[0].OpType, Is.EqualTo("Identity"));
            Assert.That(model.Opset(""), Is.EqualTo(17));
            Assert.That(model.Graph.Inputs[0].Type!.ToString(), Is.EqualTo("tensor(float)[2]"));
        });
    }

    [Test]
    public void TruncatedFileIsAModelError()
    {
        byte[] bytes = Model(IdentityGraph()).Bytes();
        for (int cut = 1; cut < bytes.Length; cut += 3)
        {
            try
            {
                ModelReader.Load(bytes.AsMemory(0, cut));
            }
            catch (KernoModelException)
            {
                // The expected outcome; a prefix that happens to parse is fine too.
            }
        }
        Assert.Throws<KernoModelException>(() => ModelReader.Load(bytes.AsMemory(0, bytes.Length / 2)));
    }

    [Test]
    public void GarbageAndEmptyInputAreModelErrors()
    {
        Assert.Throws<KernoModelException>(() => ModelReader.Load(new byte[] { 0xff, 0xff, 0xff, 0xff, 0x0f }));
        Assert.Throws<KernoModelException>(() => ModelReader.Load(Array.Empty<byte>()));
        Assert.Throws<KernoModelException>(() => ModelReader.Load("/nonexistent/model.onnx"));
    }

    [Test]
    public void RawDataOfTheWrongSizeNamesTheInitializer()
    {
        GraphProto g = IdentityGraph();
        g.Initializer.Add(RawTensor("W", DataType.Float, new byte[7], 2)); // float[2] needs 8 bytes
        var e = LoadFails(Model(g));
        Assert.That(e.Message, Does.Contain("'W'").And.Contain("7 bytes").And.Contain("needs 8"));
    }

    [Test]
    public void TypedDataOfTheWrongCountIsRejected()
    {
        GraphProto g = IdentityGraph();
        g.Initializer.Add(FloatTensor("W", [1, 2, 3], 2, 2));
        Assert.That(LoadFails(Model(g)).Message, Does.Contain("float_data has 3 values"));
    }

    [Test]
    public void NegativeDimensionIsRejected()
    {
        GraphProto g = IdentityGraph();
        g.Initializer.Add(FloatTensor("W", [], -1));
        Assert.That(LoadFails(Model(g)).Message, Does.Contain("negative dimension"));
    }

    [Test]
    public void AbsurdShapeProductIsRejectedWithoutAllocating()
    {
        GraphProto g = IdentityGraph();
        g.Initializer.Add(RawTensor("W", DataType.Float, new byte[8], 1L << 31, 1L << 31, 1L << 31));
        Assert.That(LoadFails(Model(g)).Message, Does.Contain("'W'"));
        GraphProto g2 = IdentityGraph();
        g2.Initializer.Add(RawTensor("W", DataType.Float, new byte[8], 1 << 20, 1 << 20));
        Assert.That(LoadFails(Model(g2)).Message, Does.Contain("MaxTensorElements"));
    }

    [Test]
    public void UnknownDataTypeIsRejected()
    {
        GraphProto g = IdentityGraph();
        g.Initializer.Add(RawTensor("W", (DataType)99, new byte[4], 1));
        Assert.That(LoadFails(Model(g)).Message, Does.Contain("unknown or missing data type"));
    }

    [Test]
    public void ModelWithoutGraphIsRejected() =>
        Assert.That(LoadFails(new ModelProto { IrVersion = 8 }).Message, Does.Contain("no graph"));

    [Test]
    public void LimitsAreEnforced()
    {
        GraphProto g = IdentityGraph();
        g.Node.Add(Node("Identity", ["Y"], ["Z"]));
        Assert.That(LoadFails(Model(g), new ModelLimits { MaxNodes = 1 }).Message, Does.Contain("MaxNodes"));
        Assert.That(LoadFails(Model(IdentityGraph()), new ModelLimits { MaxModelBytes = 10 }).Message, Does.Contain("MaxModelBytes"));

        // If inside If inside If: depth 3.
        GraphProto inner = IdentityGraph();
        for (int i = 0; i < 3; ++i)
        {
            var outer = new GraphProto { Name = $"level{i}" };
            outer.Node.Add(Node("If", ["c"], ["Y"], $"if{i}", "", new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = inner }));
            inner = outer;
        }
        Assert.That(LoadFails(Model(inner), new ModelLimits { MaxSubgraphDepth = 2 }).Message, Does.Contain("MaxSubgraphDepth"));
    }

    [Test]
    public void StreamAndPathLoadAgree()
    {
        string dir = TempDir.Create();
        string path = Path.Combine(dir, "m.onnx");
        File.WriteAllBytes(path, Model(IdentityGraph()).Bytes());
        using var stream = File.OpenRead(path);
        Assert.Multiple(() =>
        {
            Assert.That(ModelReader.Load(stream).Graph.Nodes, Has.Count.EqualTo(1));
            Assert.That(ModelReader.Load(path).BaseDirectory, Is.EqualTo(dir));
        });
    }

    [Test]
    public void AttributesOfEveryKindAreRead()
    {
        GraphProto g = IdentityGraph();
        var attrs = new[]
        {
            new AttributeProto { Name = "f", Type = AttributeProto.Types.AttributeType.Float, F = 1.5f },
            new AttributeProto { Name = "i", Type = AttributeProto.Types.AttributeType.Int, I = 7 },
            new AttributeProto { Name = "s", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("hé") },
            new AttributeProto { Name = "ints", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 2 } },
            new AttributeProto { Name = "t", Type = AttributeProto.Types.AttributeType.Tensor, T = FloatTensor("", [3], 1) },
            new AttributeProto { Name = "old" , Floats = { 0.5f } }, // IR 1 style: no type field
        };
        g.Node[0].Attribute.AddRange(attrs);
        var node = ModelReader.Load(Model(g).Bytes()).Graph.Nodes[0];
        Assert.Multiple(() =>
        {
            Assert.That(node.GetFloat("f"), Is.EqualTo(1.5f));
            Assert.That(node.GetInt("i"), Is.EqualTo(7));
            Assert.That(node.GetString("s"), Is.EqualTo("hé"));
            Assert.That(node.GetInts("ints"), Is.EqualTo(new long[] { 1, 2 }));
            Assert.That(((Tensor<float>)node.GetTensor("t")!)[0], Is.EqualTo(3f));
            Assert.That(node.GetFloats("old"), Is.EqualTo(new[] { 0.5f }));
        });
    }
}
