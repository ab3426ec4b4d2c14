using Kerno.Graph;
using Kerno.Onnx;
using Kerno.Onnx.Proto;
using static Kerno.Tests.Onnx.ProtoBuilder;

namespace Kerno.Tests.Onnx;

public class GraphValidationTests
{
    private static KernoModelException Invalid(GraphProto g, long opset = 17) =>
        Assert.Throws<KernoModelException>(() => GraphValidator.Validate(ModelReader.Load(Model(g, opset).Bytes())))!;

    [Test]
    public void CycleIsReportedWithANodeName()
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 2));
        g.Output.Add(Value("B", DataType.Float, 2));
        g.Node.Add(Node("Add", ["X", "B"], ["A"], "first"));
        g.Node.Add(Node("Relu", ["A"], ["B"], "second"));
        var e = Invalid(g);
        Assert.That(e.Message, Does.Contain("cycle"));
        Assert.That(e.NodeName, Is.AnyOf("first", "second"));
    }

    [Test]
    public void UndefinedInputIsReported()
    {
        GraphProto g = IdentityGraph();
        g.Node[0].Input[0] = "nowhere";
        var e = Invalid(g);
        Assert.Multiple(() =>
        {
            Assert.That(e.Message, Does.Contain("'nowhere'"));
            Assert.That(e.NodeName, Is.EqualTo("id"));
        });
    }

    [Test]
    public void DuplicateOutputIsReported()
    {
        GraphProto g = IdentityGraph();
        g.Node.Add(Node("Identity", ["X"], ["Y"], "again"));
        Assert.That(Invalid(g).Message, Does.Contain("more than once"));
    }

    [Test]
    public void UnproducedGraphOutputIsReported()
    {
        GraphProto g = IdentityGraph();
        g.Output.Add(Value("Z", DataType.Float, 2));
        Assert.That(Invalid(g).Message, Does.Contain("output 'Z'"));
    }

    [Test]
    public void MissingOpsetImportIsReported()
    {
        GraphProto g = IdentityGraph();
        g.Node[0].Domain = "com.example";
        Assert.That(Invalid(g).Message, Does.Contain("com.example").And.Contain("opset_import"));
    }

    [Test]
    public void SubgraphMayReadOuterValuesButNotUndefinedOnes()
    {
        // then_branch returns the outer value X; else_branch reads a name no scope defines.
        var thenG = new GraphProto { Name = "then" };
        thenG.Output.Add(Value("T", DataType.Float, 2));
        thenG.Node.Add(Node("Identity", ["X"], ["T"], "inner"));
        var elseG = new GraphProto { Name = "else" };
        elseG.Output.Add(Value("E", DataType.Float, 2));
        elseG.Node.Add(Node("Identity", ["ghost"], ["E"], "inner2"));
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 2));
        g.Input.Add(Value("C", DataType.Bool));
        g.Output.Add(Value("Y", DataType.Float, 2));
        g.Node.Add(Node("If", ["C"], ["Y"], "branch", "",
            new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = thenG },
            new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = elseG }));
        var e = Invalid(g);
        Assert.Multiple(() =>
        {
            Assert.That(e.Message, Does.Contain("'ghost'").And.Contain("enclosing"));
            Assert.That(e.NodeName, Is.EqualTo("inner2"));
        });
    }

    [Test]
    public void TopologicalSortKeepsFileOrderAndFixesDisorder()
    {
        var a = new Node("a", "Relu", "", ["X"], ["A"]);
        var b = new Node("b", "Relu", "", ["A"], ["B"]);
        var c = new Node("c", "Relu", "", ["X"], ["C"]);
        Assert.Multiple(() =>
        {
            Assert.That(TopologicalSort.Sort([a, b, c]).Select(n => n.Name), Is.EqualTo(new[] { "a", "b", "c" }));
            Assert.That(TopologicalSort.Sort([b, c, a]).Select(n => n.Name), Is.EqualTo(new[] { "c", "a", "b" }));
        });
    }
}
