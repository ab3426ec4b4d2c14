using System.Diagnostics;
using System.Text.RegularExpressions;
using Kerno.Tests.Interop;

namespace Kerno.Tests.Packaging;

/// <summary>
/// What a shipped libkerno must be: exports exactly the kerno.h API, depends on nothing beyond the C runtime,
/// and is built for the architecture its folder says. Checked with binutils on every build present
/// (build/&lt;rid&gt;/ and, after a Pack, the stripped copies in artifacts/native/&lt;rid&gt;/).
/// </summary>
public class NativeLibraryHealthTests
{
    private static readonly string[] AllowedDependencies =
        ["libc.so.6", "libm.so.6", "libpthread.so.0", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libdl.so.2"];

    public static IEnumerable<TestCaseData> Libraries()
    {
        foreach (string rid in new[] { "linux-x64", "linux-arm64" })
        {
            foreach (string dir in new[] { "build", "artifacts/native" })
            {
                string path = Path.Combine(RepoPaths.Root, dir, rid, "libkerno.so");
                yield return new TestCaseData(rid, path).SetName($"{{m}}({dir}/{rid})");
            }
        }
    }

    private static string Tool(string name, params string[] args)
    {
        var psi = new ProcessStartInfo(name) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), $"{name} {string.Join(" ", args)} failed: {p.StandardError.ReadToEnd()}");
        return output;
    }

    private static void RequireBuilt(string path)
    {
        if (!File.Exists(path))
            Assert.Ignore($"{path} is not built here (the Test target builds build/*; the Pack target stages artifacts/native/*)");
    }

    [TestCaseSource(nameof(Libraries))]
    public void ExportsExactlyTheHeaderApi(string rid, string path)
    {
        RequireBuilt(path);
        var exported = Tool("nm", "-D", "--defined-only", path)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 3 && f[1] is "T" or "D" or "B" or "R" or "W" or "V")
            .Select(f => f[2])
            .ToHashSet();
        var api = HeaderBindingsSyncTests.ParseHeader(File.ReadAllText(RepoPaths.Header)).Select(p => p.Name).ToHashSet();
        Assert.That(exported.Except(api), Is.Empty, "exported but not in kerno.h");
        Assert.That(api.Except(exported), Is.Empty, "in kerno.h but not exported");
    }

    [TestCaseSource(nameof(Libraries))]
    public void DependsOnlyOnTheCRuntime(string rid, string path)
    {
        RequireBuilt(path);
        var needed = Regex.Matches(Tool("readelf", "-d", path), @"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")
            .Select(m => m.Groups[1].Value).ToList();
        Assert.That(needed, Is.Not.Empty);
        Assert.That(needed.Except(AllowedDependencies), Is.Empty);
    }

    [TestCaseSource(nameof(Libraries))]
    public void IsBuiltForItsArchitecture(string rid, string path)
    {
        RequireBuilt(path);
        string header = Tool("readelf", "-h", path);
        Assert.That(header, Does.Contain(rid.EndsWith("arm64", StringComparison.Ordinal) ? "AArch64" : "X86-64"));
        Assert.That(header, Does.Contain("DYN"));
    }

    [Test]
    public void StagedLibrariesCarryNoDebugInfo()
    {
        var staged = Directory.Exists(Path.Combine(RepoPaths.Root, "artifacts/native"))
            ? Directory.GetFiles(Path.Combine(RepoPaths.Root, "artifacts/native"), "libkerno.so", SearchOption.AllDirectories)
            : [];
        if (staged.Length == 0)
            Assert.Ignore("nothing staged: run ./build.sh --target=Pack");
        foreach (string lib in staged)
            Assert.That(Tool("readelf", "-S", "-W", lib), Does.Not.Contain(".debug_info"), lib);
    }
}
