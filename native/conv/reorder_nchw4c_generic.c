/* reorder kernels, NCHW4c, generic (instantiates reorder.inc). */
#define KV_ISA_GENERIC 1
#include "reorder.inc"
