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

#if defined(_WIN32)
/* A DLL exports only what is marked __declspec(dllexport) (KERNO_API): everything else is internal already. */
#  define KERNO_INTERNAL
#else
#  define KERNO_INTERNAL __attribute__((visibility("hidden")))
#endif

/* The assembly kernels use the System V AMD64 convention on every OS: on Windows (mingw-w64 gcc, clang) their
 * declarations and the function pointer types that hold them say so, and the compiler saves what the Windows
 * convention would have preserved (rsi, rdi, xmm6-xmm15) around each call. Elsewhere it is the default. */
#if defined(_WIN32) && KERNO_ARCH_X86_64
#  define KERNO_ASM_ABI __attribute__((sysv_abi))
#else
#  define KERNO_ASM_ABI
#endif

/* mingw-w64 gcc checks printf formats against msvcrt's unless told libkerno uses the C99 ones
 * (__USE_MINGW_ANSI_STDIO, cmake/KernoFlags.cmake); clang always checks C99 formats. */
#if defined(__MINGW32__) && !defined(__clang__)
#  define KERNO_PRINTF_FORMAT gnu_printf
#else
#  define KERNO_PRINTF_FORMAT printf
#endif

/* Records a printf-style message for kerno_last_error() and returns `status`. */
KERNO_INTERNAL kerno_status kerno_fail(kerno_status status, const char* fmt, ...)
    __attribute__((format(KERNO_PRINTF_FORMAT, 2, 3)));
KERNO_INTERNAL void kerno_clear_error(void);

#if KERNO_ARCH_X86_64
/* asm/x86_64/cpuid_x86_64.S */
KERNO_INTERNAL KERNO_ASM_ABI void kerno_x86_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
KERNO_INTERNAL KERNO_ASM_ABI uint64_t kerno_x86_xgetbv(uint32_t xcr);
#endif

#endif
