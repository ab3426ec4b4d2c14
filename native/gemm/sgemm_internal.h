/* SGEMM internals: the micro-kernel contract, packing, blocking and the per-ISA registration table.
 *
 * The driver is the BLIS loop nest around an MR x NR register tile:
 *   jc (NC columns of C)  ->  pc (KC depth; pack a KC x NC block of op(B) into NR-wide panels)
 *     ->  ic (MC rows; pack an MC x KC block of op(A) into MR-tall panels)
 *       ->  jr (NR panel)  ->  ir (MR panel)  ->  micro-kernel (KC rank-1 updates of an MR x NR tile, then store)
 * Packing zero-pads partial panels, so a kernel always computes a full tile; it stores only ctx->mr rows and
 * ctx->nr columns (masked / partial stores inside the kernel). */
#ifndef KERNO_SGEMM_INTERNAL_H
#define KERNO_SGEMM_INTERNAL_H

#include "kerno_internal.h"

#include <stddef.h>
#include <stdint.h>

/* ctx->flags: which parts of the epilogue the kernel's store applies. */
#define SGEMM_F_ALPHA    1u  /* acc *= alpha */
#define SGEMM_F_BETA     2u  /* acc += beta * C (C is not read without it) */
#define SGEMM_F_BIAS_ROW 4u  /* acc += bias[row] */
#define SGEMM_F_BIAS_COL 8u  /* acc += bias[col] */
#define SGEMM_F_CLAMP    16u /* acc = min(max(acc, clamp_min), clamp_max)  (ReLU, Clip, ReLU6) */
#define SGEMM_F_PACK_B   32u /* kernels with pack_b_fused: b is written, not read: the kernel packs B's panel
                              * from its source (ctx->pf, row stride ctx->pf_stride bytes, not transposed)
                              * while it computes, zero-padding columns past ctx->nr */
#define SGEMM_F_A_DIRECT 64u /* kernels with a_direct, full MR-row tiles: a is op(A) itself, not transposed,
                              * row stride ctx->a_stride bytes (no A packing) */
/* Kernels with store_acts: the cheap activations in the store too (the others run as a pass over the tile). */
#define SGEMM_F_LEAKY    128u /* acc = acc < 0 ? acc * ctx->slope : acc  (LeakyReLU) */
#define SGEMM_F_HSWISH   256u /* acc = acc * min(max(acc / 6 + 1/2, 0), 1)  (HardSwish) */
/* Kernels with store_acts == 2 also these (sigmoid(z) = 1 / (1 + exp(-z))): */
#define SGEMM_F_SIGMOID  512u  /* acc = sigmoid(acc) */
#define SGEMM_F_SILU     1024u /* acc = acc * sigmoid(acc) */
#define SGEMM_F_GELU     2048u /* acc = acc * sigmoid(2 sqrt(2/pi) (acc + 0.044715 acc^3))  (GELU-tanh) */

/* Everything a micro-kernel needs besides the operands. The assembly kernels read it by these offsets. */
typedef struct sgemm_ukr_ctx {
    size_t mr;         /*  0: rows of the tile to store, 1..MR */
    size_t nr;         /*  8: columns of the tile to store, 1..NR */
    const float* bias; /* 16: row bias at the tile's first row, or column bias at its first column */
    uint32_t flags;    /* 24: SGEMM_F_* */
    float alpha;       /* 28 */
    float beta;        /* 32 */
    float clamp_min;   /* 36 */
    float clamp_max;   /* 40 */
    float slope;       /* 44: SGEMM_F_LEAKY */
    const void* pf;    /* 48: optional prefetch stream (a hint; kernels may ignore it): two cache lines at */
    size_t pf_stride;  /* 56:   pf + p * pf_stride for each depth step p, into L2 */
    size_t a_stride;   /* 64: SGEMM_F_A_DIRECT: A's row stride in bytes */
} sgemm_ukr_ctx;

_Static_assert(offsetof(sgemm_ukr_ctx, mr) == 0, "asm offset");
_Static_assert(offsetof(sgemm_ukr_ctx, nr) == 8, "asm offset");
_Static_assert(offsetof(sgemm_ukr_ctx, bias) == 16, "asm offset");
_Static_assert(offsetof(sgemm_ukr_ctx, flags) == 24, "asm offset");
_Static_assert(offsetof(sgemm_ukr_ctx, alpha) == 28, "asm offset");
_Static_assert(offsetof(sgemm_ukr_ctx, beta) == 32, "asm offset");
_Static_assert(offsetof(sgemm_ukr_ctx, clamp_min) == 36, "asm offset");
_Static_assert(offsetof(sgemm_ukr_ctx, clamp_max) == 40, "asm offset");
_Static_assert(offsetof(sgemm_ukr_ctx, slope) == 44, "asm offset");
_Static_assert(offsetof(sgemm_ukr_ctx, pf) == 48 && offsetof(sgemm_ukr_ctx, pf_stride) == 56, "asm offset");
_Static_assert(offsetof(sgemm_ukr_ctx, a_stride) == 64, "asm offset");

/* C(mr x nr at c, row stride ldc floats) = epilogue(A_panel(MR x kc) * B_panel(kc x NR)).
 * a: kc groups of MR floats (k-major); b: kc groups of NR floats. kc may be 0. The assembly kernels' convention
 * (KERNO_ASM_ABI), so their C twins share it and either fits this pointer. */
typedef void (KERNO_ASM_ABI *sgemm_ukernel_fn)(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                               const sgemm_ukr_ctx* ctx);

/* Pack an mc x kc block of op(A) (src points at its first element) into ceil(mc/mr) panels of kc x mr
 * (k-major; the AVX-512 set uses blocks of 8 depth steps instead, see a_kblock). */
typedef void (*sgemm_pack_a_fn)(int trans, size_t mc, size_t kc, const float* src, size_t ld, float* dst);
/* Pack a kc x nc block of op(B) into ceil(nc/nr) panels of kc x nr. */
typedef void (*sgemm_pack_b_fn)(int trans, size_t kc, size_t nc, const float* src, size_t ld, float* dst);
/* Activations the kernel's store does not do (see store_acts; all of them after the small-M path), applied to a
 * tile right after the kernel stored it, while it is still in L1. */
typedef void (*sgemm_act_fn)(float* c, size_t ldc, size_t mr, size_t nr, int32_t act, float p0, float p1);

/* Small-M path (m <= small_m_max rows, B not transposed, not pre-packed): C(m x n) = epilogue(op(A) B) straight
 * from the unpacked B, streaming its rows once; no B packing and no MR-row padding, for GEMV-like shapes.
 * ctx carries the epilogue flags and the bias at (row 0, column 0); ctx->mr / nr are unused. */
typedef void (*sgemm_small_fn)(size_t m, size_t n, size_t k, const float* a, size_t lda, int trans_a, const float* b,
                               size_t ldb, float* c, size_t ldc, const sgemm_ukr_ctx* ctx);

typedef struct sgemm_kernel_desc {
    int32_t isa;
    const char* name;
    size_t mr, nr;
    sgemm_ukernel_fn ukernel;      /* the assembly kernel (the C kernel for generic) */
    sgemm_ukernel_fn ukernel_twin; /* its C / intrinsics twin */
    sgemm_pack_a_fn pack_a;
    sgemm_pack_b_fn pack_b;
    sgemm_act_fn act_tile;
    sgemm_small_fn small_m; /* NULL: always the packed path */
    size_t small_m_max;
    int pack_b_fused;       /* the kernel (and its twin) implement SGEMM_F_PACK_B */
    size_t a_kblock;        /* packed A panels take MR * round_up(kc, a_kblock) floats (1: MR * kc) */
    int a_direct;           /* the kernel (and its twin) implement SGEMM_F_A_DIRECT */
    int store_acts;         /* the kernel (and its twin) implement SGEMM_F_LEAKY and SGEMM_F_HSWISH (1), and
                             * SGEMM_F_SIGMOID, SGEMM_F_SILU and SGEMM_F_GELU (2) */
    /* Fraction of L1 / L2 / L3 the B micro-panel, A block and B block may fill (in 1/16ths). */
    uint32_t l1_share, l2_share, l3_share;
} sgemm_kernel_desc;

/* The kernel set, blocking and variant in force, resolved from kerno_active_isa() and the overrides. */
typedef struct sgemm_config {
    const sgemm_kernel_desc* kd;
    sgemm_ukernel_fn ukernel;
    size_t mr, nr, mc, nc, kc;
    int force_packed; /* tests: never take the small-M path */
} sgemm_config;

KERNO_INTERNAL void kerno_sgemm_config(sgemm_config* cfg);

/* Data cache sizes in bytes (sysfs, then CPUID, then defaults). */
KERNO_INTERNAL void kerno_cache_sizes(size_t* l1d, size_t* l2, size_t* l3);

/* Portable packers for any MR / NR (sgemm_pack.c). */
KERNO_INTERNAL void kerno_sgemm_pack_a_any(size_t mr, int trans, size_t mc, size_t kc, const float* src, size_t ld,
                                           float* dst);
KERNO_INTERNAL void kerno_sgemm_pack_b_any(size_t nr, int trans, size_t kc, size_t nc, const float* src, size_t ld,
                                           float* dst);

/* Scalar activation of one value and the portable tile pass (sgemm_epilogue.c). */
KERNO_INTERNAL float kerno_act_scalar(float x, int32_t act, float p0, float p1);
KERNO_INTERNAL void kerno_sgemm_act_tile_generic(float* c, size_t ldc, size_t mr, size_t nr, int32_t act, float p0,
                                                 float p1);

/* ---- per-ISA pieces ---- */
#define SGEMM_GENERIC_MR 4
#define SGEMM_GENERIC_NR 16
KERNO_INTERNAL KERNO_ASM_ABI void kerno_sgemm_ukernel_generic(size_t kc, const float* a, const float* b, float* c,
                                                              size_t ldc, const sgemm_ukr_ctx* ctx);
KERNO_INTERNAL void kerno_sgemm_pack_a_generic(int trans, size_t mc, size_t kc, const float* src, size_t ld,
                                               float* dst);
KERNO_INTERNAL void kerno_sgemm_pack_b_generic(int trans, size_t kc, size_t nc, const float* src, size_t ld,
                                               float* dst);

#if KERNO_ARCH_X86_64
/* asm/x86_64/sgemm_6x16_avx2.S and its intrinsics twin native/gemm/sgemm_6x16_avx2.c */
KERNO_INTERNAL KERNO_ASM_ABI void kerno_sgemm_6x16_avx2(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                                        const sgemm_ukr_ctx* ctx);
KERNO_INTERNAL KERNO_ASM_ABI void kerno_sgemm_6x16_avx2_c(size_t kc, const float* a, const float* b, float* c,
                                                          size_t ldc, const sgemm_ukr_ctx* ctx);
KERNO_INTERNAL void kerno_sgemm_pack_a6_avx2(int trans, size_t mc, size_t kc, const float* src, size_t ld, float* dst);
KERNO_INTERNAL void kerno_sgemm_pack_b16_avx2(int trans, size_t kc, size_t nc, const float* src, size_t ld,
                                              float* dst);
KERNO_INTERNAL void kerno_sgemm_small_m_avx2(size_t m, size_t n, size_t k, const float* a, size_t lda, int trans_a,
                                             const float* b, size_t ldb, float* c, size_t ldc, const sgemm_ukr_ctx* ctx);
KERNO_INTERNAL void kerno_sgemm_act_tile_avx2(float* c, size_t ldc, size_t mr, size_t nr, int32_t act, float p0,
                                              float p1);
/* asm/x86_64/sgemm_14x32_avx512.S and its intrinsics twin native/gemm/sgemm_14x32_avx512.c */
KERNO_INTERNAL KERNO_ASM_ABI void kerno_sgemm_14x32_avx512(size_t kc, const float* a, const float* b, float* c,
                                                           size_t ldc, const sgemm_ukr_ctx* ctx);
KERNO_INTERNAL KERNO_ASM_ABI void kerno_sgemm_14x32_avx512_c(size_t kc, const float* a, const float* b, float* c,
                                                             size_t ldc, const sgemm_ukr_ctx* ctx);
KERNO_INTERNAL void kerno_sgemm_pack_a14_avx512(int trans, size_t mc, size_t kc, const float* src, size_t ld,
                                                float* dst);
KERNO_INTERNAL void kerno_sgemm_pack_b32_avx512(int trans, size_t kc, size_t nc, const float* src, size_t ld,
                                                float* dst);
KERNO_INTERNAL void kerno_sgemm_small_m_avx512(size_t m, size_t n, size_t k, const float* a, size_t lda,
                                               int trans_a, const float* b, size_t ldb, float* c, size_t ldc,
                                               const sgemm_ukr_ctx* ctx);
KERNO_INTERNAL void kerno_sgemm_act_tile_avx512(float* c, size_t ldc, size_t mr, size_t nr, int32_t act, float p0,
                                                float p1);
/* FMA throughput loops (asm/x86_64/fma_peak_x86_64.S): iters x 24 independent FMAs. */
KERNO_INTERNAL KERNO_ASM_ABI void kerno_fma_loop_avx2(uint64_t iters);
KERNO_INTERNAL KERNO_ASM_ABI void kerno_fma_loop_avx512(uint64_t iters);
#endif

#if KERNO_ARCH_AARCH64
/* asm/aarch64/sgemm_8x12_neon.S and its intrinsics twin native/gemm/sgemm_8x12_neon.c */
KERNO_INTERNAL KERNO_ASM_ABI void kerno_sgemm_8x12_neon(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                                        const sgemm_ukr_ctx* ctx);
KERNO_INTERNAL KERNO_ASM_ABI void kerno_sgemm_8x12_neon_c(size_t kc, const float* a, const float* b, float* c,
                                                          size_t ldc, const sgemm_ukr_ctx* ctx);
KERNO_INTERNAL void kerno_sgemm_pack_a8_neon(int trans, size_t mc, size_t kc, const float* src, size_t ld, float* dst);
KERNO_INTERNAL void kerno_sgemm_pack_b12_neon(int trans, size_t kc, size_t nc, const float* src, size_t ld,
                                              float* dst);
KERNO_INTERNAL void kerno_sgemm_act_tile_neon(float* c, size_t ldc, size_t mr, size_t nr, int32_t act, float p0,
                                              float p1);
KERNO_INTERNAL KERNO_ASM_ABI void kerno_fma_loop_neon(uint64_t iters);
#endif

/* The scalar epilogue shared by the C kernels: alpha, beta, bias and clamp of one element. */
static inline float sgemm_epilogue1(float acc, const float* cij, size_t i, size_t j, const sgemm_ukr_ctx* ctx)
{
    uint32_t f = ctx->flags;
    if (f & SGEMM_F_ALPHA)
        acc *= ctx->alpha;
    if (f & SGEMM_F_BETA)
        acc += ctx->beta * *cij;
    if (f & SGEMM_F_BIAS_ROW)
        acc += ctx->bias[i];
    if (f & SGEMM_F_BIAS_COL)
        acc += ctx->bias[j];
    if (f & SGEMM_F_CLAMP) {
        acc = acc < ctx->clamp_min ? ctx->clamp_min : acc;
        acc = acc > ctx->clamp_max ? ctx->clamp_max : acc;
    }
    return acc;
}

#endif
