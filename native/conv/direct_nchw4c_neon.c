/* direct kernels, NCHW4c, neon (instantiates direct.inc). */
#define KV_ISA_NEON 1
#include "direct.inc"
