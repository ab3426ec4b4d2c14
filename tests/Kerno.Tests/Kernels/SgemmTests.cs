using Kerno.Kernels;

namespace Kerno.Tests.Kernels;

/// <summary>
/// Sgemm through every kernel set this CPU runs (forced with <see cref="KernoRuntimeInfo.ForceIsa"/>), and the
/// kernels' C twins, against a plain C# triple loop. Inputs are small integers, so everything but the smooth
/// activations is exact; argument checks are tested per entry point.
/// </summary>
[NonParallelizable]
public class SgemmTests
{
    private KernelIsa _saved;

    [SetUp]
    public void SaveIsa() => _saved = KernoRuntimeInfo.ActiveIsa;

    [TearDown]
    public void RestoreIsa()
    {
        SgemmTuning.SetBlocking();
        KernoRuntimeInfo.ForceIsa(_saved);
    }

    private static IEnumerable<KernelIsa> SupportedIsas()
    {
        foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
        {
            bool ok;
            try
            {
                KernoRuntimeInfo.ForceIsa(isa);
                ok = true;
            }
            catch (NotSupportedException)
            {
                ok = false;
            }
            if (ok)
                yield return isa;
        }
    }

    private static float[] Ints(Random r, int count, int lo, int hi)
    {
        var v = new float[count];
        for (int i = 0; i < v.Length; ++i)
            v[i] = r.Next(lo, hi + 1);
        return v;
    }

    private static double Act(double x, SgemmEpilogue e) => e.Activation switch
    {
        SgemmActivation.Relu => Math.Max(x, 0),
        SgemmActivation.Clip => Math.Min(Math.Max(x, e.Alpha), e.Beta),
        SgemmActivation.LeakyRelu => x >= 0 ? x : x * e.Alpha,
        SgemmActivation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        SgemmActivation.HardSwish => x * Math.Clamp(x / 6 + 0.5, 0, 1),
        SgemmActivation.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        SgemmActivation.Silu => x / (1 + Math.Exp(-x)),
        _ => x,
    };

    /// <summary>The plain reference: C = act(alpha op(A) op(B) + beta C + bias).</summary>
    private static float[] Reference(bool ta, bool tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b,
        int ldb, float beta, float[] c, int ldc, SgemmEpilogue e, SgemmBias biasKind, float[]? bias)
    {
        var r = (float[])c.Clone();
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j)
            {
                double acc = 0;
                for (int p = 0; p < k; ++p)
                    acc += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                double v = k > 0 ? alpha * acc : 0;
                if (beta != 0)
                    v += beta * (double)c[i * ldc + j];
                if (biasKind == SgemmBias.Row) v += bias![i];
                if (biasKind == SgemmBias.Column) v += bias![j];
                r[i * ldc + j] = (float)Act((float)v, e);
            }
        return r;
    }

    private static bool Exact(SgemmActivation a) =>
        a is SgemmActivation.None or SgemmActivation.Relu or SgemmActivation.Clip or SgemmActivation.LeakyRelu;

    private static void AssertClose(float[] got, float[] want, SgemmActivation act, string what)
    {
        for (int i = 0; i < want.Length; ++i)
        {
            bool ok = Exact(act) ? got[i] == want[i] : Math.Abs(got[i] - want[i]) <= 1e-5 * Math.Abs(want[i]) + 2e-6;
            if (!ok)
                Assert.Fail($"{what}: element {i} is {got[i]:R}, expected {want[i]:R}");
        }
    }

    private static readonly (int M, int N, int K, bool Ta, bool Tb, int Pad)[] Shapes =
    {
        (1, 1, 1, false, false, 0), (3, 5, 7, true, false, 1), (14, 32, 64, false, true, 0), (15, 33, 65, true, true, 2),
        (29, 65, 200, false, false, 3), (64, 17, 513, true, false, 0), (100, 100, 100, false, true, 1), (1, 130, 300, false, false, 0),
        (200, 1, 50, true, true, 0), (37, 48, 0, false, false, 1),
    };

    [Test]
    public void MultiplyMatchesReferenceOnEveryIsaAndTwin()
    {
        var r = new Random(1);
        var checkedPaths = new List<string>();
        foreach (KernelIsa isa in SupportedIsas().ToList())
        {
            KernoRuntimeInfo.ForceIsa(isa);
            for (int variant = 0; variant <= 3; ++variant)
            {
                SgemmTuning.SetBlocking(variant: variant);
                foreach (var (m, n, k, ta, tb, pad) in Shapes)
                {
                    int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
                    float[] a = Ints(r, Math.Max(1, (ta ? k : m) * lda), -3, 3), b = Ints(r, Math.Max(1, (tb ? n : k) * ldb), -3, 3);
                    float[] c = Ints(r, m * ldc, -8, 8);
                    float alpha = 2, beta = -1;
                    float[] want = Reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, default, SgemmBias.None, null);
                    Sgemm.Multiply(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                    AssertClose(c, want, SgemmActivation.None, $"{isa} variant {variant} {m}x{n}x{k} ta={ta} tb={tb}");
                }
                checkedPaths.Add($"{isa}/{variant}");
            }
        }
        Assert.That(checkedPaths, Does.Contain("Generic/0"));
        TestContext.Out.WriteLine("paths: " + string.Join(", ", checkedPaths));
    }

    [Test]
    public void EveryEpilogueMatchesReference()
    {
        var r = new Random(2);
        SgemmEpilogue[] epilogues =
        {
            SgemmEpilogue.None, SgemmEpilogue.Relu, SgemmEpilogue.Clip(0, 6), SgemmEpilogue.LeakyRelu(0.25f),
            new(SgemmActivation.Sigmoid), new(SgemmActivation.HardSwish), new(SgemmActivation.GeluTanh), new(SgemmActivation.Silu),
        };
        foreach (KernelIsa isa in SupportedIsas().ToList())
        {
            KernoRuntimeInfo.ForceIsa(isa);
            foreach (SgemmEpilogue e in epilogues)
                foreach (SgemmBias bk in Enum.GetValues<SgemmBias>())
                {
                    int m = 31, n = 45, k = 9;
                    float[] a = Ints(r, m * k, -2, 2), b = Ints(r, k * n, -2, 2), c = Ints(r, m * n, -4, 4);
                    float[] bias = Ints(r, bk == SgemmBias.Row ? m : n, -3, 3);
                    float[] want = Reference(false, false, m, n, k, 1, a, k, b, n, 0.5f, c, n, e, bk, bias);
                    Sgemm.Multiply(false, false, m, n, k, 1, a, k, b, n, 0.5f, c, n, e, bk, bias);
                    AssertClose(c, want, e.Activation, $"{isa} {e} bias {bk}");
                }
        }
    }

    [Test]
    public void BetaZeroDoesNotReadC()
    {
        foreach (KernelIsa isa in SupportedIsas().ToList())
        {
            KernoRuntimeInfo.ForceIsa(isa);
            var r = new Random(3);
            int m = 19, n = 37, k = 23;
            float[] a = Ints(r, m * k, -3, 3), b = Ints(r, k * n, -3, 3), c = Enumerable.Repeat(float.NaN, m * n).ToArray();
            float[] want = Reference(false, false, m, n, k, 1, a, k, b, n, 0, new float[m * n], n, default, SgemmBias.None, null);
            Sgemm.Multiply(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
            AssertClose(c, want, SgemmActivation.None, isa.ToString());
        }
    }

    [Test]
    public void PackedRangeAndThreadedMatchTheReference()
    {
        var r = new Random(4);
        foreach (KernelIsa isa in SupportedIsas().ToList())
        {
            KernoRuntimeInfo.ForceIsa(isa);
            foreach (var (m, n, k, ta, tb) in new[] { (130, 150, 300, false, false), (67, 250, 90, true, true), (5, 400, 33, false, true) })
            {
                int lda = ta ? m : k, ldb = tb ? k : n;
                float[] a = Ints(r, m * k, -3, 3), b = Ints(r, k * n, -3, 3), c0 = Ints(r, m * n, -8, 8), bias = Ints(r, n, -3, 3);
                float[] want = Reference(ta, tb, m, n, k, 1, a, lda, b, ldb, 1, c0, n, SgemmEpilogue.Relu, SgemmBias.Column, bias);
                string what = $"{isa} {m}x{n}x{k}";

                byte[] packed = new byte[Sgemm.PackedBSize(n, k)];
                Sgemm.PackB(tb, n, k, b, ldb, packed);
                float[] c = (float[])c0.Clone();
                Sgemm.MultiplyPacked(ta, m, n, k, 1, a, lda, packed, 1, c, n, SgemmEpilogue.Relu, SgemmBias.Column, bias);
                AssertClose(c, want, SgemmActivation.Relu, "packed " + what);

                SgemmPartition p = Sgemm.Partition(m, n, k, 3);
                Assert.That(p.TileCount, Is.InRange(1, 3));
                c = (float[])c0.Clone();
                for (int t = p.TileCount - 1; t >= 0; --t)
                    Sgemm.MultiplyRange(ta, tb, m, n, k, 1, a, lda, b, ldb, 1, c, n, p, t, t + 1, SgemmEpilogue.Relu, SgemmBias.Column, bias);
                AssertClose(c, want, SgemmActivation.Relu, "range " + what);

                c = (float[])c0.Clone();
                Parallel.For(0, p.TileCount, t =>
                    Sgemm.MultiplyPackedRange(ta, m, n, k, 1, a, lda, packed, 1, c, n, p, t, t + 1, SgemmEpilogue.Relu, SgemmBias.Column, bias));
                AssertClose(c, want, SgemmActivation.Relu, "packed range " + what);

                c = (float[])c0.Clone();
                Sgemm.MultiplyThreaded(ta, tb, m, n, k, 1, a, lda, b, ldb, 1, c, n, 2, SgemmEpilogue.Relu, SgemmBias.Column, bias);
                AssertClose(c, want, SgemmActivation.Relu, "threaded " + what);
            }
        }
    }

    [Test]
    public void PackedBIsTiedToItsKernelSet()
    {
        var isas = SupportedIsas().ToList();
        if (isas.Count < 2)
            Assert.Ignore("only one kernel set on this CPU");
        KernoRuntimeInfo.ForceIsa(isas[^1]);
        float[] a = new float[4 * 8], b = new float[8 * 40], c = new float[4 * 40];
        byte[] packed = new byte[Sgemm.PackedBSize(40, 8)];
        Sgemm.PackB(false, 40, 8, b, 40, packed);
        KernoRuntimeInfo.ForceIsa(KernelIsa.Generic);
        var ex = Assert.Throws<ArgumentException>(() => Sgemm.MultiplyPacked(false, 4, 40, 8, 1, a, 8, packed, 0, c, 40));
        Assert.That(ex!.Message, Does.Contain("pack").IgnoreCase);
    }

    // ---- argument validation: one test per entry point ----
    private static readonly float[] A = new float[64], B = new float[64], C = new float[64];

    [Test]
    public void MultiplyRejectsOutOfRangeArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(false, false, -1, 2, 2, 1, A, 2, B, 2, 0, C, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(false, false, 2, 2, -2, 1, A, 2, B, 2, 0, C, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(false, false, 2, 2, 3, 1, A, 2, B, 2, 0, C, 2)); // lda < k
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(false, true, 2, 4, 3, 1, A, 3, B, 2, 0, C, 4)); // ldb < k
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(false, false, 2, 4, 3, 1, A, 3, B, 4, 0, C, 3)); // ldc < n
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(false, false, 9, 8, 8, 1, A, 8, B, 8, 0, C, 8)); // A too short
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(false, false, 8, 8, 9, 1, new float[8 * 9], 9, B, 8, 0, C, 8)); // B too short
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C.AsSpan(0, 15), 4)); // C too short
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, SgemmEpilogue.Clip(2, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, new SgemmEpilogue((SgemmActivation)42)));
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, default, SgemmBias.Row, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, default, (SgemmBias)5, new float[4]));
        Assert.DoesNotThrow(() => Sgemm.Multiply(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, default, SgemmBias.Column, new float[4]));
    }

    [Test]
    public void MultiplyThreadedRejectsOutOfRangeArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.MultiplyThreaded(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.MultiplyThreaded(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, 1000));
        Assert.Throws<ArgumentException>(() => Sgemm.MultiplyThreaded(false, false, 4, 4, 17, 1, A, 17, B, 4, 0, C, 4, 2));
    }

    [Test]
    public void PartitionRejectsOutOfRangeArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Partition(-1, 4, 4, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Partition(4, 4, 4, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Partition(4, 4, 4, 5000));
        SgemmPartition p = Sgemm.Partition(1024, 1024, 1024, 2);
        Assert.That(p.TileCount, Is.EqualTo(2));
    }

    [Test]
    public void MultiplyRangeRejectsOutOfRangeArguments()
    {
        var p = new SgemmPartition(2, 2, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.MultiplyRange(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, p, 0, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.MultiplyRange(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, p, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.MultiplyRange(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, p, 3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.MultiplyRange(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, new SgemmPartition(0, 2, 4), 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.MultiplyRange(false, false, 4, 4, 4, 1, A, 3, B, 4, 0, C, 4, p, 0, 1));
        Assert.DoesNotThrow(() => Sgemm.MultiplyRange(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, p, 0, 4));
    }

    [Test]
    public void PackBRejectsOutOfRangeArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.PackedBSize(-1, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.PackedBSize(4, -1));
        long size = Sgemm.PackedBSize(4, 4);
        Assert.Throws<ArgumentException>(() => Sgemm.PackB(false, 4, 4, B, 4, new byte[size - 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.PackB(false, 4, 4, B, 3, new byte[size]));
        Assert.Throws<ArgumentException>(() => Sgemm.PackB(false, 8, 9, B, 8, new byte[Sgemm.PackedBSize(8, 9)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.PackB(false, -4, 4, B, 4, new byte[size]));
    }

    [Test]
    public void MultiplyPackedRejectsOutOfRangeArguments()
    {
        byte[] packed = new byte[Sgemm.PackedBSize(4, 4)];
        Sgemm.PackB(false, 4, 4, B, 4, packed);
        Assert.DoesNotThrow(() => Sgemm.MultiplyPacked(false, 4, 4, 4, 1, A, 4, packed, 0, C, 4));
        Assert.Throws<ArgumentException>(() => Sgemm.MultiplyPacked(false, 4, 4, 4, 1, A, 4, packed.AsSpan(0, packed.Length - 1), 0, C, 4));
        Assert.Throws<ArgumentException>(() => Sgemm.MultiplyPacked(false, 4, 4, 3, 1, A, 4, packed, 0, C, 4)); // other shape
        Assert.Throws<ArgumentException>(() => Sgemm.MultiplyPacked(false, 4, 4, 4, 1, A, 4, new byte[packed.Length], 0, C, 4)); // not packed
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.MultiplyPacked(false, 4, 4, 4, 1, A, 4, packed, 0, C, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.MultiplyPacked(false, -4, 4, 4, 1, A, 4, packed, 0, C, 4));
    }

    [Test]
    public void MultiplyPackedRangeRejectsOutOfRangeArguments()
    {
        byte[] packed = new byte[Sgemm.PackedBSize(4, 4)];
        Sgemm.PackB(false, 4, 4, B, 4, packed);
        SgemmPartition p = Sgemm.Partition(4, 4, 4, 2);
        Assert.DoesNotThrow(() => Sgemm.MultiplyPackedRange(false, 4, 4, 4, 1, A, 4, packed, 0, C, 4, p, 0, p.TileCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.MultiplyPackedRange(false, 4, 4, 4, 1, A, 4, packed, 0, C, 4, p, 0, p.TileCount + 1));
        Assert.Throws<ArgumentException>(() => Sgemm.MultiplyPackedRange(false, 4, 4, 4, 1, A, 4, packed.AsSpan(0, 10), 0, C, 4, p, 0, 1));
        Assert.Throws<ArgumentException>(() => Sgemm.MultiplyPackedRange(false, 4, 4, 4, 1, A.AsSpan(0, 15), 4, packed, 0, C, 4, p, 0, 1));
    }

    [Test]
    public void TuningRejectsOutOfRangeArgumentsAndReportsBlocking()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SgemmTuning.SetBlocking(mc: -1));
        Assert.Throws<ArgumentException>(() => SgemmTuning.SetBlocking(variant: 7));
        var (mr, nr, mc, nc, kc) = SgemmTuning.Blocking;
        Assert.That(mr, Is.GreaterThan(0));
        Assert.That(mc % mr, Is.Zero);
        Assert.That(nc % nr, Is.Zero);
        Assert.That(kc, Is.GreaterThan(0));
    }

    [Test]
    public void FmaPeakIsMeasurableForTheActiveIsa()
    {
        if (KernoRuntimeInfo.ActiveIsa == KernelIsa.Generic)
            Assert.Ignore("no FMA probe for the generic kernels");
        Assert.That(SgemmTuning.MeasureFmaPeak(KernoRuntimeInfo.ActiveIsa, 0.05), Is.GreaterThan(1.0));
        Assert.Throws<NotSupportedException>(() => SgemmTuning.MeasureFmaPeak(KernelIsa.Generic, 0.05));
    }
}
