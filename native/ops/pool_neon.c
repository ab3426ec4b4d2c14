/* NCHW pooling, neon (instantiates pool.inc). */
#define KV_ISA_NEON 1
#include "pool.inc"
