/* SGEMM registration: one kernel table per ISA, chosen by kerno_active_isa(), and the cache blocking
 * derived from the data cache sizes read at run time (sysfs, CPUID, or defaults). */
#include "sgemm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- kernel tables ---- */
/* Shares are in 1/16ths of a cache: the KC x NR B micro-panel lives in L1 next to the streaming A micro-panels,
 * the MC x KC A block in L2, the KC x NC B block in (this core's part of) L3. */
static const sgemm_kernel_desc k_generic = {
    KERNO_ISA_GENERIC, "generic-4x16", SGEMM_GENERIC_MR, SGEMM_GENERIC_NR,
    kerno_sgemm_ukernel_generic, kerno_sgemm_ukernel_generic,
    kerno_sgemm_pack_a_generic, kerno_sgemm_pack_b_generic, kerno_sgemm_act_tile_generic,
    NULL, 0, 0, 1, 0, 0, 8, 8, 4,
};

#if KERNO_ARCH_X86_64
static const sgemm_kernel_desc k_avx2 = {
    KERNO_ISA_AVX2, "avx2-6x16", 6, 16,
    kerno_sgemm_6x16_avx2, kerno_sgemm_6x16_avx2_c,
    kerno_sgemm_pack_a6_avx2, kerno_sgemm_pack_b16_avx2, kerno_sgemm_act_tile_avx2,
    kerno_sgemm_small_m_avx2, 2, 0, 1, 0, 2, 8, 8, 4,
};
static const sgemm_kernel_desc k_avx512 = {
    KERNO_ISA_AVX512, "avx512-14x32", 14, 32,
    kerno_sgemm_14x32_avx512, kerno_sgemm_14x32_avx512_c,
    kerno_sgemm_pack_a14_avx512, kerno_sgemm_pack_b32_avx512, kerno_sgemm_act_tile_avx512,
    kerno_sgemm_small_m_avx512, 4, 1, 8, 1, 2, 16, 8, 4,
};
#endif

#if KERNO_ARCH_AARCH64
static const sgemm_kernel_desc k_neon = {
    KERNO_ISA_NEON, "neon-8x12", 8, 12,
    kerno_sgemm_8x12_neon, kerno_sgemm_8x12_neon_c,
    kerno_sgemm_pack_a8_neon, kerno_sgemm_pack_b12_neon, kerno_sgemm_act_tile_neon,
    NULL, 0, 0, 1, 0, 2, 8, 8, 4,
};
#endif

static const sgemm_kernel_desc* desc_for(int32_t isa)
{
    switch (isa) {
#if KERNO_ARCH_X86_64
    case KERNO_ISA_AVX2: return &k_avx2;
    case KERNO_ISA_AVX512: return &k_avx512;
#endif
#if KERNO_ARCH_AARCH64
    case KERNO_ISA_NEON: return &k_neon;
#endif
    default: return &k_generic;
    }
}

/* ---- cache sizes ---- */
static size_t parse_size(const char* s)
{
    char* end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end == 'K' || *end == 'k') v <<= 10;
    else if (*end == 'M' || *end == 'm') v <<= 20;
    return (size_t)v;
}

static int read_line(const char* path, char* buf, size_t n)
{
    FILE* f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int ok = fgets(buf, (int)n, f) != NULL;
    fclose(f);
    if (ok)
        buf[strcspn(buf, "\r\n")] = '\0';
    return ok;
}

static void sysfs_caches(size_t* l1, size_t* l2, size_t* l3)
{
    char path[128], type[32], level[16], size[32];
    for (int i = 0; i < 8; ++i) {
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        if (!read_line(path, type, sizeof type))
            break;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        if (!read_line(path, level, sizeof level))
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if (!read_line(path, size, sizeof size))
            continue;
        if (strcmp(type, "Instruction") == 0)
            continue;
        size_t bytes = parse_size(size);
        switch (atoi(level)) {
        case 1: *l1 = bytes; break;
        case 2: *l2 = bytes; break;
        case 3: *l3 = bytes; break;
        default: break;
        }
    }
}

#if KERNO_ARCH_X86_64
/* Deterministic cache parameters: leaf 4 (Intel) or 0x8000001D (AMD), same register layout. */
static void cpuid_caches(size_t* l1, size_t* l2, size_t* l3)
{
    uint32_t r[4];
    kerno_x86_cpuid(0, 0, r);
    uint32_t leaf = 4, max_leaf = r[0];
    if (r[1] == 0x68747541u) { /* "Auth"enticAMD */
        kerno_x86_cpuid(0x80000000u, 0, r);
        if (r[0] < 0x8000001Du)
            return;
        leaf = 0x8000001Du;
    } else if (max_leaf < 4) {
        return;
    }
    for (uint32_t sub = 0; sub < 16; ++sub) {
        kerno_x86_cpuid(leaf, sub, r);
        uint32_t type = r[0] & 31, level = (r[0] >> 5) & 7;
        if (type == 0)
            break;
        if (type == 2)
            continue;
        size_t bytes = (size_t)((r[1] >> 22) + 1) * (((r[1] >> 12) & 0x3ff) + 1) * ((r[1] & 0xfff) + 1) * (r[2] + 1);
        if (level == 1 && *l1 == 0) *l1 = bytes;
        if (level == 2 && *l2 == 0) *l2 = bytes;
        if (level == 3 && *l3 == 0) *l3 = bytes;
    }
}
#endif

void kerno_cache_sizes(size_t* l1d, size_t* l2, size_t* l3)
{
    static volatile int done;
    static size_t c1, c2, c3;
    if (!done) {
        size_t a = 0, b = 0, c = 0;
        sysfs_caches(&a, &b, &c);
#if KERNO_ARCH_X86_64
        if (a == 0 || b == 0 || c == 0)
            cpuid_caches(&a, &b, &c);
#endif
        c1 = a >= 8192 ? a : 32 << 10;
        c2 = b >= 65536 ? b : 512 << 10;
        c3 = c >= c2 ? c : 4 * c2;
        done = 1;
    }
    *l1d = c1;
    *l2 = c2;
    *l3 = c3;
}

/* ---- overrides (tests, tuning) ---- */
static volatile size_t ovr_mc, ovr_nc, ovr_kc;
static volatile int32_t ovr_variant;

kerno_status kerno_sgemm_set_blocking(size_t mc, size_t nc, size_t kc, int32_t variant)
{
    if (variant < 0 || variant > 3)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT,
                          "kerno_sgemm_set_blocking: variant %d is not 0..3 (bit 0: twins, bit 1: no small-M path)",
                          variant);
    if (mc > (1u << 20) || nc > (1u << 24) || kc > (1u << 16))
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT,
                          "kerno_sgemm_set_blocking: mc %zu / nc %zu / kc %zu out of range (<= 2^20, 2^24, 2^16)", mc,
                          nc, kc);
    ovr_mc = mc;
    ovr_nc = nc;
    ovr_kc = kc;
    ovr_variant = variant;
    return KERNO_OK;
}

static size_t round_down(size_t v, size_t m) { return v / m * m; }
static size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

void kerno_sgemm_config(sgemm_config* cfg)
{
    const sgemm_kernel_desc* kd = desc_for(kerno_active_isa());
    size_t l1, l2, l3;
    kerno_cache_sizes(&l1, &l2, &l3);
    size_t mr = kd->mr, nr = kd->nr;

    size_t kc = ovr_kc;
    if (kc == 0) {
        kc = round_down(l1 * kd->l1_share / 16 / (nr * sizeof(float)), 16);
        kc = kc < 64 ? 64 : (kc > 1024 ? 1024 : kc);
    }
    size_t mc = ovr_mc;
    if (mc == 0) {
        mc = round_down(l2 * kd->l2_share / 16 / (kc * sizeof(float)), mr);
        mc = mc < mr ? mr : (mc > 4096 ? round_down(4096, mr) : mc);
    } else {
        mc = round_up(mc, mr);
    }
    size_t nc = ovr_nc;
    if (nc == 0) {
        nc = round_down(l3 * kd->l3_share / 16 / (kc * sizeof(float)), nr);
        nc = nc < nr ? nr : (nc > 16384 ? round_down(16384, nr) : nc);
    } else {
        nc = round_up(nc, nr);
    }
    cfg->kd = kd;
    cfg->ukernel = (ovr_variant & 1) ? kd->ukernel_twin : kd->ukernel;
    cfg->force_packed = (ovr_variant & 2) != 0;
    cfg->mr = mr;
    cfg->nr = nr;
    cfg->mc = mc;
    cfg->nc = nc;
    cfg->kc = kc;
}

kerno_status kerno_sgemm_get_blocking(size_t* mr, size_t* nr, size_t* mc, size_t* nc, size_t* kc)
{
    sgemm_config cfg;
    kerno_sgemm_config(&cfg);
    if (mr) *mr = cfg.mr;
    if (nr) *nr = cfg.nr;
    if (mc) *mc = cfg.mc;
    if (nc) *nc = cfg.nc;
    if (kc) *kc = cfg.kc;
    return KERNO_OK;
}
