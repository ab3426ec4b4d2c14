namespace Kerno.Graph;

/// <summary>One dimension of a declared or inferred shape: a known size, a named symbol, or unknown.</summary>
public readonly record struct Dim(long? Value, string? Symbol = null)
{
    /// <summary>An unknown dimension.</summary>
    public static Dim Unknown => new(null, null);

    /// <summary>A known size.</summary>
    public static implicit operator Dim(long value) => new(value);

    /// <summary>True when the size is known.</summary>
    public bool IsKnown => Value.HasValue;

    /// <inheritdoc/>
    public override string ToString() => Value?.ToString() ?? Symbol ?? "?";
}

/// <summary>The type of a graph value: tensor, sequence, optional or map (ONNX's TypeProto).</summary>
public abstract record TypeInfo;

/// <summary>A tensor type: element type and, when declared or inferred, its shape.</summary>
public sealed record TensorTypeInfo(DataType ElementType, IReadOnlyList<Dim>? Shape) : TypeInfo
{
    /// <summary>The rank, or null when the shape is unknown.</summary>
    public int? Rank => Shape?.Count;

    /// <summary>True when every dimension is a known number.</summary>
    public bool IsFullyKnown => Shape is not null && Shape.All(d => d.IsKnown);

    /// <inheritdoc/>
    public override string ToString() =>
        $"tensor({DataTypes.OnnxName(ElementType)})" + (Shape is null ? "" : "[" + string.Join(",", Shape) + "]");
}

/// <summary>A sequence type.</summary>
public sealed record SequenceTypeInfo(TypeInfo? ElementType) : TypeInfo
{
    /// <inheritdoc/>
    public override string ToString() => $"seq({ElementType})";
}

/// <summary>An optional type.</summary>
public sealed record OptionalTypeInfo(TypeInfo? ElementType) : TypeInfo
{
    /// <inheritdoc/>
    public override string ToString() => $"optional({ElementType})";
}

/// <summary>A map type (loaded for completeness; no supported operator computes on maps).</summary>
public sealed record MapTypeInfo(DataType KeyType, TypeInfo? ValueType) : TypeInfo
{
    /// <inheritdoc/>
    public override string ToString() => $"map({DataTypes.OnnxName(KeyType)},{ValueType})";
}

/// <summary>A named value with its (declared or inferred) type: a graph input, output or intermediate.</summary>
public sealed record ValueInfo(string Name, TypeInfo? Type, string? DocString = null);
