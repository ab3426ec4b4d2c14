/* NN operator inner loops, neon (instantiates ops.inc). */
#define KV_ISA_NEON 1
#include "ops.inc"
