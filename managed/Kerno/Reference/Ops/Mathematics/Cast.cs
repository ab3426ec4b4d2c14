using System.Globalization;
using Kerno.Graph;
using Kerno.Reference.Numerics;

namespace Kerno.Reference.Ops.Mathematics;

/// <summary>
/// Cast and CastLike between every pair of supported types: float, double, float16, bfloat16, the float8 formats
/// (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ; <c>saturate</c>), float4 E2M1, E8M0 (<c>round_mode</c>), the integers
/// including int4/uint4/int2/uint2, bool and string.
/// <para>
/// Every element goes through an exact intermediate: integers and bools as <see cref="Int128"/>, floats as
/// <see cref="double"/>. Integer targets wrap (keep the low bits, like numpy's astype, and like ONNX's int4 tests);
/// floats convert to integers by truncating toward zero first (NaN gives 0). Float targets round to nearest even.
/// Strings parse with the invariant culture ("1e-5", "NaN", "INF", "+INF", "-INF") and format as shortest round-trip text.
/// </para>
/// </summary>
internal static class Cast
{
    /// <summary>One element on its way between types: an exact integer, or a floating-point value.</summary>
    private readonly record struct Number(double Value, Int128? Integer)
    {
        public static Number Exact(Int128 i) => new((double)i, i);
        public static Number Float(double d) => new(d, null);

        /// <summary>The value as an integer: exact integers as they are, floats truncated toward zero (saturating; NaN = 0).</summary>
        public Int128 AsInteger => Integer ?? (double.IsNaN(Value) ? 0 : Int128.CreateSaturating(System.Math.Truncate(Value)));

        public bool IsNonZero => Integer is { } i ? i != 0 : Value != 0;
    }

    [OnnxOp("Cast")]
    private static Tensor CastOp(OpContext ctx)
    {
        AttributeValue to = ctx.Node.Attribute("to") ?? throw ctx.Fail("required attribute 'to' is missing");
        DataType target;
        if (to.Kind == AttributeKind.String)   // opset 1 named the type: "FLOAT", "INT32", ...
        {
            if (!Enum.TryParse(to.String, ignoreCase: true, out target))
                throw ctx.Fail($"unknown type name '{to.String}' in 'to'");
        }
        else
            target = (DataType)ctx.Node.GetInt("to");
        return Convert(ctx, ctx.Input(0), target);
    }

    [OnnxOp("CastLike")]
    private static Tensor CastLike(OpContext ctx) => Convert(ctx, ctx.Input(0), ctx.Input(1).DataType);

    private static Tensor Convert(OpContext ctx, Tensor x, DataType target)
    {
        if (!Enum.IsDefined(target) || target is DataType.Undefined or DataType.Complex64 or DataType.Complex128)
            throw ctx.Fail($"cannot cast to type {(int)target} ({target})");
        bool saturate = ctx.Node.GetInt("saturate", 1) != 0;
        string roundMode = ctx.Node.GetString("round_mode", "up");
        if (target == x.DataType)
            return x.Clone();
        if (target == DataType.String)
            return ToStrings(x);
        Number[] values = Read(ctx, x, DataTypes.IsInteger(target));
        return Write(ctx, values, x.Dims, target, saturate, roundMode);
    }

    private static Number[] Read(OpContext ctx, Tensor x, bool integerTarget)
    {
        var values = new Number[x.Length];
        SmallFloat? small = SmallFloat.Of(x.DataType);
        for (int i = 0; i < values.Length; ++i)
        {
            values[i] = x switch
            {
                Tensor<float> t => Number.Float(t[i]),
                Tensor<double> t => Number.Float(t[i]),
                Tensor<Half> t => Number.Float((double)t[i]),
                Tensor<BFloat16> t => Number.Float((float)t[i]),
                Tensor<byte> t when small is not null => Number.Float(small.Decode(t[i])),
                Tensor<byte> t when x.DataType == DataType.Float8E8M0 => Number.Float(SmallFloat.E8M0.Decode(t[i])),
                Tensor<byte> t => Number.Exact(t[i]),
                Tensor<sbyte> t => Number.Exact(t[i]),
                Tensor<short> t => Number.Exact(t[i]),
                Tensor<ushort> t => Number.Exact(t[i]),
                Tensor<int> t => Number.Exact(t[i]),
                Tensor<uint> t => Number.Exact(t[i]),
                Tensor<long> t => Number.Exact(t[i]),
                Tensor<ulong> t => Number.Exact(t[i]),
                Tensor<bool> t => Number.Exact(t[i] ? 1 : 0),
                Tensor<string> t => Parse(ctx, t[i], integerTarget),
                _ => throw ctx.Fail($"cannot cast from {x.DataType}"),
            };
        }
        return values;
    }

    private static Number Parse(OpContext ctx, string text, bool integerTarget)
    {
        string s = text.Trim();
        if (integerTarget && Int128.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out Int128 i))
            return Number.Exact(i);
        switch (s.ToUpperInvariant())
        {
            case "INF" or "+INF" or "INFINITY" or "+INFINITY":
                return Number.Float(double.PositiveInfinity);
            case "-INF" or "-INFINITY":
                return Number.Float(double.NegativeInfinity);
            case "NAN" or "+NAN" or "-NAN":
                return Number.Float(double.NaN);
            case "TRUE":
                return Number.Exact(1);
            case "FALSE":
                return Number.Exact(0);
        }
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            return Number.Float(d);
        throw ctx.Fail($"cannot parse the string '{text}' as a number");
    }

    private static Tensor Write(OpContext ctx, Number[] v, int[] shape, DataType target, bool saturate, string roundMode)
    {
        SmallFloat? small = SmallFloat.Of(target);
        if (small is not null)
            return Make(v, shape, n => (byte)small.Encode(n.Value, saturate), target);
        switch (target)
        {
            case DataType.Float: return Make(v, shape, n => (float)n.Value);
            case DataType.Double: return Make(v, shape, n => n.Value);
            case DataType.Float16: return Make(v, shape, n => (Half)n.Value);
            case DataType.BFloat16: return Make(v, shape, n => (BFloat16)(float)n.Value);
            case DataType.Float8E8M0:
                if (roundMode is not ("up" or "down" or "nearest"))
                    throw ctx.Fail($"round_mode should be up, down or nearest, got '{roundMode}'");
                return Make(v, shape, n => (byte)SmallFloat.E8M0.Encode((float)n.Value, saturate, roundMode), target);
            case DataType.Bool: return Make(v, shape, n => n.IsNonZero);
            case DataType.Int8: return Make(v, shape, n => sbyte.CreateTruncating(n.AsInteger));
            case DataType.UInt8: return Make(v, shape, n => byte.CreateTruncating(n.AsInteger));
            case DataType.Int16: return Make(v, shape, n => short.CreateTruncating(n.AsInteger));
            case DataType.UInt16: return Make(v, shape, n => ushort.CreateTruncating(n.AsInteger));
            case DataType.Int32: return Make(v, shape, n => int.CreateTruncating(n.AsInteger));
            case DataType.UInt32: return Make(v, shape, n => uint.CreateTruncating(n.AsInteger));
            case DataType.Int64: return Make(v, shape, n => long.CreateTruncating(n.AsInteger));
            case DataType.UInt64: return Make(v, shape, n => ulong.CreateTruncating(n.AsInteger));
            // Sub-byte integers keep their low bits; signed ones are stored sign-extended.
            case DataType.Int4: return Make(v, shape, n => (sbyte)(((int)(n.AsInteger & 0xF) ^ 0x8) - 0x8), target);
            case DataType.UInt4: return Make(v, shape, n => (byte)(n.AsInteger & 0xF), target);
            case DataType.Int2: return Make(v, shape, n => (sbyte)(((int)(n.AsInteger & 0x3) ^ 0x2) - 0x2), target);
            case DataType.UInt2: return Make(v, shape, n => (byte)(n.AsInteger & 0x3), target);
            default: throw ctx.Fail($"cannot cast to {target}");
        }
    }

    private static Tensor<T> Make<T>(Number[] v, int[] shape, Func<Number, T> f, DataType? type = null)
    {
        var data = new T[v.Length];
        for (int i = 0; i < data.Length; ++i)
            data[i] = f(v[i]);
        return new Tensor<T>(data, shape, type);
    }

    /// <summary>Numbers as text: shortest round-trip digits of the value in its own precision, numpy style ("1e-05").</summary>
    private static Tensor ToStrings(Tensor x)
    {
        var data = new string[x.Length];
        SmallFloat? small = SmallFloat.Of(x.DataType);
        for (int i = 0; i < data.Length; ++i)
        {
            data[i] = x switch
            {
                Tensor<float> t => Format(t[i]),
                Tensor<double> t => Format(t[i]),
                Tensor<Half> t => Format((float)t[i], t[i].ToString(CultureInfo.InvariantCulture)),
                Tensor<BFloat16> t => Format((float)t[i]),
                Tensor<byte> t when small is not null => Format((float)small.Decode(t[i])),
                Tensor<byte> t when x.DataType == DataType.Float8E8M0 => Format((float)SmallFloat.E8M0.Decode(t[i])),
                Tensor<bool> t => t[i] ? "True" : "False",
                _ => System.Convert.ToString(x.GetValue(i), CultureInfo.InvariantCulture) ?? "",
            };
        }
        return new Tensor<string>(data, x.Dims);
    }

    private static string Format(double v, string? digits = null)
    {
        if (double.IsNaN(v))
            return "NaN";
        if (double.IsInfinity(v))
            return v > 0 ? "INF" : "-INF";
        return (digits ?? v.ToString("R", CultureInfo.InvariantCulture)).Replace('E', 'e');
    }

    private static string Format(float v) => Format(v, v.ToString("R", CultureInfo.InvariantCulture));
}
