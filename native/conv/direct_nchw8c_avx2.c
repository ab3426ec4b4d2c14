/* direct kernels, NCHW8c, avx2 (instantiates direct.inc). */
#define KV_ISA_AVX2 1
#include "direct.inc"
