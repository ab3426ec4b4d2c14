/* The conv/NN kernel table for avx2 (NCHW8c). */
#define KV_ISA_AVX2 1
#define KV_TABLE_ISA KERNO_ISA_AVX2
#include "dispatch_conv.inc"
