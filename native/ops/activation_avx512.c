/* Element-wise activations, avx512 (instantiates activation.inc). */
#define KV_ISA_AVX512 1
#include "activation.inc"
