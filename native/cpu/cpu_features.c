/* Run-time CPU feature detection: CPUID + XGETBV on x86-64 (the OS must save the wide registers,
 * not only the CPU support them), the auxiliary vector on AArch64 Linux. */
#include "kerno_internal.h"

#if KERNO_ARCH_AARCH64 && defined(__linux__)
#include <sys/auxv.h>
#endif

#if KERNO_ARCH_X86_64
static uint64_t detect(void)
{
    uint32_t r[4];
    kerno_x86_cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    if (max_leaf < 1)
        return 0;

    kerno_x86_cpuid(1, 0, r);
    uint32_t ecx1 = r[2];
    int osxsave = (ecx1 >> 27) & 1;
    if (!osxsave)
        return 0;
    uint64_t xcr0 = kerno_x86_xgetbv(0);
    int ymm_saved = (xcr0 & 0x6) == 0x6;    /* SSE + AVX state */
    int zmm_saved = (xcr0 & 0xe6) == 0xe6;  /* + opmask, ZMM_Hi256, Hi16_ZMM */

    uint64_t f = 0;
    if (!ymm_saved || !((ecx1 >> 28) & 1))
        return 0;
    f |= KERNO_CPU_X86_AVX;
    if ((ecx1 >> 12) & 1) f |= KERNO_CPU_X86_FMA;
    if ((ecx1 >> 29) & 1) f |= KERNO_CPU_X86_F16C;
    if (max_leaf < 7)
        return f;

    kerno_x86_cpuid(7, 0, r);
    uint32_t ebx7 = r[1], ecx7 = r[2], eax7 = r[0];
    if ((ebx7 >> 5) & 1) f |= KERNO_CPU_X86_AVX2;
    if (zmm_saved) {
        if ((ebx7 >> 16) & 1) f |= KERNO_CPU_X86_AVX512F;
        if ((ebx7 >> 17) & 1) f |= KERNO_CPU_X86_AVX512DQ;
        if ((ebx7 >> 30) & 1) f |= KERNO_CPU_X86_AVX512BW;
        if ((ebx7 >> 31) & 1) f |= KERNO_CPU_X86_AVX512VL;
        if ((ecx7 >> 11) & 1) f |= KERNO_CPU_X86_AVX512VNNI;
    }
    if (eax7 >= 1) {
        kerno_x86_cpuid(7, 1, r);
        if ((r[0] >> 4) & 1) f |= KERNO_CPU_X86_AVXVNNI;
        if (zmm_saved && ((r[0] >> 5) & 1)) f |= KERNO_CPU_X86_AVX512BF16;
    }
    return f;
}
#elif KERNO_ARCH_AARCH64
static uint64_t detect(void)
{
    uint64_t f = KERNO_CPU_ARM_NEON; /* Advanced SIMD is mandatory in ARMv8-A */
#if defined(__linux__)
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    if (hw & (1ul << 10)) f |= KERNO_CPU_ARM_FP16;    /* HWCAP_ASIMDHP */
    if (hw & (1ul << 20)) f |= KERNO_CPU_ARM_DOTPROD; /* HWCAP_ASIMDDP */
    if (hw & (1ul << 22)) f |= KERNO_CPU_ARM_SVE;     /* HWCAP_SVE */
    if (hw2 & (1ul << 13)) f |= KERNO_CPU_ARM_I8MM;   /* HWCAP2_I8MM */
    if (hw2 & (1ul << 14)) f |= KERNO_CPU_ARM_BF16;   /* HWCAP2_BF16 */
#elif defined(__APPLE__)
    f |= KERNO_CPU_ARM_FP16 | KERNO_CPU_ARM_DOTPROD;  /* every Apple silicon core has them */
#endif
    return f;
}
#else
static uint64_t detect(void) { return 0; }
#endif

uint64_t kerno_cpu_features(void)
{
    /* Detection is idempotent, so a benign race on first use only repeats the work. */
    static volatile int done;
    static volatile uint64_t cached;
    if (!done) {
        cached = detect();
        done = 1;
    }
    return cached;
}
