/* dwconv kernels, NCHW4c, neon (instantiates dwconv.inc). */
#define KV_ISA_NEON 1
#include "dwconv.inc"
