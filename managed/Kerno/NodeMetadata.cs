using Kerno.Graph;

namespace Kerno;

/// <summary>A graph input or output as the caller sees it: name, type and (possibly symbolic) shape.</summary>
public sealed class NodeMetadata
{
    internal NodeMetadata(string name, TypeInfo? type, string? docString)
    {
        Name = name;
        Type = type;
        DocString = docString;
    }

    /// <summary>The value's name.</summary>
    public string Name { get; }

    /// <summary>The full declared type (tensor, sequence or optional); null when the model does not declare it.</summary>
    public TypeInfo? Type { get; }

    /// <summary>Element type for tensors (<see cref="DataType.Undefined"/> for other or undeclared types).</summary>
    public DataType ElementType => Type is TensorTypeInfo t ? t.ElementType : DataType.Undefined;

    /// <summary>Shape for tensors: known sizes, symbols (with <see cref="SessionOptions.FreeDimensions"/> applied) or unknown; null when unknown rank.</summary>
    public IReadOnlyList<Dim>? Shape => (Type as TensorTypeInfo)?.Shape;

    /// <summary>The model's description of the value, if any.</summary>
    public string? DocString { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Type?.ToString() ?? "?"}";
}
