/* direct kernel for few input channels, NCHW, neon (instantiates direct_fewc.inc). */
#define KV_ISA_NEON 1
#include "direct_fewc.inc"
