using Kerno.Reference.Numerics;

namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear (per-tensor, per-axis, blocked).</summary>
internal static class Quantize
{
    // The 8/4-bit float formats share Cast's codecs (Reference/Numerics/SmallFloats.cs).
    private static bool IsSmallFloat(DataType t) => SmallFloat.Of(t) is not null || t == DataType.Float8E8M0;

    /// <summary>Elements as numbers: float8/float4 codes decoded, integers as they are.</summary>
    internal static double[] DequantizeRaw(Tensor t)
    {
        if (IsSmallFloat(t.DataType))
        {
            var codes = (Tensor<byte>)t;
            SmallFloat? format = SmallFloat.Of(t.DataType);
            var r = new double[t.Length];
            for (int i = 0; i < r.Length; ++i)
                r[i] = format?.Decode(codes[i]) ?? SmallFloat.E8M0.Decode(codes[i]);
            return r;
        }
        return t.ToDoubleArray();
    }

    /// <summary>Integer range of a quantized type.</summary>
    internal static (double Min, double Max) Range(DataType t) => t switch
    {
        DataType.UInt8 => (0, 255),
        DataType.Int8 => (-128, 127),
        DataType.UInt16 => (0, 65535),
        DataType.Int16 => (-32768, 32767),
        DataType.Int32 => (int.MinValue, int.MaxValue),
        DataType.UInt4 => (0, 15),
        DataType.Int4 => (-8, 7),
        DataType.UInt2 => (0, 3),
        DataType.Int2 => (-2, 1),
        _ => throw new NotSupportedException($"{t} is not a quantized integer type"),
    };

    /// <summary>A tensor of an integer quantized type from already rounded values, clamped to its range.</summary>
    internal static Tensor Saturate(OpContext ctx, DataType type, double[] v, int[] shape)
    {
        (double lo, double hi) = Range(type);
        Tensor t = Tensor.Create(type, shape);
        for (int i = 0; i < v.Length; ++i)
        {
            double x = double.IsNaN(v[i]) ? 0 : Math.Clamp(v[i], lo, hi);
            switch (t)
            {
                case Tensor<byte> b: b[i] = (byte)x; break;
                case Tensor<sbyte> b: b[i] = (sbyte)x; break;
                case Tensor<ushort> b: b[i] = (ushort)x; break;
                case Tensor<short> b: b[i] = (short)x; break;
                case Tensor<int> b: b[i] = (int)x; break;
                default: throw ctx.Fail($"cannot quantize to {type}");
            }
        }
        return t;
    }

    /// <summary>For each element of a tensor of <paramref name="shape"/>, the index of its scale / zero point.</summary>
    private static int[] ParamIndex(OpContext ctx, int[] shape, int[] paramShape, int axisAttr, int blockSize)
    {
        int n = Tensor.ElementCount(shape);
        var map = new int[n];
        int pcount = Tensor.ElementCount(paramShape);
        if (pcount == 1 && paramShape.Length <= 1)
            return map;
        int rank = shape.Length;
        int axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
        if (axis < 0 || axis >= rank)
            throw ctx.Fail($"axis {axisAttr} is out of range for rank {rank}");
        int outer = NNUtil.Product(shape.AsSpan(0, axis)), len = shape[axis], inner = NNUtil.Product(shape.AsSpan(axis + 1));
        if (blockSize <= 0)
        {
            if (paramShape.Length != 1 || paramShape[0] != len)
                throw ctx.Fail($"per-axis scale has shape {Tensor.FormatShape(paramShape)}, expected [{len}]");
            for (int i = 0; i < n; ++i)
                map[i] = i / inner % len;
            return map;
        }
        int nb = (len + blockSize - 1) / blockSize;
        if (paramShape.Length != rank || paramShape[axis] != nb)
            throw ctx.Fail($"blocked scale has shape {Tensor.FormatShape(paramShape)}, not matching input {Tensor.FormatShape(shape)} with block_size {blockSize}");
        for (int o = 0, i = 0; o < outer; ++o)
            for (int a = 0; a < len; ++a)
                for (int k = 0; k < inner; ++k, ++i)
                    map[i] = (o * nb + a / blockSize) * inner + k;
        return map;
    }

    [OnnxOp("QuantizeLinear")]
    private static Tensor QuantizeLinear(OpContext ctx)
    {
        Tensor x = ctx.Input(0), scale = ctx.Input(1);
        Tensor? zp = ctx.OptionalInput(2);
        DataType outType = zp?.DataType
            ?? (ctx.Node.GetInt("output_dtype", 0) is long od and not 0 ? (DataType)od : DataType.UInt8);
        if (zp is not null && ctx.Node.GetInt("output_dtype", 0) is long od2 and not 0 && (DataType)od2 != zp.DataType)
            throw ctx.Fail($"output_dtype {(DataType)od2} differs from the zero point type {zp.DataType}");
        int axis = (int)ctx.Node.GetInt("axis", 1);
        int block = (int)ctx.Node.GetInt("block_size", 0);
        bool saturate = ctx.Node.GetInt("saturate", 1) != 0;
        int[] xs = NNUtil.ShapeOf(x);
        int[] map = ParamIndex(ctx, xs, NNUtil.ShapeOf(scale), axis, block);
        double[] xv = x.ToDoubleArray(), sv = scale.ToDoubleArray();
        double[] zv = zp is null ? new double[sv.Length] : DequantizeRaw(zp);
        if (zv.Length != sv.Length)
            throw ctx.Fail($"zero point has {zv.Length} values but scale has {sv.Length}");
        bool inFloat = x.DataType != DataType.Double && scale.DataType != DataType.Double;
        var q = new double[xv.Length];
        for (int i = 0; i < q.Length; ++i)
        {
            double s = sv[map[i]];
            q[i] = inFloat ? (float)xv[i] / (float)s : xv[i] / s;
        }
        if (IsSmallFloat(outType))
        {
            var t = new Tensor<byte>(xs, outType);
            SmallFloat? format = SmallFloat.Of(outType);
            for (int i = 0; i < q.Length; ++i)
            {
                double v = q[i] + zv[map[i]];
                t[i] = (byte)(format?.Encode(v, saturate) ?? SmallFloat.E8M0.Encode((float)v, saturate, "nearest"));
            }
            return t;
        }
        for (int i = 0; i < q.Length; ++i)
            q[i] = Math.Round(q[i], MidpointRounding.ToEven) + zv[map[i]];
        return Saturate(ctx, outType, q, xs);
    }

    [OnnxOp("DequantizeLinear")]
    private static Tensor DequantizeLinear(OpContext ctx)
    {
        Tensor x = ctx.Input(0), scale = ctx.Input(1);
        Tensor? zp = ctx.OptionalInput(2);
        int axis = (int)ctx.Node.GetInt("axis", 1);
        int block = (int)ctx.Node.GetInt("block_size", 0);
        int[] xs = NNUtil.ShapeOf(x);
        int[] map = ParamIndex(ctx, xs, NNUtil.ShapeOf(scale), axis, block);
        double[] xv = DequantizeRaw(x), sv = scale.ToDoubleArray();
        double[] zv = zp is null ? new double[sv.Length] : DequantizeRaw(zp);
        if (zv.Length != sv.Length)
            throw ctx.Fail($"zero point has {zv.Length} values but scale has {sv.Length}");
        DataType outType = ctx.Node.GetInt("output_dtype", 0) is long od and not 0 ? (DataType)od : scale.DataType;
        if (ctx.Opset < 19)
            outType = DataType.Float;
        bool inFloat = outType != DataType.Double;
        var y = new double[xv.Length];
        for (int i = 0; i < y.Length; ++i)
        {
            double v = xv[i] - zv[map[i]];
            y[i] = inFloat ? (float)v * (float)sv[map[i]] : v * sv[map[i]];
        }
        return NNUtil.FromDoubles(outType, y, xs);
    }

    [OnnxOp("DynamicQuantizeLinear")]
    private static Value?[] DynamicQuantizeLinear(OpContext ctx)
    {
        Tensor x = ctx.Input(0);
        double[] xv = x.ToDoubleArray();
        float min = 0, max = 0;
        foreach (double v in xv)
        {
            min = Math.Min(min, (float)v);
            max = Math.Max(max, (float)v);
        }
        float scale = (max - min) / 255f;
        float zpf = scale == 0 ? 0 : Math.Clamp(MathF.Round((0 - min) / scale, MidpointRounding.ToEven), 0, 255);
        var y = new double[xv.Length];
        for (int i = 0; i < y.Length; ++i)
            y[i] = scale == 0 ? zpf : Math.Round((float)xv[i] / scale, MidpointRounding.ToEven) + zpf;
        return
        [
            Saturate(ctx, DataType.UInt8, y, NNUtil.ShapeOf(x)),
            Tensor.Scalar(scale),
            Tensor.Scalar((byte)zpf),
        ];
    }
}
