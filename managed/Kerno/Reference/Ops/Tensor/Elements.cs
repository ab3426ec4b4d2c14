namespace Kerno.Reference.Ops.Tensors;

/// <summary>A computation that is generic over a tensor's element type (see <see cref="Elements.Visit{R}"/>).</summary>
internal interface ITensorFunc<out TResult>
{
    /// <summary>Runs on a tensor whose elements are <typeparamref name="T"/>.</summary>
    TResult Run<T>(Tensor<T> tensor);
}

/// <summary>
/// Element-moving helpers shared by the shape and indexing operators: they work for every element type
/// (strings and bools included) because they only copy elements by index, never compute with them.
/// </summary>
internal static class Elements
{
    /// <summary>Calls <paramref name="func"/> with the tensor typed by its storage type.</summary>
    public static TResult Visit<TResult>(Tensor tensor, ITensorFunc<TResult> func) => tensor switch
    {
        Tensor<float> t => func.Run(t),
        Tensor<double> t => func.Run(t),
        Tensor<Half> t => func.Run(t),
        Tensor<BFloat16> t => func.Run(t),
        Tensor<sbyte> t => func.Run(t),
        Tensor<byte> t => func.Run(t),
        Tensor<short> t => func.Run(t),
        Tensor<ushort> t => func.Run(t),
        Tensor<int> t => func.Run(t),
        Tensor<uint> t => func.Run(t),
        Tensor<long> t => func.Run(t),
        Tensor<ulong> t => func.Run(t),
        Tensor<bool> t => func.Run(t),
        Tensor<string> t => func.Run(t),
        _ => throw new NotSupportedException($"tensors of {tensor.ElementType.Name} are not supported"),
    };

    /// <summary>
    /// A new tensor of <paramref name="src"/>'s data type and <paramref name="shape"/> whose element <c>i</c> is
    /// <c>src[map[i]]</c>; where <c>map[i]</c> is negative it is the single element of <paramref name="fill"/>
    /// (or zero / the empty string when <paramref name="fill"/> is null).
    /// </summary>
    public static Tensor Take(Tensor src, int[] shape, int[] map, Tensor? fill = null) =>
        TakeMany([src], shape, null, map, fill);

    /// <summary>
    /// Like <see cref="Take"/> but from several sources of one data type: element <c>i</c> is
    /// <c>srcs[which[i]][map[i]]</c> (<paramref name="which"/> null = all from the first).
    /// </summary>
    public static Tensor TakeMany(IReadOnlyList<Tensor> srcs, int[] shape, int[]? which, int[] map, Tensor? fill = null) =>
        Visit(srcs[0], new TakeFunc(srcs, shape, which, map, fill));

    private sealed record TakeFunc(IReadOnlyList<Tensor> Srcs, int[] Shape, int[]? Which, int[] Map, Tensor? Fill) : ITensorFunc<Tensor>
    {
        public Tensor Run<T>(Tensor<T> first)
        {
            var spans = new T[Srcs.Count][];
            for (int s = 0; s < Srcs.Count; ++s)
            {
                if (Srcs[s] is not Tensor<T> t || t.DataType != first.DataType)
                    throw new ArgumentException($"inputs have different element types ({first.DataType} and {Srcs[s].DataType})");
                spans[s] = t.Memory.ToArray();
            }
            var result = (Tensor<T>)Tensor.Create(first.DataType, Shape);
            Span<T> dst = result.Span;
            T fillValue = default!;
            if (Fill is not null)
            {
                if (Fill is not Tensor<T> f || Fill.Length < 1)
                    throw new ArgumentException($"fill value must be one {typeof(T).Name}, got {Fill}");
                fillValue = f[0];
            }
            else if (typeof(T) == typeof(string))
                fillValue = (T)(object)"";
            for (int i = 0; i < dst.Length; ++i)
            {
                int m = Map[i];
                dst[i] = m < 0 ? fillValue : spans[Which?[i] ?? 0][m];
            }
            return result;
        }
    }

    /// <summary>Normalizes a possibly negative axis into [0, rank), failing with the node's name when out of range.</summary>
    public static int Axis(OpContext ctx, long axis, int rank, string what = "axis")
    {
        if (axis < -rank || axis >= rank)
            throw ctx.Fail($"{what} {axis} is out of range for rank {rank}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    /// <summary>Normalizes a list of axes (each may be negative); fails on duplicates.</summary>
    public static int[] Axes(OpContext ctx, long[] axes, int rank)
    {
        var result = new int[axes.Length];
        for (int i = 0; i < axes.Length; ++i)
        {
            result[i] = Axis(ctx, axes[i], rank);
            for (int j = 0; j < i; ++j)
                if (result[j] == result[i])
                    throw ctx.Fail($"axis {axes[i]} appears twice in [{string.Join(",", axes)}]");
        }
        return result;
    }

    /// <summary>Converts a dimension to int, failing with the node's name when it does not fit.</summary>
    public static int Dim(OpContext ctx, long d, string what = "dimension")
    {
        if (d < 0 || d > int.MaxValue)
            throw ctx.Fail($"{what} {d} is out of range");
        return (int)d;
    }

    /// <summary>Checked element count of a shape, failing with the node's name.</summary>
    public static int Count(OpContext ctx, ReadOnlySpan<int> shape)
    {
        try
        {
            return Tensor.ElementCount(shape);
        }
        catch (ArgumentException e)
        {
            throw ctx.Fail(e.Message);
        }
    }

    /// <summary>
    /// Calls <paramref name="visit"/> for every multi-index of <paramref name="shape"/> in row-major order with
    /// the index and its flat position.
    /// </summary>
    public static void ForEachIndex(ReadOnlySpan<int> shape, Action<int[], int> visit)
    {
        int n = Tensor.ElementCount(shape);
        var idx = new int[shape.Length];
        for (int flat = 0; flat < n; ++flat)
        {
            visit(idx, flat);
            for (int a = shape.Length - 1; a >= 0; --a)
            {
                if (++idx[a] < shape[a])
                    break;
                idx[a] = 0;
            }
        }
    }

    /// <summary>Flat row-major offset of a multi-index given strides.</summary>
    public static int Offset(ReadOnlySpan<int> index, ReadOnlySpan<int> strides)
    {
        int o = 0;
        for (int i = 0; i < index.Length; ++i)
            o += index[i] * strides[i];
        return o;
    }

    /// <summary>
    /// A tensor of <paramref name="type"/> from doubles: floating types are rounded to the nearest representable
    /// value; integer types take <paramref name="toInteger"/> of the value (truncation by default), saturated.
    /// </summary>
    public static Tensor FromDoubles(DataType type, int[] shape, double[] values, Func<double, double>? toInteger = null)
    {
        if (DataTypes.BitsPerElement(type) < 8 || (DataTypes.IsFloatingPoint(type) && DataTypes.RawSize(type) == 1))
            throw new NotSupportedException($"arithmetic results cannot be stored as {DataTypes.OnnxName(type)}");
        Tensor t = Tensor.Create(type, shape);
        toInteger ??= Math.Truncate;
        switch (t)
        {
            case Tensor<float> f: for (int i = 0; i < values.Length; ++i) f[i] = (float)values[i]; break;
            case Tensor<double> d: values.CopyTo(d.Span); break;
            case Tensor<Half> h: for (int i = 0; i < values.Length; ++i) h[i] = (Half)values[i]; break;
            case Tensor<BFloat16> b: for (int i = 0; i < values.Length; ++i) b[i] = (BFloat16)(float)values[i]; break;
            case Tensor<sbyte> x: for (int i = 0; i < values.Length; ++i) x[i] = (sbyte)Clamp(toInteger(values[i]), sbyte.MinValue, sbyte.MaxValue); break;
            case Tensor<byte> x: for (int i = 0; i < values.Length; ++i) x[i] = (byte)Clamp(toInteger(values[i]), byte.MinValue, byte.MaxValue); break;
            case Tensor<short> x: for (int i = 0; i < values.Length; ++i) x[i] = (short)Clamp(toInteger(values[i]), short.MinValue, short.MaxValue); break;
            case Tensor<ushort> x: for (int i = 0; i < values.Length; ++i) x[i] = (ushort)Clamp(toInteger(values[i]), ushort.MinValue, ushort.MaxValue); break;
            case Tensor<int> x: for (int i = 0; i < values.Length; ++i) x[i] = (int)Clamp(toInteger(values[i]), int.MinValue, int.MaxValue); break;
            case Tensor<uint> x: for (int i = 0; i < values.Length; ++i) x[i] = (uint)Clamp(toInteger(values[i]), uint.MinValue, uint.MaxValue); break;
            case Tensor<long> x: for (int i = 0; i < values.Length; ++i) x[i] = (long)Clamp(toInteger(values[i]), long.MinValue, long.MaxValue); break;
            case Tensor<ulong> x: for (int i = 0; i < values.Length; ++i) x[i] = (ulong)Clamp(toInteger(values[i]), ulong.MinValue, ulong.MaxValue); break;
            case Tensor<bool> x: for (int i = 0; i < values.Length; ++i) x[i] = values[i] != 0; break;
            default: throw new NotSupportedException($"cannot make a {type} tensor from numbers");
        }
        return t;
    }

    private static double Clamp(double v, double lo, double hi) => double.IsNaN(v) ? 0 : Math.Clamp(v, lo, hi);

    /// <summary>
    /// A tensor of an integer <paramref name="type"/> (or bool) from longs, wrapping like a C cast; floating types
    /// are converted.
    /// </summary>
    public static Tensor FromInt64s(DataType type, int[] shape, long[] values)
    {
        if (DataTypes.BitsPerElement(type) < 8)
            throw new NotSupportedException($"arithmetic results cannot be stored as {DataTypes.OnnxName(type)}");
        Tensor t = Tensor.Create(type, shape);
        switch (t)
        {
            case Tensor<sbyte> x: for (int i = 0; i < values.Length; ++i) x[i] = unchecked((sbyte)values[i]); break;
            case Tensor<byte> x: for (int i = 0; i < values.Length; ++i) x[i] = unchecked((byte)values[i]); break;
            case Tensor<short> x: for (int i = 0; i < values.Length; ++i) x[i] = unchecked((short)values[i]); break;
            case Tensor<ushort> x: for (int i = 0; i < values.Length; ++i) x[i] = unchecked((ushort)values[i]); break;
            case Tensor<int> x: for (int i = 0; i < values.Length; ++i) x[i] = unchecked((int)values[i]); break;
            case Tensor<uint> x: for (int i = 0; i < values.Length; ++i) x[i] = unchecked((uint)values[i]); break;
            case Tensor<long> x: values.CopyTo(x.Span); break;
            case Tensor<ulong> x: for (int i = 0; i < values.Length; ++i) x[i] = unchecked((ulong)values[i]); break;
            case Tensor<bool> x: for (int i = 0; i < values.Length; ++i) x[i] = values[i] != 0; break;
            default: return FromDoubles(type, shape, values.Select(v => (double)v).ToArray());
        }
        return t;
    }

    /// <summary>True for data types whose values are whole numbers stored exactly as integers (and bool).</summary>
    public static bool IsIntegral(DataType type) => DataTypes.IsInteger(type) || type == DataType.Bool;

    /// <summary>An int64 tensor.</summary>
    public static Tensor<long> Int64(int[] shape, long[] values) => new(values, shape);

    /// <summary>Reads an integer-list input (shape, axes, pads...) as longs, failing when it is not an integer tensor.</summary>
    public static long[] Ints(OpContext ctx, int input, string what)
    {
        Tensor t = ctx.Input(input);
        if (!DataTypes.IsInteger(t.DataType))
            throw ctx.Fail($"{what} (input {input}) should be an integer tensor, got {DataTypes.OnnxName(t.DataType)}");
        return t.ToInt64Array();
    }
}
