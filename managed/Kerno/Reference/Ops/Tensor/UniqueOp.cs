namespace Kerno.Reference.Ops.Tensors;

/// <summary>Unique: the distinct elements (or slices along an axis) with first-occurrence indices, inverse indices and counts.</summary>
internal static class UniqueOp
{
    /// <summary>
    /// Unique: outputs Y (the unique values or slices, sorted ascending when 'sorted' = 1, else in order of first
    /// occurrence), indices (first occurrence of each in the input), inverse_indices (for each input element or
    /// slice, its position in Y) and counts.
    /// </summary>
    [OnnxOp("Unique", MinOpset = 11)]
    public static Value?[] Unique(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        bool sorted = ctx.Node.GetInt("sorted", 1) != 0;
        int axis;
        if (ctx.Node.Has("axis"))
            axis = Elements.Axis(ctx, ctx.Node.GetInt("axis"), data.Rank);
        else
        {
            data = data.Reshape([data.Length]);
            axis = 0;
        }
        (int[] firsts, int[] inverse, int[] counts) = Elements.Visit(data, new GroupFunc(axis, sorted));
        var results = new Value?[Math.Max(1, ctx.OutputCount)];
        results[0] = SelectionOps.TakeAlong(data, axis, firsts);
        if (ctx.WantsOutput(1))
            results[1] = Elements.Int64([firsts.Length], firsts.Select(i => (long)i).ToArray());
        if (ctx.WantsOutput(2))
            results[2] = Elements.Int64([inverse.Length], inverse.Select(i => (long)i).ToArray());
        if (ctx.WantsOutput(3))
            results[3] = Elements.Int64([counts.Length], counts.Select(i => (long)i).ToArray());
        return results;
    }

    /// <summary>Groups the slices of a tensor along an axis: (first occurrence of each group, group of each slice, group sizes).</summary>
    private sealed record GroupFunc(int Axis, bool Sorted) : ITensorFunc<(int[], int[], int[])>
    {
        public (int[], int[], int[]) Run<T>(Tensor<T> data)
        {
            int dim = data.Shape[Axis];
            int outer = Tensor.ElementCount(data.Shape[..Axis]);
            int inner = Tensor.ElementCount(data.Shape[(Axis + 1)..]);
            T[] all = data.Span.ToArray();
            // Slice p as a flat list of its elements, in row-major order of the other axes.
            var slices = new T[dim][];
            for (int p = 0; p < dim; ++p)
            {
                slices[p] = new T[outer * inner];
                for (int b = 0; b < outer; ++b)
                    Array.Copy(all, (b * dim + p) * inner, slices[p], b * inner, inner);
            }
            Comparison<T> compare = Comparer<T>();
            int CompareSlices(int x, int y)
            {
                for (int k = 0; k < slices[x].Length; ++k)
                {
                    int c = compare(slices[x][k], slices[y][k]);
                    if (c != 0)
                        return c;
                }
                return 0;
            }
            // Stable sort of the slice positions, then runs of equal slices form the groups.
            int[] byValue = Enumerable.Range(0, dim).OrderBy(p => p, System.Collections.Generic.Comparer<int>.Create(CompareSlices)).ToArray();
            var firsts = new List<int>();
            var group = new int[dim];
            for (int k = 0; k < dim; ++k)
            {
                if (k == 0 || CompareSlices(byValue[k - 1], byValue[k]) != 0)
                    firsts.Add(byValue[k]);
                group[byValue[k]] = firsts.Count - 1;
            }
            // Groups are in ascending order; unsorted output lists them by first occurrence instead.
            int[] order = Enumerable.Range(0, firsts.Count).ToArray();
            if (!Sorted)
                order = order.OrderBy(g => firsts[g]).ToArray();
            var rankOf = new int[order.Length];
            for (int r = 0; r < order.Length; ++r)
                rankOf[order[r]] = r;
            int[] firstOut = order.Select(g => firsts[g]).ToArray();
            int[] inverse = group.Select(g => rankOf[g]).ToArray();
            var counts = new int[order.Length];
            foreach (int r in inverse)
                counts[r]++;
            return (firstOut, inverse, counts);
        }

        private static Comparison<T> Comparer<T>()
        {
            if (typeof(T) == typeof(string))
                return (Comparison<T>)(object)(Comparison<string>)string.CompareOrdinal;
            if (typeof(T) == typeof(BFloat16))
                return (Comparison<T>)(object)(Comparison<BFloat16>)((a, b) => ((float)a).CompareTo(b));
            return System.Collections.Generic.Comparer<T>.Default.Compare;
        }
    }
}
