/* direct kernel for few input channels, NCHW, generic (instantiates direct_fewc.inc). */
#define KV_ISA_GENERIC 1
#include "direct_fewc.inc"
