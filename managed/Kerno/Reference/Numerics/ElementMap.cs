namespace Kerno.Reference.Numerics;

/// <summary>Applies a function element by element, with numpy broadcasting for several inputs.</summary>
internal static class ElementMap
{
    /// <summary>y[i] = f(x[i]), same shape; <paramref name="type"/> overrides the result's data type (e.g. Int4 in sbyte).</summary>
    public static Tensor<TR> Unary<T, TR>(Tensor<T> x, Func<T, TR> f, DataType? type = null)
    {
        var y = new Tensor<TR>(x.Dims, type);
        ReadOnlySpan<T> xs = x.Span;
        Span<TR> ys = y.Span;
        for (int i = 0; i < ys.Length; ++i)
            ys[i] = f(xs[i]);
        return y;
    }

    /// <summary>c = f(a, b) with a and b broadcast to a common shape.</summary>
    public static Tensor<TR> Binary<TA, TB, TR>(OpContext ctx, Tensor<TA> a, Tensor<TB> b, Func<TA, TB, TR> f, DataType? type = null)
    {
        int[] shape = Broadcasting.Shape(ctx, a.Dims, b.Dims);
        int[] ia = Broadcasting.IndexMap(a.Dims, shape), ib = Broadcasting.IndexMap(b.Dims, shape);
        var c = new Tensor<TR>(shape, type);
        ReadOnlySpan<TA> av = a.Span;
        ReadOnlySpan<TB> bv = b.Span;
        Span<TR> cv = c.Span;
        for (int i = 0; i < cv.Length; ++i)
            cv[i] = f(av[ia[i]], bv[ib[i]]);
        return c;
    }

    /// <summary>d = f(a, b, c) with all three broadcast to a common shape.</summary>
    public static Tensor<TR> Ternary<TA, TB, TC, TR>(OpContext ctx, Tensor<TA> a, Tensor<TB> b, Tensor<TC> c, Func<TA, TB, TC, TR> f, DataType? type = null)
    {
        int[] shape = Broadcasting.Shape(ctx, a.Dims, b.Dims, c.Dims);
        int[] ia = Broadcasting.IndexMap(a.Dims, shape), ib = Broadcasting.IndexMap(b.Dims, shape), ic = Broadcasting.IndexMap(c.Dims, shape);
        var d = new Tensor<TR>(shape, type);
        ReadOnlySpan<TA> av = a.Span;
        ReadOnlySpan<TB> bv = b.Span;
        ReadOnlySpan<TC> cv = c.Span;
        Span<TR> dv = d.Span;
        for (int i = 0; i < dv.Length; ++i)
            dv[i] = f(av[ia[i]], bv[ib[i]], cv[ic[i]]);
        return d;
    }

    /// <summary>Float-type y = f(x) computed in double and rounded back to x's type.</summary>
    public static Tensor FloatUnary(Tensor x, Func<double, double> f) =>
        ElementTypes.Restore(Unary(ElementTypes.ToDouble(x), f), x.DataType);

    /// <summary>Float-type c = f(a, b) with broadcasting, computed in double and rounded back to a's type.</summary>
    public static Tensor FloatBinary(OpContext ctx, Tensor a, Tensor b, Func<double, double, double> f) =>
        ElementTypes.Restore(Binary(ctx, ElementTypes.ToDouble(a), ElementTypes.ToDouble(b), f), a.DataType);
}
