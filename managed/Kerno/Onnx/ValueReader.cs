using Kerno.Graph;
using Kerno.Onnx.Proto;

namespace Kerno.Onnx;

/// <summary>
/// Reads ONNX test-data files (<c>input_N.pb</c>, <c>output_N.pb</c>) into <see cref="Value"/>s. A file holds a
/// bare TensorProto, SequenceProto or OptionalProto and does not say which: the declared type of the graph
/// input or output it belongs to decides.
/// </summary>
public static class ValueReader
{
    /// <summary>Reads a file; <paramref name="expected"/> is the declared type (null = tensor).</summary>
    public static Value ReadFile(string path, TypeInfo? expected) => Read(File.ReadAllBytes(path), expected, Path.GetFileName(path));

    /// <summary>Parses serialized bytes; <paramref name="expected"/> is the declared type (null = tensor).</summary>
    public static Value Read(ReadOnlySpan<byte> bytes, TypeInfo? expected, string what = "value")
    {
        var context = new LoadContext(null, ModelLimits.Default);
        return expected switch
        {
            SequenceTypeInfo s => Sequence(ProtoParsing.Parse(SequenceProto.Parser, bytes, what), s, what, context),
            OptionalTypeInfo o => Optional(ProtoParsing.Parse(OptionalProto.Parser, bytes, what), o, what, context),
            MapTypeInfo => throw new KernoModelException($"{what}: maps are not supported"),
            _ => TensorReader.ToTensor(ProtoParsing.Parse(TensorProto.Parser, bytes, what), what, context),
        };
    }

    private static TensorSequence Sequence(SequenceProto p, SequenceTypeInfo? type, string what, LoadContext context)
    {
        if (p.SequenceValues.Count > 0 || p.MapValues.Count > 0 || p.OptionalValues.Count > 0 || p.SparseTensorValues.Count > 0)
            throw new KernoModelException($"{what}: only sequences of tensors are supported");
        var items = p.TensorValues.Select((t, i) => TensorReader.ToTensor(t, $"{what}[{i}]", context)).ToList();
        DataType elementType = items.Count > 0 ? items[0].DataType
            : type?.ElementType is TensorTypeInfo tt ? tt.ElementType
            : DataType.Float;
        try
        {
            return new TensorSequence(elementType, items);
        }
        catch (ArgumentException e)
        {
            throw new KernoModelException($"{what}: {e.Message}", e);
        }
    }

    private static OptionalValue Optional(OptionalProto p, OptionalTypeInfo type, string what, LoadContext context)
    {
        Value? content = (OptionalProto.Types.DataType)p.ElemType switch
        {
            OptionalProto.Types.DataType.Tensor when p.TensorValue is not null => TensorReader.ToTensor(p.TensorValue, what, context),
            OptionalProto.Types.DataType.Sequence when p.SequenceValue is not null => Sequence(p.SequenceValue, type.ElementType as SequenceTypeInfo, what, context),
            OptionalProto.Types.DataType.Undefined => null,
            OptionalProto.Types.DataType.Tensor or OptionalProto.Types.DataType.Sequence => null,
            _ => throw new KernoModelException($"{what}: optional of element kind {p.ElemType} is not supported"),
        };
        return new OptionalValue(content, type.ElementType);
    }
}
