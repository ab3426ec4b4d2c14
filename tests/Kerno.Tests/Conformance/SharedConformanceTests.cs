using Kerno.Testing;

namespace Kerno.Tests.Conformance;

/// <summary>
/// The ONNX 1.23 backend tests in the shared data (KERNO_TEST_DATA/onnx-tests) held to the "shared:" floors in
/// floors.json, with no failure outside expected_failures.txt (keys "shared:folder/test"). Ignored where absent.
/// </summary>
[Category("Conformance")]
public class SharedConformanceTests
{
    public static IEnumerable<string> Folders =>
        ConformanceBaseline.Floors.Keys.Where(k => k.StartsWith("shared:", StringComparison.Ordinal)).Select(k => k["shared:".Length..]);

    [TestCaseSource(nameof(Folders))]
    public void FolderMeetsFloorWithoutUnexpectedFailures(string folder)
    {
        string? shared = RepoPaths.SharedData;
        string? path = shared is null ? null : Path.Combine(shared, "onnx-tests", folder);
        if (path is null || !Directory.Exists(path))
            Assert.Ignore("shared ONNX 1.23 test data not found: set KERNO_TEST_DATA (default ../shared)");

        var runner = new ConformanceRunner(new ConformanceOptions { Timeout = TimeSpan.FromSeconds(30) });
        List<ConformanceResult> results = runner.RunAll([path]).ToList();
        int passed = results.Count(r => r.Status == ConformanceStatus.Pass);
        TestContext.Out.WriteLine($"{folder}: {passed} passed, {results.Count(r => r.Status == ConformanceStatus.Fail)} failed, " +
                                  $"{results.Count(r => r.Status == ConformanceStatus.Skip)} skipped");
        var unexpected = results
            .Where(r => r.Status == ConformanceStatus.Fail && !ConformanceBaseline.ExpectedFailures.ContainsKey($"shared:{folder}/{r.Name}"))
            .Select(r => $"{r.Name}: {r.Message}")
            .ToList();
        List<string> tier1 = Tier1.Violations(results, name => ConformanceBaseline.ExpectedFailures.ContainsKey($"shared:{folder}/{name}"));
        Assert.Multiple(() =>
        {
            Assert.That(unexpected, Is.Empty, $"{folder}: failures not in expected_failures.txt");
            Assert.That(tier1, Is.Empty, $"{folder}: Tier 1 tests must pass or be listed; other skips must name an unsupported op");
            Assert.That(passed, Is.GreaterThanOrEqualTo(ConformanceBaseline.Floors[$"shared:{folder}"]), $"{folder}: passes fell below the floor");
        });
    }
}
