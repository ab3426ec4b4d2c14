namespace Kerno.Reference.Ops.Tensors;

/// <summary>Operators that make new tensors from shapes or patterns: ConstantOfShape, Range, EyeLike, OneHot, Trilu, Dropout.</summary>
internal static class GeneratorOps
{
    /// <summary>ConstantOfShape: a tensor of the given shape filled with the 'value' attribute (default float 0).</summary>
    [OnnxOp("ConstantOfShape", MinOpset = 9)]
    public static Tensor ConstantOfShape(OpContext ctx)
    {
        long[] dims = Elements.Ints(ctx, 0, "shape");
        int[] shape = dims.Select(d => Elements.Dim(ctx, d)).ToArray();
        Tensor value = ctx.Node.GetTensor("value") ?? Tensor.Scalar(0f);
        if (value.Length != 1)
            throw ctx.Fail($"attribute 'value' must hold one element, got {Tensor.FormatShape(value.Shape)}");
        Elements.Count(ctx, shape); // the run's MaxTensorElements, before allocating
        return Elements.Visit(value, new FillFunc(shape));
    }

    // One pass over uninitialized memory: the light test models' weights are ConstantOfShape nodes of up to 400 MB, made
    // at session creation, where an index map and a zeroing pass first would double the time and the memory.
    private sealed record FillFunc(int[] Shape) : ITensorFunc<Tensor>
    {
        public Tensor Run<T>(Tensor<T> value)
        {
            T[] data = GC.AllocateUninitializedArray<T>(Tensor.ElementCount(Shape));
            data.AsSpan().Fill(value.Span[0]);
            return new Tensor<T>(data.AsMemory(), Shape, value.DataType);
        }
    }

    /// <summary>Range: start, start+delta, ... up to (excluding) limit; max(ceil((limit-start)/delta), 0) elements.</summary>
    [OnnxOp("Range", MinOpset = 11)]
    public static Tensor Range(OpContext ctx)
    {
        Tensor start = ctx.Input(0), limit = ctx.Input(1), delta = ctx.Input(2);
        if (start.Length != 1 || limit.Length != 1 || delta.Length != 1)
            throw ctx.Fail("start, limit and delta must be scalars");
        if (limit.DataType != start.DataType || delta.DataType != start.DataType)
            throw ctx.Fail("start, limit and delta must have the same type");
        DataType type = start.DataType;
        if (Elements.IsIntegral(type))
        {
            long s = start.ToInt64Array()[0], l = limit.ToInt64Array()[0], d = delta.ToInt64Array()[0];
            if (d == 0)
                throw ctx.Fail("delta cannot be 0");
            long n = Math.Max(0, (long)Math.Ceiling((double)(l - s) / d));
            if (n > int.MaxValue)
                throw ctx.Fail($"range of {n} elements is too large");
            Elements.Count(ctx, [(int)n]); // the run's MaxTensorElements, before allocating
            var values = new long[n];
            for (long i = 0; i < n; ++i)
                values[i] = s + i * d;
            return Elements.FromInt64s(type, [(int)n], values);
        }
        else
        {
            double s = start.ToDoubleArray()[0], l = limit.ToDoubleArray()[0], d = delta.ToDoubleArray()[0];
            if (d == 0)
                throw ctx.Fail("delta cannot be 0");
            double count = Math.Ceiling((l - s) / d);
            if (double.IsNaN(count) || count > int.MaxValue)
                throw ctx.Fail($"range from {s} to {l} by {d} is too large");
            int n = (int)Math.Max(0, count);
            Elements.Count(ctx, [n]);
            var values = new double[n];
            // Accumulate in the element type, as the spec's loop does (prev + delta).
            if (type == DataType.Float)
            {
                float v = (float)s, fd = (float)d;
                for (int i = 0; i < n; ++i, v += fd)
                    values[i] = v;
            }
            else
            {
                double v = s;
                for (int i = 0; i < n; ++i, v += d)
                    values[i] = v;
            }
            return Elements.FromDoubles(type, [n], values);
        }
    }

    /// <summary>EyeLike: a 2-D tensor shaped like the input with ones on the k-th diagonal; type from 'dtype' or the input.</summary>
    [OnnxOp("EyeLike", MinOpset = 9)]
    public static Tensor EyeLike(OpContext ctx)
    {
        Tensor input = ctx.Input(0);
        if (input.Rank != 2)
            throw ctx.Fail($"input must be 2-D, got {Tensor.FormatShape(input.Shape)}");
        DataType type = ctx.Node.Has("dtype") ? (DataType)ctx.Node.GetInt("dtype") : input.DataType;
        if (type == DataType.String)
            throw ctx.Fail("dtype cannot be string");
        long k = ctx.Node.GetInt("k", 0);
        int rows = input.Shape[0], cols = input.Shape[1];
        var values = new double[rows * cols];
        for (int i = 0; i < rows; ++i)
        {
            long j = i + k;
            if (j >= 0 && j < cols)
                values[i * cols + j] = 1;
        }
        return Elements.FromDoubles(type, [rows, cols], values);
    }

    /// <summary>OneHot: values[1] where the new axis equals the index (negative indices count from depth), values[0] elsewhere.</summary>
    [OnnxOp("OneHot", MinOpset = 9)]
    public static Tensor OneHot(OpContext ctx)
    {
        Tensor indicesT = ctx.Input(0);
        Tensor depthT = ctx.Input(1);
        Tensor values = ctx.Input(2);
        if (depthT.Length != 1)
            throw ctx.Fail("depth must be a scalar or a one-element tensor");
        if (values.Length != 2)
            throw ctx.Fail($"values must have two elements [off, on], got {Tensor.FormatShape(values.Shape)}");
        double depthValue = depthT.ToDoubleArray()[0];
        long depth = (long)depthValue;
        if (depth < 1)
            throw ctx.Fail($"depth {depthValue} must be positive");
        double[] indices = indicesT.ToDoubleArray();
        int rank = indicesT.Rank + 1;
        int axis = Elements.Axis(ctx, ctx.Node.GetInt("axis", -1), rank);
        int[] shape = [.. indicesT.Shape[..axis], Elements.Dim(ctx, depth), .. indicesT.Shape[axis..]];
        int outer = Tensor.ElementCount(indicesT.Shape[..axis]);
        int inner = Tensor.ElementCount(indicesT.Shape[axis..]);
        var map = new int[Elements.Count(ctx, shape)];
        for (int b = 0; b < outer; ++b)
            for (long d = 0; d < depth; ++d)
                for (int j = 0; j < inner; ++j)
                {
                    long index = (long)indices[b * inner + j];
                    if (index < 0)
                        index += depth;
                    map[(b * depth + d) * inner + j] = index == d ? 1 : 0;
                }
        return Elements.Take(values, shape, map);
    }

    /// <summary>Trilu: keeps the upper (j - i &gt;= k) or lower (j - i &lt;= k) triangle of the last two axes, zeroing the rest.</summary>
    [OnnxOp("Trilu", MinOpset = 14)]
    public static Tensor Trilu(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        if (data.Rank < 2)
            throw ctx.Fail($"input must have rank at least 2, got {Tensor.FormatShape(data.Shape)}");
        long k = ctx.HasInput(1) ? Elements.Ints(ctx, 1, "k")[0] : 0;
        bool upper = ctx.Node.GetInt("upper", 1) != 0;
        int rows = data.Shape[^2], cols = data.Shape[^1];
        var map = new int[data.Length];
        for (int e = 0; e < map.Length; ++e)
        {
            int i = e / cols % rows, j = e % cols;
            bool keep = upper ? j - i >= k : j - i <= k;
            map[e] = keep ? e : -1;
        }
        return Elements.Take(data, data.Shape.ToArray(), map);
    }

    /// <summary>
    /// Dropout: identity in inference (and with ratio 0); in training mode (opset 12 training_mode input) drops
    /// elements at random with probability ratio and scales the rest by 1/(1-ratio). The optional mask output
    /// marks kept elements (bool from opset 10, the data type before).
    /// </summary>
    [OnnxOp("Dropout")]
    public static Value?[] Dropout(OpContext ctx)
    {
        Tensor data = ctx.Input(0);
        double ratio = ctx.Opset >= 12
            ? (ctx.HasInput(1) ? ctx.Input(1).ToDoubleArray()[0] : 0.5)
            : ctx.Node.GetFloat("ratio", 0.5f);
        bool training = ctx.Opset >= 12
            ? ctx.HasInput(2) && ctx.Input(2).ToInt64Array()[0] != 0
            : false; // before opset 12 Kerno always runs in inference mode
        if (ratio < 0 || (training && ratio >= 1))
            throw ctx.Fail($"ratio {ratio} must be in [0, 1)");
        int[] shape = data.Shape.ToArray();
        var keep = new bool[data.Length];
        Array.Fill(keep, true);
        Tensor output = data;
        if (training && ratio > 0)
        {
            // With a seed, the draws are those of numpy's legacy RandomState(seed).uniform(0, 1, shape), which the
            // ONNX reference implementation uses, so that seeded training-mode results are reproducible.
            Func<double> uniform = ctx.Node.Has("seed")
                ? new Mt19937((uint)ctx.Node.GetInt("seed")).NextDouble
                : Random.Shared.NextDouble;
            double[] x = data.ToDoubleArray();
            double scale = 1 / (1 - ratio);
            for (int i = 0; i < x.Length; ++i)
            {
                keep[i] = uniform() >= ratio;
                x[i] = keep[i] ? x[i] * scale : 0;
            }
            output = Elements.FromDoubles(data.DataType, shape, x);
        }
        var results = new Value?[Math.Max(1, ctx.OutputCount)];
        results[0] = output;
        if (ctx.WantsOutput(1))
            results[1] = ctx.Opset >= 10
                ? new Tensor<bool>(keep, shape)
                : Elements.FromDoubles(data.DataType, shape, keep.Select(b => b ? 1.0 : 0.0).ToArray());
        return results;
    }

    /// <summary>The MT19937 Mersenne Twister, seeded and read as numpy's legacy RandomState does.</summary>
    private sealed class Mt19937
    {
        private readonly uint[] state = new uint[624];
        private int position = 624;

        public Mt19937(uint seed)
        {
            state[0] = seed;
            for (uint i = 1; i < 624; ++i)
                state[i] = 1812433253u * (state[i - 1] ^ (state[i - 1] >> 30)) + i;
        }

        private uint NextUInt32()
        {
            if (position >= 624)
            {
                for (int i = 0; i < 624; ++i)
                {
                    uint y = (state[i] & 0x80000000u) | (state[(i + 1) % 624] & 0x7fffffffu);
                    state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908b0dfu : 0);
                }
                position = 0;
            }
            uint v = state[position++];
            v ^= v >> 11;
            v ^= (v << 7) & 0x9d2c5680u;
            v ^= (v << 15) & 0xefc60000u;
            v ^= v >> 18;
            return v;
        }

        /// <summary>A double in [0, 1) with 53 random bits (numpy's random_sample).</summary>
        public double NextDouble()
        {
            uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
            return (a * 67108864.0 + b) / 9007199254740992.0;
        }
    }
}
