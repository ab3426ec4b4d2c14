using static Kerno.Tests.Reference.Tensors.OpRunner;

namespace Kerno.Tests.Reference.Tensors;

/// <summary>The element-moving operators keep every data type, including strings, bools, float8 and int4.</summary>
public class ElementTypeTests
{
    private static readonly DataType[] Types =
    [
        DataType.Float, DataType.Double, DataType.Float16, DataType.BFloat16, DataType.Int8, DataType.UInt8,
        DataType.Int16, DataType.UInt16, DataType.Int32, DataType.UInt32, DataType.Int64, DataType.UInt64,
        DataType.Bool, DataType.String, DataType.Int4, DataType.UInt4, DataType.Float8E4M3FN, DataType.Float8E5M2,
    ];

    private static Kerno.Tensor Sample(DataType type)
    {
        var t = Kerno.Tensor.Create(type, [2, 3]);
        for (int i = 0; i < 6; ++i)
            switch (t)
            {
                case Tensor<string> s: s[i] = $"s{i}"; break;
                case Tensor<bool> b: b[i] = i % 2 == 1; break;
                case Tensor<float> f: f[i] = i; break;
                case Tensor<double> d: d[i] = i; break;
                case Tensor<Half> h: h[i] = (Half)i; break;
                case Tensor<BFloat16> bf: bf[i] = (BFloat16)(float)i; break;
                case Tensor<sbyte> x: x[i] = (sbyte)i; break;
                case Tensor<byte> x: x[i] = (byte)i; break;
                case Tensor<short> x: x[i] = (short)i; break;
                case Tensor<ushort> x: x[i] = (ushort)i; break;
                case Tensor<int> x: x[i] = i; break;
                case Tensor<uint> x: x[i] = (uint)i; break;
                case Tensor<long> x: x[i] = i; break;
                case Tensor<ulong> x: x[i] = (ulong)i; break;
            }
        return t;
    }

    private static object?[] Elements(Kerno.Tensor t) => Enumerable.Range(0, t.Length).Select(t.GetValue).ToArray();

    [TestCaseSource(nameof(Types))]
    public void MovesKeepTypeAndValues(DataType type)
    {
        Kerno.Tensor x = Sample(type);
        object?[] v = Elements(x);

        Kerno.Tensor tr = Run("Transpose", 13, [x]);
        Assert.That(tr.DataType, Is.EqualTo(type));
        Assert.That(Elements(tr), Is.EqualTo(new[] { v[0], v[3], v[1], v[4], v[2], v[5] }));

        Kerno.Tensor g = Run("Gather", 13, [x, L(2, 0)], Int("axis", 1));
        Assert.That(g.DataType, Is.EqualTo(type));
        Assert.That(Elements(g), Is.EqualTo(new[] { v[2], v[0], v[5], v[3] }));

        Kerno.Tensor c = Run("Concat", 13, [x, x], Int("axis", 0));
        Assert.That(c.DataType, Is.EqualTo(type));
        Assert.That(Elements(c), Is.EqualTo(v.Concat(v).ToArray()));

        Kerno.Tensor s = Run("Slice", 13, [x, L(-1), L(long.MinValue), L(1), L(-2)]);
        Assert.That(Elements(s), Is.EqualTo(new[] { v[2], v[0], v[5], v[3] }));

        Kerno.Tensor p = Run("Pad", 13, [x, L(0, 1, 0, 0)], Str("mode", "edge"));
        Assert.That(p.DataType, Is.EqualTo(type));
        Assert.That(Elements(p), Is.EqualTo(new[] { v[0], v[0], v[1], v[2], v[3], v[3], v[4], v[5] }));

        Kerno.Tensor e = Run("Expand", 13, [x.Reshape([2, 1, 3]), L(2, 2, 1)]);
        Assert.That(e.DataType, Is.EqualTo(type));
        Assert.That(e.Shape.ToArray(), Is.EqualTo(new[] { 2, 2, 3 }));

        Value?[] parts = RunAll("Split", 13, [x], 2, Int("axis", 0));
        Assert.That(Elements((Kerno.Tensor)parts[1]!), Is.EqualTo(v[3..]));

        Kerno.Tensor padded = Run("Pad", 13, [x, L(0, 0, 0, 1)]);
        Assert.That(padded.GetValue(3), Is.EqualTo(type == DataType.String ? "" : Kerno.Tensor.Create(type, [1]).GetValue(0)));
    }

    [Test]
    public void DropoutBeforeOpset10MasksWithTheDataType()
    {
        Value?[] r = RunAll("Dropout", 7, [T([2], 1.0, 2.0)], 2);
        AssertTensor(r[1], [2], 1.0, 1.0);
    }

    [Test]
    public void UpsampleOpset7TakesScalesAttribute()
    {
        var r = Run("Upsample", 7, [T([1, 2], 1f, 2)], Floats("scales", 1, 2), Str("mode", "linear"));
        AssertClose(r, [1, 4], [1, 1.5, 2, 2]);
    }
}
