/* The conv/NN kernel table for generic (NCHW4c). */
#define KV_ISA_GENERIC 1
#define KV_TABLE_ISA KERNO_ISA_GENERIC
#include "dispatch_conv.inc"
