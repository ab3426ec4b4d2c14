using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Tests.Reference.Mathematics;

/// <summary>Runs one reference operator on tensors, without a model: builds the node and calls the kernel.</summary>
internal static class OpTester
{
    public static Value?[] RunAll(string op, long opset, Tensor?[] inputs, int outputs, params AttributeValue[] attributes)
    {
        ReferenceKernel kernel = ReferenceOps.Find("", op, opset) ?? throw new AssertionException($"no reference kernel for {op} at opset {opset}");
        var node = new Node("n", op, "", inputs.Select((t, i) => t is null ? "" : $"x{i}"),
            Enumerable.Range(0, outputs).Select(i => $"y{i}"), attributes);
        return kernel(new OpContext(node, opset, inputs));
    }

    public static Tensor Run(string op, long opset, Tensor?[] inputs, params AttributeValue[] attributes) =>
        (Tensor)RunAll(op, opset, inputs, 1, attributes)[0]!;

    public static Tensor Run(string op, params Tensor[] inputs) => Run(op, 21, inputs);

    public static AttributeValue Int(string name, long value) => new() { Name = name, Kind = AttributeKind.Int, Int = value };
    public static AttributeValue Float(string name, float value) => new() { Name = name, Kind = AttributeKind.Float, Float = value };
    public static AttributeValue Str(string name, string value) => new() { Name = name, Kind = AttributeKind.String, String = value };
    public static AttributeValue Ints(string name, params long[] value) => new() { Name = name, Kind = AttributeKind.Ints, Ints = value };

    public static Tensor<T> T<T>(int[] shape, params T[] values) => new(values, shape);

    /// <summary>Asserts type, shape and values (floats within rtol 1e-3 / atol 1e-5, NaN equal to NaN).</summary>
    public static void AssertTensor<T>(Tensor actual, int[] shape, params T[] expected)
    {
        Assert.That(actual, Is.InstanceOf<Tensor<T>>(), $"element type of {actual}");
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(shape), "shape");
        var a = (Tensor<T>)actual;
        Assert.That(a.Length, Is.EqualTo(expected.Length), "length");
        for (int i = 0; i < expected.Length; ++i)
        {
            object? e = expected[i], v = a[i];
            if (e is float or double or Half)
            {
                double ed = Convert.ToDouble(e is Half h ? (float)h : e), vd = Convert.ToDouble(v is Half h2 ? (float)h2 : v);
                if (double.IsNaN(ed))
                    Assert.That(double.IsNaN(vd), $"element {i}: expected NaN, got {vd}");
                else if (double.IsInfinity(ed))
                    Assert.That(vd, Is.EqualTo(ed), $"element {i}");
                else
                    Assert.That(System.Math.Abs(vd - ed), Is.LessThanOrEqualTo(1e-5 + 1e-3 * System.Math.Abs(ed)), $"element {i}: expected {ed}, got {vd}");
            }
            else
                Assert.That(v, Is.EqualTo(e), $"element {i}");
        }
    }
}
