/* SGEMM driver: argument checks, the BLIS loop nest around the micro-kernel, pre-packed B, and the 2-D tile
 * partition that threads (the managed thread pool, or kerno_sgemm_threaded's pthreads) split the work with. */
#include "sgemm_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(_WIN32)
#include <malloc.h>
#endif

#ifndef A_DIRECT_MAX_PANELS
#define A_DIRECT_MAX_PANELS 8
#endif
#define SGEMM_MAX_DIM ((size_t)INT32_MAX)
#define PACKED_MAGIC 0x4250534bu /* "KSPB" */
#define PACKED_HEADER 64u

/* Header in front of a pre-packed B. The data are K/KC blocks; block p holds ceil(N/NR) panels of kc_p x NR. */
typedef struct packed_header {
    uint32_t magic;
    int32_t isa;
    uint32_t nr;
    uint32_t kc;
    uint64_t n, k;
    uint64_t npad;  /* N rounded up to NR */
    uint64_t bytes; /* header + data */
} packed_header;
_Static_assert(sizeof(packed_header) <= PACKED_HEADER, "packed header");

typedef struct sgemm_problem {
    int ta, tb;
    size_t m, n, k;
    float alpha, beta;
    const float* a;
    size_t lda;
    const float* b;
    size_t ldb;
    const float* packed; /* pre-packed B data, or NULL */
    size_t packed_kc;
    size_t npad;
    float* c;
    size_t ldc;
    int32_t act, bias_kind;
    float p0, p1;
    const float* bias;
} sgemm_problem;

/* ---- per-thread packing buffers, kept between calls (no page faults per call), freed at thread exit ---- */
typedef struct scratch {
    float* p;
    size_t cap; /* floats */
} scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

/* Page-aligned blocks: Windows has no posix_memalign, and its aligned blocks need their own free. */
static void* page_alloc(size_t bytes)
{
#if defined(_WIN32)
    return _aligned_malloc(bytes, 4096);
#else
    void* p = NULL;
    return posix_memalign(&p, 4096, bytes) == 0 ? p : NULL;
#endif
}

static void page_free(void* p)
{
#if defined(_WIN32)
    _aligned_free(p);
#else
    free(p);
#endif
}

static void scratch_free(void* v)
{
    scratch* s = v;
    if (s != NULL) {
        page_free(s[0].p);
        page_free(s[1].p);
        free(s);
    }
}

static void scratch_init(void) { pthread_key_create(&scratch_key, scratch_free); }

/* kerno_sgemm_threaded's workers are new threads every call: they use buffers kept for them instead. */
static _Thread_local scratch* scratch_override;

static float* scratch_get(int which, size_t floats)
{
    pthread_once(&scratch_once, scratch_init);
    scratch* s = scratch_override != NULL ? scratch_override : pthread_getspecific(scratch_key);
    if (s == NULL) {
        s = calloc(2, sizeof(scratch));
        if (s == NULL || pthread_setspecific(scratch_key, s) != 0) {
            free(s);
            return NULL;
        }
    }
    scratch* b = &s[which];
    if (b->cap < floats) {
        page_free(b->p);
        b->p = NULL;
        b->cap = 0;
        /* 4 KiB alignment: panels start on a page. 256 bytes of slack: packers may store a full vector
         * past the last depth step (sgemm_6x16_avx2.c). */
        void* p = page_alloc(floats * sizeof(float) + 256);
        if (p == NULL)
            return NULL;
        b->p = p;
        b->cap = floats;
    }
    return b->p;
}

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }
static size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

/* The block size for `total` split into ceil(total / block) even parts, rounded up to a multiple of `unit`. */
static size_t balance(size_t total, size_t block, size_t unit)
{
    if (total <= block)
        return block;
    size_t parts = (total + block - 1) / block;
    size_t even = round_up((total + parts - 1) / parts, unit);
    return even < block ? even : block;
}

static int post_activation(int32_t act)
{
    return act == KERNO_ACT_LEAKY_RELU || act == KERNO_ACT_SIGMOID || act == KERNO_ACT_HARD_SWISH ||
           act == KERNO_ACT_GELU_TANH || act == KERNO_ACT_SILU;
}

/* op(A)[i][p] and op(B)[p][j] in the caller's layout. */
#define A_AT(P, i, p) ((P)->ta ? (P)->a + (p) * (P)->lda + (i) : (P)->a + (i) * (P)->lda + (p))
#define B_AT(P, p, j) ((P)->tb ? (P)->b + (j) * (P)->ldb + (p) : (P)->b + (p) * (P)->ldb + (j))

/* Prefetch rows x cols floats (row stride ld) into L2. */
static void prefetch_l2(const float* p, size_t rows, size_t cols, size_t ld)
{
    for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols + 15; c += 16)
            __builtin_prefetch(p + r * ld + (c < cols ? c : cols - 1), 0, 2);
}

/* C[i0:i1, j0:j1] of the problem: the five loops. j0 is a multiple of NR when B is pre-packed. */
static kerno_status run_block(const sgemm_problem* P, const sgemm_config* cfg, size_t i0, size_t i1, size_t j0,
                              size_t j1)
{
    if (i0 >= i1 || j0 >= j1)
        return KERNO_OK;
    const sgemm_kernel_desc* kd = cfg->kd;
    const size_t MR = cfg->mr, NR = cfg->nr, K = P->k;
    /* Even blocks: K = 1000 with KC = 384 runs blocks of 336/336/328 rather than 384/384/232 (a short last
     * block pays the C tile's load and store for less work); same for MC over the rows. A pre-packed B fixes
     * KC. */
    const size_t KC = P->packed ? P->packed_kc : balance(K, cfg->kc, 8);
    const size_t MC = balance(i1 - i0, cfg->mc, MR), NC = cfg->nc;

    float* bufa = scratch_get(0, round_up(min_sz(MC, i1 - i0), MR) * round_up(KC, kd->a_kblock));
    float* bufb = P->packed ? NULL : scratch_get(1, KC * round_up(min_sz(NC, j1 - j0), NR));
    if (bufa == NULL || (!P->packed && bufb == NULL))
        return kerno_fail(KERNO_ERR_OUT_OF_MEMORY, "kerno_sgemm: out of memory for packing buffers");

    sgemm_ukr_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.alpha = P->alpha;
    if (P->act == KERNO_ACT_RELU) {
        ctx.clamp_min = 0.0f;
        ctx.clamp_max = INFINITY;
    } else if (P->act == KERNO_ACT_CLIP) {
        ctx.clamp_min = P->p0;
        ctx.clamp_max = P->p1;
    }
    /* Activations go into the store of kernels that have them; the others are a pass over each tile right
     * after its kernel, while it is in L1. */
    uint32_t store_act = 0;
    if (kd->store_acts >= 1 && P->act == KERNO_ACT_LEAKY_RELU) store_act = SGEMM_F_LEAKY;
    if (kd->store_acts >= 1 && P->act == KERNO_ACT_HARD_SWISH) store_act = SGEMM_F_HSWISH;
    if (kd->store_acts >= 2 && P->act == KERNO_ACT_SIGMOID) store_act = SGEMM_F_SIGMOID;
    if (kd->store_acts >= 2 && P->act == KERNO_ACT_SILU) store_act = SGEMM_F_SILU;
    if (kd->store_acts >= 2 && P->act == KERNO_ACT_GELU_TANH) store_act = SGEMM_F_GELU;
    ctx.slope = P->p0;
    const int post = post_activation(P->act) && !store_act;
    const sgemm_ukernel_fn ukr = cfg->ukernel;

    if (kd->small_m != NULL && i1 - i0 <= kd->small_m_max && !P->tb && !P->packed && !cfg->force_packed) {
        uint32_t flags = 0;
        if (P->alpha != 1.0f && K > 0) flags |= SGEMM_F_ALPHA;
        ctx.beta = P->beta;
        if (P->beta != 0.0f) flags |= SGEMM_F_BETA;
        if (P->bias_kind == KERNO_BIAS_ROW) flags |= SGEMM_F_BIAS_ROW;
        if (P->bias_kind == KERNO_BIAS_COL) flags |= SGEMM_F_BIAS_COL;
        if (P->act == KERNO_ACT_RELU || P->act == KERNO_ACT_CLIP) flags |= SGEMM_F_CLAMP;
        ctx.flags = flags;
        ctx.bias = (flags & SGEMM_F_BIAS_ROW) ? P->bias + i0 : (flags & SGEMM_F_BIAS_COL) ? P->bias + j0 : NULL;
        const float* a = K == 0 ? P->a : (P->ta ? P->a + i0 : P->a + i0 * P->lda);
        float* c = P->c + i0 * P->ldc + j0;
        kd->small_m(i1 - i0, j1 - j0, K, a, P->lda, P->ta, K == 0 ? P->b : P->b + j0, P->ldb, c, P->ldc, &ctx);
        if (post_activation(P->act))
            kd->act_tile(c, P->ldc, i1 - i0, j1 - j0, P->act, P->p0, P->p1);
        return KERNO_OK;
    }

    for (size_t jc = j0; jc < j1; jc += NC) {
        const size_t nc = min_sz(NC, j1 - jc);
        for (size_t pc = 0;; pc += KC) {
            const size_t kc = min_sz(KC, K - pc);
            const size_t kca = round_up(kc, kd->a_kblock); /* A panel stride / MR */
            const int first = pc == 0, last = pc + kc >= K;
            /* Panels are packed lazily: B's right before their first use (in the first MC block; by the kernel
             * itself where it can, see fuse_b), A's in the first pass over the B panels, with the next panel's
             * source prefetched into L2 while the current one is computed. */
            const float* pb = P->packed ? P->packed + pc * P->npad + (jc / NR) * kc * NR : bufb;
            /* A read in place (no packing) where the kernel can and N is small: each A panel then serves at
             * most A_DIRECT_MAX_PANELS tiles, too few to pay for its packing (and no fewer than a B panel
             * does). Not with an lda of a multiple of 4 KiB, whose 14 rows would share one L1 set. */
            const size_t b_panels = (nc + NR - 1) / NR, a_panels = (min_sz(MC, i1 - i0) + MR - 1) / MR;
            const int a_direct = kd->a_direct && !cfg->force_packed && !P->ta && kc > 0 &&
                                 b_panels <= A_DIRECT_MAX_PANELS && b_panels <= a_panels &&
                                 (P->lda * sizeof(float)) % 4096 != 0;
            /* Not transposed, B is packed by the kernels themselves where they can (pack_b_fused). */
            const int fuse_b = !P->packed && kc > 0 && !P->tb && kd->pack_b_fused;
            const int pack_b = !P->packed && kc > 0 && !fuse_b;
            uint32_t flags = 0;
            if (P->alpha != 1.0f && K > 0)
                flags |= SGEMM_F_ALPHA;
            ctx.beta = first ? P->beta : 1.0f;
            if (ctx.beta != 0.0f)
                flags |= SGEMM_F_BETA;
            if (last) {
                if (P->bias_kind == KERNO_BIAS_ROW) flags |= SGEMM_F_BIAS_ROW;
                if (P->bias_kind == KERNO_BIAS_COL) flags |= SGEMM_F_BIAS_COL;
                if (P->act == KERNO_ACT_RELU || P->act == KERNO_ACT_CLIP) flags |= SGEMM_F_CLAMP;
                flags |= store_act;
            }
            ctx.flags = flags;

            for (size_t ic = i0; ic < i1; ic += MC) {
                const size_t mc = min_sz(MC, i1 - ic);
                for (size_t jr = 0; jr < nc; jr += NR) {
                    ctx.nr = min_sz(NR, nc - jr);
                    const float* b = pb + jr * kc;
                    if (pack_b && ic == i0) {
                        kd->pack_b(P->tb, kc, ctx.nr, B_AT(P, pc, jc + jr), P->ldb, bufb + jr * kc);
                        if (jr + NR < nc && P->tb)
                            prefetch_l2(B_AT(P, pc, jc + jr + NR), min_sz(NR, nc - jr - NR), kc, P->ldb);
                    }
                    /* B not transposed: the first kernel on this panel streams the next panel's source rows
                     * into L2 (ctx->pf), spread over its depth loop. */
                    const int stream_b = pack_b && ic == i0 && !P->tb && jr + NR < nc;
                    const int fused_now = fuse_b && ic == i0;
                    for (size_t ir = 0; ir < mc; ir += MR) {
                        ctx.mr = min_sz(MR, mc - ir);
                        const int direct_now = a_direct && ctx.mr == MR;
                        if (jr == 0 && kc > 0 && !direct_now) {
                            kd->pack_a(P->ta, ctx.mr, kc, A_AT(P, ic + ir, pc), P->lda, bufa + ir * kca);
                            if (ir + MR < mc) {
                                size_t next = min_sz(MR, mc - ir - MR);
                                if (P->ta) prefetch_l2(A_AT(P, ic + ir + MR, pc), kc, next, P->lda);
                                else prefetch_l2(A_AT(P, ic + ir + MR, pc), next, kc, P->lda);
                            }
                        }
                        ctx.bias = (flags & SGEMM_F_BIAS_ROW) ? P->bias + ic + ir
                                   : (flags & SGEMM_F_BIAS_COL) ? P->bias + jc + jr
                                                                 : NULL;
                        float* c = P->c + (ic + ir) * P->ldc + jc + jr;
                        ctx.pf = stream_b && ir == 0 ? B_AT(P, pc, jc + jr + NR) : NULL;
                        ctx.pf_stride = P->ldb * sizeof(float);
                        if (fused_now && ir == 0) {
                            ctx.flags = flags | SGEMM_F_PACK_B;
                            ctx.pf = B_AT(P, pc, jc + jr);
                        }
                        const float* a = bufa + ir * kca;
                        if (direct_now) {
                            ctx.flags |= SGEMM_F_A_DIRECT;
                            ctx.a_stride = P->lda * sizeof(float);
                            a = A_AT(P, ic + ir, pc);
                        }
                        ukr(kc, a, b, c, P->ldc, &ctx);
                        ctx.flags = flags;
                        if (last && post)
                            kd->act_tile(c, P->ldc, ctx.mr, ctx.nr, P->act, P->p0, P->p1);
                    }
                }
            }
            if (last)
                break;
        }
    }
    return KERNO_OK;
}

/* ---- argument checks ---- */
static int extent_ok(size_t rows, size_t cols, size_t ld)
{
    /* (rows - 1) * ld + cols elements must be addressable in bytes */
    return rows == 0 || cols == 0 || (rows - 1) <= (SIZE_MAX / sizeof(float) - cols) / ld;
}

static kerno_status check_matrix(const char* fn, const char* name, const float* p, size_t rows, size_t cols,
                                 size_t ld)
{
    if (rows == 0 || cols == 0)
        return KERNO_OK;
    if (p == NULL)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: %s is NULL for a %zu x %zu operand", fn, name, rows, cols);
    if (ld < cols)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: ld%s = %zu is less than the %zu columns it stores", fn,
                          name, ld, cols);
    if (!extent_ok(rows, cols, ld))
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: %s (%zu rows, ld %zu) overflows the address space", fn,
                          name, rows, ld);
    return KERNO_OK;
}

static kerno_status check_common(const char* fn, sgemm_problem* P, int32_t ta, int32_t tb, size_t m, size_t n,
                                 size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb,
                                 float beta, float* c, size_t ldc, const kerno_sgemm_epilogue_t* epi, int b_packed)
{
    memset(P, 0, sizeof *P);
    if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: trans_a = %d / trans_b = %d must be 0 or 1", fn, ta, tb);
    if (m > SGEMM_MAX_DIM || n > SGEMM_MAX_DIM || k > SGEMM_MAX_DIM)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: m = %zu, n = %zu, k = %zu: each must be <= %zu", fn, m, n,
                          k, SGEMM_MAX_DIM);
    kerno_status st;
    if ((st = check_matrix(fn, "a", a, ta ? k : m, ta ? m : k, lda)) != KERNO_OK)
        return st;
    if (!b_packed) /* a pre-packed B is checked against its header instead */
        if ((st = check_matrix(fn, "b", b, tb ? n : k, tb ? k : n, ldb)) != KERNO_OK)
            return st;
    if ((st = check_matrix(fn, "c", c, m, n, ldc)) != KERNO_OK)
        return st;
    P->ta = ta;
    P->tb = tb;
    P->m = m;
    P->n = n;
    P->k = k;
    P->alpha = alpha;
    P->beta = beta;
    P->a = a;
    P->lda = lda;
    P->b = b;
    P->ldb = ldb;
    P->c = c;
    P->ldc = ldc;
    if (epi != NULL) {
        if (epi->activation < KERNO_ACT_NONE || epi->activation > KERNO_ACT_SILU)
            return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: unknown activation %d", fn, epi->activation);
        if (epi->bias_kind < KERNO_BIAS_NONE || epi->bias_kind > KERNO_BIAS_COL)
            return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: unknown bias kind %d", fn, epi->bias_kind);
        if (epi->bias_kind != KERNO_BIAS_NONE && epi->bias == NULL && m > 0 && n > 0)
            return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: bias kind %d with a NULL bias", fn, epi->bias_kind);
        if (epi->activation == KERNO_ACT_CLIP && !(epi->act_alpha <= epi->act_beta))
            return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: Clip min %g is not <= max %g", fn,
                              (double)epi->act_alpha, (double)epi->act_beta);
        P->act = epi->activation;
        P->bias_kind = epi->bias_kind;
        P->p0 = epi->act_alpha;
        P->p1 = epi->act_beta;
        P->bias = epi->bias;
    }
    return KERNO_OK;
}

static kerno_status attach_packed(const char* fn, sgemm_problem* P, const sgemm_config* cfg, const void* packed,
                                  size_t packed_bytes)
{
    if (packed == NULL)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: packed_b is NULL", fn);
    if (packed_bytes < PACKED_HEADER)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: packed_bytes %zu is smaller than the packed header", fn,
                          packed_bytes);
    packed_header h;
    memcpy(&h, packed, sizeof h);
    if (h.magic != PACKED_MAGIC)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: packed_b was not written by kerno_sgemm_pack_b", fn);
    if (h.isa != cfg->kd->isa || h.nr != cfg->nr)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT,
                          "%s: packed_b was packed for the %s kernels, the active ones are %s: pack it again", fn,
                          kerno_isa_name(h.isa), kerno_isa_name(cfg->kd->isa));
    if (h.n != P->n || h.k != P->k)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: packed_b holds a %llu x %llu op(B), the call needs %zu x %zu",
                          fn, (unsigned long long)h.k, (unsigned long long)h.n, P->k, P->n);
    if (h.bytes > packed_bytes)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: packed_bytes %zu is less than the packed size %llu", fn,
                          packed_bytes, (unsigned long long)h.bytes);
    P->packed = (const float*)((const unsigned char*)packed + PACKED_HEADER);
    P->packed_kc = h.kc;
    P->npad = (size_t)h.npad;
    return KERNO_OK;
}

/* ---- tiles ---- */
static kerno_status run_tiles(const sgemm_problem* P, const sgemm_config* cfg, size_t tile_m, size_t tile_n,
                              size_t begin, size_t end)
{
    size_t gn = (P->n + tile_n - 1) / tile_n;
    for (size_t t = begin; t < end; ++t) {
        size_t ti = t / gn, tj = t % gn;
        size_t i0 = ti * tile_m, j0 = tj * tile_n;
        kerno_status st = run_block(P, cfg, i0, min_sz(P->m, i0 + tile_m), j0, min_sz(P->n, j0 + tile_n));
        if (st != KERNO_OK)
            return st;
    }
    return KERNO_OK;
}

static kerno_status check_range(const char* fn, const sgemm_problem* P, const sgemm_config* cfg, size_t tile_m,
                                size_t tile_n, size_t begin, size_t end)
{
    if (P->m == 0 || P->n == 0)
        return KERNO_OK;
    if (tile_m == 0 || tile_n == 0)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: tile_m = %zu / tile_n = %zu must be positive", fn, tile_m,
                          tile_n);
    if (P->packed && tile_n % cfg->nr != 0 && tile_n < P->n)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT,
                          "%s: tile_n = %zu must be a multiple of NR = %zu with a pre-packed B (use kerno_sgemm_partition)",
                          fn, tile_n, cfg->nr);
    size_t count = ((P->m + tile_m - 1) / tile_m) * ((P->n + tile_n - 1) / tile_n);
    if (begin > end || end > count)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: tiles [%zu, %zu) are not within the %zu tiles", fn, begin,
                          end, count);
    return KERNO_OK;
}

kerno_status kerno_sgemm_partition(size_t m, size_t n, size_t k, int32_t workers, size_t* tile_m, size_t* tile_n,
                                   size_t* tile_count)
{
    if (tile_m == NULL || tile_n == NULL || tile_count == NULL)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_sgemm_partition: NULL output pointer");
    if (workers < 1 || workers > 4096)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_sgemm_partition: workers = %d is not in [1, 4096]",
                          workers);
    if (m > SGEMM_MAX_DIM || n > SGEMM_MAX_DIM || k > SGEMM_MAX_DIM)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_sgemm_partition: m, n, k must be <= %zu", SGEMM_MAX_DIM);
    sgemm_config cfg;
    kerno_sgemm_config(&cfg);
    size_t MR = cfg.mr, NR = cfg.nr;
    *tile_m = m > 0 ? m : 1;
    *tile_n = n > 0 ? round_up(n, NR) : 1;
    *tile_count = 1;
    if (m == 0 || n == 0)
        return KERNO_OK;
    /* No more tiles than there is work for: about 2^20 multiply-adds per tile at least. */
    double work = (double)m * (double)n * (double)(k > 0 ? k : 1);
    size_t t = (size_t)workers;
    if ((double)t > work / 1048576.0)
        t = work < 1048576.0 ? 1 : (size_t)(work / 1048576.0);
    double best = 0.0;
    for (size_t gm = 1; gm <= t; ++gm) {
        size_t gn = t / gm;
        size_t tm = round_up((m + gm - 1) / gm, MR), tn = round_up((n + gn - 1) / gn, NR);
        if (tm > m) tm = m;
        /* Per unit of k: the largest tile's FMA time (about 32 multiply-adds a cycle) plus its packing
         * (about 2 elements a cycle); the packing of A and B repeats in every tile of a grid row / column. */
        double cost = (double)tm * (double)tn / 32.0 + ((double)tm + (double)tn) / 2.0;
        if (gm == 1 || cost < best) {
            best = cost;
            *tile_m = tm;
            *tile_n = tn;
        }
    }
    *tile_count = ((m + *tile_m - 1) / *tile_m) * ((n + *tile_n - 1) / *tile_n);
    return KERNO_OK;
}

kerno_status kerno_sgemm(int32_t trans_a, int32_t trans_b, size_t m, size_t n, size_t k, float alpha, const float* a,
                         size_t lda, const float* b, size_t ldb, float beta, float* c, size_t ldc,
                         const kerno_sgemm_epilogue_t* epilogue)
{
    sgemm_problem P;
    kerno_status st =
        check_common("kerno_sgemm", &P, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue, 0);
    if (st != KERNO_OK)
        return st;
    sgemm_config cfg;
    kerno_sgemm_config(&cfg);
    return run_block(&P, &cfg, 0, m, 0, n);
}

kerno_status kerno_sgemm_range(int32_t trans_a, int32_t trans_b, size_t m, size_t n, size_t k, float alpha,
                               const float* a, size_t lda, const float* b, size_t ldb, float beta, float* c, size_t ldc,
                               const kerno_sgemm_epilogue_t* epilogue, size_t tile_m, size_t tile_n, size_t tile_begin,
                               size_t tile_end)
{
    sgemm_problem P;
    kerno_status st = check_common("kerno_sgemm_range", &P, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                                   ldc, epilogue, 0);
    if (st != KERNO_OK)
        return st;
    sgemm_config cfg;
    kerno_sgemm_config(&cfg);
    if ((st = check_range("kerno_sgemm_range", &P, &cfg, tile_m, tile_n, tile_begin, tile_end)) != KERNO_OK)
        return st;
    if (m == 0 || n == 0)
        return KERNO_OK;
    return run_tiles(&P, &cfg, tile_m, tile_n, tile_begin, tile_end);
}

/* ---- pre-packed B ---- */
static kerno_status packed_size(const char* fn, size_t n, size_t k, const sgemm_config* cfg, size_t* bytes)
{
    if (n > SGEMM_MAX_DIM || k > SGEMM_MAX_DIM)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: n = %zu, k = %zu: each must be <= %zu", fn, n, k,
                          SGEMM_MAX_DIM);
    size_t npad = round_up(n, cfg->nr);
    if (k > 0 && npad > (SIZE_MAX - PACKED_HEADER) / sizeof(float) / k)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: a packed %zu x %zu B overflows size_t", fn, k, n);
    *bytes = PACKED_HEADER + k * npad * sizeof(float);
    return KERNO_OK;
}

kerno_status kerno_sgemm_pack_b_size(size_t n, size_t k, size_t* size_bytes)
{
    if (size_bytes == NULL)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_sgemm_pack_b_size: size_bytes is NULL");
    sgemm_config cfg;
    kerno_sgemm_config(&cfg);
    return packed_size("kerno_sgemm_pack_b_size", n, k, &cfg, size_bytes);
}

kerno_status kerno_sgemm_pack_b(int32_t trans_b, size_t n, size_t k, const float* b, size_t ldb, void* packed_b,
                                size_t packed_bytes)
{
    static const char fn[] = "kerno_sgemm_pack_b";
    if (trans_b != 0 && trans_b != 1)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: trans_b = %d must be 0 or 1", fn, trans_b);
    sgemm_config cfg;
    kerno_sgemm_config(&cfg);
    size_t need = 0;
    kerno_status st = packed_size(fn, n, k, &cfg, &need);
    if (st != KERNO_OK)
        return st;
    if ((st = check_matrix(fn, "b", b, trans_b ? n : k, trans_b ? k : n, ldb)) != KERNO_OK)
        return st;
    if (packed_b == NULL || packed_bytes < need)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: packed_b needs %zu bytes, got %zu%s", fn, need, packed_bytes,
                          packed_b == NULL ? " (NULL)" : "");
    packed_header h;
    memset(&h, 0, sizeof h);
    h.magic = PACKED_MAGIC;
    h.isa = cfg.kd->isa;
    h.nr = (uint32_t)cfg.nr;
    h.kc = (uint32_t)cfg.kc;
    h.n = n;
    h.k = k;
    h.npad = round_up(n, cfg.nr);
    h.bytes = need;
    unsigned char* base = packed_b;
    memset(base, 0, PACKED_HEADER);
    memcpy(base, &h, sizeof h);
    float* dst = (float*)(base + PACKED_HEADER);
    if (n == 0)
        return KERNO_OK;
    for (size_t pc = 0; pc < k; pc += cfg.kc) {
        size_t kc = min_sz(cfg.kc, k - pc);
        const float* src = trans_b ? b + pc : b + pc * ldb;
        cfg.kd->pack_b(trans_b, kc, n, src, ldb, dst + pc * h.npad);
    }
    return KERNO_OK;
}

static kerno_status packed_common(const char* fn, sgemm_problem* P, sgemm_config* cfg, int32_t trans_a, size_t m,
                                  size_t n, size_t k, float alpha, const float* a, size_t lda, const void* packed_b,
                                  size_t packed_bytes, float beta, float* c, size_t ldc,
                                  const kerno_sgemm_epilogue_t* epilogue)
{
    kerno_status st = check_common(fn, P, trans_a, 0, m, n, k, alpha, a, lda, NULL, 0, beta, c, ldc, epilogue, 1);
    if (st != KERNO_OK)
        return st;
    kerno_sgemm_config(cfg);
    return attach_packed(fn, P, cfg, packed_b, packed_bytes);
}

kerno_status kerno_sgemm_packed(int32_t trans_a, size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda,
                                const void* packed_b, size_t packed_bytes, float beta, float* c, size_t ldc,
                                const kerno_sgemm_epilogue_t* epilogue)
{
    sgemm_problem P;
    sgemm_config cfg;
    kerno_status st = packed_common("kerno_sgemm_packed", &P, &cfg, trans_a, m, n, k, alpha, a, lda, packed_b,
                                    packed_bytes, beta, c, ldc, epilogue);
    if (st != KERNO_OK)
        return st;
    return run_block(&P, &cfg, 0, m, 0, n);
}

kerno_status kerno_sgemm_packed_range(int32_t trans_a, size_t m, size_t n, size_t k, float alpha, const float* a,
                                      size_t lda, const void* packed_b, size_t packed_bytes, float beta, float* c,
                                      size_t ldc, const kerno_sgemm_epilogue_t* epilogue, size_t tile_m, size_t tile_n,
                                      size_t tile_begin, size_t tile_end)
{
    sgemm_problem P;
    sgemm_config cfg;
    kerno_status st = packed_common("kerno_sgemm_packed_range", &P, &cfg, trans_a, m, n, k, alpha, a, lda, packed_b,
                                    packed_bytes, beta, c, ldc, epilogue);
    if (st != KERNO_OK)
        return st;
    if ((st = check_range("kerno_sgemm_packed_range", &P, &cfg, tile_m, tile_n, tile_begin, tile_end)) != KERNO_OK)
        return st;
    if (m == 0 || n == 0)
        return KERNO_OK;
    return run_tiles(&P, &cfg, tile_m, tile_n, tile_begin, tile_end);
}

/* ---- pthreads convenience ---- */
typedef struct worker {
    const sgemm_problem* P;
    const sgemm_config* cfg;
    size_t tile_m, tile_n, tile;
    scratch* buffers; /* kept between calls (no page faults per call), or NULL for thread-local ones */
    kerno_status status;
    char error[256];
} worker;

/* Packing buffers for the workers of one kerno_sgemm_threaded call at a time (others use thread-local
 * buffers); they live as long as the process, like a thread pool's would. */
static pthread_mutex_t worker_buffers_lock = PTHREAD_MUTEX_INITIALIZER;
static scratch worker_buffers[256][2];

static void* worker_main(void* arg)
{
    worker* w = arg;
    scratch* saved = scratch_override;
    scratch_override = w->buffers;
    w->status = run_tiles(w->P, w->cfg, w->tile_m, w->tile_n, w->tile, w->tile + 1);
    scratch_override = saved;
    if (w->status != KERNO_OK) {
        strncpy(w->error, kerno_last_error(), sizeof w->error - 1);
        w->error[sizeof w->error - 1] = '\0';
    }
    return NULL;
}

kerno_status kerno_sgemm_threaded(int32_t trans_a, int32_t trans_b, size_t m, size_t n, size_t k, float alpha,
                                  const float* a, size_t lda, const float* b, size_t ldb, float beta, float* c,
                                  size_t ldc, const kerno_sgemm_epilogue_t* epilogue, int32_t threads)
{
    static const char fn[] = "kerno_sgemm_threaded";
    if (threads < 1 || threads > 256)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: threads = %d is not in [1, 256]", fn, threads);
    sgemm_problem P;
    kerno_status st =
        check_common(fn, &P, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue, 0);
    if (st != KERNO_OK)
        return st;
    if (m == 0 || n == 0)
        return KERNO_OK;
    sgemm_config cfg;
    kerno_sgemm_config(&cfg);
    size_t tm, tn, count;
    if ((st = kerno_sgemm_partition(m, n, k, threads, &tm, &tn, &count)) != KERNO_OK)
        return st;
    if (count <= 1)
        return run_block(&P, &cfg, 0, m, 0, n);
    worker w[256];
    pthread_t tid[256];
    int started[256] = { 0 };
    const int own_buffers = pthread_mutex_trylock(&worker_buffers_lock) == 0;
    for (size_t t = 0; t < count; ++t) {
        w[t].P = &P;
        w[t].cfg = &cfg;
        w[t].tile_m = tm;
        w[t].tile_n = tn;
        w[t].tile = t;
        w[t].buffers = own_buffers && t > 0 ? worker_buffers[t] : NULL; /* tile 0 runs on this thread */
        w[t].status = KERNO_OK;
        w[t].error[0] = '\0';
    }
    for (size_t t = 1; t < count; ++t)
        started[t] = pthread_create(&tid[t], NULL, worker_main, &w[t]) == 0;
    /* Tiles whose thread could not start run here, after tile 0. */
    worker_main(&w[0]);
    for (size_t t = 1; t < count; ++t) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            worker_main(&w[t]);
    }
    if (own_buffers)
        pthread_mutex_unlock(&worker_buffers_lock);
    for (size_t t = 0; t < count; ++t)
        if (w[t].status != KERNO_OK)
            return kerno_fail(w[t].status, "%s", w[t].error);
    return KERNO_OK;
}
