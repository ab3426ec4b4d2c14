using static Kerno.Tests.Reference.Mathematics.OpTester;

namespace Kerno.Tests.Reference.Mathematics;

/// <summary>
/// Every math op on every element type: either a result of the documented type and shape, or a
/// <see cref="KernoModelException"/> naming the node — never another exception.
/// </summary>
public class TypeSweepTests
{
    private static readonly DataType[] Types =
    [
        DataType.Float, DataType.Double, DataType.Float16, DataType.BFloat16, DataType.Int8, DataType.UInt8, DataType.Int16,
        DataType.UInt16, DataType.Int32, DataType.UInt32, DataType.Int64, DataType.UInt64, DataType.Bool, DataType.String,
    ];

    private static readonly string[] Unary =
    [
        "Sqrt", "Exp", "Log", "Reciprocal", "Floor", "Ceil", "Round", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
        "Asinh", "Acosh", "Atanh", "Erf", "Abs", "Neg", "Sign", "IsNaN", "IsInf", "Not", "BitwiseNot", "Relu", "LeakyRelu", "Elu",
        "Selu", "Celu", "Sigmoid", "HardSigmoid", "HardSwish", "Swish", "Tanh", "Clip", "Softplus", "Softsign", "Mish", "Gelu",
        "ThresholdedRelu", "Shrink", "Softmax", "LogSoftmax", "Hardmax", "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
        "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin",
        "Max", "Min", "Sum", "Mean",
    ];

    private static readonly string[] Binary =
    [
        "Add", "Sub", "Mul", "Div", "Mod", "Pow", "Max", "Min", "Sum", "Mean", "Equal", "Less", "LessOrEqual", "Greater",
        "GreaterOrEqual", "And", "Or", "Xor", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "PRelu", "CastLike",
    ];

    /// <summary>A [2,3] tensor of small positive values (1..6) of any type.</summary>
    private static Tensor Sample(DataType type)
    {
        var t = Tensor.Create(type, new[] { 2, 3 });
        for (int i = 0; i < 6; ++i)
        {
            switch (t)
            {
                case Tensor<float> f: f[i] = i + 1; break;
                case Tensor<double> d: d[i] = i + 1; break;
                case Tensor<Half> h: h[i] = (Half)(i + 1); break;
                case Tensor<BFloat16> b: b[i] = (BFloat16)(float)(i + 1); break;
                case Tensor<sbyte> s: s[i] = (sbyte)(i + 1); break;
                case Tensor<byte> s: s[i] = (byte)(i + 1); break;
                case Tensor<short> s: s[i] = (short)(i + 1); break;
                case Tensor<ushort> s: s[i] = (ushort)(i + 1); break;
                case Tensor<int> s: s[i] = i + 1; break;
                case Tensor<uint> s: s[i] = (uint)(i + 1); break;
                case Tensor<long> s: s[i] = i + 1; break;
                case Tensor<ulong> s: s[i] = (ulong)(i + 1); break;
                case Tensor<bool> s: s[i] = i % 2 == 0; break;
                case Tensor<string> s: s[i] = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture); break;
            }
        }
        return t;
    }

    private static void RunOrModelError(string op, Tensor[] inputs, params Kerno.Graph.AttributeValue[] attributes)
    {
        try
        {
            Value?[] outputs = RunAll(op, 21, inputs, 1, attributes);
            Assert.That(outputs[0], Is.InstanceOf<Tensor>(), op);
        }
        catch (KernoModelException)
        {
        }
    }

    [Test]
    public void UnaryOpsOnEveryType([ValueSource(nameof(Unary))] string op)
    {
        foreach (DataType type in Types)
            Assert.DoesNotThrow(() => RunOrModelError(op, [Sample(type)]), $"{op} on {type}");
    }

    [Test]
    public void BinaryOpsOnEveryTypePair([ValueSource(nameof(Binary))] string op)
    {
        foreach (DataType a in Types)
            foreach (DataType b in Types)
                Assert.DoesNotThrow(() => RunOrModelError(op, [Sample(a), Sample(b)], op == "Mod" ? [Int("fmod", 1)] : []), $"{op} on {a}, {b}");
    }

    [Test]
    public void CastBetweenEveryPair()
    {
        DataType[] all = [.. Types, DataType.Float8E4M3FN, DataType.Float8E4M3FNUZ, DataType.Float8E5M2, DataType.Float8E5M2FNUZ,
            DataType.Float4E2M1, DataType.Float8E8M0, DataType.Int4, DataType.UInt4, DataType.Int2, DataType.UInt2];
        foreach (DataType from in Types)
            foreach (DataType to in all)
            {
                Tensor r = Run("Cast", 25, new[] { Sample(from) }, Int("to", (long)to));
                Assert.That(r.DataType, Is.EqualTo(to), $"{from} -> {to}");
                Assert.That(r.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
                if (from != DataType.Bool && to is not (DataType.Bool or DataType.Int2 or DataType.UInt2 or DataType.Float4E2M1 or DataType.Float8E8M0))
                    Assert.That(Run("Cast", 25, new[] { r }, Int("to", (long)DataType.Double)).ToDoubleArray(),
                        Is.EqualTo(new double[] { 1, 2, 3, 4, 5, 6 }), $"{from} -> {to} -> double");
            }
    }

    [Test]
    public void TernaryAndIndexedOps()
    {
        foreach (DataType type in Types)
        {
            Tensor x = Sample(type);
            Assert.DoesNotThrow(() => RunOrModelError("Where", [T(new[] { 3 }, true, false, true), x, Sample(type)]), $"Where on {type}");
            Assert.DoesNotThrow(() => RunOrModelError("CumSum", [x, Tensor.Scalar(1L)]), $"CumSum on {type}");
            Assert.DoesNotThrow(() => RunOrModelError("TopK", [x, T(new[] { 1 }, 2L)]), $"TopK on {type}");
            Assert.DoesNotThrow(() => RunOrModelError("BitShift", [x, Sample(type)], Str("direction", "LEFT")), $"BitShift on {type}");
        }
    }
}
