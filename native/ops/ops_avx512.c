/* NN operator inner loops, avx512 (instantiates ops.inc). */
#define KV_ISA_AVX512 1
#include "ops.inc"
