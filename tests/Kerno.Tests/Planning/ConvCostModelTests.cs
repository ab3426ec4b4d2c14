using Kerno.Interop;
using Kerno.Kernels;
using Kerno.Planning;

namespace Kerno.Tests.Planning;

/// <summary>The managed cost model picks what libkerno's own AUTO picked on the real layers it was fitted on (so the
/// explicit selection is as fast as before), deterministically, and only among accepted algorithms.</summary>
public unsafe class ConvCostModelTests
{
    private static ConvGeometry S(int c, int h, int w, int k, int kernel, int stride = 1, int group = 1, int dil = 1, int pad = -1)
    {
        int p = pad >= 0 ? pad : dil * (kernel - 1) / 2;
        return new ConvGeometry(1, c, h, w, k, kernel, kernel, group, stride, stride, dil, dil, p, p, p, p);
    }

    /// <summary>ResNet-50, VGG-19, UltraFace RFB-320 and MobileNet layers (as in <c>Kerno.Bench conv --suite</c>).</summary>
    internal static IEnumerable<ConvGeometry> RealLayers() =>
    [
        S(3, 224, 224, 64, 7, 2), S(64, 56, 56, 64, 3), S(128, 28, 28, 128, 3), S(256, 14, 14, 256, 3), S(512, 7, 7, 512, 3),
        S(128, 56, 56, 128, 3, 2), S(64, 56, 56, 256, 1), S(256, 56, 56, 64, 1), S(512, 28, 28, 128, 1), S(1024, 14, 14, 256, 1),
        S(2048, 7, 7, 512, 1), S(256, 56, 56, 512, 1, 2, pad: 0), S(1024, 14, 14, 2048, 1, 2, pad: 0),
        S(3, 224, 224, 64, 3), S(64, 224, 224, 64, 3), S(128, 112, 112, 128, 3), S(256, 56, 56, 256, 3), S(512, 28, 28, 512, 3), S(512, 14, 14, 512, 3),
        new ConvGeometry(1, 3, 240, 320, 16, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1), new ConvGeometry(1, 16, 120, 160, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 1, 1),
        new ConvGeometry(1, 16, 120, 160, 32, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0), new ConvGeometry(1, 32, 120, 160, 32, 3, 3, 32, 2, 2, 1, 1, 1, 1, 1, 1),
        new ConvGeometry(1, 64, 30, 40, 64, 3, 3, 64, 1, 1, 1, 1, 1, 1, 1, 1), new ConvGeometry(1, 64, 30, 40, 64, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),
        new ConvGeometry(1, 16, 30, 40, 16, 3, 3, 1, 1, 1, 2, 2, 2, 2, 2, 2), new ConvGeometry(1, 64, 15, 20, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
        S(32, 112, 112, 32, 3, group: 32), S(64, 112, 112, 64, 3, 2, group: 64), S(128, 56, 56, 128, 3, group: 128), S(512, 14, 14, 512, 3, group: 512),
        S(240, 14, 14, 240, 5, group: 240), S(32, 112, 112, 64, 1), S(128, 56, 56, 128, 1),
    ];

    private static ConvAlgorithm NativeAuto(ConvGeometry g)
    {
        long* x = stackalloc long[4] { 1, g.C, g.H, g.W };
        long* w = stackalloc long[4] { g.K, g.CPerGroup, g.KH, g.KW };
        long* s = stackalloc long[2] { g.StrideH, g.StrideW };
        long* p = stackalloc long[4] { g.PadTop, g.PadLeft, g.PadBottom, g.PadRight };
        long* d = stackalloc long[2] { g.DilationH, g.DilationW };
        nint plan;
        Native.Check(NativeMethods.kerno_conv2d_create(x, w, s, p, d, g.Group, 0, 0, 0, 0, 0, &plan), "kerno_conv2d_create");
        var a = (ConvAlgorithm)NativeMethods.kerno_conv2d_algorithm(plan);
        NativeMethods.kerno_conv2d_destroy(plan);
        return a;
    }

    private static ConvAlgorithm[] Accepted(ConvGeometry g) =>
        ConvCostModel.All.Where(a =>
        {
            long* x = stackalloc long[4] { 1, g.C, g.H, g.W };
            long* w = stackalloc long[4] { g.K, g.CPerGroup, g.KH, g.KW };
            long* s = stackalloc long[2] { g.StrideH, g.StrideW };
            long* p = stackalloc long[4] { g.PadTop, g.PadLeft, g.PadBottom, g.PadRight };
            long* d = stackalloc long[2] { g.DilationH, g.DilationW };
            nint plan;
            int status = NativeMethods.kerno_conv2d_create(x, w, s, p, d, g.Group, 0, (int)a, 0, 0, 0, &plan);
            if (plan != 0)
                NativeMethods.kerno_conv2d_destroy(plan);
            return status == 0;
        }).ToArray();

    [Test]
    public void AgreesWithLibkernosAutoOnRealLayers()
    {
        Native.EnsureLoaded();
        int block = NnKernels.NchwcBlock;
        var differ = new List<string>();
        foreach (ConvGeometry g in RealLayers())
        {
            ConvAlgorithm mine = ConvCostModel.Choose(Accepted(g), g, block), auto = NativeAuto(g);
            if (mine != auto)
                differ.Add($"{g}: cost model {mine}, AUTO {auto}");
        }
        Assert.That(differ, Is.Empty, string.Join("\n", differ));
    }

    [Test]
    public void ChoiceIsDeterministicAndAmongTheCandidates()
    {
        Native.EnsureLoaded();
        var rng = new Random(6);
        for (int i = 0; i < 200; ++i)
        {
            int k = rng.Next(1, 4) * 2 - 1, group = rng.Next(3) == 0 ? 2 : 1;
            var g = new ConvGeometry(1, group * rng.Next(1, 40), rng.Next(k, 40), rng.Next(k, 40), group * rng.Next(1, 40), k, k, group,
                rng.Next(1, 3), rng.Next(1, 3), 1, 1, rng.Next(0, 2), rng.Next(0, 2), rng.Next(0, 2), rng.Next(0, 2));
            ConvAlgorithm[] candidates = Accepted(g);
            ConvAlgorithm first = ConvCostModel.Choose(candidates, g, NnKernels.NchwcBlock);
            Assert.That(candidates, Does.Contain(first), g.ToString());
            Assert.That(ConvCostModel.Choose(candidates.Reverse(), g, NnKernels.NchwcBlock), Is.EqualTo(first), g.ToString());
        }
    }

    [Test]
    public void BlockedConvolutionsRunNoGemmAndPayNoReorders()
    {
        // kerno.BlockedConv: libkerno's NCHWc plans take direct, Winograd and depthwise only (a 1x1 runs direct), and the
        // tensors are already blocked, so the direct and depthwise estimates lose their reorder terms.
        int block = NnKernels.NchwcBlock;
        ConvGeometry pointwise = S(256, 56, 56, 64, 1), depthwise = S(128, 56, 56, 128, 3, group: 128), winograd = S(256, 14, 14, 256, 3);
        Assert.Multiple(() =>
        {
            Assert.That(ConvCostModel.Seconds(ConvAlgorithm.Gemm1x1, pointwise, block, blocked: true), Is.EqualTo(double.PositiveInfinity));
            Assert.That(ConvCostModel.Seconds(ConvAlgorithm.Im2Col, winograd, block, blocked: true), Is.EqualTo(double.PositiveInfinity));
            Assert.That(ConvCostModel.Choose([ConvAlgorithm.Gemm1x1, ConvAlgorithm.Im2Col, ConvAlgorithm.Direct], pointwise, block, blocked: true), Is.EqualTo(ConvAlgorithm.Direct));
            Assert.That(ConvCostModel.Seconds(ConvAlgorithm.Direct, pointwise, block, blocked: true),
                Is.LessThan(ConvCostModel.Seconds(ConvAlgorithm.Direct, pointwise, block)));
            Assert.That(ConvCostModel.Seconds(ConvAlgorithm.Depthwise, depthwise, block, blocked: true),
                Is.LessThan(ConvCostModel.Seconds(ConvAlgorithm.Depthwise, depthwise, block)));
            Assert.That(ConvCostModel.Seconds(ConvAlgorithm.WinogradF4, winograd, block, blocked: true),
                Is.EqualTo(ConvCostModel.Seconds(ConvAlgorithm.WinogradF4, winograd, block)), "Winograd transforms its own tiles either way");
        });
    }
}
