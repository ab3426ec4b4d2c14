/* Library basics: ABI version, errors, CPU features vs dispatch, aligned allocation. */
#include <stdint.h>
#include <string.h>
#include "kerno_test.h"

static void abi_version_matches_header(void) { CHECK(kerno_abi_version() == KERNO_ABI_VERSION); }

static void version_string_is_set(void)
{
    const char* v = kerno_version_string();
    CHECK(v != NULL && strlen(v) > 0);
}

static void aligned_alloc_aligns_and_counts(void)
{
    uint64_t before = kerno_debug_live_bytes();
    static const size_t aligns[] = { 8, 16, 32, 64, 128, 4096 };
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; ++i) {
        unsigned char* p = kerno_aligned_alloc(1000, aligns[i]);
        CHECK(p != NULL);
        CHECK(((uintptr_t)p % aligns[i]) == 0);
        memset(p, 0xab, 1000);
        CHECK(kerno_debug_live_bytes() == before + 1000);
        kerno_aligned_free(p);
    }
    CHECK(kerno_debug_live_bytes() == before);
    kerno_aligned_free(NULL);
}

static void aligned_alloc_rejects_bad_arguments(void)
{
    CHECK(kerno_aligned_alloc(16, 3) == NULL);
    CHECK(strstr(kerno_last_error(), "alignment") != NULL);
    CHECK(kerno_aligned_alloc(SIZE_MAX - 8, 64) == NULL);
    CHECK(kerno_aligned_alloc(16, 8192) == NULL);
}

static void dispatch_follows_features(void)
{
    uint64_t f = kerno_cpu_features();
    int32_t isa = kerno_active_isa();
    CHECK(strcmp(kerno_isa_name(isa), "unknown") != 0);
#if defined(__x86_64__)
    CHECK((f & KERNO_CPU_ARM_NEON) == 0);
    if (isa == KERNO_ISA_AVX512) CHECK(f & KERNO_CPU_X86_AVX512F);
    if (isa == KERNO_ISA_AVX2) CHECK(f & KERNO_CPU_X86_AVX2);
    if (f & KERNO_CPU_X86_AVX512F) CHECK(f & KERNO_CPU_X86_AVX2);
    CHECK(kerno_set_isa(KERNO_ISA_NEON) == KERNO_ERR_UNSUPPORTED);
#elif defined(__aarch64__)
    CHECK(f & KERNO_CPU_ARM_NEON);
    CHECK(isa == KERNO_ISA_NEON);
    CHECK(kerno_set_isa(KERNO_ISA_AVX2) == KERNO_ERR_UNSUPPORTED);
#endif
    CHECK(kerno_set_isa(99) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_set_isa(KERNO_ISA_GENERIC) == KERNO_OK);
    CHECK(kerno_active_isa() == KERNO_ISA_GENERIC);
    CHECK(kerno_set_isa(isa) == KERNO_OK);
}

KERNO_TEST_MAIN(KT_CASE(abi_version_matches_header), KT_CASE(version_string_is_set),
                KT_CASE(aligned_alloc_aligns_and_counts), KT_CASE(aligned_alloc_rejects_bad_arguments),
                KT_CASE(dispatch_follows_features))
