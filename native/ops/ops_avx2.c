/* NN operator inner loops, avx2 (instantiates ops.inc). */
#define KV_ISA_AVX2 1
#include "ops.inc"
