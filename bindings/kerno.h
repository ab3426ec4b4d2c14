/*
 * kerno.h - the C ABI of libkerno, Kerno's native kernel library.
 *
 * Rules of this header (a managed test parses it, keep them):
 *   - every exported function is declared on lines starting with KERNO_API and ends with ");"
 *   - only fixed-width integers, size_t, float, double, kerno_status, and pointers to those or void/char;
 *     structs are passed by pointer only, named kerno_*_t (C# sees nint and mirrors the layout)
 *   - callers validate sizes; native code still rejects what it cannot handle with a status code
 * The ABI version changes whenever a declaration here changes incompatibly.
 */
#ifndef KERNO_H
#define KERNO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(KERNO_BUILDING)
#    define KERNO_API __declspec(dllexport)
#  else
#    define KERNO_API __declspec(dllimport)
#  endif
#else
#  define KERNO_API __attribute__((visibility("default")))
#endif

#define KERNO_ABI_VERSION 1

typedef int32_t kerno_status;
#define KERNO_OK                    0
#define KERNO_ERR_INVALID_ARGUMENT  1
#define KERNO_ERR_OUT_OF_MEMORY     2
#define KERNO_ERR_UNSUPPORTED       3
#define KERNO_ERR_INTERNAL          4

/* CPU feature bits returned by kerno_cpu_features(). */
#define KERNO_CPU_X86_AVX        (1ull << 0)
#define KERNO_CPU_X86_FMA        (1ull << 1)
#define KERNO_CPU_X86_AVX2       (1ull << 2)
#define KERNO_CPU_X86_F16C       (1ull << 3)
#define KERNO_CPU_X86_AVX512F    (1ull << 4)
#define KERNO_CPU_X86_AVX512DQ   (1ull << 5)
#define KERNO_CPU_X86_AVX512BW   (1ull << 6)
#define KERNO_CPU_X86_AVX512VL   (1ull << 7)
#define KERNO_CPU_X86_AVX512VNNI (1ull << 8)
#define KERNO_CPU_X86_AVX512BF16 (1ull << 9)
#define KERNO_CPU_X86_AVXVNNI    (1ull << 10)
#define KERNO_CPU_ARM_NEON       (1ull << 32)
#define KERNO_CPU_ARM_FP16       (1ull << 33)
#define KERNO_CPU_ARM_DOTPROD    (1ull << 34)
#define KERNO_CPU_ARM_I8MM       (1ull << 35)
#define KERNO_CPU_ARM_BF16       (1ull << 36)
#define KERNO_CPU_ARM_SVE        (1ull << 37)

/* Kernel sets (ISA paths). KERNO_ISA=generic|avx2|avx512|neon in the environment forces one. */
#define KERNO_ISA_GENERIC 0
#define KERNO_ISA_AVX2    1
#define KERNO_ISA_AVX512  2
#define KERNO_ISA_NEON    3

/* ---- library ------------------------------------------------------------------------------- */
KERNO_API uint32_t kerno_abi_version(void);
KERNO_API const char* kerno_version_string(void);
/* Message of the last failed call on this thread ("" when none). Valid until the next call. */
KERNO_API const char* kerno_last_error(void);

/* ---- CPU and dispatch ---------------------------------------------------------------------- */
KERNO_API uint64_t kerno_cpu_features(void);
/* The kernel set in use (KERNO_ISA_*): the best the CPU supports, unless forced. */
KERNO_API int32_t kerno_active_isa(void);
/* Forces a kernel set; KERNO_ERR_UNSUPPORTED when this CPU or build cannot run it. */
KERNO_API kerno_status kerno_set_isa(int32_t isa);
KERNO_API const char* kerno_isa_name(int32_t isa);

/* ---- memory -------------------------------------------------------------------------------- */
/* alignment: a power of two >= sizeof(void*); returns NULL (and sets the last error) on failure. */
KERNO_API void* kerno_aligned_alloc(size_t size, size_t alignment);
KERNO_API void kerno_aligned_free(void* ptr);
/* Bytes currently allocated through kerno_aligned_alloc (for leak tests). */
KERNO_API uint64_t kerno_debug_live_bytes(void);

/* ---- SGEMM ----------------------------------------------------------------------------------
 * Row-major single-precision GEMM with a fused epilogue:
 *     C = act(alpha * op(A) * op(B) + beta * C + bias)
 * op(A) is m x k (A is m x k with lda >= k, or, with trans_a = 1, k x m with lda >= m);
 * op(B) is k x n (B is k x n with ldb >= n, or, with trans_b = 1, n x k with ldb >= k); C is m x n, ldc >= n.
 * trans_a / trans_b are 0 or 1. beta = 0 means C is not read (it may hold NaN). k = 0 gives act(beta*C + bias).
 * bias (optional) has m floats (KERNO_BIAS_ROW, one per row of C) or n floats (KERNO_BIAS_COL).
 * The epilogue pointer may be NULL (no bias, no activation). Activation parameters:
 *   KERNO_ACT_CLIP: act_alpha = min, act_beta = max (ReLU6 is Clip(0, 6));  KERNO_ACT_LEAKY_RELU: act_alpha = slope;
 *   KERNO_ACT_GELU_TANH: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)));  KERNO_ACT_HARD_SWISH: x * clip(x/6 + 1/2, 0, 1).
 * Kernels are chosen by kerno_active_isa(); a packed B is tied to the kernel set it was packed for. */
#define KERNO_ACT_NONE        0
#define KERNO_ACT_RELU        1
#define KERNO_ACT_CLIP        2
#define KERNO_ACT_LEAKY_RELU  3
#define KERNO_ACT_SIGMOID     4
#define KERNO_ACT_HARD_SWISH  5
#define KERNO_ACT_GELU_TANH   6
#define KERNO_ACT_SILU        7

#define KERNO_BIAS_NONE 0
#define KERNO_BIAS_ROW  1
#define KERNO_BIAS_COL  2

/* Passed by pointer (C# mirrors the layout: 4 x 4-byte fields, then a pointer). */
typedef struct kerno_sgemm_epilogue_t {
    int32_t activation;  /* KERNO_ACT_* */
    int32_t bias_kind;   /* KERNO_BIAS_* */
    float act_alpha;     /* Clip min, LeakyReLU slope */
    float act_beta;      /* Clip max */
    const float* bias;   /* m or n floats; NULL when bias_kind is KERNO_BIAS_NONE */
} kerno_sgemm_epilogue_t;

KERNO_API kerno_status kerno_sgemm(int32_t trans_a, int32_t trans_b, size_t m, size_t n, size_t k, float alpha,
                                   const float* a, size_t lda, const float* b, size_t ldb, float beta, float* c,
                                   size_t ldc, const kerno_sgemm_epilogue_t* epilogue);

/* Pre-packed B (weights): the byte size of op(B) (k x n) packed for the active kernel set, packing into a caller
 * buffer (any alignment; 64 bytes is best), and GEMM with it. The buffer records its shape and kernel set;
 * kerno_sgemm_packed* reject a buffer packed for another shape or kernel set. */
KERNO_API kerno_status kerno_sgemm_pack_b_size(size_t n, size_t k, size_t* size_bytes);
KERNO_API kerno_status kerno_sgemm_pack_b(int32_t trans_b, size_t n, size_t k, const float* b, size_t ldb,
                                          void* packed_b, size_t packed_bytes);
KERNO_API kerno_status kerno_sgemm_packed(int32_t trans_a, size_t m, size_t n, size_t k, float alpha, const float* a,
                                          size_t lda, const void* packed_b, size_t packed_bytes, float beta, float* c,
                                          size_t ldc, const kerno_sgemm_epilogue_t* epilogue);

/* Threads: kerno_sgemm_partition splits C into a grid of at most `workers` tiles (tile_m x tile_n elements,
 * the last row/column of tiles smaller); tiles are numbered row-major over the grid. Each worker then calls a
 * *_range function with the same arguments and its own [tile_begin, tile_end); distinct tiles write distinct
 * parts of C, so workers need no locking. */
KERNO_API kerno_status kerno_sgemm_partition(size_t m, size_t n, size_t k, int32_t workers, size_t* tile_m,
                                             size_t* tile_n, size_t* tile_count);
KERNO_API kerno_status kerno_sgemm_range(int32_t trans_a, int32_t trans_b, size_t m, size_t n, size_t k, float alpha,
                                         const float* a, size_t lda, const float* b, size_t ldb, float beta, float* c,
                                         size_t ldc, const kerno_sgemm_epilogue_t* epilogue, size_t tile_m,
                                         size_t tile_n, size_t tile_begin, size_t tile_end);
KERNO_API kerno_status kerno_sgemm_packed_range(int32_t trans_a, size_t m, size_t n, size_t k, float alpha,
                                                const float* a, size_t lda, const void* packed_b, size_t packed_bytes,
                                                float beta, float* c, size_t ldc,
                                                const kerno_sgemm_epilogue_t* epilogue, size_t tile_m, size_t tile_n,
                                                size_t tile_begin, size_t tile_end);
/* Convenience for benchmarks and tools: partitions for `threads` and runs the tiles on that many pthreads. */
KERNO_API kerno_status kerno_sgemm_threaded(int32_t trans_a, int32_t trans_b, size_t m, size_t n, size_t k,
                                            float alpha, const float* a, size_t lda, const float* b, size_t ldb,
                                            float beta, float* c, size_t ldc, const kerno_sgemm_epilogue_t* epilogue,
                                            int32_t threads);

/* Tuning and test hooks (process-wide, not thread-safe; call before starting GEMMs). The blocking of the
 * active kernel set: MR x NR register tile, MC/NC/KC cache blocks. kerno_sgemm_set_blocking overrides MC/NC/KC
 * (0 keeps the automatic value; all 0 restores the defaults; MC/NC are rounded up to MR/NR);
 * variant bit 0 runs the C/intrinsics twins of the assembly micro-kernels, bit 1 turns off the small-M path
 * (GEMV-like shapes read B unpacked), so tests reach every kernel. */
KERNO_API kerno_status kerno_sgemm_get_blocking(size_t* mr, size_t* nr, size_t* mc, size_t* nc, size_t* kc);
KERNO_API kerno_status kerno_sgemm_set_blocking(size_t mc, size_t nc, size_t kc, int32_t variant);

/* Benchmark helper: measures this core's FP32 FMA throughput with the given kernel set's widest vectors
 * for about `seconds`, in GFLOPS (2 flops per lane per FMA), timed by the calling thread's CPU-time clock
 * (time slices taken by other processes do not count). */
KERNO_API kerno_status kerno_bench_fma_peak(int32_t isa, double seconds, double* gflops);
/* ---- convolution and NN kernels (fp32) ------------------------------------------------------------
 * Layouts: KERNO_LAYOUT_NCHW is ONNX's; KERNO_LAYOUT_NCHWC is blocked [N][ceil(C/b)][H][W][b] with
 * b = kerno_nchwc_block() of the kernel set active when the plan or call is made (16 AVX-512, 8 AVX2,
 * 4 NEON and generic); channels past C are zero. */
#define KERNO_LAYOUT_NCHW  0
#define KERNO_LAYOUT_NCHWC 1

/* Convolutions and NN kernels fuse the same activations as SGEMM (KERNO_ACT_* above):
 * y = act(conv + bias [+ residual]). */

/* Convolution algorithms (kerno_conv2d_create's `algorithm`; AUTO lets the plan choose). */
#define KERNO_CONV_AUTO         0
#define KERNO_CONV_IM2COL       1 /* im2col + packed SGEMM: any geometry */
#define KERNO_CONV_GEMM_1X1     2 /* 1x1 as GEMM */
#define KERNO_CONV_WINOGRAD_F2  3 /* Winograd F(2x2,3x3): 3x3, stride 1, dilation 1 */
#define KERNO_CONV_WINOGRAD_F4  4 /* Winograd F(4x4,3x3) */
#define KERNO_CONV_WINOGRAD_F6  5 /* Winograd F(6x6,3x3) */
#define KERNO_CONV_DIRECT       6 /* direct NCHWc kernel: any geometry */
#define KERNO_CONV_DEPTHWISE    7 /* group == C == K */

typedef struct kerno_conv2d kerno_conv2d_t;

/* The NCHWc channel block of the active kernel set. */
KERNO_API int32_t kerno_nchwc_block(void);
/* NCHW [n][c][h][w] <-> NCHWc [n][ceil(c/b)][h][w][b] with b = kerno_nchwc_block(). */
KERNO_API kerno_status kerno_reorder_nchw_to_nchwc(const float* src, float* dst, int64_t n, int64_t c, int64_t h, int64_t w);
KERNO_API kerno_status kerno_reorder_nchwc_to_nchw(const float* src, float* dst, int64_t n, int64_t c, int64_t h, int64_t w);

/* A 2-D convolution plan (ONNX Conv semantics). input_shape = {N, C, H, W}; weight_shape = {K, C/group,
 * kh, kw}; strides = {sh, sw}; pads = {top, left, bottom, right}; dilations = {dh, dw}. The plan fixes
 * the kernel set active at creation. Plans are immutable: one plan may run on many threads at once, each
 * with its own workspace. */
KERNO_API kerno_status kerno_conv2d_create(const int64_t* input_shape, const int64_t* weight_shape, const int64_t* strides, const int64_t* pads, const int64_t* dilations, int64_t group, int32_t layout, int32_t algorithm, int32_t activation, float alpha, float beta, kerno_conv2d_t** plan);
KERNO_API void kerno_conv2d_destroy(kerno_conv2d_t* plan);
/* The algorithm the plan runs (KERNO_CONV_*), never AUTO. */
KERNO_API int32_t kerno_conv2d_algorithm(const kerno_conv2d_t* plan);
/* Output shape {N, K, OH, OW} (logical, unblocked). */
KERNO_API kerno_status kerno_conv2d_output_shape(const kerno_conv2d_t* plan, int64_t* shape);
/* Bytes of the packed (pre-transformed) weights and bias, and of the per-call workspace. */
KERNO_API size_t kerno_conv2d_packed_size(const kerno_conv2d_t* plan);
KERNO_API size_t kerno_conv2d_workspace_size(const kerno_conv2d_t* plan);
/* Packs (for Winograd: transforms) weight [K][C/group][kh][kw] and bias [K] (may be NULL) into `packed`,
 * 64-byte aligned, packed_size >= kerno_conv2d_packed_size(). Done once per model load. */
KERNO_API kerno_status kerno_conv2d_pack(const kerno_conv2d_t* plan, const float* weight, const float* bias, float* packed, size_t packed_size);
/* output = act(conv(input) + bias + residual); residual (shaped like output, may be NULL) and output use
 * the plan's layout. workspace: >= kerno_conv2d_workspace_size() bytes, 64-byte aligned (NULL if 0). */
KERNO_API kerno_status kerno_conv2d_run(const kerno_conv2d_t* plan, const float* input, const float* packed, const float* residual, float* output, void* workspace, size_t workspace_size);
/* 1 when kerno_conv2d_run_rows accepts this plan (blocked direct or depthwise kernels without a workspace),
 * else 0. */
KERNO_API int32_t kerno_conv2d_can_run_rows(const kerno_conv2d_t* plan);
/* kerno_conv2d_run for output rows [oh_begin, oh_end) of every image only, without a workspace: calls on
 * disjoint row ranges may run concurrently (a plan split over threads by output rows instead of channels).
 * KERNO_ERR_UNSUPPORTED unless kerno_conv2d_can_run_rows(plan). */
KERNO_API kerno_status kerno_conv2d_run_rows(const kerno_conv2d_t* plan, const float* input, const float* packed, const float* residual, float* output, size_t oh_begin, size_t oh_end);

/* ---- NN operators (fp32, contiguous tensors; y may alias x where noted) --------------------------- */
#define KERNO_BINARY_ADD 0
#define KERNO_BINARY_SUB 1
#define KERNO_BINARY_MUL 2
#define KERNO_BINARY_DIV 3
#define KERNO_BINARY_MAX 4
#define KERNO_BINARY_MIN 5

#define KERNO_POOL_MAX 0
#define KERNO_POOL_AVG 1

#define KERNO_RESIZE_NEAREST 0
#define KERNO_RESIZE_LINEAR  1
/* coordinate_transformation_mode */
#define KERNO_COORD_HALF_PIXEL          0
#define KERNO_COORD_ASYMMETRIC          1
#define KERNO_COORD_ALIGN_CORNERS       2
#define KERNO_COORD_PYTORCH_HALF_PIXEL  3
/* nearest_mode */
#define KERNO_NEAREST_ROUND_PREFER_FLOOR 0
#define KERNO_NEAREST_ROUND_PREFER_CEIL  1
#define KERNO_NEAREST_FLOOR              2
#define KERNO_NEAREST_CEIL               3

/* y = act(x) over n floats (y may be x). */
KERNO_API kerno_status kerno_activation(const float* x, float* y, size_t n, int32_t activation, float alpha, float beta);
/* y = a op b with numpy broadcasting; ranks <= 8; y has the broadcast shape (rank max(a_rank, b_rank)). */
KERNO_API kerno_status kerno_binary(int32_t op, const float* a, const int64_t* a_shape, int32_t a_rank, const float* b, const int64_t* b_shape, int32_t b_rank, float* y);
/* Softmax (log_softmax != 0: LogSoftmax) along the middle axis of [outer][axis_len][inner]. */
KERNO_API kerno_status kerno_softmax(const float* x, float* y, int64_t outer, int64_t axis_len, int64_t inner, int32_t log_softmax);
/* LayerNormalization over the last `cols` elements of each of `rows` rows; scale/bias [cols] (bias may be
 * NULL); mean/inv_std [rows] outputs may be NULL. */
KERNO_API kerno_status kerno_layer_norm(const float* x, const float* scale, const float* bias, float* y, int64_t rows, int64_t cols, float epsilon, float* mean, float* inv_std);
/* BatchNormalization (inference) on [N][C][spatial] (NCHW) or NCHWc, with a fused activation. */
KERNO_API kerno_status kerno_batch_norm(int32_t layout, const float* x, float* y, int64_t n, int64_t c, int64_t spatial, const float* scale, const float* bias, const float* mean, const float* var, float epsilon, int32_t activation, float alpha, float beta);
/* MaxPool / AveragePool 2-D; input_shape {N, C, H, W}; output_shape {N, C, OH, OW} as the caller computed it
 * (checked against kernel/strides/pads/dilations, either rounding mode accepted). */
KERNO_API kerno_status kerno_pool2d(int32_t kind, int32_t layout, const float* x, float* y, const int64_t* input_shape, const int64_t* output_shape, const int64_t* kernel, const int64_t* strides, const int64_t* pads, const int64_t* dilations, int32_t count_include_pad);
/* GlobalAveragePool (kind = KERNO_POOL_AVG) / GlobalMaxPool on {N, C, spatial} -> {N, C} (NCHWc: blocked). */
KERNO_API kerno_status kerno_global_pool(int32_t kind, int32_t layout, const float* x, float* y, int64_t n, int64_t c, int64_t spatial);
/* y = transpose(x, perm) for 4-byte elements; rank <= 8. */
KERNO_API kerno_status kerno_transpose(const float* x, float* y, const int64_t* shape, const int64_t* perm, int32_t rank);
/* Resize of the last two axes of [N*C][H][W] to [N*C][OH][OW]; scale_h/scale_w as in ONNX (output / input). */
KERNO_API kerno_status kerno_resize2d(int32_t mode, int32_t coordinate_mode, int32_t nearest_mode, const float* x, float* y, int64_t nc, int64_t h, int64_t w, int64_t oh, int64_t ow, float scale_h, float scale_w);
/* ConvTranspose 2-D (ONNX semantics, NCHW): weight {C, K/group, kh, kw}; output {N, K, OH, OW} with
 * OH = (H-1)*sh - pt - pb + (kh-1)*dh + 1 + output_padding_h. bias may be NULL. */
KERNO_API kerno_status kerno_conv_transpose2d(const float* x, const float* weight, const float* bias, float* y, const int64_t* input_shape, const int64_t* weight_shape, const int64_t* output_shape, const int64_t* strides, const int64_t* pads, const int64_t* dilations, int64_t group);

#ifdef __cplusplus
}
#endif
#endif /* KERNO_H */
