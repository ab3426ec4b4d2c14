/* winograd kernels, NCHW4c, neon (instantiates winograd.inc). */
#define KV_ISA_NEON 1
#include "winograd.inc"
