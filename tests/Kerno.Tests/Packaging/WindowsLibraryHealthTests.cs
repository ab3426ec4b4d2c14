using System.Diagnostics;
using System.Text.RegularExpressions;
using Kerno.Tests.Interop;

namespace Kerno.Tests.Packaging;

/// <summary>
/// What a shipped libkerno.dll must be (the win-x64 cross build, build/win-x64/, and its stripped copy staged in
/// artifacts/native/win-x64/): a PE32+ x86-64 DLL exporting exactly the kerno.h API and importing only DLLs that
/// every Windows has (libgcc and winpthreads are linked in). Checked with mingw-w64's objdump where it is installed.
/// </summary>
public class WindowsLibraryHealthTests
{
    private const string ObjDump = "x86_64-w64-mingw32-objdump";

    public static IEnumerable<TestCaseData> Libraries()
    {
        foreach (string dir in new[] { "build", "artifacts/native" })
            yield return new TestCaseData(Path.Combine(RepoPaths.Root, dir, "win-x64", "libkerno.dll")).SetName($"{{m}}({dir}/win-x64)");
    }

    private static bool IsSystemDll(string name) =>
        name is "kernel32.dll" or "msvcrt.dll" or "ucrtbase.dll" || name.StartsWith("api-ms-win-", StringComparison.Ordinal);

    private static string Dump(string path, string option)
    {
        if (!File.Exists(path))
            Assert.Ignore($"{path} is not built here (NativeWin64 builds build/win-x64; Pack stages artifacts/native/win-x64)");
        var psi = new ProcessStartInfo(ObjDump) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(option);
        psi.ArgumentList.Add(path);
        Process? started = null;
        try
        {
            started = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Ignore($"{ObjDump} is not installed (gcc-mingw-w64-x86-64-win32 brings it)");
        }
        using Process p = started!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), $"{ObjDump} {option} {path} failed: {p.StandardError.ReadToEnd()}");
        return output;
    }

    [TestCaseSource(nameof(Libraries))]
    public void IsAnX64DllExportingExactlyTheHeaderApi(string path)
    {
        string dump = Dump(path, "-p");
        Assert.That(dump, Does.Contain("file format pei-x86-64"));
        // The export name table: "\t[   0] kerno_abi_version".
        var exported = Regex.Matches(dump, @"^\s*\[\s*\d+\]\s+(\w+)\s*$", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToHashSet();
        var api = HeaderBindingsSyncTests.ParseHeader(File.ReadAllText(RepoPaths.Header)).Select(p => p.Name).ToHashSet();
        Assert.That(exported.Except(api), Is.Empty, "exported but not in kerno.h");
        Assert.That(api.Except(exported), Is.Empty, "in kerno.h but not exported");
    }

    [TestCaseSource(nameof(Libraries))]
    public void ImportsOnlyWindowsDlls(string path)
    {
        var imports = Regex.Matches(Dump(path, "-p"), @"DLL Name:\s*(\S+)")
            .Select(m => m.Groups[1].Value.ToLowerInvariant()).ToList();
        Assert.That(imports, Does.Contain("kernel32.dll"));
        Assert.That(imports.Where(d => !IsSystemDll(d)), Is.Empty);
    }

    [Test]
    public void StagedDllCarriesNoDebugInfo()
    {
        string path = Path.Combine(RepoPaths.Root, "artifacts/native/win-x64/libkerno.dll");
        Assert.That(Dump(path, "-h"), Does.Not.Contain(".debug_info"));
    }
}
