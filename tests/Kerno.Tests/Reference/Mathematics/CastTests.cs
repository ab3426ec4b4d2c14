using Kerno.Reference.Numerics;
using static Kerno.Tests.Reference.Mathematics.OpTester;

namespace Kerno.Tests.Reference.Mathematics;

public class CastTests
{
    private static Tensor Cast(Tensor x, DataType to, params Kerno.Graph.AttributeValue[] extra) =>
        Run("Cast", 25, new[] { x }, extra.Prepend(Int("to", (long)to)).ToArray());

    [Test]
    public void FloatToIntegersTruncatesAndWraps()
    {
        var x = T(new[] { 5 }, 1.9f, -1.9f, 300f, float.NaN, -0.5f);
        AssertTensor(Cast(x, DataType.Int32), new[] { 5 }, 1, -1, 300, 0, 0);
        AssertTensor(Cast(x, DataType.UInt8), new[] { 5 }, (byte)1, (byte)255, (byte)44, (byte)0, (byte)0);
    }

    [Test]
    public void WideIntegersAreExact()
    {
        AssertTensor(Cast(T(new[] { 2 }, ulong.MaxValue, 5UL), DataType.Int64), new[] { 2 }, -1L, 5L);
        AssertTensor(Cast(T(new[] { 2 }, long.MaxValue, -1L), DataType.UInt64), new[] { 2 }, (ulong)long.MaxValue, ulong.MaxValue);
        AssertTensor(Cast(T(new[] { 1 }, 16777217), DataType.Float), new[] { 1 }, 16777216f);
    }

    [Test]
    public void BoolConversions()
    {
        AssertTensor(Cast(T(new[] { 3 }, 0f, -2f, float.NaN), DataType.Bool), new[] { 3 }, false, true, true);
        AssertTensor(Cast(T(new[] { 2 }, true, false), DataType.Double), new[] { 2 }, 1.0, 0.0);
    }

    [Test]
    public void HalfAndBFloat16RoundToNearestEven()
    {
        AssertTensor(Cast(T(new[] { 2 }, 0.1, 65520.0), DataType.Float16), new[] { 2 }, (Half)0.1, Half.PositiveInfinity);
        var bf = (Tensor<BFloat16>)Cast(T(new[] { 2 }, 0.49968487f, 1f + 1f / 256), DataType.BFloat16);
        Assert.That(bf[0].Bits, Is.EqualTo((ushort)0x3F00));   // rounds up to 0.5, does not truncate
        Assert.That(bf[1].Bits, Is.EqualTo((ushort)0x3F80));   // tie goes to even
    }

    [Test]
    public void StringsParseAndFormat()
    {
        var s = T(new[] { 6 }, "0.5", "1e-5", "NaN", "INF", "-INF", " 7 ");
        AssertTensor(Cast(s, DataType.Float), new[] { 6 }, 0.5f, 1e-5f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 7f);
        AssertTensor(Cast(T(new[] { 2 }, "100.5", "-9223372036854775808"), DataType.Int64), new[] { 2 }, 100L, long.MinValue);
        AssertTensor(Cast(T(new[] { 4 }, 0.9767611f, 1e-5f, float.NaN, float.NegativeInfinity), DataType.String), new[] { 4 }, "0.9767611", "1e-05", "NaN", "-INF");
        AssertTensor(Cast(T(new[] { 2 }, -3, 12), DataType.String), new[] { 2 }, "-3", "12");
        Assert.Throws<KernoModelException>(() => Cast(T(new[] { 1 }, "abc"), DataType.Float));
    }

    [Test]
    public void Float8SaturatesByDefault()
    {
        var x = T(new[] { 6 }, 0.4789254665f, 1e6f, float.PositiveInfinity, float.NaN, -1e-7f, -1e6f);
        AssertBytes(Cast(x, DataType.Float8E4M3FN), DataType.Float8E4M3FN, 0x2F, 0x7E, 0x7E, 0x7F, 0x80, 0xFE);
        AssertBytes(Cast(x, DataType.Float8E4M3FNUZ), DataType.Float8E4M3FNUZ, 0x37, 0x7F, 0x7F, 0x80, 0x00, 0xFF);
        AssertBytes(Cast(x, DataType.Float8E5M2), DataType.Float8E5M2, 0x38, 0x7B, 0x7B, 0x7E, 0x80, 0xFB);
        AssertBytes(Cast(x, DataType.Float8E5M2FNUZ), DataType.Float8E5M2FNUZ, 0x3C, 0x7F, 0x7F, 0x80, 0x00, 0xFF);
    }

    [Test]
    public void Float8WithoutSaturationOverflowsToInfinityOrNaN()
    {
        var x = T(new[] { 3 }, 1e6f, float.NegativeInfinity, 448f);
        AssertBytes(Cast(x, DataType.Float8E4M3FN, Int("saturate", 0)), DataType.Float8E4M3FN, 0x7F, 0xFF, 0x7E);
        AssertBytes(Cast(x, DataType.Float8E4M3FNUZ, Int("saturate", 0)), DataType.Float8E4M3FNUZ, 0x80, 0x80, 0x80);
        AssertBytes(Cast(x, DataType.Float8E5M2, Int("saturate", 0)), DataType.Float8E5M2, 0x7C, 0xFC, 0x5F);
    }

    [Test]
    public void EveryFloat8PatternRoundTrips()
    {
        foreach (DataType t in new[] { DataType.Float8E4M3FN, DataType.Float8E4M3FNUZ, DataType.Float8E5M2, DataType.Float8E5M2FNUZ, DataType.Float4E2M1 })
        {
            int count = t == DataType.Float4E2M1 ? 16 : 256;
            var bits = new Tensor<byte>(Enumerable.Range(0, count).Select(i => (byte)i).ToArray(), new[] { count }, t);
            var back = (Tensor<byte>)Cast(Cast(bits, DataType.Float), t, Int("saturate", 0));
            var f = (Tensor<float>)Cast(bits, DataType.Float);
            for (int i = 0; i < count; ++i)
            {
                if (float.IsNaN(f[i]))
                    Assert.That(SmallFloat.Of(t)!.IsNaN(back[i]), $"{t} 0x{i:X2}");
                else if (!(t is DataType.Float8E4M3FNUZ or DataType.Float8E5M2FNUZ && i == 0x80))
                    Assert.That(back[i], Is.EqualTo((byte)i), $"{t} 0x{i:X2} = {f[i]}");
            }
        }
    }

    [Test]
    public void KnownFloat8Values()
    {
        Assert.That(SmallFloat.E4M3FN.MaxValue, Is.EqualTo(448));
        Assert.That(SmallFloat.E4M3FNUZ.MaxValue, Is.EqualTo(240));
        Assert.That(SmallFloat.E5M2.MaxValue, Is.EqualTo(57344));
        Assert.That(SmallFloat.E5M2FNUZ.MaxValue, Is.EqualTo(57344));
        Assert.That(SmallFloat.E2M1.MaxValue, Is.EqualTo(6));
        Assert.That(SmallFloat.E4M3FN.Decode(0x01), Is.EqualTo(System.Math.Pow(2, -9)));   // smallest subnormal
        Assert.That(SmallFloat.E5M2.Decode(0x7C), Is.EqualTo(double.PositiveInfinity));
    }

    [Test]
    public void Float4E2M1RoundsToEvenAndSaturates()
    {
        var x = T(new[] { 8 }, 0.48f, 0.25f, -3.5f, 9f, float.PositiveInfinity, float.NaN, -0f, 0.75f);
        AssertBytes(Cast(x, DataType.Float4E2M1), DataType.Float4E2M1, 0x1, 0x0, 0xE, 0x7, 0x7, 0x8, 0x8, 0x2);
    }

    [Test]
    public void E8M0RoundModes()
    {
        var x = T(new[] { 5 }, 0f, 0.124f, 1.1f, 1.6f, float.PositiveInfinity);
        AssertBytes(Cast(x, DataType.Float8E8M0), DataType.Float8E8M0, 0x00, 0x7C, 0x80, 0x80, 0xFE);
        AssertBytes(Cast(x, DataType.Float8E8M0, Str("round_mode", "down")), DataType.Float8E8M0, 0x00, 0x7B, 0x7F, 0x7F, 0xFE);
        AssertBytes(Cast(x, DataType.Float8E8M0, Str("round_mode", "nearest")), DataType.Float8E8M0, 0x00, 0x7C, 0x7F, 0x80, 0xFE);
        AssertBytes(Cast(x, DataType.Float8E8M0, Int("saturate", 0)), DataType.Float8E8M0, 0x00, 0x7C, 0x80, 0x80, 0xFF);
        AssertTensor(Cast(new Tensor<byte>(new byte[] { 0x7F, 0x82, 0xFF }, new[] { 3 }, DataType.Float8E8M0), DataType.Float), new[] { 3 }, 1f, 8f, float.NaN);
    }

    [Test]
    public void SubByteIntegersWrap()
    {
        var x = T(new[] { 5 }, -9f, -8f, 7f, 8f, 15f);
        var i4 = Cast(x, DataType.Int4);
        Assert.That(i4.DataType, Is.EqualTo(DataType.Int4));
        AssertTensor(i4, new[] { 5 }, (sbyte)7, (sbyte)-8, (sbyte)7, (sbyte)-8, (sbyte)-1);
        AssertBytes(Cast(x, DataType.UInt4), DataType.UInt4, 7, 8, 7, 8, 15);
        AssertTensor(Cast(T(new[] { 4 }, -3, -2, 1, 2), DataType.Int2), new[] { 4 }, (sbyte)1, (sbyte)-2, (sbyte)1, (sbyte)-2);
        AssertTensor(Cast(new Tensor<sbyte>(new sbyte[] { -8, 7 }, new[] { 2 }, DataType.Int4), DataType.Float), new[] { 2 }, -8f, 7f);
    }

    [Test]
    public void CastLikeTakesTheTypeOfTheSecondInput() =>
        AssertTensor(Run("CastLike", 21, new Tensor[] { T(new[] { 2 }, 1.5, -2.5), T(new[] { 0 }, Array.Empty<int>()) }), new[] { 2 }, 1, -2);

    [Test]
    public void OpsetOneNamesTheTypeAsAString() =>
        AssertTensor(Run("Cast", 1, new Tensor[] { T(new[] { 1 }, 2.5f) }, Str("to", "INT32")), new[] { 1 }, 2);

    private static void AssertBytes(Tensor actual, DataType type, params int[] expected)
    {
        Assert.That(actual.DataType, Is.EqualTo(type));
        AssertTensor(actual, new[] { expected.Length }, expected.Select(b => (byte)b).ToArray());
    }
}
