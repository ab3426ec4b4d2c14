/* Which conv/NN kernel table runs: the one of kerno_active_isa(). Tables live in dispatch_conv_<isa>.c. */
#include "conv_internal.h"

const conv_kernels* conv_kernels_for(int32_t isa)
{
    switch (isa) {
#if KERNO_ARCH_X86_64
    case KERNO_ISA_AVX512: return &conv_kernels_avx512;
    case KERNO_ISA_AVX2: return &conv_kernels_avx2;
#endif
#if KERNO_ARCH_AARCH64
    case KERNO_ISA_NEON: return &conv_kernels_neon;
#endif
    case KERNO_ISA_GENERIC: return &conv_kernels_generic;
    default: return NULL;
    }
}

const conv_kernels* conv_kernels_active(void)
{
    const conv_kernels* k = conv_kernels_for(kerno_active_isa());
    return k ? k : &conv_kernels_generic;
}
