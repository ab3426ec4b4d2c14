/*
 * kerno.h - the C ABI of libkerno, Kerno's native kernel library.
 *
 * Rules of this header (a managed test parses it, keep them):
 *   - every exported function is declared on lines starting with KERNO_API and ends with ");"
 *   - only fixed-width integers, size_t, float, double, kerno_status, and pointers to those or void/char
 *   - callers validate sizes; native code still rejects what it cannot handle with a status code
 * The ABI version changes whenever a declaration here changes incompatibly.
 */
#ifndef KERNO_H
#define KERNO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(KERNO_BUILDING)
#    define KERNO_API __declspec(dllexport)
#  else
#    define KERNO_API __declspec(dllimport)
#  endif
#else
#  define KERNO_API __attribute__((visibility("default")))
#endif

#define KERNO_ABI_VERSION 1

typedef int32_t kerno_status;
#define KERNO_OK                    0
#define KERNO_ERR_INVALID_ARGUMENT  1
#define KERNO_ERR_OUT_OF_MEMORY     2
#define KERNO_ERR_UNSUPPORTED       3
#define KERNO_ERR_INTERNAL          4

/* CPU feature bits returned by kerno_cpu_features(). */
#define KERNO_CPU_X86_AVX        (1ull << 0)
#define KERNO_CPU_X86_FMA        (1ull << 1)
#define KERNO_CPU_X86_AVX2       (1ull << 2)
#define KERNO_CPU_X86_F16C       (1ull << 3)
#define KERNO_CPU_X86_AVX512F    (1ull << 4)
#define KERNO_CPU_X86_AVX512DQ   (1ull << 5)
#define KERNO_CPU_X86_AVX512BW   (1ull << 6)
#define KERNO_CPU_X86_AVX512VL   (1ull << 7)
#define KERNO_CPU_X86_AVX512VNNI (1ull << 8)
#define KERNO_CPU_X86_AVX512BF16 (1ull << 9)
#define KERNO_CPU_X86_AVXVNNI    (1ull << 10)
#define KERNO_CPU_ARM_NEON       (1ull << 32)
#define KERNO_CPU_ARM_FP16       (1ull << 33)
#define KERNO_CPU_ARM_DOTPROD    (1ull << 34)
#define KERNO_CPU_ARM_I8MM       (1ull << 35)
#define KERNO_CPU_ARM_BF16       (1ull << 36)
#define KERNO_CPU_ARM_SVE        (1ull << 37)

/* Kernel sets (ISA paths). KERNO_ISA=generic|avx2|avx512|neon in the environment forces one. */
#define KERNO_ISA_GENERIC 0
#define KERNO_ISA_AVX2    1
#define KERNO_ISA_AVX512  2
#define KERNO_ISA_NEON    3

/* ---- library ------------------------------------------------------------------------------- */
KERNO_API uint32_t kerno_abi_version(void);
KERNO_API const char* kerno_version_string(void);
/* Message of the last failed call on this thread ("" when none). Valid until the next call. */
KERNO_API const char* kerno_last_error(void);

/* ---- CPU and dispatch ---------------------------------------------------------------------- */
KERNO_API uint64_t kerno_cpu_features(void);
/* The kernel set in use (KERNO_ISA_*): the best the CPU supports, unless forced. */
KERNO_API int32_t kerno_active_isa(void);
/* Forces a kernel set; KERNO_ERR_UNSUPPORTED when this CPU or build cannot run it. */
KERNO_API kerno_status kerno_set_isa(int32_t isa);
KERNO_API const char* kerno_isa_name(int32_t isa);

/* ---- memory -------------------------------------------------------------------------------- */
/* alignment: a power of two >= sizeof(void*); returns NULL (and sets the last error) on failure. */
KERNO_API void* kerno_aligned_alloc(size_t size, size_t alignment);
KERNO_API void kerno_aligned_free(void* ptr);
/* Bytes currently allocated through kerno_aligned_alloc (for leak tests). */
KERNO_API uint64_t kerno_debug_live_bytes(void);

#ifdef __cplusplus
}
#endif
#endif /* KERNO_H */
