using Kerno.Reference;
using Kerno.Testing;
using Kerno.Tests.Onnx;
using static Kerno.Tests.Onnx.ProtoBuilder;

namespace Kerno.Tests.Conformance;

/// <summary>The Tier 1 rule the conformance tests apply (<see cref="Tier1"/>) catches what it should.</summary>
public class Tier1Tests
{
    private static ConformanceResult Result(ConformanceStatus status, string path = "", params string[] unsupported) =>
        new("test_x", path, status, "why", 0, 0, TimeSpan.Zero, unsupported);

    [Test]
    public void EveryTier1OpHasAReferenceKernel()
    {
        var missing = Tier1.Ops.Where(op => ReferenceOps.Find("", op, 23) is null).ToList();
        Assert.That(missing, Is.Empty);
    }

    [Test]
    public void SkipsMustNameAnUnsupportedOpOutsideTier1()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Tier1.Violations([Result(ConformanceStatus.Skip, "", "ai.onnx.ml.LabelEncoder (opset 4)")], _ => false), Is.Empty);
            Assert.That(Tier1.Violations([Result(ConformanceStatus.Skip, "", "StringSplit (opset 20)")], _ => false), Is.Empty);
            Assert.That(Tier1.Violations([Result(ConformanceStatus.Skip, "", "Resize (opset 10)")], _ => false), Has.Count.EqualTo(1));
            Assert.That(Tier1.Violations([Result(ConformanceStatus.Skip)], _ => false), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void FailingTier1TestMustBeListed()
    {
        string dir = TempDir.Create();
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), Model(IdentityGraph()).Bytes());
        Assert.Multiple(() =>
        {
            Assert.That(Tier1.Violations([Result(ConformanceStatus.Fail, dir)], _ => false), Has.Count.EqualTo(1));
            Assert.That(Tier1.Violations([Result(ConformanceStatus.Fail, dir)], name => name == "test_x"), Is.Empty);
            Assert.That(Tier1.Violations([Result(ConformanceStatus.Pass, dir)], _ => false), Is.Empty);
        });
    }
}
