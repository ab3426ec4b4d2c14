/* dwconv kernels, NCHW4c, generic (instantiates dwconv.inc). */
#define KV_ISA_GENERIC 1
#include "dwconv.inc"
