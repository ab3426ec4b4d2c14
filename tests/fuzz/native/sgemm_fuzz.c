/*
 * libFuzzer harness for libkerno's SGEMM (build: clang -fsanitize=fuzzer,address,undefined; see CMakeLists.txt
 * here and the Cake target FuzzNative). The input bytes choose every parameter of a call: entry point (plain,
 * threaded, packed B, tile ranges), kernel set, kernel variant (assembly or C twin, small-M path on/off),
 * transposes, m/n/k up to 96, row-stride padding, alpha/beta, activation and its parameters, bias kind, and
 * (one time in eight) deliberately invalid arguments, which must be refused with KERNO_ERR_INVALID_ARGUMENT.
 *
 * Every operand is allocated at exactly the size its shape and stride need, so AddressSanitizer reports any
 * read or write outside it; C's padding columns (between n and ldc) must come back unchanged; the result is
 * compared with a plain C reference in double: exactly for the piecewise-linear activations (the operands are
 * small integers and alpha/beta powers of two, so every sum is exact), within 1e-5 relative for the smooth ones.
 * A mismatch aborts with the parameters printed, which libFuzzer saves as a crash input.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kerno.h"

typedef struct {
    const uint8_t* p;
    size_t n;
} reader;

static uint32_t take(reader* r, uint32_t bound)
{
    uint32_t v = 0;
    for (int i = 0; i < 2 && r->n > 0; ++i, ++r->p, --r->n)
        v = (v << 8) | *r->p;
    return bound ? v % bound : v;
}

static float* alloc_floats(size_t count)
{
    /* Exact size (at least one byte so malloc returns a real block ASan can guard). */
    return (float*)malloc(count ? count * sizeof(float) : 1);
}

static void fill_ints(float* p, size_t count, reader* r, int lo, int hi)
{
    for (size_t i = 0; i < count; ++i)
        p[i] = (float)(lo + (int)take(r, (uint32_t)(hi - lo + 1)));
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

#define FAIL(...)                                                                                          \
    do {                                                                                                   \
        fprintf(stderr, "sgemm_fuzz: " __VA_ARGS__);                                                       \
        fprintf(stderr, "\n  isa=%d variant=%d mode=%d ta=%d tb=%d m=%zu n=%zu k=%zu lda=%zu ldb=%zu ldc=%zu " \
                        "alpha=%g beta=%g act=%d bias=%d threads=%d\n",                                      \
                isa, variant, mode, ta, tb, m, n, k, lda, ldb, ldc, (double)alpha, (double)beta, act, bias_kind, \
                threads);                                                                                  \
        abort();                                                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    reader r = { data, size };
    static const float scales[] = { 1.0f, 0.0f, 0.5f, 2.0f, -1.0f, 0.25f };
    int isa = (int)take(&r, 3);        /* generic, avx2, avx512 (neon on arm) */
    int variant = (int)take(&r, 4);    /* bit 0: C twins, bit 1: no small-M path */
    int mode = (int)take(&r, 4);       /* 0 plain, 1 threaded, 2 packed B, 3 tile ranges */
    int ta = (int)take(&r, 2), tb = (int)take(&r, 2);
    size_t m = take(&r, 97), n = take(&r, 97), k = take(&r, 97);
    size_t lda_pad = take(&r, 9), ldb_pad = take(&r, 9), ldc_pad = take(&r, 9);
    float alpha = scales[take(&r, 6)], beta = scales[take(&r, 6)];
    int32_t act = (int32_t)take(&r, 8), bias_kind = (int32_t)take(&r, 3);
    int threads = 1 + (int)take(&r, 4);
    int invalid = take(&r, 8) == 0 ? 1 + (int)take(&r, 8) : 0;

#if defined(__aarch64__)
    if (isa != KERNO_ISA_GENERIC) isa = KERNO_ISA_NEON;
#endif
    if (kerno_set_isa(isa) != KERNO_OK)
        isa = KERNO_ISA_GENERIC, kerno_set_isa(isa);
    kerno_sgemm_set_blocking(0, 0, 0, variant);

    size_t a_rows = ta ? k : m, a_cols = ta ? m : k;
    size_t b_rows = tb ? n : k, b_cols = tb ? k : n;
    size_t lda = a_cols + lda_pad + (a_cols == 0), ldb = b_cols + ldb_pad + (b_cols == 0), ldc = n + ldc_pad + (n == 0);
    size_t a_len = a_rows && a_cols ? (a_rows - 1) * lda + a_cols : 0;
    size_t b_len = b_rows && b_cols ? (b_rows - 1) * ldb + b_cols : 0;
    size_t c_len = m && n ? (m - 1) * ldc + n : 0;
    size_t bias_len = bias_kind == KERNO_BIAS_ROW ? m : bias_kind == KERNO_BIAS_COL ? n : 0;

    float* a = alloc_floats(a_len);
    float* b = alloc_floats(b_len);
    float* c = alloc_floats(c_len);
    float* c0 = alloc_floats(c_len);
    float* bias = alloc_floats(bias_len);
    fill_ints(a, a_len, &r, -4, 4);
    fill_ints(b, b_len, &r, -4, 4);
    fill_ints(c, c_len, &r, -8, 8);
    fill_ints(bias, bias_len, &r, -8, 8);
    if (beta == 0.0f)
        for (size_t i = 0; i < m; ++i)
            for (size_t j = 0; j < n; ++j)
                c[i * ldc + j] = NAN; /* beta = 0: C must not be read */
    if (c_len)
        memcpy(c0, c, c_len * sizeof(float));

    kerno_sgemm_epilogue_t e = { act, bias_kind, 0.25f, 0.0f, bias_kind ? bias : NULL };
    if (act == KERNO_ACT_CLIP) {
        e.act_alpha = -(float)take(&r, 20);
        e.act_beta = (float)take(&r, 20);
    }

    /* Invalid arguments: each must be refused, and nothing written. */
    if (invalid) {
        size_t bad_lda = lda, bad_ldb = ldb, bad_ldc = ldc;
        int bad_ta = ta;
        kerno_sgemm_epilogue_t bad = e;
        switch (invalid) {
        /* A stride is checked only for a non-empty operand: for an empty one, break the transpose flag instead. */
        case 1: if (a_rows && a_cols) bad_lda = a_cols - 1; else bad_ta = 2; break;
        case 2: if (b_rows && b_cols) bad_ldb = b_cols - 1; else bad_ta = 7; break;
        case 3: if (m && n) bad_ldc = n - 1; else bad_ta = -1; break;
        case 4: bad_ta = 2; break;
        case 5: bad.activation = 99; break;
        case 6: bad.bias_kind = 7; break;
        case 7: bad.bias_kind = m && n ? KERNO_BIAS_ROW : 9; bad.bias = NULL; break;
        default: bad.activation = KERNO_ACT_CLIP; bad.act_alpha = 2; bad.act_beta = 1; break;
        }
        kerno_status st = kerno_sgemm(bad_ta, tb, m, n, k, alpha, a, bad_lda, b, bad_ldb, beta, c, bad_ldc, &bad);
        if (st != KERNO_ERR_INVALID_ARGUMENT)
            FAIL("invalid case %d returned %d, not KERNO_ERR_INVALID_ARGUMENT (%s)", invalid, st, kerno_last_error());
        if (c_len && memcmp(c, c0, c_len * sizeof(float)) != 0)
            FAIL("invalid case %d wrote to C", invalid);
        goto done;
    }

    kerno_status st = KERNO_OK;
    switch (mode) {
    case 0:
        st = kerno_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, &e);
        break;
    case 1:
        st = kerno_sgemm_threaded(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, &e, threads);
        break;
    case 2: {
        size_t bytes = 0;
        if ((st = kerno_sgemm_pack_b_size(n, k, &bytes)) != KERNO_OK) break;
        void* packed = malloc(bytes ? bytes : 1);
        st = kerno_sgemm_pack_b(tb, n, k, b, ldb, packed, bytes);
        if (st == KERNO_OK)
            st = kerno_sgemm_packed(ta, m, n, k, alpha, a, lda, packed, bytes, beta, c, ldc, &e);
        /* A buffer one byte short must be refused. */
        if (st == KERNO_OK && bytes > 0 &&
            kerno_sgemm_packed(ta, m, n, k, alpha, a, lda, packed, bytes - 1, beta, c0, ldc, &e) != KERNO_ERR_INVALID_ARGUMENT)
            FAIL("a packed B one byte short was accepted");
        free(packed);
        break;
    }
    default: {
        size_t tm = 0, tn = 0, count = 0;
        if ((st = kerno_sgemm_partition(m, n, k, threads, &tm, &tn, &count)) != KERNO_OK) break;
        /* Run the tiles in an order chosen by the input (each once). */
        size_t first = count ? take(&r, (uint32_t)count) : 0;
        for (size_t t = 0; t < count && st == KERNO_OK; ++t) {
            size_t tile = (first + t) % count;
            st = kerno_sgemm_range(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, &e, tm, tn, tile, tile + 1);
        }
        /* A range past the grid must be refused. */
        if (st == KERNO_OK && kerno_sgemm_range(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c0, ldc, &e, tm, tn, count,
                                                count + 1) != KERNO_ERR_INVALID_ARGUMENT && m && n)
            FAIL("a tile range past the grid was accepted");
        break;
    }
    }
    if (st != KERNO_OK)
        FAIL("valid call returned %d: %s", st, kerno_last_error());

    int exact = act == KERNO_ACT_NONE || act == KERNO_ACT_RELU || act == KERNO_ACT_CLIP || act == KERNO_ACT_LEAKY_RELU;
    for (size_t i = 0; i < m; ++i) {
        for (size_t j = 0; j < n; ++j) {
            double s = 0;
            for (size_t p = 0; p < k; ++p)
                s += (double)a[ta ? p * lda + i : i * lda + p] * (double)b[tb ? j * ldb + p : p * ldb + j];
            double v = alpha * s + (beta != 0.0f ? beta * (double)c0[i * ldc + j] : 0.0);
            if (bias_kind == KERNO_BIAS_ROW) v += bias[i];
            if (bias_kind == KERNO_BIAS_COL) v += bias[j];
            double want = ref_act((double)(float)v, &e);
            double got = c[i * ldc + j];
            if (exact ? got != (double)(float)want : !(fabs(got - want) <= 1e-5 * (1 + fabs(want))))
                FAIL("C[%zu][%zu] = %.9g, reference %.9g", i, j, got, want);
        }
        for (size_t j = n; n > 0 && j < ldc && i + 1 < m; ++j)
            if (memcmp(&c[i * ldc + j], &c0[i * ldc + j], sizeof(float)) != 0)
                FAIL("padding C[%zu][%zu] was written", i, j);
    }

done:
    kerno_sgemm_set_blocking(0, 0, 0, 0);
    free(a);
    free(b);
    free(c);
    free(c0);
    free(bias);
    return 0;
}
