using Kerno.Optimizer;
using Kerno.Samples.Ocr;

namespace Kerno.Tests.Samples;

/// <summary>
/// The passes written for PP-OCRv4 keep the models' results: each pass alone, and the whole optimizer with the native
/// backend, against the unoptimized graph on the reference kernels, on inputs shaped like the demo's (smaller).
/// </summary>
public class OcrModelOptimizationTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        // (model, pass): the pass must rewrite something there, after the basic passes and BatchNorm folding (HardSwish also
        // after the scale and shift folding: in PP-LCNetV3 it follows them).
        (string, string)[] cases = [("det", "FoldScaleShiftIntoConv"), ("det", "FoldScaleShiftIntoNextConv"), ("det", "FuseHardSwishPattern"),
            ("rec", "FoldScaleShiftIntoConv"), ("rec", "FoldScaleShiftIntoNextConv"),
            ("rec", "FuseHardSwishPattern"), ("rec", "FuseSwishPattern"), ("rec", "FuseLayerNormPattern"), ("det", "FuseScaleShiftToBatchNorm"),
            ("rec", "FuseScaleShiftToBatchNorm")];
        foreach (var (model, pass) in cases)
            yield return new TestCaseData(model, pass).SetName($"{{m}}({model}, {pass})");
        foreach (string model in new[] { "det", "rec" })
            yield return new TestCaseData(model, null).SetName($"{{m}}({model}, all passes, native)");
    }

    private static IGraphPass Pass(string name) => GraphOptimizer.PassesFor(OptimizationLevel.All).First(p => p.Name == name);

    [TestCaseSource(nameof(Cases))]
    public void OptimizedModelComputesTheSame(string model, string? passName)
    {
        OcrModelFiles files = OcrPipelineTests.RequireModels();
        string path = model == "det" ? files.Detection : files.Recognition;
        int[] shape = model == "det" ? [1, 3, 64, 160] : [1, 3, 48, 200];
        var rng = new Random(4);
        var x = new Tensor<float>(shape);
        foreach (ref float v in x.Span)
            v = (float)(rng.NextDouble() * 2 - 1);
        var feeds = new Dictionary<string, Tensor> { ["x"] = x };

        using var plain = new InferenceSession(path, new SessionOptions { Backend = ExecutionBackend.Reference, OptimizationLevel = OptimizationLevel.None });
        var options = passName is null
            ? new SessionOptions { Backend = ExecutionBackend.Native }
            // The basic passes first: they turn the models' Constant nodes into the initializers the pattern passes read.
            : new SessionOptions { Backend = ExecutionBackend.Reference, GraphPasses = [.. Before(passName), Pass(passName)] };
        using var optimized = new InferenceSession(path, options);
        if (passName is not null)
        {
            using var basic = new InferenceSession(path, new SessionOptions { Backend = ExecutionBackend.Reference, GraphPasses = Before(passName) });
            Assert.That(optimized.OptimizedModel.Graph.Nodes.Count, Is.LessThan(basic.OptimizedModel.Graph.Nodes.Count), $"{passName} should rewrite something in {model}");
        }

        var expected = (Tensor<float>)plain.Run(feeds).Single().AsTensor();
        var actual = (Tensor<float>)optimized.Run(feeds).Single().AsTensor();
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(expected.Shape.ToArray()));
        double worst = 0;
        for (int i = 0; i < expected.Length; ++i)
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / (1e-4 + 1e-3 * Math.Abs(expected[i])));
        Assert.That(worst, Is.LessThanOrEqualTo(1), "largest difference in units of (1e-4 + 1e-3 |expected|)");
    }

    private static List<IGraphPass> Before(string passName) =>
        [.. GraphOptimizer.PassesFor(OptimizationLevel.Basic), Pass("FoldBatchNormIntoConv"), .. passName == "FuseHardSwishPattern" ? [Pass("FoldScaleShiftIntoConv")] : Array.Empty<IGraphPass>()];
}
