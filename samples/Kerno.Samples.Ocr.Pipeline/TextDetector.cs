namespace Kerno.Samples.Ocr;

/// <summary>A detected text region: four corners (top-left, top-right, bottom-right, bottom-left) and its score.</summary>
public sealed record TextBox(PointF[] Corners, float Score);

/// <summary>Settings of the DB (differentiable binarization) detector's pre- and post-processing, PaddleOCR's defaults.</summary>
public sealed record DetectorOptions
{
    /// <summary>The longer side is scaled down to this when larger.</summary>
    public int LimitSideLength { get; init; } = 960;
    /// <summary>Probability above which a pixel is text.</summary>
    public float Threshold { get; init; } = 0.3f;
    /// <summary>Mean probability inside a box below which it is dropped.</summary>
    public float BoxThreshold { get; init; } = 0.6f;
    /// <summary>
    /// How far the shrunk text kernels are grown back: area * ratio / perimeter. PaddleOCR 2.x used 1.5; at 1.5 the
    /// boxes hug the glyphs so tightly that the recognizer misses most word gaps ("Total12.75EUR" for
    /// "Total 12.75 EUR" on both Kerno and ONNX Runtime), at 2.0 (PaddleOCR 3's pipelines) it reads them.
    /// </summary>
    public float UnclipRatio { get; init; } = 2.0f;
    /// <summary>Most regions considered.</summary>
    public int MaxCandidates { get; init; } = 1000;
    /// <summary>Boxes whose short side is below this (pixels of the probability map) are dropped.</summary>
    public int MinSize { get; init; } = 3;
}

/// <summary>PP-OCR text detection: resize to multiples of 32, normalize, run, binarize, find boxes.</summary>
public static class TextDetector
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <summary>The model input for <paramref name="image"/> (1x3xHxW, H and W multiples of 32).</summary>
    public static FloatTensor Preprocess(RgbImage image, DetectorOptions options)
    {
        int h = image.Height, w = image.Width;
        double ratio = Math.Max(h, w) > options.LimitSideLength ? (double)options.LimitSideLength / Math.Max(h, w) : 1.0;
        int rh = Math.Max((int)Math.Round(h * ratio / 32, MidpointRounding.ToEven) * 32, 32);
        int rw = Math.Max((int)Math.Round(w * ratio / 32, MidpointRounding.ToEven) * 32, 32);
        RgbImage resized = image.Resize(rw, rh);
        var data = new float[3 * rh * rw];
        resized.ToBgrPlanes(data, rw, Mean, Std);
        return new FloatTensor(data, [1, 3, rh, rw]);
    }

    /// <summary>
    /// DB post-processing of the probability map (1x1xHxW): threshold, 8-connected regions, minimum-area
    /// rectangle of each, score (mean probability inside), unclip, back to the source image's coordinates.
    /// Boxes come sorted top to bottom, then left to right within a line.
    /// </summary>
    public static List<TextBox> Postprocess(FloatTensor map, int srcWidth, int srcHeight, DetectorOptions options)
    {
        int h = map.Shape[^2], w = map.Shape[^1];
        float[] p = map.Data;
        var label = new int[h * w];
        var boxes = new List<TextBox>();
        var stack = new Stack<int>();
        int regions = 0;
        for (int start = 0; start < h * w && regions < options.MaxCandidates; ++start)
        {
            if (label[start] != 0 || p[start] <= options.Threshold)
                continue;
            regions++;
            // Flood fill one region; keep its border pixels (the ones a contour tracer would visit).
            var border = new List<PointF>();
            label[start] = regions;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop(), y = i / w, x = i % w;
                bool isBorder = false;
                for (int dy = -1; dy <= 1; ++dy)
                    for (int dx = -1; dx <= 1; ++dx)
                    {
                        if (dx == 0 && dy == 0) continue;
                        int nx = x + dx, ny = y + dy;
                        if (nx < 0 || ny < 0 || nx >= w || ny >= h) { isBorder = true; continue; }
                        int j = ny * w + nx;
                        if (p[j] <= options.Threshold) { isBorder = true; continue; }
                        if (label[j] == 0)
                        {
                            label[j] = regions;
                            stack.Push(j);
                        }
                    }
                if (isBorder)
                    border.Add(new PointF(x, y));
            }
            TextBox? box = BoxOf(border, p, w, h, srcWidth, srcHeight, options);
            if (box is not null)
                boxes.Add(box);
        }
        return Sort(boxes);
    }

    private static TextBox? BoxOf(List<PointF> border, float[] p, int w, int h, int srcWidth, int srcHeight, DetectorOptions options)
    {
        List<PointF> hull = Geometry.ConvexHull(border);
        var (rect, rw, rh) = Geometry.MinAreaRect(hull);
        if (Math.Min(rw, rh) < options.MinSize)
            return null;
        PointF[] corners = Geometry.OrderCorners(rect);
        float score = MeanInside(p, w, h, corners);
        if (score < options.BoxThreshold)
            return null;
        // Unclip: the network predicts shrunk text kernels; grow the rectangle by area * ratio / perimeter
        // on every side (what offsetting the polygon and taking its minimum-area rectangle again gives).
        float d = Geometry.Area(corners) * options.UnclipRatio / Geometry.Perimeter(corners);
        PointF[] grown = Grow(corners, d);
        float gw = (grown[1] - grown[0]).Length, gh = (grown[3] - grown[0]).Length;
        if (Math.Min(gw, gh) < options.MinSize + 2)
            return null;
        float sx = (float)srcWidth / w, sy = (float)srcHeight / h;
        PointF[] scaled = grown.Select(q => new PointF(
            Math.Clamp(MathF.Round(q.X * sx), 0, srcWidth), Math.Clamp(MathF.Round(q.Y * sy), 0, srcHeight))).ToArray();
        return new TextBox(Geometry.OrderCorners(scaled), score);
    }

    /// <summary>Moves each side of the rectangle outwards by <paramref name="d"/>.</summary>
    private static PointF[] Grow(PointF[] c, float d)
    {
        PointF center = (c[0] + c[1] + c[2] + c[3]) * 0.25f;
        PointF u = Unit(c[1] - c[0]), v = Unit(c[3] - c[0]);
        float hw = (c[1] - c[0]).Length / 2 + d, hh = (c[3] - c[0]).Length / 2 + d;
        return [center - u * hw - v * hh, center + u * hw - v * hh, center + u * hw + v * hh, center - u * hw + v * hh];
    }

    private static PointF Unit(PointF v)
    {
        float l = v.Length;
        return l == 0 ? new PointF(1, 0) : new PointF(v.X / l, v.Y / l);
    }

    /// <summary>Mean probability over the pixels inside the quad (PaddleOCR's "fast" box score).</summary>
    private static float MeanInside(float[] p, int w, int h, PointF[] quad)
    {
        int x0 = Math.Clamp((int)MathF.Floor(quad.Min(q => q.X)), 0, w - 1), x1 = Math.Clamp((int)MathF.Ceiling(quad.Max(q => q.X)), 0, w - 1);
        int y0 = Math.Clamp((int)MathF.Floor(quad.Min(q => q.Y)), 0, h - 1), y1 = Math.Clamp((int)MathF.Ceiling(quad.Max(q => q.Y)), 0, h - 1);
        double sum = 0;
        int n = 0;
        for (int y = y0; y <= y1; ++y)
            for (int x = x0; x <= x1; ++x)
                if (Geometry.InConvex(quad, new PointF(x, y)))
                {
                    sum += p[y * w + x];
                    n++;
                }
        return n == 0 ? 0 : (float)(sum / n);
    }

    /// <summary>Top to bottom; boxes less than 10 pixels apart vertically are read left to right.</summary>
    private static List<TextBox> Sort(List<TextBox> boxes)
    {
        var sorted = boxes.OrderBy(b => b.Corners[0].Y).ThenBy(b => b.Corners[0].X).ToList();
        for (int i = 0; i < sorted.Count - 1; ++i)
            for (int j = i; j >= 0; --j)
            {
                if (Math.Abs(sorted[j + 1].Corners[0].Y - sorted[j].Corners[0].Y) < 10 && sorted[j + 1].Corners[0].X < sorted[j].Corners[0].X)
                    (sorted[j], sorted[j + 1]) = (sorted[j + 1], sorted[j]);
                else
                    break;
            }
        return sorted;
    }
}
