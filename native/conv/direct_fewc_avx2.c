/* direct kernel for few input channels, NCHW, avx2 (instantiates direct_fewc.inc). */
#define KV_ISA_AVX2 1
#include "direct_fewc.inc"
