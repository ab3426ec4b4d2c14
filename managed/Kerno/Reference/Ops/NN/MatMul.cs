namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>MatMul, Gemm, MatMulInteger and QLinearMatMul.</summary>
internal static class MatMul
{
    /// <summary>Output shape and batch index maps of a numpy matmul; <paramref name="a"/>/<paramref name="b"/> are promoted to rank ≥ 2.</summary>
    private static (int[] OutShape, int[] Batch, int[] AMap, int[] BMap, int M, int K, int N) Plan(OpContext ctx, int[] a, int[] b)
    {
        if (a.Length == 0 || b.Length == 0)
            throw ctx.Fail("MatMul operands must have rank 1 or more");
        int[] a2 = a.Length == 1 ? [1, a[0]] : a;
        int[] b2 = b.Length == 1 ? [b[0], 1] : b;
        int M = a2[^2], K = a2[^1], N = b2[^1];
        if (b2[^2] != K)
            throw ctx.Fail($"shapes {Tensor.FormatShape(a)} and {Tensor.FormatShape(b)} cannot be multiplied");
        int[] aBatch = a2[..^2], bBatch = b2[..^2];
        int[] batch = Broadcasting.Shape(ctx, aBatch, bBatch);
        int[] aMap = Broadcasting.IndexMap(aBatch, batch), bMap = Broadcasting.IndexMap(bBatch, batch);
        var outShape = new List<int>(batch);
        if (a.Length != 1)
            outShape.Add(M);
        if (b.Length != 1)
            outShape.Add(N);
        return (outShape.ToArray(), batch, aMap, bMap, M, K, N);
    }

    /// <summary>numpy matmul in double.</summary>
    internal static (double[] Data, int[] Shape) Multiply(OpContext ctx, double[] a, int[] aShape, double[] b, int[] bShape)
    {
        var (outShape, _, aMap, bMap, M, K, N) = Plan(ctx, aShape, bShape);
        var y = new double[aMap.Length * M * N];
        for (int i = 0; i < aMap.Length; ++i)
            NNUtil.Gemm(M, N, K, a.AsSpan(aMap[i] * M * K, M * K), K, b.AsSpan(bMap[i] * K * N, K * N), N, y.AsSpan(i * M * N, M * N), N, false);
        return (y, outShape);
    }

    [OnnxOp("MatMul")]
    private static Tensor MatMulOp(OpContext ctx)
    {
        Tensor a = ctx.Input(0), b = ctx.Input(1);
        if (a.DataType != b.DataType)
            throw ctx.Fail($"A is {a.DataType} but B is {b.DataType}");
        if (a.DataType is DataType.Int32 or DataType.Int64 or DataType.UInt32 or DataType.UInt64)
            return IntegerMatMul(ctx, a, b);
        NNUtil.RequireFloat(ctx, a, "A");
        var (y, shape) = Multiply(ctx, a.ToDoubleArray(), NNUtil.ShapeOf(a), b.ToDoubleArray(), NNUtil.ShapeOf(b));
        return NNUtil.FromDoubles(a.DataType, y, shape);
    }

    private static Tensor IntegerMatMul(OpContext ctx, Tensor at, Tensor bt)
    {
        var (outShape, _, aMap, bMap, M, K, N) = Plan(ctx, NNUtil.ShapeOf(at), NNUtil.ShapeOf(bt));
        long[] a = at.ToInt64Array(), b = bt.ToInt64Array();
        var y = new long[aMap.Length * M * N];
        for (int i = 0; i < aMap.Length; ++i)
        {
            int ao = aMap[i] * M * K, bo = bMap[i] * K * N, yo = i * M * N;
            for (int m = 0; m < M; ++m)
                for (int k = 0; k < K; ++k)
                {
                    long av = a[ao + m * K + k];
                    for (int n = 0; n < N; ++n)
                        y[yo + m * N + n] = unchecked(y[yo + m * N + n] + av * b[bo + k * N + n]);
                }
        }
        return FromInt64(at.DataType, y, outShape);
    }

    /// <summary>A tensor of an integer type from wrapped 64-bit values.</summary>
    internal static Tensor FromInt64(DataType type, long[] y, int[] shape)
    {
        Tensor t = Tensor.Create(type, shape);
        switch (t)
        {
            case Tensor<int> r: for (int i = 0; i < y.Length; ++i) r[i] = unchecked((int)y[i]); break;
            case Tensor<uint> r: for (int i = 0; i < y.Length; ++i) r[i] = unchecked((uint)y[i]); break;
            case Tensor<long> r: y.CopyTo(r.Span); break;
            case Tensor<ulong> r: for (int i = 0; i < y.Length; ++i) r[i] = unchecked((ulong)y[i]); break;
            default: throw new NotSupportedException(type.ToString());
        }
        return t;
    }

    [OnnxOp("Gemm")]
    private static Tensor Gemm(OpContext ctx)
    {
        Tensor at = ctx.Input(0), bt = ctx.Input(1);
        Tensor? ct = ctx.OptionalInput(2);
        if (at.Rank != 2 || bt.Rank != 2)
            throw ctx.Fail($"A {Tensor.FormatShape(at.Shape)} and B {Tensor.FormatShape(bt.Shape)} must be matrices");
        bool transA = ctx.Node.GetInt("transA", 0) != 0, transB = ctx.Node.GetInt("transB", 0) != 0;
        double alpha = ctx.Node.GetFloat("alpha", 1f), beta = ctx.Node.GetFloat("beta", 1f);
        int M = transA ? at.Shape[1] : at.Shape[0], K = transA ? at.Shape[0] : at.Shape[1];
        int Kb = transB ? bt.Shape[1] : bt.Shape[0], N = transB ? bt.Shape[0] : bt.Shape[1];
        if (K != Kb)
            throw ctx.Fail($"A {Tensor.FormatShape(at.Shape)} and B {Tensor.FormatShape(bt.Shape)} do not agree (transA={transA}, transB={transB})");
        double[] a = at.ToDoubleArray(), b = bt.ToDoubleArray();
        if (transA)
            a = NNUtil.Transpose(a, K, M);
        if (transB)
            b = NNUtil.Transpose(b, N, K);
        var y = new double[M * N];
        NNUtil.Gemm(M, N, K, a, K, b, N, y, N, false);
        if (alpha != 1)
            for (int i = 0; i < y.Length; ++i)
                y[i] *= alpha;
        if (ct is not null && beta != 0)
        {
            int[] cs = NNUtil.ShapeOf(ct);
            int[]? bs = Broadcasting.TryShape(cs, [M, N]);
            if (bs is null || bs.Length != 2 || bs[0] != M || bs[1] != N)
                throw ctx.Fail($"C {Tensor.FormatShape(cs)} does not broadcast to [{M},{N}]");
            int[] map = Broadcasting.IndexMap(cs, [M, N]);
            double[] c = ct.ToDoubleArray();
            for (int i = 0; i < y.Length; ++i)
                y[i] += beta * c[map[i]];
        }
        return NNUtil.FromDoubles(at.DataType, y, [M, N]);
    }

    [OnnxOp("MatMulInteger")]
    private static Tensor MatMulInteger(OpContext ctx)
    {
        Tensor at = ctx.Input(0), bt = ctx.Input(1);
        double[] a = at.ToDoubleArray(), b = bt.ToDoubleArray();
        int[] ash = NNUtil.ShapeOf(at), bsh = NNUtil.ShapeOf(bt);
        if (ctx.OptionalInput(2) is { } az)
            SubtractZeroPoint(ctx, a, ash, az.ToDoubleArray(), rows: true);
        if (ctx.OptionalInput(3) is { } bz)
            SubtractZeroPoint(ctx, b, bsh, bz.ToDoubleArray(), rows: false);
        var (y, shape) = Multiply(ctx, a, ash, b, bsh);
        return NNUtil.FromDoubles(DataType.Int32, y, shape);
    }

    /// <summary>Subtracts a scalar, per-row (A: along its second-last axis) or per-column (B: last axis) zero point.</summary>
    private static void SubtractZeroPoint(OpContext ctx, double[] v, int[] shape, double[] zp, bool rows)
    {
        if (v.Length == 0)
            return;
        if (zp.Length == 0)
            throw ctx.Fail("zero point is empty");
        if (zp.Length == 1)
        {
            for (int i = 0; i < v.Length; ++i)
                v[i] -= zp[0];
            return;
        }
        if (shape.Length < 2)
            throw ctx.Fail("a per-row/column zero point needs a matrix operand");
        int cols = shape[^1], rowsN = shape[^2];
        int n = rows ? rowsN : cols;
        if (zp.Length % n != 0)
            throw ctx.Fail($"zero point has {zp.Length} values, expected {n}");
        int mat = rowsN * cols;
        for (int i = 0; i < v.Length; ++i)
        {
            int r = i % mat / cols, c = i % cols;
            int bi = i / mat;
            int idx = (rows ? r : c) + (zp.Length > n ? bi * n % zp.Length : 0);
            v[i] -= zp[idx];
        }
    }

    [OnnxOp("QLinearMatMul")]
    private static Tensor QLinearMatMul(OpContext ctx)
    {
        Tensor at = ctx.Input(0), bt = ctx.Input(3), yz = ctx.Input(7);
        double[] a = Quantize.DequantizeRaw(at), b = Quantize.DequantizeRaw(bt);
        int[] ash = NNUtil.ShapeOf(at), bsh = NNUtil.ShapeOf(bt);
        double[] aScale = ctx.Input(1).ToDoubleArray(), bScale = ctx.Input(4).ToDoubleArray();
        SubtractZeroPoint(ctx, a, ash, Quantize.DequantizeRaw(ctx.Input(2)), rows: true);
        SubtractZeroPoint(ctx, b, bsh, Quantize.DequantizeRaw(ctx.Input(5)), rows: false);
        var (acc, shape) = Multiply(ctx, a, ash, b, bsh);
        double ys = Scalar(ctx, ctx.Input(6).ToDoubleArray(), "y_scale");
        double zy = Scalar(ctx, Quantize.DequantizeRaw(yz), "y_zero_point");
        int N = bsh.Length == 1 ? 1 : bsh[^1];
        int M = ash.Length == 1 ? 1 : ash[^2];
        if (aScale.Length != 1 && aScale.Length != M || bScale.Length != 1 && bScale.Length != N)
            throw ctx.Fail($"a_scale has {aScale.Length} values (expected 1 or {M}), b_scale {bScale.Length} (expected 1 or {N})");
        for (int i = 0; i < acc.Length; ++i)
        {
            int col = i % N, row = i / N % M;
            double s = (float)((float)aScale[aScale.Length == 1 ? 0 : row] * (float)bScale[bScale.Length == 1 ? 0 : col]) / (float)ys;
            acc[i] = Math.Round((float)(acc[i] * s), MidpointRounding.ToEven) + zy;
        }
        return Quantize.Saturate(ctx, yz.DataType, acc, shape);
    }

    /// <summary>The single value of a scale or zero point that must be a scalar.</summary>
    internal static double Scalar(OpContext ctx, double[] values, string what) =>
        values.Length == 1 ? values[0] : throw ctx.Fail($"{what} must have one element, got {values.Length}");
}
