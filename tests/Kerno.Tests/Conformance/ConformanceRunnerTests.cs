using Google.Protobuf;
using Kerno.Onnx.Proto;
using Kerno.Testing;
using Kerno.Tests.Onnx;
using static Kerno.Tests.Onnx.ProtoBuilder;

namespace Kerno.Tests.Conformance;

public class ConformanceRunnerTests
{
    /// <summary>Writes a test folder: model.onnx plus test_data_set_0 with X = [1, 2] and the given expected Y.</summary>
    private static string WriteTest(GraphProto graph, float[] expected, string name = "test_case")
    {
        string dir = Path.Combine(TempDir.Create(), name);
        string data = Path.Combine(dir, "test_data_set_0");
        Directory.CreateDirectory(data);
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), Model(graph).Bytes());
        File.WriteAllBytes(Path.Combine(data, "input_0.pb"), FloatTensor("X", [1, 2], 2).ToByteArray());
        File.WriteAllBytes(Path.Combine(data, "output_0.pb"), FloatTensor("Y", expected, expected.Length).ToByteArray());
        return dir;
    }

    [Test]
    public void PassFailAndSkipAreTold()
    {
        var runner = new ConformanceRunner();
        GraphProto unsupported = IdentityGraph();
        unsupported.Node[0].OpType = "NotAnOp";
        Assert.Multiple(() =>
        {
            Assert.That(runner.Run(WriteTest(IdentityGraph(), [1, 2])).Status, Is.EqualTo(ConformanceStatus.Pass));
            ConformanceResult fail = runner.Run(WriteTest(IdentityGraph(), [1, 2.5f]));
            Assert.That(fail.Status, Is.EqualTo(ConformanceStatus.Fail));
            Assert.That(fail.Message, Does.Contain("element [1] is 2, expected 2.5"));
            Assert.That(fail.MaxAbsError, Is.EqualTo(0.5).Within(1e-9));
            ConformanceResult skip = runner.Run(WriteTest(unsupported, [1, 2]));
            Assert.That(skip.Status, Is.EqualTo(ConformanceStatus.Skip));
            Assert.That(skip.Message, Does.Contain("NotAnOp"));
        });
    }

    [Test]
    public void ShapeMismatchFails() =>
        Assert.That(new ConformanceRunner().Run(WriteTest(IdentityGraph(), [1, 2, 3])).Message, Does.Contain("shape [2], expected [3]"));

    [Test]
    public void ToleranceFollowsOnnxRule()
    {
        var loose = new ConformanceRunner(new ConformanceOptions { Rtol = 0.3, Atol = 0 });
        Assert.That(loose.Run(WriteTest(IdentityGraph(), [1, 2.5f])).Status, Is.EqualTo(ConformanceStatus.Pass));
    }

    [Test]
    public void EndlessLoopTimesOutInsteadOfHanging()
    {
        // Loop with neither trip count nor condition runs forever; the runner must give up and move on.
        var body = new GraphProto { Name = "body" };
        body.Input.Add(Value("i", DataType.Int64));
        body.Input.Add(Value("c", DataType.Bool));
        body.Input.Add(Value("v", DataType.Float, 2));
        body.Output.Add(Value("c_out", DataType.Bool));
        body.Output.Add(Value("v_out", DataType.Float, 2));
        body.Node.Add(Node("Identity", ["c"], ["c_out"]));
        body.Node.Add(Node("Identity", ["v"], ["v_out"]));
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 2));
        g.Output.Add(Value("Y", DataType.Float, 2));
        g.Node.Add(Node("Loop", ["", "", "X"], ["Y"], "forever", "",
            new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body }));
        var runner = new ConformanceRunner(new ConformanceOptions { Timeout = TimeSpan.FromMilliseconds(500) });
        ConformanceResult r = runner.Run(WriteTest(g, [1, 2]));
        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(ConformanceStatus.Fail));
            Assert.That(r.Message, Does.Contain("timed out"));
            Assert.That(r.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        });
    }

    [Test]
    public void CorruptModelFailsWithoutCrashing()
    {
        string dir = WriteTest(IdentityGraph(), [1, 2]);
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), [0x0a, 0xff, 0xff]);
        ConformanceResult r = new ConformanceRunner().Run(dir);
        Assert.Multiple(() =>
        {
            Assert.That(r.Status, Is.EqualTo(ConformanceStatus.Fail));
            Assert.That(r.Message, Does.StartWith("load:"));
        });
    }

    [Test]
    public void FolderOfTestsIsFilteredAndSorted()
    {
        string parent = Path.GetDirectoryName(WriteTest(IdentityGraph(), [1, 2], "test_b"))!;
        var runner = new ConformanceRunner(new ConformanceOptions { Filter = new System.Text.RegularExpressions.Regex("_b$") });
        Assert.Multiple(() =>
        {
            Assert.That(runner.FindTests(parent).Select(Path.GetFileName), Is.EqualTo(new[] { "test_b" }));
            Assert.That(runner.FindTests(Path.Combine(parent, "test_b")), Has.Count.EqualTo(1));
        });
    }
}
