using Kerno.Graph;

namespace Kerno;

/// <summary>
/// Checks run inputs against the declared graph inputs: names, value kinds, element types, ranks and
/// sizes, and that a symbolic dimension has one size across all inputs. Messages say expected vs given.
/// </summary>
internal sealed class InputValidator
{
    private readonly Dictionary<string, NodeMetadata> required;
    private readonly Dictionary<string, NodeMetadata> optional;
    private readonly long maxElements;

    public InputValidator(IEnumerable<NodeMetadata> required, IEnumerable<NodeMetadata> overridable, long maxElements)
    {
        this.required = required.ToDictionary(m => m.Name, StringComparer.Ordinal);
        optional = overridable.ToDictionary(m => m.Name, StringComparer.Ordinal);
        this.maxElements = maxElements;
    }

    public void Validate(IReadOnlyDictionary<string, Value> inputs)
    {
        foreach (string name in required.Keys)
            if (!inputs.ContainsKey(name))
                throw new ArgumentException($"input '{name}' ({required[name].Type?.ToString() ?? "?"}) is required but was not given; expected inputs: {string.Join(", ", required.Keys)}");
        Dictionary<string, (long Size, string Input)>? symbols = null; // made on the first symbolic dimension
        foreach ((string name, Value value) in inputs)
        {
            if (!required.TryGetValue(name, out NodeMetadata? meta) && !optional.TryGetValue(name, out meta))
                throw new ArgumentException($"'{name}' is not an input of the model; expected inputs: {string.Join(", ", required.Keys)}");
            if (value is null)
                throw new ArgumentException($"input '{name}' is null");
            Check(name, meta.Type, value, ref symbols);
        }
    }

    private void Check(string name, TypeInfo? type, Value value, ref Dictionary<string, (long, string)>? symbols)
    {
        switch (type)
        {
            case null:
                return;
            case TensorTypeInfo t:
                if (value is not Tensor tensor)
                    throw new ArgumentException($"input '{name}': expected a tensor {t}, given a {value.GetType().Name}");
                CheckTensor(name, t, tensor, ref symbols);
                return;
            case SequenceTypeInfo s:
                if (value is not TensorSequence seq)
                    throw new ArgumentException($"input '{name}': expected a sequence {s}, given a {value.GetType().Name}");
                if (s.ElementType is TensorTypeInfo et && et.ElementType != DataType.Undefined && seq.ElementType != et.ElementType)
                    throw new ArgumentException($"input '{name}': expected a sequence of {DataTypes.OnnxName(et.ElementType)}, given a sequence of {DataTypes.OnnxName(seq.ElementType)}");
                return;
            case OptionalTypeInfo o:
                if (value is OptionalValue opt)
                {
                    if (opt.Content is not null)
                        Check(name, o.ElementType, opt.Content, ref symbols);
                    return;
                }
                // A plain tensor or sequence stands for a non-empty optional.
                Check(name, o.ElementType, value, ref symbols);
                return;
            default:
                throw new ArgumentException($"input '{name}': {type} inputs are not supported");
        }
    }

    private void CheckTensor(string name, TensorTypeInfo type, Tensor tensor, ref Dictionary<string, (long Size, string Input)>? symbols)
    {
        if (type.ElementType != DataType.Undefined && tensor.DataType != type.ElementType)
            throw new ArgumentException($"input '{name}': expected element type {DataTypes.OnnxName(type.ElementType)}, given {DataTypes.OnnxName(tensor.DataType)}");
        if (tensor.Length > maxElements)
            throw new ArgumentException($"input '{name}': {tensor.Length} elements is over the limit of {maxElements} (MaxTensorElements)");
        if (type.Shape is null)
            return;
        // Runs check every input: the message text is only built for a failure.
        string Expected() => "[" + string.Join(",", type.Shape) + "]";
        if (type.Shape.Count != tensor.Rank)
            throw new ArgumentException($"input '{name}': expected shape {Expected()} (rank {type.Shape.Count}), given {Tensor.FormatShape(tensor.Shape)} (rank {tensor.Rank})");
        for (int i = 0; i < tensor.Rank; ++i)
        {
            Dim d = type.Shape[i];
            long given = tensor.Shape[i];
            if (d.IsKnown && d.Value != given)
                throw new ArgumentException($"input '{name}': expected shape {Expected()}, given {Tensor.FormatShape(tensor.Shape)} (axis {i} should be {d.Value})");
            if (!d.IsKnown && d.Symbol is { Length: > 0 } sym)
            {
                symbols ??= new Dictionary<string, (long Size, string Input)>(StringComparer.Ordinal);
                if (symbols.TryGetValue(sym, out var seen) && seen.Size != given)
                    throw new ArgumentException($"input '{name}': dimension '{sym}' is {given} at axis {i}, but {seen.Size} in input '{seen.Input}'");
                symbols[sym] = (given, name);
            }
        }
    }
}
