/* Element-wise activations, generic (instantiates activation.inc). */
#define KV_ISA_GENERIC 1
#include "activation.inc"
