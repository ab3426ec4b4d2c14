using System.Text.Json;
using Kerno.Cli;

namespace Kerno.Tests.Cli;

/// <summary>The kerno command's contract: exit codes 0/1/2, one-line errors, --json, examples in --help.</summary>
[NonParallelizable]
public class CliTests
{
    private static (int Code, string Out, string Err) Kerno(params string[] args)
    {
        TextWriter oldOut = Console.Out, oldErr = Console.Error;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            int code = Program.Main(args);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

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
