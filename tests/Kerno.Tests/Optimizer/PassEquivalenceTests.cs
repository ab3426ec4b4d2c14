using Kerno.Optimizer;
using Kerno.Testing;

namespace Kerno.Tests.Optimizer;

/// <summary>
/// Every pass keeps results: each pass alone, and each level's whole list, runs Debian's ONNX backend tests,
/// and every test that passes on the graph as loaded must still pass.
/// </summary>
[Category("Conformance")]
public class PassEquivalenceTests
{
    private static readonly string[] Folders = ["node", "simple", "pytorch-converted", "pytorch-operator"];
    private static Dictionary<string, ConformanceStatus>? baseline;

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (IGraphPass pass in GraphOptimizer.PassesFor(OptimizationLevel.All).DistinctBy(p => p.Name))
            yield return new TestCaseData(pass.Name, (OptimizationLevel?)null).SetName($"{{m}}({pass.Name})");
        foreach (OptimizationLevel level in new[] { OptimizationLevel.Basic, OptimizationLevel.Extended, OptimizationLevel.All })
            yield return new TestCaseData(null, (OptimizationLevel?)level).SetName($"{{m}}(level {level})");
    }

    private static Dictionary<string, ConformanceStatus> RunAll(OptimizationLevel level, IReadOnlyList<IGraphPass>? passes)
    {
        string data = RepoPaths.DebianOnnxData!;
        var runner = new ConformanceRunner(new ConformanceOptions
        {
            Timeout = TimeSpan.FromSeconds(20),
            OptimizationLevel = level,
            GraphPasses = passes,
        });
        return runner.RunAll(Folders.Select(f => Path.Combine(data, f)).Where(Directory.Exists))
            .ToDictionary(r => r.Path, r => r.Status);
    }

    /// <summary>The pass as it runs alone here, on the reference backend: the layout pass with AVX2's block (on the
    /// reference backend it would otherwise keep NCHW), so the blocked ops' reference implementations run the tests.</summary>
    private static IGraphPass Alone(string name) =>
        name == nameof(Kerno.Optimizer.Passes.AssignBlockedLayout) ? new Kerno.Optimizer.Passes.AssignBlockedLayout(8)
            : GraphOptimizer.PassesFor(OptimizationLevel.All).First(p => p.Name == name);

    [TestCaseSource(nameof(Cases))]
    public void TestsThatPassWithoutOptimizationStillPass(string? passName, OptimizationLevel? level)
    {
        if (RepoPaths.DebianOnnxData is null)
            Assert.Ignore("Debian's ONNX test data is not installed (apt-get install libonnx-testdata)");
        baseline ??= RunAll(OptimizationLevel.None, null);
        var results = passName is null
            ? RunAll(level!.Value, null)
            : RunAll(OptimizationLevel.None, [Alone(passName)]);
        var broken = baseline.Where(kv => kv.Value == ConformanceStatus.Pass && results.GetValueOrDefault(kv.Key) != ConformanceStatus.Pass)
            .Select(kv => Path.GetFileName(kv.Key)).ToList();
        Assert.That(broken, Is.Empty, $"tests broken by {passName ?? level.ToString()}");
    }
}
