using static Kerno.Tests.Reference.Mathematics.OpTester;

namespace Kerno.Tests.Reference.Mathematics;

public class LogicalTests
{
    [Test]
    public void ComparisonsBroadcastAndTreatNaNAsUnordered()
    {
        var a = T(new[] { 2, 2 }, 1f, 2f, float.NaN, 4f);
        var b = T(new[] { 2 }, 2f, 2f);
        AssertTensor(Run("Equal", a, b), new[] { 2, 2 }, false, true, false, false);
        AssertTensor(Run("Less", a, b), new[] { 2, 2 }, true, false, false, false);
        AssertTensor(Run("LessOrEqual", a, b), new[] { 2, 2 }, true, true, false, false);
        AssertTensor(Run("Greater", a, b), new[] { 2, 2 }, false, false, false, true);
        AssertTensor(Run("GreaterOrEqual", a, b), new[] { 2, 2 }, false, true, false, true);
    }

    [Test]
    public void ComparisonsOfWideIntegersAreExact() =>
        AssertTensor(Run("Less", T(new[] { 2 }, long.MaxValue - 1, ulong.MaxValue > 0 ? -1L : 0L), T(new[] { 2 }, long.MaxValue, -2L)),
            new[] { 2 }, true, false);

    [Test]
    public void EqualOnBoolsAndStrings()
    {
        AssertTensor(Run("Equal", T(new[] { 2 }, true, false), T(new[] { 1 }, true)), new[] { 2 }, true, false);
        AssertTensor(Run("Equal", T(new[] { 3 }, "a", "b", ""), T(new[] { 3 }, "a", "c", "")), new[] { 3 }, true, false, true);
    }

    [Test]
    public void BooleanLogic()
    {
        var a = T(new[] { 4 }, false, false, true, true);
        var b = T(new[] { 4 }, false, true, false, true);
        AssertTensor(Run("And", a, b), new[] { 4 }, false, false, false, true);
        AssertTensor(Run("Or", a, b), new[] { 4 }, false, true, true, true);
        AssertTensor(Run("Xor", a, b), new[] { 4 }, false, true, true, false);
        AssertTensor(Run("Not", a), new[] { 4 }, true, true, false, false);
        Assert.Throws<KernoModelException>(() => Run("And", T(new[] { 1 }, 1), T(new[] { 1 }, 1)));
    }

    [Test]
    public void BitwiseOps()
    {
        var a = T(new[] { 2 }, (byte)0b1100, (byte)0xFF);
        var b = T(new[] { 2 }, (byte)0b1010, (byte)0x0F);
        AssertTensor(Run("BitwiseAnd", a, b), new[] { 2 }, (byte)0b1000, (byte)0x0F);
        AssertTensor(Run("BitwiseOr", a, b), new[] { 2 }, (byte)0b1110, (byte)0xFF);
        AssertTensor(Run("BitwiseXor", a, b), new[] { 2 }, (byte)0b0110, (byte)0xF0);
        AssertTensor(Run("BitwiseNot", T(new[] { 2 }, 0, -1)), new[] { 2 }, -1, 0);
    }

    [Test]
    public void BitShiftBeyondWidthGivesZero()
    {
        var x = T(new[] { 3 }, (byte)0x81, (byte)1, (byte)0xFF);
        var s = T(new[] { 3 }, (byte)1, (byte)8, (byte)7);
        AssertTensor(Run("BitShift", 11, new Tensor[] { x, s }, Str("direction", "LEFT")), new[] { 3 }, (byte)0x02, (byte)0, (byte)0x80);
        AssertTensor(Run("BitShift", 11, new Tensor[] { x, s }, Str("direction", "RIGHT")), new[] { 3 }, (byte)0x40, (byte)0, (byte)1);
        AssertTensor(Run("BitShift", 11, new Tensor[] { T(new[] { 1 }, ulong.MaxValue), T(new[] { 1 }, 63UL) }, Str("direction", "RIGHT")),
            new[] { 1 }, 1UL);
    }

    [Test]
    public void WhereBroadcastsThreeWaysForAnyType()
    {
        var c = T(new[] { 2, 1 }, true, false);
        AssertTensor(Run("Where", c, T(new[] { 2 }, 1L, 2L), T(new[] { 1 }, 9L)), new[] { 2, 2 }, 1L, 2L, 9L, 9L);
        AssertTensor(Run("Where", c, T(new[] { 1 }, "yes"), T(new[] { 1 }, "no")), new[] { 2, 1 }, "yes", "no");
    }

    [Test]
    public void IsNaNAndIsInf()
    {
        var x = T(new[] { 4 }, 1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity);
        AssertTensor(Run("IsNaN", x), new[] { 4 }, false, true, false, false);
        AssertTensor(Run("IsInf", 20, new Tensor[] { x }), new[] { 4 }, false, false, true, true);
        AssertTensor(Run("IsInf", 20, new Tensor[] { x }, Int("detect_negative", 0)), new[] { 4 }, false, false, true, false);
        AssertTensor(Run("IsInf", 20, new Tensor[] { x }, Int("detect_positive", 0)), new[] { 4 }, false, false, false, true);
    }
}
