using System.CommandLine;
using Kerno.Samples.Ocr;

namespace Kerno.Cli.Commands;

/// <summary>
/// <c>kerno demo ocr</c>: the OCR sample (samples/Kerno.Samples.Ocr.Pipeline) inside the tool. The tool carries
/// SkiaSharp for it; the Kerno library does not. ONNX Runtime stays in the sample console only.
/// </summary>
internal static class DemoCommand
{
    internal static Command Create()
    {
        var ocr = OcrCommand.Create("ocr", new OcrCommandHost
        {
            Invocation = "kerno demo ocr",
            Verbose = Cli.Verbose,
            CompareHint = "--compare: the kerno tool does not bundle ONNX Runtime; the sample does: " +
                          "dotnet run -c Release --project samples/Kerno.Samples.Ocr -- --compare onnxruntime",
        }).WithExamples(OcrCommand.Examples("kerno demo ocr"));
        return new Command("demo", "End-to-end demos on real models")
        {
            ocr,
        }.WithExamples("kerno demo ocr", "kerno demo ocr photo.jpg --json");
    }
}
