using static Kerno.Tests.Reference.Tensors.OpRunner;

namespace Kerno.Tests.Reference.Tensors;

public class NumericOpsTests
{
    private static double[] MatMul(double[] a, double[] b, int n, int k, int m)
    {
        var c = new double[n * m];
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < m; ++j)
                for (int p = 0; p < k; ++p)
                    c[i * m + j] += a[i * k + p] * b[p * m + j];
        return c;
    }

    [Test]
    public void EinsumMatMulTransposeTraceAndImplicit()
    {
        var a = T([2, 3], Range(6));
        var b = T([3, 2], Range(6).Select(v => v - 2).ToArray());
        double[] ab = MatMul(a.ToDoubleArray(), b.ToDoubleArray(), 2, 3, 2);
        AssertClose(Run("Einsum", 12, [a, b], Str("equation", "ij,jk->ik")), [2, 2], ab);
        AssertClose(Run("Einsum", 12, [a, b], Str("equation", "ij,jk")), [2, 2], ab);
        AssertClose(Run("Einsum", 12, [a], Str("equation", "ij->ji")), [3, 2], [0, 3, 1, 4, 2, 5]);
        AssertClose(Run("Einsum", 12, [a], Str("equation", "ji")), [3, 2], [0, 3, 1, 4, 2, 5]);
        var sq = T([3, 3], Range(9));
        AssertClose(Run("Einsum", 12, [sq], Str("equation", "ii")), [], [12]);
        AssertClose(Run("Einsum", 12, [sq], Str("equation", "ii->i")), [3], [0, 4, 8]);
        AssertClose(Run("Einsum", 12, [a], Str("equation", "ij->")), [], [15]);
    }

    [Test]
    public void EinsumEllipsisBroadcastsBatch()
    {
        var a = T([2, 2, 3], Range(12));
        var b = T([3, 1], 1f, 1, 1);
        var r = Run("Einsum", 12, [a, b], Str("equation", "...ij,jk->...ik"));
        AssertClose(r, [2, 2, 1], [3, 12, 21, 30]);
        AssertClose(Run("Einsum", 12, [T([2, 1], 1f, 2), T([2, 3], Range(6))], Str("equation", "ij,ij->ij")), [2, 3], [0, 1, 2, 6, 8, 10]);
        Assert.Throws<KernoModelException>(() => Run("Einsum", 12, [T([1, 3], 1f, 2, 3)], Str("equation", "ii->i")));
        Assert.Throws<KernoModelException>(() => Run("Einsum", 12, [T([2, 2], Range(4)), T([3], 1f, 2, 3)], Str("equation", "ij,j->i")));
        var ints = T([2, 2], 1L, 2, 3, 4);
        AssertTensor<long>(Run("Einsum", 12, [ints, ints], Str("equation", "ij,ij->i")), [2], 5, 25);
    }

    [Test]
    public void ResizeNearestUpsampleAndLinearDownsample()
    {
        var x = T([1, 1, 2, 2], 1f, 2, 3, 4);
        var up = Run("Resize", 19, [x, null, T([4], 1f, 1, 2, 3)], Str("mode", "nearest"));
        AssertTensor(up, [1, 1, 4, 6], 1f, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4);
        var y = T([1, 1, 2, 4], 1f, 2, 3, 4, 5, 6, 7, 8);
        var down = Run("Resize", 19, [y, null, T([4], 1f, 1, 0.6f, 0.6f)], Str("mode", "linear"));
        AssertClose(down, [1, 1, 1, 2], [2.6666667, 4.3333335]);
        var ac = Run("Resize", 13, [x, null, T([4], 1f, 1, 2, 2)], Str("mode", "linear"), Str("coordinate_transformation_mode", "align_corners"));
        AssertClose(ac, [1, 1, 4, 4], [1, 1.333333, 1.666667, 2, 1.666667, 2, 2.333333, 2.666667, 2.333333, 2.666667, 3, 3.333333, 3, 3.333333, 3.666667, 4]);
    }

    [Test]
    public void ResizeSizesWithAspectPolicyAndAxes()
    {
        var x = T([1, 1, 2, 2], 1f, 2, 3, 4);
        var r = Run("Resize", 19, [x, null, null, L(7, 8)], Str("mode", "nearest"), Ints("axes", 2, 3), Str("keep_aspect_ratio_policy", "not_larger"));
        Assert.That(r.Shape.ToArray(), Is.EqualTo(new[] { 1, 1, 7, 7 }));
        r = Run("Resize", 19, [x, null, null, L(7, 8)], Str("mode", "nearest"), Ints("axes", 2, 3), Str("keep_aspect_ratio_policy", "not_smaller"));
        Assert.That(r.Shape.ToArray(), Is.EqualTo(new[] { 1, 1, 8, 8 }));
    }

    [Test]
    public void Resize10NearestTruncatesUpAndRoundsUpDown()
    {
        var y = T([1, 1, 2, 4], 1f, 2, 3, 4, 5, 6, 7, 8);
        AssertTensor(Run("Resize", 10, [y, T([4], 1f, 1, 0.6f, 0.6f)]), [1, 1, 1, 2], 1f, 3);
        var x = T([1, 1, 2, 2], 1f, 2, 3, 4);
        AssertTensor(Run("Resize", 10, [x, T([4], 1f, 1, 1, 3)]), [1, 1, 2, 6], 1f, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4);
    }

    [Test]
    public void UpsampleNearestIsFloorAsymmetric()
    {
        var x = T([1, 1, 2, 2], 1f, 2, 3, 4);
        var r = Run("Upsample", 9, [x, T([4], 1f, 1, 2, 3)], Str("mode", "nearest"));
        AssertTensor(r, [1, 1, 4, 6], 1f, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4);
    }

    [Test]
    public void GridSampleIdentityGridReproducesInput()
    {
        var x = T([1, 1, 2, 3], Range(6));
        var theta = T([1, 2, 3], 1f, 0, 0, 0, 1, 0);
        foreach (int align in new[] { 0, 1 })
        {
            var grid = Run("AffineGrid", 20, [theta, L(1, 1, 2, 3)], Int("align_corners", align));
            Assert.That(grid.Shape.ToArray(), Is.EqualTo(new[] { 1, 2, 3, 2 }));
            foreach (string mode in new[] { "bilinear", "nearest", "bicubic" })
                AssertClose(Run("GridSample", 16, [x, grid], Str("mode", mode), Int("align_corners", align)), [1, 1, 2, 3], x.ToDoubleArray());
        }
    }

    [Test]
    public void GridSamplePaddingModes()
    {
        var x = T([1, 1, 1, 2], 10f, 20f);
        var grid = T([1, 1, 1, 2], 3f, 0f); // far right of the image
        AssertClose(Run("GridSample", 16, [x, grid], Int("align_corners", 1)), [1, 1, 1, 1], [0]);
        AssertClose(Run("GridSample", 16, [x, grid], Int("align_corners", 1), Str("padding_mode", "border")), [1, 1, 1, 1], [20]);
        // x = 3 with align_corners maps to pixel 2, reflected about pixel 1 to pixel 0.
        AssertClose(Run("GridSample", 16, [x, grid], Int("align_corners", 1), Str("padding_mode", "reflection")), [1, 1, 1, 1], [10]);
    }

    [Test]
    public void Col2ImSumsOverlaps()
    {
        // 1 channel, 1-D image of 4 with block 2 and stride 1: 3 positions, columns [[a0 a1 a2], [b0 b1 b2]].
        var x = T([1, 2, 3], 1f, 2, 3, 10, 20, 30);
        AssertClose(Run("Col2Im", 18, [x, L(1, 4), L(1, 2)]), [1, 1, 1, 4], [1, 12, 23, 30]);
    }

    [Test]
    public void DetOfBatch()
    {
        var x = T([2, 2, 2], 1f, 2, 3, 4, 2, 0, 0, 3);
        AssertClose(Run("Det", 11, [x]), [2], [-2, 6]);
        var y = T([3, 3], 0f, 2, 1, 1, 1, 1, 2, 0, 3);
        AssertClose(Run("Det", 11, [y]), [], [-4]);
    }
}
