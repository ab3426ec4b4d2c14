/* winograd kernels, NCHW16c, avx512 (instantiates winograd.inc). */
#define KV_ISA_AVX512 1
#include "winograd.inc"
