using System.Numerics;
using Kerno.Reference.Numerics;

namespace Kerno.Reference.Ops.Mathematics;

/// <summary>
/// Comparisons (Equal, Less, ...), boolean logic (Not, And, Or, Xor), bitwise integer ops, BitShift, Where, IsNaN
/// and IsInf, all with numpy broadcasting.
/// </summary>
internal static class Logical
{
    // ---- comparisons -------------------------------------------------------------------------------------------

    private interface IComparison
    {
        static abstract bool Apply<T>(T a, T b) where T : INumber<T>;
    }

    private readonly struct EqualOp : IComparison
    {
        public static bool Apply<T>(T a, T b) where T : INumber<T> => a == b;
    }

    private readonly struct LessOp : IComparison
    {
        public static bool Apply<T>(T a, T b) where T : INumber<T> => a < b;
    }

    private readonly struct LessOrEqualOp : IComparison
    {
        public static bool Apply<T>(T a, T b) where T : INumber<T> => a <= b;
    }

    private readonly struct GreaterOp : IComparison
    {
        public static bool Apply<T>(T a, T b) where T : INumber<T> => a > b;
    }

    private readonly struct GreaterOrEqualOp : IComparison
    {
        public static bool Apply<T>(T a, T b) where T : INumber<T> => a >= b;
    }

    private sealed class CompareFunc<TOp>(OpContext ctx, Tensor b) : INumberFunc<Tensor> where TOp : IComparison
    {
        public Tensor Apply<T>(Tensor<T> a) where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
            ElementMap.Binary(ctx, a, ElementTypes.As<T>(b), (x, y) => TOp.Apply(x, y));
    }

    /// <summary>Numeric comparison (NaN compares false, except "not equal" which ONNX has not).</summary>
    private static Tensor Compare<TOp>(OpContext ctx) where TOp : IComparison
    {
        Tensor a = ctx.Input(0), b = LegacyBroadcast.Align(ctx, ctx.Input(0), ctx.Input(1));
        ElementTypes.RequireSameType(ctx, a, b);
        ElementTypes.RequireNumeric(ctx, a);
        return ElementTypes.OnNumber(a, new CompareFunc<TOp>(ctx, b));
    }

    private sealed class EqualAnyFunc(OpContext ctx, Tensor b) : IAnyFunc<Tensor>
    {
        public Tensor Apply<T>(Tensor<T> a) =>
            ElementMap.Binary(ctx, a, (Tensor<T>)b, (x, y) => EqualityComparer<T>.Default.Equals(x, y));
    }

    /// <summary>Equal: numbers, bool and (opset 19) strings.</summary>
    [OnnxOp("Equal")]
    private static Tensor Equal(OpContext ctx)
    {
        Tensor a = ctx.Input(0), b = LegacyBroadcast.Align(ctx, ctx.Input(0), ctx.Input(1));
        ElementTypes.RequireSameType(ctx, a, b);
        if (a.DataType is DataType.Bool or DataType.String)
            return ElementTypes.OnAny(a, new EqualAnyFunc(ctx, b));
        return Compare<EqualOp>(ctx);
    }

    [OnnxOp("Less")]
    private static Tensor Less(OpContext ctx) => Compare<LessOp>(ctx);

    [OnnxOp("LessOrEqual")]
    private static Tensor LessOrEqual(OpContext ctx) => Compare<LessOrEqualOp>(ctx);

    [OnnxOp("Greater")]
    private static Tensor Greater(OpContext ctx) => Compare<GreaterOp>(ctx);

    [OnnxOp("GreaterOrEqual")]
    private static Tensor GreaterOrEqual(OpContext ctx) => Compare<GreaterOrEqualOp>(ctx);

    // ---- boolean logic -----------------------------------------------------------------------------------------

    private static Tensor<bool> Bools(OpContext ctx, int i) =>
        ctx.Input(i) as Tensor<bool> ?? throw ctx.Fail($"input {i} should be bool, got {DataTypes.OnnxName(ctx.Input(i).DataType)}");

    private static Tensor BoolBinary(OpContext ctx, Func<bool, bool, bool> f) =>
        ElementMap.Binary(ctx, Bools(ctx, 0), (Tensor<bool>)LegacyBroadcast.Align(ctx, ctx.Input(0), Bools(ctx, 1)), f);

    [OnnxOp("Not")]
    private static Tensor Not(OpContext ctx) => ElementMap.Unary(Bools(ctx, 0), v => !v);

    [OnnxOp("And")]
    private static Tensor And(OpContext ctx) => BoolBinary(ctx, (a, b) => a && b);

    [OnnxOp("Or")]
    private static Tensor Or(OpContext ctx) => BoolBinary(ctx, (a, b) => a || b);

    [OnnxOp("Xor")]
    private static Tensor Xor(OpContext ctx) => BoolBinary(ctx, (a, b) => a != b);

    // ---- bitwise -----------------------------------------------------------------------------------------------

    private interface IBitwise
    {
        static abstract T Apply<T>(T a, T b) where T : IBinaryInteger<T>;
    }

    private readonly struct BitAndOp : IBitwise
    {
        public static T Apply<T>(T a, T b) where T : IBinaryInteger<T> => a & b;
    }

    private readonly struct BitOrOp : IBitwise
    {
        public static T Apply<T>(T a, T b) where T : IBinaryInteger<T> => a | b;
    }

    private readonly struct BitXorOp : IBitwise
    {
        public static T Apply<T>(T a, T b) where T : IBinaryInteger<T> => a ^ b;
    }

    /// <summary>a &lt;&lt; b; shifting by the bit width or more gives 0 (numpy), not C#'s shift-count masking.</summary>
    private readonly struct ShiftLeftOp : IBitwise
    {
        public static T Apply<T>(T a, T b) where T : IBinaryInteger<T>
        {
            int width = a.GetByteCount() * 8;
            return b >= T.CreateTruncating(width) || T.IsNegative(b) ? T.Zero : a << int.CreateTruncating(b);
        }
    }

    private readonly struct ShiftRightOp : IBitwise
    {
        public static T Apply<T>(T a, T b) where T : IBinaryInteger<T>
        {
            int width = a.GetByteCount() * 8;
            return b >= T.CreateTruncating(width) || T.IsNegative(b) ? T.Zero : a >>> int.CreateTruncating(b);
        }
    }

    private sealed class BitwiseFunc<TOp>(OpContext ctx, Tensor b) : IIntegerFunc<Tensor> where TOp : IBitwise
    {
        public Tensor Apply<T>(Tensor<T> a) where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T> =>
            ElementMap.Binary(ctx, a, (Tensor<T>)b, (x, y) => TOp.Apply(x, y));
    }

    private static Tensor Bitwise<TOp>(OpContext ctx) where TOp : IBitwise
    {
        Tensor a = ctx.Input(0), b = ctx.Input(1);
        ElementTypes.RequireSameType(ctx, a, b);
        if (!ElementTypes.IsInteger(a.DataType))
            throw ctx.Fail($"{ctx.Node.OpType} takes integer tensors, got {DataTypes.OnnxName(a.DataType)}");
        return ElementTypes.OnInteger(a, new BitwiseFunc<TOp>(ctx, b));
    }

    [OnnxOp("BitwiseAnd")]
    private static Tensor BitwiseAnd(OpContext ctx) => Bitwise<BitAndOp>(ctx);

    [OnnxOp("BitwiseOr")]
    private static Tensor BitwiseOr(OpContext ctx) => Bitwise<BitOrOp>(ctx);

    [OnnxOp("BitwiseXor")]
    private static Tensor BitwiseXor(OpContext ctx) => Bitwise<BitXorOp>(ctx);

    private sealed class BitNotFunc : IIntegerFunc<Tensor>
    {
        public Tensor Apply<T>(Tensor<T> x) where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T> =>
            ElementMap.Unary(x, v => ~v);
    }

    [OnnxOp("BitwiseNot")]
    private static Tensor BitwiseNot(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        if (!ElementTypes.IsInteger(x.DataType))
            throw ctx.Fail($"BitwiseNot takes integer tensors, got {DataTypes.OnnxName(x.DataType)}");
        return ElementTypes.OnInteger(x, new BitNotFunc());
    }

    /// <summary>BitShift (unsigned integers): direction "LEFT" or "RIGHT" (logical shift).</summary>
    [OnnxOp("BitShift")]
    private static Tensor BitShift(OpContext ctx)
    {
        string direction = ctx.Node.GetString("direction");
        return direction switch
        {
            "LEFT" => Bitwise<ShiftLeftOp>(ctx),
            "RIGHT" => Bitwise<ShiftRightOp>(ctx),
            _ => throw ctx.Fail($"direction should be LEFT or RIGHT, got '{direction}'"),
        };
    }

    // ---- Where, IsNaN, IsInf -----------------------------------------------------------------------------------

    private sealed class WhereFunc(OpContext ctx, Tensor<bool> condition, Tensor y) : IAnyFunc<Tensor>
    {
        public Tensor Apply<T>(Tensor<T> x) =>
            ElementMap.Ternary(ctx, condition, x, (Tensor<T>)y, (c, a, b) => c ? a : b, x.DataType);
    }

    /// <summary>Where(condition, X, Y): X where condition is true, else Y; all three broadcast. Any element type.</summary>
    [OnnxOp("Where")]
    private static Tensor Where(OpContext ctx)
    {
        Tensor x = ctx.Input(1), y = ctx.Input(2);
        ElementTypes.RequireSameType(ctx, x, y);
        return ElementTypes.OnAny(x, new WhereFunc(ctx, Bools(ctx, 0), y));
    }

    [OnnxOp("IsNaN")]
    private static Tensor IsNaN(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        ElementTypes.RequireFloat(ctx, x);
        return ElementMap.Unary(ElementTypes.ToDouble(x), double.IsNaN);
    }

    /// <summary>IsInf: detect_positive and detect_negative (both default 1) choose which infinities count.</summary>
    [OnnxOp("IsInf")]
    private static Tensor IsInf(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        ElementTypes.RequireFloat(ctx, x);
        bool positive = ctx.Node.GetInt("detect_positive", 1) != 0, negative = ctx.Node.GetInt("detect_negative", 1) != 0;
        return ElementMap.Unary(ElementTypes.ToDouble(x),
            v => (positive && double.IsPositiveInfinity(v)) || (negative && double.IsNegativeInfinity(v)));
    }
}
