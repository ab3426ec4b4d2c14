using System.Numerics;
using Kerno.Reference.Numerics;

namespace Kerno.Reference.Ops.Mathematics;

/// <summary>
/// Element-wise arithmetic with numpy broadcasting (Add, Sub, Mul, Div, Mod, Pow, Max, Min, Sum, Mean) and the
/// element-wise math functions (Sqrt, Exp, trigonometry, rounding, Abs, Neg, Sign, Erf, ...).
/// Float types are computed in double and rounded once; integers in their own type, wrapping on overflow like numpy.
/// </summary>
internal static class Elementwise
{
    // ---- binary arithmetic ------------------------------------------------------------------------------------

    /// <summary>One arithmetic operation on double (standing for every float type) or an integer type.</summary>
    private interface IArithmetic
    {
        static abstract T Apply<T>(T a, T b) where T : INumber<T>, IMinMaxValue<T>;
    }

    private static bool IsIntegerType<T>() => typeof(T) != typeof(double);

    private readonly struct AddOp : IArithmetic
    {
        public static T Apply<T>(T a, T b) where T : INumber<T>, IMinMaxValue<T> => a + b;
    }

    private readonly struct SubOp : IArithmetic
    {
        public static T Apply<T>(T a, T b) where T : INumber<T>, IMinMaxValue<T> => a - b;
    }

    private readonly struct MulOp : IArithmetic
    {
        public static T Apply<T>(T a, T b) where T : INumber<T>, IMinMaxValue<T> => a * b;
    }

    /// <summary>Division; integer division truncates toward zero (MinValue / -1 wraps to MinValue).</summary>
    private readonly struct DivOp : IArithmetic
    {
        public static T Apply<T>(T a, T b) where T : INumber<T>, IMinMaxValue<T>
        {
            if (IsIntegerType<T>())
            {
                if (T.IsZero(b))
                    throw new DivideByZeroException();
                if (T.IsNegative(b) && b == T.Zero - T.One)
                    return T.Zero - a;
            }
            return a / b;
        }
    }

    /// <summary>Max propagating NaN (numpy.maximum).</summary>
    private readonly struct MaxOp : IArithmetic
    {
        public static T Apply<T>(T a, T b) where T : INumber<T>, IMinMaxValue<T> => T.Max(a, b);
    }

    /// <summary>Min propagating NaN (numpy.minimum).</summary>
    private readonly struct MinOp : IArithmetic
    {
        public static T Apply<T>(T a, T b) where T : INumber<T>, IMinMaxValue<T> => T.Min(a, b);
    }

    /// <summary>C's fmod: the remainder has the sign of the dividend (Mod with fmod=1).</summary>
    private readonly struct TruncatedModOp : IArithmetic
    {
        public static T Apply<T>(T a, T b) where T : INumber<T>, IMinMaxValue<T>
        {
            if (IsIntegerType<T>())
            {
                if (T.IsZero(b))
                    throw new DivideByZeroException();
                if (T.IsNegative(b) && b == T.Zero - T.One)
                    return T.Zero;
            }
            return a % b;
        }
    }

    /// <summary>Python's %: the remainder has the sign of the divisor (Mod with fmod=0).</summary>
    private readonly struct FlooredModOp : IArithmetic
    {
        public static T Apply<T>(T a, T b) where T : INumber<T>, IMinMaxValue<T>
        {
            T r = TruncatedModOp.Apply(a, b);
            if (!T.IsZero(r) && T.IsNegative(r) != T.IsNegative(b))
                r += b;
            return r;
        }
    }

    private sealed class BinaryFunc<TOp>(OpContext ctx, Tensor b) : INumberFunc<Tensor> where TOp : IArithmetic
    {
        public Tensor Apply<T>(Tensor<T> a) where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
            ElementMap.Binary(ctx, a, ElementTypes.As<T>(b), (x, y) => TOp.Apply(x, y));
    }

    /// <summary>a op b with broadcasting, for two numeric tensors of one type.</summary>
    private static Tensor Arithmetic<TOp>(OpContext ctx, Tensor a, Tensor b) where TOp : IArithmetic
    {
        ElementTypes.RequireNumeric(ctx, a);
        ElementTypes.RequireSameType(ctx, a, b);
        try
        {
            return ElementTypes.Restore(ElementTypes.OnNumber(a, new BinaryFunc<TOp>(ctx, b)), a.DataType);
        }
        catch (DivideByZeroException)
        {
            throw ctx.Fail("integer division by zero");
        }
    }

    private static Tensor Arithmetic<TOp>(OpContext ctx) where TOp : IArithmetic =>
        Arithmetic<TOp>(ctx, ctx.Input(0), LegacyBroadcast.Align(ctx, ctx.Input(0), ctx.Input(1)));

    [OnnxOp("Add")]
    private static Tensor Add(OpContext ctx) => Arithmetic<AddOp>(ctx);

    [OnnxOp("Sub")]
    private static Tensor Sub(OpContext ctx) => Arithmetic<SubOp>(ctx);

    [OnnxOp("Mul")]
    private static Tensor Mul(OpContext ctx) => Arithmetic<MulOp>(ctx);

    [OnnxOp("Div")]
    private static Tensor Div(OpContext ctx) => Arithmetic<DivOp>(ctx);

    /// <summary>Mod: fmod=0 (default) gives the sign of the divisor (integers only), fmod=1 the sign of the dividend.</summary>
    [OnnxOp("Mod")]
    private static Tensor Mod(OpContext ctx)
    {
        long fmod = ctx.Node.GetInt("fmod", 0);
        if (fmod == 0 && ElementTypes.IsFloat(ctx.Input(0).DataType))
            throw ctx.Fail("fmod must be 1 for floating-point inputs");
        return fmod != 0 ? Arithmetic<TruncatedModOp>(ctx) : Arithmetic<FlooredModOp>(ctx);
    }

    /// <summary>Folds a variadic op (Max, Min, Sum) over all inputs; broadcasting is associative.</summary>
    private static Tensor Variadic<TOp>(OpContext ctx) where TOp : IArithmetic
    {
        if (ctx.Inputs.Count == 0)
            throw ctx.Fail("needs at least one input");
        Tensor result = ctx.Input(0);
        ElementTypes.RequireNumeric(ctx, result);
        if (ctx.Inputs.Count == 1)
            return result.Clone();
        for (int i = 1; i < ctx.Inputs.Count; ++i)
            result = Arithmetic<TOp>(ctx, result, ctx.Input(i));
        return result;
    }

    [OnnxOp("Max")]
    private static Tensor Max(OpContext ctx) => Variadic<MaxOp>(ctx);

    [OnnxOp("Min")]
    private static Tensor Min(OpContext ctx) => Variadic<MinOp>(ctx);

    [OnnxOp("Sum")]
    private static Tensor Sum(OpContext ctx) => Variadic<AddOp>(ctx);

    /// <summary>Mean of the inputs (float types): the broadcast sum in double, divided by the input count.</summary>
    [OnnxOp("Mean")]
    private static Tensor Mean(OpContext ctx)
    {
        if (ctx.Inputs.Count == 0)
            throw ctx.Fail("needs at least one input");
        Tensor first = ctx.Input(0);
        ElementTypes.RequireFloat(ctx, first);
        Tensor<double> sum = ElementTypes.ToDouble(first);
        for (int i = 1; i < ctx.Inputs.Count; ++i)
        {
            ElementTypes.RequireSameType(ctx, first, ctx.Input(i));
            sum = ElementMap.Binary(ctx, sum, ElementTypes.ToDouble(ctx.Input(i)), (a, b) => a + b);
        }
        int n = ctx.Inputs.Count;
        return ElementTypes.Restore(ElementMap.Unary(sum, s => s / n), first.DataType);
    }

    // ---- Pow ---------------------------------------------------------------------------------------------------

    /// <summary>
    /// Pow: the result has the base's type. Integer ** integer is exact with wrapping (a negative exponent gives the
    /// truncated value: 0 unless the base is 1 or -1); anything with a float is computed in double as numpy does and
    /// converted to the base's type (truncating for integer bases).
    /// </summary>
    [OnnxOp("Pow")]
    private static Tensor Pow(OpContext ctx)
    {
        Tensor x = ctx.Input(0), y = LegacyBroadcast.Align(ctx, ctx.Input(0), ctx.Input(1));
        ElementTypes.RequireNumeric(ctx, x, "base");
        ElementTypes.RequireNumeric(ctx, y, "exponent");
        if (ElementTypes.IsInteger(x.DataType) && ElementTypes.IsInteger(y.DataType))
        {
            var exponent = new Tensor<long>(y.ToInt64Array(), y.Dims);
            return ElementTypes.OnInteger(x, new IntegerPowFunc(ctx, exponent));
        }
        Tensor<double> z = ElementMap.Binary(ctx, ElementTypes.ToDouble(x), ElementTypes.ToDouble(y), System.Math.Pow);
        return ElementTypes.FromDouble(z, x.DataType);
    }

    private sealed class IntegerPowFunc(OpContext ctx, Tensor<long> exponent) : IIntegerFunc<Tensor>
    {
        public Tensor Apply<T>(Tensor<T> x) where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T> =>
            ElementMap.Binary(ctx, x, exponent, IntegerPow);

        private static T IntegerPow<T>(T b, long e) where T : IBinaryInteger<T>
        {
            if (e < 0)
                return b == T.One ? T.One : T.IsNegative(b) && b == T.Zero - T.One ? ((e & 1) == 0 ? T.One : b) : T.Zero;
            T result = T.One;
            while (e > 0)   // square and multiply, wrapping like numpy
            {
                if ((e & 1) != 0)
                    result *= b;
                b *= b;
                e >>= 1;
            }
            return result;
        }
    }

    // ---- unary functions ---------------------------------------------------------------------------------------

    /// <summary>A float-only unary function computed in double.</summary>
    private static Tensor Float(OpContext ctx, Func<double, double> f)
    {
        Tensor x = ctx.Input(0);
        ElementTypes.RequireFloat(ctx, x);
        return ElementMap.FloatUnary(x, f);
    }

    [OnnxOp("Sqrt")]
    private static Tensor Sqrt(OpContext ctx) => Float(ctx, System.Math.Sqrt);

    [OnnxOp("Exp")]
    private static Tensor Exp(OpContext ctx) => Float(ctx, System.Math.Exp);

    [OnnxOp("Log")]
    private static Tensor Log(OpContext ctx) => Float(ctx, System.Math.Log);

    [OnnxOp("Reciprocal")]
    private static Tensor Reciprocal(OpContext ctx) => Float(ctx, v => 1 / v);

    [OnnxOp("Floor")]
    private static Tensor Floor(OpContext ctx) => Float(ctx, System.Math.Floor);

    [OnnxOp("Ceil")]
    private static Tensor Ceil(OpContext ctx) => Float(ctx, System.Math.Ceiling);

    /// <summary>Round half to even (numpy.round).</summary>
    [OnnxOp("Round")]
    private static Tensor Round(OpContext ctx) => Float(ctx, v => System.Math.Round(v, MidpointRounding.ToEven));

    [OnnxOp("Sin")]
    private static Tensor Sin(OpContext ctx) => Float(ctx, System.Math.Sin);

    [OnnxOp("Cos")]
    private static Tensor Cos(OpContext ctx) => Float(ctx, System.Math.Cos);

    [OnnxOp("Tan")]
    private static Tensor Tan(OpContext ctx) => Float(ctx, System.Math.Tan);

    [OnnxOp("Asin")]
    private static Tensor Asin(OpContext ctx) => Float(ctx, System.Math.Asin);

    [OnnxOp("Acos")]
    private static Tensor Acos(OpContext ctx) => Float(ctx, System.Math.Acos);

    [OnnxOp("Atan")]
    private static Tensor Atan(OpContext ctx) => Float(ctx, System.Math.Atan);

    [OnnxOp("Sinh")]
    private static Tensor Sinh(OpContext ctx) => Float(ctx, System.Math.Sinh);

    [OnnxOp("Cosh")]
    private static Tensor Cosh(OpContext ctx) => Float(ctx, System.Math.Cosh);

    [OnnxOp("Asinh")]
    private static Tensor Asinh(OpContext ctx) => Float(ctx, System.Math.Asinh);

    [OnnxOp("Acosh")]
    private static Tensor Acosh(OpContext ctx) => Float(ctx, System.Math.Acosh);

    [OnnxOp("Atanh")]
    private static Tensor Atanh(OpContext ctx) => Float(ctx, System.Math.Atanh);

    [OnnxOp("Erf")]
    private static Tensor Erf(OpContext ctx) => Float(ctx, SpecialFunctions.Erf);

    /// <summary>One unary operation on double (standing for every float type) or an integer type.</summary>
    private interface IUnaryNumber
    {
        static abstract T Apply<T>(T x) where T : INumber<T>;
    }

    /// <summary>|x|; the most negative integer stays itself, as in numpy.</summary>
    private readonly struct AbsOp : IUnaryNumber
    {
        public static T Apply<T>(T x) where T : INumber<T> => T.IsNegative(x) ? T.Zero - x : x;
    }

    private readonly struct NegOp : IUnaryNumber
    {
        public static T Apply<T>(T x) where T : INumber<T> => T.Zero - x;
    }

    /// <summary>-1, 0 or 1 (NaN stays NaN).</summary>
    private readonly struct SignOp : IUnaryNumber
    {
        public static T Apply<T>(T x) where T : INumber<T> =>
            T.IsNaN(x) ? x : T.IsZero(x) ? T.Zero : T.IsNegative(x) ? T.Zero - T.One : T.One;
    }

    private sealed class UnaryFunc<TOp> : INumberFunc<Tensor> where TOp : IUnaryNumber
    {
        public Tensor Apply<T>(Tensor<T> x) where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
            ElementMap.Unary(x, v => TOp.Apply(v));
    }

    private static Tensor Numeric<TOp>(OpContext ctx) where TOp : IUnaryNumber
    {
        Tensor x = ctx.Input(0);
        ElementTypes.RequireNumeric(ctx, x);
        return ElementTypes.Restore(ElementTypes.OnNumber(x, new UnaryFunc<TOp>()), x.DataType);
    }

    [OnnxOp("Abs")]
    private static Tensor Abs(OpContext ctx) => Numeric<AbsOp>(ctx);

    [OnnxOp("Neg")]
    private static Tensor Neg(OpContext ctx) => Numeric<NegOp>(ctx);

    [OnnxOp("Sign")]
    private static Tensor Sign(OpContext ctx) => Numeric<SignOp>(ctx);
}
