/* The portable C micro-kernel: SGEMM_GENERIC_MR x SGEMM_GENERIC_NR, written so compilers vectorize the
 * NR-wide rank-1 update. It is the generic kernel set's kernel and the reference the others are tested against. */
#include "sgemm_internal.h"

enum { MR = SGEMM_GENERIC_MR, NR = SGEMM_GENERIC_NR };

KERNO_ASM_ABI void kerno_sgemm_ukernel_generic(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                                               const sgemm_ukr_ctx* ctx)
{
    float acc[MR][NR] = { { 0 } };
    for (size_t p = 0; p < kc; ++p) {
        for (int i = 0; i < MR; ++i) {
            float ai = a[p * MR + i];
            for (int j = 0; j < NR; ++j)
                acc[i][j] += ai * b[p * NR + j];
        }
    }
    for (size_t i = 0; i < ctx->mr; ++i)
        for (size_t j = 0; j < ctx->nr; ++j)
            c[i * ldc + j] = sgemm_epilogue1(acc[i][j], &c[i * ldc + j], i, j, ctx);
}
