namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>Encoding and decoding of the 8-bit and 4-bit float formats (stored one code per byte).</summary>
internal static class Float8
{
    private sealed class Format
    {
        public required double[] Values; // value of positive codes 0..MaxCode
        public required int MaxCode;
        public required int SignBit;
        public required int NaN;
        public int? Inf;
        public bool NegativeZero = true;
        public bool InfSaturatesToNaN;
    }

    private static readonly Dictionary<DataType, Format> Formats = new()
    {
        [DataType.Float8E4M3FN] = Make(4, 3, 7, 0x7E, 0x80, 0x7F, null, negZero: true),
        [DataType.Float8E4M3FNUZ] = Make(4, 3, 8, 0x7F, 0x80, 0x80, null, negZero: false),
        [DataType.Float8E5M2] = Make(5, 2, 15, 0x7B, 0x80, 0x7F, 0x7C, negZero: true),
        [DataType.Float8E5M2FNUZ] = Make(5, 2, 16, 0x7F, 0x80, 0x80, null, negZero: false),
        [DataType.Float4E2M1] = Make(2, 1, 1, 0x7, 0x8, 0x7, null, negZero: true),
    };

    private static Format Make(int ebits, int mbits, int bias, int maxCode, int signBit, int nan, int? inf, bool negZero)
    {
        var values = new double[maxCode + 1];
        for (int c = 0; c <= maxCode; ++c)
        {
            int e = c >> mbits, m = c & ((1 << mbits) - 1);
            values[c] = e == 0
                ? m * Math.Pow(2, 1 - bias - mbits)
                : (1 + m / (double)(1 << mbits)) * Math.Pow(2, e - bias);
        }
        return new Format
        {
            Values = values, MaxCode = maxCode, SignBit = signBit, NaN = nan, Inf = inf, NegativeZero = negZero,
            InfSaturatesToNaN = !negZero,
        };
    }

    /// <summary>True for the formats this class handles.</summary>
    public static bool Handles(DataType t) => Formats.ContainsKey(t) || t == DataType.Float8E8M0;

    /// <summary>The value of a code.</summary>
    public static double Decode(DataType t, byte code)
    {
        if (t == DataType.Float8E8M0)
            return code == 0xFF ? double.NaN : Math.Pow(2, code - 127);
        Format f = Formats[t];
        if (code == f.NaN || (t == DataType.Float8E4M3FN && code == 0xFF) || (t == DataType.Float8E5M2 && (code & 0x7F) > 0x7C))
            return double.NaN;
        if (f.Inf is { } inf && (code & 0x7F) == inf)
            return (code & f.SignBit) != 0 ? double.NegativeInfinity : double.PositiveInfinity;
        int mag = code & (f.SignBit - 1);
        double v = f.Values[mag];
        return (code & f.SignBit) != 0 ? -v : v;
    }

    /// <summary>Rounds a value to the nearest code (ties to even). Overflow gives ±max when <paramref name="saturate"/>, else NaN/Inf.</summary>
    public static byte Encode(DataType t, double v, bool saturate)
    {
        if (t == DataType.Float8E8M0)
        {
            if (double.IsNaN(v) || v <= 0)
                return 0xFF;
            int e = (int)Math.Round(Math.Log2(v), MidpointRounding.ToEven);
            return (byte)Math.Clamp(e + 127, 0, 254);
        }
        Format f = Formats[t];
        bool neg = double.IsNegative(v);
        int nanCode = f.NegativeZero ? f.NaN | (neg ? f.SignBit : 0) : f.NaN;
        if (double.IsNaN(v))
            return (byte)nanCode;
        double a = Math.Abs(v);
        int sign = neg ? f.SignBit : 0;
        int overflow = saturate ? f.MaxCode | sign
            : f.Inf is { } inf ? inf | sign : nanCode;
        if (double.IsInfinity(a))
            return (byte)(saturate && f.InfSaturatesToNaN ? f.NaN : overflow);
        double[] vals = f.Values;
        int code;
        // Largest code with value <= a.
        int lo = 0, hi = f.MaxCode;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (vals[mid] <= a)
                lo = mid;
            else
                hi = mid - 1;
        }
        int c0 = lo;
        if (c0 == f.MaxCode)
        {
            double top = vals[c0];
            if (a == top)
                code = c0;
            else
            {
                double next = top + (top - vals[c0 - 1]);
                double mid = (top + next) / 2;
                if (a < mid || (a == mid && (c0 & 1) == 0))
                    code = c0;
                else
                    return (byte)overflow;
            }
        }
        else
        {
            double dl = a - vals[c0], dh = vals[c0 + 1] - a;
            code = dl < dh ? c0 : dh < dl ? c0 + 1 : (c0 & 1) == 0 ? c0 : c0 + 1;
        }
        if (code == 0 && !f.NegativeZero)
            return 0;
        return (byte)(code | sign);
    }
}
