/* The conv/NN kernel table for avx512 (NCHW16c). */
#define KV_ISA_AVX512 1
#define KV_TABLE_ISA KERNO_ISA_AVX512
#include "dispatch_conv.inc"
