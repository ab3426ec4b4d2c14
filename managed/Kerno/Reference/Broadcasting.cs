namespace Kerno.Reference;

/// <summary>Numpy-style (multidirectional) broadcasting, shared by every element-wise reference op.</summary>
public static class Broadcasting
{
    /// <summary>The broadcast shape of several shapes, or null when they are incompatible.</summary>
    public static int[]? TryShape(params int[][] shapes)
    {
        int rank = shapes.Max(s => s.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; ++i)
        {
            int dim = 1;
            foreach (int[] s in shapes)
            {
                int k = i - (rank - s.Length);
                if (k < 0)
                    continue;
                int d = s[k];
                if (d == dim || d == 1)
                    continue;
                if (dim != 1)
                    return null;
                dim = d;
            }
            result[i] = dim;
        }
        return result;
    }

    /// <summary>The broadcast shape, or a <see cref="KernoModelException"/> naming the node and the shapes.</summary>
    public static int[] Shape(OpContext ctx, params int[][] shapes) =>
        TryShape(shapes) ?? throw ctx.Fail("shapes " + string.Join(" and ", shapes.Select(s => Tensor.FormatShape(s))) + " do not broadcast");

    /// <summary>
    /// For each element of <paramref name="outShape"/> (row-major), the flat index of the element of a tensor of
    /// <paramref name="inShape"/> that broadcasts to it.
    /// </summary>
    public static int[] IndexMap(int[] inShape, int[] outShape)
    {
        int n = Tensor.ElementCount(outShape);
        var map = new int[n];
        int rank = outShape.Length;
        // Stride of each output axis in the input (0 where the input broadcasts along it).
        var strides = new int[rank];
        int s = 1;
        for (int i = rank - 1; i >= 0; --i)
        {
            int k = i - (rank - inShape.Length);
            if (k >= 0 && inShape[k] != 1)
            {
                strides[i] = s;
                s *= inShape[k];
            }
            else if (k >= 0)
                s *= 1;
        }
        var idx = new int[rank];
        int offset = 0;
        for (int e = 0; e < n; ++e)
        {
            map[e] = offset;
            for (int a = rank - 1; a >= 0; --a)
            {
                idx[a]++;
                offset += strides[a];
                if (idx[a] < outShape[a])
                    break;
                offset -= strides[a] * idx[a];
                idx[a] = 0;
            }
        }
        return map;
    }
}
