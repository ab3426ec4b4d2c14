/* NN operator kernels vs plain C references (double accumulation), on every ISA this CPU runs:
 * activations, broadcast binary ops, Softmax/LogSoftmax, LayerNormalization, BatchNormalization,
 * MaxPool/AveragePool/GlobalPool (NCHW and NCHWc), Transpose, Resize, ConvTranspose. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "kerno_test.h"

static int light;
static uint64_t rng_state = 0x243f6a8885a308d3ull;
static float frand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 40) * (1.0 / 8388608.0)) - 1.0f;
}
static int irand(int lo, int hi) { return lo + (int)((frand() + 1.0f) * 0.5f * (float)(hi - lo + 1)) % (hi - lo + 1); }
static float* falloc(size_t n)
{
    float* p = kerno_aligned_alloc(n * sizeof(float) + 64, 64);
    for (size_t i = 0; i < n; ++i) p[i] = frand() * 3.0f;
    return p;
}
static int close_to(double y, double ref) { return fabs(y - ref) <= 1e-4 + 1e-3 * fabs(ref); }

static int isas[4], nisa;
static void find_isas(void)
{
    int32_t saved = kerno_active_isa();
    nisa = 0;
    for (int32_t isa = KERNO_ISA_GENERIC; isa <= KERNO_ISA_NEON; ++isa)
        if (kerno_set_isa(isa) == KERNO_OK) isas[nisa++] = isa;
    kerno_set_isa(saved);
}
#define FOR_EACH_ISA for (int ii_ = 0; ii_ < nisa && kerno_set_isa(isas[ii_]) == KERNO_OK; ++ii_)

static double act_ref(double v, int kind, float alpha, float beta)
{
    switch (kind) {
    case KERNO_ACT_RELU: return v > 0 ? v : 0;
    case KERNO_ACT_CLIP: return v < alpha ? alpha : (v > beta ? beta : v);
    case KERNO_ACT_LEAKY_RELU: return v >= 0 ? v : alpha * v;
    case KERNO_ACT_HARD_SWISH: { double t = v / 6 + 0.5; t = t < 0 ? 0 : (t > 1 ? 1 : t); return v * t; }
    case KERNO_ACT_SIGMOID: return 1 / (1 + exp(-v));
    case KERNO_ACT_SILU: return v / (1 + exp(-v));
    case KERNO_ACT_GELU_TANH: return 0.5 * v * (1 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
    default: return v;
    }
}

static void activations(void)
{
    FOR_EACH_ISA {
        for (int act = KERNO_ACT_NONE; act <= KERNO_ACT_SILU; ++act)
            for (size_t n = 0; n < 70; n += 7) {
                float* x = falloc(n + 1);
                x[0] = n ? -100.0f : x[0]; /* saturating exp */
                float* y = falloc(n + 1);
                float alpha = act == KERNO_ACT_CLIP ? -1.0f : 0.1f, beta = 2.0f;
                CHECK(kerno_activation(x, y, n, act, alpha, beta) == KERNO_OK);
                int ok = 1;
                for (size_t i = 0; i < n; ++i) ok &= close_to(y[i], act_ref(x[i], act, alpha, beta));
                CHECK_MSG(ok, "act %d n %zu isa %s", act, n, kerno_isa_name(kerno_active_isa()));
                CHECK(kerno_activation(x, x, n, act, alpha, beta) == KERNO_OK); /* in place */
                CHECK(memcmp(x, y, n * sizeof(float)) == 0);
                kerno_aligned_free(x);
                kerno_aligned_free(y);
            }
        CHECK(kerno_activation(NULL, NULL, 0, 0, 0, 0) == KERNO_OK);
        CHECK(kerno_activation(NULL, NULL, 0, 42, 0, 0) == KERNO_ERR_INVALID_ARGUMENT);
    }
}

static double bin_ref(int op, double a, double b)
{
    switch (op) {
    case KERNO_BINARY_ADD: return a + b;
    case KERNO_BINARY_SUB: return a - b;
    case KERNO_BINARY_MUL: return a * b;
    case KERNO_BINARY_DIV: return a / b;
    case KERNO_BINARY_MAX: return a > b ? a : b;
    default: return a < b ? a : b;
    }
}

static void binary_broadcasting(void)
{
    int iters = light ? 30 : 300;
    FOR_EACH_ISA {
        for (int it = 0; it < iters; ++it) {
            int r = irand(0, 4);
            int64_t out[4], as[4], bs[4];
            int ar = irand(0, r), br = r == 0 ? 0 : irand(0, r);
            if (ar < r && br < r) ar = r;
            size_t total = 1;
            for (int i = 0; i < r; ++i) {
                out[i] = irand(1, 9);
                total *= (size_t)out[i];
            }
            for (int i = 0; i < ar; ++i) as[i] = irand(0, 2) ? out[r - ar + i] : 1;
            for (int i = 0; i < br; ++i) bs[i] = irand(0, 2) ? out[r - br + i] : 1;
            /* where both are 1 the output is 1 */
            for (int i = 0; i < r; ++i) {
                int64_t da = i - (r - ar) >= 0 ? as[i - (r - ar)] : 1, db = i - (r - br) >= 0 ? bs[i - (r - br)] : 1;
                if (da == 1 && db == 1) { total /= (size_t)out[i]; out[i] = 1; }
            }
            size_t na = 1, nb = 1;
            for (int i = 0; i < ar; ++i) na *= (size_t)as[i];
            for (int i = 0; i < br; ++i) nb *= (size_t)bs[i];
            float* a = falloc(na);
            float* b = falloc(nb);
            for (size_t i = 0; i < nb; ++i) if (fabsf(b[i]) < 0.1f) b[i] = 0.5f;
            float* y = falloc(total);
            int op = irand(0, 5);
            CHECK(kerno_binary(op, a, as, ar, b, bs, br, y) == KERNO_OK);
            int ok = 1;
            for (size_t o = 0; o < total; ++o) {
                size_t rem = o, ia = 0, ib = 0, ma = 1, mb = 1;
                for (int i = r - 1; i >= 0; --i) {
                    size_t idx = rem % (size_t)out[i];
                    rem /= (size_t)out[i];
                    int ja = i - (r - ar), jb = i - (r - br);
                    if (ja >= 0) { if (as[ja] != 1) ia += idx * ma; ma *= (size_t)as[ja]; }
                    if (jb >= 0) { if (bs[jb] != 1) ib += idx * mb; mb *= (size_t)bs[jb]; }
                }
                ok &= close_to(y[o], bin_ref(op, a[ia], b[ib]));
            }
            CHECK_MSG(ok, "binary op %d rank %d", op, r);
            kerno_aligned_free(a);
            kerno_aligned_free(b);
            kerno_aligned_free(y);
        }
    }
    int64_t s1[1] = { 3 }, s2[1] = { 4 };
    float t[4] = { 0 };
    CHECK(kerno_binary(KERNO_BINARY_ADD, t, s1, 1, t, s2, 1, t) == KERNO_ERR_INVALID_ARGUMENT);
}

static void softmax_and_norms(void)
{
    FOR_EACH_ISA {
        for (int it = 0; it < 20; ++it) {
            /* odd iterations: many short rows (the transposed path), past one group of rows */
            int64_t outer = it % 2 ? irand(1, 150) : irand(1, 4), len = it % 2 ? irand(1, 17) : irand(1, 70);
            int64_t inner = it % 2 || irand(0, 1) ? 1 : irand(1, 21);
            size_t n = (size_t)(outer * len * inner);
            float* x = falloc(n);
            float* y = falloc(n);
            for (int lg = 0; lg < 2; ++lg) {
                CHECK(kerno_softmax(x, y, outer, len, inner, lg) == KERNO_OK);
                int ok = 1;
                for (int64_t o = 0; o < outer; ++o)
                    for (int64_t j = 0; j < inner; ++j) {
                        double m = -1e30, s = 0;
                        for (int64_t i = 0; i < len; ++i) { double v = x[(o * len + i) * inner + j]; m = v > m ? v : m; }
                        for (int64_t i = 0; i < len; ++i) s += exp(x[(o * len + i) * inner + j] - m);
                        for (int64_t i = 0; i < len; ++i) {
                            double v = x[(o * len + i) * inner + j] - m;
                            double ref = lg ? v - log(s) : exp(v) / s;
                            ok &= close_to(y[(o * len + i) * inner + j], ref);
                        }
                    }
                CHECK_MSG(ok, "softmax log=%d outer %lld len %lld inner %lld", lg, (long long)outer, (long long)len, (long long)inner);
            }
            kerno_aligned_free(x);
            kerno_aligned_free(y);
        }
        for (int it = 0; it < 20; ++it) {
            int64_t rows = irand(1, 5), cols = irand(1, 300);
            float* x = falloc((size_t)(rows * cols));
            for (int64_t i = 0; i < rows * cols; ++i) x[i] += 5.0f; /* offset mean */
            float* y = falloc((size_t)(rows * cols));
            float* sc = falloc((size_t)cols);
            float* bi = falloc((size_t)cols);
            float mean[5], inv[5];
            int with_bias = irand(0, 1);
            CHECK(kerno_layer_norm(x, sc, with_bias ? bi : NULL, y, rows, cols, 1e-5f, mean, inv) == KERNO_OK);
            int ok = 1;
            for (int64_t r = 0; r < rows; ++r) {
                double m = 0, v = 0;
                for (int64_t c = 0; c < cols; ++c) m += x[r * cols + c];
                m /= (double)cols;
                for (int64_t c = 0; c < cols; ++c) v += (x[r * cols + c] - m) * (x[r * cols + c] - m);
                v /= (double)cols;
                double is = 1 / sqrt(v + 1e-5);
                ok &= close_to(mean[r], m) && close_to(inv[r], is);
                for (int64_t c = 0; c < cols; ++c)
                    ok &= close_to(y[r * cols + c], (x[r * cols + c] - m) * is * sc[c] + (with_bias ? bi[c] : 0));
            }
            CHECK_MSG(ok, "layernorm rows %lld cols %lld", (long long)rows, (long long)cols);
            kerno_aligned_free(x); kerno_aligned_free(y); kerno_aligned_free(sc); kerno_aligned_free(bi);
        }
        for (int layout = 0; layout < 2; ++layout) {
            int64_t n = 2, c = irand(1, 37), sp = irand(1, 50);
            int b = kerno_nchwc_block();
            int64_t cb = (c + b - 1) / b;
            float* x = falloc((size_t)(n * c * sp));
            float* xb = falloc((size_t)(n * cb * b * sp));
            float* y = falloc((size_t)(n * cb * b * sp));
            float* yn = falloc((size_t)(n * c * sp));
            float* sc = falloc((size_t)c); float* bi = falloc((size_t)c); float* mu = falloc((size_t)c); float* var = falloc((size_t)c);
            for (int64_t i = 0; i < c; ++i) var[i] = fabsf(var[i]) + 0.1f;
            kerno_reorder_nchw_to_nchwc(x, xb, n, c, 1, sp);
            CHECK(kerno_batch_norm(layout, layout ? xb : x, y, n, c, sp, sc, bi, mu, var, 1e-5f, KERNO_ACT_RELU, 0, 0) == KERNO_OK);
            if (layout) kerno_reorder_nchwc_to_nchw(y, yn, n, c, 1, sp); else memcpy(yn, y, (size_t)(n * c * sp) * sizeof(float));
            int ok = 1;
            for (int64_t i = 0; i < n * c * sp; ++i) {
                int64_t ch = (i / sp) % c;
                double ref = (x[i] - mu[ch]) / sqrt(var[ch] + 1e-5) * sc[ch] + bi[ch];
                ok &= close_to(yn[i], ref > 0 ? ref : 0);
            }
            CHECK_MSG(ok, "batchnorm layout %d", layout);
            kerno_aligned_free(x); kerno_aligned_free(xb); kerno_aligned_free(y); kerno_aligned_free(yn);
            kerno_aligned_free(sc); kerno_aligned_free(bi); kerno_aligned_free(mu); kerno_aligned_free(var);
        }
    }
}

/* One MaxPool/AveragePool geometry in both layouts (NCHWc only when the window fits the blocked kernel's
 * assumptions: any) against a double-precision reference; returns 1 when every output matches. */
static int check_pool(int kind, int cip, int64_t N, int64_t C, int64_t H, int64_t W, const int64_t* k, const int64_t* s,
                      const int64_t* p, const int64_t* d, int ceil_mode)
{
    int64_t o[2];
    const int64_t n[2] = { H, W };
    for (int i = 0; i < 2; ++i) {
        int64_t span = n[i] + p[i] + p[i + 2] - ((k[i] - 1) * d[i] + 1);
        o[i] = span / s[i] + 1;
        if (ceil_mode) {
            o[i] = (span + s[i] - 1) / s[i] + 1;
            if ((o[i] - 1) * s[i] >= n[i] + p[i]) --o[i]; /* the last window starts inside the image or left pad */
        }
    }
    int64_t OH = o[0], OW = o[1];
    int64_t in[4] = { N, C, H, W }, out[4] = { N, C, OH, OW };
    float* x = falloc((size_t)(N * C * H * W));
    float* y = falloc((size_t)(N * C * OH * OW));
    int b = kerno_nchwc_block();
    int64_t CB = (C + b - 1) / b;
    float* xb = falloc((size_t)(N * CB * b * H * W));
    float* yb = falloc((size_t)(N * CB * b * OH * OW));
    float* y2 = falloc((size_t)(N * C * OH * OW));
    int ok = kerno_pool2d(kind, KERNO_LAYOUT_NCHW, x, y, in, out, k, s, p, d, cip) == KERNO_OK;
    kerno_reorder_nchw_to_nchwc(x, xb, N, C, H, W);
    ok &= kerno_pool2d(kind, KERNO_LAYOUT_NCHWC, xb, yb, in, out, k, s, p, d, cip) == KERNO_OK;
    kerno_reorder_nchwc_to_nchw(yb, y2, N, C, OH, OW);
    for (int64_t pl = 0; pl < N * C && ok; ++pl)
        for (int64_t oh = 0; oh < OH; ++oh)
            for (int64_t ow = 0; ow < OW; ++ow) {
                double acc = kind == KERNO_POOL_MAX ? -1e30 : 0;
                int cnt = 0, cntp = 0;
                for (int64_t ky = 0; ky < k[0]; ++ky)
                    for (int64_t kx = 0; kx < k[1]; ++kx) {
                        int64_t iy = oh * s[0] + ky * d[0] - p[0], ix = ow * s[1] + kx * d[1] - p[1];
                        if (iy < H + p[2] && ix < W + p[3]) ++cntp;
                        if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
                        double v = x[(pl * H + iy) * W + ix];
                        acc = kind == KERNO_POOL_MAX ? (v > acc ? v : acc) : acc + v;
                        ++cnt;
                    }
                if (kind == KERNO_POOL_AVG) acc = (cip ? cntp : cnt) ? acc / (cip ? cntp : cnt) : 0;
                size_t i = (size_t)((pl * OH + oh) * OW + ow);
                if (cnt == 0 && kind == KERNO_POOL_MAX) /* window only in padding: -inf */
                    ok &= isinf(y[i]) && y[i] < 0 && isinf(y2[i]) && y2[i] < 0;
                else
                    ok &= close_to(y[i], acc) && close_to(y2[i], acc);
            }
    kerno_aligned_free(x); kerno_aligned_free(y); kerno_aligned_free(xb); kerno_aligned_free(yb); kerno_aligned_free(y2);
    return ok;
}

static void pooling(void)
{
    int iters = light ? 10 : 60;
    FOR_EACH_ISA {
        for (int it = 0; it < iters; ++it) {
            /* widths past two vectors of every ISA, so the vector bodies and their tails both run */
            int64_t N = irand(1, 2), C = irand(1, 35), H = irand(1, 17), W = irand(1, it % 2 ? 17 : 70);
            int64_t k[2] = { irand(1, 4), irand(1, 4) }, s[2] = { irand(1, 3), irand(1, 3) }, d[2] = { irand(1, 2), irand(1, 2) };
            int64_t p[4] = { irand(0, 2), irand(0, 2), irand(0, 2), irand(0, 2) };
            for (int i = 0; i < 4; ++i) if (p[i] >= k[i % 2]) p[i] = k[i % 2] - 1;
            if (H + p[0] + p[2] < (k[0] - 1) * d[0] + 1) H = (k[0] - 1) * d[0] + 1;
            if (W + p[1] + p[3] < (k[1] - 1) * d[1] + 1) W = (k[1] - 1) * d[1] + 1;
            int kind = irand(0, 1), cip = irand(0, 1), ceil_mode = irand(0, 1);
            CHECK_MSG(check_pool(kind, cip, N, C, H, W, k, s, p, d, ceil_mode), "pool kind %d cip %d ceil %d %lldx%lld k %lldx%lld s %lldx%lld",
                      kind, cip, ceil_mode, (long long)H, (long long)W, (long long)k[0], (long long)k[1], (long long)s[0], (long long)s[1]);
            /* global pools */
            int64_t HW = H * W;
            float* x = falloc((size_t)(N * C * HW));
            int b = kerno_nchwc_block();
            int64_t CB = (C + b - 1) / b;
            float* xb = falloc((size_t)(N * CB * b * HW));
            kerno_reorder_nchw_to_nchwc(x, xb, N, C, H, W);
            float* g = falloc((size_t)(N * C));
            float* gb = falloc((size_t)(N * CB * b));
            CHECK(kerno_global_pool(kind, KERNO_LAYOUT_NCHW, x, g, N, C, HW) == KERNO_OK);
            CHECK(kerno_global_pool(kind, KERNO_LAYOUT_NCHWC, xb, gb, N, C, HW) == KERNO_OK);
            int ok = 1;
            for (int64_t pl = 0; pl < N * C; ++pl) {
                double acc = kind == KERNO_POOL_MAX ? -1e30 : 0;
                for (int64_t i = 0; i < HW; ++i) {
                    double v = x[pl * HW + i];
                    acc = kind == KERNO_POOL_MAX ? (v > acc ? v : acc) : acc + v;
                }
                if (kind == KERNO_POOL_AVG) acc /= (double)HW;
                int64_t n = pl / C, c = pl % C;
                ok &= close_to(g[pl], acc) && close_to(gb[(n * CB + c / b) * b + c % b], acc);
            }
            CHECK_MSG(ok, "global pool kind %d", kind);
            kerno_aligned_free(x); kerno_aligned_free(xb); kerno_aligned_free(g); kerno_aligned_free(gb);
        }
        for (int kind = KERNO_POOL_MAX; kind <= KERNO_POOL_AVG; ++kind)
            for (int cip = 0; cip < 2; ++cip) {
                /* SqueezeNet's 3x3/2 ceil-mode pool and ShuffleNet's 3x3/2 average pool with pads */
                int64_t k3[2] = { 3, 3 }, s2[2] = { 2, 2 }, d1[2] = { 1, 1 }, p0[4] = { 0 }, p1[4] = { 1, 1, 1, 1 };
                CHECK_MSG(check_pool(kind, cip, 1, 3, 27, 27, k3, s2, p0, d1, 1), "3x3/2 ceil kind %d", kind);
                CHECK_MSG(check_pool(kind, cip, 1, 3, 28, 28, k3, s2, p1, d1, 0), "3x3/2 pad 1 kind %d", kind);
                /* pads as large as the window: edge windows lie wholly in the padding */
                int64_t k2[2] = { 2, 2 }, p2[4] = { 2, 2, 2, 2 };
                CHECK_MSG(check_pool(kind, cip, 1, 2, 5, 6, k2, s2, p2, d1, 0), "window in padding kind %d", kind);
                /* rows wider than one chunk of the NCHW kernel's row buffer */
                int64_t k13[2] = { 1, 3 }, s1[2] = { 1, 1 }, s13[2] = { 1, 3 }, pw[4] = { 0, 2, 0, 1 };
                CHECK_MSG(check_pool(kind, cip, 1, 1, 2, 2500, k13, s1, pw, d1, 0), "wide row kind %d", kind);
                CHECK_MSG(check_pool(kind, cip, 1, 1, 2, 5000, k13, s13, pw, d1, 1), "wide strided row kind %d", kind);
                /* a window wider than the row buffer (the scalar path) */
                int64_t dw[2] = { 1, 2100 };
                CHECK_MSG(check_pool(kind, cip, 1, 1, 2, 4300, k13, s1, p0, dw, 0), "huge window kind %d", kind);
                /* stride 1 and 2 with dilation, tiny planes */
                int64_t d2[2] = { 2, 2 };
                CHECK_MSG(check_pool(kind, cip, 2, 2, 5, 5, k3, s2, p1, d2, 1), "dilated kind %d", kind);
                CHECK_MSG(check_pool(kind, cip, 1, 1, 1, 1, k2, s1, p1, d1, 0), "1x1 plane kind %d", kind);
            }
    }
    int64_t in[4] = { 1, 1, 4, 4 }, out[4] = { 1, 1, 3, 3 }, k[2] = { 2, 2 }, s[2] = { 1, 1 }, p[4] = { 0 }, d[2] = { 1, 1 };
    float t[16] = { 0 };
    out[2] = 5;
    CHECK(kerno_pool2d(KERNO_POOL_MAX, 0, t, t, in, out, k, s, p, d, 0) == KERNO_ERR_INVALID_ARGUMENT);
}

static void transpose(void)
{
    for (int it = 0; it < (light ? 20 : 200); ++it) {
        int r = irand(1, 5);
        int64_t shape[5], perm[5];
        size_t total = 1;
        for (int i = 0; i < r; ++i) { shape[i] = irand(1, 20 - 3 * r); total *= (size_t)shape[i]; perm[i] = i; }
        for (int i = r - 1; i > 0; --i) { int j = irand(0, i); int64_t t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
        float* x = falloc(total);
        float* y = falloc(total);
        CHECK(kerno_transpose(x, y, shape, perm, r) == KERNO_OK);
        int64_t istr[5], s = 1;
        for (int i = r - 1; i >= 0; --i) { istr[i] = s; s *= shape[i]; }
        int ok = 1;
        for (size_t o = 0; o < total; ++o) {
            size_t rem = o, src = 0;
            for (int i = r - 1; i >= 0; --i) {
                size_t d = (size_t)shape[perm[i]];
                src += (rem % d) * (size_t)istr[perm[i]];
                rem /= d;
            }
            ok &= y[o] == x[src];
        }
        CHECK_MSG(ok, "transpose rank %d", r);
        kerno_aligned_free(x);
        kerno_aligned_free(y);
    }
    int64_t shape[2] = { 2, 2 }, bad[2] = { 0, 0 };
    float t[4];
    CHECK(kerno_transpose(t, t, shape, bad, 2) == KERNO_ERR_INVALID_ARGUMENT);
}

/* Coordinates in float, as ONNX Runtime computes them (nearest rounding depends on it at exact halves). */
static double coord(int mode, int64_t o, int64_t in, int64_t out, float sc)
{
    switch (mode) {
    case KERNO_COORD_ASYMMETRIC: return (float)o / sc;
    case KERNO_COORD_ALIGN_CORNERS: return out > 1 ? (float)o * (float)(in - 1) / (float)(out - 1) : 0;
    case KERNO_COORD_PYTORCH_HALF_PIXEL: return out > 1 ? ((float)o + 0.5f) / sc - 0.5f : 0;
    default: return ((float)o + 0.5f) / sc - 0.5f;
    }
}

static void resize(void)
{
    for (int it = 0; it < (light ? 20 : 200); ++it) {
        int64_t nc = irand(1, 3), h = irand(1, 9), w = irand(1, 9);
        float sh = (float)irand(1, 8) / (float)irand(1, 4), sw = (float)irand(1, 8) / (float)irand(1, 4);
        int64_t oh = (int64_t)floorf(h * sh), ow = (int64_t)floorf(w * sw);
        if (oh < 1 || ow < 1) continue;
        int mode = irand(0, 1), cm = irand(0, 3), nm = irand(0, 3);
        float* x = falloc((size_t)(nc * h * w));
        float* y = falloc((size_t)(nc * oh * ow));
        CHECK(kerno_resize2d(mode, cm, nm, x, y, nc, h, w, oh, ow, sh, sw) == KERNO_OK);
        int ok = 1;
        for (int64_t p = 0; p < nc; ++p)
            for (int64_t r = 0; r < oh; ++r)
                for (int64_t c = 0; c < ow; ++c) {
                    double vy = coord(cm, r, h, oh, sh), vx = coord(cm, c, w, ow, sw), ref;
                    if (mode == KERNO_RESIZE_NEAREST) {
                        double v[2] = { vy, vx };
                        int64_t id[2], lim[2] = { h, w };
                        for (int a = 0; a < 2; ++a) {
                            double f = floor(v[a]);
                            int64_t i = nm == KERNO_NEAREST_FLOOR ? (int64_t)f : nm == KERNO_NEAREST_CEIL ? (int64_t)ceil(v[a])
                                      : nm == KERNO_NEAREST_ROUND_PREFER_CEIL ? (int64_t)floor(v[a] + 0.5)
                                      : (v[a] - f == 0.5 ? (int64_t)f : (int64_t)floor(v[a] + 0.5));
                            id[a] = i < 0 ? 0 : (i >= lim[a] ? lim[a] - 1 : i);
                        }
                        ref = x[(p * h + id[0]) * w + id[1]];
                    } else {
                        vy = vy < 0 ? 0 : (vy > h - 1 ? h - 1 : vy);
                        vx = vx < 0 ? 0 : (vx > w - 1 ? w - 1 : vx);
                        int64_t y0 = (int64_t)vy, x0 = (int64_t)vx, y1 = y0 + 1 < h ? y0 + 1 : h - 1, x1 = x0 + 1 < w ? x0 + 1 : w - 1;
                        double fy = vy - y0, fx = vx - x0;
                        const float* xp = x + p * h * w;
                        ref = (1 - fy) * ((1 - fx) * xp[y0 * w + x0] + fx * xp[y0 * w + x1]) +
                              fy * ((1 - fx) * xp[y1 * w + x0] + fx * xp[y1 * w + x1]);
                    }
                    ok &= close_to(y[(p * oh + r) * ow + c], ref);
                }
        CHECK_MSG(ok, "resize mode %d coord %d nearest %d %lldx%lld -> %lldx%lld", mode, cm, nm, (long long)h, (long long)w,
                  (long long)oh, (long long)ow);
        kerno_aligned_free(x);
        kerno_aligned_free(y);
    }
}

static void conv_transpose(void)
{
    FOR_EACH_ISA {
        for (int it = 0; it < (light ? 4 : 25); ++it) {
            int64_t g = irand(1, 2), N = irand(1, 2), Cg = irand(1, 9), Kg = irand(1, 9), H = irand(1, 9), W = irand(1, 9);
            int64_t kh = irand(1, 4), kw = irand(1, 4), s[2] = { irand(1, 3), irand(1, 3) }, d[2] = { irand(1, 2), irand(1, 2) };
            int64_t p[4] = { irand(0, 1), irand(0, 1), irand(0, 1), irand(0, 1) };
            int64_t OH = (H - 1) * s[0] - p[0] - p[2] + (kh - 1) * d[0] + 1 + (s[0] > 1 ? irand(0, 1) : 0);
            int64_t OW = (W - 1) * s[1] - p[1] - p[3] + (kw - 1) * d[1] + 1;
            if (OH < 1 || OW < 1) continue;
            int64_t C = Cg * g, K = Kg * g;
            int64_t in[4] = { N, C, H, W }, ws[4] = { C, Kg, kh, kw }, out[4] = { N, K, OH, OW };
            float* x = falloc((size_t)(N * C * H * W));
            float* w = falloc((size_t)(C * Kg * kh * kw));
            float* bias = falloc((size_t)K);
            float* y = falloc((size_t)(N * K * OH * OW));
            CHECK_MSG(kerno_conv_transpose2d(x, w, bias, y, in, ws, out, s, p, d, g) == KERNO_OK, "%s", kerno_last_error());
            double* ref = calloc((size_t)(N * K * OH * OW), sizeof(double));
            for (int64_t n = 0; n < N; ++n)
                for (int64_t c = 0; c < C; ++c) {
                    int64_t gi = c / Cg;
                    for (int64_t k = 0; k < Kg; ++k)
                        for (int64_t ih = 0; ih < H; ++ih)
                            for (int64_t iw = 0; iw < W; ++iw)
                                for (int64_t ky = 0; ky < kh; ++ky)
                                    for (int64_t kx = 0; kx < kw; ++kx) {
                                        int64_t oy = ih * s[0] + ky * d[0] - p[0], ox = iw * s[1] + kx * d[1] - p[1];
                                        if (oy < 0 || ox < 0 || oy >= OH || ox >= OW) continue;
                                        ref[((n * K + gi * Kg + k) * OH + oy) * OW + ox] +=
                                            (double)x[((n * C + c) * H + ih) * W + iw] * w[((c * Kg + k) * kh + ky) * kw + kx];
                                    }
                }
            int ok = 1;
            for (int64_t i = 0; i < N * K * OH * OW; ++i)
                ok &= close_to(y[i], ref[i] + bias[(i / (OH * OW)) % K]);
            CHECK_MSG(ok, "conv transpose");
            free(ref);
            kerno_aligned_free(x); kerno_aligned_free(w); kerno_aligned_free(bias); kerno_aligned_free(y);
        }
    }
}

int main(void)
{
    const char* l = getenv("KERNO_TEST_LIGHT");
    light = l && l[0] && l[0] != '0';
    find_isas();
    int32_t saved = kerno_active_isa();
    static const kt_case cases[] = {
        KT_CASE(activations), KT_CASE(binary_broadcasting), KT_CASE(softmax_and_norms), KT_CASE(pooling),
        KT_CASE(transpose), KT_CASE(resize), KT_CASE(conv_transpose),
    };
    int rc = kt_run(cases, (int)(sizeof cases / sizeof cases[0]));
    kerno_set_isa(saved);
    return rc;
}
