using Google.Protobuf;
using Kerno.Onnx.Proto;

namespace Kerno.Tests.Onnx;

/// <summary>Builds small ONNX models in memory for parser and executor tests.</summary>
internal static class ProtoBuilder
{
    public static ValueInfoProto Value(string name, DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static ValueInfoProto SymbolicValue(string name, DataType type, params string[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (string d in dims)
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static NodeProto Node(string op, string[] inputs, string[] outputs, string name = "", string domain = "", params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = name, Domain = domain };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    public static TensorProto FloatTensor(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        return t;
    }

    public static TensorProto RawTensor(string name, DataType type, byte[] raw, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>A model around <paramref name="graph"/> importing opset 17 of the default domain.</summary>
    public static ModelProto Model(GraphProto graph, long opset = 17)
    {
        var m = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "kerno-tests" };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return m;
    }

    /// <summary>Y = Identity(X) over float[2].</summary>
    public static GraphProto IdentityGraph()
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(Value("X", DataType.Float, 2));
        g.Output.Add(Value("Y", DataType.Float, 2));
        g.Node.Add(Node("Identity", ["X"], ["Y"], "id"));
        return g;
    }

    public static byte[] Bytes(this ModelProto m) => m.ToByteArray();
}
