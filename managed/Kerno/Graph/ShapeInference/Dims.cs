namespace Kerno.Graph.ShapeInference;

/// <summary>Arithmetic on possibly symbolic dimensions.</summary>
internal static class Dims
{
    /// <summary>Numpy broadcasting of symbolic shapes; null when a rank is unknown. Throws when known sizes clash.</summary>
    public static IReadOnlyList<Dim>? Broadcast(IEnumerable<IReadOnlyList<Dim>?> shapes)
    {
        var list = shapes.ToList();
        if (list.Count == 0 || list.Any(s => s is null))
            return null;
        int rank = list.Max(s => s!.Count);
        var result = new Dim[rank];
        for (int i = 0; i < rank; ++i)
        {
            Dim acc = 1;
            bool first = true;
            foreach (IReadOnlyList<Dim>? s in list)
            {
                int k = i - (rank - s!.Count);
                if (k < 0)
                    continue;
                Dim d = s[k];
                acc = first ? d : Merge(acc, d);
                first = false;
            }
            result[i] = acc;
        }
        return result;
    }

    private static Dim Merge(Dim a, Dim b)
    {
        if (a.Value == 1) return b;
        if (b.Value == 1) return a;
        if (a.IsKnown && b.IsKnown)
            return a.Value == b.Value ? a : throw new ArgumentException($"dimensions {a} and {b} do not broadcast");
        // A known size other than 1 wins over a symbol: the symbol must equal it (or be 1, which broadcasts to it).
        if (a.IsKnown) return a;
        if (b.IsKnown) return b;
        return a.Symbol is not null && a.Symbol == b.Symbol ? a : Dim.Unknown;
    }

    /// <summary>Product of the dims, or null when any is unknown.</summary>
    public static long? Product(IEnumerable<Dim> dims)
    {
        long p = 1;
        foreach (Dim d in dims)
        {
            if (!d.IsKnown)
                return null;
            p = checked(p * d.Value!.Value);
        }
        return p;
    }

    /// <summary>
    /// Product of fully known dims for size limits: long.MaxValue when it overflows (a hostile shape such as
    /// [2^40, 2^40] is over any limit, and must not throw OverflowException out of session creation).
    /// </summary>
    public static long SaturatingProduct(IEnumerable<Dim> dims)
    {
        long p = 1;
        foreach (Dim d in dims)
        {
            long v = d.Value!.Value;
            if (v <= 0)
                return v == 0 ? 0 : -1; // a negative dim is another check's error, not a size
            p = p > long.MaxValue / v ? long.MaxValue : p * v;
        }
        return p;
    }

    /// <summary>Normalizes a possibly negative axis; throws when out of range.</summary>
    public static int Axis(long axis, int rank)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new ArgumentException($"axis {axis} is out of range for rank {rank}");
        return (int)a;
    }

    public static IReadOnlyList<Dim> Known(IEnumerable<long> sizes) => sizes.Select(s => new Dim(s)).ToList();
}
