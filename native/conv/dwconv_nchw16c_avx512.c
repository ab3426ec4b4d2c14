/* dwconv kernels, NCHW16c, avx512 (instantiates dwconv.inc). */
#define KV_ISA_AVX512 1
#include "dwconv.inc"
