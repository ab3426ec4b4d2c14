/* Which kernel set runs: the best this CPU supports, overridden by KERNO_ISA or kerno_set_isa().
 * Each ISA's kernel table lives next to its kernels (dispatch_<isa>.c); this file only chooses. */
#include "kerno_internal.h"

#include <stdlib.h>
#include <string.h>

static const char* const isa_names[] = { "generic", "avx2", "avx512", "neon" };

const char* kerno_isa_name(int32_t isa)
{
    if (isa < 0 || isa > KERNO_ISA_NEON)
        return "unknown";
    return isa_names[isa];
}

static int isa_supported(int32_t isa)
{
    uint64_t f = kerno_cpu_features();
    switch (isa) {
    case KERNO_ISA_GENERIC:
        return 1;
#if KERNO_ARCH_X86_64
    case KERNO_ISA_AVX2:
        return (f & (KERNO_CPU_X86_AVX2 | KERNO_CPU_X86_FMA)) == (KERNO_CPU_X86_AVX2 | KERNO_CPU_X86_FMA);
    case KERNO_ISA_AVX512: {
        uint64_t need = KERNO_CPU_X86_AVX512F | KERNO_CPU_X86_AVX512BW | KERNO_CPU_X86_AVX512VL | KERNO_CPU_X86_AVX512DQ;
        return (f & need) == need;
    }
#endif
#if KERNO_ARCH_AARCH64
    case KERNO_ISA_NEON:
        return (f & KERNO_CPU_ARM_NEON) != 0;
#endif
    default:
        return 0;
    }
}

static int32_t best_isa(void)
{
    for (int32_t isa = KERNO_ISA_NEON; isa > KERNO_ISA_GENERIC; --isa)
        if (isa_supported(isa))
            return isa;
    return KERNO_ISA_GENERIC;
}

static volatile int32_t active = -1;

int32_t kerno_active_isa(void)
{
    if (active < 0) {
        int32_t isa = best_isa();
        const char* forced = getenv("KERNO_ISA");
        if (forced != NULL && forced[0] != '\0') {
            for (int32_t i = 0; i <= KERNO_ISA_NEON; ++i)
                if (strcmp(forced, isa_names[i]) == 0 && isa_supported(i))
                    isa = i;
        }
        active = isa;
    }
    return active;
}

kerno_status kerno_set_isa(int32_t isa)
{
    if (isa < 0 || isa > KERNO_ISA_NEON)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_set_isa: unknown kernel set %d", isa);
    if (!isa_supported(isa))
        return kerno_fail(KERNO_ERR_UNSUPPORTED, "kerno_set_isa: this CPU or build cannot run the %s kernels",
                          isa_names[isa]);
    active = isa;
    return KERNO_OK;
}
