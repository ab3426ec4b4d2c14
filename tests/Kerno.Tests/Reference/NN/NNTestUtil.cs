using Kerno.Graph;
using Kerno.Reference;

namespace Kerno.Tests.Reference.NN;

using Math = System.Math;
using Tensor = Kerno.Tensor;

/// <summary>Builds nodes and runs reference operators directly.</summary>
internal static class NNTestUtil
{
    public static AttributeValue Int(string name, long v) => new() { Name = name, Kind = AttributeKind.Int, Int = v };
    public static AttributeValue Float(string name, float v) => new() { Name = name, Kind = AttributeKind.Float, Float = v };
    public static AttributeValue Str(string name, string v) => new() { Name = name, Kind = AttributeKind.String, String = v };
    public static AttributeValue Ints(string name, params long[] v) => new() { Name = name, Kind = AttributeKind.Ints, Ints = v };
    public static AttributeValue Floats(string name, params float[] v) => new() { Name = name, Kind = AttributeKind.Floats, Floats = v };
    public static AttributeValue Strs(string name, params string[] v) => new() { Name = name, Kind = AttributeKind.Strings, Strings = v };

    /// <summary>Runs op with the inputs (null = omitted) and the given number of outputs.</summary>
    public static Value?[] Run(string op, long opset, Value?[] inputs, int outputs = 1, params AttributeValue[] attrs)
    {
        var node = new Node("n", op, "", inputs.Select((v, i) => v is null ? "" : $"i{i}"),
            Enumerable.Range(0, outputs).Select(i => $"o{i}"), attrs);
        ReferenceKernel kernel = ReferenceOps.Find("", op, opset) ?? throw new AssertionException($"{op} is not registered");
        return kernel(new OpContext(node, opset, inputs));
    }

    public static Tensor Run1(string op, long opset, Value?[] inputs, params AttributeValue[] attrs) =>
        (Tensor)Run(op, opset, inputs, 1, attrs)[0]!;

    public static Tensor<float> Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var t = new Tensor<float>(shape);
        for (int i = 0; i < t.Length; ++i)
            t[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    public static Tensor<float> F(float[] data, params int[] shape) => new(data, shape);

    public static void AssertClose(Tensor actual, double[] expected, int[] shape, double rtol = 1e-4, double atol = 1e-5)
    {
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(shape), "shape");
        double[] a = actual.ToDoubleArray();
        for (int i = 0; i < a.Length; ++i)
            if (!(Math.Abs(a[i] - expected[i]) <= atol + rtol * Math.Abs(expected[i])) && !(double.IsNaN(a[i]) && double.IsNaN(expected[i])))
                Assert.Fail($"element {i}: got {a[i]}, expected {expected[i]}");
    }
}
