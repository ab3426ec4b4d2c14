/* reorder kernels, NCHW16c, avx512 (instantiates reorder.inc). */
#define KV_ISA_AVX512 1
#include "reorder.inc"
