/* winograd kernels, NCHW8c, avx2 (instantiates winograd.inc). */
#define KV_ISA_AVX2 1
#include "winograd.inc"
