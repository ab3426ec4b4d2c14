using System.CommandLine;
using Kerno.Samples.Ocr;

// The OCR demo as a console program: `dotnet run --project samples/Kerno.Samples.Ocr -- [IMAGE] [options]`.
// The same command is `kerno demo ocr`; only this sample can compare with ONNX Runtime (`--compare onnxruntime`).
var verbose = new Option<bool>("--verbose") { Description = "Show stack traces on errors", Recursive = true };
const string invocation = "dotnet run --project samples/Kerno.Samples.Ocr --";
var host = new OcrCommandHost
{
    Invocation = invocation,
    CompareEngines = new Dictionary<string, Func<IInferenceEngine>> { ["onnxruntime"] = () => new OnnxRuntimeEngine() },
    Verbose = verbose,
};
Command ocr = OcrCommand.Create("ocr", host);
var root = new RootCommand(ocr.Description + $"\n\nExamples:\n  {string.Join("\n  ", OcrCommand.Examples(invocation).Append($"{invocation} --compare onnxruntime   # the same on ONNX Runtime, timings side by side"))}");
foreach (Argument a in ocr.Arguments)
    root.Arguments.Add(a);
foreach (Option o in ocr.Options)
    root.Options.Add(o);
root.Options.Add(verbose);
root.Action = ocr.Action;
ParseResult parse = root.Parse(args);
if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
{
    foreach (var e in parse.Errors)
        Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine("(--help lists the options)");
    return 2;
}
return parse.Invoke();
