using static Kerno.Tests.Reference.Mathematics.OpTester;

namespace Kerno.Tests.Reference.Mathematics;

public class ElementwiseTests
{
    [Test]
    public void AddBroadcastsRowAgainstMatrix()
    {
        var a = T(new[] { 2, 3 }, 1f, 2f, 3f, 4f, 5f, 6f);
        var b = T(new[] { 3 }, 10f, 20f, 30f);
        AssertTensor(Run("Add", a, b), new[] { 2, 3 }, 11f, 22f, 33f, 14f, 25f, 36f);
    }

    [Test]
    public void AddBroadcastsBothWays()
    {
        var a = T(new[] { 2, 1 }, 1, 2);
        var b = T(new[] { 1, 3 }, 10, 20, 30);
        AssertTensor(Run("Add", a, b), new[] { 2, 3 }, 11, 21, 31, 12, 22, 32);
    }

    [Test]
    public void BeforeOpset7BroadcastAlignsTheSecondInputAtAxis()
    {
        var a = T(new[] { 2, 3, 2 }, Enumerable.Repeat(0f, 12).ToArray());
        var b = T(new[] { 3 }, 1f, 2f, 3f);
        AssertTensor(Run("Add", 6, new Tensor[] { a, b }, Int("broadcast", 1), Int("axis", 1)), new[] { 2, 3, 2 },
            1f, 1f, 2f, 2f, 3f, 3f, 1f, 1f, 2f, 2f, 3f, 3f);
        AssertTensor(Run("Greater", 1, new Tensor[] { a, b }, Int("broadcast", 1), Int("axis", -2)), new[] { 2, 3, 2 },
            Enumerable.Repeat(false, 12).ToArray());
        Assert.Throws<KernoModelException>(() => Run("Mul", 6, new Tensor[] { a, b }, Int("broadcast", 1), Int("axis", 2)));
    }

    [Test]
    public void IncompatibleShapesFailNamingTheNode()
    {
        var ex = Assert.Throws<KernoModelException>(() => Run("Mul", T(new[] { 2 }, 1f, 2f), T(new[] { 3 }, 1f, 2f, 3f)));
        Assert.That(ex!.Message, Does.Contain("broadcast"));
    }

    [Test]
    public void MixedTypesFail() =>
        Assert.Throws<KernoModelException>(() => Run("Add", T(new[] { 1 }, 1f), T(new[] { 1 }, 1.0)));

    [Test]
    public void IntegerAdditionWrapsLikeNumpy() =>
        AssertTensor(Run("Add", T(new[] { 2 }, (sbyte)127, (sbyte)-128), T(new[] { 2 }, (sbyte)1, (sbyte)-1)),
            new[] { 2 }, (sbyte)-128, (sbyte)127);

    [Test]
    public void IntegerDivisionTruncatesTowardZero() =>
        AssertTensor(Run("Div", T(new[] { 4 }, 7, -7, 7, int.MinValue), T(new[] { 4 }, 2, 2, -2, -1)),
            new[] { 4 }, 3, -3, -3, int.MinValue);

    [Test]
    public void IntegerDivisionByZeroFails() =>
        Assert.Throws<KernoModelException>(() => Run("Div", T(new[] { 1 }, 1L), T(new[] { 1 }, 0L)));

    [Test]
    public void FloatDivisionByZeroIsInfinite() =>
        AssertTensor(Run("Div", T(new[] { 3 }, 1f, -1f, 0f), T(new[] { 3 }, 0f, 0f, 0f)),
            new[] { 3 }, float.PositiveInfinity, float.NegativeInfinity, float.NaN);

    [Test]
    public void UnsignedSubtractionWraps() =>
        AssertTensor(Run("Sub", T(new[] { 1 }, (byte)1), T(new[] { 1 }, (byte)2)), new[] { 1 }, (byte)255);

    [Test]
    public void HalfAndBFloat16AreComputedInFloatAndRounded()
    {
        AssertTensor(Run("Mul", T(new[] { 2 }, (Half)1.5f, (Half)(-2f)), T(new[] { 2 }, (Half)2f, (Half)0.25f)),
            new[] { 2 }, (Half)3f, (Half)(-0.5f));
        var r = (Tensor<BFloat16>)Run("Add", T(new[] { 1 }, (BFloat16)1f), T(new[] { 1 }, (BFloat16)0.5f));
        Assert.That((float)r[0], Is.EqualTo(1.5f));
        Assert.That(r.DataType, Is.EqualTo(DataType.BFloat16));
    }

    [Test]
    public void ModDefaultTakesTheSignOfTheDivisor() =>
        AssertTensor(Run("Mod", 13, new Tensor[] { T(new[] { 4 }, -4, 7, -3, 5), T(new[] { 4 }, 3, -3, 2, 5) }),
            new[] { 4 }, 2, -2, 1, 0);

    [Test]
    public void ModWithFmodTakesTheSignOfTheDividend()
    {
        AssertTensor(Run("Mod", 13, new Tensor[] { T(new[] { 3 }, -4, 7, -3), T(new[] { 3 }, 3, -3, 2) }, Int("fmod", 1)),
            new[] { 3 }, -1, 1, -1);
        AssertTensor(Run("Mod", 13, new Tensor[] { T(new[] { 2 }, -4.5f, 7.5f), T(new[] { 2 }, 2f, -2f) }, Int("fmod", 1)),
            new[] { 2 }, -0.5f, 1.5f);
    }

    [Test]
    public void FloatModWithoutFmodFails() =>
        Assert.Throws<KernoModelException>(() => Run("Mod", T(new[] { 1 }, 1f), T(new[] { 1 }, 2f)));

    [Test]
    public void PowMixesBaseAndExponentTypes()
    {
        AssertTensor(Run("Pow", T(new[] { 3 }, 1f, 2f, 3f), T(new[] { 3 }, 2L, 3L, -1L)), new[] { 3 }, 1f, 8f, 1f / 3);
        AssertTensor(Run("Pow", T(new[] { 3 }, 2, 3, 4), T(new[] { 3 }, 0.5f, 2f, -1f)), new[] { 3 }, 1, 9, 0);
        AssertTensor(Run("Pow", T(new[] { 4 }, 2L, -3L, 1L, -1L), T(new[] { 4 }, 62L, 3L, -5L, -3L)),
            new[] { 4 }, 1L << 62, -27L, 1L, -1L);
    }

    [Test]
    public void VariadicMaxMinSumMeanBroadcastAllInputs()
    {
        var a = T(new[] { 3 }, 1f, 5f, 3f);
        var b = T(new[] { 1 }, 2f);
        var c = T(new[] { 2, 1 }, 0f, 4f);
        AssertTensor(Run("Max", a, b, c), new[] { 2, 3 }, 2f, 5f, 3f, 4f, 5f, 4f);
        AssertTensor(Run("Min", a, b, c), new[] { 2, 3 }, 0f, 0f, 0f, 1f, 2f, 2f);
        AssertTensor(Run("Sum", a, b, c), new[] { 2, 3 }, 3f, 7f, 5f, 7f, 11f, 9f);
        AssertTensor(Run("Mean", a, b, c), new[] { 2, 3 }, 1f, 7f / 3, 5f / 3, 7f / 3, 11f / 3, 3f);
        AssertTensor(Run("Max", a), new[] { 3 }, 1f, 5f, 3f);
    }

    [Test]
    public void MaxPropagatesNaN() =>
        AssertTensor(Run("Max", T(new[] { 2 }, float.NaN, 1f), T(new[] { 2 }, 0f, float.NaN)), new[] { 2 }, float.NaN, float.NaN);

    [Test]
    public void MaxOfUnsigned64KeepsFullRange() =>
        AssertTensor(Run("Max", T(new[] { 2 }, ulong.MaxValue, 1UL), T(new[] { 2 }, 2UL, 3UL)), new[] { 2 }, ulong.MaxValue, 3UL);

    [Test]
    public void UnaryFloatFunctions()
    {
        var x = T(new[] { 3 }, 0.25f, 1f, 4f);
        AssertTensor(Run("Sqrt", x), new[] { 3 }, 0.5f, 1f, 2f);
        AssertTensor(Run("Reciprocal", x), new[] { 3 }, 4f, 1f, 0.25f);
        AssertTensor(Run("Log", x), new[] { 3 }, MathF.Log(0.25f), 0f, MathF.Log(4f));
        AssertTensor(Run("Exp", T(new[] { 2 }, 0.0, 1.0)), new[] { 2 }, 1.0, System.Math.E);
        AssertTensor(Run("Atanh", T(new[] { 1 }, 0.5f)), new[] { 1 }, 0.54930614f);
        AssertTensor(Run("Acosh", T(new[] { 1 }, 10f)), new[] { 1 }, 2.99322295f);
        Assert.Throws<KernoModelException>(() => Run("Sqrt", T(new[] { 1 }, 4)));
    }

    [Test]
    public void RoundIsHalfToEven() =>
        AssertTensor(Run("Round", T(new[] { 8 }, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, 2.6f, -2.6f)),
            new[] { 8 }, 0f, 2f, 2f, -0f, -2f, 2f, 3f, -3f);

    [Test]
    public void FloorAndCeil()
    {
        AssertTensor(Run("Floor", T(new[] { 3 }, -1.5f, 1.5f, 2f)), new[] { 3 }, -2f, 1f, 2f);
        AssertTensor(Run("Ceil", T(new[] { 3 }, -1.5f, 1.5f, 2f)), new[] { 3 }, -1f, 2f, 2f);
    }

    [Test]
    public void AbsNegSignOnIntegersAndFloats()
    {
        AssertTensor(Run("Abs", T(new[] { 3 }, (sbyte)-5, (sbyte)-128, (sbyte)7)), new[] { 3 }, (sbyte)5, (sbyte)-128, (sbyte)7);
        AssertTensor(Run("Neg", T(new[] { 2 }, -2.5f, 3f)), new[] { 2 }, 2.5f, -3f);
        AssertTensor(Run("Sign", T(new[] { 4 }, -2.5f, 0f, 3f, float.NaN)), new[] { 4 }, -1f, 0f, 1f, float.NaN);
        AssertTensor(Run("Sign", T(new[] { 3 }, -9L, 0L, 4L)), new[] { 3 }, -1L, 0L, 1L);
        AssertTensor(Run("Abs", T(new[] { 1 }, (ushort)9)), new[] { 1 }, (ushort)9);
    }

    [Test]
    public void ErfMatchesKnownValues() =>
        AssertTensor(Run("Erf", T(new[] { 7 }, 0.0, 0.5, 1.0, -2.0, 3.0, 5.0, -6.0)), new[] { 7 },
            0.0, 0.5204998778130465, 0.8427007929497149, -0.9953222650189527, 0.9999779095030014, 0.9999999999984626, -1.0);

    [Test]
    public void ScalarsBroadcastWithEmptyTensors() =>
        AssertTensor(Run("Add", T(new[] { 0, 3 }, Array.Empty<float>()), Tensor.Scalar(1f)), new[] { 0, 3 }, Array.Empty<float>());
}
