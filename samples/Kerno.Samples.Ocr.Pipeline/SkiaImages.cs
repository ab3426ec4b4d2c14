using System.Runtime.InteropServices;
using SkiaSharp;

namespace Kerno.Samples.Ocr;

/// <summary>Image files and drawing through SkiaSharp: decode PNG/JPEG, render a line of text, write the annotated result.</summary>
public static class SkiaImages
{
    /// <summary>Fonts tried first for rendered text, so the demo looks the same everywhere (Debian: fonts-dejavu-core).</summary>
    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/Library/Fonts/Arial.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        @"C:\Windows\Fonts\arial.ttf",
    ];

    /// <summary>Decodes a PNG or JPEG (anything Skia reads), transparent parts over white.</summary>
    public static RgbImage Load(string path)
    {
        if (Directory.Exists(path))
            throw new OcrSetupException($"{path} is a folder: expected a PNG or JPEG file");
        if (!File.Exists(path))
            throw new OcrSetupException($"image not found: {path} (expected a PNG or JPEG file)");
        using SKBitmap decoded = SKBitmap.Decode(path)
            ?? throw new OcrSetupException($"cannot decode {path}: expected a PNG or JPEG image");
        using var rgba = new SKBitmap(new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(rgba))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawBitmap(decoded, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest), null);
        }
        return FromRgba(rgba);
    }

    /// <summary>
    /// Renders <paramref name="text"/> in black on white, <paramref name="fontSize"/> pixels, with a margin; both sides
    /// are multiples of 32 (the detector's stride), so the detector sees the image unscaled.
    /// </summary>
    public static RgbImage RenderText(string text, float fontSize = 40)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new OcrSetupException("--text: expected some text to render, got an empty string");
        using SKTypeface typeface = FindTypeface(text);
        using var font = new SKFont(typeface, fontSize) { Edging = SKFontEdging.Antialias, Subpixel = true };
        float textWidth = font.MeasureText(text);
        font.GetFontMetrics(out SKFontMetrics m);
        float textHeight = m.Descent - m.Ascent;
        int width = RoundUp32(textWidth + 2 * fontSize), height = RoundUp32(textHeight + 1.2f * fontSize);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            canvas.Clear(SKColors.White);
            canvas.DrawText(text, (width - textWidth) / 2, (height - textHeight) / 2 - m.Ascent, SKTextAlign.Left, font, paint);
        }
        return FromRgba(bitmap);
    }

    private static int RoundUp32(float v) => ((int)MathF.Ceiling(v) + 31) / 32 * 32;

    private static SKTypeface FindTypeface(string text)
    {
        foreach (string file in FontFiles)
            if (File.Exists(file) && SKTypeface.FromFile(file) is { } face)
            {
                if (HasGlyphs(face, text))
                    return face;
                face.Dispose();
            }
        SKTypeface? fallback = SKFontManager.Default.MatchFamily("sans-serif") ?? SKTypeface.Default;
        if (fallback is not null && HasGlyphs(fallback, text))
            return fallback;
        throw new OcrSetupException($"no font with glyphs for \"{text}\" found to render the demo image: expected DejaVu Sans at " +
                                    $"{FontFiles[0]} (Debian: apt-get install fonts-dejavu-core), or pass an image file instead");
    }

    private static bool HasGlyphs(SKTypeface face, string text)
    {
        using var font = new SKFont(face, 12);
        ushort[] glyphs = font.GetGlyphs(text.Replace(" ", ""));
        return glyphs.Length > 0 && glyphs.All(g => g != 0);
    }

    /// <summary>Writes <paramref name="image"/> as PNG with each line's box and number (and its text where the font has the glyphs).</summary>
    public static void SaveAnnotated(RgbImage image, IReadOnlyList<OcrLine> lines, string path)
    {
        using SKBitmap bitmap = ToBitmap(image);
        using (var canvas = new SKCanvas(bitmap))
        using (var box = new SKPaint { Color = new SKColor(0, 170, 60), IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 2 })
        using (var tagFill = new SKPaint { Color = new SKColor(0, 170, 60), Style = SKPaintStyle.Fill })
        using (var tagText = new SKPaint { Color = SKColors.White, IsAntialias = true })
        using (var label = new SKPaint { Color = new SKColor(200, 30, 30), IsAntialias = true })
        {
            SKTypeface face = TryTypeface() ?? SKTypeface.Default;
            using var font = new SKFont(face, Math.Clamp(image.Height / 30f, 11, 18));
            foreach (OcrLine line in lines)
            {
                SKPoint[] outline = [.. line.Box.Select(p => new SKPoint(p.X, p.Y)), new SKPoint(line.Box[0].X, line.Box[0].Y)];
                canvas.DrawPoints(SKPointMode.Polygon, outline, box);
                string tag = line.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
                font.GetFontMetrics(out SKFontMetrics m);
                float tw = font.MeasureText(tag) + 6, th = m.Descent - m.Ascent + 2;
                float x = line.Box[0].X, y = Math.Max(0, line.Box[0].Y - th);
                canvas.DrawRect(x, y, tw, th, tagFill);
                canvas.DrawText(tag, x + 3, y + 1 - m.Ascent, SKTextAlign.Left, font, tagText);
                if (HasGlyphs(face, line.Text))
                    canvas.DrawText($"{line.Text} ({line.Confidence:0.00})", x + tw + 4, y + 1 - m.Ascent, SKTextAlign.Left, font, label);
            }
            if (!ReferenceEquals(face, SKTypeface.Default))
                face.Dispose();
        }
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
            Directory.CreateDirectory(dir);
        using SKImage img = SKImage.FromBitmap(bitmap);
        using SKData png = img.Encode(SKEncodedImageFormat.Png, 100);
        using FileStream file = File.Create(path);
        png.SaveTo(file);
    }

    /// <summary>Writes <paramref name="image"/> as PNG.</summary>
    public static void SavePng(RgbImage image, string path) => SaveAnnotated(image, [], path);

    private static SKTypeface? TryTypeface()
    {
        foreach (string file in FontFiles)
            if (File.Exists(file) && SKTypeface.FromFile(file) is { } face)
                return face;
        return null;
    }

    private static RgbImage FromRgba(SKBitmap rgba)
    {
        var image = new RgbImage(rgba.Width, rgba.Height);
        var row = new byte[rgba.RowBytes];
        IntPtr pixels = rgba.GetPixels();
        for (int y = 0; y < rgba.Height; ++y)
        {
            Marshal.Copy(pixels + y * rgba.RowBytes, row, 0, row.Length);
            for (int x = 0; x < rgba.Width; ++x)
            {
                int d = (y * rgba.Width + x) * 3;
                image.Pixels[d] = row[x * 4];
                image.Pixels[d + 1] = row[x * 4 + 1];
                image.Pixels[d + 2] = row[x * 4 + 2];
            }
        }
        return image;
    }

    private static SKBitmap ToBitmap(RgbImage image)
    {
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var row = new byte[bitmap.RowBytes];
        IntPtr pixels = bitmap.GetPixels();
        for (int y = 0; y < image.Height; ++y)
        {
            for (int x = 0; x < image.Width; ++x)
            {
                int s = (y * image.Width + x) * 3;
                row[x * 4] = image.Pixels[s];
                row[x * 4 + 1] = image.Pixels[s + 1];
                row[x * 4 + 2] = image.Pixels[s + 2];
                row[x * 4 + 3] = 255;
            }
            Marshal.Copy(row, 0, pixels + y * bitmap.RowBytes, row.Length);
        }
        return bitmap;
    }
}
