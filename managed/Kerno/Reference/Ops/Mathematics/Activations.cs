using System.Numerics;
using Kerno.Reference.Numerics;

namespace Kerno.Reference.Ops.Mathematics;

/// <summary>
/// Activation functions. The float ones are computed in double and rounded once to the input type; Relu, PRelu,
/// Clip and Shrink also take integers. Attribute defaults are ONNX's.
/// </summary>
internal static class Activations
{
    /// <summary>A float-only activation computed in double.</summary>
    private static Tensor Float(OpContext ctx, Func<double, double> f)
    {
        Tensor x = ctx.Input(0);
        ElementTypes.RequireFloat(ctx, x);
        return ElementMap.FloatUnary(x, f);
    }

    private static double Alpha(OpContext ctx, float fallback) => ctx.Node.GetFloat("alpha", fallback);

    private static double Sigmoid(double x) => 1 / (1 + System.Math.Exp(-x));

    /// <summary>log(1 + exp(x)) without overflow for large x.</summary>
    private static double Softplus(double x) =>
        x > 0 ? x + System.Math.Log(1 + System.Math.Exp(-x)) : System.Math.Log(1 + System.Math.Exp(x));

    private sealed class ReluFunc : INumberFunc<Tensor>
    {
        public Tensor Apply<T>(Tensor<T> x) where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
            ElementMap.Unary(x, v => v < T.Zero ? T.Zero : v);
    }

    /// <summary>max(0, x); floats and (opset 14) signed integers. NaN stays NaN.</summary>
    [OnnxOp("Relu")]
    private static Tensor Relu(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        ElementTypes.RequireNumeric(ctx, x);
        return ElementTypes.Restore(ElementTypes.OnNumber(x, new ReluFunc()), x.DataType);
    }

    [OnnxOp("LeakyRelu")]
    private static Tensor LeakyRelu(OpContext ctx)
    {
        double alpha = Alpha(ctx, 0.01f);
        return Float(ctx, x => x < 0 ? alpha * x : x);
    }

    private sealed class PReluFunc(OpContext ctx, Tensor slope) : INumberFunc<Tensor>
    {
        public Tensor Apply<T>(Tensor<T> x) where T : unmanaged, INumber<T>, IMinMaxValue<T> =>
            ElementMap.Binary(ctx, x, ElementTypes.As<T>(slope), (v, s) => v < T.Zero ? s * v : v);
    }

    /// <summary>PRelu: x &lt; 0 ? slope * x : x, slope broadcasting (unidirectionally) to x.</summary>
    [OnnxOp("PRelu")]
    private static Tensor PRelu(OpContext ctx)
    {
        Tensor x = ctx.Input(0), slope = ctx.Input(1);
        ElementTypes.RequireNumeric(ctx, x);
        ElementTypes.RequireSameType(ctx, x, slope);
        if (ctx.Opset < 7 && slope.Rank == 1 && x.Rank >= 2 && slope.Length == x.Shape[1] && slope.Length != 1)
        {
            // Before opset 7 (no numpy broadcasting yet), a 1-D slope holds one value per channel (axis 1).
            var perChannel = new int[x.Rank - 1];
            Array.Fill(perChannel, 1);
            perChannel[0] = slope.Length;
            slope = slope.Reshape(perChannel);
        }
        int[]? shape = Broadcasting.TryShape(x.Dims, slope.Dims);
        if (shape is null || !shape.AsSpan().SequenceEqual(x.Dims))
            throw ctx.Fail($"slope of shape {Tensor.FormatShape(slope.Shape)} does not broadcast to input shape {Tensor.FormatShape(x.Shape)}");
        return ElementTypes.Restore(ElementTypes.OnNumber(x, new PReluFunc(ctx, slope)), x.DataType);
    }

    [OnnxOp("Elu")]
    private static Tensor Elu(OpContext ctx)
    {
        double alpha = Alpha(ctx, 1f);
        return Float(ctx, x => x < 0 ? alpha * (System.Math.Exp(x) - 1) : x);
    }

    [OnnxOp("Selu")]
    private static Tensor Selu(OpContext ctx)
    {
        double alpha = Alpha(ctx, 1.67326319217681884765625f), gamma = ctx.Node.GetFloat("gamma", 1.05070102214813232421875f);
        return Float(ctx, x => x > 0 ? gamma * x : gamma * (alpha * System.Math.Exp(x) - alpha));
    }

    /// <summary>max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).</summary>
    [OnnxOp("Celu")]
    private static Tensor Celu(OpContext ctx)
    {
        double alpha = Alpha(ctx, 1f);
        return Float(ctx, x => System.Math.Max(0, x) + System.Math.Min(0, alpha * (System.Math.Exp(x / alpha) - 1)));
    }

    [OnnxOp("Sigmoid")]
    private static Tensor SigmoidOp(OpContext ctx) => Float(ctx, Sigmoid);

    /// <summary>max(0, min(1, alpha * x + beta)).</summary>
    [OnnxOp("HardSigmoid")]
    private static Tensor HardSigmoid(OpContext ctx)
    {
        double alpha = Alpha(ctx, 0.2f), beta = ctx.Node.GetFloat("beta", 0.5f);
        return Float(ctx, x => System.Math.Max(0, System.Math.Min(1, alpha * x + beta)));
    }

    /// <summary>x * max(0, min(1, x / 6 + 0.5)).</summary>
    [OnnxOp("HardSwish")]
    private static Tensor HardSwish(OpContext ctx) =>
        Float(ctx, x => x * System.Math.Max(0, System.Math.Min(1, x / 6 + 0.5)));

    /// <summary>x * sigmoid(alpha * x).</summary>
    [OnnxOp("Swish")]
    private static Tensor Swish(OpContext ctx)
    {
        double alpha = Alpha(ctx, 1f);
        return Float(ctx, x => x * Sigmoid(alpha * x));
    }

    [OnnxOp("Tanh")]
    private static Tensor Tanh(OpContext ctx) => Float(ctx, System.Math.Tanh);

    [OnnxOp("Softplus")]
    private static Tensor SoftplusOp(OpContext ctx) => Float(ctx, Softplus);

    [OnnxOp("Softsign")]
    private static Tensor Softsign(OpContext ctx) => Float(ctx, x => x / (1 + System.Math.Abs(x)));

    /// <summary>x * tanh(softplus(x)).</summary>
    [OnnxOp("Mish")]
    private static Tensor Mish(OpContext ctx) => Float(ctx, x => x * System.Math.Tanh(Softplus(x)));

    /// <summary>Gelu: approximate "none" is x/2 (1 + erf(x/sqrt 2)); "tanh" is x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))).</summary>
    [OnnxOp("Gelu")]
    private static Tensor Gelu(OpContext ctx)
    {
        string approximate = ctx.Node.GetString("approximate", "none");
        return approximate switch
        {
            // erfc(-x/sqrt2) = 1 + erf(x/sqrt2), without cancellation for large negative x.
            "none" => Float(ctx, x => 0.5 * x * SpecialFunctions.Erfc(-x / System.Math.Sqrt(2))),
            "tanh" => Float(ctx, x => 0.5 * x * (1 + System.Math.Tanh(System.Math.Sqrt(2 / System.Math.PI) * (x + 0.044715 * x * x * x)))),
            _ => throw ctx.Fail($"approximate should be 'none' or 'tanh', got '{approximate}'"),
        };
    }

    [OnnxOp("ThresholdedRelu")]
    private static Tensor ThresholdedRelu(OpContext ctx)
    {
        double alpha = Alpha(ctx, 1f);
        return Float(ctx, x => x > alpha ? x : 0);
    }

    /// <summary>Shrink: x &lt; -lambd ? x + bias : x &gt; lambd ? x - bias : 0. Integers are computed in double and truncated.</summary>
    [OnnxOp("Shrink")]
    private static Tensor Shrink(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        ElementTypes.RequireNumeric(ctx, x);
        double lambd = ctx.Node.GetFloat("lambd", 0.5f), bias = ctx.Node.GetFloat("bias", 0f);
        Tensor<double> y = ElementMap.Unary(ElementTypes.ToDouble(x), v => v < -lambd ? v + bias : v > lambd ? v - bias : 0);
        return ElementTypes.FromDouble(y, x.DataType);
    }

    private sealed class ClipFunc(Tensor? min, Tensor? max) : INumberFunc<Tensor>
    {
        public Tensor Apply<T>(Tensor<T> x) where T : unmanaged, INumber<T>, IMinMaxValue<T>
        {
            T lo = min is null ? T.MinValue : ElementTypes.As<T>(min)[0];
            T hi = max is null ? T.MaxValue : ElementTypes.As<T>(max)[0];
            if (typeof(T) == typeof(double))
            {
                lo = min is null ? T.CreateTruncating(double.NegativeInfinity) : lo;
                hi = max is null ? T.CreateTruncating(double.PositiveInfinity) : hi;
            }
            // min first, then max: when min > max every element becomes max, as the spec says. NaN stays NaN.
            return ElementMap.Unary(x, v => T.Min(T.Max(v, lo), hi));
        }
    }

    /// <summary>
    /// Clip to [min, max]: attributes before opset 11, optional scalar inputs from opset 11 (numeric types from 12).
    /// </summary>
    [OnnxOp("Clip")]
    private static Tensor Clip(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        ElementTypes.RequireNumeric(ctx, x);
        Tensor? min, max;
        if (ctx.Opset < 11)
        {
            ElementTypes.RequireFloat(ctx, x);
            min = Tensor.Scalar((double)ctx.Node.GetFloat("min", float.MinValue));
            max = Tensor.Scalar((double)ctx.Node.GetFloat("max", float.MaxValue));
        }
        else
        {
            min = ctx.OptionalInput(1);
            max = ctx.OptionalInput(2);
            foreach (Tensor? bound in new[] { min, max })
            {
                if (bound is null)
                    continue;
                ElementTypes.RequireSameType(ctx, x, bound);
                if (bound.Length != 1)
                    throw ctx.Fail($"min and max should be scalars, got shape {Tensor.FormatShape(bound.Shape)}");
            }
        }
        return ElementTypes.Restore(ElementTypes.OnNumber(x, new ClipFunc(min, max)), x.DataType);
    }
}
