/* Element-wise activations, neon (instantiates activation.inc). */
#define KV_ISA_NEON 1
#include "activation.inc"
