/* reorder kernels, NCHW8c, avx2 (instantiates reorder.inc). */
#define KV_ISA_AVX2 1
#include "reorder.inc"
