/* Element-wise activations, avx2 (instantiates activation.inc). */
#define KV_ISA_AVX2 1
#include "activation.inc"
