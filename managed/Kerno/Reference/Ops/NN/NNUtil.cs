using System.Numerics;
using System.Runtime.InteropServices;

namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>Helpers shared by the NN reference operators: element conversion, attributes, window geometry, a dense GEMM.</summary>
internal static class NNUtil
{
    /// <summary>True for float, double, float16 and bfloat16.</summary>
    public static bool IsFloat(DataType t) => t is DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16;

    /// <summary>Fails unless the tensor holds one of the four computing float types.</summary>
    public static void RequireFloat(OpContext ctx, Tensor t, string what)
    {
        if (!IsFloat(t.DataType))
            throw ctx.Fail($"{what} has element type {t.DataType}, which this operator does not accept");
    }

    /// <summary>A tensor of <paramref name="type"/> with the given shape whose elements are <paramref name="data"/> converted (rounded to nearest; integers saturate).</summary>
    public static Tensor FromDoubles(DataType type, ReadOnlySpan<double> data, ReadOnlySpan<int> shape)
    {
        Tensor t = Tensor.Create(type, shape);
        if (t.Length != data.Length)
            throw new ArgumentException($"shape {Tensor.FormatShape(shape)} needs {t.Length} elements, got {data.Length}");
        switch (t)
        {
            case Tensor<float> f:
                {
                    Span<float> s = f.Span;
                    for (int i = 0; i < s.Length; ++i)
                        s[i] = (float)data[i];
                    break;
                }
            case Tensor<double> d:
                data.CopyTo(d.Span);
                break;
            case Tensor<Half> h:
                {
                    Span<Half> s = h.Span;
                    for (int i = 0; i < s.Length; ++i)
                        s[i] = (Half)data[i];
                    break;
                }
            case Tensor<BFloat16> b:
                {
                    Span<BFloat16> s = b.Span;
                    for (int i = 0; i < s.Length; ++i)
                        s[i] = (BFloat16)(float)data[i];
                    break;
                }
            case Tensor<sbyte> x: Fill(x.Span, data, v => (sbyte)Sat(v, sbyte.MinValue, sbyte.MaxValue)); break;
            case Tensor<byte> x: Fill(x.Span, data, v => (byte)Sat(v, byte.MinValue, byte.MaxValue)); break;
            case Tensor<short> x: Fill(x.Span, data, v => (short)Sat(v, short.MinValue, short.MaxValue)); break;
            case Tensor<ushort> x: Fill(x.Span, data, v => (ushort)Sat(v, ushort.MinValue, ushort.MaxValue)); break;
            case Tensor<int> x: Fill(x.Span, data, v => (int)Sat(v, int.MinValue, int.MaxValue)); break;
            case Tensor<uint> x: Fill(x.Span, data, v => (uint)Sat(v, uint.MinValue, uint.MaxValue)); break;
            case Tensor<long> x: Fill(x.Span, data, v => (long)v); break;
            case Tensor<ulong> x: Fill(x.Span, data, v => (ulong)v); break;
            case Tensor<bool> x: Fill(x.Span, data, v => v != 0); break;
            default: throw new NotSupportedException($"cannot make a {type} tensor from numbers");
        }
        return t;
    }

    private static double Sat(double v, double lo, double hi) => double.IsNaN(v) ? 0 : Math.Clamp(Math.Round(v, MidpointRounding.ToEven), lo, hi);

    private static void Fill<T>(Span<T> s, ReadOnlySpan<double> data, Func<double, T> conv)
    {
        for (int i = 0; i < s.Length; ++i)
            s[i] = conv(data[i]);
    }

    /// <summary>An int-list attribute as int[], or <paramref name="fallback"/> when absent.</summary>
    public static int[]? Ints(OpContext ctx, string name, int[]? fallback = null)
    {
        long[]? v = ctx.Node.GetInts(name);
        if (v is null)
            return fallback;
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; ++i)
            r[i] = checked((int)v[i]);
        return r;
    }

    /// <summary>An int array of <paramref name="n"/> copies of <paramref name="value"/>.</summary>
    public static int[] Repeat(int n, int value)
    {
        var r = new int[n];
        Array.Fill(r, value);
        return r;
    }

    /// <summary>Shape as a new int array.</summary>
    public static int[] ShapeOf(Tensor t) => t.Shape.ToArray();

    /// <summary>Product of a span of ints.</summary>
    public static int Product(ReadOnlySpan<int> s)
    {
        int p = 1;
        foreach (int v in s)
            p *= v;
        return p;
    }

    /// <summary>
    /// Computes, for every output position of a sliding window (row-major over the output spatial shape) and every
    /// kernel position (row-major over the kernel), the flat input spatial offset, or -1 when it falls in padding.
    /// Layout: table[p * kernelSize + k].
    /// </summary>
    public static int[] WindowTable(int[] inSpatial, int[] outSpatial, int[] kernel, int[] strides, int[] dilations, int[] padsBegin)
    {
        int rank = inSpatial.Length;
        int P = Product(outSpatial), K = Product(kernel);
        var table = new int[(long)P * K > int.MaxValue ? throw new ArgumentException("window table too large") : P * K];
        int[] inStrides = Tensor.StridesOf(inSpatial);
        var o = new int[rank];
        var k = new int[rank];
        for (int p = 0; p < P; ++p)
        {
            Array.Clear(k);
            for (int kk = 0; kk < K; ++kk)
            {
                int off = 0;
                for (int d = 0; d < rank; ++d)
                {
                    int pos = o[d] * strides[d] - padsBegin[d] + k[d] * dilations[d];
                    if (pos < 0 || pos >= inSpatial[d])
                    {
                        off = -1;
                        break;
                    }
                    off += pos * inStrides[d];
                }
                table[p * K + kk] = off;
                for (int d = rank - 1; d >= 0; --d)
                {
                    if (++k[d] < kernel[d])
                        break;
                    k[d] = 0;
                }
            }
            for (int d = rank - 1; d >= 0; --d)
            {
                if (++o[d] < outSpatial[d])
                    break;
                o[d] = 0;
            }
        }
        return table;
    }

    /// <summary>
    /// Rejects window geometry no valid model has: kernel sizes, strides and dilations below 1, negative pads,
    /// arrays of the wrong length, and windows or padded extents that do not fit in an int (a hostile model's
    /// way to a division by zero or an overflowed offset).
    /// </summary>
    public static void CheckWindow(OpContext ctx, int[] inSpatial, int[] kernel, int[] strides, int[] dilations, int[]? pads)
    {
        int rank = inSpatial.Length;
        if (kernel.Length != rank || strides.Length != rank || dilations.Length != rank)
            throw ctx.Fail($"kernel_shape/strides/dilations have {kernel.Length}/{strides.Length}/{dilations.Length} values, expected {rank}");
        for (int d = 0; d < rank; ++d)
        {
            if (kernel[d] < 1 || strides[d] < 1 || dilations[d] < 1)
                throw ctx.Fail($"kernel {kernel[d]}, stride {strides[d]} and dilation {dilations[d]} along spatial axis {d} must be positive");
            int pb = pads?[d] ?? 0, pe = pads?[d + rank] ?? 0;
            if (pb < 0 || pe < 0)
                throw ctx.Fail($"pads {pb}, {pe} along spatial axis {d} are negative");
            long window = (long)(kernel[d] - 1) * dilations[d] + 1;
            if (window > int.MaxValue || (long)inSpatial[d] + pb + pe > int.MaxValue)
                throw ctx.Fail($"window {window} or padded input {(long)inSpatial[d] + pb + pe} along spatial axis {d} is too large");
        }
    }

    /// <summary>
    /// Resolves auto_pad / pads for a convolution or pooling window and returns the output spatial shape.
    /// <paramref name="ceilMode"/> applies to explicit pads only (pooling).
    /// </summary>
    public static int[] WindowOutput(OpContext ctx, int[] inSpatial, int[] kernel, int[] strides, int[] dilations,
        out int[] padsBegin, out int[] padsEnd, bool ceilMode = false, bool pooling = false)
    {
        int rank = inSpatial.Length;
        string autoPad = ctx.Node.GetString("auto_pad", "NOTSET");
        padsBegin = new int[rank];
        padsEnd = new int[rank];
        var output = new int[rank];
        int[]? pads = Ints(ctx, "pads");
        if (pads is not null && pads.Length != 2 * rank)
            throw ctx.Fail($"pads has {pads.Length} values, expected {2 * rank}");
        CheckWindow(ctx, inSpatial, kernel, strides, dilations, pads);
        for (int d = 0; d < rank; ++d)
        {
            int dk = (kernel[d] - 1) * dilations[d] + 1;
            int n = inSpatial[d], s = strides[d];
            switch (autoPad)
            {
                case "NOTSET" or "":
                    {
                        int pb = pads?[d] ?? 0, pe = pads?[d + rank] ?? 0;
                        padsBegin[d] = pb;
                        padsEnd[d] = pe;
                        int span = n + pb + pe - dk;
                        if (span < 0)
                            throw ctx.Fail($"window {dk} is larger than the padded input {n + pb + pe} along spatial axis {d}");
                        if (ceilMode)
                        {
                            int o = (span + s - 1) / s + 1;
                            // A window must start inside the input or the left padding.
                            if ((o - 1) * s >= n + pb)
                                o--;
                            output[d] = o;
                        }
                        else
                            output[d] = span / s + 1;
                        break;
                    }
                case "VALID":
                    {
                        if (n < dk)
                            throw ctx.Fail($"window {dk} is larger than the input {n} along spatial axis {d}");
                        int span = n - dk;
                        output[d] = (ceilMode ? (span + s - 1) / s : span / s) + 1;
                        break;
                    }
                case "SAME_UPPER" or "SAME_LOWER":
                    {
                        int o = (n + s - 1) / s;
                        int total = Math.Max(0, (o - 1) * s + dk - n);
                        if (autoPad == "SAME_UPPER")
                        {
                            padsBegin[d] = total / 2;
                            padsEnd[d] = total - total / 2;
                        }
                        else
                        {
                            padsBegin[d] = total - total / 2;
                            padsEnd[d] = total / 2;
                        }
                        output[d] = o;
                        break;
                    }
                default:
                    throw ctx.Fail($"unknown auto_pad '{autoPad}'");
            }
        }
        _ = pooling;
        return output;
    }

    /// <summary>
    /// C[M×N] (+)= A[M×K] · B[K×N], row-major with leading dimensions, in double. Blocked so a panel of B stays in
    /// cache, four rows of C at a time, vectorized along N.
    /// </summary>
    public static void Gemm(int M, int N, int K, ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb,
        Span<double> c, int ldc, bool accumulate)
    {
        if (!accumulate)
            for (int m = 0; m < M; ++m)
                c.Slice(m * ldc, N).Clear();
        if (K == 0 || M == 0 || N == 0)
            return;
        const int NB = 128;
        int vw = Vector<double>.Count;
        for (int n0 = 0; n0 < N; n0 += NB)
        {
            int nb = Math.Min(NB, N - n0);
            int nv = nb - nb % vw;
            int m = 0;
            for (; m + 4 <= M; m += 4)
            {
                Span<double> c0 = c.Slice(m * ldc + n0, nb);
                Span<double> c1 = c.Slice((m + 1) * ldc + n0, nb);
                Span<double> c2 = c.Slice((m + 2) * ldc + n0, nb);
                Span<double> c3 = c.Slice((m + 3) * ldc + n0, nb);
                Span<Vector<double>> v0 = MemoryMarshal.Cast<double, Vector<double>>(c0[..nv]);
                Span<Vector<double>> v1 = MemoryMarshal.Cast<double, Vector<double>>(c1[..nv]);
                Span<Vector<double>> v2 = MemoryMarshal.Cast<double, Vector<double>>(c2[..nv]);
                Span<Vector<double>> v3 = MemoryMarshal.Cast<double, Vector<double>>(c3[..nv]);
                for (int k = 0; k < K; ++k)
                {
                    double w0 = a[m * lda + k], w1 = a[(m + 1) * lda + k], w2 = a[(m + 2) * lda + k], w3 = a[(m + 3) * lda + k];
                    ReadOnlySpan<double> row = b.Slice(k * ldb + n0, nb);
                    ReadOnlySpan<Vector<double>> rv = MemoryMarshal.Cast<double, Vector<double>>(row[..nv]);
                    var W0 = new Vector<double>(w0);
                    var W1 = new Vector<double>(w1);
                    var W2 = new Vector<double>(w2);
                    var W3 = new Vector<double>(w3);
                    for (int j = 0; j < rv.Length; ++j)
                    {
                        Vector<double> x = rv[j];
                        v0[j] += W0 * x;
                        v1[j] += W1 * x;
                        v2[j] += W2 * x;
                        v3[j] += W3 * x;
                    }
                    for (int j = nv; j < nb; ++j)
                    {
                        double x = row[j];
                        c0[j] += w0 * x;
                        c1[j] += w1 * x;
                        c2[j] += w2 * x;
                        c3[j] += w3 * x;
                    }
                }
            }
            for (; m < M; ++m)
            {
                Span<double> c0 = c.Slice(m * ldc + n0, nb);
                Span<Vector<double>> v0 = MemoryMarshal.Cast<double, Vector<double>>(c0[..nv]);
                for (int k = 0; k < K; ++k)
                {
                    double w0 = a[m * lda + k];
                    ReadOnlySpan<double> row = b.Slice(k * ldb + n0, nb);
                    ReadOnlySpan<Vector<double>> rv = MemoryMarshal.Cast<double, Vector<double>>(row[..nv]);
                    var W0 = new Vector<double>(w0);
                    for (int j = 0; j < rv.Length; ++j)
                        v0[j] += W0 * rv[j];
                    for (int j = nv; j < nb; ++j)
                        c0[j] += w0 * row[j];
                }
            }
        }
    }

    /// <summary>Transposes a row-major R×C matrix into a new C×R one.</summary>
    public static double[] Transpose(ReadOnlySpan<double> src, int rows, int cols)
    {
        var dst = new double[rows * cols];
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c)
                dst[c * rows + r] = src[r * cols + c];
        return dst;
    }
}
