/* AVX2 kernel set, C side: the intrinsics twin of asm/x86_64/sgemm_6x16_avx2.S (same contract, fallback and
 * second reference), packers for MR = 6 / NR = 16, and the vector activations (the twin's store, and the pass
 * after the small-M path). */
#include "sgemm_internal.h"

#include <immintrin.h>

enum { MR = 6, NR = 16 };

/* mask(n) at offset j: lanes j..j+7 of "first n lanes set" = loadu(mask_table + 16 - n + j) for n in 0..16 */
static const int32_t mask_table[32] = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0 };

static inline __m256i lane_mask(size_t n, size_t j)
{
    return _mm256_loadu_si256((const __m256i*)(mask_table + 16 - (n > 16 ? 16 : n) + j));
}

static inline __m256 act_ps(__m256 x, int32_t act, float p0, float p1);

/* The activation flags as the asm kernel's store computes them: LeakyReLU blends on the sign bit; the sigmoid
 * family is act_ps, the same operations as the asm. */
static inline __m256 store_act(__m256 x, uint32_t f, float slope)
{
    if (f & SGEMM_F_SIGMOID)
        return act_ps(x, KERNO_ACT_SIGMOID, slope, 0.0f);
    if (f & SGEMM_F_SILU)
        return act_ps(x, KERNO_ACT_SILU, slope, 0.0f);
    if (f & SGEMM_F_GELU)
        return act_ps(x, KERNO_ACT_GELU_TANH, slope, 0.0f);
    if (f & SGEMM_F_LEAKY)
        return _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(slope)), x);
    __m256 t = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.0f / 6.0f)), _mm256_set1_ps(0.5f));
    t = _mm256_min_ps(_mm256_max_ps(t, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
    return _mm256_mul_ps(x, t);
}

KERNO_ASM_ABI void kerno_sgemm_6x16_avx2_c(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                           const sgemm_ukr_ctx* ctx)
{
    __m256 acc[MR][2];
    for (int i = 0; i < MR; ++i)
        acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (size_t p = 0; p < kc; ++p) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        for (int i = 0; i < MR; ++i) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += MR;
        b += NR;
    }
    const uint32_t f = ctx->flags;
    const __m256i m0 = lane_mask(ctx->nr, 0), m1 = lane_mask(ctx->nr, 8);
    const __m256 alpha = _mm256_set1_ps(ctx->alpha), beta = _mm256_set1_ps(ctx->beta);
    const __m256 lo = _mm256_set1_ps(ctx->clamp_min), hi = _mm256_set1_ps(ctx->clamp_max);
    __m256 cb0 = _mm256_setzero_ps(), cb1 = _mm256_setzero_ps();
    if (f & SGEMM_F_BIAS_COL) {
        cb0 = _mm256_maskload_ps(ctx->bias, m0);
        cb1 = _mm256_maskload_ps(ctx->bias + 8, m1);
    }
    for (size_t i = 0; i < ctx->mr; ++i) {
        __m256 x0 = acc[i][0], x1 = acc[i][1];
        float* ci = c + i * ldc;
        if (f & SGEMM_F_ALPHA) {
            x0 = _mm256_mul_ps(x0, alpha);
            x1 = _mm256_mul_ps(x1, alpha);
        }
        if (f & SGEMM_F_BETA) {
            x0 = _mm256_fmadd_ps(_mm256_maskload_ps(ci, m0), beta, x0);
            x1 = _mm256_fmadd_ps(_mm256_maskload_ps(ci + 8, m1), beta, x1);
        }
        if (f & SGEMM_F_BIAS_ROW) {
            __m256 rb = _mm256_broadcast_ss(ctx->bias + i);
            x0 = _mm256_add_ps(x0, rb);
            x1 = _mm256_add_ps(x1, rb);
        }
        if (f & SGEMM_F_BIAS_COL) {
            x0 = _mm256_add_ps(x0, cb0);
            x1 = _mm256_add_ps(x1, cb1);
        }
        if (f & SGEMM_F_CLAMP) {
            x0 = _mm256_min_ps(_mm256_max_ps(x0, lo), hi);
            x1 = _mm256_min_ps(_mm256_max_ps(x1, lo), hi);
        }
        if (f & (SGEMM_F_LEAKY | SGEMM_F_HSWISH | SGEMM_F_SIGMOID | SGEMM_F_SILU | SGEMM_F_GELU)) {
            x0 = store_act(x0, f, ctx->slope);
            x1 = store_act(x1, f, ctx->slope);
        }
        _mm256_maskstore_ps(ci, m0, x0);
        _mm256_maskstore_ps(ci + 8, m1, x1);
    }
}

/* ---- packing ---- */
/* In-register 8 x 8 transpose: r[i] row i in, r[j] column j out. */
static inline void transpose8(__m256 r[8])
{
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int j = 0; j < 4; ++j) {
        r[j] = _mm256_permute2f128_ps(u[j], u[j + 4], 0x20);
        r[j + 4] = _mm256_permute2f128_ps(u[j], u[j + 4], 0x31);
    }
}

/* Loads up to 8 rows of `cols` <= 8 floats (zero-filled) and transposes them: r[p] = column p. */
static inline void load_transpose(__m256 r[8], const float* src, size_t ld, size_t rows, size_t cols)
{
    __m256i m = lane_mask(cols, 0);
    for (size_t i = 0; i < 8; ++i)
        r[i] = i < rows ? (cols == 8 ? _mm256_loadu_ps(src + i * ld) : _mm256_maskload_ps(src + i * ld, m))
                        : _mm256_setzero_ps();
    transpose8(r);
}

/* The packing buffers have at least 64 bytes of slack after them (sgemm_driver.c), so a depth step of 6 floats
 * may be written with an 8-float store: the 2 extra floats land where the next step (or panel) goes next. */
void kerno_sgemm_pack_a6_avx2(int trans, size_t mc, size_t kc, const float* src, size_t ld, float* dst)
{
    for (size_t i0 = 0; i0 < mc; i0 += MR) {
        size_t rows = mc - i0 < MR ? mc - i0 : MR;
        if (trans) {
            __m256i m = lane_mask(rows, 0);
            for (size_t p = 0; p < kc; ++p)
                _mm256_storeu_ps(dst + p * MR, _mm256_maskload_ps(src + p * ld + i0, m));
        } else {
            const float* s = src + i0 * ld;
            for (size_t p0 = 0; p0 < kc; p0 += 8) {
                size_t cols = kc - p0 < 8 ? kc - p0 : 8;
                __m256 r[8];
                load_transpose(r, s + p0, ld, rows, cols);
                for (size_t p = 0; p < cols; ++p)
                    _mm256_storeu_ps(dst + (p0 + p) * MR, r[p]);
            }
        }
        dst += MR * kc;
    }
}

void kerno_sgemm_pack_b16_avx2(int trans, size_t kc, size_t nc, const float* src, size_t ld, float* dst)
{
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        size_t cols = nc - j0;
        if (trans) {
            size_t n0 = cols < 8 ? cols : 8, n1 = cols > 8 ? (cols < 16 ? cols - 8 : 8) : 0;
            const float* s = src + j0 * ld;
            for (size_t p0 = 0; p0 < kc; p0 += 8) {
                size_t kk = kc - p0 < 8 ? kc - p0 : 8;
                __m256 lo[8], hi[8];
                load_transpose(lo, s + p0, ld, n0, kk);
                load_transpose(hi, s + 8 * ld + p0, ld, n1, kk);
                for (size_t p = 0; p < kk; ++p) {
                    _mm256_storeu_ps(dst + (p0 + p) * NR, lo[p]);
                    _mm256_storeu_ps(dst + (p0 + p) * NR + 8, hi[p]);
                }
            }
        } else {
            const float* s = src + j0;
            if (cols >= NR) {
                for (size_t p = 0; p < kc; ++p) {
                    _mm256_storeu_ps(dst + p * NR, _mm256_loadu_ps(s + p * ld));
                    _mm256_storeu_ps(dst + p * NR + 8, _mm256_loadu_ps(s + p * ld + 8));
                }
            } else {
                __m256i m0 = lane_mask(cols, 0), m1 = lane_mask(cols, 8);
                for (size_t p = 0; p < kc; ++p) {
                    _mm256_storeu_ps(dst + p * NR, _mm256_maskload_ps(s + p * ld, m0));
                    _mm256_storeu_ps(dst + p * NR + 8, _mm256_maskload_ps(s + p * ld + 8, m1));
                }
            }
        }
        dst += NR * kc;
    }
}

/* ---- small M: GEMV-like shapes straight from the unpacked B ---- */
/* M <= 2 rows x 32 columns in 4M ymm accumulators over the whole depth; B rows stream with stride ldb. */
static inline __attribute__((always_inline)) void small_rows(const int M, size_t n, size_t k, const float* a,
                                                             size_t lda, int ta, const float* b, size_t ldb,
                                                             float* c, size_t ldc, const sgemm_ukr_ctx* ctx)
{
    const size_t sa = ta ? 1 : lda, pa = ta ? lda : 1;
    const uint32_t f = ctx->flags;
    for (size_t j = 0; j < n; j += 32) {
        size_t nb = n - j < 32 ? n - j : 32;
        __m256i m[4];
        for (int v = 0; v < 4; ++v)
            m[v] = lane_mask(nb > (size_t)(8 * v) ? nb - 8 * v : 0, 0);
        __m256 x[2][4];
        for (int r = 0; r < M; ++r)
            for (int v = 0; v < 4; ++v)
                x[r][v] = _mm256_setzero_ps();
        const float* bp = b + j;
        for (size_t p = 0; p < k; ++p, bp += ldb) {
            __m256 bv[4];
            if (nb == 32)
                for (int v = 0; v < 4; ++v)
                    bv[v] = _mm256_loadu_ps(bp + 8 * v);
            else
                for (int v = 0; v < 4; ++v)
                    bv[v] = _mm256_maskload_ps(bp + 8 * v, m[v]);
            for (int r = 0; r < M; ++r) {
                __m256 ar = _mm256_set1_ps(a[r * sa + p * pa]);
                for (int v = 0; v < 4; ++v)
                    x[r][v] = _mm256_fmadd_ps(ar, bv[v], x[r][v]);
            }
        }
        for (int r = 0; r < M; ++r) {
            float* cr = c + r * ldc + j;
            for (int v = 0; v < 4; ++v) {
                __m256 y = x[r][v];
                if (f & SGEMM_F_ALPHA)
                    y = _mm256_mul_ps(y, _mm256_set1_ps(ctx->alpha));
                if (f & SGEMM_F_BETA)
                    y = _mm256_fmadd_ps(_mm256_maskload_ps(cr + 8 * v, m[v]), _mm256_set1_ps(ctx->beta), y);
                if (f & SGEMM_F_BIAS_ROW)
                    y = _mm256_add_ps(y, _mm256_set1_ps(ctx->bias[r]));
                if (f & SGEMM_F_BIAS_COL)
                    y = _mm256_add_ps(y, _mm256_maskload_ps(ctx->bias + j + 8 * v, m[v]));
                if (f & SGEMM_F_CLAMP)
                    y = _mm256_min_ps(_mm256_max_ps(y, _mm256_set1_ps(ctx->clamp_min)), _mm256_set1_ps(ctx->clamp_max));
                if (nb == 32)
                    _mm256_storeu_ps(cr + 8 * v, y);
                else
                    _mm256_maskstore_ps(cr + 8 * v, m[v], y);
            }
        }
    }
}

void kerno_sgemm_small_m_avx2(size_t m, size_t n, size_t k, const float* a, size_t lda, int trans_a, const float* b,
                              size_t ldb, float* c, size_t ldc, const sgemm_ukr_ctx* ctx)
{
    if (m == 1)
        small_rows(1, n, k, a, lda, trans_a, b, ldb, c, ldc, ctx);
    else
        small_rows(2, n, k, a, lda, trans_a, b, ldb, c, ldc, ctx);
}

/* ---- activations ---- */
static inline __m256 exp_ps(__m256 x)
{
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.33654f)), _mm256_set1_ps(88.37626f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static inline __m256 sigmoid_ps(__m256 x)
{
    return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

static inline __m256 act_ps(__m256 x, int32_t act, float p0, float p1)
{
    switch (act) {
    case KERNO_ACT_RELU:
        return _mm256_max_ps(x, _mm256_setzero_ps());
    case KERNO_ACT_CLIP:
        return _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(p0)), _mm256_set1_ps(p1));
    case KERNO_ACT_LEAKY_RELU: {
        __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
        return _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(p0)), neg);
    }
    case KERNO_ACT_SIGMOID:
        return sigmoid_ps(x);
    case KERNO_ACT_HARD_SWISH: {
        __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(1.0f / 6.0f), _mm256_set1_ps(0.5f));
        t = _mm256_min_ps(_mm256_max_ps(t, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
        return _mm256_mul_ps(x, t);
    }
    case KERNO_ACT_GELU_TANH: {
        __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
        __m256 u2 = _mm256_mul_ps(_mm256_fmadd_ps(x3, _mm256_set1_ps(0.044715f), x), _mm256_set1_ps(1.5957691216057308f));
        return _mm256_mul_ps(x, sigmoid_ps(u2));
    }
    case KERNO_ACT_SILU:
        return _mm256_mul_ps(x, sigmoid_ps(x));
    default:
        return x;
    }
}

/* One activation over a tile, inlined per activation so its switch resolves at compile time (no branch per
 * vector). */
static inline __attribute__((always_inline)) void act_rows(float* c, size_t ldc, size_t mr, size_t nr, int32_t act,
                                                           float p0, float p1)
{
    for (size_t i = 0; i < mr; ++i) {
        float* ci = c + i * ldc;
        size_t j = 0;
        for (; j + 8 <= nr; j += 8)
            _mm256_storeu_ps(ci + j, act_ps(_mm256_loadu_ps(ci + j), act, p0, p1));
        if (j < nr) {
            __m256i m = lane_mask(nr - j, 0);
            _mm256_maskstore_ps(ci + j, m, act_ps(_mm256_maskload_ps(ci + j, m), act, p0, p1));
        }
    }
}

void kerno_sgemm_act_tile_avx2(float* c, size_t ldc, size_t mr, size_t nr, int32_t act, float p0, float p1)
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
