namespace Kerno.Testing;

/// <summary>How an actual value compares with the expected one.</summary>
/// <param name="Matches">True when they agree within tolerance.</param>
/// <param name="Problem">What differs, when they do not.</param>
/// <param name="MaxAbsError">Largest |actual - expected| over float elements (0 for exact types).</param>
/// <param name="MaxRelError">Largest |actual - expected| / |expected| over float elements with expected != 0.</param>
public sealed record Comparison(bool Matches, string? Problem, double MaxAbsError, double MaxRelError);

/// <summary>
/// Compares values as the ONNX backend tests do: same kind, element type and shape; floats within
/// |a - e| &lt;= atol + rtol * |e| (NaN equals NaN, infinities must match); everything else exactly.
/// </summary>
public static class ValueComparer
{
    /// <summary>Compares <paramref name="actual"/> with <paramref name="expected"/>.</summary>
    public static Comparison Compare(Value? expected, Value? actual, double rtol, double atol)
    {
        // A non-empty optional and its content are interchangeable in test data.
        if (expected is OptionalValue { Content: { } ec } && actual is not OptionalValue)
            expected = ec;
        if (actual is OptionalValue { Content: { } ac } && expected is not OptionalValue)
            actual = ac;
        switch (expected, actual)
        {
            case (null, null):
                return new Comparison(true, null, 0, 0);
            case (Tensor e, Tensor a):
                return CompareTensors(e, a, rtol, atol);
            case (TensorSequence e, TensorSequence a):
            {
                if (e.Items.Count != a.Items.Count)
                    return Fail($"sequence length {a.Items.Count}, expected {e.Items.Count}");
                double maxAbs = 0, maxRel = 0;
                for (int i = 0; i < e.Items.Count; ++i)
                {
                    Comparison c = CompareTensors(e.Items[i], a.Items[i], rtol, atol);
                    if (!c.Matches)
                        return c with { Problem = $"item {i}: {c.Problem}" };
                    maxAbs = Math.Max(maxAbs, c.MaxAbsError);
                    maxRel = Math.Max(maxRel, c.MaxRelError);
                }
                return new Comparison(true, null, maxAbs, maxRel);
            }
            case (OptionalValue e, OptionalValue a):
                if (e.HasValue != a.HasValue)
                    return Fail(e.HasValue ? "optional is empty, expected a value" : "optional holds a value, expected empty");
                return Compare(e.Content, a.Content, rtol, atol);
            default:
                return Fail($"got {Kind(actual)}, expected {Kind(expected)}");
        }
    }

    private static string Kind(Value? v) => v switch
    {
        null => "nothing",
        Tensor t => $"tensor({DataTypes.OnnxName(t.DataType)})",
        TensorSequence s => $"sequence({DataTypes.OnnxName(s.ElementType)})",
        OptionalValue o => o.HasValue ? "optional" : "empty optional",
        _ => v.GetType().Name,
    };

    private static Comparison Fail(string problem) => new(false, problem, double.NaN, double.NaN);

    private static Comparison CompareTensors(Tensor e, Tensor a, double rtol, double atol)
    {
        // ONNX 1.12's test data stores expected bfloat16 outputs as their uint16 bit patterns.
        if (e is Tensor<ushort> bits && a.DataType == DataType.BFloat16)
            e = new Tensor<BFloat16>(bits.Span.ToArray().Select(BFloat16.FromBits).ToArray(), bits.Shape.ToArray());
        if (e.DataType != a.DataType)
            return Fail($"element type {DataTypes.OnnxName(a.DataType)}, expected {DataTypes.OnnxName(e.DataType)}");
        if (!e.Shape.SequenceEqual(a.Shape))
            return Fail($"shape {Tensor.FormatShape(a.Shape)}, expected {Tensor.FormatShape(e.Shape)}");
        return e.DataType is DataType.Float or DataType.Double or DataType.Float16 or DataType.BFloat16
            ? CompareFloats(e.ToDoubleArray(), a.ToDoubleArray(), e.Shape, rtol, atol)
            : CompareExact(e, a);
    }

    private static Comparison CompareFloats(double[] e, double[] a, ReadOnlySpan<int> shape, double rtol, double atol)
    {
        double maxAbs = 0, maxRel = 0;
        int firstBad = -1;
        for (int i = 0; i < e.Length; ++i)
        {
            double x = e[i], y = a[i];
            if (double.IsNaN(x) || double.IsNaN(y))
            {
                if (double.IsNaN(x) != double.IsNaN(y) && firstBad < 0)
                    firstBad = i;
                continue;
            }
            if (double.IsInfinity(x) || double.IsInfinity(y))
            {
                if (x != y && firstBad < 0)
                    firstBad = i;
                continue;
            }
            double diff = Math.Abs(x - y);
            maxAbs = Math.Max(maxAbs, diff);
            if (x != 0)
                maxRel = Math.Max(maxRel, diff / Math.Abs(x));
            if (diff > atol + rtol * Math.Abs(x) && firstBad < 0)
                firstBad = i;
        }
        if (firstBad >= 0)
            return new Comparison(false, $"element {Index(firstBad, shape)} is {Format(a[firstBad])}, expected {Format(e[firstBad])}", maxAbs, maxRel);
        return new Comparison(true, null, maxAbs, maxRel);
    }

    private static Comparison CompareExact(Tensor e, Tensor a)
    {
        for (int i = 0; i < e.Length; ++i)
        {
            object? x = e.GetValue(i), y = a.GetValue(i);
            if (!Equals(x, y))
                return Fail($"element {Index(i, e.Shape)} is {y}, expected {x}");
        }
        return new Comparison(true, null, 0, 0);
    }

    private static string Format(double v) => v.ToString("G9", System.Globalization.CultureInfo.InvariantCulture);

    private static string Index(int flat, ReadOnlySpan<int> shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; --d)
        {
            if (shape[d] > 0)
            {
                idx[d] = flat % shape[d];
                flat /= shape[d];
            }
        }
        return "[" + string.Join(",", idx) + "]";
    }
}
