using System.CommandLine;
using System.Diagnostics;
using System.Globalization;

namespace Kerno.Cli.Commands;

/// <summary><c>kerno run MODEL [--input name=file] [--output-dir DIR]</c>: one run, outputs summarized and optionally saved as .npy.</summary>
internal static class RunCommand
{
    internal static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A .onnx file, or a test folder (its first data set's inputs are used)" };
        var input = new Option<string[]>("--input") { Description = "name=file.pb|file.npy (repeatable); inputs not given are random (seeded)" };
        var outputDir = new Option<string?>("--output-dir") { Description = "Write each output as <name>.npy into this folder" };
        var backend = new Option<string>("--backend") { Description = "native or reference", DefaultValueFactory = _ => "native" };
        backend.CompletionSources.Add("native", "reference");
        var threads = new Option<int>("--threads") { Description = "Intra-op threads (0 = one per physical core)", DefaultValueFactory = _ => 0 };
        Option<string?> json = Cli.JsonOption();
        var command = new Command("run", "Run a model once on given or random inputs and print (or save) its outputs.")
        {
            model, input, outputDir, backend, threads, json,
        };
        command.SetAction(parse =>
        {
            var (jsonGiven, jsonFile) = Cli.JsonTarget(parse, json);
            return Run(parse.GetValue(model)!, parse.GetValue(input) ?? [], parse.GetValue(outputDir), parse.GetValue(backend)!, parse.GetValue(threads),
                jsonGiven, jsonFile);
        });
        return command.WithExamples(
            "kerno run model.onnx                          # random inputs (seeded)",
            "kerno run model.onnx --input data=image.npy --output-dir out/",
            "kerno run test_resnet50/                      # a test folder: its first data set's inputs",
            "kerno run model.onnx --json | jq '.outputs[0].shape'");
    }

    private static int Run(string path, string[] inputSpecs, string? outputDir, string backend, int threads, bool jsonGiven, string? jsonFile)
    {
        if (threads < 0)
            throw new CliUsageException($"--threads: expected 0 (one per physical core) or more, got {threads}");
        TextWriter log = jsonGiven && jsonFile is null ? TextWriter.Null : Console.Out;
        var (modelPath, dataSet) = ModelFiles.Resolve(path);
        var clock = Stopwatch.StartNew();
        using var session = new InferenceSession(modelPath, ModelFiles.Options(backend, threads));
        double createMs = clock.Elapsed.TotalMilliseconds;
        var inputs = ModelFiles.Inputs(session, dataSet, inputSpecs);
        foreach (var (name, t) in inputs)
            log.WriteLine($"input  {name}: {ModelFiles.Describe(t)}");
        clock.Restart();
        IReadOnlyList<NamedValue> outputs = session.Run(inputs);
        double runMs = clock.Elapsed.TotalMilliseconds;
        if (outputDir is not null)
            Directory.CreateDirectory(outputDir);
        foreach (NamedValue o in outputs)
        {
            if (o.Value is not Tensor t)
            {
                log.WriteLine($"output {o.Name}: {(o.Value is null ? "empty" : o.Value.GetType().Name)}");
                continue;
            }
            log.WriteLine($"output {o.Name}: {ModelFiles.Describe(t)} {Summary(t)}");
            if (outputDir is not null)
            {
                string file = Path.Combine(outputDir, SafeName(o.Name) + ".npy");
                ModelFiles.WriteNpy(file, t);
                log.WriteLine($"       written to {file}");
            }
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{session.Backend.ToString().ToLowerInvariant()} backend, {session.IntraOpThreads} thread(s): session {createMs:0.0} ms, first run {runMs:0.000} ms"));
        if (jsonGiven)
            Cli.WriteJson(new
            {
                model = modelPath,
                backend = session.Backend.ToString().ToLowerInvariant(),
                threads = session.IntraOpThreads,
                sessionMs = Math.Round(createMs, 3),
                runMs = Math.Round(runMs, 4),
                inputs = inputs.Select(kv => Json(kv.Key, kv.Value)),
                outputs = outputs.Select(o => o.Value is Tensor t ? Json(o.Name, t) : new { name = o.Name, dataType = o.Value?.GetType().Name ?? "empty", shape = (int[]?)null, min = (double?)null, max = (double?)null, mean = (double?)null }),
            }, jsonFile);
        return Cli.Ok;
    }

    private static object Json(string name, Tensor t)
    {
        bool numeric = t.Length > 0 && t.DataType != DataType.String;
        double[] v = numeric ? t.ToDoubleArray() : [];
        return new
        {
            name,
            dataType = t.DataType.ToString(),
            shape = (int[]?)t.Shape.ToArray(),
            min = numeric ? (double?)v.Min() : null,
            max = numeric ? (double?)v.Max() : null,
            mean = numeric ? (double?)v.Average() : null,
        };
    }

    private static string Summary(Tensor t)
    {
        if (t.Length == 0 || t.DataType == DataType.String)
            return t.ToString();
        double[] v = t.ToDoubleArray();
        string first = string.Join(", ", v.Take(6).Select(x => x.ToString("g5", CultureInfo.InvariantCulture)));
        return string.Create(CultureInfo.InvariantCulture, $"min {v.Min():g5} max {v.Max():g5} mean {v.Average():g5} [{first}{(v.Length > 6 ? ", ..." : "")}]");
    }

    private static string SafeName(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_'));
}
