using System.Diagnostics;

namespace Kerno.Samples.Ocr;

/// <summary>One recognized line: its box in the input image, the detector's box score, the text and its confidence.</summary>
public sealed record OcrLine(int Index, PointF[] Box, float BoxScore, string Text, float Confidence, bool Rotated = false);

/// <summary>Time spent per stage of one run (load is per pipeline, the rest per image).</summary>
public sealed class OcrTimings
{
    public TimeSpan Load { get; set; }
    /// <summary>The first run of each model on each input shape (<see cref="OcrPipeline.WarmUp"/>: plans, weight packing, JIT), not in <see cref="Total"/>.</summary>
    public TimeSpan FirstRuns { get; set; }
    public TimeSpan DetectionPreprocess { get; set; }
    public TimeSpan DetectionInference { get; set; }
    public TimeSpan DetectionPostprocess { get; set; }
    public TimeSpan Classification { get; set; }
    /// <summary>Cropping the lines upright, resizing and normalizing them.</summary>
    public TimeSpan RecognitionPreprocess { get; set; }
    public TimeSpan RecognitionInference { get; set; }
    public TimeSpan RecognitionDecode { get; set; }

    /// <summary>Everything but <see cref="Load"/>.</summary>
    public TimeSpan Total => DetectionPreprocess + DetectionInference + DetectionPostprocess + Classification +
                             RecognitionPreprocess + RecognitionInference + RecognitionDecode;

    /// <summary>(stage, time) in pipeline order.</summary>
    public IEnumerable<(string Stage, TimeSpan Time)> Stages()
    {
        yield return ("load models", Load);
        yield return ("first runs (warmup)", FirstRuns);
        yield return ("detection: preprocess", DetectionPreprocess);
        yield return ("detection: inference", DetectionInference);
        yield return ("detection: DB post-process", DetectionPostprocess);
        yield return ("direction classifier", Classification);
        yield return ("recognition: preprocess", RecognitionPreprocess);
        yield return ("recognition: inference", RecognitionInference);
        yield return ("recognition: CTC decode", RecognitionDecode);
        yield return ("total (without load)", Total);
    }
}

/// <summary>What one pipeline run found, with the raw model outputs (for comparing engines).</summary>
public sealed class OcrResult
{
    public required string Engine { get; init; }
    public required IReadOnlyList<OcrLine> Lines { get; init; }
    public required OcrTimings Timings { get; init; }
    /// <summary>The detector's input shape (1x3xHxW).</summary>
    public required int[] DetectionInputShape { get; init; }
    /// <summary>The detector's probability map.</summary>
    public required FloatTensor DetectionMap { get; init; }
    /// <summary>The recognizer's output per line.</summary>
    public required IReadOnlyList<FloatTensor> RecognitionOutputs { get; init; }

    /// <summary>The lines' text, one per line.</summary>
    public string Text => string.Join("\n", Lines.Select(l => l.Text));
}

/// <summary>
/// PaddleOCR PP-OCRv4 on any <see cref="IInferenceEngine"/>: detection (DB), optional direction classification,
/// recognition (CTC). Models load once; <see cref="Run"/> may be called for many images.
/// </summary>
public sealed class OcrPipeline : IDisposable
{
    private readonly IModelRunner detector;
    private readonly IModelRunner recognizer;
    private readonly IModelRunner? classifier;
    private readonly IReadOnlyList<string> charset;
    private readonly TimeSpan loadTime;

    public OcrPipeline(IInferenceEngine engine, OcrModelFiles models, bool useClassifier = false, DetectorOptions? detection = null)
    {
        Engine = engine;
        Detection = detection ?? new DetectorOptions();
        var clock = Stopwatch.StartNew();
        charset = TextRecognizer.LoadCharset(models.Keys);
        detector = engine.Load(models.Detection);
        recognizer = engine.Load(models.Recognition);
        classifier = useClassifier ? engine.Load(models.Classifier) : null;
        loadTime = clock.Elapsed;
    }

    public IInferenceEngine Engine { get; }
    public DetectorOptions Detection { get; }

    /// <summary>
    /// Run each model once on each new input shape before the timed run (the same for every engine), so the stage
    /// times are steady-state inference, as in a service; the first runs (plans and packed weights for the shape,
    /// JIT) are timed apart in <see cref="OcrTimings.FirstRuns"/>.
    /// </summary>
    public bool WarmUp { get; init; }

    private readonly HashSet<string> warmed = new(StringComparer.Ordinal);

    /// <summary>Runs a model (after its warm-up run for a new shape, timed apart); <paramref name="time"/> is the timed run's.</summary>
    private FloatTensor Run(IModelRunner runner, string name, FloatTensor input, OcrTimings t, Stopwatch clock, out TimeSpan time)
    {
        clock.Restart();
        if (WarmUp && warmed.Add(name + ":" + string.Join('x', input.Shape)))
        {
            runner.Run(input);
            t.FirstRuns += clock.Elapsed;
            clock.Restart();
        }
        FloatTensor y = runner.Run(input);
        time = clock.Elapsed;
        return y;
    }

    /// <summary>Reads the text in <paramref name="image"/>; <paramref name="stage"/> hears each stage as it starts.</summary>
    public OcrResult Run(RgbImage image, Action<string>? stage = null)
    {
        var t = new OcrTimings { Load = loadTime };
        var clock = Stopwatch.StartNew();
        FloatTensor detInput = TextDetector.Preprocess(image, Detection);
        t.DetectionPreprocess = Lap(clock);
        stage?.Invoke($"detection {detInput.Shape[3]}x{detInput.Shape[2]}");
        FloatTensor map = Run(detector, "det", detInput, t, clock, out TimeSpan detTime);
        t.DetectionInference = detTime;
        clock.Restart();
        List<TextBox> boxes = TextDetector.Postprocess(map, image.Width, image.Height, Detection);
        t.DetectionPostprocess = Lap(clock);

        var lines = new List<OcrLine>();
        var outputs = new List<FloatTensor>();
        foreach (TextBox box in boxes)
        {
            stage?.Invoke($"recognition, line {lines.Count + 1} of {boxes.Count}");
            clock.Restart();
            RgbImage crop = TextRecognizer.Crop(image, box.Corners);
            t.RecognitionPreprocess += Lap(clock);
            bool rotated = false;
            if (classifier is not null)
            {
                FloatTensor clsInput = DirectionClassifier.Preprocess(crop);
                t.Classification += Lap(clock);
                (rotated, _) = DirectionClassifier.Decode(Run(classifier, "cls", clsInput, t, clock, out TimeSpan clsTime));
                t.Classification += clsTime;
                clock.Restart();
                if (rotated)
                    crop = crop.Rotate180();
                t.Classification += Lap(clock);
            }
            FloatTensor recInput = TextRecognizer.Preprocess(crop);
            t.RecognitionPreprocess += Lap(clock);
            FloatTensor probs = Run(recognizer, "rec", recInput, t, clock, out TimeSpan recTime);
            t.RecognitionInference += recTime;
            clock.Restart();
            (string text, float confidence) = TextRecognizer.Decode(probs, charset);
            t.RecognitionDecode += Lap(clock);
            outputs.Add(probs);
            lines.Add(new OcrLine(lines.Count + 1, box.Corners, box.Score, text, confidence, rotated));
        }
        return new OcrResult
        {
            Engine = Engine.Name,
            Lines = lines,
            Timings = t,
            DetectionInputShape = detInput.Shape,
            DetectionMap = map,
            RecognitionOutputs = outputs,
        };
    }

    private static TimeSpan Lap(Stopwatch clock)
    {
        TimeSpan e = clock.Elapsed;
        clock.Restart();
        return e;
    }

    public void Dispose()
    {
        detector.Dispose();
        recognizer.Dispose();
        classifier?.Dispose();
    }
}
