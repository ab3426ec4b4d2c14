using System.Runtime.InteropServices;

namespace Kerno.Interop;

/// <summary>
/// P/Invoke declarations mirroring <c>bindings/kerno.h</c> one to one (a test parses the header and
/// compares names, parameter counts and types). Callers validate every size before calling in.
/// Type mapping: <c>int32_t</c>/<c>kerno_status</c>=int, <c>uint32_t</c>=uint, <c>int64_t</c>=long,
/// <c>uint64_t</c>=ulong, <c>size_t</c>=nuint, pointers=typed pointers (<c>char*</c>=byte*);
/// a pointer to a <c>kerno_*_t</c> struct is <c>nint</c> (the struct itself is mirrored below under its C name,
/// field by field, and a test compares the two layouts).
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "kerno";

    /// <summary>The ABI versions of libkerno this assembly can call.</summary>
    internal const uint SupportedAbiVersion = 1;

    internal const int KERNO_OK = 0;
    internal const int KERNO_ERR_INVALID_ARGUMENT = 1;
    internal const int KERNO_ERR_OUT_OF_MEMORY = 2;
    internal const int KERNO_ERR_UNSUPPORTED = 3;
    internal const int KERNO_ERR_INTERNAL = 4;

    // ---- library ----
    [LibraryImport(Library, EntryPoint = "kerno_abi_version")]
    internal static partial uint kerno_abi_version();

    [LibraryImport(Library, EntryPoint = "kerno_version_string")]
    internal static partial byte* kerno_version_string();

    [LibraryImport(Library, EntryPoint = "kerno_last_error")]
    internal static partial byte* kerno_last_error();

    // ---- CPU and dispatch ----
    [LibraryImport(Library, EntryPoint = "kerno_cpu_features")]
    internal static partial ulong kerno_cpu_features();

    [LibraryImport(Library, EntryPoint = "kerno_active_isa")]
    internal static partial int kerno_active_isa();

    [LibraryImport(Library, EntryPoint = "kerno_set_isa")]
    internal static partial int kerno_set_isa(int isa);

    [LibraryImport(Library, EntryPoint = "kerno_isa_name")]
    internal static partial byte* kerno_isa_name(int isa);

    // ---- memory ----
    [LibraryImport(Library, EntryPoint = "kerno_aligned_alloc")]
    internal static partial void* kerno_aligned_alloc(nuint size, nuint alignment);

    [LibraryImport(Library, EntryPoint = "kerno_aligned_free")]
    internal static partial void kerno_aligned_free(void* ptr);

    [LibraryImport(Library, EntryPoint = "kerno_debug_live_bytes")]
    internal static partial ulong kerno_debug_live_bytes();

    // ---- SGEMM ----
    internal const int KERNO_ACT_NONE = 0;
    internal const int KERNO_ACT_RELU = 1;
    internal const int KERNO_ACT_CLIP = 2;
    internal const int KERNO_ACT_LEAKY_RELU = 3;
    internal const int KERNO_ACT_SIGMOID = 4;
    internal const int KERNO_ACT_HARD_SWISH = 5;
    internal const int KERNO_ACT_GELU_TANH = 6;
    internal const int KERNO_ACT_SILU = 7;
    internal const int KERNO_BIAS_NONE = 0;
    internal const int KERNO_BIAS_ROW = 1;
    internal const int KERNO_BIAS_COL = 2;

#pragma warning disable IDE1006 // the C names, so the layout test can match them
    /// <summary>Mirror of <c>kerno_sgemm_epilogue_t</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct kerno_sgemm_epilogue_t
    {
        public int activation;
        public int bias_kind;
        public float act_alpha;
        public float act_beta;
        public float* bias;
    }
#pragma warning restore IDE1006

    [LibraryImport(Library, EntryPoint = "kerno_sgemm")]
    internal static partial int kerno_sgemm(int trans_a, int trans_b, nuint m, nuint n, nuint k, float alpha,
        float* a, nuint lda, float* b, nuint ldb, float beta, float* c, nuint ldc, nint epilogue);

    [LibraryImport(Library, EntryPoint = "kerno_sgemm_pack_b_size")]
    internal static partial int kerno_sgemm_pack_b_size(nuint n, nuint k, nuint* size_bytes);

    [LibraryImport(Library, EntryPoint = "kerno_sgemm_pack_b")]
    internal static partial int kerno_sgemm_pack_b(int trans_b, nuint n, nuint k, float* b, nuint ldb,
        void* packed_b, nuint packed_bytes);

    [LibraryImport(Library, EntryPoint = "kerno_sgemm_packed")]
    internal static partial int kerno_sgemm_packed(int trans_a, nuint m, nuint n, nuint k, float alpha, float* a,
        nuint lda, void* packed_b, nuint packed_bytes, float beta, float* c, nuint ldc, nint epilogue);

    [LibraryImport(Library, EntryPoint = "kerno_sgemm_partition")]
    internal static partial int kerno_sgemm_partition(nuint m, nuint n, nuint k, int workers, nuint* tile_m,
        nuint* tile_n, nuint* tile_count);

    [LibraryImport(Library, EntryPoint = "kerno_sgemm_range")]
    internal static partial int kerno_sgemm_range(int trans_a, int trans_b, nuint m, nuint n, nuint k, float alpha,
        float* a, nuint lda, float* b, nuint ldb, float beta, float* c, nuint ldc, nint epilogue, nuint tile_m,
        nuint tile_n, nuint tile_begin, nuint tile_end);

    [LibraryImport(Library, EntryPoint = "kerno_sgemm_packed_range")]
    internal static partial int kerno_sgemm_packed_range(int trans_a, nuint m, nuint n, nuint k, float alpha,
        float* a, nuint lda, void* packed_b, nuint packed_bytes, float beta, float* c, nuint ldc, nint epilogue,
        nuint tile_m, nuint tile_n, nuint tile_begin, nuint tile_end);

    [LibraryImport(Library, EntryPoint = "kerno_sgemm_threaded")]
    internal static partial int kerno_sgemm_threaded(int trans_a, int trans_b, nuint m, nuint n, nuint k,
        float alpha, float* a, nuint lda, float* b, nuint ldb, float beta, float* c, nuint ldc, nint epilogue,
        int threads);

    [LibraryImport(Library, EntryPoint = "kerno_sgemm_get_blocking")]
    internal static partial int kerno_sgemm_get_blocking(nuint* mr, nuint* nr, nuint* mc, nuint* nc, nuint* kc);

    [LibraryImport(Library, EntryPoint = "kerno_sgemm_set_blocking")]
    internal static partial int kerno_sgemm_set_blocking(nuint mc, nuint nc, nuint kc, int variant);

    [LibraryImport(Library, EntryPoint = "kerno_bench_fma_peak")]
    internal static partial int kerno_bench_fma_peak(int isa, double seconds, double* gflops);
}
