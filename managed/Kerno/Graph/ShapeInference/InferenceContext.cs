namespace Kerno.Graph.ShapeInference;

/// <summary>What a shape rule sees of one node: its inputs' types and, where known, their constant values.</summary>
internal sealed class InferenceContext
{
    private readonly TypeInfo?[] inputTypes;
    private readonly Tensor?[] constants;

    public InferenceContext(Node node, long opset, TypeInfo?[] inputTypes, Tensor?[] constants)
    {
        Node = node;
        Opset = opset;
        this.inputTypes = inputTypes;
        this.constants = constants;
    }

    public Node Node { get; }

    public long Opset { get; }

    public int InputCount => inputTypes.Length;

    public bool HasInput(int i) => i < Node.Inputs.Count && Node.Inputs[i].Length > 0;

    public TypeInfo? Type(int i) => i < inputTypes.Length ? inputTypes[i] : null;

    public TensorTypeInfo? Tensor(int i) => Type(i) as TensorTypeInfo;

    /// <summary>Element type of input i, or Undefined when unknown.</summary>
    public DataType ElementType(int i) => Tensor(i)?.ElementType ?? DataType.Undefined;

    /// <summary>Shape of input i, or null when the rank is unknown.</summary>
    public IReadOnlyList<Dim>? Shape(int i) => Tensor(i)?.Shape;

    /// <summary>The value of input i when it is a known constant.</summary>
    public Kerno.Tensor? Constant(int i) => i < constants.Length ? constants[i] : null;

    /// <summary>A tensor type with the given element type and shape (null shape = unknown rank).</summary>
    public static TensorTypeInfo Make(DataType type, IReadOnlyList<Dim>? shape) => new(type, shape);
}

/// <summary>Infers the output types of one kind of node; null entries (or a null result) mean "unknown".</summary>
internal delegate TypeInfo?[]? ShapeRule(InferenceContext context);
