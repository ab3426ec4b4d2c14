/* winograd kernels, NCHW4c, generic (instantiates winograd.inc). */
#define KV_ISA_GENERIC 1
#include "winograd.inc"
