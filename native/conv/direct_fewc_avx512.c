/* direct kernel for few input channels, NCHW, avx512 (instantiates direct_fewc.inc). */
#define KV_ISA_AVX512 1
#include "direct_fewc.inc"
