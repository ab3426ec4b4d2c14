/* The conv/NN kernel table for neon (NCHW4c). */
#define KV_ISA_NEON 1
#define KV_TABLE_ISA KERNO_ISA_NEON
#include "dispatch_conv.inc"
