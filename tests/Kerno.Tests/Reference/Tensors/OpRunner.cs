using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Tests.Reference.Tensors;

/// <summary>Builds a one-node graph by hand and runs the reference kernel of its operator.</summary>
internal static class OpRunner
{
    public static AttributeValue Int(string name, long v) => new() { Name = name, Kind = AttributeKind.Int, Int = v };
    public static AttributeValue Float(string name, float v) => new() { Name = name, Kind = AttributeKind.Float, Float = v };
    public static AttributeValue Str(string name, string v) => new() { Name = name, Kind = AttributeKind.String, String = v };
    public static AttributeValue Ints(string name, params long[] v) => new() { Name = name, Kind = AttributeKind.Ints, Ints = v };
    public static AttributeValue Floats(string name, params float[] v) => new() { Name = name, Kind = AttributeKind.Floats, Floats = v };
    public static AttributeValue TensorAttr(string name, Kerno.Tensor v) => new() { Name = name, Kind = AttributeKind.Tensor, Tensor = v };

    /// <summary>Runs <paramref name="op"/> at <paramref name="opset"/>; null inputs are omitted optional inputs.</summary>
    public static Value?[] RunAll(string op, long opset, Kerno.Tensor?[] inputs, int outputs, params AttributeValue[] attributes)
    {
        var node = new Node("test", op, "", inputs.Select((t, i) => t is null ? "" : $"in{i}"),
            Enumerable.Range(0, outputs).Select(i => $"out{i}"), attributes);
        ReferenceKernel kernel = ReferenceOps.Find("", op, opset) ?? throw new AssertionException($"no kernel for {op} at opset {opset}");
        return kernel(new OpContext(node, opset, inputs));
    }

    /// <summary>Runs a single-output operator.</summary>
    public static Kerno.Tensor Run(string op, long opset, Kerno.Tensor?[] inputs, params AttributeValue[] attributes) =>
        (Kerno.Tensor)RunAll(op, opset, inputs, 1, attributes)[0]!;

    public static Tensor<T> T<T>(int[] shape, params T[] values) => new(values, shape);
    public static Tensor<long> L(params long[] values) => Kerno.Tensor.Vector(values);

    public static float[] Range(int n) => Enumerable.Range(0, n).Select(i => (float)i).ToArray();

    public static void AssertTensor<T>(Value? actual, int[] shape, params T[] expected)
    {
        Assert.That(actual, Is.InstanceOf<Tensor<T>>());
        var t = (Tensor<T>)actual!;
        Assert.That(t.Shape.ToArray(), Is.EqualTo(shape), "shape");
        Assert.That(t.Span.ToArray(), Is.EqualTo(expected), "elements");
    }

    public static void AssertClose(Value? actual, int[] shape, double[] expected, double atol = 1e-5, double rtol = 1e-3)
    {
        Assert.That(actual, Is.InstanceOf<Kerno.Tensor>());
        var t = (Kerno.Tensor)actual!;
        Assert.That(t.Shape.ToArray(), Is.EqualTo(shape), "shape");
        double[] got = t.ToDoubleArray();
        Assert.That(got.Length, Is.EqualTo(expected.Length));
        for (int i = 0; i < got.Length; ++i)
            Assert.That(got[i], Is.EqualTo(expected[i]).Within(atol + rtol * Math.Abs(expected[i])), $"element {i}");
    }
}
