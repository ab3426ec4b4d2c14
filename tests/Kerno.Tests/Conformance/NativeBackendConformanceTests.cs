using Kerno.Testing;

namespace Kerno.Tests.Conformance;

/// <summary>
/// The native backend on Debian's ONNX backend test data and on the shared ONNX 1.23 data must pass every test the reference backend passes
/// (same runner, same tolerances), and on the shared real models must match the expected outputs within
/// rtol 1e-3 / atol 1e-4. Ignored where the data is absent.
/// </summary>
[Category("Conformance")]
public class NativeBackendConformanceTests
{
    /// <summary>Debian's folders, and the shared ONNX 1.23 folders as "shared:folder".</summary>
    public static IEnumerable<string> Folders => ConformanceBaseline.Floors.Keys;

    [TestCaseSource(nameof(Folders))]
    public void NativePassesEverythingReferencePasses(string folder)
    {
        string? path;
        if (folder.StartsWith("shared:", StringComparison.Ordinal))
        {
            string? shared = RepoPaths.SharedData;
            path = shared is null ? null : Path.Combine(shared, "onnx-tests", folder["shared:".Length..]);
            if (path is null || !Directory.Exists(path))
                Assert.Ignore("shared ONNX 1.23 test data not found: set KERNO_TEST_DATA (default ../shared)");
        }
        else
        {
            string? data = RepoPaths.DebianOnnxData;
            if (data is null)
                Assert.Ignore("Debian's ONNX test data is not installed (apt-get install libonnx-testdata)");
            path = Path.Combine(data, folder);
            if (!Directory.Exists(path))
                Assert.Ignore($"{path} is missing");
        }

        var timeout = TimeSpan.FromSeconds(20);
        var reference = new ConformanceRunner(new ConformanceOptions { Timeout = timeout }).RunAll([path]).ToDictionary(r => r.Name);
        var native = new ConformanceRunner(new ConformanceOptions { Timeout = timeout, Backend = ExecutionBackend.Native }).RunAll([path]).ToList();
        int passed = native.Count(r => r.Status == ConformanceStatus.Pass);
        TestContext.Out.WriteLine($"{folder}: native {passed} passed, reference {reference.Values.Count(r => r.Status == ConformanceStatus.Pass)} passed");
        var lost = native
            .Where(r => r.Status != ConformanceStatus.Pass && reference.TryGetValue(r.Name, out ConformanceResult? refResult) && refResult.Status == ConformanceStatus.Pass)
            .Select(r => $"{r.Name}: {r.Status} {r.Message}")
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(lost, Is.Empty, $"{folder}: tests the reference backend passes but the native one does not");
            Assert.That(passed, Is.GreaterThanOrEqualTo(ConformanceBaseline.Floors[folder]), $"{folder}: native passes fell below the floor in floors.json");
        });
    }

    public static IEnumerable<TestCaseData> Models()
    {
        foreach (string folder in new[] { "models/zoo/mnist_8", "models/zoo/super_resolution_10",
                     "models/ultraface/test_version-RFB-320", "models/ultraface/test_version-RFB-320_simplified",
                     "models/ultraface/test_version-slim-320",
                     "onnx-tests/light/test_bvlc_alexnet", "onnx-tests/light/test_resnet50", "onnx-tests/light/test_shufflenet",
                     "onnx-tests/light/test_squeezenet", "onnx-tests/light/test_vgg19", "onnx-tests/light/test_zfnet512" })
            yield return new TestCaseData(folder).SetName($"{{m}}({folder})");
    }

    [TestCaseSource(nameof(Models))]
    [Category("RealModels")]
    public void NativeBackendMatchesExpectedOutputs(string folder)
    {
        string? shared = RepoPaths.SharedData;
        if (shared is null)
            Assert.Ignore("shared test data not found: set KERNO_TEST_DATA (default ../shared)");
        string path = Path.Combine(shared, folder);
        if (!Directory.Exists(path))
            Assert.Ignore($"{path} is missing");
        var runner = new ConformanceRunner(new ConformanceOptions
        {
            Backend = ExecutionBackend.Native,
            Rtol = 1e-3,
            Atol = 1e-4,
            Timeout = TimeSpan.FromMinutes(2),
        });
        ConformanceResult result = runner.Run(path);
        TestContext.Out.WriteLine($"{result.Name}: {result.Status} max abs {result.MaxAbsError:g3}, max rel {result.MaxRelError:g3}, {result.Elapsed.TotalSeconds:0.0} s");
        Assert.That(result.Status, Is.EqualTo(ConformanceStatus.Pass), result.Message);
    }
}
