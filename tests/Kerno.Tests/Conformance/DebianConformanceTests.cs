using Kerno.Testing;

namespace Kerno.Tests.Conformance;

/// <summary>
/// Runs Debian's ONNX backend test data with the same <see cref="ConformanceRunner"/> as <c>kerno test-onnx</c>
/// and holds the results to floors.json (minimum passes) and expected_failures.txt (no other failures).
/// </summary>
[Category("Conformance")]
public class DebianConformanceTests
{
    public static IEnumerable<string> Folders => ConformanceBaseline.Floors.Keys.Where(k => !k.StartsWith("shared:", StringComparison.Ordinal));

    [TestCaseSource(nameof(Folders))]
    public void FolderMeetsFloorWithoutUnexpectedFailures(string folder)
    {
        string? data = RepoPaths.DebianOnnxData;
        if (data is null)
            Assert.Ignore("Debian's ONNX test data is not installed (apt-get install libonnx-testdata)");
        string path = Path.Combine(data, folder);
        if (!Directory.Exists(path))
            Assert.Ignore($"{path} is missing");

        // A short time-out keeps a pathological test from eating the CI budget; slow kernels show up as failures.
        var runner = new ConformanceRunner(new ConformanceOptions { Timeout = TimeSpan.FromSeconds(20) });
        List<ConformanceResult> results = runner.RunAll([path]).ToList();
        int passed = results.Count(r => r.Status == ConformanceStatus.Pass);
        int failed = results.Count(r => r.Status == ConformanceStatus.Fail);
        int skipped = results.Count(r => r.Status == ConformanceStatus.Skip);
        TestContext.Out.WriteLine($"{folder}: {passed} passed, {failed} failed, {skipped} skipped in {results.Sum(r => r.Elapsed.TotalSeconds):0.0} s");

        var unexpected = results
            .Where(r => r.Status == ConformanceStatus.Fail && !ConformanceBaseline.ExpectedFailures.ContainsKey($"{folder}/{r.Name}"))
            .Select(r => $"{r.Name}: {r.Message}")
            .ToList();
        var nowPassing = results
            .Where(r => r.Status == ConformanceStatus.Pass && ConformanceBaseline.ExpectedFailures.ContainsKey($"{folder}/{r.Name}"))
            .Select(r => r.Name)
            .ToList();
        if (nowPassing.Count > 0)
            TestContext.Out.WriteLine($"listed as expected failures but passing now (remove from expected_failures.txt): {string.Join(", ", nowPassing)}");
        int floor = ConformanceBaseline.Floors[folder];
        if (passed > floor)
            TestContext.Out.WriteLine($"{passed} passes is above the floor of {floor}: raise it in floors.json");

        List<string> tier1 = Tier1.Violations(results, name => ConformanceBaseline.ExpectedFailures.ContainsKey($"{folder}/{name}"));
        Assert.Multiple(() =>
        {
            Assert.That(unexpected, Is.Empty, $"{folder}: failures not in expected_failures.txt");
            Assert.That(tier1, Is.Empty, $"{folder}: Tier 1 tests must pass or be listed; other skips must name an unsupported op");
            Assert.That(passed, Is.GreaterThanOrEqualTo(floor), $"{folder}: passes fell below the floor in floors.json");
        });
    }
}
