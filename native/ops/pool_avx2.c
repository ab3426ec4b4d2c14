/* NCHW pooling, avx2 (instantiates pool.inc). */
#define KV_ISA_AVX2 1
#include "pool.inc"
