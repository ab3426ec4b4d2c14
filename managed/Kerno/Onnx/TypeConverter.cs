using Kerno.Graph;
using Kerno.Onnx.Proto;

namespace Kerno.Onnx;

/// <summary>Converts TypeProto to Kerno's <see cref="TypeInfo"/>.</summary>
internal static class TypeConverter
{
    // TypeProtos nest (sequence of optional of ...); the protobuf parser already bounds nesting, this keeps
    // the conversion itself from recursing on anything the parser let through.
    private const int MaxNesting = 64;

    public static TypeInfo? Convert(TypeProto? proto, string what, int depth = 0)
    {
        if (proto is null)
            return null;
        if (depth > MaxNesting)
            throw new KernoModelException($"{what}: type nests more than {MaxNesting} levels");
        return proto.ValueCase switch
        {
            TypeProto.ValueOneofCase.TensorType => new TensorTypeInfo(ElementType(proto.TensorType.ElemType, what), Shape(proto.TensorType.Shape)),
            TypeProto.ValueOneofCase.SparseTensorType => new TensorTypeInfo(ElementType(proto.SparseTensorType.ElemType, what), Shape(proto.SparseTensorType.Shape)),
            TypeProto.ValueOneofCase.SequenceType => new SequenceTypeInfo(Convert(proto.SequenceType.ElemType, what, depth + 1)),
            TypeProto.ValueOneofCase.OptionalType => new OptionalTypeInfo(Convert(proto.OptionalType.ElemType, what, depth + 1)),
            TypeProto.ValueOneofCase.MapType => new MapTypeInfo(ElementType(proto.MapType.KeyType, what), Convert(proto.MapType.ValueType, what, depth + 1)),
            _ => null,
        };
    }

    private static DataType ElementType(int code, string what)
    {
        var type = (DataType)code;
        if (!Enum.IsDefined(type))
            throw new KernoModelException($"{what}: unknown element type {code}");
        return type;
    }

    private static IReadOnlyList<Dim>? Shape(TensorShapeProto? shape)
    {
        if (shape is null)
            return null;
        var dims = new Dim[shape.Dim.Count];
        for (int i = 0; i < dims.Length; ++i)
        {
            TensorShapeProto.Types.Dimension d = shape.Dim[i];
            dims[i] = d.ValueCase switch
            {
                // A negative declared size is meaningless; treat it as unknown rather than trusting it.
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => d.DimValue >= 0 ? new Dim(d.DimValue) : Dim.Unknown,
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => new Dim(null, d.DimParam),
                _ => Dim.Unknown,
            };
        }
        return dims;
    }
}
