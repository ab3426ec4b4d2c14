/* NN operator inner loops, generic (instantiates ops.inc). */
#define KV_ISA_GENERIC 1
#include "ops.inc"
