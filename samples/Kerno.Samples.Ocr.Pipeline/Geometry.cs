namespace Kerno.Samples.Ocr;

/// <summary>A point in image coordinates (pixels; x to the right, y down).</summary>
public readonly record struct PointF(float X, float Y)
{
    public static PointF operator -(PointF a, PointF b) => new(a.X - b.X, a.Y - b.Y);
    public static PointF operator +(PointF a, PointF b) => new(a.X + b.X, a.Y + b.Y);
    public static PointF operator *(PointF a, float s) => new(a.X * s, a.Y * s);
    public float Length => MathF.Sqrt(X * X + Y * Y);
    public override string ToString() => FormattableString.Invariant($"({X:0},{Y:0})");
}

/// <summary>Plane geometry for the detector's post-processing: convex hull, minimum-area rectangle, quads.</summary>
public static class Geometry
{
    /// <summary>Convex hull (Andrew's monotone chain), counter-clockwise in a y-up sense, without collinear points.</summary>
    public static List<PointF> ConvexHull(IEnumerable<PointF> points)
    {
        var p = points.Distinct().OrderBy(q => q.X).ThenBy(q => q.Y).ToList();
        if (p.Count < 3)
            return p;
        var hull = new PointF[2 * p.Count];
        int k = 0;
        for (int i = 0; i < p.Count; ++i)
        {
            while (k >= 2 && Cross(hull[k - 2], hull[k - 1], p[i]) <= 0) k--;
            hull[k++] = p[i];
        }
        for (int i = p.Count - 2, lower = k + 1; i >= 0; --i)
        {
            while (k >= lower && Cross(hull[k - 2], hull[k - 1], p[i]) <= 0) k--;
            hull[k++] = p[i];
        }
        return hull.Take(k - 1).ToList();
    }

    private static float Cross(PointF o, PointF a, PointF b) => (a.X - o.X) * (b.Y - o.Y) - (a.Y - o.Y) * (b.X - o.X);

    /// <summary>
    /// The rectangle of least area around <paramref name="hull"/> (one side lies on a hull edge), as its four
    /// corners in order around it, and its side lengths.
    /// </summary>
    public static (PointF[] Corners, float Width, float Height) MinAreaRect(IReadOnlyList<PointF> hull)
    {
        if (hull.Count == 0)
            throw new ArgumentException("no points", nameof(hull));
        if (hull.Count == 1)
            return ([hull[0], hull[0], hull[0], hull[0]], 0, 0);
        double best = double.MaxValue;
        PointF[] corners = [];
        float bw = 0, bh = 0;
        for (int i = 0; i < hull.Count; ++i)
        {
            PointF e = hull[(i + 1) % hull.Count] - hull[i];
            float len = e.Length;
            if (len == 0)
                continue;
            var u = new PointF(e.X / len, e.Y / len);
            var v = new PointF(-u.Y, u.X);
            float minU = float.MaxValue, maxU = float.MinValue, minV = float.MaxValue, maxV = float.MinValue;
            foreach (PointF q in hull)
            {
                float pu = q.X * u.X + q.Y * u.Y, pv = q.X * v.X + q.Y * v.Y;
                minU = Math.Min(minU, pu); maxU = Math.Max(maxU, pu);
                minV = Math.Min(minV, pv); maxV = Math.Max(maxV, pv);
            }
            double area = (double)(maxU - minU) * (maxV - minV);
            if (area < best - 1e-9)
            {
                best = area;
                bw = maxU - minU;
                bh = maxV - minV;
                corners = [u * minU + v * minV, u * maxU + v * minV, u * maxU + v * maxV, u * minU + v * maxV];
            }
        }
        return (corners, bw, bh);
    }

    /// <summary>
    /// PaddleOCR's corner order for a rectangle: top-left, top-right, bottom-right, bottom-left (of the two
    /// leftmost corners the upper one starts, of the two rightmost the upper one comes second).
    /// </summary>
    public static PointF[] OrderCorners(PointF[] rect)
    {
        var byX = rect.OrderBy(p => p.X).ToArray();
        (PointF tl, PointF bl) = byX[1].Y > byX[0].Y ? (byX[0], byX[1]) : (byX[1], byX[0]);
        (PointF tr, PointF br) = byX[3].Y > byX[2].Y ? (byX[2], byX[3]) : (byX[3], byX[2]);
        return [tl, tr, br, bl];
    }

    /// <summary>Area of a simple polygon (shoelace).</summary>
    public static float Area(IReadOnlyList<PointF> poly)
    {
        double a = 0;
        for (int i = 0; i < poly.Count; ++i)
        {
            PointF p = poly[i], q = poly[(i + 1) % poly.Count];
            a += (double)p.X * q.Y - (double)q.X * p.Y;
        }
        return (float)Math.Abs(a / 2);
    }

    /// <summary>Perimeter of a polygon.</summary>
    public static float Perimeter(IReadOnlyList<PointF> poly)
    {
        float s = 0;
        for (int i = 0; i < poly.Count; ++i)
            s += (poly[(i + 1) % poly.Count] - poly[i]).Length;
        return s;
    }

    /// <summary>True when <paramref name="p"/> is inside the convex polygon or on its border (either winding).</summary>
    public static bool InConvex(IReadOnlyList<PointF> poly, PointF p)
    {
        bool pos = false, neg = false;
        for (int i = 0; i < poly.Count; ++i)
        {
            float c = Cross(poly[i], poly[(i + 1) % poly.Count], p);
            float len = (poly[(i + 1) % poly.Count] - poly[i]).Length;
            // Within half a pixel of an edge counts as on it (like a filled polygon's border pixels).
            if (c > 0.5f * len) pos = true;
            if (c < -0.5f * len) neg = true;
            if (pos && neg)
                return false;
        }
        return true;
    }
}
