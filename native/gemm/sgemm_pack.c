/* Portable packing for any MR / NR. Partial panels are zero-padded to the full MR / NR, so micro-kernels
 * never see a ragged edge on the packed side. ISA files override the hot cases with vector packers. */
#include "sgemm_internal.h"

#include <string.h>

void kerno_sgemm_pack_a_any(size_t mr, int trans, size_t mc, size_t kc, const float* src, size_t ld, float* dst)
{
    for (size_t i0 = 0; i0 < mc; i0 += mr) {
        size_t rows = mc - i0 < mr ? mc - i0 : mr;
        if (!trans) {
            /* op(A)[i][p] = src[i*ld + p]: walk each source row sequentially, scatter with stride mr. */
            for (size_t i = 0; i < rows; ++i) {
                const float* s = src + (i0 + i) * ld;
                for (size_t p = 0; p < kc; ++p)
                    dst[p * mr + i] = s[p];
            }
        } else {
            /* op(A)[i][p] = src[p*ld + i]: rows of the panel are contiguous in the source. */
            for (size_t p = 0; p < kc; ++p)
                memcpy(dst + p * mr, src + p * ld + i0, rows * sizeof(float));
        }
        if (rows < mr)
            for (size_t p = 0; p < kc; ++p)
                memset(dst + p * mr + rows, 0, (mr - rows) * sizeof(float));
        dst += mr * kc;
    }
}

void kerno_sgemm_pack_b_any(size_t nr, int trans, size_t kc, size_t nc, const float* src, size_t ld, float* dst)
{
    for (size_t j0 = 0; j0 < nc; j0 += nr) {
        size_t cols = nc - j0 < nr ? nc - j0 : nr;
        if (!trans) {
            /* op(B)[p][j] = src[p*ld + j] */
            for (size_t p = 0; p < kc; ++p)
                memcpy(dst + p * nr, src + p * ld + j0, cols * sizeof(float));
        } else {
            /* op(B)[p][j] = src[j*ld + p] */
            for (size_t j = 0; j < cols; ++j) {
                const float* s = src + (j0 + j) * ld;
                for (size_t p = 0; p < kc; ++p)
                    dst[p * nr + j] = s[p];
            }
        }
        if (cols < nr)
            for (size_t p = 0; p < kc; ++p)
                memset(dst + p * nr + cols, 0, (nr - cols) * sizeof(float));
        dst += nr * kc;
    }
}

void kerno_sgemm_pack_a_generic(int trans, size_t mc, size_t kc, const float* src, size_t ld, float* dst)
{
    kerno_sgemm_pack_a_any(SGEMM_GENERIC_MR, trans, mc, kc, src, ld, dst);
}

void kerno_sgemm_pack_b_generic(int trans, size_t kc, size_t nc, const float* src, size_t ld, float* dst)
{
    kerno_sgemm_pack_b_any(SGEMM_GENERIC_NR, trans, kc, nc, src, ld, dst);
}
