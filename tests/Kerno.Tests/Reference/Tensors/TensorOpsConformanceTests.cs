using System.Text.RegularExpressions;
using Kerno.Testing;

namespace Kerno.Tests.Reference.Tensors;

/// <summary>
/// Runs every ONNX 1.23 node test in shared/onnx-tests/node whose operators (INDEX.tsv) are all tensor
/// operators: every one must pass. These cover opsets and modes that Debian's older test data lacks
/// (Resize-19 antialias and half_pixel_symmetric, N-D GridSample, AffineGrid, Col2Im, CenterCropPad, TensorScatter).
/// </summary>
[Category("Conformance")]
public class TensorOpsConformanceTests
{
    private static readonly HashSet<string> TensorOps =
    [
        "Reshape", "Flatten", "Transpose", "Concat", "Split", "Slice", "Gather", "GatherElements", "GatherND",
        "ScatterND", "ScatterElements", "Scatter", "Squeeze", "Unsqueeze", "Expand", "Tile", "Pad", "Shape", "Size",
        "ConstantOfShape", "Range", "Dropout", "Trilu", "OneHot", "Compress", "DepthToSpace", "SpaceToDepth",
        "NonZero", "EyeLike", "Einsum", "Resize", "Upsample", "Unique", "ReverseSequence", "CenterCropPad",
        "GridSample", "AffineGrid", "Col2Im", "Det", "TensorScatter",
        // Graph plumbing some of these tests use.
        "Constant", "Identity",
    ];

    /// <summary>Tests present in the 1.23 data when this was written; more may pass, fewer means a regression or missing data.</summary>
    private const int Floor = 272;

    [Test]
    public void AllTensorOpNodeTestsPass()
    {
        string? shared = RepoPaths.SharedData;
        string? node = shared is null ? null : Path.Combine(shared, "onnx-tests", "node");
        if (node is null || !File.Exists(Path.Combine(node, "INDEX.tsv")))
            Assert.Ignore("shared/onnx-tests/node is not available (KERNO_TEST_DATA)");

        var names = File.ReadLines(Path.Combine(node, "INDEX.tsv"))
            .Skip(1)
            .Select(l => l.Split('\t'))
            .Where(f => f.Length > 1 && f[1].Split(',').All(TensorOps.Contains))
            .Select(f => Regex.Escape(f[0]))
            .ToList();
        var runner = new ConformanceRunner(new ConformanceOptions
        {
            Filter = new Regex($"^({string.Join("|", names)})$", RegexOptions.CultureInvariant),
            Timeout = TimeSpan.FromSeconds(20),
        });
        List<ConformanceResult> results = runner.RunAll([node]).ToList();
        int passed = results.Count(r => r.Status == ConformanceStatus.Pass);
        TestContext.Out.WriteLine($"{passed} of {results.Count} tensor-op node tests passed");
        var failures = results.Where(r => r.Status != ConformanceStatus.Pass).Select(r => $"{r.Name}: {r.Status} {r.Message}").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Empty);
            Assert.That(passed, Is.GreaterThanOrEqualTo(Floor));
        });
    }
}
