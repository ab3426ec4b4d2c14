using Kerno.Testing;

namespace Kerno.Tests.Conformance;

/// <summary>
/// The trained models and CNN topologies in the shared test data (KERNO_TEST_DATA) match their expected
/// outputs at ONNX's tolerances (rtol 1e-3, atol 1e-5). Ignored with a message where the data is absent.
/// </summary>
[Category("RealModels")]
public class RealModelTests
{
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
    public void ReferenceBackendMatchesExpectedOutputs(string folder)
    {
        string? shared = RepoPaths.SharedData;
        if (shared is null)
            Assert.Ignore("shared test data not found: set KERNO_TEST_DATA (default ../shared)");
        string path = Path.Combine(shared, folder);
        if (!Directory.Exists(path))
            Assert.Ignore($"{path} is missing");
        // VGG-19 on the reference backend takes tens of seconds on a loaded 2-core machine.
        var runner = new ConformanceRunner(new ConformanceOptions { Timeout = TimeSpan.FromMinutes(5) });
        ConformanceResult result = runner.Run(path);
        TestContext.Out.WriteLine($"{result.Name}: {result.Status} max abs {result.MaxAbsError:g3}, max rel {result.MaxRelError:g3}, {result.Elapsed.TotalSeconds:0.0} s");
        Assert.That(result.Status, Is.EqualTo(ConformanceStatus.Pass), result.Message);
    }
}
