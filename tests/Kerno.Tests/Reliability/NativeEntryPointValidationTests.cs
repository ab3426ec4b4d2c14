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
        "kerno_isa_name", "kerno_debug_live_bytes", "kerno_sgemm_get_blocking", "kerno_nchwc_block",
        // Plan accessors and destructor: their only argument is a plan handle Conv2d owns (never user input).
        "kerno_conv2d_destroy", "kerno_conv2d_algorithm", "kerno_conv2d_output_shape", "kerno_conv2d_packed_size",
        "kerno_conv2d_workspace_size", "kerno_conv2d_pack", "kerno_conv2d_can_run_rows",
        // Only NativeConvStep calls it, on plans it made, with tensors it checked against the plan's geometry and row
        // ranges within [0, OH) (NativeConvRowSplitTests; test_conv.c covers the native range checks).
        "kerno_conv2d_run_rows",
        // libkerno's counted allocator: called by NativeBuffer and Conv2d with sizes computed by Kerno (a plan's
        // packed/workspace size, a planned arena), never with sizes from a model or a caller.
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
            ("kerno_reorder_nchw_to_nchwc", "src too short", () => NnKernels.ReorderToNchwc(A.AsSpan(0, 15), new float[NnKernels.NchwcLength(1, 1, 16)], 1, 1, 4, 4)),
            ("kerno_reorder_nchw_to_nchwc", "h x w overflows int", () => NnKernels.ReorderToNchwc(A, new float[64], 1, 1, 65536, 65536)),
            ("kerno_reorder_nchwc_to_nchw", "negative c", () => NnKernels.ReorderToNchw(A, B, 1, -1, 4, 4)),
            ("kerno_activation", "y shorter than x", () => NnKernels.Activate(A, B.AsSpan(0, 10), Activation.Relu)),
            ("kerno_activation", "unknown activation", () => NnKernels.Activate(A, B, (Activation)42)),
            ("kerno_binary", "shapes do not broadcast", () => NnKernels.Binary(BinaryOp.Add, A.AsSpan(0, 6), [2, 3], B.AsSpan(0, 4), [4], C.AsSpan(0, 6))),
            ("kerno_binary", "a shorter than its shape", () => NnKernels.Binary(BinaryOp.Add, A.AsSpan(0, 5), [2, 3], B.AsSpan(0, 3), [3], C.AsSpan(0, 6))),
            ("kerno_binary", "shape product overflows", () => NnKernels.Binary(BinaryOp.Mul, A, [65536, 65536, 2], B, [1], C)),
            ("kerno_softmax", "axis out of range", () => NnKernels.Softmax(A.AsSpan(0, 6), B.AsSpan(0, 6), [2, 3], 2)),
            ("kerno_softmax", "shape product overflows", () => NnKernels.Softmax(A, B, [65536, 65536, 16], 1)),
            ("kerno_layer_norm", "scale too short", () => NnKernels.LayerNorm(A.AsSpan(0, 8), B.AsSpan(0, 3), default, C.AsSpan(0, 8), 2, 4, 1e-5f)),
            ("kerno_layer_norm", "negative epsilon", () => NnKernels.LayerNorm(A.AsSpan(0, 8), B.AsSpan(0, 4), default, C.AsSpan(0, 8), 2, 4, -1)),
            ("kerno_batch_norm", "variance too short", () => NnKernels.BatchNorm(TensorLayout.Nchw, A.AsSpan(0, 8), C.AsSpan(0, 8), 1, 2, 4, B.AsSpan(0, 2), B.AsSpan(0, 2), B.AsSpan(0, 2), B.AsSpan(0, 1), 1e-5f)),
            ("kerno_batch_norm", "unknown layout", () => NnKernels.BatchNorm((TensorLayout)9, A.AsSpan(0, 8), C.AsSpan(0, 8), 1, 2, 4, B.AsSpan(0, 2), B.AsSpan(0, 2), B.AsSpan(0, 2), B.AsSpan(0, 2), 1e-5f)),
            ("kerno_pool2d", "zero stride", () => NnKernels.Pool2d(PoolKind.Max, TensorLayout.Nchw, A.AsSpan(0, 16), C.AsSpan(0, 4), [1, 1, 4, 4], [1, 1, 2, 2], [2, 2], [0, 2], [0, 0, 0, 0], [1, 1], false)),
            ("kerno_pool2d", "output size wrong", () => NnKernels.Pool2d(PoolKind.Average, TensorLayout.Nchw, A.AsSpan(0, 16), C.AsSpan(0, 9), [1, 1, 4, 4], [1, 1, 3, 3], [2, 2], [2, 2], [0, 0, 0, 0], [1, 1], false)),
            ("kerno_pool2d", "huge dilation", () => NnKernels.Pool2d(PoolKind.Max, TensorLayout.Nchw, A.AsSpan(0, 16), C.AsSpan(0, 4), [1, 1, 4, 4], [1, 1, 2, 2], [65536, 1], [1, 1], [0, 0, 0, 0], [65536, 1], false)),
            ("kerno_global_pool", "spatial 0", () => NnKernels.GlobalPool(PoolKind.Max, TensorLayout.Nchw, A.AsSpan(0, 0), C.AsSpan(0, 2), 1, 2, 0)),
            ("kerno_global_pool", "x too short", () => NnKernels.GlobalPool(PoolKind.Average, TensorLayout.Nchw, A.AsSpan(0, 7), C.AsSpan(0, 2), 1, 2, 4)),
            ("kerno_transpose", "not a permutation", () => NnKernels.Transpose(A.AsSpan(0, 6), C.AsSpan(0, 6), [2, 3], [0, 0])),
            ("kerno_transpose", "y too short", () => NnKernels.Transpose(A.AsSpan(0, 6), C.AsSpan(0, 5), [2, 3], [1, 0])),
            ("kerno_resize2d", "scale NaN", () => NnKernels.Resize2d(ResizeMode.Linear, CoordinateMode.HalfPixel, NearestMode.Floor, A.AsSpan(0, 4), C.AsSpan(0, 16), 1, 2, 2, 4, 4, float.NaN, 2)),
            ("kerno_resize2d", "y too short", () => NnKernels.Resize2d(ResizeMode.Nearest, CoordinateMode.Asymmetric, NearestMode.Floor, A.AsSpan(0, 4), C.AsSpan(0, 15), 1, 2, 2, 4, 4, 2, 2)),
            ("kerno_conv_transpose2d", "group does not divide C", () => NnKernels.ConvTranspose2d(A.AsSpan(0, 48), B.AsSpan(0, 27), default, C, [1, 3, 4, 4], [3, 1, 3, 3], [1, 2, 6, 6], [1, 1], [0, 0, 0, 0], [1, 1], 2)),
            ("kerno_conv_transpose2d", "zero stride", () => NnKernels.ConvTranspose2d(A.AsSpan(0, 16), B.AsSpan(0, 9), default, C.AsSpan(0, 36), [1, 1, 4, 4], [1, 1, 3, 3], [1, 1, 6, 6], [0, 1], [0, 0, 0, 0], [1, 1], 1)),
            ("kerno_conv2d_create", "zero stride", () => new Conv2d(new Conv2dShape(1, 1, 4, 4, 1, 3, 3, StrideH: 0), new float[9], default).Dispose()),
            ("kerno_conv2d_create", "dilated kernel overflows int", () => new Conv2d(new Conv2dShape(1, 1, 4, 4, 1, 65536, 1, DilationH: 65536), new float[65536], default).Dispose()),
            ("kerno_conv2d_create", "weight too short", () => new Conv2d(new Conv2dShape(1, 2, 4, 4, 2, 3, 3), new float[35], default).Dispose()),
            ("kerno_conv2d_create", "padded input overflows int", () => new Conv2d(new Conv2dShape(1, 1, int.MaxValue, 1, 1, 1, 1, PadTop: 1, PadBottom: 1), new float[1], default).Dispose()),
            ("kerno_conv2d_run", "input too short", () => { using var c = new Conv2d(new Conv2dShape(1, 1, 4, 4, 1, 3, 3), new float[9], default); c.Run(A.AsSpan(0, 15), default, C.AsSpan(0, 4)); }),
            ("kerno_conv2d_run", "output too short", () => { using var c = new Conv2d(new Conv2dShape(1, 1, 4, 4, 1, 3, 3), new float[9], default); c.Run(A.AsSpan(0, 16), default, C.AsSpan(0, 3)); }),
            ("kerno_conv2d_run", "residual of the wrong size", () => { using var c = new Conv2d(new Conv2dShape(1, 1, 4, 4, 1, 3, 3), new float[9], default); c.Run(A.AsSpan(0, 16), B.AsSpan(0, 3), C.AsSpan(0, 4)); }),
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
