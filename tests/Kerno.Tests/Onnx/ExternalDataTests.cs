using Kerno.Onnx;
using Kerno.Onnx.Proto;
using static Kerno.Tests.Onnx.ProtoBuilder;

namespace Kerno.Tests.Onnx;

public class ExternalDataTests
{
    /// <summary>Writes a model whose initializer W (float[2]) lives in external data at <paramref name="location"/>.</summary>
    private static string WriteModel(string dir, string location, long offset = 0, long? length = null)
    {
        var w = new TensorProto { Name = "W", DataType = (int)DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        w.Dims.Add(2);
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
        if (length is { } l)
            w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = l.ToString() });
        GraphProto g = IdentityGraph();
        g.Initializer.Add(w);
        string path = Path.Combine(dir, "model.onnx");
        File.WriteAllBytes(path, Model(g).Bytes());
        return path;
    }

    private static byte[] TwoFloats(float a, float b) => BitConverter.GetBytes(a).Concat(BitConverter.GetBytes(b)).ToArray();

    [Test]
    public void ReadsDataNextToTheModel()
    {
        string dir = TempDir.Create();
        Directory.CreateDirectory(Path.Combine(dir, "weights"));
        File.WriteAllBytes(Path.Combine(dir, "weights", "w.bin"), new byte[4].Concat(TwoFloats(1, 2)).ToArray());
        var model = ModelReader.Load(WriteModel(dir, "weights/w.bin", offset: 4, length: 8));
        Assert.That(((Tensor<float>)model.Graph.Initializers["W"]).Span.ToArray(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void DotDotEscapeIsRejected()
    {
        string dir = TempDir.Create();
        File.WriteAllBytes(Path.Combine(dir, "..", "outside.bin"), TwoFloats(1, 2));
        var e = Assert.Throws<KernoModelException>(() => ModelReader.Load(WriteModel(dir, "../outside.bin")))!;
        Assert.That(e.Message, Does.Contain("'W'").And.Contain(".."));
    }

    [Test]
    public void AbsolutePathIsRejected()
    {
        string dir = TempDir.Create();
        string outside = Path.Combine(TempDir.Create(), "w.bin");
        File.WriteAllBytes(outside, TwoFloats(1, 2));
        var e = Assert.Throws<KernoModelException>(() => ModelReader.Load(WriteModel(dir, outside)))!;
        Assert.That(e.Message, Does.Contain("absolute"));
    }

    [Test]
    public void SymlinkEscapingTheFolderIsRejected()
    {
        string dir = TempDir.Create();
        string outsideDir = TempDir.Create();
        File.WriteAllBytes(Path.Combine(outsideDir, "secret.bin"), TwoFloats(1, 2));
        File.CreateSymbolicLink(Path.Combine(dir, "w.bin"), Path.Combine(outsideDir, "secret.bin"));
        Directory.CreateSymbolicLink(Path.Combine(dir, "sub"), outsideDir);
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<KernoModelException>(() => ModelReader.Load(WriteModel(dir, "w.bin")))!.Message, Does.Contain("outside the model's folder"));
            Assert.That(Assert.Throws<KernoModelException>(() => ModelReader.Load(WriteModel(dir, "sub/secret.bin")))!.Message, Does.Contain("outside the model's folder"));
        });
    }

    [Test]
    public void SymlinkInsideTheFolderIsAllowed()
    {
        string dir = TempDir.Create();
        File.WriteAllBytes(Path.Combine(dir, "real.bin"), TwoFloats(3, 4));
        File.CreateSymbolicLink(Path.Combine(dir, "w.bin"), "real.bin");
        var model = ModelReader.Load(WriteModel(dir, "w.bin"));
        Assert.That(((Tensor<float>)model.Graph.Initializers["W"])[1], Is.EqualTo(4f));
    }

    [Test]
    public void RangeOutsideTheFileIsRejected()
    {
        string dir = TempDir.Create();
        File.WriteAllBytes(Path.Combine(dir, "w.bin"), TwoFloats(1, 2));
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<KernoModelException>(() => ModelReader.Load(WriteModel(dir, "w.bin", offset: 4)))!.Message, Does.Contain("outside"));
            Assert.That(Assert.Throws<KernoModelException>(() => ModelReader.Load(WriteModel(dir, "w.bin", length: 4)))!.Message, Does.Contain("length 4"));
            Assert.That(Assert.Throws<KernoModelException>(() => ModelReader.Load(WriteModel(dir, "missing.bin")))!.Message, Does.Contain("does not exist"));
        });
    }

    [Test]
    public void ModelFromMemoryCannotUseExternalData()
    {
        string dir = TempDir.Create();
        byte[] bytes = File.ReadAllBytes(WriteModel(dir, "w.bin"));
        Assert.That(Assert.Throws<KernoModelException>(() => ModelReader.Load(bytes))!.Message, Does.Contain("file path"));
    }
}
