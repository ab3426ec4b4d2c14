using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Kerno.Cli.Commands;

/// <summary><c>kerno info</c>: versions, the native library in use, CPU features and the kernel set.</summary>
internal static class InfoCommand
{
    internal static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var command = new Command("info", "Show Kerno's version, the native library, detected CPU features and the kernel set in use.")
        {
            json,
        };
        command.SetAction(parse => Run(parse.GetValue(json)));
        return command.WithExamples("kerno info", "kerno info --json", "KERNO_ISA=avx2 kerno info   # force a kernel set");
    }

    private static int Run(bool json)
    {
        var features = Enum.GetValues<CpuFeatures>()
            .Where(f => f != CpuFeatures.None && KernoRuntimeInfo.CpuFeatures.HasFlag(f))
            .Select(FeatureName)
            .ToArray();
        var report = new
        {
            version = KernoRuntimeInfo.ManagedVersion,
            nativeVersion = KernoRuntimeInfo.NativeVersion,
            abiVersion = KernoRuntimeInfo.AbiVersion,
            nativeLibrary = KernoRuntimeInfo.NativeLibraryPath,
            runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            architecture = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString(),
            processors = Environment.ProcessorCount,
            cpuFeatures = features,
            kernelSet = KernoRuntimeInfo.ActiveIsa.ToString().ToLowerInvariant(),
        };
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
        table.AddRow("Kerno", Markup.Escape(report.version));
        table.AddRow("libkerno", Markup.Escape($"{report.nativeVersion} (ABI {report.abiVersion})"));
        table.AddRow("loaded from", Markup.Escape(report.nativeLibrary ?? "?"));
        table.AddRow(".NET", Markup.Escape(report.runtime));
        table.AddRow("OS / arch", Markup.Escape($"{report.os} / {report.architecture}, {report.processors} logical processors"));
        table.AddRow("CPU features", Markup.Escape(features.Length == 0 ? "(none used by Kerno)" : string.Join(" ", features)));
        table.AddRow("kernel set", $"[bold]{report.kernelSet}[/]");
        AnsiConsole.Write(table);
        return 0;
    }

    internal static string FeatureName(CpuFeatures f) => f switch
    {
        CpuFeatures.Avx512F => "AVX-512F",
        CpuFeatures.Avx512DQ => "AVX-512DQ",
        CpuFeatures.Avx512BW => "AVX-512BW",
        CpuFeatures.Avx512VL => "AVX-512VL",
        CpuFeatures.Avx512Vnni => "AVX-512VNNI",
        CpuFeatures.Avx512Bf16 => "AVX-512BF16",
        CpuFeatures.AvxVnni => "AVX-VNNI",
        CpuFeatures.NeonFp16 => "NEON-FP16",
        CpuFeatures.NeonDotProd => "NEON-DotProd",
        CpuFeatures.NeonI8mm => "NEON-I8MM",
        CpuFeatures.NeonBf16 => "NEON-BF16",
        _ => f.ToString().ToUpperInvariant(),
    };
}
