using Kerno.Graph;
using Kerno.Optimizer;
using Kerno.Graph.ShapeInference;
using Kerno.Tests.Optimizer;
using static Kerno.Tests.Execution.NativeBackendTests;

namespace Kerno.Tests.Execution;

/// <summary>
/// The steps PP-OCR's detection head and recognizer reach (Resize, ConvTranspose, unfolded BatchNormalization,
/// Sigmoid/HardSwish/HardSigmoid/Tanh, LayerNormalization) match the reference backend, on native and fallback paths.
/// </summary>
public class OcrOperatorStepTests
{
    private static AttributeValue Str(string name, string v) => new() { Name = name, Kind = AttributeKind.String, String = v };
    private static AttributeValue Int(string name, long v) => new() { Name = name, Kind = AttributeKind.Int, Int = v };

    public static IEnumerable<TestCaseData> ResizeCases()
    {
        // x shape, scales (null: sizes), sizes, mode, coordinate mode, nearest mode, expected kernel
        yield return new TestCaseData(new[] { 1, 3, 5, 7 }, new[] { 1f, 1, 2, 2 }, null, "nearest", "asymmetric", "floor", "resize-nearest").SetName("Resize(nearest asymmetric floor x2, as PP-OCR det)");
        yield return new TestCaseData(new[] { 2, 2, 4, 3 }, new[] { 1f, 1, 3, 2 }, null, "nearest", "half_pixel", "round_prefer_floor", "resize-nearest").SetName("Resize(nearest half_pixel x3 x2)");
        yield return new TestCaseData(new[] { 1, 4, 6, 5 }, new[] { 1f, 1, 0.5f, 2 }, null, "nearest", "asymmetric", "ceil", "resize-nearest").SetName("Resize(nearest down by 2, ceil)");
        yield return new TestCaseData(new[] { 2, 4, 48, 50 }, new[] { 1f, 1, 2, 2 }, null, "nearest", "asymmetric", "floor", "resize-nearest").SetName("Resize(large enough to split planes across threads)");
        yield return new TestCaseData(new[] { 1, 3, 5, 7 }, new[] { 1f, 1, 2, 4 }, null, "linear", "half_pixel", "round_prefer_floor", "resize-linear").SetName("Resize(linear half_pixel)");
        yield return new TestCaseData(new[] { 1, 3, 5, 7 }, new[] { 1f, 1, 2, 2 }, null, "linear", "pytorch_half_pixel", "round_prefer_floor", "resize-linear").SetName("Resize(linear pytorch_half_pixel)");
        yield return new TestCaseData(new[] { 1, 2, 4, 6 }, null, new long[] { 1, 2, 9, 11 }, "linear", "align_corners", "round_prefer_floor", "resize-linear").SetName("Resize(linear align_corners by sizes)");
        yield return new TestCaseData(new[] { 1, 2, 5, 5 }, new[] { 1f, 1, 1.5f, 1.5f }, null, "nearest", "half_pixel", "round_prefer_ceil", "resize-nearest").SetName("Resize(fractional sizes: reference fallback)");
        yield return new TestCaseData(new[] { 1, 2, 4, 4 }, new[] { 1f, 1, 2, 2 }, null, "cubic", "half_pixel", "round_prefer_floor", "resize-reference").SetName("Resize(cubic: reference)");
    }

    [TestCaseSource(nameof(ResizeCases))]
    public void ResizeMatches(int[] x, float[]? scales, long[]? sizes, string mode, string coordinates, string nearest, string kernel)
    {
        var rng = new Random(5);
        foreach (bool dynamic in new[] { false, true })
        {
            Model Make()
            {
                var b = new GraphBuilder();
                // Dynamic: spatial dims unknown at load, so the element type must still flow for the steps to be chosen.
                b.Graph.Inputs.Add(new ValueInfo("x", new TensorTypeInfo(DataType.Float,
                    x.Select((d, i) => dynamic && i >= 2 ? new Dim(null, $"d{i}") : new Dim(d)).ToList())));
                b.Output("y");
                b.Constant("roi", new Tensor<float>([0]));
                if (scales is not null)
                    b.Constant("scales", new Tensor<float>(scales, [4]));
                else
                    b.Constant("sizes", new Tensor<long>(sizes!, [4]));
                b.Node("Add", ["x", "x"], ["a"]);
                b.Node("Resize", scales is not null ? ["a", "roi", "scales"] : ["a", "roi", "", "sizes"], ["r"],
                    Str("mode", mode), Str("coordinate_transformation_mode", coordinates), Str("nearest_mode", nearest));
                b.Node("Relu", ["r"], ["y"]);
                return ModelOf(b);
            }
            AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = Random(rng, x) }, expectKernel: kernel);
        }
    }

    public static IEnumerable<TestCaseData> ConvTransposeCases()
    {
        // x shape, w shape {C, K/group, kh, kw}, bias, attributes
        yield return new TestCaseData(new[] { 1, 6, 5, 7 }, new[] { 6, 4, 2, 2 }, false, new[] { GraphBuilder.Ints("strides", 2, 2) }).SetName("ConvTranspose(2x2 stride 2, as PP-OCR det)");
        yield return new TestCaseData(new[] { 2, 5, 4, 3 }, new[] { 5, 7, 2, 3 }, true, new[] { GraphBuilder.Ints("strides", 2, 1) }).SetName("ConvTranspose(odd channel count split across threads, batch 2)");
        yield return new TestCaseData(new[] { 1, 4, 5, 7 }, new[] { 4, 1, 2, 2 }, true, new[] { GraphBuilder.Ints("strides", 2, 2) }).SetName("ConvTranspose(to one channel, bias)");
        yield return new TestCaseData(new[] { 2, 3, 4, 5 }, new[] { 3, 5, 3, 3 }, true,
            new[] { GraphBuilder.Ints("strides", 2, 2), GraphBuilder.Ints("pads", 1, 0, 1, 2), GraphBuilder.Ints("output_padding", 1, 1) }).SetName("ConvTranspose(3x3 stride 2 pads output_padding, batch 2)");
        yield return new TestCaseData(new[] { 1, 4, 6, 5 }, new[] { 4, 3, 3, 2 }, true,
            new[] { Int("group", 2), GraphBuilder.Ints("dilations", 2, 1) }).SetName("ConvTranspose(grouped dilated)");
        yield return new TestCaseData(new[] { 1, 2, 3, 3 }, new[] { 2, 2, 3, 3 }, false,
            new[] { Str("auto_pad", "SAME_UPPER"), GraphBuilder.Ints("strides", 2, 2) }).SetName("ConvTranspose(auto_pad: reference fallback)");
    }

    [TestCaseSource(nameof(ConvTransposeCases))]
    public void ConvTransposeMatches(int[] x, int[] w, bool withBias, AttributeValue[] attributes)
    {
        var rng = new Random(7);
        Tensor<float> weight = Random(rng, w), bias = Random(rng, w[1] * (int)(attributes.FirstOrDefault(a => a.Name == "group")?.Int ?? 1));
        Model Make()
        {
            var b = new GraphBuilder().Input("x", x.Select(d => (long)d).ToArray()).Output("y");
            b.Constant("w", weight).Constant("b", bias);
            b.Node("ConvTranspose", withBias ? ["x", "w", "b"] : ["x", "w"], ["y"], attributes);
            return ModelOf(b);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = Random(rng, x) }, expectKernel: "conv-transpose");
    }

    [Test]
    public void BatchNormalizationNotFoldedMatches()
    {
        var rng = new Random(9);
        int c = 5;
        Tensor<float> scale = Random(rng, c), bias = Random(rng, c), mean = Random(rng, c), variance = Random(rng, c);
        foreach (ref float v in variance.Span)
            v = Math.Abs(v) + 0.1f;
        Model Make()
        {
            var b = new GraphBuilder().Input("x", 2, c, 3, 7).Output("y");
            b.Constant("s", scale).Constant("b", bias).Constant("m", mean).Constant("v", variance);
            b.Node("Add", ["x", "x"], ["a"]); // not a convolution: nothing to fold it into
            b.Node("BatchNormalization", ["a", "s", "b", "m", "v"], ["n"], GraphBuilder.Float("epsilon", 1e-3f));
            b.Node("Relu", ["n"], ["y"]);
            return ModelOf(b);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = Random(rng, 2, c, 3, 7) }, expectKernel: "batchnorm");
    }

    [TestCase(-1, new[] { 2, 3, 37 }, true)]
    [TestCase(1, new[] { 2, 3, 5, 7 }, true)]
    [TestCase(-1, new[] { 4, 1 }, false)]
    public void LayerNormalizationMatches(int axis, int[] shape, bool withBias)
    {
        var rng = new Random(13);
        int[] normShape = shape[(axis < 0 ? axis + shape.Length : axis)..];
        Tensor<float> scale = Random(rng, normShape), bias = Random(rng, normShape);
        Model Make()
        {
            var b = new GraphBuilder().Input("x", shape.Select(d => (long)d).ToArray()).Output("y");
            b.Constant("s", scale).Constant("b", bias);
            b.Node("Add", ["x", "x"], ["a"]);
            b.Node("LayerNormalization", withBias ? ["a", "s", "b"] : ["a", "s"], ["y"], Int("axis", axis), GraphBuilder.Float("epsilon", 1e-3f));
            return ModelOf(b);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = Random(rng, shape) }, expectKernel: "layernorm");
    }

    [TestCase("Sigmoid")]
    [TestCase("HardSwish")]
    [TestCase("HardSigmoid")]
    [TestCase("Tanh")]
    public void ActivationMatches(string op)
    {
        var rng = new Random(11);
        // 1 x 3 x 37 x 53 = 5883 elements: vector remainders; scaled so every branch (saturation, both signs) is hit.
        Tensor<float> x = Random(rng, 1, 3, 37, 53);
        foreach (ref float v in x.Span)
            v *= 8;
        Model Make()
        {
            var b = new GraphBuilder().Input("x", 1, 3, 37, 53).Output("y");
            b.Node("Add", ["x", "x"], ["a"]);
            b.Node(op, ["a"], ["y"], op == "HardSigmoid" ? [GraphBuilder.Float("alpha", 0.3f), GraphBuilder.Float("beta", 0.4f)] : []);
            return ModelOf(b);
        }
        // Extended: at All, Add -> activation becomes one eltwise-chain (tested in NativeElementwiseChainTests)
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = x }, OptimizationLevel.Extended, tolerance: 1e-5, expectKernel: "eltwise-" + op.ToLowerInvariant());
    }

    [Test]
    public void ShapeInferenceKeepsTypeAndShapeThroughResizeAndConvTranspose()
    {
        var b = new GraphBuilder();
        b.Graph.Inputs.Add(new ValueInfo("x", new TensorTypeInfo(DataType.Float, [new Dim(null, "N"), 4, new Dim(null, "H"), 10])));
        b.Output("t");
        b.Constant("roi", new Tensor<float>([0])).Constant("scales", new Tensor<float>([1f, 1, 2, 2.5f], [4]));
        b.Constant("w", new Tensor<float>([4, 3, 2, 2]));
        b.Node("Resize", ["x", "roi", "scales"], ["r"], Str("mode", "nearest"));
        b.Node("ConvTranspose", ["r", "w"], ["t"], GraphBuilder.Ints("strides", 2, 2), GraphBuilder.Ints("pads", 0, 1, 0, 0));
        Model m = ModelOf(b);
        ShapeInferencer.Infer(m);
        Assert.Multiple(() =>
        {
            Assert.That(m.Graph.ValueTypes["r"].ToString(), Is.EqualTo("tensor(float)[N,4,?,25]"));
            Assert.That(m.Graph.ValueTypes["t"].ToString(), Is.EqualTo("tensor(float)[N,3,?,49]"));
        });
    }
}
