using Kerno.Graph;

namespace Kerno.Tests.Optimizer;

/// <summary>Builds small graphs in code for pass tests.</summary>
internal sealed class GraphBuilder
{
    public ComputeGraph Graph { get; } = new();

    public GraphBuilder Input(string name, params long[] shape)
    {
        Graph.Inputs.Add(new ValueInfo(name, new TensorTypeInfo(DataType.Float, shape.Select(d => (Dim)d).ToList())));
        return this;
    }

    public GraphBuilder Output(string name)
    {
        Graph.Outputs.Add(new ValueInfo(name, null));
        return this;
    }

    public GraphBuilder Constant(string name, Tensor value)
    {
        Graph.Initializers[name] = value;
        return this;
    }

    public Node Node(string op, string[] inputs, string[] outputs, params AttributeValue[] attributes)
    {
        var n = new Node($"{op}_{Graph.Nodes.Count}", op, "", inputs, outputs, attributes) { Index = Graph.Nodes.Count };
        Graph.Nodes.Add(n);
        return n;
    }

    public static AttributeValue Ints(string name, params long[] v) => new() { Name = name, Kind = AttributeKind.Ints, Ints = v };
    public static AttributeValue Float(string name, float v) => new() { Name = name, Kind = AttributeKind.Float, Float = v };
}
