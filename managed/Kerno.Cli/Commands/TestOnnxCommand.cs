using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kerno.Testing;

namespace Kerno.Cli.Commands;

/// <summary><c>kerno test-onnx DIR...</c>: runs ONNX backend test folders and reports PASS/FAIL/SKIP per test.</summary>
internal static class TestOnnxCommand
{
    internal static Command Create()
    {
        var dirs = new Argument<string[]>("DIR") { Description = "A folder of test folders (test_*/model.onnx) or one test folder", Arity = ArgumentArity.OneOrMore };
        var filter = new Option<string?>("--filter") { Description = "Only tests whose folder name matches this regular expression" };
        var backend = new Option<string>("--backend") { Description = "reference or native", DefaultValueFactory = _ => "reference" };
        var rtol = new Option<double>("--rtol") { Description = "Relative tolerance for float outputs", DefaultValueFactory = _ => 1e-3 };
        var atol = new Option<double>("--atol") { Description = "Absolute tolerance for float outputs", DefaultValueFactory = _ => 1e-5 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds one test may take", DefaultValueFactory = _ => 60 };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file" };
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
            parse.GetValue(atol), parse.GetValue(timeout), parse.GetValue(json), parse.GetValue(quiet), parse.GetValue(optimize)));
        return command;
    }

    private static int Run(string[] dirs, string? filter, string backend, double rtol, double atol, double timeout, string? json, bool quiet,
        Optimizer.OptimizationLevel optimize)
    {
        ExecutionBackend be;
        switch (backend.ToLowerInvariant())
        {
            case "reference": be = ExecutionBackend.Reference; break;
            case "native": be = ExecutionBackend.Native; break;
            default:
                Console.Error.WriteLine($"unknown backend '{backend}' (use reference or native)");
                return 2;
        }
        var runner = new ConformanceRunner(new ConformanceOptions
        {
            Rtol = rtol,
            Atol = atol,
            Backend = be,
            Filter = filter is null ? null : new Regex(filter, RegexOptions.CultureInvariant),
            Timeout = TimeSpan.FromSeconds(timeout),
            OptimizationLevel = optimize,
        });
        var results = new List<ConformanceResult>();
        try
        {
            foreach (ConformanceResult r in runner.RunAll(dirs))
            {
                results.Add(r);
                if (!quiet || r.Status == ConformanceStatus.Fail)
                    Console.WriteLine(Line(r));
            }
        }
        catch (DirectoryNotFoundException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        int passed = results.Count(r => r.Status == ConformanceStatus.Pass);
        int failed = results.Count(r => r.Status == ConformanceStatus.Fail);
        int skipped = results.Count(r => r.Status == ConformanceStatus.Skip);
        if (json is not null)
            File.WriteAllText(json, JsonSerializer.Serialize(new
            {
                passed,
                failed,
                skipped,
                rtol,
                atol,
                backend = be.ToString().ToLowerInvariant(),
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
            }, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        return failed > 0 ? 1 : 0;
    }

    // JSON has no NaN.
    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    private static string Line(ConformanceResult r) => r.Status switch
    {
        ConformanceStatus.Pass => $"PASS {r.Name}  max abs {E(r.MaxAbsError)}, max rel {E(r.MaxRelError)}",
        ConformanceStatus.Fail => $"FAIL {r.Name}  max abs {E(r.MaxAbsError)}, max rel {E(r.MaxRelError)}: {r.Message}",
        _ => $"SKIP {r.Name}  {r.Message}",
    };

    private static string E(double v) => v.ToString("0.##e+0", CultureInfo.InvariantCulture);
}
