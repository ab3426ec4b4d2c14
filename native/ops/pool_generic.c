/* NCHW pooling, generic (instantiates pool.inc). */
#define KV_ISA_GENERIC 1
#include "pool.inc"
