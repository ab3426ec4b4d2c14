/* reorder kernels, NCHW4c, neon (instantiates reorder.inc). */
#define KV_ISA_NEON 1
#include "reorder.inc"
