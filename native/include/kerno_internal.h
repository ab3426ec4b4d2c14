/* Internal declarations shared by libkerno's sources. Not installed, not part of the ABI. */
#ifndef KERNO_INTERNAL_H
#define KERNO_INTERNAL_H

#define KERNO_BUILDING 1
#include "kerno.h"

#include <stdarg.h>

#if defined(__x86_64__) || defined(_M_X64)
#  define KERNO_ARCH_X86_64 1
#elif defined(__aarch64__) || defined(_M_ARM64)
#  define KERNO_ARCH_AARCH64 1
#endif

#define KERNO_INTERNAL __attribute__((visibility("hidden")))

/* Records a printf-style message for kerno_last_error() and returns `status`. */
KERNO_INTERNAL kerno_status kerno_fail(kerno_status status, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));
KERNO_INTERNAL void kerno_clear_error(void);

#if KERNO_ARCH_X86_64
/* asm/x86_64/cpuid_x86_64.S */
KERNO_INTERNAL void kerno_x86_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
KERNO_INTERNAL uint64_t kerno_x86_xgetbv(uint32_t xcr);
#endif

#endif
