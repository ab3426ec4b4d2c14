/* Internal interface of the convolution kernels (native/conv/) and NN kernels (native/ops/).
 *
 * Every ISA has one kernel table (conv_kernels), defined in dispatch_conv_<isa>.c next to its kernels; the
 * portable drivers (conv_plan.c, ops) pick the table of the active ISA once per call (or per plan) and
 * never test the ISA themselves. Kernels of one ISA are instantiated from the templates (native/conv/ .inc files)
 * written against kerno_vec.h.
 *
 * Layouts: NCHW is ONNX's. NCHWc ("blocked") is [N][ceil(C/b)][H][W][b] with b = the table's block
 * (16 AVX-512, 8 AVX2, 4 NEON and generic); channel tails are zero-filled. Packed weights of the direct and
 * 1x1 kernels are [ceil(K/b)][ceil(C/b)][kh][kw][b ci][b co]; Winograd weights are [alpha^2][ceil(K/b)][Cp][b].
 */
#ifndef KERNO_CONV_INTERNAL_H
#define KERNO_CONV_INTERNAL_H

#include "kerno_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Fused activation applied on the output store (after bias and residual). */
typedef struct kact {
    int32_t kind;  /* KERNO_ACT_* */
    float alpha;
    float beta;
} kact;

/* ---- direct convolution on padded NCHWc input (also the 1x1 kernel: kh = kw = 1) ---------------- */
typedef struct conv_direct_args {
    const float* x;         /* padded blocked input of one image/group: [CB][Hp][Wp][b] */
    const float* w;         /* [KB][CB][kh][kw][b][b] */
    const float* bias;      /* [KB*b] or NULL */
    const float* residual;  /* blocked like y, or NULL */
    float* y;               /* [KB][OH][OW][b] */
    size_t CB, KB, Hp, Wp, OH, OW, kh, kw, sh, sw, dh, dw;
    size_t C;                /* real input channels (<= CB*b): the last block's zero tail is skipped */
    size_t kb_begin, kb_end; /* range of output channel blocks to compute */
    size_t oh_begin, oh_end; /* range of output rows to compute (oh_end 0: all) */
    kact act;
} conv_direct_args;

/* ---- direct convolution for few input channels on NCHW (direct_fewc.inc) ------------------------ */
/* Output channels per register tile: the packed weights are [ceil(K/R)][C][kh][kw][R] (zero tail). */
#if defined(KV_ISA_AVX512) || defined(KV_ISA_NEON)
#  define KV_FEWC_R 8
#elif defined(KV_ISA_AVX2) || defined(KV_ISA_GENERIC)
#  define KV_FEWC_R 4
#endif
typedef struct conv_fewc_args {
    const float* x;         /* NCHW image/group [C][H][W] */
    const float* w;         /* [ceil(K/R)][C][kh][kw][R] */
    const float* bias;      /* [ceil(K/R)*R], zeros when the node has none */
    const float* residual;  /* NCHW like y, or NULL */
    float* y;               /* NCHW [K][OH][OW] */
    float* ws;              /* padded, phase-split input [C][Hp][sw][Wq] (see direct_fewc.inc) */
    size_t C, H, W, K, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl;
    size_t Hp, Wq;          /* rows read, (OH-1) sh + (kh-1) dh + 1; row length per phase, conv_fewc_wq() */
    kact act;
} conv_fewc_args;

/* Floats per phase row: every vector of the last output tile, shifted by the widest tap, stays inside. */
static inline size_t conv_fewc_wq(size_t OW, size_t b, size_t kw, size_t dw, size_t sw)
{
    size_t wq = (OW + b - 1) / b * b + (kw - 1) * dw / sw;
    return (wq + 15) / 16 * 16;
}

/* ---- depthwise convolution, NCHWc, SIMD over channels ------------------------------------------ */
typedef struct conv_dw_args {
    const float* x;         /* unpadded blocked input: [CB][H][W][b] */
    const float* w;         /* [CB][kh][kw][b] */
    const float* bias;      /* [CB*b] or NULL */
    const float* residual;  /* like y, or NULL */
    float* y;               /* [CB][OH][OW][b] */
    size_t CB, H, W, OH, OW, kh, kw, sh, sw, dh, dw, pad_t, pad_l;
    size_t oh_begin, oh_end; /* range of output rows to compute (oh_end 0: all); the blocked kernel only */
    kact act;
} conv_dw_args;

/* Floats of the flattened plane buffer of conv_dwconv_flat: Hp x Wq plus slack for the junk lanes' loads. */
static inline size_t conv_dw_flat_size(size_t OH, size_t OW, size_t kh, size_t kw, size_t dh, size_t dw)
{
    size_t Wq = OW + (kw - 1) * dw, Hp = OH + (kh - 1) * dh;
    return (Hp * Wq + Wq + 4 * 16 + 15) / 16 * 16;
}

/* ---- Winograd F(m x m, 3 x 3) ---------------------------------------------------------------- */
/* Input transform of `count` consecutive tiles (tile index t -> row t / tiles_w, column t % tiles_w) of
 * one padded blocked image (tile t reads x[.][ty*m .. ty*m+alpha)[tx*m ..]), writing
 * V[p][t - t0][c] with row stride ldv (>= CB*b) and point stride pstride. */
typedef void (*wino_input_fn)(const float* x, size_t CB, size_t Hp, size_t Wp, size_t tiles_w, size_t t0,
                              size_t count, float* V, size_t ldv, size_t pstride);
/* Output transform: M[p][t - t0][k] -> y[KB][OH][OW][b] for the part of each m x m tile inside OH x OW,
 * adding bias and residual (blocked like y) and applying the activation. */
typedef void (*wino_output_fn)(const float* M, size_t ldm, size_t pstride, size_t KB, size_t tiles_w,
                               size_t t0, size_t count, const float* bias, const float* residual,
                               float* y, size_t OH, size_t OW, const kact* act);
/* The batched stage for one transform point: M[t][kb*b..] = sum_c V[t][c] * U[kb][c][.] for t < T. */
typedef void (*wino_gemm_fn)(const float* V, size_t ldv, const float* U, size_t Cp, size_t KB, float* M,
                             size_t ldm, size_t T);

/* ---- NCHW pooling geometry (native/ops/pool.inc) ---------------------------------------------- */
typedef struct pool_geom {
    size_t H, W, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    int is_max, count_include_pad;
} pool_geom;

typedef struct conv_kernels {
    int32_t isa;
    size_t block;
    /* NCHW image [C][H][W] -> blocked [CB][Hp][Wp][b] with a zero border (top/left given, rest to Hp/Wp). */
    void (*pack_input)(const float* src, size_t C, size_t H, size_t W, float* dst, size_t Hp, size_t Wp,
                       size_t top, size_t left);
    /* blocked [CB][H][W][b] -> blocked with a zero border. */
    void (*pad_blocked)(const float* src, size_t CB, size_t H, size_t W, float* dst, size_t Hp, size_t Wp,
                        size_t top, size_t left);
    /* blocked [CB][HW][b] -> NCHW [C][HW], adding an NCHW residual (may be NULL) and applying act. */
    void (*unpack_output)(const float* src, size_t C, size_t HW, float* dst, const float* residual,
                          const kact* act);
    /* dst[c][i] = act(src[i * ld + c] (+ residual[c][i])): pixel-major (a transposed GEMM's output) to NCHW. */
    void (*transpose_out)(const float* src, size_t ld, size_t C, size_t HW, float* dst, const float* residual,
                          const kact* act);
    void (*direct)(const conv_direct_args* a);
    size_t fewc_r;                               /* KV_FEWC_R of this ISA */
    void (*direct_fewc)(const conv_fewc_args* a); /* NCHW, C/group <= 4 */
    void (*dwconv)(const conv_dw_args* a);
    /* NCHW depthwise over C planes (x, y, residual NCHW; w [C][kh][kw]; bias [C]); ws: (kh + 1) row buffers
     * of pad_l + W + (kw-1)*dw + 2*b*sw + b floats. Kernel heights up to 16 (taller: blocked kernel). */
    void (*dwconv_nchw)(const conv_dw_args* a, size_t C, float* ws);
    /* NCHW depthwise, 3x3 stride 1, on flattened padded planes (AVX-512 only, else NULL);
     * ws: conv_dw_flat_size() floats. */
    void (*dwconv_flat)(const conv_dw_args* a, size_t C, float* ws);
    wino_input_fn wino_input[3];   /* F(2,3), F(4,3), F(6,3) */
    wino_output_fn wino_output[3];
    wino_gemm_fn wino_gemm;
    /* In-place activation over n floats. */
    void (*activate)(float* x, size_t n, const kact* act);

    /* ---- NN operators (native/ops/ops.inc) ---- */
    /* y[i] = a[i*sa] op b[i*sb], sa/sb in {0, 1}; op = KERNO_BINARY_* */
    void (*binary)(int op, const float* a, int sa, const float* b, int sb, float* y, size_t n);
    /* softmax of `inner` interleaved rows of `len` elements (stride inner) */
    void (*softmax)(const float* x, float* y, size_t len, size_t inner, int log_softmax);
    void (*softmax_row)(const float* x, float* y, size_t n, int log_softmax);
    void (*layer_norm_row)(const float* x, float* y, size_t n, const float* scale, const float* bias, float eps,
                           float* mean, float* invstd);
    void (*affine)(const float* x, float* y, size_t n, float s, float t, const kact* act);
    void (*affine_blocked)(const float* x, float* y, size_t n, const float* s, const float* t, const kact* act);
    void (*pool_blocked)(int is_max, const float* x, float* y, size_t H, size_t W, size_t OH, size_t OW, size_t kh,
                         size_t kw, size_t sh, size_t sw, size_t pt, size_t pl, size_t pb, size_t pr, size_t dh, size_t dw,
                         int count_include_pad);
    void (*gap_blocked)(const float* x, float* y, size_t n, int is_max);
    float (*reduce_plane)(const float* x, size_t n, int is_max);
    /* MaxPool / AveragePool of `planes` NCHW planes; 0 (nothing written) when the window is too wide for it. */
    int (*pool_nchw)(const pool_geom* g, const float* x, float* y, size_t planes);
} conv_kernels;

/* The table of an ISA (NULL when that ISA is not built). */
KERNO_INTERNAL const conv_kernels* conv_kernels_for(int32_t isa);
/* The table of the active ISA. */
KERNO_INTERNAL const conv_kernels* conv_kernels_active(void);

extern KERNO_INTERNAL const conv_kernels conv_kernels_generic;
#if KERNO_ARCH_X86_64
extern KERNO_INTERNAL const conv_kernels conv_kernels_avx2;
extern KERNO_INTERNAL const conv_kernels conv_kernels_avx512;
#endif
#if KERNO_ARCH_AARCH64
extern KERNO_INTERNAL const conv_kernels conv_kernels_neon;
#endif

/* Scalar activation, the definition every vector version matches. */
static inline float kact_scalar(float v, const kact* a)
{
    switch (a->kind) {
    case KERNO_ACT_RELU: return v > 0.0f ? v : 0.0f;
    case KERNO_ACT_CLIP: return v < a->alpha ? a->alpha : (v > a->beta ? a->beta : v);
    case KERNO_ACT_LEAKY_RELU: return v >= 0.0f ? v : v * a->alpha;
    case KERNO_ACT_HARD_SWISH: {
        float t = v * (1.0f / 6.0f) + 0.5f;
        t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
        return v * t;
    }
    case KERNO_ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case KERNO_ACT_SILU: return v / (1.0f + expf(-v));
    case KERNO_ACT_GELU_TANH: /* 0.5 x (1 + tanh(z)) = x * sigmoid(2 z), z = sqrt(2/pi) (x + 0.044715 x^3) */
        return v / (1.0f + expf(-1.5957691216057308f * (v + 0.044715f * v * v * v)));
    default: return v;
    }
}

#endif
