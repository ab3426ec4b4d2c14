using Kerno.Graph;
using Kerno.Optimizer;
using Kerno.Tests.Optimizer;
using static Kerno.Tests.Execution.NativeBackendTests;

namespace Kerno.Tests.Execution;

/// <summary>The eltwise-chain step against kerno.ElementwiseChain's reference kernel (and the unfused graph) on sizes
/// that leave remainders of every vector width and of the L1 block, at 1 and 2 threads.</summary>
public class NativeElementwiseChainTests
{
    /// <summary>Every op the chain knows, with a scalar, a per-channel, a trailing-vector and a full-shape operand, both operand sides.</summary>
    private static Model EveryOp(int c, int h, int w)
    {
        var rng = new Random(c * 1000 + h * 10 + w);
        var b = new GraphBuilder().Input("x", 1, c, h, w).Input("z", 1, c, h, w).Output("y");
        b.Constant("ch", Random(rng, c, 1, 1)).Constant("row", Random(rng, w)).Constant("half", Tensor.Scalar(0.5f));
        b.Constant("lo", Tensor.Scalar(-0.3f)).Constant("hi", Tensor.Scalar(0.8f)).Constant("three", Tensor.Scalar(3f));
        var steps = new (string Op, string[] In, AttributeValue[] Attr)[]
        {
            ("Mul", ["x", "ch"], []),
            ("Add", ["row", "_"], []),
            ("Sub", ["half", "_"], []),
            ("Div", ["_", "three"], []),
            ("Max", ["_", "z"], []),
            ("Min", ["ch", "_"], []),
            ("LeakyRelu", ["_"], [GraphBuilder.Float("alpha", 0.2f)]),
            ("Tanh", ["_"], []),
            ("Exp", ["_"], []),
            ("Sub", ["_", "x"], []),
            ("HardSigmoid", ["_"], [GraphBuilder.Float("alpha", 0.3f), GraphBuilder.Float("beta", 0.4f)]),
            ("Sub", ["_", "half"], []),
            ("Relu", ["_"], []),
            ("Neg", ["_"], []),
            ("Abs", ["_"], []),
            ("Sqrt", ["_"], []),
            ("HardSwish", ["_"], []),
            ("Clip", ["_", "lo", "hi"], []),
            ("Sigmoid", ["_"], []),
            ("Mul", ["_", "x"], []),
        };
        string prev = "x";
        for (int i = 0; i < steps.Length; ++i)
        {
            string output = i == steps.Length - 1 ? "y" : $"t{i}";
            string[] inputs = i == 0 ? steps[i].In : steps[i].In.Select(s => s == "_" ? prev : s).ToArray();
            b.Node(steps[i].Op, inputs, [output], steps[i].Attr);
            prev = output;
        }
        return ModelOf(b, 17);
    }

    [TestCase(1, 1, 1)]
    [TestCase(3, 1, 7)]
    [TestCase(2, 5, 37)]
    [TestCase(3, 7, 49)]     // 1029 elements: one L1 block and a remainder
    [TestCase(7, 101, 99)]   // 69993 elements: split across both threads
    public void EveryOpMatchesTheReference(int c, int h, int w)
    {
        var feeds = new Dictionary<string, Tensor>
        {
            ["x"] = Random(new Random(3), 1, c, h, w),
            ["z"] = Random(new Random(4), 1, c, h, w),
        };
        AssertSame(() => EveryOp(c, h, w), feeds, tolerance: 1e-5, expectKernel: "eltwise-chain");
        // and the fused program computes what the unfused graph computes
        using var plain = new InferenceSession(EveryOp(c, h, w), new SessionOptions { OptimizationLevel = OptimizationLevel.None });
        using var fused = new InferenceSession(EveryOp(c, h, w), new SessionOptions { Backend = ExecutionBackend.Native, IntraOpThreads = 2 });
        Assert.That(fused.OptimizedModel.Graph.Nodes.Select(n => n.OpType), Is.EqualTo(new[] { "ElementwiseChain" }));
        var e = (Tensor<float>)plain.Run(feeds).Single().AsTensor();
        var a = (Tensor<float>)fused.Run(feeds).Single().AsTensor();
        for (int i = 0; i < e.Length; ++i)
            Assert.That(a[i], Is.EqualTo(e[i]).Within(1e-5 + 1e-5 * Math.Abs(e[i])), $"element {i}");
    }

    [TestCase("Sigmoid")]
    [TestCase("HardSwish")]
    [TestCase("HardSigmoid")]
    [TestCase("Tanh")]
    [TestCase("LeakyRelu")]
    public void ActivationsPastSaturationMatch(string op)
    {
        // 5883 elements scaled to [-16, 16]: every saturating branch, both signs, vector remainders
        var x = Random(new Random(12), 1, 3, 37, 53);
        foreach (ref float v in x.Span)
            v *= 8;
        Model Make()
        {
            var b = new GraphBuilder().Input("x", 1, 3, 37, 53).Output("y");
            b.Node("Add", ["x", "x"], ["a"]);
            b.Node(op, ["a"], ["s"], op == "HardSigmoid" ? [GraphBuilder.Float("alpha", 0.3f), GraphBuilder.Float("beta", 0.4f)] : []);
            b.Node("Neg", ["s"], ["y"]);
            return ModelOf(b);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = x }, tolerance: 1e-5, expectKernel: "eltwise-chain");
    }

    [TestCase(1)]
    [TestCase(15)]
    [TestCase(70001)]
    public void SwishInPlaceMatches(int n)
    {
        // x dies at the chain (computed by a Softmax), so the planner may write y over it while x is also an operand
        Model Make()
        {
            var b = new GraphBuilder().Input("x", 1, n).Output("y");
            b.Node("Softmax", ["x"], ["s"]);
            b.Node("Sigmoid", ["s"], ["g"]);
            b.Node("Mul", ["g", "s"], ["m"]);
            b.Node("Transpose", ["m"], ["y"]);
            return ModelOf(b);
        }
        var x = Random(new Random(5), 1, n);
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = x }, tolerance: 1e-5, expectKernel: "eltwise-chain");
    }

    [Test]
    public void ExpPastTheFloatRangeMatches()
    {
        var x = Random(new Random(6), 1, 77);
        foreach (ref float v in x.Span)
            v *= 120;
        Model Make()
        {
            var b = new GraphBuilder().Input("x", 1, 77).Output("y").Constant("k", Tensor.Scalar(0.5f));
            b.Node("Mul", ["x", "k"], ["m"]);
            b.Node("Exp", ["m"], ["e"]);
            b.Node("Neg", ["e"], ["y"]);
            return ModelOf(b);
        }
        AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = x }, tolerance: 2e-6, expectKernel: "eltwise-chain");
    }
}
