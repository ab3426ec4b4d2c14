using System.Text.Json;
using Kerno.Cli;

namespace Kerno.Tests.Cli;

/// <summary>The kerno command's contract: exit codes 0/1/2, one-line errors, --json, examples in --help.</summary>
[NonParallelizable]
public class CliTests
{
    private static (int Code, string Out, string Err) Kerno(params string[] args) => KernoCommand.Run(args);

    [Test]
    public void UnknownOptionIsAUsageErrorWithAHint()
    {
        var (code, _, err) = Kerno("info", "--bogus");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--bogus").And.Contain("kerno info --help"));
    }

    [Test]
    public void MissingTestFolderSaysWhatWasExpected()
    {
        var (code, _, err) = Kerno("test-onnx", "/no/such/folder");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim(), Is.EqualTo("error: expected a folder of ONNX backend tests (test_*/model.onnx) or one test folder, got '/no/such/folder' (not found)"));
    }

    [Test]
    public void BadRegexAndBackendAreUsageErrorsWithoutStackTraces()
    {
        string dir = Path.GetTempPath();
        var (code, _, err) = Kerno("test-onnx", dir, "--filter", "(");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.StartWith("error: --filter: expected a regular expression, got '('").And.Not.Contain("   at "));
        (code, _, err) = Kerno("test-onnx", dir, "--backend", "gpu");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim(), Is.EqualTo("error: --backend: expected reference or native, got 'gpu'"));
    }

    [TestCase("--clock", "cpu", "--threads", "2")]
    [TestCase("--clock", "sundial")]
    public void BenchClockMustBeWallOrCpuOnOneThread(params string[] options)
    {
        var (code, _, err) = Kerno(["bench", Path.GetTempPath(), .. options]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.StartWith("error: --clock: expected wall, or cpu with --threads 1").And.Not.Contain("   at "));
    }

    [Test]
    public void VerboseAddsTheStackTrace()
    {
        var (code, _, err) = Kerno("test-onnx", "/no/such/folder", "--verbose");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("   at "));
    }

    [Test]
    public void InfoJsonIsJson()
    {
        var (code, stdout, _) = Kerno("info", "--json");
        Assert.That(code, Is.EqualTo(0));
        using var doc = JsonDocument.Parse(stdout);
        Assert.That(doc.RootElement.GetProperty("version").GetString(), Is.Not.Empty);
    }

    [Test]
    public void TestOnnxJsonOnStdoutAndFailuresExitWithOne()
    {
        string? data = RepoPaths.DebianOnnxData;
        if (data is null)
            Assert.Ignore("Debian's ONNX test data is not installed (apt-get install libonnx-testdata)");
        var (code, stdout, _) = Kerno("test-onnx", Path.Combine(data!, "node"), "--filter", "^test_relu$", "--json");
        Assert.That(code, Is.EqualTo(0));
        using (var doc = JsonDocument.Parse(stdout))
            Assert.That(doc.RootElement.GetProperty("passed").GetInt32(), Is.EqualTo(1));
        // A tolerance no result meets (negative) fails the check: exit code 1.
        (code, _, _) = Kerno("test-onnx", Path.Combine(data!, "node"), "--filter", "^test_relu$", "--atol", "-1", "--rtol", "-1", "--quiet");
        Assert.That(code, Is.EqualTo(1));
    }

    [Test]
    public void HelpShowsExamplesAndExitCodes()
    {
        var (code, stdout, _) = Kerno("demo", "ocr", "--help");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("Examples:").And.Contain("kerno demo ocr receipt.jpg").And.Contain("Exit codes: 0 ok, 1 a check failed, 2 usage"));
    }

    [Test]
    public void DemoOcrMissingImageIsAUsageError()
    {
        var (code, _, err) = Kerno("demo", "ocr", "/no/such/image.png");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim(), Is.EqualTo("error: image not found: /no/such/image.png (expected a PNG or JPEG file)"));
    }

    [Test]
    public void DemoOcrCompareIsOnlyInTheSample()
    {
        var (code, _, err) = Kerno("demo", "ocr", "--compare", "onnxruntime");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("samples/Kerno.Samples.Ocr"));
    }

    [Test]
    public void EveryCommandHasExamplesInItsHelp()
    {
        foreach (string[] command in new[] { new[] { "info" }, ["test-onnx"], ["bench"], ["profile"], ["run"], ["inspect"], ["demo"], ["demo", "ocr"], ["completion"] })
        {
            var (code, stdout, _) = Kerno([.. command, "--help"]);
            Assert.That(code, Is.EqualTo(0), string.Join(' ', command));
            Assert.That(stdout, Does.Contain("Examples:").And.Contain("Exit codes:"), string.Join(' ', command));
        }
    }

    [Test]
    public void CompletionPrintsAScriptThatAsksKernoForSuggestions()
    {
        var (code, stdout, _) = Kerno("completion", "bash");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("complete -o default -F _kerno_complete kerno").And.Contain("kerno \"[suggest:${#line}]\" \"$line\""));
        Assert.That(Kerno("completion", "zsh").Out, Does.Contain("compdef _kerno_complete kerno"));
        Assert.That(Kerno("completion", "pwsh").Out, Does.Contain("Register-ArgumentCompleter -Native -CommandName kerno"));
        // What the scripts call: System.CommandLine's suggest directive, answering with the matching commands and options.
        (code, stdout, _) = Kerno("[suggest:12]", "kerno profil");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout.Split('\n', StringSplitOptions.TrimEntries), Does.Contain("profile"));
        (code, stdout, _) = Kerno("[suggest:29]", "kerno bench m.onnx --backend ");
        Assert.That(stdout.Split('\n', StringSplitOptions.TrimEntries), Does.Contain("native").And.Contain("reference"));
    }

    [Test]
    public void UnknownShellIsAOneLineUsageError()
    {
        var (code, _, err) = Kerno("completion", "fish");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0], Is.EqualTo("error: Argument 'fish' not recognized. Must be one of: 'bash' 'zsh' 'pwsh'"));
    }

    [Test]
    public void MissingModelAndInputFileSayWhatWasExpected()
    {
        var (code, _, err) = Kerno("bench", "/no/such/model.onnx");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.Trim(), Is.EqualTo("error: expected a .onnx file or a test folder with model.onnx, got '/no/such/model.onnx' (not found)"));
        string model = Path.Combine(Path.GetTempPath(), $"kerno-cli-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(model, Google.Protobuf.MessageExtensions.ToByteArray(Reliability.SmallModels.Mlp()));
        try
        {
            (code, _, err) = Kerno("run", model, "--input", "X=/no/such/x.npy");
            Assert.That(code, Is.EqualTo(2));
            Assert.That(err.Trim(), Is.EqualTo("error: --input X: expected a .pb or .npy tensor file, got '/no/such/x.npy' (not found)"));
            (code, var stdout, _) = Kerno("run", model, "--json");
            Assert.That(code, Is.EqualTo(0));
            using var doc = JsonDocument.Parse(stdout);
            Assert.That(doc.RootElement.GetProperty("outputs")[0].GetProperty("shape")[1].GetInt32(), Is.EqualTo(4));
        }
        finally
        {
            File.Delete(model);
        }
    }

    [Test]
    public void ExceptionsMapToActionableMessages()
    {
        Assert.Multiple(() =>
        {
            Assert.That(global::Kerno.Cli.Cli.Describe(new KernoModelException("x") { UnsupportedOperators = ["ai.onnx.Foo (opset 21)"] }),
                Is.EqualTo(("the model uses operators Kerno does not support yet: ai.onnx.Foo (opset 21)", 2)));
            Assert.That(global::Kerno.Cli.Cli.Describe(new FileNotFoundException("gone", "model.onnx")), Is.EqualTo(("file not found: model.onnx", 2)));
            Assert.That(global::Kerno.Cli.Cli.Describe(new ArgumentException("input 'X': expected shape [2], given [3]")).Code, Is.EqualTo(2));
            Assert.That(global::Kerno.Cli.Cli.Describe(new InvalidOperationException("bug")).Code, Is.EqualTo(1));
        });
    }
}
