namespace Kerno.Graph;

/// <summary>The kinds of attribute ONNX defines (values of AttributeProto.AttributeType).</summary>
public enum AttributeKind
{
#pragma warning disable CS1591 // ONNX's names
    Undefined = 0,
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Graph = 5,
    SparseTensor = 11,
    TypeProto = 13,
    Floats = 6,
    Ints = 7,
    Strings = 8,
    Tensors = 9,
    Graphs = 10,
    SparseTensors = 12,
    TypeProtos = 14,
#pragma warning restore CS1591
}

/// <summary>A node attribute. Exactly the field matching <see cref="Kind"/> is set.</summary>
public sealed class AttributeValue
{
    /// <summary>Attribute name.</summary>
    public required string Name { get; init; }
    /// <summary>Which field holds the value.</summary>
    public required AttributeKind Kind { get; init; }
    /// <summary>Float value.</summary>
    public float Float { get; init; }
    /// <summary>Int value.</summary>
    public long Int { get; init; }
    /// <summary>String value (ONNX strings are bytes; decoded as UTF-8).</summary>
    public string? String { get; init; }
    /// <summary>Tensor value.</summary>
    public Tensor? Tensor { get; init; }
    /// <summary>Subgraph value.</summary>
    public ComputeGraph? Graph { get; init; }
    /// <summary>Type value.</summary>
    public TypeInfo? Type { get; init; }
    /// <summary>Float list.</summary>
    public float[]? Floats { get; init; }
    /// <summary>Int list.</summary>
    public long[]? Ints { get; init; }
    /// <summary>String list.</summary>
    public string[]? Strings { get; init; }
    /// <summary>Tensor list.</summary>
    public Tensor[]? Tensors { get; init; }
    /// <summary>Subgraph list.</summary>
    public ComputeGraph[]? Graphs { get; init; }
    /// <summary>Type list.</summary>
    public TypeInfo[]? Types { get; init; }
    /// <summary>Inside a function body: the name of the caller's attribute this one refers to.</summary>
    public string? RefAttrName { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        AttributeKind.Float => $"{Name}={Float}",
        AttributeKind.Int => $"{Name}={Int}",
        AttributeKind.String => $"{Name}=\"{String}\"",
        AttributeKind.Floats => $"{Name}=[{string.Join(",", Floats!)}]",
        AttributeKind.Ints => $"{Name}=[{string.Join(",", Ints!)}]",
        AttributeKind.Strings => $"{Name}=[{string.Join(",", Strings!)}]",
        AttributeKind.Tensor => $"{Name}={Tensor}",
        _ => $"{Name}:{Kind}",
    };
}
