namespace Kerno.Graph;

/// <summary>
/// One operator application. Inputs and outputs are value names; an empty name is an omitted optional
/// input or output. Attribute accessors throw <see cref="KernoModelException"/> naming the node when a
/// required attribute is missing or has the wrong kind.
/// </summary>
public sealed class Node
{
    /// <summary>Creates a node.</summary>
    public Node(string name, string opType, string domain, IEnumerable<string> inputs, IEnumerable<string> outputs,
        IEnumerable<AttributeValue>? attributes = null)
    {
        Name = name;
        OpType = opType;
        Domain = domain == "ai.onnx" ? "" : domain;
        Inputs = inputs.ToList();
        Outputs = outputs.ToList();
        Attributes = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        foreach (AttributeValue a in attributes ?? [])
            if (!Attributes.TryAdd(a.Name, a))
                throw new KernoModelException(this, $"attribute '{a.Name}' appears twice");
    }

    /// <summary>Node name (may be empty in ONNX files).</summary>
    public string Name { get; set; }
    /// <summary>Operator name, e.g. "Conv".</summary>
    public string OpType { get; set; }
    /// <summary>Operator domain; "" is the default ONNX domain (ai.onnx).</summary>
    public string Domain { get; set; }
    /// <summary>Input value names ("" = omitted optional input).</summary>
    public List<string> Inputs { get; }
    /// <summary>Output value names ("" = omitted optional output).</summary>
    public List<string> Outputs { get; }
    /// <summary>Attributes by name.</summary>
    public Dictionary<string, AttributeValue> Attributes { get; }
    /// <summary>Position in the graph's node list when loaded (for messages about unnamed nodes).</summary>
    public int Index { get; set; }
    /// <summary>Documentation string from the model.</summary>
    public string? DocString { get; set; }

    /// <summary>True when the attribute is present.</summary>
    public bool Has(string name) => Attributes.ContainsKey(name);

    /// <summary>The attribute, or null.</summary>
    public AttributeValue? Attribute(string name) => Attributes.GetValueOrDefault(name);

    private AttributeValue Get(string name, AttributeKind kind)
    {
        if (!Attributes.TryGetValue(name, out AttributeValue? a))
            throw new KernoModelException(this, $"required attribute '{name}' is missing");
        if (a.Kind != kind)
            throw new KernoModelException(this, $"attribute '{name}' should be {kind}, got {a.Kind}");
        return a;
    }

    private AttributeValue? Find(string name, AttributeKind kind) =>
        Attributes.TryGetValue(name, out AttributeValue? a) ? (a.Kind == kind ? a : Get(name, kind)) : null;

    /// <summary>Required int attribute.</summary>
    public long GetInt(string name) => Get(name, AttributeKind.Int).Int;
    /// <summary>Int attribute with a default.</summary>
    public long GetInt(string name, long fallback) => Find(name, AttributeKind.Int)?.Int ?? fallback;
    /// <summary>Required float attribute.</summary>
    public float GetFloat(string name) => Get(name, AttributeKind.Float).Float;
    /// <summary>Float attribute with a default.</summary>
    public float GetFloat(string name, float fallback) => Find(name, AttributeKind.Float)?.Float ?? fallback;
    /// <summary>Required string attribute.</summary>
    public string GetString(string name) => Get(name, AttributeKind.String).String ?? "";
    /// <summary>String attribute with a default.</summary>
    public string GetString(string name, string fallback) => Find(name, AttributeKind.String)?.String ?? fallback;
    /// <summary>Int-list attribute, or null when absent.</summary>
    public long[]? GetInts(string name) => Find(name, AttributeKind.Ints)?.Ints;
    /// <summary>Float-list attribute, or null when absent.</summary>
    public float[]? GetFloats(string name) => Find(name, AttributeKind.Floats)?.Floats;
    /// <summary>String-list attribute, or null when absent.</summary>
    public string[]? GetStrings(string name) => Find(name, AttributeKind.Strings)?.Strings;
    /// <summary>Tensor attribute, or null when absent.</summary>
    public Tensor? GetTensor(string name) => Find(name, AttributeKind.Tensor)?.Tensor;
    /// <summary>Subgraph attribute, or null when absent.</summary>
    public ComputeGraph? GetGraph(string name) => Find(name, AttributeKind.Graph)?.Graph;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{KernoModelException.Describe(this)}({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";
}
