using System.Reflection;
using Kerno.Interop;
using Kerno.Kernels;

namespace Kerno.Tests.Reliability;

/// <summary>
/// Every native entry point that takes sizes, strides, counts or buffers is reached only through a managed
/// wrapper that validates them first. For each entry point, out-of-range arguments (negative and huge sizes,
/// spans shorter than the sizes say, strides below the row length, int.MaxValue extents) must throw
/// <see cref="ArgumentException"/> from C#: the message must not be the native library's (which starts with the
/// function's name, see <see cref="Native.Check"/>), so the call never reached native code. A new entry point
/// in <see cref="NativeMethods"/> fails <see cref="EveryEntryPointIsCoveredOrExempt"/> until it is added here.
/// </summary>
[Category("Reliability")]
[NonParallelizable]
public class NativeEntryPointValidationTests
{
    private static readonly float[] A = new float[64], B = new float[64], C = new float[64];
    private const int Big = int.MaxValue;

    /// <summary>Entry points without size or buffer arguments (nothing to validate).</summary>
    private static readonly string[] Exempt =
    [
        "kerno_abi_version", "kerno_version_string", "kerno_last_error", "kerno_cpu_features", "kerno_active_isa",
        "kerno_isa_name", "kerno_debug_live_bytes", "kerno_sgemm_get_blocking",
        // Not called from managed code (the native library's own allocator, for its kernels and tests).
        "kerno_aligned_alloc", "kerno_aligned_free",
    ];

    private static byte[] Packed(int n, int k)
    {
        var p = new byte[Sgemm.PackedBSize(n, k)];
        Sgemm.PackB(false, n, k, new float[n * k], n, p);
        return p;
    }

    /// <summary>Per native entry point, calls of its managed wrapper with out-of-range arguments.</summary>
    public static IEnumerable<TestCaseData> BadCalls()
    {
        var p = new SgemmPartition(2, 2, 4);
        (string Entry, string What, TestDelegate Call)[] cases =
        [
            ("kerno_sgemm", "m huge", () => Sgemm.Multiply(false, false, Big, 4, 4, 1, A, 4, B, 4, 0, C, 4)),
            ("kerno_sgemm", "n, k huge", () => Sgemm.Multiply(false, false, 1, Big, Big, 1, A, Big, B, Big, 0, C, Big)),
            ("kerno_sgemm", "negative n", () => Sgemm.Multiply(false, false, 4, -4, 4, 1, A, 4, B, 4, 0, C, 4)),
            ("kerno_sgemm", "ldb < n", () => Sgemm.Multiply(false, false, 4, 4, 4, 1, A, 4, B, 3, 0, C, 4)),
            ("kerno_sgemm", "transposed A too short", () => Sgemm.Multiply(true, false, 8, 4, 9, 1, A, 8, B, 4, 0, C, 4)),
            ("kerno_sgemm", "column bias too short", () => Sgemm.Multiply(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, default, SgemmBias.Column, new float[3])),
            ("kerno_sgemm", "bias kind without bias", () => Sgemm.Multiply(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, default, SgemmBias.Row)),
            ("kerno_sgemm_threaded", "huge k", () => Sgemm.MultiplyThreaded(false, false, 4, 4, Big, 1, A, Big, B, 4, 0, C, 4, 2)),
            ("kerno_sgemm_threaded", "threads 0", () => Sgemm.MultiplyThreaded(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, 0)),
            ("kerno_sgemm_threaded", "threads negative", () => Sgemm.MultiplyThreaded(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, -3)),
            ("kerno_sgemm_partition", "negative k", () => Sgemm.Partition(4, 4, -1, 2)),
            ("kerno_sgemm_partition", "workers huge", () => Sgemm.Partition(4, 4, 4, Big)),
            ("kerno_sgemm_range", "tile end past the grid", () => Sgemm.MultiplyRange(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, p, 0, Big)),
            ("kerno_sgemm_range", "negative tile size", () => Sgemm.MultiplyRange(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C, 4, new SgemmPartition(-2, 2, 4), 0, 1)),
            ("kerno_sgemm_range", "C too short", () => Sgemm.MultiplyRange(false, false, 4, 4, 4, 1, A, 4, B, 4, 0, C.AsSpan(0, 10), 4, p, 0, 1)),
            ("kerno_sgemm_pack_b_size", "negative n", () => Sgemm.PackedBSize(-1, 4)),
            ("kerno_sgemm_pack_b_size", "negative k", () => Sgemm.PackedBSize(4, int.MinValue)),
            ("kerno_sgemm_pack_b", "B too short", () => Sgemm.PackB(true, 8, 8, B.AsSpan(0, 63), 8, new byte[Sgemm.PackedBSize(8, 8)])),
            ("kerno_sgemm_pack_b", "packed too short", () => Sgemm.PackB(false, 4, 4, B, 4, new byte[8])),
            ("kerno_sgemm_pack_b", "huge n", () => Sgemm.PackB(false, Big, 1, B, Big, new byte[64])),
            ("kerno_sgemm_packed", "packed too short", () => Sgemm.MultiplyPacked(false, 4, 4, 4, 1, A, 4, new byte[3], 0, C, 4)),
            ("kerno_sgemm_packed", "huge m", () => Sgemm.MultiplyPacked(false, Big, 4, 4, 1, A, 4, Packed(4, 4), 0, C, 4)),
            ("kerno_sgemm_packed", "lda < k", () => Sgemm.MultiplyPacked(false, 4, 4, 4, 1, A, 2, Packed(4, 4), 0, C, 4)),
            ("kerno_sgemm_packed_range", "tiles reversed", () => Sgemm.MultiplyPackedRange(false, 4, 4, 4, 1, A, 4, Packed(4, 4), 0, C, 4, p, 2, 1)),
            ("kerno_sgemm_packed_range", "huge n", () => Sgemm.MultiplyPackedRange(false, 4, Big, 4, 1, A, 4, Packed(4, 4), 0, C, Big, p, 0, 1)),
            ("kerno_sgemm_set_blocking", "negative nc", () => SgemmTuning.SetBlocking(nc: -5)),
            ("kerno_sgemm_set_blocking", "unknown variant", () => SgemmTuning.SetBlocking(variant: 4)),
            ("kerno_sgemm_set_blocking", "negative variant", () => SgemmTuning.SetBlocking(variant: -1)),
            ("kerno_bench_fma_peak", "seconds 0", () => SgemmTuning.MeasureFmaPeak(KernoRuntimeInfo.ActiveIsa, 0)),
            ("kerno_bench_fma_peak", "seconds NaN", () => SgemmTuning.MeasureFmaPeak(KernoRuntimeInfo.ActiveIsa, double.NaN)),
            ("kerno_bench_fma_peak", "seconds huge", () => SgemmTuning.MeasureFmaPeak(KernoRuntimeInfo.ActiveIsa, 1e300)),
            ("kerno_bench_fma_peak", "unknown isa", () => SgemmTuning.MeasureFmaPeak((KernelIsa)99, 0.1)),
            ("kerno_set_isa", "unknown isa", () => KernoRuntimeInfo.ForceIsa((KernelIsa)(-1))),
        ];
        foreach (var c in cases)
            yield return new TestCaseData(c.Entry, c.Call).SetName($"{c.Entry}({c.What})");
    }

    [TestCaseSource(nameof(BadCalls))]
    public void OutOfRangeArgumentsThrowBeforeTheNativeCall(string entry, TestDelegate call)
    {
        KernelIsa isa = KernoRuntimeInfo.ActiveIsa;
        try
        {
            var e = Assert.Catch<ArgumentException>(call)!;
            Assert.That(e.Message, Does.Not.StartWith("kerno_"), $"{entry}: the native library rejected it, C# did not: {e.Message}");
        }
        finally
        {
            SgemmTuning.SetBlocking();
            KernoRuntimeInfo.ForceIsa(isa);
        }
    }

    [Test]
    public void EveryEntryPointIsCoveredOrExempt()
    {
        var covered = BadCalls().Select(t => (string)t.Arguments[0]!).ToHashSet();
        var entries = typeof(NativeMethods).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(m => m.Name.StartsWith("kerno_", StringComparison.Ordinal)).Select(m => m.Name).Distinct().ToList();
        Assert.That(entries, Is.Not.Empty);
        Assert.That(entries.Where(e => !covered.Contains(e) && !Exempt.Contains(e)), Is.Empty,
            "native entry points without an out-of-range argument test");
    }
}
