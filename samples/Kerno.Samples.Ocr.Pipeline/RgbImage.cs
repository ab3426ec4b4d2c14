namespace Kerno.Samples.Ocr;

/// <summary>An 8-bit RGB image, row-major, 3 bytes per pixel. The pipeline's own format: no imaging library needed.</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[]? pixels = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Width = width;
        Height = height;
        Pixels = pixels ?? new byte[checked(width * height * 3)];
        if (Pixels.Length != width * height * 3)
            throw new ArgumentException($"{width}x{height} RGB needs {width * height * 3} bytes, got {Pixels.Length}");
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>R, G, B bytes of each pixel, row by row.</summary>
    public byte[] Pixels { get; }

    /// <summary>
    /// Bilinear resize with pixel centers aligned (the convention of OpenCV's INTER_LINEAR, which PaddleOCR's
    /// preprocessing uses), so the models see what they were trained on.
    /// </summary>
    public RgbImage Resize(int width, int height)
    {
        var dst = new RgbImage(width, height);
        if (width == Width && height == Height)
        {
            Pixels.CopyTo(dst.Pixels, 0);
            return dst;
        }
        double sx = (double)Width / width, sy = (double)Height / height;
        var x0 = new int[width];
        var x1 = new int[width];
        var fx = new float[width];
        for (int x = 0; x < width; ++x)
        {
            double src = (x + 0.5) * sx - 0.5;
            int i = (int)Math.Floor(src);
            float f = (float)(src - i);
            if (i < 0) { i = 0; f = 0; }
            if (i >= Width - 1) { i = Width - 1; f = 0; }
            x0[x] = i;
            x1[x] = Math.Min(i + 1, Width - 1);
            fx[x] = f;
        }
        for (int y = 0; y < height; ++y)
        {
            double src = (y + 0.5) * sy - 0.5;
            int j = (int)Math.Floor(src);
            float fy = (float)(src - j);
            if (j < 0) { j = 0; fy = 0; }
            if (j >= Height - 1) { j = Height - 1; fy = 0; }
            int j1 = Math.Min(j + 1, Height - 1);
            int row0 = j * Width * 3, row1 = j1 * Width * 3, drow = y * width * 3;
            for (int x = 0; x < width; ++x)
            {
                int a = row0 + x0[x] * 3, b = row0 + x1[x] * 3, c = row1 + x0[x] * 3, d = row1 + x1[x] * 3;
                float wx = fx[x];
                for (int ch = 0; ch < 3; ++ch)
                {
                    float top = Pixels[a + ch] + (Pixels[b + ch] - Pixels[a + ch]) * wx;
                    float bottom = Pixels[c + ch] + (Pixels[d + ch] - Pixels[c + ch]) * wx;
                    dst.Pixels[drow + x * 3 + ch] = (byte)Math.Clamp((int)MathF.Round(top + (bottom - top) * fy), 0, 255);
                }
            }
        }
        return dst;
    }

    /// <summary>Rotated by 180 degrees.</summary>
    public RgbImage Rotate180()
    {
        var dst = new RgbImage(Width, Height);
        int n = Width * Height;
        for (int i = 0; i < n; ++i)
            for (int ch = 0; ch < 3; ++ch)
                dst.Pixels[(n - 1 - i) * 3 + ch] = Pixels[i * 3 + ch];
        return dst;
    }

    /// <summary>Rotated by 90 degrees counter-clockwise (numpy's rot90).</summary>
    public RgbImage Rotate90CounterClockwise()
    {
        var dst = new RgbImage(Height, Width);
        for (int y = 0; y < Height; ++y)
            for (int x = 0; x < Width; ++x)
            {
                // (x, y) goes to (y, Width - 1 - x) in the Height-wide result.
                int s = (y * Width + x) * 3, d = ((Width - 1 - x) * Height + y) * 3;
                dst.Pixels[d] = Pixels[s];
                dst.Pixels[d + 1] = Pixels[s + 1];
                dst.Pixels[d + 2] = Pixels[s + 2];
            }
        return dst;
    }

    /// <summary>
    /// Writes the image into an NCHW float tensor slot in PaddleOCR's channel order (BGR, as OpenCV loads images),
    /// each value (v/255 - mean[c]) / std[c]. <paramref name="tensorWidth"/> may exceed the image width: the rest
    /// of each row is left as it is (zero padding).
    /// </summary>
    public void ToBgrPlanes(Span<float> dst, int tensorWidth, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        int plane = Height * tensorWidth;
        Span<float> scale = stackalloc float[3];
        Span<float> offset = stackalloc float[3];
        for (int c = 0; c < 3; ++c)
        {
            scale[c] = 1f / (255f * std[c]);
            offset[c] = mean[c] / std[c];
        }
        for (int y = 0; y < Height; ++y)
            for (int x = 0; x < Width; ++x)
            {
                int s = (y * Width + x) * 3, d = y * tensorWidth + x;
                // Channel 0 is blue, 2 is red.
                dst[d] = Pixels[s + 2] * scale[0] - offset[0];
                dst[plane + d] = Pixels[s + 1] * scale[1] - offset[1];
                dst[2 * plane + d] = Pixels[s] * scale[2] - offset[2];
            }
    }
}
