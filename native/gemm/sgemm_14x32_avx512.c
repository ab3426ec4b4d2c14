/* AVX-512 kernel set, C side: the intrinsics twin of asm/x86_64/sgemm_14x32_avx512.S (same contract, used as
 * fallback and as a second reference in tests), packers for MR = 14 / NR = 32, and the vector activations
 * (in the twin's store, and as a pass after the small-M path). */
#include "sgemm_internal.h"

#include <immintrin.h>

enum { MR = 14, NR = 32 };

static inline __mmask16 lo_mask(size_t nr) { return nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1); }
static inline __mmask16 hi_mask(size_t nr)
{
    return nr >= 32 ? (__mmask16)0xffff : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : (__mmask16)0;
}

static inline __m512 act_ps(__m512 x, int32_t act, float p0, float p1);

/* The activation flags as the asm kernel's store computes them (HardSwish: x / 6 and + 1/2 rounded separately;
 * the sigmoid family is act_ps, the same operations as the asm). */
static inline __m512 store_act(__m512 x, uint32_t f, float slope)
{
    if (f & SGEMM_F_SIGMOID)
        return act_ps(x, KERNO_ACT_SIGMOID, slope, 0.0f);
    if (f & SGEMM_F_SILU)
        return act_ps(x, KERNO_ACT_SILU, slope, 0.0f);
    if (f & SGEMM_F_GELU)
        return act_ps(x, KERNO_ACT_GELU_TANH, slope, 0.0f);
    if (f & SGEMM_F_LEAKY)
        return _mm512_mask_mul_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OS), x, _mm512_set1_ps(slope));
    __m512 t = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.0f / 6.0f)), _mm512_set1_ps(0.5f));
    t = _mm512_min_ps(_mm512_max_ps(t, _mm512_setzero_ps()), _mm512_set1_ps(1.0f));
    return _mm512_mul_ps(x, t);
}

KERNO_ASM_ABI void kerno_sgemm_14x32_avx512_c(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                              const sgemm_ukr_ctx* ctx)
{
    if (ctx->flags & SGEMM_F_PACK_B) {
        /* pack this B panel from its source first (the asm kernel does it while it computes) */
        const char* src = ctx->pf;
        const __mmask16 m0 = lo_mask(ctx->nr), m1 = hi_mask(ctx->nr);
        float* dst = (float*)b;
        for (size_t p = 0; p < kc; ++p, src += ctx->pf_stride) {
            _mm512_storeu_ps(dst + p * NR, _mm512_maskz_loadu_ps(m0, src));
            _mm512_storeu_ps(dst + p * NR + 16, _mm512_maskz_loadu_ps(m1, src + 64));
        }
    }
    __m512 acc[MR][2];
    for (int i = 0; i < MR; ++i)
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    /* A comes in blocks of 8 depth steps: A[i][p0 + q] at a[p0 * MR + i * 8 + q] */
    for (size_t p = 0; p < kc; ++p) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        const float* ap = a + (p & ~(size_t)7) * MR + (p & 7);
        size_t as = 8;
        if (ctx->flags & SGEMM_F_A_DIRECT) { /* A in place: A[i][p] at a + i * a_stride + p */
            ap = a + p;
            as = ctx->a_stride / sizeof(float);
        }
        for (int i = 0; i < MR; ++i) {
            __m512 ai = _mm512_set1_ps(ap[i * as]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        b += NR;
    }
    const uint32_t f = ctx->flags;
    const __mmask16 m0 = lo_mask(ctx->nr), m1 = hi_mask(ctx->nr);
    const __m512 alpha = _mm512_set1_ps(ctx->alpha), beta = _mm512_set1_ps(ctx->beta);
    const __m512 lo = _mm512_set1_ps(ctx->clamp_min), hi = _mm512_set1_ps(ctx->clamp_max);
    __m512 cb0 = _mm512_setzero_ps(), cb1 = _mm512_setzero_ps();
    if (f & SGEMM_F_BIAS_COL) {
        cb0 = _mm512_maskz_loadu_ps(m0, ctx->bias);
        cb1 = _mm512_maskz_loadu_ps(m1, ctx->bias + 16);
    }
    for (size_t i = 0; i < ctx->mr; ++i) {
        __m512 x0 = acc[i][0], x1 = acc[i][1];
        float* ci = c + i * ldc;
        if (f & SGEMM_F_ALPHA) {
            x0 = _mm512_mul_ps(x0, alpha);
            x1 = _mm512_mul_ps(x1, alpha);
        }
        if (f & SGEMM_F_BETA) {
            x0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, ci), beta, x0);
            x1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, ci + 16), beta, x1);
        }
        if (f & SGEMM_F_BIAS_ROW) {
            __m512 rb = _mm512_set1_ps(ctx->bias[i]);
            x0 = _mm512_add_ps(x0, rb);
            x1 = _mm512_add_ps(x1, rb);
        }
        if (f & SGEMM_F_BIAS_COL) {
            x0 = _mm512_add_ps(x0, cb0);
            x1 = _mm512_add_ps(x1, cb1);
        }
        if (f & SGEMM_F_CLAMP) {
            x0 = _mm512_min_ps(_mm512_max_ps(x0, lo), hi);
            x1 = _mm512_min_ps(_mm512_max_ps(x1, lo), hi);
        }
        if (f & (SGEMM_F_LEAKY | SGEMM_F_HSWISH | SGEMM_F_SIGMOID | SGEMM_F_SILU | SGEMM_F_GELU)) {
            x0 = store_act(x0, f, ctx->slope);
            x1 = store_act(x1, f, ctx->slope);
        }
        _mm512_mask_storeu_ps(ci, m0, x0);
        _mm512_mask_storeu_ps(ci + 16, m1, x1);
    }
}

/* ---- packing ---- */
/* In-register 16 x 16 transpose: r[i] row i in, r[j] column j out. */
static inline void transpose16(__m512 r[16])
{
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        u[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xee);
        u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int i = 0; i < 16; i += 8)
        for (int j = 0; j < 4; ++j) {
            t[i + j] = _mm512_shuffle_f32x4(u[i + j], u[i + 4 + j], 0x88);
            t[i + 4 + j] = _mm512_shuffle_f32x4(u[i + j], u[i + 4 + j], 0xdd);
        }
    for (int j = 0; j < 8; ++j) {
        r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
        r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd);
    }
}

/* Loads up to 16 rows (`rows`, stride ld) of `cols` <= 16 floats each, zero-filled, and transposes them:
 * r[p] then holds column p of the block. */
static inline void load_transpose(__m512 r[16], const float* src, size_t ld, size_t rows, size_t cols)
{
    __mmask16 m = lo_mask(cols);
    for (size_t i = 0; i < 16; ++i)
        r[i] = i < rows ? _mm512_maskz_loadu_ps(m, src + i * ld) : _mm512_setzero_ps();
    transpose16(r);
}

/* A panels in blocks of 8 depth steps, each block 14 rows x 8 floats (row stride 32 bytes): not transposed,
 * a block is 14 row copies of 8 floats, no shuffles; the kernel broadcasts A[i][p] from block + 32 i + 4 q.
 * The last block of a panel may be partial (kc % 8 columns); a panel takes 14 * round_up(kc, 8) floats. */
void kerno_sgemm_pack_a14_avx512(int trans, size_t mc, size_t kc, const float* src, size_t ld, float* dst)
{
    const size_t kca = (kc + 7) & ~(size_t)7;
    for (size_t i0 = 0; i0 < mc; i0 += MR) {
        size_t rows = mc - i0 < MR ? mc - i0 : MR;
        for (size_t p0 = 0; p0 < kc; p0 += 8) {
            size_t cols = kc - p0 < 8 ? kc - p0 : 8;
            float* d = dst + p0 * MR;
            if (!trans) {
                const float* s = src + i0 * ld + p0;
                if (cols == 8) {
                    for (size_t i = 0; i < rows; ++i)
                        _mm256_storeu_ps(d + i * 8, _mm256_loadu_ps(s + i * ld));
                } else {
                    __mmask8 m = (__mmask8)((1u << cols) - 1);
                    for (size_t i = 0; i < rows; ++i)
                        _mm256_storeu_ps(d + i * 8, _mm256_maskz_loadu_ps(m, s + i * ld));
                }
            } else {
                /* op(A)[i][p] = src[p*ld + i]: a transpose, element by element (transA is rare) */
                for (size_t i = 0; i < rows; ++i)
                    for (size_t q = 0; q < cols; ++q)
                        d[i * 8 + q] = src[(p0 + q) * ld + i0 + i];
            }
            for (size_t i = rows; i < MR; ++i)
                _mm256_storeu_ps(d + i * 8, _mm256_setzero_ps());
        }
        dst += MR * kca;
    }
}

void kerno_sgemm_pack_b32_avx512(int trans, size_t kc, size_t nc, const float* src, size_t ld, float* dst)
{
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        size_t cols = nc - j0;
        if (trans) {
            /* op(B)[p][j] = src[j*ld + p]: transpose two 16 x 16 blocks (columns j0..+15, +16..+31) */
            size_t n0 = cols < 16 ? cols : 16, n1 = cols > 16 ? (cols < 32 ? cols - 16 : 16) : 0;
            const float* s = src + j0 * ld;
            for (size_t p0 = 0; p0 < kc; p0 += 16) {
                size_t kk = kc - p0 < 16 ? kc - p0 : 16;
                __m512 lo[16], hi[16];
                load_transpose(lo, s + p0, ld, n0, kk);
                load_transpose(hi, s + 16 * ld + p0, ld, n1, kk);
                for (size_t p = 0; p < kk; ++p) {
                    _mm512_storeu_ps(dst + (p0 + p) * NR, lo[p]);
                    _mm512_storeu_ps(dst + (p0 + p) * NR + 16, hi[p]);
                }
            }
        } else {
            /* op(B)[p][j] = src[p*ld + j]. Blocks of 16 rows across all panels: the source streams (a 16-row
             * strip stays in L1 while the panels take their 32 columns), each panel gets 2 KiB at a time. */
            size_t full = (nc - j0) / NR, rest = (nc - j0) % NR;
            __mmask16 m0 = lo_mask(rest), m1 = hi_mask(rest);
            for (size_t p0 = 0; p0 < kc; p0 += 16) {
                size_t pe = kc - p0 < 16 ? kc : p0 + 16;
                const float* s = src + j0;
                float* d = dst;
                for (size_t q = 0; q < full; ++q, s += NR, d += NR * kc)
                    for (size_t p = p0; p < pe; ++p) {
                        _mm512_storeu_ps(d + p * NR, _mm512_loadu_ps(s + p * ld));
                        _mm512_storeu_ps(d + p * NR + 16, _mm512_loadu_ps(s + p * ld + 16));
                    }
                if (rest)
                    for (size_t p = p0; p < pe; ++p) {
                        _mm512_storeu_ps(d + p * NR, _mm512_maskz_loadu_ps(m0, s + p * ld));
                        _mm512_storeu_ps(d + p * NR + 16, _mm512_maskz_loadu_ps(m1, s + p * ld + 16));
                    }
            }
            return;
        }
        dst += NR * kc;
    }
}

/* ---- small M: GEMV-like shapes straight from the unpacked B ---- */
/* M <= 4 rows. B streams row by row, four rows at a time, over column blocks of up to 512; the M x 512
 * accumulators live in L1 (a load, 4 FMAs and a store per vector), so B is read once, sequentially. */
enum { SMALL_NB = 512 };
#ifndef SMALL_PF
#define SMALL_PF 4 /* B rows ahead: the next group of four */
#endif

static inline __attribute__((always_inline)) void small_rows(const int M, size_t n, size_t k, const float* a,
                                                             size_t lda, int ta, const float* b, size_t ldb,
                                                             float* c, size_t ldc, const sgemm_ukr_ctx* ctx)
{
    const size_t sa = ta ? 1 : lda, pa = ta ? lda : 1; /* op(A)[r][p] = a[r*sa + p*pa] */
    const uint32_t f = ctx->flags;
    float acc[4][SMALL_NB] __attribute__((aligned(64)));
    for (size_t j0 = 0; j0 < n; j0 += SMALL_NB) {
        const size_t nb = n - j0 < SMALL_NB ? n - j0 : SMALL_NB, nv = (nb + 15) / 16;
        const __mmask16 last = lo_mask(nb - 16 * (nv - 1));
        for (int r = 0; r < M; ++r)
            for (size_t v = 0; v < nv; ++v)
                _mm512_store_ps(acc[r] + 16 * v, _mm512_setzero_ps());
        size_t p = 0;
        for (; p + 4 <= k; p += 4) {
            __m512 ar[4][4];
            for (int r = 0; r < M; ++r)
                for (int q = 0; q < 4; ++q)
                    ar[r][q] = _mm512_set1_ps(a[r * sa + (p + q) * pa]);
            const float* b0 = b + p * ldb + j0;
            for (size_t v = 0; v < nv; ++v) {
                __mmask16 m = v + 1 < nv ? (__mmask16)0xffff : last;
                __m512 x0 = _mm512_maskz_loadu_ps(m, b0 + 16 * v);
                __m512 x1 = _mm512_maskz_loadu_ps(m, b0 + ldb + 16 * v);
                __m512 x2 = _mm512_maskz_loadu_ps(m, b0 + 2 * ldb + 16 * v);
                __m512 x3 = _mm512_maskz_loadu_ps(m, b0 + 3 * ldb + 16 * v);
                _mm_prefetch((const char*)(b0 + SMALL_PF * ldb + 16 * v), _MM_HINT_T0);
                _mm_prefetch((const char*)(b0 + (SMALL_PF + 1) * ldb + 16 * v), _MM_HINT_T0);
                _mm_prefetch((const char*)(b0 + (SMALL_PF + 2) * ldb + 16 * v), _MM_HINT_T0);
                _mm_prefetch((const char*)(b0 + (SMALL_PF + 3) * ldb + 16 * v), _MM_HINT_T0);
                for (int r = 0; r < M; ++r) {
                    __m512 t = _mm512_load_ps(acc[r] + 16 * v);
                    t = _mm512_fmadd_ps(ar[r][0], x0, t);
                    t = _mm512_fmadd_ps(ar[r][1], x1, t);
                    t = _mm512_fmadd_ps(ar[r][2], x2, t);
                    t = _mm512_fmadd_ps(ar[r][3], x3, t);
                    _mm512_store_ps(acc[r] + 16 * v, t);
                }
            }
        }
        for (; p < k; ++p) {
            const float* b0 = b + p * ldb + j0;
            for (size_t v = 0; v < nv; ++v) {
                __m512 x0 = _mm512_maskz_loadu_ps(v + 1 < nv ? (__mmask16)0xffff : last, b0 + 16 * v);
                for (int r = 0; r < M; ++r)
                    _mm512_store_ps(acc[r] + 16 * v, _mm512_fmadd_ps(_mm512_set1_ps(a[r * sa + p * pa]), x0,
                                                                     _mm512_load_ps(acc[r] + 16 * v)));
            }
        }
        for (int r = 0; r < M; ++r) {
            float* cr = c + r * ldc + j0;
            for (size_t v = 0; v < nv; ++v) {
                __mmask16 m = v + 1 < nv ? (__mmask16)0xffff : last;
                __m512 y = _mm512_load_ps(acc[r] + 16 * v);
                if (f & SGEMM_F_ALPHA)
                    y = _mm512_mul_ps(y, _mm512_set1_ps(ctx->alpha));
                if (f & SGEMM_F_BETA)
                    y = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, cr + 16 * v), _mm512_set1_ps(ctx->beta), y);
                if (f & SGEMM_F_BIAS_ROW)
                    y = _mm512_add_ps(y, _mm512_set1_ps(ctx->bias[r]));
                if (f & SGEMM_F_BIAS_COL)
                    y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, ctx->bias + j0 + 16 * v));
                if (f & SGEMM_F_CLAMP)
                    y = _mm512_min_ps(_mm512_max_ps(y, _mm512_set1_ps(ctx->clamp_min)), _mm512_set1_ps(ctx->clamp_max));
                _mm512_mask_storeu_ps(cr + 16 * v, m, y);
            }
        }
    }
}

void kerno_sgemm_small_m_avx512(size_t m, size_t n, size_t k, const float* a, size_t lda, int trans_a,
                                const float* b, size_t ldb, float* c, size_t ldc, const sgemm_ukr_ctx* ctx)
{
    switch (m) {
    case 1: small_rows(1, n, k, a, lda, trans_a, b, ldb, c, ldc, ctx); break;
    case 2: small_rows(2, n, k, a, lda, trans_a, b, ldb, c, ldc, ctx); break;
    case 3: small_rows(3, n, k, a, lda, trans_a, b, ldb, c, ldc, ctx); break;
    default: small_rows(4, n, k, a, lda, trans_a, b, ldb, c, ldc, ctx); break;
    }
}

/* ---- activations ---- */
static inline __m512 exp_ps(__m512 x)
{
    /* exp(x) = 2^n * e^r, n = round(x log2 e), |r| <= ln2/2, e^r by its degree-6 Taylor polynomial (< 2e-7 rel) */
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.33654f)), _mm512_set1_ps(88.37626f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

static inline __m512 sigmoid_ps(__m512 x)
{
    return _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

static inline __m512 act_ps(__m512 x, int32_t act, float p0, float p1)
{
    switch (act) {
    case KERNO_ACT_RELU:
        return _mm512_max_ps(x, _mm512_setzero_ps());
    case KERNO_ACT_CLIP:
        return _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(p0)), _mm512_set1_ps(p1));
    case KERNO_ACT_LEAKY_RELU: {
        __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
        return _mm512_mask_mul_ps(x, neg, x, _mm512_set1_ps(p0));
    }
    case KERNO_ACT_SIGMOID:
        return sigmoid_ps(x);
    case KERNO_ACT_HARD_SWISH: {
        __m512 t = _mm512_fmadd_ps(x, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
        t = _mm512_min_ps(_mm512_max_ps(t, _mm512_setzero_ps()), _mm512_set1_ps(1.0f));
        return _mm512_mul_ps(x, t);
    }
    case KERNO_ACT_GELU_TANH: {
        __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
        __m512 u2 = _mm512_mul_ps(_mm512_fmadd_ps(x3, _mm512_set1_ps(0.044715f), x), _mm512_set1_ps(1.5957691216057308f));
        return _mm512_mul_ps(x, sigmoid_ps(u2));
    }
    case KERNO_ACT_SILU:
        return _mm512_mul_ps(x, sigmoid_ps(x));
    default:
        return x;
    }
}

/* One activation over a tile, inlined per activation so its switch resolves at compile time (no branch per
 * vector), full 16-column vectors unmasked so the loads right after the kernel's stores forward from the store
 * buffer. */
static inline __attribute__((always_inline)) void act_rows(float* c, size_t ldc, size_t mr, size_t nr, int32_t act,
                                                           float p0, float p1)
{
    const size_t full = nr & ~(size_t)15;
    const __mmask16 tail = lo_mask(nr - full);
    for (size_t i = 0; i < mr; ++i) {
        float* ci = c + i * ldc;
        for (size_t j = 0; j < full; j += 16)
            _mm512_storeu_ps(ci + j, act_ps(_mm512_loadu_ps(ci + j), act, p0, p1));
        if (tail)
            _mm512_mask_storeu_ps(ci + full, tail, act_ps(_mm512_maskz_loadu_ps(tail, ci + full), act, p0, p1));
    }
}

void kerno_sgemm_act_tile_avx512(float* c, size_t ldc, size_t mr, size_t nr, int32_t act, float p0, float p1)
{
    switch (act) {
    case KERNO_ACT_LEAKY_RELU: act_rows(c, ldc, mr, nr, KERNO_ACT_LEAKY_RELU, p0, p1); break;
    case KERNO_ACT_SIGMOID: act_rows(c, ldc, mr, nr, KERNO_ACT_SIGMOID, p0, p1); break;
    case KERNO_ACT_HARD_SWISH: act_rows(c, ldc, mr, nr, KERNO_ACT_HARD_SWISH, p0, p1); break;
    case KERNO_ACT_GELU_TANH: act_rows(c, ldc, mr, nr, KERNO_ACT_GELU_TANH, p0, p1); break;
    case KERNO_ACT_SILU: act_rows(c, ldc, mr, nr, KERNO_ACT_SILU, p0, p1); break;
    default: act_rows(c, ldc, mr, nr, act, p0, p1); break; /* ReLU / Clip: the kernels' store does them */
    }
}
