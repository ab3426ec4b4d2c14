namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>TfIdfVectorizer: counts (skip-)n-grams of a pool in each row and weights them.</summary>
internal static class TfIdf
{
    [OnnxOp("TfIdfVectorizer", MinOpset = 9)]
    private static Tensor TfIdfVectorizer(OpContext ctx)
    {
        Tensor xt = ctx.Input(0);
        if (xt.Rank is not (1 or 2))
            throw ctx.Fail($"X must be 1-D or 2-D, got {Tensor.FormatShape(xt.Shape)}");
        int minN = (int)ctx.Node.GetInt("min_gram_length"), maxN = (int)ctx.Node.GetInt("max_gram_length");
        int maxSkip = (int)ctx.Node.GetInt("max_skip_count");
        string mode = ctx.Node.GetString("mode");
        long[] counts = ctx.Node.GetInts("ngram_counts") ?? throw ctx.Fail("ngram_counts is required");
        long[] indexes = ctx.Node.GetInts("ngram_indexes") ?? throw ctx.Fail("ngram_indexes is required");
        float[]? weights = ctx.Node.GetFloats("weights");
        string[]? poolS = ctx.Node.GetStrings("pool_strings");
        long[]? poolI = ctx.Node.GetInts("pool_int64s");
        if ((poolS is null) == (poolI is null))
            throw ctx.Fail("exactly one of pool_strings and pool_int64s is required");
        if (minN < 1 || maxN < minN || maxN > counts.Length || maxSkip < 0)
            throw ctx.Fail($"bad gram lengths [{minN}, {maxN}] for {counts.Length} ngram_counts");
        // Items as strings so one code path serves both pools.
        string[] pool = poolS ?? poolI!.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        string[] items = xt is Tensor<string> st ? st.Span.ToArray()
            : xt.ToInt64Array().Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        // Map each n-gram (joined with a separator) to its output slot.
        var lookup = new Dictionary<string, int>(StringComparer.Ordinal);
        long grams = 0;
        for (int g = 0; g < counts.Length; ++g)
        {
            long start = counts[g], end = g + 1 < counts.Length ? counts[g + 1] : pool.Length;
            if (start < 0 || start > end || end > pool.Length)
                throw ctx.Fail($"ngram_counts {string.Join(",", counts)} do not split the {pool.Length} pool items");
            grams += (end - start) / (g + 1);
        }
        if (indexes.Length < grams || indexes.Any(i => i < 0 || i >= int.MaxValue))
            throw ctx.Fail($"ngram_indexes has {indexes.Length} values (each in [0, 2^31-1)), the pool has {grams} n-grams");
        int poolIdx = 0;
        for (int g = 0; g < counts.Length; ++g)
        {
            int n = g + 1;
            int start = (int)counts[g], end = g + 1 < counts.Length ? (int)counts[g + 1] : pool.Length;
            for (int p = start; p + n <= end; p += n, ++poolIdx)
                lookup[string.Join('\u0001', pool, p, n)] = (int)indexes[poolIdx];
        }
        int C = indexes.Length == 0 ? 0 : (int)indexes.Max() + 1;
        int rows = xt.Rank == 2 ? xt.Shape[0] : 1, len = xt.Rank == 2 ? xt.Shape[1] : xt.Shape[0];
        var y = new double[Kerno.Reference.Ops.Tensors.Elements.Count(ctx, [rows, C])];
        var gram = new string[maxN];
        for (int r = 0; r < rows; ++r)
        {
            int ro = r * len;
            for (int n = minN; n <= maxN; ++n)
                // Skips whose n-gram cannot fit in the row are not tried (a huge max_skip_count must not spin).
                for (int s = 0; s <= (n == 1 ? 0 : maxSkip) && (long)(n - 1) * (s + 1) < len; ++s)
                    for (int start = 0; start + (n - 1) * (s + 1) < len; ++start)
                    {
                        for (int k = 0; k < n; ++k)
                            gram[k] = items[ro + start + k * (s + 1)];
                        if (lookup.TryGetValue(string.Join('\u0001', gram, 0, n), out int slot))
                            y[r * C + slot]++;
                    }
        }
        // weights[i] belongs to the i-th pool n-gram, which counts into slot ngram_indexes[i].
        var slotWeight = new double[C];
        Array.Fill(slotWeight, 1.0);
        if (weights is not null)
            for (int i = 0; i < Math.Min(weights.Length, indexes.Length); ++i)
                slotWeight[indexes[i]] = weights[i];
        for (int i = 0; i < y.Length; ++i)
        {
            double w = slotWeight[i % C];
            y[i] = mode switch
            {
                "TF" => y[i],
                "IDF" => y[i] > 0 ? w : 0,
                "TFIDF" => y[i] * w,
                _ => throw ctx.Fail($"unknown mode '{mode}'"),
            };
        }
        return NNUtil.FromDoubles(DataType.Float, y, xt.Rank == 2 ? [rows, C] : [C]);
    }
}
