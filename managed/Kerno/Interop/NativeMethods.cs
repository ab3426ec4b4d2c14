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

    // ---- convolution and NN kernels ----
    [LibraryImport(Library, EntryPoint = "kerno_nchwc_block")]
    internal static partial int kerno_nchwc_block();

    [LibraryImport(Library, EntryPoint = "kerno_reorder_nchw_to_nchwc")]
    internal static partial int kerno_reorder_nchw_to_nchwc(float* src, float* dst, long n, long c, long h, long w);

    [LibraryImport(Library, EntryPoint = "kerno_reorder_nchwc_to_nchw")]
    internal static partial int kerno_reorder_nchwc_to_nchw(float* src, float* dst, long n, long c, long h, long w);

    [LibraryImport(Library, EntryPoint = "kerno_conv2d_create")]
    internal static partial int kerno_conv2d_create(long* input_shape, long* weight_shape, long* strides, long* pads, long* dilations, long group, int layout, int algorithm, int activation, float alpha, float beta, nint* plan);

    [LibraryImport(Library, EntryPoint = "kerno_conv2d_destroy")]
    internal static partial void kerno_conv2d_destroy(nint plan);

    [LibraryImport(Library, EntryPoint = "kerno_conv2d_algorithm")]
    internal static partial int kerno_conv2d_algorithm(nint plan);

    [LibraryImport(Library, EntryPoint = "kerno_conv2d_output_shape")]
    internal static partial int kerno_conv2d_output_shape(nint plan, long* shape);

    [LibraryImport(Library, EntryPoint = "kerno_conv2d_packed_size")]
    internal static partial nuint kerno_conv2d_packed_size(nint plan);

    [LibraryImport(Library, EntryPoint = "kerno_conv2d_workspace_size")]
    internal static partial nuint kerno_conv2d_workspace_size(nint plan);

    [LibraryImport(Library, EntryPoint = "kerno_conv2d_pack")]
    internal static partial int kerno_conv2d_pack(nint plan, float* weight, float* bias, float* packed, nuint packed_size);

    [LibraryImport(Library, EntryPoint = "kerno_conv2d_run")]
    internal static partial int kerno_conv2d_run(nint plan, float* input, float* packed, float* residual, float* output, void* workspace, nuint workspace_size);

    [LibraryImport(Library, EntryPoint = "kerno_conv2d_can_run_rows")]
    internal static partial int kerno_conv2d_can_run_rows(nint plan);

    [LibraryImport(Library, EntryPoint = "kerno_conv2d_run_rows")]
    internal static partial int kerno_conv2d_run_rows(nint plan, float* input, float* packed, float* residual, float* output, nuint oh_begin, nuint oh_end);

    [LibraryImport(Library, EntryPoint = "kerno_activation")]
    internal static partial int kerno_activation(float* x, float* y, nuint n, int activation, float alpha, float beta);

    [LibraryImport(Library, EntryPoint = "kerno_binary")]
    internal static partial int kerno_binary(int op, float* a, long* a_shape, int a_rank, float* b, long* b_shape, int b_rank, float* y);

    [LibraryImport(Library, EntryPoint = "kerno_softmax")]
    internal static partial int kerno_softmax(float* x, float* y, long outer, long axis_len, long inner, int log_softmax);

    [LibraryImport(Library, EntryPoint = "kerno_layer_norm")]
    internal static partial int kerno_layer_norm(float* x, float* scale, float* bias, float* y, long rows, long cols, float epsilon, float* mean, float* inv_std);

    [LibraryImport(Library, EntryPoint = "kerno_batch_norm")]
    internal static partial int kerno_batch_norm(int layout, float* x, float* y, long n, long c, long spatial, float* scale, float* bias, float* mean, float* var, float epsilon, int activation, float alpha, float beta);

    [LibraryImport(Library, EntryPoint = "kerno_pool2d")]
    internal static partial int kerno_pool2d(int kind, int layout, float* x, float* y, long* input_shape, long* output_shape, long* kernel, long* strides, long* pads, long* dilations, int count_include_pad);

    [LibraryImport(Library, EntryPoint = "kerno_global_pool")]
    internal static partial int kerno_global_pool(int kind, int layout, float* x, float* y, long n, long c, long spatial);

    [LibraryImport(Library, EntryPoint = "kerno_transpose")]
    internal static partial int kerno_transpose(float* x, float* y, long* shape, long* perm, int rank);

    [LibraryImport(Library, EntryPoint = "kerno_resize2d")]
    internal static partial int kerno_resize2d(int mode, int coordinate_mode, int nearest_mode, float* x, float* y, long nc, long h, long w, long oh, long ow, float scale_h, float scale_w);

    [LibraryImport(Library, EntryPoint = "kerno_conv_transpose2d")]
    internal static partial int kerno_conv_transpose2d(float* x, float* weight, float* bias, float* y, long* input_shape, long* weight_shape, long* output_shape, long* strides, long* pads, long* dilations, long group);
}
