using System.Globalization;
using System.Text;

namespace Kerno;

/// <summary>
/// A dense, row-major tensor: an element type, a shape and the elements. <see cref="Tensor{T}"/> holds
/// the elements; this base is what code that handles every element type works with.
/// </summary>
public abstract class Tensor : Value
{
    private protected readonly int[] dims;

    private protected Tensor(DataType dataType, ReadOnlySpan<int> shape)
    {
        DataType = dataType;
        dims = shape.ToArray();
        Length = ElementCount(dims);
    }

    /// <summary>The element type.</summary>
    public DataType DataType { get; }

    /// <summary>The dimensions (empty for a scalar).</summary>
    public ReadOnlySpan<int> Shape => dims;

    /// <summary>The dimensions as an array owned by the tensor; do not modify.</summary>
    internal int[] Dims => dims;

    /// <summary>Number of dimensions.</summary>
    public int Rank => dims.Length;

    /// <summary>Number of elements (the product of the dimensions; 1 for a scalar).</summary>
    public int Length { get; }

    /// <summary>The CLR type of the elements.</summary>
    public abstract Type ElementType { get; }

    /// <summary>
    /// Product of <paramref name="shape"/>, checked: throws when negative or above <see cref="int.MaxValue"/>, or,
    /// during a session's run, above its <see cref="SessionOptions.MaxTensorElements"/>.
    /// </summary>
    public static int ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"negative dimension {d} in shape [{string.Join(",", shape.ToArray())}]");
            n *= d;
            if (n > int.MaxValue)
                throw new ArgumentException($"shape [{string.Join(",", shape.ToArray())}] has more than {int.MaxValue} elements");
        }
        long cap = Execution.RunLimits.MaxElements;
        if (cap > 0 && n > cap)
            throw new ArgumentException($"shape [{string.Join(",", shape.ToArray())}] has {n} elements, over the limit of {cap} (MaxTensorElements)");
        return (int)n;
    }

    /// <summary>Row-major strides (in elements) of <paramref name="shape"/>.</summary>
    public static int[] StridesOf(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; --i)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    /// <summary>Creates a zero-filled (empty-string for strings) tensor of a data type.</summary>
    public static Tensor Create(DataType dataType, ReadOnlySpan<int> shape) => dataType switch
    {
        DataType.Float => new Tensor<float>(shape),
        DataType.Double => new Tensor<double>(shape),
        DataType.Float16 => new Tensor<Half>(shape),
        DataType.BFloat16 => new Tensor<BFloat16>(shape),
        DataType.Int8 or DataType.Int4 or DataType.Int2 => new Tensor<sbyte>(shape, dataType),
        DataType.UInt8 or DataType.UInt4 or DataType.UInt2 or DataType.Float8E4M3FN or DataType.Float8E4M3FNUZ
            or DataType.Float8E5M2 or DataType.Float8E5M2FNUZ or DataType.Float4E2M1 or DataType.Float8E8M0
            => new Tensor<byte>(shape, dataType),
        DataType.Int16 => new Tensor<short>(shape),
        DataType.UInt16 => new Tensor<ushort>(shape),
        DataType.Int32 => new Tensor<int>(shape),
        DataType.UInt32 => new Tensor<uint>(shape),
        DataType.Int64 => new Tensor<long>(shape),
        DataType.UInt64 => new Tensor<ulong>(shape),
        DataType.Bool => new Tensor<bool>(shape),
        DataType.String => Tensor<string>.Filled(shape, ""),
        _ => throw new NotSupportedException($"tensors of {dataType} are not supported"),
    };

    /// <summary>A scalar (rank-0) tensor.</summary>
    public static Tensor<T> Scalar<T>(T value) => new(new[] { value }, ReadOnlySpan<int>.Empty);

    /// <summary>A 1-D tensor over a copy of <paramref name="values"/>.</summary>
    public static Tensor<T> Vector<T>(params T[] values) => new((T[])values.Clone(), new[] { values.Length });

    /// <summary>The element at flat index <paramref name="index"/>, boxed (for generic code and printing).</summary>
    public abstract object? GetValue(int index);

    /// <summary>Elements converted to <see cref="long"/> (integers, bools, floats truncated). For shapes, axes, indices.</summary>
    public abstract long[] ToInt64Array();

    /// <summary>Elements converted to <see cref="double"/> (strings throw).</summary>
    public abstract double[] ToDoubleArray();

    /// <summary>A tensor with the same elements and another shape of equal element count (shares storage).</summary>
    public abstract Tensor Reshape(ReadOnlySpan<int> shape);

    /// <summary>A deep copy.</summary>
    public abstract Tensor Clone();

    /// <summary>Shape as text, like <c>[1,3,224,224]</c>.</summary>
    public static string FormatShape(ReadOnlySpan<int> shape) => "[" + string.Join(",", shape.ToArray()) + "]";

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("tensor(").Append(DataTypes.OnnxName(DataType)).Append(')').Append(FormatShape(dims)).Append(" {");
        int n = Math.Min(Length, 8);
        for (int i = 0; i < n; ++i)
            sb.Append(i == 0 ? "" : ", ").Append(Convert.ToString(GetValue(i), CultureInfo.InvariantCulture));
        if (Length > n)
            sb.Append(", ...");
        return sb.Append('}').ToString();
    }
}

/// <summary>A dense, row-major tensor whose elements are <typeparamref name="T"/>.</summary>
public sealed class Tensor<T> : Tensor
{
    /// <summary>Creates a zero-filled tensor.</summary>
    public Tensor(ReadOnlySpan<int> shape, DataType? dataType = null)
        : base(dataType ?? DataTypes.Of<T>(), shape)
    {
        CheckStorage(dataType);
        Memory = new T[Length];
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) with a shape of the same element count.</summary>
    public Tensor(Memory<T> data, ReadOnlySpan<int> shape, DataType? dataType = null)
        : base(dataType ?? DataTypes.Of<T>(), shape)
    {
        CheckStorage(dataType);
        if (data.Length != Length)
            throw new ArgumentException($"shape {FormatShape(shape)} needs {Length} elements, got {data.Length}");
        Memory = data;
    }

    /// <summary>Wraps <paramref name="data"/> (not copied).</summary>
    public Tensor(T[] data, params int[] shape) : this(data.AsMemory(), shape) { }

    private void CheckStorage(DataType? dataType)
    {
        if (dataType is { } dt && DataTypes.ClrType(dt) != typeof(T))
            throw new ArgumentException($"{dt} is not stored as {typeof(T).Name}");
    }

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor<T> Filled(ReadOnlySpan<int> shape, T value, DataType? dataType = null)
    {
        var t = new Tensor<T>(shape, dataType);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>The elements.</summary>
    public Memory<T> Memory { get; }

    /// <summary>The elements as a span.</summary>
    public Span<T> Span => Memory.Span;

    /// <summary>Element at a flat index.</summary>
    public T this[int index]
    {
        get => Memory.Span[index];
        set => Memory.Span[index] = value;
    }

    /// <inheritdoc/>
    public override Type ElementType => typeof(T);

    /// <inheritdoc/>
    public override object? GetValue(int index) => Memory.Span[index];

    /// <inheritdoc/>
    public override long[] ToInt64Array()
    {
        var result = new long[Length];
        ReadOnlySpan<T> s = Memory.Span;
        for (int i = 0; i < result.Length; ++i)
            result[i] = ToInt64(s[i]);
        return result;
    }

    /// <inheritdoc/>
    public override double[] ToDoubleArray()
    {
        var result = new double[Length];
        ReadOnlySpan<T> s = Memory.Span;
        for (int i = 0; i < result.Length; ++i)
            result[i] = ToDouble(s[i]);
        return result;
    }

    private static long ToInt64(T v) => v switch
    {
        long x => x,
        int x => x,
        short x => x,
        sbyte x => x,
        ulong x => unchecked((long)x),
        uint x => x,
        ushort x => x,
        byte x => x,
        bool x => x ? 1 : 0,
        float x => (long)x,
        double x => (long)x,
        Half x => (long)(float)x,
        BFloat16 x => (long)(float)x,
        _ => throw new NotSupportedException($"cannot read {typeof(T).Name} as an integer"),
    };

    private static double ToDouble(T v) => v switch
    {
        float x => x,
        double x => x,
        Half x => (double)x,
        BFloat16 x => (float)x,
        long x => x,
        int x => x,
        short x => x,
        sbyte x => x,
        ulong x => x,
        uint x => x,
        ushort x => x,
        byte x => x,
        bool x => x ? 1 : 0,
        _ => throw new NotSupportedException($"cannot read {typeof(T).Name} as a number"),
    };

    /// <inheritdoc/>
    public override Tensor<T> Reshape(ReadOnlySpan<int> shape) => new(Memory, shape, DataType);

    /// <inheritdoc/>
    public override Tensor<T> Clone() => new(Memory.ToArray(), dims, DataType);
}
