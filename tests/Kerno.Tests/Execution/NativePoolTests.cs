using Kerno.Graph;
using Kerno.Tests.Optimizer;
using static Kerno.Tests.Execution.NativeBackendTests;

namespace Kerno.Tests.Execution;

/// <summary>MaxPool / AveragePool on libkerno's NCHW pool kernel agree with the reference operators.</summary>
public class NativePoolTests
{
    private static AttributeValue Int(string name, long v) => new() { Name = name, Kind = AttributeKind.Int, Int = v };

    public static IEnumerable<TestCaseData> Cases()
    {
        // op, x shape, kernel, strides, pads (t, l, b, r), dilations, ceil
        yield return new TestCaseData("MaxPool", new[] { 1, 64, 111, 111 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }, new[] { 1, 1 }, 1).SetName("Pool(SqueezeNet 3x3/2 ceil)");
        yield return new TestCaseData("AveragePool", new[] { 1, 24, 28, 28 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, new[] { 1, 1 }, 0).SetName("Pool(ShuffleNet average 3x3/2 pad 1)");
        yield return new TestCaseData("MaxPool", new[] { 2, 3, 9, 37 }, new[] { 2, 3 }, new[] { 1, 1 }, new[] { 1, 0, 0, 2 }, new[] { 1, 1 }, 0).SetName("Pool(max stride 1 asymmetric pads, batch 2)");
        yield return new TestCaseData("AveragePool", new[] { 1, 5, 13, 41 }, new[] { 3, 2 }, new[] { 2, 3 }, new[] { 1, 1, 2, 1 }, new[] { 1, 1 }, 1).SetName("Pool(average stride 3 ceil)");
        yield return new TestCaseData("MaxPool", new[] { 1, 4, 12, 19 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 2, 2, 2, 2 }, new[] { 2, 2 }, 1).SetName("Pool(max dilated ceil)");
        yield return new TestCaseData("AveragePool", new[] { 1, 3, 1, 1 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, new[] { 1, 1 }, 0).SetName("Pool(average 1x1 plane, padded)");
        yield return new TestCaseData("MaxPool", new[] { 1, 0, 5, 5 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, new[] { 1, 1 }, 0).SetName("Pool(max, no channels: the reference kernel)");
        yield return new TestCaseData("AveragePool", new[] { 2, 0, 5, 5 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, new[] { 1, 1 }, 1).SetName("Pool(average, no channels: the reference kernel)");
        yield return new TestCaseData("MaxPool", new[] { 1, 2, 3, 1500 }, new[] { 1, 5 }, new[] { 1, 1 }, new[] { 0, 2, 0, 2 }, new[] { 1, 1 }, 0).SetName("Pool(max rows wider than a chunk)");
    }

    [TestCaseSource(nameof(Cases))]
    public void Pool(string op, int[] x, int[] kernel, int[] strides, int[] pads, int[] dilations, int ceil)
    {
        foreach (int cip in op == "AveragePool" ? new[] { 0, 1 } : new[] { 0 })
        {
            Model Make()
            {
                var b = new GraphBuilder().Input("x", x.Select(d => (long)d).ToArray()).Output("y");
                var attrs = new List<AttributeValue>
                {
                    GraphBuilder.Ints("kernel_shape", kernel.Select(v => (long)v).ToArray()), GraphBuilder.Ints("strides", strides.Select(v => (long)v).ToArray()),
                    GraphBuilder.Ints("pads", pads.Select(v => (long)v).ToArray()), Int("ceil_mode", ceil),
                };
                if (op == "AveragePool")
                    attrs.Add(Int("count_include_pad", cip));
                else
                    attrs.Add(GraphBuilder.Ints("dilations", dilations.Select(v => (long)v).ToArray()));
                b.Node(op, ["x"], ["y"], attrs.ToArray());
                return ModelOf(b, 19);
            }
            AssertSame(Make, new Dictionary<string, Tensor> { ["x"] = NativeBackendTests.Random(new Random(5), x) }, expectKernel: op == "MaxPool" ? "maxpool2d" : "avgpool2d");
        }
    }
}
