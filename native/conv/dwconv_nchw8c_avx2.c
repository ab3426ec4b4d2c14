/* dwconv kernels, NCHW8c, avx2 (instantiates dwconv.inc). */
#define KV_ISA_AVX2 1
#include "dwconv.inc"
