using System.Diagnostics;
using System.Text.Json;

namespace Kerno.Tests.Packaging;

/// <summary>
/// A machine without AVX-512 (or without AVX2) gets the next kernel set down. Such a CPU is simulated the way a
/// user would force it: a fresh process with <c>KERNO_ISA</c> set before libkerno loads (the dispatch reads it
/// once, at load), which then reports that kernel set and passes the native conformance tests of the layers
/// CNNs spend their time in.
/// </summary>
[Category("Packaging")]
public class ForcedKernelSetTests
{
    private const string Layers = "^test_(conv|maxpool|averagepool|globalaveragepool|gemm|matmul|relu|leakyrelu|softmax|batchnorm|add|mul)";

    private static (int Code, string Out, string Err) Kerno(string isa, params string[] args)
    {
        string cli = typeof(global::Kerno.Cli.Program).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(cli);
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["KERNO_ISA"] = isa;
        using var p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"kerno {string.Join(" ", args)} with KERNO_ISA={isa} did not finish in 5 minutes");
        }
        return (p.ExitCode, output, err.Result);
    }

    [TestCase("avx2", CpuFeatures.Avx2 | CpuFeatures.Fma)]
    [TestCase("generic", CpuFeatures.None)]
    public void TheForcedKernelSetRunsAndPassesTheNativeLayerTests(string isa, CpuFeatures needs)
    {
        if (!OperatingSystem.IsLinux() || !KernoRuntimeInfo.CpuFeatures.HasFlag(needs))
            Assert.Ignore($"this CPU cannot run the {isa} kernel set");
        string? data = RepoPaths.DebianOnnxData;
        if (data is null)
        {
            Assert.Ignore("Debian's ONNX test data is not installed (apt-get install libonnx-testdata)");
            return;
        }

        var (code, output, err) = Kerno(isa, "info", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(JsonDocument.Parse(output).RootElement.GetProperty("kernelSet").GetString(), Is.EqualTo(isa));

        (code, output, err) = Kerno(isa, "test-onnx", Path.Combine(data, "node"), Path.Combine(data, "pytorch-converted"),
            "--filter", Layers, "--backend", "native");
        string summary = output.TrimEnd().Split('\n')[^1];
        Assert.That(code, Is.EqualTo(0), $"{summary}\n{err}");
        Assert.That(summary, Does.Match(@"^[1-9]\d* passed, 0 failed, 0 skipped$"), output);
    }
}
