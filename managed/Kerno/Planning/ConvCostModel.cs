using Kerno.Kernels;

namespace Kerno.Planning;

/// <summary>
/// Estimated seconds of one libkerno convolution plan (one image, NCHW in and out, one thread) per algorithm,
/// so the runtime can pick among the algorithms libkerno accepts for a shape. Each estimate is
/// compute (the FLOPs the algorithm really issues, padding of its register tiles and channel blocks included)
/// over the kernel's rate, plus the memory traffic of its data movement (reorders, gathers, transforms,
/// streaming transformed weights) over a bandwidth. The rates were read off <c>Kerno.Bench conv --suite ...
/// --algo X</c> on Zen 5 (AVX-512, see docs/PERFORMANCE.md "Tuning"); other kernel sets scale the compute
/// rates with their vector width. It is a model, not a measurement: <c>kerno tune</c> measures the candidates
/// on the real shapes and its cache overrides these choices.
/// </summary>
internal static class ConvCostModel
{
    /// <summary>Direct NCHWc kernel and Winograd's batched GEMM stage (AVX-512, FLOP/s).</summary>
    private const double BlockedRate = 230e9;

    /// <summary>Packed SGEMM (im2col, 1x1) on large operands (AVX-512, FLOP/s).</summary>
    private const double GemmRate = 225e9;

    /// <summary>Depthwise kernel: one multiply-add per loaded input vector, so load bound (AVX-512, FLOP/s).</summary>
    private const double DepthwiseRate = 60e9;

    /// <summary>NCHW to NCHWc reorders and padded copies (bytes read + written per second).</summary>
    private const double ReorderBandwidth = 30e9;

    /// <summary>im2col's strided gather into columns (bytes read + written per second).</summary>
    private const double GatherBandwidth = 16e9;

    /// <summary>Per blocked output element of the blocked direct kernel: tile setup, bias/activation, store (first
    /// layers, C &lt;= 4, run the few-channel NCHW kernel instead, which has no such term).</summary>
    private const double DirectPerOutput = 0.5e-9;

    /// <summary>Few-channel direct kernel: per group, output row and tile of output channels (packing, weights).</summary>
    private const double FewChannelPerRowTile = 50e-9;

    /// <summary>Every algorithm libkerno may run, in the order ties are broken.</summary>
    public static readonly ConvAlgorithm[] All =
    [
        ConvAlgorithm.Depthwise, ConvAlgorithm.Gemm1x1, ConvAlgorithm.WinogradF4, ConvAlgorithm.WinogradF6,
        ConvAlgorithm.WinogradF2, ConvAlgorithm.Direct, ConvAlgorithm.Im2Col,
    ];

    /// <summary>The cheapest of <paramref name="candidates"/> for plan shape <paramref name="p"/> (N = 1), ties to
    /// the earlier one in <see cref="All"/>; deterministic for a given shape and kernel set.</summary>
    public static ConvAlgorithm Choose(IEnumerable<ConvAlgorithm> candidates, ConvGeometry p, int block, bool blocked = false)
    {
        ConvAlgorithm best = ConvAlgorithm.Auto;
        double bestCost = double.PositiveInfinity;
        foreach (ConvAlgorithm a in All)
        {
            if (!candidates.Contains(a))
                continue;
            double c = Seconds(a, p, block, blocked);
            if (c < bestCost)
                (best, bestCost) = (a, c);
        }
        return best;
    }

    /// <summary>Estimated seconds of algorithm <paramref name="a"/> on plan shape <paramref name="p"/> with NCHWc block
    /// <paramref name="block"/> (16 for AVX-512, 8 for AVX2, 4 for NEON and generic). <paramref name="blocked"/>: input
    /// and output already NCHWc (kerno.BlockedConv), where libkerno runs no GEMM (1x1 and im2col are not candidates:
    /// a blocked 1x1 runs on the direct kernel), there are no reorders, and no few-channel NCHW kernel.</summary>
    public static double Seconds(ConvAlgorithm a, ConvGeometry p, int block, bool blocked = false)
    {
        if (blocked && a is ConvAlgorithm.Gemm1x1 or ConvAlgorithm.Im2Col)
            return double.PositiveInfinity;
        double reorders = blocked ? 0 : 1;
        double b = block, speed = block / 16.0;
        double g = p.Group, cg = p.CPerGroup, kg = p.KPerGroup, taps = (double)p.KH * p.KW;
        double pixels = (double)p.OutH * p.OutW;
        double kBlocked = Math.Ceiling(kg / b) * b, cBlocked = Math.Ceiling(cg / b) * b;
        double inBytes = 4.0 * p.C * p.H * p.W, outBytes = 4.0 * p.K * pixels;
        // The SGEMM's register tile is 32 (AVX-512), 16 (AVX2) or 12 (NEON) pixels wide: a partial last column
        // tile costs a full one (what makes 7x7 maps prefer the direct kernel's 12-pixel tiles).
        int tileN = block switch { 16 => 32, 8 => 16, _ => 12 };
        double gemmWaste = Math.Ceiling(pixels / tileN) * tileN / pixels;
        switch (a)
        {
            case ConvAlgorithm.Direct:
                if (cg <= 4 && !blocked)
                {
                    // Few input channels: libkerno's NCHW kernel vectorised over output pixels (direct_fewc.inc), output
                    // channels in register tiles of 8 (AVX-512) or 4; one padded copy of the input, NCHW output, and
                    // a setup per group, output row and channel tile (what keeps depthwise layers, 1 channel per
                    // group, on the depthwise kernel).
                    double r = block == 16 ? 8 : 4, kTiles = Math.Ceiling(kg / r);
                    return g * 2 * cg * kTiles * r * taps * pixels / (BlockedRate * speed) + (inBytes + outBytes) / ReorderBandwidth
                        + g * p.OutH * kTiles * FewChannelPerRowTile;
                }
                // Reduction over the real input channels, output channels padded to the block; NCHW -> NCHWc both ways.
                return g * 2 * cg * kBlocked * taps * pixels / (BlockedRate * speed)
                    + reorders * 2 * (inBytes + outBytes) / ReorderBandwidth
                    + g * kBlocked * pixels * DirectPerOutput / speed;
            case ConvAlgorithm.Gemm1x1:
            {
                bool copyFree = p.IsPointwise;
                double gather = copyFree ? 0 : 2 * 4 * p.C * pixels / GatherBandwidth;
                if (pixels < 400)
                {
                    // Small maps: libkerno runs Y^T = X^T W^T (the map is the GEMM's M, tiles of 14 / 6 / 8 rows) and
                    // transposes the result back to NCHW.
                    int tileM = block switch { 16 => 14, 8 => 6, _ => 8 };
                    double mWaste = Math.Ceiling(pixels / tileM) * tileM / pixels, nWaste = Math.Ceiling(kg / tileN) * tileN / kg;
                    return g * 2 * cg * kg * pixels * mWaste * nWaste / (GemmRate * speed) + gather + 2 * outBytes / ReorderBandwidth;
                }
                return g * 2 * cg * kg * pixels * gemmWaste / (GemmRate * speed) + gather;
            }
            case ConvAlgorithm.Im2Col:
                return g * 2 * cg * kg * taps * pixels * gemmWaste / (GemmRate * speed)
                    + 2 * 4 * p.C * taps * pixels / GatherBandwidth;
            case ConvAlgorithm.Depthwise:
                return 2 * p.C * taps * pixels / (DepthwiseRate * speed) + reorders * 2 * (inBytes + outBytes) / ReorderBandwidth;
            case ConvAlgorithm.WinogradF2 or ConvAlgorithm.WinogradF4 or ConvAlgorithm.WinogradF6:
            {
                // Batched GEMM over alpha^2 points on (alpha/m)^2 fewer multiplies per output, the input/output
                // transforms per tile, point and channel (an 8x8 transform costs ~2x a 6x6 one), and streaming
                // the transformed weights U (alpha^2/9 times the kernel) from L3 while they fit, else from DRAM:
                // at batch 1 that last term makes small maps with many channels (512 @ 7x7) prefer F(2,3).
                int m = a == ConvAlgorithm.WinogradF2 ? 2 : a == ConvAlgorithm.WinogradF4 ? 4 : 6;
                double transform = m == 2 ? 6e-11 : m == 4 ? 9e-11 : 1.5e-10;
                double a2 = (m + 2.0) * (m + 2);
                double tiles = Math.Ceiling(p.OutH / (double)m) * Math.Ceiling(p.OutW / (double)m);
                double uBytes = a2 * cBlocked * kBlocked * 4;
                return g * (tiles * a2 * cBlocked * kBlocked * 2 / (BlockedRate * speed)
                    + tiles * a2 * (cBlocked + kBlocked) * transform / speed
                    + uBytes / (uBytes <= 24.0 * 1024 * 1024 ? 100e9 : 30e9));
            }
            default:
                return double.PositiveInfinity;
        }
    }
}
