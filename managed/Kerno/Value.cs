namespace Kerno;

/// <summary>
/// A value flowing through a graph: a <see cref="Tensor"/>, a <see cref="TensorSequence"/> or an
/// <see cref="OptionalValue"/> (ONNX's tensor, sequence and optional types).
/// </summary>
public abstract class Value
{
    private protected Value() { }
}

/// <summary>An ONNX sequence: an ordered list of tensors of one element type.</summary>
public sealed class TensorSequence : Value
{
    /// <summary>Creates a sequence; <paramref name="elementType"/> matters when it is empty.</summary>
    public TensorSequence(DataType elementType, IEnumerable<Tensor> items)
    {
        ElementType = elementType;
        Items = items.ToList();
        foreach (Tensor t in Items)
            if (t.DataType != elementType)
                throw new ArgumentException($"sequence of {elementType} cannot hold a {t.DataType} tensor");
    }

    /// <summary>The element type of every tensor in the sequence.</summary>
    public DataType ElementType { get; }

    /// <summary>The tensors.</summary>
    public IReadOnlyList<Tensor> Items { get; }
}

/// <summary>An ONNX optional: either holds a tensor or sequence, or is empty.</summary>
public sealed class OptionalValue : Value
{
    /// <summary>Creates an optional holding <paramref name="content"/> (null = empty).</summary>
    public OptionalValue(Value? content, Graph.TypeInfo? type = null)
    {
        if (content is OptionalValue)
            throw new ArgumentException("an optional cannot hold an optional");
        Content = content;
        Type = type;
    }

    /// <summary>The held value, or null.</summary>
    public Value? Content { get; }

    /// <summary>The declared type of the content (needed when empty), if known.</summary>
    public Graph.TypeInfo? Type { get; }

    /// <summary>True when a value is held.</summary>
    public bool HasValue => Content is not null;
}
