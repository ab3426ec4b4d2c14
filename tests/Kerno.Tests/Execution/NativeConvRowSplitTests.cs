using Kerno.Graph;
using Kerno.Optimizer;
using Kerno.Planning;
using Kerno.Tests.Optimizer;

namespace Kerno.Tests.Execution;

/// <summary>
/// Blocked direct (1x1, unpadded) and depthwise convolutions at 2 threads run one plan split by output rows
/// (<c>kerno_conv2d_run_rows</c>): against the reference backend, with bias, residual and activation fused, output
/// heights 8 and 2 (and 7 rows, which keep the channel split), batch 1 and 2, channel counts that are not multiples of the block.
/// </summary>
public class NativeConvRowSplitTests
{
    private static Model Make(int seed, int n, int h, int w)
    {
        var rng = new Random(seed);
        Tensor<float> R(params int[] shape) => NativeBackendTests.Random(rng, shape);
        var b = new GraphBuilder().Input("x", n, 40, h, w).Output("y");
        b.Constant("w1", R(48, 40, 1, 1)).Constant("b1", R(48)).Constant("wd", R(48, 1, 3, 3)).Constant("bd", R(48));
        b.Constant("w2", R(48, 48, 1, 1)).Constant("w3", R(36, 48, 1, 1)).Constant("b3", R(36));
        b.Node("Conv", ["x", "w1", "b1"], ["c1"]);
        b.Node("Relu", ["c1"], ["r1"]);
        b.Node("Conv", ["r1", "wd", "bd"], ["cd"], GraphBuilder.Ints("pads", 1, 1, 1, 1), new AttributeValue { Name = "group", Kind = AttributeKind.Int, Int = 48 });
        b.Node("Relu", ["cd"], ["rd"]);
        b.Node("Conv", ["rd", "w2"], ["c2"]);
        b.Node("Add", ["c2", "r1"], ["s2"]);                               // residual fused into the 1x1
        b.Node("Relu", ["s2"], ["r2"]);
        b.Node("Conv", ["r2", "w3", "b3"], ["y"]);                         // 36 channels: a partial last block
        return NativeBackendTests.ModelOf(b);
    }

    [Test]
    public void RowSplitConvolutionsMatchTheReference([Values(1, 2)] int batch, [Values(8, 2, 7)] int height)
    {
        var feeds = new Dictionary<string, Tensor> { ["x"] = NativeBackendTests.Random(new Random(batch * 10 + height), batch, 40, height, 9) };
        using var reference = new InferenceSession(Make(5, batch, height, 9), new SessionOptions { Backend = ExecutionBackend.Reference, OptimizationLevel = OptimizationLevel.None });
        using var native = new InferenceSession(Make(5, batch, height, 9), new SessionOptions { Backend = ExecutionBackend.Native, IntraOpThreads = 2 });
        var e = (Tensor<float>)reference.Run(feeds)[0].AsTensor();
        for (int round = 0; round < 2; ++round)
        {
            var a = (Tensor<float>)native.Run(feeds)[0].AsTensor();
            Assert.That(a.Shape.ToArray(), Is.EqualTo(e.Shape.ToArray()));
            for (int i = 0; i < e.Length; ++i)
                Assert.That(a[i], Is.EqualTo(e[i]).Within(2e-4 + 1e-3 * Math.Abs(e[i])), $"element {i}, round {round}");
        }
        var convs = native.NativeExecutor!.Compiled.Steps.OfType<NativeConvStep>().ToList();
        Assert.That(convs.Count(c => c.KernelName.Contains("nchwc", StringComparison.Ordinal)), Is.EqualTo(4), string.Join(", ", convs.Select(c => c.KernelName)));
        // 7 rows do not split evenly over 2 threads: those keep the split over channels.
        Assert.That(convs.Count(c => c.SplitsRows), Is.EqualTo(height % 2 == 0 ? 4 : 0), string.Join(", ", convs.Select(c => c.KernelName)));
    }
}
