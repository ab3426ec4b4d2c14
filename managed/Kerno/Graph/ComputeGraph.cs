namespace Kerno.Graph;

/// <summary>
/// A graph: nodes, declared inputs and outputs, constant initializers, and known value types. Subgraphs
/// (If/Loop/Scan bodies) are graphs too and may read values of enclosing graphs by name.
/// </summary>
public sealed class ComputeGraph
{
    /// <summary>Graph name.</summary>
    public string Name { get; set; } = "";
    /// <summary>Nodes, in file order until sorted.</summary>
    public List<Node> Nodes { get; } = new();
    /// <summary>Declared inputs (may include initializer names: then the initializer is a default the caller may override).</summary>
    public List<ValueInfo> Inputs { get; } = new();
    /// <summary>Declared outputs.</summary>
    public List<ValueInfo> Outputs { get; } = new();
    /// <summary>Constant tensors by name.</summary>
    public Dictionary<string, Tensor> Initializers { get; } = new(StringComparer.Ordinal);
    /// <summary>Types of values, declared (value_info) or inferred.</summary>
    public Dictionary<string, TypeInfo> ValueTypes { get; } = new(StringComparer.Ordinal);
    /// <summary>The enclosing graph, for subgraphs.</summary>
    public ComputeGraph? Parent { get; set; }
    /// <summary>Documentation string.</summary>
    public string? DocString { get; set; }
}

/// <summary>An ONNX function definition (FunctionProto): a body graph invoked as an operator.</summary>
public sealed class FunctionDefinition
{
    /// <summary>Operator name the function defines.</summary>
    public required string Name { get; init; }
    /// <summary>Operator domain.</summary>
    public required string Domain { get; init; }
    /// <summary>Formal input names.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }
    /// <summary>Formal output names.</summary>
    public required IReadOnlyList<string> Outputs { get; init; }
    /// <summary>Names of attributes the body may reference.</summary>
    public required IReadOnlyList<string> AttributeNames { get; init; }
    /// <summary>Attributes with default values.</summary>
    public required IReadOnlyList<AttributeValue> AttributeDefaults { get; init; }
    /// <summary>Body nodes.</summary>
    public required IReadOnlyList<Node> Body { get; init; }
    /// <summary>Opsets the body uses.</summary>
    public required IReadOnlyDictionary<string, long> OpsetImports { get; init; }
}

/// <summary>A loaded model: metadata, opset imports and the main graph.</summary>
public sealed class Model
{
    /// <summary>ONNX IR version of the file.</summary>
    public long IrVersion { get; set; }
    /// <summary>Opset version per domain ("" = ai.onnx).</summary>
    public Dictionary<string, long> OpsetImports { get; } = new(StringComparer.Ordinal);
    /// <summary>The main graph.</summary>
    public required ComputeGraph Graph { get; init; }
    /// <summary>Model-local functions by (domain, name).</summary>
    public Dictionary<(string Domain, string Name), FunctionDefinition> Functions { get; } = new();
    /// <summary>Producer name.</summary>
    public string ProducerName { get; set; } = "";
    /// <summary>Producer version.</summary>
    public string ProducerVersion { get; set; } = "";
    /// <summary>metadata_props.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);
    /// <summary>Folder external data is resolved against (null for models loaded from memory).</summary>
    public string? BaseDirectory { get; set; }

    /// <summary>The opset version of a domain ("" or "ai.onnx" = default domain); 0 when not imported.</summary>
    public long Opset(string domain) =>
        OpsetImports.GetValueOrDefault(domain == "ai.onnx" ? "" : domain);
}
