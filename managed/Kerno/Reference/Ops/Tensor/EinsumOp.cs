namespace Kerno.Reference.Ops.Tensors;

/// <summary>Einsum: Einstein summation over any equation (explicit or implicit output, ellipsis, diagonals).</summary>
internal static class EinsumOp
{
    /// <summary>
    /// Einsum: every label names an axis; the output holds, for each combination of output labels, the sum over
    /// all other labels of the product of the inputs. A label repeated within one operand takes its diagonal.
    /// "..." stands for broadcast (numpy-style, right-aligned) axes; size-1 axes broadcast. Without "->" the
    /// output is the ellipsis axes followed by the labels that appear exactly once, in alphabetical order.
    /// </summary>
    [OnnxOp("Einsum", MinOpset = 12)]
    public static Tensor Einsum(OpContext ctx)
    {
        string equation = ctx.Node.GetString("equation").Replace(" ", "");
        var inputs = new List<Tensor>();
        for (int i = 0; i < ctx.Inputs.Count; ++i)
            inputs.Add(ctx.Input(i));
        if (inputs.Count == 0)
            throw ctx.Fail("needs at least one input");
        DataType type = inputs[0].DataType;
        if (inputs.Any(t => t.DataType != type))
            throw ctx.Fail("inputs must have the same element type");
        if (type is DataType.String or DataType.Bool)
            throw ctx.Fail($"Einsum does not apply to {DataTypes.OnnxName(type)}");

        int arrow = equation.IndexOf("->", StringComparison.Ordinal);
        string lhs = arrow < 0 ? equation : equation[..arrow];
        string[] terms = lhs.Split(',');
        if (terms.Length != inputs.Count)
            throw ctx.Fail($"equation '{equation}' has {terms.Length} operands but the node has {inputs.Count} inputs");

        // Ellipsis axes become labels '\u0100' + k (k = 0 is the leftmost of the widest ellipsis).
        int ellipsisRank = 0;
        for (int i = 0; i < terms.Length; ++i)
            if (terms[i].Contains("...", StringComparison.Ordinal))
                ellipsisRank = Math.Max(ellipsisRank, inputs[i].Rank - (terms[i].Length - 3));
        string ellipsis = new(Enumerable.Range(0, ellipsisRank).Select(k => (char)(0x100 + k)).ToArray());

        var labelsPerInput = new string[terms.Length];
        var sizes = new Dictionary<char, int>();
        for (int i = 0; i < terms.Length; ++i)
        {
            string term = terms[i];
            if (term.Contains("...", StringComparison.Ordinal))
            {
                int e = inputs[i].Rank - (term.Length - 3);
                if (e < 0)
                    throw ctx.Fail($"operand '{term}' has more labels than input {i} has axes {Tensor.FormatShape(inputs[i].Shape)}");
                term = term.Replace("...", ellipsis[(ellipsisRank - e)..], StringComparison.Ordinal);
            }
            if (term.Length != inputs[i].Rank)
                throw ctx.Fail($"operand '{terms[i]}' does not match input {i} of shape {Tensor.FormatShape(inputs[i].Shape)}");
            labelsPerInput[i] = term;
            for (int a = 0; a < term.Length; ++a)
            {
                char c = term[a];
                if (c < 0x100 && !char.IsAsciiLetter(c))
                    throw ctx.Fail($"bad label '{c}' in equation '{equation}'");
                int d = inputs[i].Shape[a];
                int first = term.IndexOf(c);
                if (first < a && inputs[i].Shape[first] != d)
                    throw ctx.Fail($"label '{c}' is repeated in operand '{terms[i]}' over axes of sizes {inputs[i].Shape[first]} and {d}");
                // As in numpy, a size-1 axis broadcasts against the same label's size elsewhere.
                if (!sizes.TryGetValue(c, out int known) || known == 1)
                    sizes[c] = d;
                else if (known != d && d != 1)
                    throw ctx.Fail($"label '{c}' has sizes {known} and {d} in equation '{equation}'");
            }
        }

        string output;
        if (arrow >= 0)
        {
            output = equation[(arrow + 2)..].Replace("...", ellipsis, StringComparison.Ordinal);
            foreach (char c in output)
                if (!sizes.ContainsKey(c))
                    throw ctx.Fail($"output label '{c}' does not appear in the inputs of '{equation}'");
            if (output.Distinct().Count() != output.Length)
                throw ctx.Fail($"output of '{equation}' repeats a label");
        }
        else
        {
            string all = string.Concat(labelsPerInput);
            output = ellipsis + new string(all.Where(c => c < 0x100 && all.Count(x => x == c) == 1).OrderBy(c => c).ToArray());
        }

        // Loop over the output labels, then the summed ones.
        char[] loop = output.Concat(sizes.Keys.Where(c => !output.Contains(c)).OrderBy(c => c)).ToArray();
        int[] loopSizes = loop.Select(c => sizes[c]).ToArray();
        int[] outShape = output.Select(c => sizes[c]).ToArray();
        int outCount = Elements.Count(ctx, outShape);

        // Stride of each loop label in each input (summed over repeats = the diagonal; 0 where broadcast).
        var inStrides = new int[inputs.Count][];
        for (int i = 0; i < inputs.Count; ++i)
        {
            int[] st = Tensor.StridesOf(inputs[i].Shape);
            inStrides[i] = new int[loop.Length];
            for (int a = 0; a < labelsPerInput[i].Length; ++a)
                if (inputs[i].Shape[a] != 1)
                    inStrides[i][Array.IndexOf(loop, labelsPerInput[i][a])] += st[a];
        }
        int[] outStrides = Tensor.StridesOf(outShape);

        bool integral = Elements.IsIntegral(type);
        double[][] dv = integral ? [] : inputs.Select(t => t.ToDoubleArray()).ToArray();
        long[][] lv = integral ? inputs.Select(t => t.ToInt64Array()).ToArray() : [];
        var dsum = new double[outCount];
        var lsum = new long[outCount];
        if (loopSizes.All(s => s > 0))
        {
            var idx = new int[loop.Length];
            var offsets = new int[inputs.Count];
            while (true)
            {
                int o = 0;
                for (int a = 0; a < output.Length; ++a)
                    o += idx[a] * outStrides[a];
                if (integral)
                {
                    long p = 1;
                    for (int i = 0; i < inputs.Count; ++i)
                        p *= lv[i][offsets[i]];
                    lsum[o] += p;
                }
                else
                {
                    double p = 1;
                    for (int i = 0; i < inputs.Count; ++i)
                        p *= dv[i][offsets[i]];
                    dsum[o] += p;
                }
                int k = loop.Length - 1;
                for (; k >= 0; --k)
                {
                    idx[k]++;
                    for (int i = 0; i < inputs.Count; ++i)
                        offsets[i] += inStrides[i][k];
                    if (idx[k] < loopSizes[k])
                        break;
                    for (int i = 0; i < inputs.Count; ++i)
                        offsets[i] -= inStrides[i][k] * idx[k];
                    idx[k] = 0;
                }
                if (k < 0)
                    break;
            }
        }
        return integral ? Elements.FromInt64s(type, outShape, lsum) : Elements.FromDoubles(type, outShape, dsum);
    }
}
