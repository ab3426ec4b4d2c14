/* SGEMM: every kernel set this CPU runs (and each one's C / intrinsics twin) against a plain triple loop.
 * Inputs are small integers, so the GEMM part, alpha / beta in powers of two, bias, ReLU, Clip and LeakyReLU(1/4)
 * are exact and compared exactly; the other activations within a few float ulps of a double reference.
 * Every buffer has guard floats after it, and C's row padding (ldc > n) must stay untouched. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "kerno_test.h"

#define GUARD 64
static const uint32_t GUARD_BITS = 0x7fc0beefu; /* a NaN no kernel produces */

/* ---- helpers ---- */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}
static int rnd_int(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }

static float* guarded(size_t n)
{
    float* p = malloc((n + GUARD) * sizeof(float));
    for (size_t i = 0; i < GUARD; ++i)
        memcpy(&p[n + i], &GUARD_BITS, sizeof(float));
    return p;
}
static int guard_ok(const float* p, size_t n)
{
    for (size_t i = 0; i < GUARD; ++i)
        if (memcmp(&p[n + i], &GUARD_BITS, sizeof(float)) != 0)
            return 0;
    return 1;
}
static void fill_int(float* p, size_t n, int lo, int hi)
{
    for (size_t i = 0; i < n; ++i)
        p[i] = (float)rnd_int(lo, hi);
}

static double ref_act(double x, const kerno_sgemm_epilogue_t* e)
{
    switch (e->activation) {
    case KERNO_ACT_RELU: return x > 0 ? x : 0;
    case KERNO_ACT_CLIP: return x < e->act_alpha ? e->act_alpha : (x > e->act_beta ? e->act_beta : x);
    case KERNO_ACT_LEAKY_RELU: return x >= 0 ? x : x * e->act_alpha;
    case KERNO_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case KERNO_ACT_HARD_SWISH: {
        double t = x / 6.0 + 0.5;
        return x * (t < 0 ? 0 : (t > 1 ? 1 : t));
    }
    case KERNO_ACT_GELU_TANH: return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    case KERNO_ACT_SILU: return x / (1.0 + exp(-x));
    default: return x;
    }
}
static int act_exact(int32_t act)
{
    return act == KERNO_ACT_NONE || act == KERNO_ACT_RELU || act == KERNO_ACT_CLIP || act == KERNO_ACT_LEAKY_RELU;
}

/* The reference: op(A) op(B) in double (exact for our integers), then the epilogue. */
static void ref_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda,
                     const float* b, size_t ldb, float beta, const float* c_in, float* out, size_t ldc,
                     const kerno_sgemm_epilogue_t* e)
{
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < n; ++j) {
            double acc = 0;
            for (size_t p = 0; p < k; ++p)
                acc += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (double)(tb ? b[j * ldb + p] : b[p * ldb + j]);
            double r = k > 0 ? (double)alpha * acc : 0.0;
            if (beta != 0.0f)
                r += (double)beta * c_in[i * ldc + j];
            if (e && e->bias_kind == KERNO_BIAS_ROW) r += e->bias[i];
            if (e && e->bias_kind == KERNO_BIAS_COL) r += e->bias[j];
            out[i * ldc + j] = (float)(e ? ref_act((double)(float)r, e) : r);
        }
}

typedef struct gemm_case {
    int ta, tb;
    size_t m, n, k, lda, ldb, ldc;
    float alpha, beta;
    int32_t act, bias_kind;
    int nan_c; /* fill C with NaN (beta must be 0) */
    int mode;  /* 0 kerno_sgemm, 1 pack_b + kerno_sgemm_packed, 2 partition + range (reverse order), 3 threaded */
} gemm_case;

static const char* cur_isa = "";
static int cur_variant;
static long cases_run;

/* Runs one case through the library and the reference; returns 1 on a match. */
static int run_case(const gemm_case* g)
{
    size_t arows = g->ta ? g->k : g->m, brows = g->tb ? g->n : g->k;
    size_t asz = arows * g->lda, bsz = brows * g->ldb, csz = g->m * g->ldc;
    size_t bias_n = g->bias_kind == KERNO_BIAS_ROW ? g->m : g->n;
    float* a = guarded(asz);
    float* b = guarded(bsz);
    float* c = guarded(csz);
    float* c0 = malloc((csz + 1) * sizeof(float));
    float* ref = malloc((csz + 1) * sizeof(float));
    float* bias = guarded(bias_n);
    fill_int(a, asz, -3, 3);
    fill_int(b, bsz, -3, 3);
    fill_int(c, csz, -8, 8);
    fill_int(bias, bias_n, -5, 5);
    if (g->nan_c)
        for (size_t i = 0; i < csz; ++i)
            c[i] = NAN;
    memcpy(c0, c, csz * sizeof(float));
    memcpy(ref, c, csz * sizeof(float));
    kerno_sgemm_epilogue_t e = { g->act, g->bias_kind, 0.25f, 0.0f, g->bias_kind ? bias : NULL };
    if (g->act == KERNO_ACT_CLIP) {
        e.act_alpha = -6.0f;
        e.act_beta = 7.0f;
    }
    kerno_status st = KERNO_ERR_INTERNAL;
    void* packed = NULL;
    if (g->mode == 0) {
        st = kerno_sgemm(g->ta, g->tb, g->m, g->n, g->k, g->alpha, a, g->lda, b, g->ldb, g->beta, c, g->ldc, &e);
    } else if (g->mode == 1) {
        size_t bytes = 0;
        st = kerno_sgemm_pack_b_size(g->n, g->k, &bytes);
        if (st == KERNO_OK) {
            packed = malloc(bytes + 4);
            memset((char*)packed + bytes, 0x5a, 4);
            st = kerno_sgemm_pack_b(g->tb, g->n, g->k, b, g->ldb, packed, bytes);
            if (st == KERNO_OK)
                st = kerno_sgemm_packed(g->ta, g->m, g->n, g->k, g->alpha, a, g->lda, packed, bytes, g->beta, c,
                                        g->ldc, &e);
            CHECK(((unsigned char*)packed)[bytes] == 0x5a && ((unsigned char*)packed)[bytes + 3] == 0x5a);
        }
    } else if (g->mode == 2) {
        size_t tm = 0, tn = 0, count = 0;
        st = kerno_sgemm_partition(g->m, g->n, g->k, 5, &tm, &tn, &count);
        for (size_t t = count; st == KERNO_OK && t > 0; --t)
            st = kerno_sgemm_range(g->ta, g->tb, g->m, g->n, g->k, g->alpha, a, g->lda, b, g->ldb, g->beta, c, g->ldc,
                                   &e, tm, tn, t - 1, t);
    } else {
        st = kerno_sgemm_threaded(g->ta, g->tb, g->m, g->n, g->k, g->alpha, a, g->lda, b, g->ldb, g->beta, c, g->ldc,
                                  &e, 3);
    }
    ref_gemm(g->ta, g->tb, g->m, g->n, g->k, g->alpha, a, g->lda, b, g->ldb, g->beta, c0, ref, g->ldc, &e);
    int ok = st == KERNO_OK;
    size_t bad_i = 0, bad_j = 0;
    for (size_t i = 0; ok && i < g->m; ++i)
        for (size_t j = 0; ok && j < g->ldc; ++j) {
            float got = c[i * g->ldc + j], want = ref[i * g->ldc + j];
            if (j >= g->n)
                ok = memcmp(&got, &c0[i * g->ldc + j], sizeof got) == 0; /* padding untouched */
            else if (act_exact(g->act))
                ok = got == want;
            else
                ok = fabsf(got - want) <= 1e-5f * fabsf(want) + 2e-6f;
            if (!ok) {
                bad_i = i;
                bad_j = j;
            }
        }
    ok = ok && guard_ok(a, asz) && guard_ok(b, bsz) && guard_ok(c, csz) && guard_ok(bias, bias_n);
    if (!ok)
        CHECK_MSG(0,
                  "[%s variant %d] ta=%d tb=%d m=%zu n=%zu k=%zu lda=%zu ldb=%zu ldc=%zu alpha=%g beta=%g act=%d "
                  "bias=%d nan_c=%d mode=%d: status %d (%s); first mismatch at (%zu, %zu): got %.9g want %.9g",
                  cur_isa, cur_variant, g->ta, g->tb, g->m, g->n, g->k, g->lda, g->ldb, g->ldc, (double)g->alpha,
                  (double)g->beta, g->act, g->bias_kind, g->nan_c, g->mode, st, kerno_last_error(), bad_i, bad_j,
                  (double)c[bad_i * g->ldc + bad_j], (double)ref[bad_i * g->ldc + bad_j]);
    free(a);
    free(b);
    free(c);
    free(c0);
    free(ref);
    free(bias);
    free(packed);
    ++cases_run;
    return ok;
}

/* Runs fn once per (kernel set this CPU supports) x (asm kernel, twin). */
static void for_each_path(void (*fn)(size_t mr, size_t nr))
{
    int32_t saved = kerno_active_isa();
    for (int32_t isa = KERNO_ISA_GENERIC; isa <= KERNO_ISA_NEON; ++isa) {
        if (kerno_set_isa(isa) != KERNO_OK)
            continue;
        for (int variant = 0; variant <= 2; ++variant) {
            if (isa == KERNO_ISA_GENERIC && variant != 0)
                continue; /* the generic kernel is its own twin and has no small-M path */
            cur_isa = kerno_isa_name(isa);
            cur_variant = variant;
            CHECK(kerno_sgemm_set_blocking(0, 0, 0, variant) == KERNO_OK);
            size_t mr = 0, nr = 0;
            CHECK(kerno_sgemm_get_blocking(&mr, &nr, NULL, NULL, NULL) == KERNO_OK);
            long before = cases_run;
            int failures_before = kt_failures;
            fn(mr, nr);
            static const char* const names[] = { "asm", "twin", "asm, no small-M path" };
            printf("  %-8s %-22s %zux%zu: %ld cases%s\n", cur_isa, names[variant], mr, nr, cases_run - before,
                   kt_failures > failures_before ? " FAILED" : "");
        }
    }
    kerno_sgemm_set_blocking(0, 0, 0, 0);
    kerno_set_isa(saved);
}

/* ---- cases ---- */
/* Every M in 1..2MR+1, N in 1..2NR+1, K in 1..2KC+3 with a small test blocking (KC = 8, MC = 2 MR, NC = 2 NR),
 * cycling transposes, alpha / beta, bias and the exact activations. */
static void exhaustive_small_body(size_t mr, size_t nr)
{
    const size_t kc = 8;
    CHECK(kerno_sgemm_set_blocking(2 * mr, 2 * nr, kc, cur_variant) == KERNO_OK);
    static const float alphas[] = { 1.0f, 2.0f, -0.5f }, betas[] = { 0.0f, 1.0f, -2.0f, 0.5f };
    static const int32_t acts[] = { KERNO_ACT_NONE, KERNO_ACT_RELU, KERNO_ACT_CLIP, KERNO_ACT_LEAKY_RELU };
    unsigned idx = 0;
    int failed = 0;
    for (size_t m = 1; m <= 2 * mr + 1 && !failed; ++m)
        for (size_t n = 1; n <= 2 * nr + 1 && !failed; ++n)
            for (size_t k = 1; k <= 2 * kc + 3 && !failed; ++k, ++idx) {
                gemm_case g = { 0 };
                g.ta = idx & 1;
                g.tb = (idx >> 1) & 1;
                g.m = m;
                g.n = n;
                g.k = k;
                g.lda = (g.ta ? m : k) + (idx % 3);
                g.ldb = (g.tb ? k : n) + (idx % 5 == 0);
                g.ldc = n + (idx % 7 == 0 ? 3 : 0);
                g.alpha = alphas[idx % 3];
                g.beta = betas[(idx / 3) % 4];
                g.act = acts[(idx / 7) % 4];
                g.bias_kind = (int32_t)((idx / 11) % 3);
                failed = !run_case(&g);
            }
    kerno_sgemm_set_blocking(0, 0, 0, cur_variant);
}
static void exhaustive_small(void) { for_each_path(exhaustive_small_body); }

/* Random larger shapes with the real blocking (several KC / MC / NC blocks at the larger ones). */
static void random_shapes_body(size_t mr, size_t nr)
{
    size_t kc = 0, mc = 0, nc = 0;
    kerno_sgemm_get_blocking(NULL, NULL, &mc, &nc, &kc);
    for (int it = 0; it < 24; ++it) {
        gemm_case g = { 0 };
        g.ta = rnd() & 1;
        g.tb = rnd() & 1;
        g.m = (size_t)rnd_int(1, it < 4 ? 5 : it < 20 ? 160 : (int)mc + 40);
        g.n = (size_t)rnd_int(1, it < 20 ? 160 : 300);
        g.k = (size_t)rnd_int(1, it < 12 ? 100 : (int)(2 * kc + 17));
        g.lda = (g.ta ? g.m : g.k) + (size_t)rnd_int(0, 9);
        g.ldb = (g.tb ? g.k : g.n) + (size_t)rnd_int(0, 9);
        g.ldc = g.n + (size_t)rnd_int(0, 9);
        g.alpha = (rnd() & 1) ? 1.0f : 0.5f;
        g.beta = (float)rnd_int(-1, 1);
        g.act = (int32_t)(rnd() % 4);
        g.bias_kind = (int32_t)(rnd() % 3);
        g.mode = it % 4;
        if (!run_case(&g))
            break;
    }
}
static void random_shapes(void) { for_each_path(random_shapes_body); }

/* beta = 0 must not read C: C full of NaN, the result has none. */
static void beta_zero_ignores_nan_c_body(size_t mr, size_t nr)
{
    const size_t ms[] = { 1, mr, mr + 3, 3 * mr + 1 }, ns[] = { 1, nr - 1, nr, 2 * nr + 5 };
    for (size_t i = 0; i < 4; ++i)
        for (size_t j = 0; j < 4; ++j)
            for (int mode = 0; mode < 4; ++mode) {
                gemm_case g = { 0 };
                g.m = ms[i];
                g.n = ns[j];
                g.k = 37;
                g.ta = (int)(i & 1);
                g.tb = (int)(j & 1);
                g.lda = g.ta ? g.m : g.k;
                g.ldb = g.tb ? g.k : g.n;
                g.ldc = g.n + 2;
                g.alpha = 1.0f;
                g.beta = 0.0f;
                g.nan_c = 1;
                g.mode = mode;
                g.bias_kind = (int32_t)(i % 3);
                run_case(&g);
            }
}
static void beta_zero_ignores_nan_c(void) { for_each_path(beta_zero_ignores_nan_c_body); }

/* Every activation with every bias kind, at edge and full tiles, with K split across KC blocks. */
static void all_epilogues_body(size_t mr, size_t nr)
{
    CHECK(kerno_sgemm_set_blocking(0, 0, 16, cur_variant) == KERNO_OK);
    for (int32_t act = KERNO_ACT_NONE; act <= KERNO_ACT_SILU; ++act)
        for (int32_t bias = KERNO_BIAS_NONE; bias <= KERNO_BIAS_COL; ++bias)
            for (int s = 0; s < 3; ++s) {
                gemm_case g = { 0 };
                g.m = s == 0 ? mr : 2 * mr + 3;
                g.n = s == 1 ? nr : 2 * nr + 5;
                g.k = s == 2 ? 7 : 41;
                g.ta = s == 1;
                g.tb = s == 2;
                g.lda = g.ta ? g.m : g.k;
                g.ldb = g.tb ? g.k : g.n;
                g.ldc = g.n + 1;
                g.alpha = s == 2 ? 0.5f : 1.0f;
                g.beta = s == 0 ? 0.0f : 1.0f;
                g.act = act;
                g.bias_kind = bias;
                g.mode = s;
                run_case(&g);
            }
    kerno_sgemm_set_blocking(0, 0, 0, cur_variant);
}
static void all_epilogues(void) { for_each_path(all_epilogues_body); }

/* Values across the activations' interesting ranges (saturation, near zero), not only integers; M = 1 takes the
 * small-M path, M = 17 the packed kernels (whose store does some activations itself). */
static void activations_match_reference_over_range(void)
{
    int32_t saved = kerno_active_isa();
    for (int32_t isa = KERNO_ISA_GENERIC; isa <= KERNO_ISA_NEON; ++isa) {
        if (kerno_set_isa(isa) != KERNO_OK)
            continue;
        enum { N = 401, M = 17 };
        static float x[N], ones[M], y[M * N];
        for (int i = 0; i < N; ++i)
            x[i] = -100.0f + 0.5f * (float)i; /* -100 .. 100 */
        for (int i = 0; i < M; ++i)
            ones[i] = 1.0f;
        for (int32_t act = KERNO_ACT_NONE; act <= KERNO_ACT_SILU; ++act) {
            kerno_sgemm_epilogue_t e = { act, KERNO_BIAS_NONE, 0.1f, 0.0f, NULL };
            if (act == KERNO_ACT_CLIP) {
                e.act_alpha = -1.5f;
                e.act_beta = 6.0f;
            }
            for (size_t m = 1; m <= M; m += M - 1) {
                /* y (m x N) = ones (m x 1) * x (1 x N): every row is x */
                CHECK(kerno_sgemm(0, 0, m, N, 1, 1.0f, ones, 1, x, N, 0.0f, y, N, &e) == KERNO_OK);
                for (size_t r = 0; r < m; ++r)
                    for (int i = 0; i < N; ++i) {
                        double want = ref_act(x[i], &e), got = y[r * N + (size_t)i];
                        if (!(fabs(got - want) <= 2e-6 * fabs(want) + 1e-7)) {
                            CHECK_MSG(0, "[%s] act %d, m = %zu, row %zu at x = %g: got %.9g want %.9g",
                                      kerno_isa_name(isa), act, m, r, (double)x[i], got, want);
                            r = m;
                            break;
                        }
                    }
            }
        }
    }
    kerno_set_isa(saved);
}

/* k = 0: C = act(beta C + bias), A and B not read (they may be NULL). */
static void k_zero_scales_c(void)
{
    float c[6] = { 1, -2, 3, -4, 5, -6 }, bias[3] = { 1, 1, 1 };
    kerno_sgemm_epilogue_t e = { KERNO_ACT_RELU, KERNO_BIAS_COL, 0, 0, bias };
    CHECK(kerno_sgemm(0, 0, 2, 3, 0, 1.0f, NULL, 1, NULL, 3, 2.0f, c, 3, &e) == KERNO_OK);
    const float want[6] = { 3, 0, 7, 0, 11, 0 };
    CHECK(memcmp(c, want, sizeof c) == 0);
    /* m = 0: nothing to do; A and C may be NULL (empty), B must still be valid */
    float b[15] = { 0 };
    CHECK(kerno_sgemm(0, 0, 0, 3, 5, 1.0f, NULL, 5, b, 3, 0.0f, NULL, 3, NULL) == KERNO_OK);
}

/* A packed B is tied to its shape and kernel set; bad arguments fail with a message everywhere. */
static void rejects_bad_arguments(void)
{
    float a[64] = { 0 }, b[64] = { 0 }, c[64] = { 0 };
    CHECK(kerno_sgemm(2, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(strstr(kerno_last_error(), "trans_a") != NULL);
    CHECK(kerno_sgemm(0, 0, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(strstr(kerno_last_error(), "lda") != NULL);
    CHECK(kerno_sgemm(0, 1, 2, 4, 3, 1, a, 3, b, 2, 0, c, 4, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(strstr(kerno_last_error(), "ldb") != NULL);
    CHECK(kerno_sgemm(0, 0, 2, 4, 3, 1, a, 3, b, 4, 0, c, 3, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm(0, 0, 2, 2, 2, 1, NULL, 2, b, 2, 0, c, 2, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, NULL, 2, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm(0, 0, (size_t)1 << 32, 2, 2, 1, a, 2, b, 2, 0, c, 2, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm(0, 0, 3, 2, 2, 1, a, SIZE_MAX / 2, b, 2, 0, c, 2, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(strstr(kerno_last_error(), "overflow") != NULL);
    kerno_sgemm_epilogue_t e = { 99, 0, 0, 0, NULL };
    CHECK(kerno_sgemm(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, &e) == KERNO_ERR_INVALID_ARGUMENT);
    e.activation = KERNO_ACT_CLIP;
    e.act_alpha = 2;
    e.act_beta = 1;
    CHECK(kerno_sgemm(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, &e) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(strstr(kerno_last_error(), "Clip") != NULL);
    e.activation = KERNO_ACT_NONE;
    e.bias_kind = KERNO_BIAS_ROW;
    CHECK(kerno_sgemm(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, &e) == KERNO_ERR_INVALID_ARGUMENT);
    e.bias_kind = 7;
    CHECK(kerno_sgemm(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, &e) == KERNO_ERR_INVALID_ARGUMENT);

    size_t bytes = 0, tm = 0, tn = 0, count = 0;
    CHECK(kerno_sgemm_pack_b_size(4, 4, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_pack_b_size((size_t)1 << 40, 4, &bytes) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_pack_b_size(4, 4, &bytes) == KERNO_OK && bytes > 64);
    unsigned char* packed = calloc(1, bytes);
    CHECK(kerno_sgemm_pack_b(0, 4, 4, b, 4, packed, bytes - 1) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_pack_b(0, 4, 4, b, 3, packed, bytes) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_pack_b(3, 4, 4, b, 4, packed, bytes) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_packed(0, 2, 4, 4, 1, a, 4, packed, bytes, 0, c, 4, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(strstr(kerno_last_error(), "kerno_sgemm_pack_b") != NULL); /* not packed yet */
    CHECK(kerno_sgemm_pack_b(0, 4, 4, b, 4, packed, bytes) == KERNO_OK);
    CHECK(kerno_sgemm_packed(0, 2, 4, 4, 1, a, 4, packed, bytes, 0, c, 4, NULL) == KERNO_OK);
    CHECK(kerno_sgemm_packed(0, 2, 4, 5, 1, a, 5, packed, bytes, 0, c, 4, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_packed(0, 2, 4, 4, 1, a, 4, packed, 63, 0, c, 4, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_packed(0, 2, 4, 4, 1, a, 4, NULL, bytes, 0, c, 4, NULL) == KERNO_ERR_INVALID_ARGUMENT);
    int32_t saved = kerno_active_isa();
    if (saved != KERNO_ISA_GENERIC && kerno_set_isa(KERNO_ISA_GENERIC) == KERNO_OK) {
        CHECK(kerno_sgemm_packed(0, 2, 4, 4, 1, a, 4, packed, bytes, 0, c, 4, NULL) == KERNO_ERR_INVALID_ARGUMENT);
        CHECK(strstr(kerno_last_error(), "pack it again") != NULL);
        kerno_set_isa(saved);
    }
    free(packed);

    CHECK(kerno_sgemm_partition(10, 10, 10, 0, &tm, &tn, &count) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_partition(10, 10, 10, 2, NULL, &tn, &count) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_partition(8, 8, 8, 2, &tm, &tn, &count) == KERNO_OK && count == 1);
    CHECK(kerno_sgemm_range(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, NULL, 2, 2, 0, 2) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_range(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, NULL, 0, 2, 0, 1) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_range(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, NULL, 2, 2, 1, 0) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_threaded(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, NULL, 0) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_sgemm_set_blocking(0, 0, 0, 4) == KERNO_ERR_INVALID_ARGUMENT);
    double g = 0;
    CHECK(kerno_bench_fma_peak(KERNO_ISA_GENERIC, 0.01, &g) == KERNO_ERR_UNSUPPORTED);
    CHECK(kerno_bench_fma_peak(KERNO_ISA_GENERIC, 0.0, &g) == KERNO_ERR_INVALID_ARGUMENT);
}

/* The partition covers C with at most `workers` tiles aligned to the register tile, and splits big problems. */
static void partition_is_sane(void)
{
    size_t mr = 0, nr = 0, kc = 0, mc = 0, nc = 0;
    CHECK(kerno_sgemm_get_blocking(&mr, &nr, &mc, &nc, &kc) == KERNO_OK);
    CHECK(mr > 0 && nr > 0 && kc >= 16 && mc >= mr && mc % mr == 0 && nc % nr == 0);
    static const size_t shapes[][3] = { { 1024, 1024, 1024 }, { 3136, 64, 576 }, { 1, 1000, 2048 }, { 49, 512, 4608 } };
    for (size_t s = 0; s < 4; ++s)
        for (int32_t w = 1; w <= 8; ++w) {
            size_t tm = 0, tn = 0, count = 0, m = shapes[s][0], n = shapes[s][1];
            CHECK(kerno_sgemm_partition(m, n, shapes[s][2], w, &tm, &tn, &count) == KERNO_OK);
            CHECK(count >= 1 && count <= (size_t)w);
            CHECK(count == ((m + tm - 1) / tm) * ((n + tn - 1) / tn));
            CHECK(tn % nr == 0 || tn >= n);
            if (s == 0)
                CHECK(count == (size_t)w || w > 4);
        }
}

KERNO_TEST_MAIN(KT_CASE(exhaustive_small), KT_CASE(random_shapes), KT_CASE(beta_zero_ignores_nan_c),
                KT_CASE(all_epilogues), KT_CASE(activations_match_reference_over_range), KT_CASE(k_zero_scales_c),
                KT_CASE(rejects_bad_arguments), KT_CASE(partition_is_sane))
