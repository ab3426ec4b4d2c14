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

#ifdef __cplusplus
}
#endif
#endif /* KERNO_H */
