namespace Kerno.Reference;

/// <summary>
/// Marks a static method as the reference implementation of one or more ONNX operators. The method's
/// signature is <c>static Value?[] Name(OpContext ctx)</c> or <c>static Tensor Name(OpContext ctx)</c>
/// (one output). <see cref="ReferenceOps"/> finds every marked method; nothing else registers ops.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OnnxOpAttribute : Attribute
{
    /// <summary>Registers the method for the given operator names.</summary>
    public OnnxOpAttribute(params string[] opTypes) => OpTypes = opTypes;

    /// <summary>Operator names this method implements (it reads <c>ctx.Node.OpType</c> to tell them apart).</summary>
    public string[] OpTypes { get; }

    /// <summary>Operator domain; "" = ai.onnx (default).</summary>
    public string Domain { get; init; } = "";

    /// <summary>Lowest opset version implemented (older models are rejected as unsupported).</summary>
    public int MinOpset { get; init; } = 1;
}
