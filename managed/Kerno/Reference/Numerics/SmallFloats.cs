namespace Kerno.Reference.Numerics;

/// <summary>
/// The 8- and 4-bit float formats ONNX defines, stored one value per byte as their bit pattern:
/// float8 E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ (sign, exponent, mantissa), float4 E2M1, and the exponent-only E8M0.
/// </summary>
internal sealed class SmallFloat
{
    private SmallFloat(int exponentBits, int mantissaBits, int bias, bool hasInfinity, bool unsignedZero)
    {
        ExponentBits = exponentBits;
        MantissaBits = mantissaBits;
        Bias = bias;
        HasInfinity = hasInfinity;
        UnsignedZero = unsignedZero;
        SignBit = 1 << (exponentBits + mantissaBits);
        MaxValue = Decode(MaxFiniteBits());
    }

    /// <summary>float8 E4M3FN: bias 7, no infinity, NaN is S.1111.111, max 448.</summary>
    public static readonly SmallFloat E4M3FN = new(4, 3, 7, hasInfinity: false, unsignedZero: false);
    /// <summary>float8 E4M3FNUZ: bias 8, no infinity, no negative zero, NaN is 0x80, max 240.</summary>
    public static readonly SmallFloat E4M3FNUZ = new(4, 3, 8, hasInfinity: false, unsignedZero: true);
    /// <summary>float8 E5M2: IEEE-like with bias 15, infinities and NaNs, max 57344.</summary>
    public static readonly SmallFloat E5M2 = new(5, 2, 15, hasInfinity: true, unsignedZero: false);
    /// <summary>float8 E5M2FNUZ: bias 16, no infinity, no negative zero, NaN is 0x80, max 57344.</summary>
    public static readonly SmallFloat E5M2FNUZ = new(5, 2, 16, hasInfinity: false, unsignedZero: true);
    /// <summary>float4 E2M1: bias 1, no infinity or NaN; values 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives.</summary>
    public static readonly SmallFloat E2M1 = new(2, 1, 1, hasInfinity: false, unsignedZero: false);

    /// <summary>The format of a data type, or null for other types (E8M0 is handled by <see cref="E8M0"/>).</summary>
    public static SmallFloat? Of(DataType type) => type switch
    {
        DataType.Float8E4M3FN => E4M3FN,
        DataType.Float8E4M3FNUZ => E4M3FNUZ,
        DataType.Float8E5M2 => E5M2,
        DataType.Float8E5M2FNUZ => E5M2FNUZ,
        DataType.Float4E2M1 => E2M1,
        _ => null,
    };

    /// <summary>Exponent field width.</summary>
    public int ExponentBits { get; }
    /// <summary>Mantissa field width.</summary>
    public int MantissaBits { get; }
    /// <summary>Exponent bias.</summary>
    public int Bias { get; }
    /// <summary>True when the all-ones exponent with a zero mantissa is infinity (E5M2 only).</summary>
    public bool HasInfinity { get; }
    /// <summary>True for the FNUZ formats: the "negative zero" pattern is the only NaN.</summary>
    public bool UnsignedZero { get; }
    /// <summary>The sign bit.</summary>
    public int SignBit { get; }
    /// <summary>Largest finite value.</summary>
    public double MaxValue { get; }

    private int MantissaMask => (1 << MantissaBits) - 1;
    private int ExponentMax => (1 << ExponentBits) - 1;
    private bool IsFloat4 => ExponentBits == 2;

    private int MaxFiniteBits()
    {
        int all = SignBit - 1;                          // every exponent and mantissa bit set
        if (HasInfinity)
            return (ExponentMax - 1) << MantissaBits | MantissaMask;   // E5M2: 0x7B
        if (UnsignedZero || IsFloat4)
            return all;                                 // FNUZ: 0x7F is finite; E2M1 has no specials
        return all - 1;                                 // E4M3FN: 0x7F is NaN, 0x7E is max
    }

    /// <summary>True when the bit pattern is a NaN.</summary>
    public bool IsNaN(int bits)
    {
        if (IsFloat4)
            return false;
        if (UnsignedZero)
            return bits == SignBit;
        int magnitude = bits & (SignBit - 1);
        if (HasInfinity)
            return (magnitude >> MantissaBits) == ExponentMax && (magnitude & MantissaMask) != 0;
        return magnitude == SignBit - 1;
    }

    /// <summary>The value of a bit pattern.</summary>
    public double Decode(int bits)
    {
        bits &= (SignBit << 1) - 1;
        if (IsNaN(bits))
            return double.NaN;
        bool negative = (bits & SignBit) != 0;
        int exponent = (bits & (SignBit - 1)) >> MantissaBits, mantissa = bits & MantissaMask;
        double value;
        if (HasInfinity && exponent == ExponentMax)
            value = double.PositiveInfinity;
        else if (exponent == 0)   // subnormal: 0.m * 2^(1 - bias)
            value = Math.ScaleB(mantissa, 1 - Bias - MantissaBits);
        else                      // normal: 1.m * 2^(e - bias)
            value = Math.ScaleB((1 << MantissaBits) + mantissa, exponent - Bias - MantissaBits);
        return negative ? -value : value;
    }

    /// <summary>
    /// The bit pattern nearest to <paramref name="x"/> (round to nearest, ties to even). Out of range values (including
    /// infinities) become the largest finite value when <paramref name="saturate"/>, else infinity (E5M2) or NaN.
    /// Float4 E2M1 always saturates and maps NaN to the 0x8 pattern, as ONNX's reference does.
    /// </summary>
    public int Encode(double x, bool saturate = true)
    {
        if (IsFloat4)
            saturate = true;
        int sign = double.IsNegative(x) ? SignBit : 0;
        if (double.IsNaN(x))
        {
            if (IsFloat4 || UnsignedZero)
                return SignBit;                                                 // 0x80 (E2M1: 0x8)
            return HasInfinity ? ExponentMax << MantissaBits | 1 << (MantissaBits - 1) : SignBit - 1;   // E5M2 0x7E, E4M3FN 0x7F
        }
        double a = Math.Abs(x);
        double rounded = double.IsInfinity(a) ? a : RoundToFormat(a);
        if (rounded > MaxValue)
        {
            if (saturate)
                return sign | MaxFiniteBits();
            if (HasInfinity)
                return sign | ExponentMax << MantissaBits;
            return UnsignedZero ? SignBit : sign | (SignBit - 1);
        }
        if (rounded == 0)
            return UnsignedZero ? 0 : sign;
        int e = Math.ILogB(rounded);
        int bits;
        if (e < 1 - Bias)   // subnormal
            bits = (int)Math.ScaleB(rounded, Bias - 1 + MantissaBits);
        else
            bits = (e + Bias) << MantissaBits | ((int)Math.ScaleB(rounded, MantissaBits - e) & MantissaMask);
        return sign | bits;
    }

    // Rounds a positive finite value to the format's precision, as if the exponent range were unbounded above.
    private double RoundToFormat(double a)
    {
        if (a == 0)
            return 0;
        int e = Math.Max(Math.ILogB(a), 1 - Bias);   // below the normal range the quantum stays 2^(1-bias-m)
        int quantumExponent = e - MantissaBits;
        return Math.ScaleB(Math.Round(Math.ScaleB(a, -quantumExponent), MidpointRounding.ToEven), quantumExponent);
    }

    /// <summary>
    /// The exponent-only E8M0 format: the byte is the biased (127) exponent of a power of two, 0xFF is NaN, no sign.
    /// </summary>
    public static class E8M0
    {
        /// <summary>2^(bits - 127), NaN for 0xFF.</summary>
        public static double Decode(int bits) => (bits & 0xFF) == 0xFF ? double.NaN : Math.ScaleB(1.0, (bits & 0xFF) - 127);

        /// <summary>
        /// The power of two for |x|, rounded per <paramref name="roundMode"/> ("up", "down" or "nearest") on x's float32
        /// mantissa; too large values give 0xFE when <paramref name="saturate"/>, else NaN (0xFF); zero gives 0x00.
        /// </summary>
        public static int Encode(float x, bool saturate, string roundMode)
        {
            if (float.IsNaN(x))
                return 0xFF;
            if (float.IsInfinity(x))
                return saturate ? 0xFE : 0xFF;
            uint bits = BitConverter.SingleToUInt32Bits(x) & 0x7FFFFFFF;
            int exponent = (int)(bits >> 23);        // float32's bias is 127 too
            uint mantissa = bits & 0x7FFFFF;
            bool up = roundMode switch
            {
                "up" => mantissa != 0,
                "down" => false,
                "nearest" => mantissa >= 0x400000,
                _ => throw new ArgumentException($"unknown round_mode '{roundMode}'"),
            };
            if (up)
                exponent++;
            if (exponent >= 0xFF)
                return saturate ? 0xFE : 0xFF;
            return exponent;
        }
    }
}
