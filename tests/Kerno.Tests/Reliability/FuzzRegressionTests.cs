namespace Kerno.Tests.Reliability;

/// <summary>
/// Every input the fuzzers found that broke a promise, or that an operator failed on with an internal error
/// (IndexOutOfRangeException and the like, wrapped in a KernoModelException), replayed with the random-input
/// seed the fuzz loop used for it and a few more. Files live in Regressions/tiny/ (a few hundred bytes each; the repository keeps only tiny generated models).
/// </summary>
[Category("Reliability")]
public class FuzzRegressionTests
{
    private static string Folder => Path.Combine(RepoPaths.Root, "tests", "Kerno.Tests", "Reliability", "Regressions", "tiny");

    /// <summary>File, the input seed of the fuzz execution that found it, and what it was.</summary>
    private static readonly (string File, int Seed, string Bug)[] Cases =
    [
        ("lstm-initial-h-size.onnx", 11795, "LSTM indexed initial_h by [D, B, hidden_size] without checking its size"),
        ("qlinearmatmul-scale-size.onnx", 25768, "QLinearMatMul indexed a_scale/b_scale per row/column without checking their length"),
        ("tfidf-ngram-indexes.onnx", 50827, "TfIdfVectorizer trusted ngram_counts/ngram_indexes to match the pool"),
        ("gatherelements-indices-shape.onnx", 72001, "GatherElements accepted indices larger than data along the other axes"),
        ("qlinearconv-w-scale-size.onnx", 92511, "QLinearConv indexed w_scale per output channel without checking its length"),
        ("convtranspose-internal.onnx", 122778, "ConvTranspose trusted kernel_shape to match W's spatial dims (and strides, dilations, output_padding, pads to have one value per axis)"),
        ("maxunpool-internal.onnx", 137647, "MaxUnpool indexed kernel_shape, strides and pads per axis without checking their lengths, and the unpooled size could be 0 or negative"),
        ("view-shape-overruns-arena.onnx", 138331, "native backend: a Reshape-like view whose inferred shape held more elements than its source got the source's arena slot (ArgumentOutOfRangeException escaped Run)"),
        ("matmulinteger-empty-zero-point.onnx", 683564, "MatMulInteger indexed an empty a/b zero point"),
        ("qlinearconv-scalar-w.onnx", 973567, "QLinearConv read a scalar W's shape[0] for its per-channel zero point"),
        ("reshape-shape-product-overflow.onnx", 2432049, "shape inference's size check multiplied inferred dims with checked arithmetic: OverflowException escaped session creation"),
        ("resize-oversized-output-slow.onnx", 3, "Resize filtered inner axes (up to the limit) before refusing an oversized output: 35 s with input seed 3, a hang under load"),
        ("gru-batchwise-layout.onnx", 87577, "RNN/GRU/LSTM read R's last dimension (hidden_size default) before checking R's rank: a scalar R threw IndexOutOfRange"),
    ];

    public static IEnumerable<TestCaseData> Inputs() =>
        Cases.Select(c => new TestCaseData(c.File, c.Seed).SetName($"Replay({c.File})").SetDescription(c.Bug));

    [TestCaseSource(nameof(Inputs))]
    public void FoundInputIsRejectedCleanlyOrRuns(string file, int seed)
    {
        byte[] model = File.ReadAllBytes(Path.Combine(Folder, file));
        foreach (int s in new[] { seed, 0, 1, 2, 3 })
        {
            ProbeResult r = ModelProbe.ProbeWithTimeout(model, s, TimeSpan.FromSeconds(20));
            Assert.That(r.IsAcceptable, Is.True, () => $"seed {s}: {r.Outcome} at {r.Stage}: {r.Error}");
            Assert.That(r.IsInternalError, Is.False, () => $"seed {s}: {r.Error}\n{r.Error?.InnerException}");
        }
    }

    [Test]
    public void EveryStoredInputIsReplayed() =>
        Assert.That(Directory.GetFiles(Folder).Select(Path.GetFileName), Is.EquivalentTo(Cases.Select(c => c.File)));
}
