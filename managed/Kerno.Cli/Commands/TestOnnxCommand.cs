using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kerno.Testing;
using Spectre.Console;

namespace Kerno.Cli.Commands;

/// <summary><c>kerno test-onnx DIR...</c>: runs ONNX backend test folders and reports PASS/FAIL/SKIP per test.</summary>
internal static class TestOnnxCommand
{
    internal static Command Create()
    {
        var dirs = new Argument<string[]>("DIR") { Description = "A folder of test folders (test_*/model.onnx) or one test folder", Arity = ArgumentArity.OneOrMore };
        var filter = new Option<string?>("--filter") { Description = "Only tests whose folder name matches this regular expression" };
        var backend = new Option<string>("--backend") { Description = "reference or native", DefaultValueFactory = _ => "reference" };
        backend.CompletionSources.Add("native", "reference");
        var rtol = new Option<double>("--rtol") { Description = "Relative tolerance for float outputs", DefaultValueFactory = _ => 1e-3 };
        var atol = new Option<double>("--atol") { Description = "Absolute tolerance for float outputs", DefaultValueFactory = _ => 1e-5 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds one test may take", DefaultValueFactory = _ => 60 };
        var json = new Option<string?>("--json")
        {
            Description = "Print the results as JSON instead of text; with FILE, write them there and print text as usual",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "FILE",
        };
        var quiet = new Option<bool>("--quiet") { Description = "Print only failures and the summary" };
        var optimize = new Option<Optimizer.OptimizationLevel>("--optimize")
        {
            Description = "Graph optimization level: None, Basic, Extended or All",
            DefaultValueFactory = _ => Optimizer.OptimizationLevel.All,
        };
        var command = new Command("test-onnx", "Run ONNX backend conformance tests (model.onnx + test_data_set_*) and compare outputs.")
        {
            dirs, filter, backend, rtol, atol, timeout, json, quiet, optimize,
        };
        command.SetAction(parse => Run(parse.GetValue(dirs)!, parse.GetValue(filter), parse.GetValue(backend)!, parse.GetValue(rtol),
            parse.GetValue(atol), parse.GetValue(timeout), parse.GetResult(json) is not null, parse.GetValue(json), parse.GetValue(quiet),
            parse.GetValue(optimize)));
        return command.WithExamples(
            "kerno test-onnx /usr/share/libonnx-testdata/data/node",
            "kerno test-onnx /usr/share/libonnx-testdata/data/node --filter '^test_conv' --quiet",
            "kerno test-onnx DIR --json results.json   # text here, JSON in the file",
            "kerno test-onnx DIR --json | jq .failed     # JSON on stdout");
    }

    private static int Run(string[] dirs, string? filter, string backend, double rtol, double atol, double timeout, bool jsonGiven, string? jsonFile,
        bool quiet, Optimizer.OptimizationLevel optimize)
    {
        ExecutionBackend be = backend.ToLowerInvariant() switch
        {
            "reference" => ExecutionBackend.Reference,
            "native" => ExecutionBackend.Native,
            _ => throw new CliUsageException($"--backend: expected reference or native, got '{backend}'"),
        };
        Regex? pattern;
        try
        {
            pattern = filter is null ? null : new Regex(filter, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"--filter: expected a regular expression, got '{filter}' ({e.Message})");
        }
        if (timeout <= 0)
            throw new CliUsageException($"--timeout: expected a positive number of seconds, got {timeout}");
        var runner = new ConformanceRunner(new ConformanceOptions
        {
            Rtol = rtol,
            Atol = atol,
            Backend = be,
            Filter = pattern,
            Timeout = TimeSpan.FromSeconds(timeout),
            OptimizationLevel = optimize,
        });
        // Find every test first (a missing folder is a usage error before anything runs) so progress has a total.
        var tests = new List<string>();
        foreach (string dir in dirs)
        {
            if (!Directory.Exists(dir))
                throw new CliUsageException($"expected a folder of ONNX backend tests (test_*/model.onnx) or one test folder, got '{dir}' (not found)");
            tests.AddRange(runner.FindTests(dir));
        }
        bool jsonToStdout = jsonGiven && jsonFile is null;
        var results = new List<ConformanceResult>();
        if (!jsonToStdout && AnsiConsole.Profile.Capabilities.Interactive && tests.Count > 1)
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask task = ctx.AddTask("test-onnx", maxValue: tests.Count);
                    foreach (string test in tests)
                    {
                        task.Description = Markup.Escape(Path.GetFileName(test));
                        ConformanceResult r = runner.Run(test);
                        results.Add(r);
                        if (!quiet || r.Status == ConformanceStatus.Fail)
                            AnsiConsole.MarkupLine(Colored(r));
                        task.Increment(1);
                    }
                    task.Description = "test-onnx";
                });
        }
        else
        {
            foreach (string test in tests)
            {
                ConformanceResult r = runner.Run(test);
                results.Add(r);
                if (!jsonToStdout && (!quiet || r.Status == ConformanceStatus.Fail))
                    Console.WriteLine(Line(r));
            }
        }
        int passed = results.Count(r => r.Status == ConformanceStatus.Pass);
        int failed = results.Count(r => r.Status == ConformanceStatus.Fail);
        int skipped = results.Count(r => r.Status == ConformanceStatus.Skip);
        if (jsonGiven)
        {
            string text = JsonSerializer.Serialize(new
            {
                passed,
                failed,
                skipped,
                rtol,
                atol,
                backend = be.ToString().ToLowerInvariant(),
                seconds = Math.Round(results.Sum(r => r.Elapsed.TotalSeconds), 3),
                unsupportedOperators = UnsupportedCounts(results),
                tests = results.Select(r => new
                {
                    name = r.Name,
                    path = r.Path,
                    status = r.Status.ToString().ToUpperInvariant(),
                    message = r.Message,
                    maxAbsError = Finite(r.MaxAbsError),
                    maxRelError = Finite(r.MaxRelError),
                    seconds = Math.Round(r.Elapsed.TotalSeconds, 4),
                    unsupportedOperators = r.UnsupportedOperators,
                }),
            }, new JsonSerializerOptions { WriteIndented = true });
            if (jsonFile is null)
            {
                Console.WriteLine(text);
                return failed > 0 ? Cli.CheckFailed : Cli.Ok;
            }
            File.WriteAllText(jsonFile, text);
        }
        if (AnsiConsole.Profile.Capabilities.Interactive && results.Count > 0)
            AnsiConsole.Write(Summary(results));
        Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        return failed > 0 ? Cli.CheckFailed : Cli.Ok;
    }

    /// <summary>How many tests each unsupported operator kept from running, most first.</summary>
    private static Dictionary<string, int> UnsupportedCounts(List<ConformanceResult> results) => results
        .SelectMany(r => r.UnsupportedOperators).GroupBy(o => o).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Count());

    private static Table Summary(List<ConformanceResult> results)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("status").AddColumn(new TableColumn("tests").RightAligned())
            .AddColumn(new TableColumn("seconds").RightAligned()).AddColumn("notes");
        foreach (ConformanceStatus status in new[] { ConformanceStatus.Pass, ConformanceStatus.Fail, ConformanceStatus.Skip })
        {
            var group = results.Where(r => r.Status == status).ToList();
            string notes = status switch
            {
                ConformanceStatus.Fail => string.Join(", ", group.Take(5).Select(r => r.Name)) + (group.Count > 5 ? ", ..." : ""),
                ConformanceStatus.Skip => string.Join(", ", UnsupportedCounts(group).Take(5).Select(kv => $"{kv.Key} x{kv.Value}")),
                _ => "",
            };
            string color = status switch { ConformanceStatus.Pass => "green", ConformanceStatus.Fail => "red", _ => "yellow" };
            table.AddRow($"[{color}]{status.ToString().ToUpperInvariant()}[/]", group.Count.ToString(CultureInfo.InvariantCulture),
                group.Sum(r => r.Elapsed.TotalSeconds).ToString("0.00", CultureInfo.InvariantCulture), Markup.Escape(notes));
        }
        return table;
    }

    // JSON has no NaN.
    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    private static string Colored(ConformanceResult r)
    {
        string color = r.Status switch { ConformanceStatus.Pass => "green", ConformanceStatus.Fail => "red", _ => "yellow" };
        string line = Line(r);
        int space = line.IndexOf(' ');
        return $"[{color}]{line[..space]}[/]{Markup.Escape(line[space..])}";
    }

    private static string Line(ConformanceResult r) => r.Status switch
    {
        ConformanceStatus.Pass => $"PASS {r.Name}  max abs {E(r.MaxAbsError)}, max rel {E(r.MaxRelError)}",
        ConformanceStatus.Fail => $"FAIL {r.Name}  max abs {E(r.MaxAbsError)}, max rel {E(r.MaxRelError)}: {r.Message}",
        _ => $"SKIP {r.Name}  {r.Message}",
    };

    private static string E(double v) => v.ToString("0.##e+0", CultureInfo.InvariantCulture);
}
