using System.Text;
using Kerno.Graph;
using Kerno.Onnx.Proto;

namespace Kerno.Onnx;

/// <summary>Converts GraphProto/NodeProto/AttributeProto/FunctionProto into Kerno's graph IR, enforcing the load limits.</summary>
internal sealed class GraphConverter
{
    private readonly LoadContext context;

    public GraphConverter(LoadContext context) => this.context = context;

    public ComputeGraph Graph(GraphProto proto, ComputeGraph? parent, int depth)
    {
        if (depth > context.Limits.MaxSubgraphDepth)
            throw new KernoModelException($"graph '{proto.Name}': subgraphs nest deeper than {context.Limits.MaxSubgraphDepth} (MaxSubgraphDepth)");
        var graph = new ComputeGraph { Name = proto.Name, Parent = parent, DocString = NullIfEmpty(proto.DocString) };
        string where = parent is null ? "" : $" in subgraph '{proto.Name}'";
        foreach (TensorProto t in proto.Initializer)
            AddInitializer(graph, t.Name, () => TensorReader.ToTensor(t, $"initializer '{t.Name}'{where}", context), where);
        foreach (SparseTensorProto s in proto.SparseInitializer)
        {
            string name = s.Values?.Name ?? "";
            AddInitializer(graph, name, () => SparseTensors.ToDense(s, $"sparse initializer '{name}'{where}", context), where);
        }
        foreach (ValueInfoProto v in proto.Input)
            graph.Inputs.Add(ValueInfo(v, "input"));
        foreach (ValueInfoProto v in proto.Output)
            graph.Outputs.Add(ValueInfo(v, "output"));
        foreach (ValueInfoProto v in proto.ValueInfo)
            if (TypeConverter.Convert(v.Type, $"value_info '{v.Name}'") is { } type)
                graph.ValueTypes[v.Name] = type;
        foreach (ValueInfo v in graph.Inputs.Concat(graph.Outputs))
            if (v.Type is not null)
                graph.ValueTypes[v.Name] = v.Type;
        for (int i = 0; i < proto.Node.Count; ++i)
            graph.Nodes.Add(Node(proto.Node[i], i, graph, depth));
        return graph;
    }

    private static void AddInitializer(ComputeGraph graph, string name, Func<Tensor> read, string where)
    {
        if (string.IsNullOrEmpty(name))
            throw new KernoModelException($"an initializer{where} has no name");
        if (graph.Initializers.ContainsKey(name))
            throw new KernoModelException($"initializer '{name}'{where} is defined twice");
        graph.Initializers[name] = read();
    }

    private static ValueInfo ValueInfo(ValueInfoProto v, string role)
    {
        if (string.IsNullOrEmpty(v.Name))
            throw new KernoModelException($"a graph {role} has no name");
        return new ValueInfo(v.Name, TypeConverter.Convert(v.Type, $"graph {role} '{v.Name}'"), NullIfEmpty(v.DocString));
    }

    public Node Node(NodeProto proto, int index, ComputeGraph? owner, int depth)
    {
        if (++context.NodeCount > context.Limits.MaxNodes)
            throw new KernoModelException($"the model has more than {context.Limits.MaxNodes} nodes (MaxNodes)");
        string label = string.IsNullOrEmpty(proto.Name) ? $"node #{index} ({proto.OpType})" : $"node '{proto.Name}' ({proto.OpType})";
        if (string.IsNullOrEmpty(proto.OpType))
            throw new KernoModelException($"{label}: has no op_type");
        var attributes = new List<AttributeValue>(proto.Attribute.Count);
        foreach (AttributeProto a in proto.Attribute)
            attributes.Add(Attribute(a, $"{label}: attribute '{a.Name}'", owner, depth));
        var node = new Node(proto.Name, proto.OpType, proto.Domain, proto.Input, proto.Output, attributes)
        {
            Index = index,
            DocString = NullIfEmpty(proto.DocString),
        };
        return node;
    }

    public AttributeValue Attribute(AttributeProto a, string what, ComputeGraph? owner, int depth)
    {
        if (string.IsNullOrEmpty(a.Name))
            throw new KernoModelException($"{what}: attribute without a name");
        AttributeKind kind = a.Type == AttributeProto.Types.AttributeType.Undefined ? GuessKind(a) : (AttributeKind)(int)a.Type;
        if (!Enum.IsDefined(kind))
            throw new KernoModelException($"{what}: unknown attribute type {(int)a.Type}");
        string? refName = NullIfEmpty(a.RefAttrName);
        if (refName is not null)
            return new AttributeValue { Name = a.Name, Kind = kind, RefAttrName = refName };
        return kind switch
        {
            AttributeKind.Float => new AttributeValue { Name = a.Name, Kind = kind, Float = a.F },
            AttributeKind.Int => new AttributeValue { Name = a.Name, Kind = kind, Int = a.I },
            AttributeKind.String => new AttributeValue { Name = a.Name, Kind = kind, String = Utf8(a.S.Span) },
            AttributeKind.Tensor => new AttributeValue { Name = a.Name, Kind = kind, Tensor = Required(a.T, what, t => TensorReader.ToTensor(t, what, context)) },
            AttributeKind.SparseTensor => new AttributeValue { Name = a.Name, Kind = kind, Tensor = Required(a.SparseTensor, what, s => SparseTensors.ToDense(s, what, context)) },
            AttributeKind.Graph => new AttributeValue { Name = a.Name, Kind = kind, Graph = Required(a.G, what, g => Graph(g, owner, depth + 1)) },
            AttributeKind.TypeProto => new AttributeValue { Name = a.Name, Kind = kind, Type = TypeConverter.Convert(a.Tp, what) },
            AttributeKind.Floats => new AttributeValue { Name = a.Name, Kind = kind, Floats = a.Floats.ToArray() },
            AttributeKind.Ints => new AttributeValue { Name = a.Name, Kind = kind, Ints = a.Ints.ToArray() },
            AttributeKind.Strings => new AttributeValue { Name = a.Name, Kind = kind, Strings = a.Strings.Select(s => Utf8(s.Span)).ToArray() },
            AttributeKind.Tensors => new AttributeValue { Name = a.Name, Kind = kind, Tensors = a.Tensors.Select((t, i) => TensorReader.ToTensor(t, $"{what}[{i}]", context)).ToArray() },
            AttributeKind.SparseTensors => new AttributeValue { Name = a.Name, Kind = kind, Tensors = a.SparseTensors.Select((t, i) => SparseTensors.ToDense(t, $"{what}[{i}]", context)).ToArray() },
            AttributeKind.Graphs => new AttributeValue { Name = a.Name, Kind = kind, Graphs = a.Graphs.Select(g => Graph(g, owner, depth + 1)).ToArray() },
            AttributeKind.TypeProtos => new AttributeValue { Name = a.Name, Kind = kind, Types = a.TypeProtos.Select(t => TypeConverter.Convert(t, what)!).ToArray() },
            _ => throw new KernoModelException($"{what}: attribute has no type"),
        };
    }

    private static T Required<TProto, T>(TProto? proto, string what, Func<TProto, T> convert) where TProto : class =>
        proto is null ? throw new KernoModelException($"{what}: value is missing") : convert(proto);

    /// <summary>IR version 1 files leave AttributeProto.type unset; infer it from the field that holds data.</summary>
    private static AttributeKind GuessKind(AttributeProto a) =>
        a.Floats.Count > 0 ? AttributeKind.Floats :
        a.Ints.Count > 0 ? AttributeKind.Ints :
        a.Strings.Count > 0 ? AttributeKind.Strings :
        a.Tensors.Count > 0 ? AttributeKind.Tensors :
        a.Graphs.Count > 0 ? AttributeKind.Graphs :
        a.T is not null ? AttributeKind.Tensor :
        a.G is not null ? AttributeKind.Graph :
        a.SparseTensor is not null ? AttributeKind.SparseTensor :
        a.Tp is not null ? AttributeKind.TypeProto :
        !a.S.IsEmpty ? AttributeKind.String :
        a.I != 0 ? AttributeKind.Int :
        a.F != 0 ? AttributeKind.Float :
        AttributeKind.Undefined;

    public FunctionDefinition Function(FunctionProto f)
    {
        string what = $"function '{f.Domain}.{f.Name}'";
        var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (OperatorSetIdProto o in f.OpsetImport)
            opsets[o.Domain == "ai.onnx" ? "" : o.Domain] = o.Version;
        return new FunctionDefinition
        {
            Name = f.Name,
            Domain = f.Domain == "ai.onnx" ? "" : f.Domain,
            Inputs = f.Input.ToList(),
            Outputs = f.Output.ToList(),
            AttributeNames = f.Attribute.Concat(f.AttributeProto.Select(a => a.Name)).ToList(),
            AttributeDefaults = f.AttributeProto.Select(a => Attribute(a, $"{what}: attribute '{a.Name}'", null, 0)).ToList(),
            Body = f.Node.Select((n, i) => Node(n, i, null, 0)).ToList(),
            OpsetImports = opsets,
        };
    }

    private static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private static string? NullIfEmpty(string s) => string.IsNullOrEmpty(s) ? null : s;
}
