/* direct kernels, NCHW16c, avx512 (instantiates direct.inc). */
#define KV_ISA_AVX512 1
#include "direct.inc"
