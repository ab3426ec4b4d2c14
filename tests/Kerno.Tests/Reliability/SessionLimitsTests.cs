using Google.Protobuf;
using Kerno.Onnx;
using Kerno.Onnx.Proto;
using static Kerno.Tests.Onnx.ProtoBuilder;

namespace Kerno.Tests.Reliability;

/// <summary>
/// The hostile-input limits of <see cref="SessionOptions"/>: their defaults are the documented safe values
/// (docs/SECURITY.md) and each one, set lower, is enforced through <see cref="InferenceSession"/> itself, from a
/// byte array, a stream and a file, before the work it bounds is done.
/// </summary>
[Category("Reliability")]
public class SessionLimitsTests
{
    [Test]
    public void DefaultsAreTheDocumentedSafeValues()
    {
        var o = new SessionOptions();
        Assert.Multiple(() =>
        {
            Assert.That(o.MaxModelBytes, Is.EqualTo(int.MaxValue).And.EqualTo(ModelLimits.Default.MaxModelBytes));
            Assert.That(o.MaxTensorElements, Is.EqualTo(1L << 30).And.EqualTo(ModelLimits.Default.MaxTensorElements));
            Assert.That(o.MaxNodes, Is.EqualTo(1_000_000).And.EqualTo(ModelLimits.Default.MaxNodes));
            Assert.That(o.MaxSubgraphDepth, Is.EqualTo(32).And.EqualTo(ModelLimits.Default.MaxSubgraphDepth));
        });
    }

    private static byte[] Chain(int nodes)
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 2));
        g.Output.Add(Value($"v{nodes}", DataType.Float, 2));
        for (int i = 0; i < nodes; ++i)
            g.Node.Add(Node("Identity", [i == 0 ? "X" : $"v{i}"], [$"v{i + 1}"]));
        return Model(g).ToByteArray();
    }

    [Test]
    public void MaxModelBytesIsEnforcedForBytesStreamsAndFiles()
    {
        byte[] model = Chain(3);
        var options = new SessionOptions { MaxModelBytes = model.Length - 1 };
        string path = Path.Combine(Onnx.TempDir.Create(), "m.onnx");
        File.WriteAllBytes(path, model);
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<KernoModelException>(() => new InferenceSession(model, options))!.Message, Does.Contain("MaxModelBytes"));
            Assert.That(Assert.Throws<KernoModelException>(() => new InferenceSession(new MemoryStream(model), options))!.Message, Does.Contain("MaxModelBytes"));
            Assert.That(Assert.Throws<KernoModelException>(() => new InferenceSession(path, options))!.Message, Does.Contain("MaxModelBytes"));
            Assert.DoesNotThrow(() => new InferenceSession(model, new SessionOptions { MaxModelBytes = model.Length }).Dispose());
        });
    }

    /// <summary>A stream that cannot seek and never ends: the limit stops reading it.</summary>
    private sealed class EndlessStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) { Array.Fill(buffer, (byte)0x0a, offset, count); return count; }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Test]
    public void AnEndlessStreamStopsAtMaxModelBytes() =>
        Assert.That(Assert.Throws<KernoModelException>(() => new InferenceSession(new EndlessStream(), new SessionOptions { MaxModelBytes = 1 << 20 }))!.Message,
            Does.Contain("MaxModelBytes"));

    [Test]
    public void MaxNodesIsEnforced()
    {
        Assert.That(Assert.Throws<KernoModelException>(() => new InferenceSession(Chain(50), new SessionOptions { MaxNodes = 49 }))!.Message, Does.Contain("MaxNodes"));
        Assert.DoesNotThrow(() => new InferenceSession(Chain(50), new SessionOptions { MaxNodes = 50 }).Dispose());
    }

    [Test]
    public void MaxSubgraphDepthIsEnforced()
    {
        GraphProto inner = IdentityGraph();
        for (int i = 0; i < 5; ++i)
        {
            var outer = new GraphProto { Name = $"level{i}" };
            outer.Input.Add(Value("c", DataType.Bool));
            outer.Output.Add(Value("Y", DataType.Float, 2));
            outer.Node.Add(Node("If", ["c"], ["Y"], $"if{i}", "",
                new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = inner },
                new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = inner }));
            inner = outer;
        }
        byte[] model = Model(inner).ToByteArray();
        Assert.That(Assert.Throws<KernoModelException>(() => new InferenceSession(model, new SessionOptions { MaxSubgraphDepth = 4 }))!.Message,
            Does.Contain("MaxSubgraphDepth"));
    }

    [Test]
    public void MaxTensorElementsIsEnforcedOnInitializersInferredShapesAndInputs()
    {
        var options = new SessionOptions { MaxTensorElements = 100 };
        GraphProto g = IdentityGraph();
        g.Initializer.Add(FloatTensor("W", new float[101], 101));
        Assert.That(Assert.Throws<KernoModelException>(() => new InferenceSession(Model(g).ToByteArray(), options))!.Message, Does.Contain("MaxTensorElements"));

        var big = new GraphProto { Name = "g" };
        big.Input.Add(SymbolicValue("X", DataType.Float, "N"));
        big.Output.Add(Value("Y", DataType.Float));
        big.Node.Add(Node("Identity", ["X"], ["Y"]));
        using var s = new InferenceSession(Model(big).ToByteArray(), options);
        Assert.That(Assert.Throws<ArgumentException>(() => s.Run(new Dictionary<string, Tensor> { ["X"] = new Tensor<float>([101]) }))!.Message,
            Does.Contain("MaxTensorElements"));
    }
}
