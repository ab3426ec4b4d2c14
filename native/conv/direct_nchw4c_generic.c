/* direct kernels, NCHW4c, generic (instantiates direct.inc). */
#define KV_ISA_GENERIC 1
#include "direct.inc"
