/* NEON kernel set, C side: the intrinsics twin of asm/aarch64/sgemm_8x12_neon.S (same contract, fallback and
 * second reference), packers for MR = 8 / NR = 12, and the vector activations (in the twin's store). */
#include "sgemm_internal.h"

#include <arm_neon.h>

enum { MR = 8, NR = 12 };

static inline float32x4_t act_ps(float32x4_t x, int32_t act, float p0, float p1);

KERNO_ASM_ABI void kerno_sgemm_8x12_neon_c(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                           const sgemm_ukr_ctx* ctx)
{
    float32x4_t acc[MR][3];
    for (int i = 0; i < MR; ++i)
        acc[i][0] = acc[i][1] = acc[i][2] = vdupq_n_f32(0.0f);
    for (size_t p = 0; p < kc; ++p) {
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
        float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
        /* lane indices must be constants: the rows are spelled out */
        acc[0][0] = vfmaq_laneq_f32(acc[0][0], b0, a0, 0);
        acc[1][0] = vfmaq_laneq_f32(acc[1][0], b0, a0, 1);
        acc[2][0] = vfmaq_laneq_f32(acc[2][0], b0, a0, 2);
        acc[3][0] = vfmaq_laneq_f32(acc[3][0], b0, a0, 3);
        acc[0][1] = vfmaq_laneq_f32(acc[0][1], b1, a0, 0); acc[0][2] = vfmaq_laneq_f32(acc[0][2], b2, a0, 0);
        acc[1][1] = vfmaq_laneq_f32(acc[1][1], b1, a0, 1); acc[1][2] = vfmaq_laneq_f32(acc[1][2], b2, a0, 1);
        acc[2][1] = vfmaq_laneq_f32(acc[2][1], b1, a0, 2); acc[2][2] = vfmaq_laneq_f32(acc[2][2], b2, a0, 2);
        acc[3][1] = vfmaq_laneq_f32(acc[3][1], b1, a0, 3); acc[3][2] = vfmaq_laneq_f32(acc[3][2], b2, a0, 3);
        acc[4][0] = vfmaq_laneq_f32(acc[4][0], b0, a1, 0); acc[4][1] = vfmaq_laneq_f32(acc[4][1], b1, a1, 0);
        acc[4][2] = vfmaq_laneq_f32(acc[4][2], b2, a1, 0);
        acc[5][0] = vfmaq_laneq_f32(acc[5][0], b0, a1, 1); acc[5][1] = vfmaq_laneq_f32(acc[5][1], b1, a1, 1);
        acc[5][2] = vfmaq_laneq_f32(acc[5][2], b2, a1, 1);
        acc[6][0] = vfmaq_laneq_f32(acc[6][0], b0, a1, 2); acc[6][1] = vfmaq_laneq_f32(acc[6][1], b1, a1, 2);
        acc[6][2] = vfmaq_laneq_f32(acc[6][2], b2, a1, 2);
        acc[7][0] = vfmaq_laneq_f32(acc[7][0], b0, a1, 3); acc[7][1] = vfmaq_laneq_f32(acc[7][1], b1, a1, 3);
        acc[7][2] = vfmaq_laneq_f32(acc[7][2], b2, a1, 3);
        a += MR;
        b += NR;
    }
    /* Partial tiles: run the epilogue on a full staging row, copy out the nr valid columns. */
    const uint32_t f = ctx->flags;
    const float32x4_t alpha = vdupq_n_f32(ctx->alpha), beta = vdupq_n_f32(ctx->beta);
    const float32x4_t lo = vdupq_n_f32(ctx->clamp_min), hi = vdupq_n_f32(ctx->clamp_max);
    const size_t nr = ctx->nr;
    float colb[NR] = { 0 };
    if (f & SGEMM_F_BIAS_COL)
        for (size_t j = 0; j < nr; ++j)
            colb[j] = ctx->bias[j];
    for (size_t i = 0; i < ctx->mr; ++i) {
        float* ci = c + i * ldc;
        float row[NR] = { 0 };
        if (f & SGEMM_F_BETA)
            for (size_t j = 0; j < nr; ++j)
                row[j] = ci[j];
        for (int v = 0; v < 3; ++v) {
            float32x4_t x = acc[i][v];
            if (f & SGEMM_F_ALPHA)
                x = vmulq_f32(x, alpha);
            if (f & SGEMM_F_BETA)
                x = vfmaq_f32(x, vld1q_f32(row + 4 * v), beta);
            if (f & SGEMM_F_BIAS_ROW)
                x = vaddq_f32(x, vdupq_n_f32(ctx->bias[i]));
            if (f & SGEMM_F_BIAS_COL)
                x = vaddq_f32(x, vld1q_f32(colb + 4 * v));
            if (f & SGEMM_F_CLAMP)
                x = vminq_f32(vmaxq_f32(x, lo), hi);
            if (f & (SGEMM_F_SIGMOID | SGEMM_F_SILU | SGEMM_F_GELU))
                x = act_ps(x, f & SGEMM_F_SIGMOID ? KERNO_ACT_SIGMOID : f & SGEMM_F_SILU ? KERNO_ACT_SILU : KERNO_ACT_GELU_TANH,
                           0.0f, 0.0f);
            if (f & SGEMM_F_LEAKY)
                x = vbslq_f32(vcltzq_f32(x), vmulq_f32(x, vdupq_n_f32(ctx->slope)), x);
            if (f & SGEMM_F_HSWISH) {
                /* as the asm: 1/2 + x / 6 fused */
                float32x4_t t = vfmaq_f32(vdupq_n_f32(0.5f), x, vdupq_n_f32(1.0f / 6.0f));
                x = vmulq_f32(x, vminq_f32(vmaxq_f32(t, vdupq_n_f32(0.0f)), vdupq_n_f32(1.0f)));
            }
            vst1q_f32(row + 4 * v, x);
        }
        for (size_t j = 0; j < nr; ++j)
            ci[j] = row[j];
    }
}

void kerno_sgemm_pack_a8_neon(int trans, size_t mc, size_t kc, const float* src, size_t ld, float* dst)
{
    kerno_sgemm_pack_a_any(MR, trans, mc, kc, src, ld, dst);
}

void kerno_sgemm_pack_b12_neon(int trans, size_t kc, size_t nc, const float* src, size_t ld, float* dst)
{
    kerno_sgemm_pack_b_any(NR, trans, kc, nc, src, ld, dst);
}

/* ---- activations ---- */
static inline float32x4_t exp_ps(float32x4_t x)
{
    x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-87.33654f)), vdupq_n_f32(88.37626f));
    float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504f)));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.0f / 720);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 120), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 24), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 6), p, r);
    p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
    return vmulq_f32(p, vreinterpretq_f32_s32(e));
}

static inline float32x4_t sigmoid_ps(float32x4_t x)
{
    return vdivq_f32(vdupq_n_f32(1.0f), vaddq_f32(vdupq_n_f32(1.0f), exp_ps(vnegq_f32(x))));
}

static inline float32x4_t act_ps(float32x4_t x, int32_t act, float p0, float p1)
{
    switch (act) {
    case KERNO_ACT_RELU:
        return vmaxq_f32(x, vdupq_n_f32(0.0f));
    case KERNO_ACT_CLIP:
        return vminq_f32(vmaxq_f32(x, vdupq_n_f32(p0)), vdupq_n_f32(p1));
    case KERNO_ACT_LEAKY_RELU:
        return vbslq_f32(vcltq_f32(x, vdupq_n_f32(0.0f)), vmulq_f32(x, vdupq_n_f32(p0)), x);
    case KERNO_ACT_SIGMOID:
        return sigmoid_ps(x);
    case KERNO_ACT_HARD_SWISH: {
        float32x4_t t = vfmaq_f32(vdupq_n_f32(0.5f), x, vdupq_n_f32(1.0f / 6.0f));
        t = vminq_f32(vmaxq_f32(t, vdupq_n_f32(0.0f)), vdupq_n_f32(1.0f));
        return vmulq_f32(x, t);
    }
    case KERNO_ACT_GELU_TANH: {
        float32x4_t x3 = vmulq_f32(vmulq_f32(x, x), x);
        float32x4_t u2 = vmulq_f32(vfmaq_f32(x, x3, vdupq_n_f32(0.044715f)), vdupq_n_f32(1.5957691216057308f));
        return vmulq_f32(x, sigmoid_ps(u2));
    }
    case KERNO_ACT_SILU:
        return vmulq_f32(x, sigmoid_ps(x));
    default:
        return x;
    }
}

void kerno_sgemm_act_tile_neon(float* c, size_t ldc, size_t mr, size_t nr, int32_t act, float p0, float p1)
{
    for (size_t i = 0; i < mr; ++i) {
        float* ci = c + i * ldc;
        size_t j = 0;
        for (; j + 4 <= nr; j += 4)
            vst1q_f32(ci + j, act_ps(vld1q_f32(ci + j), act, p0, p1));
        if (j < nr) {
            float t[4] = { 0 };
            for (size_t q = 0; q < nr - j; ++q)
                t[q] = ci[j + q];
            vst1q_f32(t, act_ps(vld1q_f32(t), act, p0, p1));
            for (size_t q = 0; q < nr - j; ++q)
                ci[j + q] = t[q];
        }
    }
}
