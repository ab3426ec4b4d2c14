namespace Kerno.Samples.Ocr;

/// <summary>PP-OCR text recognition (SVTR/CRNN with CTC): crop a line upright, resize to height 48, decode.</summary>
public static class TextRecognizer
{
    public const int Height = 48;
    /// <summary>Narrower lines are padded to this width (PaddleOCR's rec_image_shape 3,48,320).</summary>
    public const int MinWidth = 320;

    /// <summary>
    /// Cuts the quad (top-left, top-right, bottom-right, bottom-left) out of <paramref name="image"/> as an upright
    /// image, sampling bilinearly (edges repeated); lines at least 1.5 times taller than wide are turned to lie flat.
    /// </summary>
    public static RgbImage Crop(RgbImage image, PointF[] quad)
    {
        int cw = Math.Max(1, (int)Math.Max((quad[0] - quad[1]).Length, (quad[2] - quad[3]).Length));
        int ch = Math.Max(1, (int)Math.Max((quad[0] - quad[3]).Length, (quad[1] - quad[2]).Length));
        var dst = new RgbImage(cw, ch);
        PointF u = (quad[1] - quad[0]) * (1f / cw), v = (quad[3] - quad[0]) * (1f / ch);
        for (int y = 0; y < ch; ++y)
            for (int x = 0; x < cw; ++x)
            {
                PointF s = quad[0] + u * x + v * y;
                Sample(image, s.X, s.Y, dst.Pixels.AsSpan((y * cw + x) * 3, 3));
            }
        return ch >= 1.5 * cw ? dst.Rotate90CounterClockwise() : dst;
    }

    private static void Sample(RgbImage img, float fx, float fy, Span<byte> rgb)
    {
        int x0 = (int)MathF.Floor(fx), y0 = (int)MathF.Floor(fy);
        float ax = fx - x0, ay = fy - y0;
        int X(int x) => Math.Clamp(x, 0, img.Width - 1);
        int Y(int y) => Math.Clamp(y, 0, img.Height - 1);
        int a = (Y(y0) * img.Width + X(x0)) * 3, b = (Y(y0) * img.Width + X(x0 + 1)) * 3;
        int c = (Y(y0 + 1) * img.Width + X(x0)) * 3, d = (Y(y0 + 1) * img.Width + X(x0 + 1)) * 3;
        byte[] p = img.Pixels;
        for (int k = 0; k < 3; ++k)
        {
            float top = p[a + k] + (p[b + k] - p[a + k]) * ax, bottom = p[c + k] + (p[d + k] - p[c + k]) * ax;
            rgb[k] = (byte)Math.Clamp((int)MathF.Round(top + (bottom - top) * ay), 0, 255);
        }
    }

    /// <summary>
    /// Input for one line (1x3x48xW): scaled to height 48 keeping its aspect ratio, values mapped to [-1, 1],
    /// right-padded with zeros to at least <paramref name="minWidth"/>.
    /// </summary>
    public static FloatTensor Preprocess(RgbImage line, int height = Height, int minWidth = MinWidth, int maxWidth = int.MaxValue)
    {
        double ratio = (double)line.Width / line.Height;
        int tensorWidth = Math.Min(Math.Max(minWidth, (int)Math.Min(height * ratio, int.MaxValue)), maxWidth);
        int w = Math.Clamp((int)Math.Ceiling(height * ratio), 1, tensorWidth);
        RgbImage resized = line.Resize(w, height);
        var data = new float[3 * height * tensorWidth];
        resized.ToBgrPlanes(data, tensorWidth, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]);
        return new FloatTensor(data, [1, 3, height, tensorWidth]);
    }

    /// <summary>
    /// Greedy CTC decoding of 1xTxC probabilities: the most likely class per step, repeats merged, blanks (class 0)
    /// dropped. Class i >= 1 is <paramref name="charset"/>[i - 1]. Confidence is the mean probability of the kept steps.
    /// </summary>
    public static (string Text, float Confidence) Decode(FloatTensor probs, IReadOnlyList<string> charset)
    {
        int steps = probs.Shape[^2], classes = probs.Shape[^1];
        var text = new System.Text.StringBuilder();
        double sum = 0;
        int kept = 0, previous = -1;
        for (int t = 0; t < steps; ++t)
        {
            ReadOnlySpan<float> row = probs.Data.AsSpan(t * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; ++c)
                if (row[c] > row[best])
                    best = c;
            if (best != 0 && best != previous)
            {
                text.Append(best - 1 < charset.Count ? charset[best - 1] : "\uFFFD");
                sum += row[best];
                kept++;
            }
            previous = best;
        }
        return (text.ToString(), kept == 0 ? 0 : (float)(sum / kept));
    }

    /// <summary>The character list: one per line of ppocr_keys_v1.txt, then the space (use_space_char).</summary>
    public static List<string> LoadCharset(string keysPath)
    {
        var chars = File.ReadAllLines(keysPath).Select(l => l.TrimEnd('\r')).ToList();
        chars.Add(" ");
        return chars;
    }
}

/// <summary>PP-OCR's text direction classifier: is a cropped line upside down?</summary>
public static class DirectionClassifier
{
    /// <summary>Lines classified as turned with at least this confidence are rotated back.</summary>
    public const float Threshold = 0.9f;

    /// <summary>Input for one line: 1x3x48x192, scaled like the recognizer's (squeezed when wider).</summary>
    public static FloatTensor Preprocess(RgbImage line) => TextRecognizer.Preprocess(line, 48, 192, 192);

    /// <summary>True when the 1x2 output ('0', '180') says the line is upside down.</summary>
    public static (bool Rotated, float Score) Decode(FloatTensor probs) =>
        probs.Data[1] > probs.Data[0] ? (probs.Data[1] >= Threshold, probs.Data[1]) : (false, probs.Data[0]);
}
