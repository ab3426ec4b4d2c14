/* NCHW pooling, avx512 (instantiates pool.inc). */
#define KV_ISA_AVX512 1
#include "pool.inc"
