/* Convolution kernels vs a plain C reference that accumulates in double: every algorithm, both layouts,
 * every ISA this CPU runs, randomized geometries (stride, padding, dilation, groups, odd sizes, channel
 * counts off the block, batch > 1) and real layer shapes (ResNet-50, VGG-19, MobileNet, UltraFace).
 * Tolerance: |y - ref| <= 1e-4 + 1e-3 |ref| per element, with He-scaled weights (outputs are O(1)). */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "kerno_test.h"

static int light;
static int emulated;

/* ---- helpers ------------------------------------------------------------------------------------ */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static float frand(void) /* uniform in [-1, 1) */
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
    for (size_t i = 0; i < n; ++i) p[i] = frand();
    return p;
}

static int supported_isas(int32_t* out)
{
    int n = 0;
    int32_t saved = kerno_active_isa();
    for (int32_t isa = KERNO_ISA_GENERIC; isa <= KERNO_ISA_NEON; ++isa)
        if (kerno_set_isa(isa) == KERNO_OK)
            out[n++] = isa;
    kerno_set_isa(saved);
    return n;
}

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

typedef struct conv_case {
    int64_t n, c, h, w, k, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, g;
    int act;
    float alpha, beta;
    int bias, residual;
} conv_case;

static int64_t out_h(const conv_case* t) { return (t->h + t->pt + t->pb - ((t->kh - 1) * t->dh + 1)) / t->sh + 1; }
static int64_t out_w(const conv_case* t) { return (t->w + t->pl + t->pr - ((t->kw - 1) * t->dw + 1)) / t->sw + 1; }

static void ref_conv(const conv_case* t, const float* x, const float* w, const float* bias, const float* res, float* y)
{
    int64_t OH = out_h(t), OW = out_w(t), Cg = t->c / t->g, Kg = t->k / t->g;
    for (int64_t n = 0; n < t->n; ++n)
        for (int64_t k = 0; k < t->k; ++k) {
            int64_t g = k / Kg;
            for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow) {
                    double s = bias ? bias[k] : 0.0;
                    for (int64_t c = 0; c < Cg; ++c)
                        for (int64_t ky = 0; ky < t->kh; ++ky) {
                            int64_t iy = oh * t->sh + ky * t->dh - t->pt;
                            if (iy < 0 || iy >= t->h) continue;
                            for (int64_t kx = 0; kx < t->kw; ++kx) {
                                int64_t ix = ow * t->sw + kx * t->dw - t->pl;
                                if (ix < 0 || ix >= t->w) continue;
                                s += (double)x[((n * t->c + g * Cg + c) * t->h + iy) * t->w + ix] *
                                     (double)w[((k * Cg + c) * t->kh + ky) * t->kw + kx];
                            }
                        }
                    size_t o = (size_t)(((n * t->k + k) * OH + oh) * OW + ow);
                    if (res) s += res[o];
                    y[o] = (float)act_ref(s, t->act, t->alpha, t->beta);
                }
        }
}

/* Runs one algorithm in one layout under the active ISA; returns the worst error ratio
 * max |y-ref| / (atol + rtol |ref|) (<= 1 passes), or -1 when the plan is unsupported. */
/* A plan that runs row ranges: three random ranges must give exactly the whole run's output (same kernels, rows
 * computed independently); others refuse them. Bad ranges are rejected. */
static void check_row_ranges(const kerno_conv2d_t* plan, const float* xb, const float* packed, const float* rb,
                             const float* yb, size_t ysize, size_t OH)
{
    if (!kerno_conv2d_can_run_rows(plan)) {
        CHECK(kerno_conv2d_run_rows(plan, xb, packed, rb, (float*)yb, 0, OH) == KERNO_ERR_UNSUPPORTED);
        return;
    }
    CHECK(kerno_conv2d_workspace_size(plan) == 0);
    float* y2 = kerno_aligned_alloc(ysize * sizeof(float), 64);
    size_t a = (size_t)irand(0, (int)OH), c = (size_t)irand(0, (int)OH);
    if (a > c) { size_t tmp = a; a = c; c = tmp; }
    size_t cuts[4] = { 0, a, c, OH };
    for (int i = 0; i < 3; ++i)
        if (cuts[i + 1] > cuts[i])
            CHECK_MSG(kerno_conv2d_run_rows(plan, xb, packed, rb, y2, cuts[i], cuts[i + 1]) == KERNO_OK, "run_rows: %s",
                      kerno_last_error());
    CHECK_MSG(memcmp(y2, yb, ysize * sizeof(float)) == 0, "run_rows [0,%zu) [%zu,%zu) [%zu,%zu) differ from run", a, a,
              c, c, OH);
    CHECK(kerno_conv2d_run_rows(plan, xb, packed, rb, y2, 1, 1) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_conv2d_run_rows(plan, xb, packed, rb, y2, 0, OH + 1) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_conv2d_run_rows(NULL, xb, packed, rb, y2, 0, OH) == KERNO_ERR_INVALID_ARGUMENT);
    kerno_aligned_free(y2);
}

static double run_conv(const conv_case* t, int32_t algo, int32_t layout, const float* x, const float* w,
                       const float* bias, const float* res, const float* ref, double* max_abs)
{
    int64_t in_shape[4] = { t->n, t->c, t->h, t->w };
    int64_t w_shape[4] = { t->k, t->c / t->g, t->kh, t->kw };
    int64_t strides[2] = { t->sh, t->sw }, pads[4] = { t->pt, t->pl, t->pb, t->pr }, dil[2] = { t->dh, t->dw };
    kerno_conv2d_t* plan = NULL;
    kerno_status st = kerno_conv2d_create(in_shape, w_shape, strides, pads, dil, t->g, layout, algo, t->act, t->alpha,
                                          t->beta, &plan);
    if (st == KERNO_ERR_UNSUPPORTED)
        return -1;
    CHECK_MSG(st == KERNO_OK, "create: %s", kerno_last_error());
    if (st != KERNO_OK)
        return 1e9;
    CHECK(algo == KERNO_CONV_AUTO || kerno_conv2d_algorithm(plan) == algo);
    int64_t oshape[4];
    CHECK(kerno_conv2d_output_shape(plan, oshape) == KERNO_OK);
    int64_t OH = out_h(t), OW = out_w(t);
    CHECK(oshape[0] == t->n && oshape[1] == t->k && oshape[2] == OH && oshape[3] == OW);
    size_t psize = kerno_conv2d_packed_size(plan), wsize = kerno_conv2d_workspace_size(plan);
    float* packed = kerno_aligned_alloc(psize, 64);
    void* ws = wsize ? kerno_aligned_alloc(wsize, 64) : NULL;
    CHECK(kerno_conv2d_pack(plan, w, bias, packed, psize) == KERNO_OK);
    size_t ysize = (size_t)(t->n * t->k * OH * OW);
    float* y = kerno_aligned_alloc(ysize * sizeof(float) + 64, 64);
    double worst = 0;
    *max_abs = 0;
    if (layout == KERNO_LAYOUT_NCHW) {
        st = kerno_conv2d_run(plan, x, packed, res, y, ws, wsize);
        CHECK_MSG(st == KERNO_OK, "run: %s", kerno_last_error());
    } else {
        size_t b = (size_t)kerno_nchwc_block();
        size_t cbx = (size_t)(t->c + (int64_t)b - 1) / b, cby = (size_t)(t->k + (int64_t)b - 1) / b;
        float* xb = kerno_aligned_alloc(t->n * cbx * b * t->h * t->w * sizeof(float), 64);
        float* yb = kerno_aligned_alloc(t->n * cby * b * OH * OW * sizeof(float), 64);
        float* rb = res ? kerno_aligned_alloc(t->n * cby * b * OH * OW * sizeof(float), 64) : NULL;
        CHECK(kerno_reorder_nchw_to_nchwc(x, xb, t->n, t->c, t->h, t->w) == KERNO_OK);
        if (res) CHECK(kerno_reorder_nchw_to_nchwc(res, rb, t->n, t->k, OH, OW) == KERNO_OK);
        st = kerno_conv2d_run(plan, xb, packed, rb, yb, ws, wsize);
        CHECK_MSG(st == KERNO_OK, "run: %s", kerno_last_error());
        check_row_ranges(plan, xb, packed, rb, yb, (size_t)(t->n * cby * b * OH * OW), (size_t)OH);
        /* channel padding of the output must stay zero when there is no bias/residual/activation offset */
        CHECK(kerno_reorder_nchwc_to_nchw(yb, y, t->n, t->k, OH, OW) == KERNO_OK);
        kerno_aligned_free(xb);
        kerno_aligned_free(yb);
        kerno_aligned_free(rb);
    }
    for (size_t i = 0; i < ysize; ++i) {
        double d = fabs((double)y[i] - (double)ref[i]);
        double r = d / (1e-4 + 1e-3 * fabs((double)ref[i]));
        if (!(r <= worst)) worst = r; /* NaN propagates as failure */
        if (d > *max_abs) *max_abs = d;
    }
    kerno_aligned_free(y);
    kerno_aligned_free(packed);
    kerno_aligned_free(ws);
    kerno_conv2d_destroy(plan);
    return worst;
}

static const int32_t all_algos[] = { KERNO_CONV_AUTO, KERNO_CONV_DIRECT, KERNO_CONV_DEPTHWISE,
                                     KERNO_CONV_WINOGRAD_F2, KERNO_CONV_WINOGRAD_F4, KERNO_CONV_WINOGRAD_F6,
                                     KERNO_CONV_IM2COL, KERNO_CONV_GEMM_1X1 };
static const char* const algo_names[] = { "auto", "im2col", "gemm_1x1", "winograd_f2", "winograd_f4",
                                          "winograd_f6", "direct", "depthwise" };

/* Reference once, then every algorithm x layout x ISA. `print` reports the worst error per algorithm. */
static void check_case(const conv_case* t, const char* label, int print)
{
    int64_t OH = out_h(t), OW = out_w(t);
    size_t xs = (size_t)(t->n * t->c * t->h * t->w), ws = (size_t)(t->k * (t->c / t->g) * t->kh * t->kw);
    size_t ys = (size_t)(t->n * t->k * OH * OW);
    float* x = falloc(xs);
    float* w = falloc(ws);
    float scale = sqrtf(3.0f / (float)((t->c / t->g) * t->kh * t->kw));
    for (size_t i = 0; i < ws; ++i) w[i] *= scale;
    float* bias = t->bias ? falloc((size_t)t->k) : NULL;
    float* res = t->residual ? falloc(ys) : NULL;
    float* ref = kerno_aligned_alloc(ys * sizeof(float), 64);
    ref_conv(t, x, w, bias, res, ref);
    int32_t isas[4];
    int nisa = supported_isas(isas);
    int32_t saved = kerno_active_isa();
    for (size_t ai = 0; ai < sizeof all_algos / sizeof all_algos[0]; ++ai) {
        double worst_all = 0, abs_all = 0;
        int ran = 0;
        for (int ii = 0; ii < nisa; ++ii) {
            kerno_set_isa(isas[ii]);
            for (int32_t layout = KERNO_LAYOUT_NCHW; layout <= KERNO_LAYOUT_NCHWC; ++layout) {
                double max_abs;
                double worst = run_conv(t, all_algos[ai], layout, x, w, bias, res, ref, &max_abs);
                if (worst < 0) continue;
                ran = 1;
                CHECK_MSG(worst <= 1.0,
                          "%s: %s %s layout %s: error %.3g x tolerance (max abs %.3g) N%lld C%lld %lldx%lld K%lld "
                          "k%lldx%lld s%lld,%lld p%lld,%lld,%lld,%lld d%lld,%lld g%lld act%d",
                          label, algo_names[all_algos[ai]], kerno_isa_name(isas[ii]), layout ? "nchwc" : "nchw",
                          worst, max_abs, (long long)t->n, (long long)t->c, (long long)t->h, (long long)t->w,
                          (long long)t->k, (long long)t->kh, (long long)t->kw, (long long)t->sh, (long long)t->sw,
                          (long long)t->pt, (long long)t->pl, (long long)t->pb, (long long)t->pr, (long long)t->dh,
                          (long long)t->dw, (long long)t->g, t->act);
                if (worst > worst_all) worst_all = worst;
                if (max_abs > abs_all) abs_all = max_abs;
            }
        }
        if (print && ran)
            printf("  %-28s %-12s max |err| %.3g, worst err/tol %.3f\n", label, algo_names[all_algos[ai]], abs_all,
                   worst_all);
    }
    kerno_set_isa(saved);
    kerno_aligned_free(x);
    kerno_aligned_free(w);
    kerno_aligned_free(bias);
    kerno_aligned_free(res);
    kerno_aligned_free(ref);
}

/* Makes the padded input at least one (dilated) kernel tall and wide, then draws the fused epilogue: activation,
 * bias, residual. */
static void random_epilogue(conv_case* t)
{
    if (t->h + t->pt + t->pb < (t->kh - 1) * t->dh + 1) t->h = (t->kh - 1) * t->dh + 1;
    if (t->w + t->pl + t->pr < (t->kw - 1) * t->dw + 1) t->w = (t->kw - 1) * t->dw + 1;
    t->act = irand(0, 7);
    t->alpha = t->act == KERNO_ACT_CLIP ? -0.5f : 0.1f;
    t->beta = t->act == KERNO_ACT_CLIP ? 0.7f : 0.0f;
    t->bias = irand(0, 1);
    t->residual = irand(0, 1);
}

/* ---- cases -------------------------------------------------------------------------------------- */
static void randomized_geometries(void)
{
    int count = light ? 10 : emulated ? 24 : 60;
    for (int i = 0; i < count; ++i) {
        conv_case t = { 0 };
        t.n = irand(1, 2);
        int kind = irand(0, 3);
        t.g = kind == 0 ? irand(2, 3) : 1;
        t.c = t.g * irand(1, 21);
        t.k = t.g * irand(1, 37);
        if (kind == 1) { t.g = t.c = t.k = irand(1, 40); }   /* depthwise */
        t.kh = irand(1, 5); t.kw = irand(1, 5);
        if (kind == 3) { t.kh = t.kw = 3; }                   /* Winograd-eligible */
        t.sh = kind == 3 ? 1 : irand(1, 3); t.sw = kind == 3 ? 1 : irand(1, 3);
        t.dh = kind == 3 ? 1 : irand(1, 2); t.dw = kind == 3 ? 1 : irand(1, 2);
        t.pt = irand(0, 2); t.pl = irand(0, 2); t.pb = irand(0, 2); t.pr = irand(0, 2);
        t.h = irand(1, 19); t.w = irand(1, 23);
        random_epilogue(&t);
        check_case(&t, "random", 0);
    }
}

/* Few input channels (C/group <= 4, NCHW: the few-channel direct kernel): rows of 1 to 5 vectors plus a
 * remainder, output channels not a multiple of the register tile, every stride/dilation/pad combination. */
static void few_channel_geometries(void)
{
    int count = light ? 12 : emulated ? 30 : 80;
    for (int i = 0; i < count; ++i) {
        conv_case t = { 0 };
        t.n = irand(1, 2);
        t.g = irand(0, 3) == 0 ? 2 : 1;
        t.c = t.g * irand(1, 4);
        t.k = t.g * irand(1, 21);
        t.kh = irand(1, 7); t.kw = irand(1, 7);
        t.sh = irand(1, 3); t.sw = irand(1, 3);
        t.dh = irand(1, 2); t.dw = irand(1, 2);
        t.pt = irand(0, 3); t.pl = irand(0, 3); t.pb = irand(0, 3); t.pr = irand(0, 3);
        t.h = irand(1, 12); t.w = irand(1, 90);
        random_epilogue(&t);
        check_case(&t, "few channels", 0);
    }
}

static void fixed_edge_cases(void)
{
    /* 1x1 input, kernel = padded input, huge stride, channel counts 1 and block +- 1 */
    conv_case cases[] = {
        { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0 },
        { 2, 17, 5, 7, 15, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 1 },
        { 1, 3, 9, 9, 33, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_CLIP, 0, 6, 1, 0 },
        { 1, 16, 8, 8, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 16, KERNO_ACT_HARD_SWISH, 0, 0, 1, 1 },
        { 1, 32, 13, 11, 32, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 32, KERNO_ACT_SILU, 0, 0, 1, 0 },
        { 1, 32, 16, 16, 64, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 2, KERNO_ACT_LEAKY_RELU, 0.2f, 0, 1, 1 },
        { 1, 9, 3, 4, 5, 3, 4, 5, 7, 0, 0, 0, 0, 1, 1, 1, KERNO_ACT_SIGMOID, 0, 0, 1, 0 },
        { 1, 8, 2, 2, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 0, 0, 0, 0, 0 },
        /* NCHW depthwise plane kernel: wide rows, 'same' 3x3 and 5x5, rows not a multiple of the block */
        { 2, 5, 7, 131, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5, KERNO_ACT_CLIP, 0, 6, 1, 1 },
        { 1, 3, 6, 100, 3, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 3, KERNO_ACT_HARD_SWISH, 0, 0, 1, 1 },
        { 1, 2, 4, 96, 2, 3, 3, 1, 1, 1, 1, 0, 1, 1, 1, 2, KERNO_ACT_NONE, 0, 0, 0, 0 },
        /* NCHW depthwise on flattened planes (stride 1, narrow maps): vectors spanning several rows, dilation,
         * asymmetric pads, a 1x2 map */
        { 2, 7, 7, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 7, KERNO_ACT_RELU, 0, 0, 1, 1 },
        { 1, 5, 9, 13, 5, 5, 5, 1, 1, 2, 1, 0, 3, 2, 1, 5, KERNO_ACT_CLIP, 0, 6, 1, 1 },
        { 1, 3, 1, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, KERNO_ACT_NONE, 0, 0, 1, 0 },
        { 1, 19, 14, 14, 19, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 19, KERNO_ACT_HARD_SWISH, 0, 0, 1, 1 },
        { 1, 4, 12, 20, 4, 3, 3, 1, 1, 0, 2, 1, 0, 1, 2, 4, KERNO_ACT_SILU, 0, 0, 0, 1 },
        { 1, 6, 5, 3, 6, 3, 3, 1, 1, 2, 0, 0, 2, 2, 1, 6, KERNO_ACT_LEAKY_RELU, 0.1f, 0, 1, 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
        check_case(&cases[i], "edge", 0);
}

/* Real layer shapes at batch 1: real channel counts and kernels, maps cropped to 28x28 (16x16 and 64
 * channels under KERNO_TEST_LIGHT). */
static void layer_shapes(void)
{
    struct { const char* name; conv_case t; } layers[] = {
        { "resnet50 conv1 7x7/2",    { 1, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "resnet50 3x3 64@56",      { 1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "resnet50 1x1 256->64@56", { 1, 256, 56, 56, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "resnet50 3x3 128@28",     { 1, 128, 28, 28, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "resnet50 1x1 64->256 +res", { 1, 64, 56, 56, 256, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 1 } },
        { "resnet50 3x3 256@14",     { 1, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "resnet50 3x3 512@7",      { 1, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "resnet50 3x3/2 128@56",   { 1, 128, 56, 56, 128, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "vgg19 3x3 64@224",        { 1, 64, 112, 112, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "vgg19 3x3 256@56",        { 1, 256, 56, 56, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "vgg19 3x3 512@28",        { 1, 512, 28, 28, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "mobilenet dw3x3 32@112",  { 1, 32, 112, 112, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32, KERNO_ACT_CLIP, 0, 6, 1, 0 } },
        { "mobilenet dw3x3/2 64@112", { 1, 64, 112, 112, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 64, KERNO_ACT_CLIP, 0, 6, 1, 0 } },
        { "mobilenet dw3x3 512@14",  { 1, 512, 14, 14, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 512, KERNO_ACT_CLIP, 0, 6, 1, 1 } },
        { "mobilenet dw5x5 96@28",   { 1, 96, 28, 28, 96, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 96, KERNO_ACT_HARD_SWISH, 0, 0, 1, 0 } },
        { "mobilenet pw 32->64@112", { 1, 32, 112, 112, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, KERNO_ACT_CLIP, 0, 6, 1, 0 } },
        { "ultraface 3x3/2 3->16@240x320", { 1, 3, 240, 320, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "ultraface dw3x3 32@60x80", { 1, 32, 60, 80, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "ultraface 3x3 dil2 16@30x40", { 1, 16, 30, 40, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
        { "ultraface 3x3 64@15x20",  { 1, 64, 15, 20, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, KERNO_ACT_RELU, 0, 0, 1, 0 } },
    };
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; ++i) {
        conv_case t = layers[i].t;
        /* Accuracy depends on the channel count, not on the map size: crop maps to keep the run short. */
        int64_t crop = light ? 16 : 28;
        while (crop > 8 && t.k * (t.c / t.g) * t.kh * t.kw * crop * crop > (emulated ? 2000000 : 12000000)) --crop;
        if (t.h > crop) t.h = crop;
        if (t.w > crop) t.w = crop;
        if (light) {
            if (t.h > 16) t.h = 16;
            if (t.w > 16) t.w = 16;
            if (t.c > 64 && t.g == 1) t.c = 64;
            if (t.k > 64 && t.g == 1) t.k = 64;
        }
        check_case(&t, layers[i].name, 1);
    }
}

static void rejects_bad_arguments(void)
{
    int64_t in[4] = { 1, 4, 8, 8 }, w[4] = { 4, 4, 3, 3 }, s[2] = { 1, 1 }, p[4] = { 0, 0, 0, 0 }, d[2] = { 1, 1 };
    kerno_conv2d_t* plan = NULL;
    CHECK(kerno_conv2d_create(in, w, s, p, d, 3, KERNO_LAYOUT_NCHW, KERNO_CONV_AUTO, 0, 0, 0, &plan) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(plan == NULL);
    int64_t s0[2] = { 0, 1 };
    CHECK(kerno_conv2d_create(in, w, s0, p, d, 1, KERNO_LAYOUT_NCHW, KERNO_CONV_AUTO, 0, 0, 0, &plan) == KERNO_ERR_INVALID_ARGUMENT);
    int64_t s2[2] = { 2, 2 };
    CHECK(kerno_conv2d_create(in, w, s2, p, d, 1, KERNO_LAYOUT_NCHW, KERNO_CONV_WINOGRAD_F4, 0, 0, 0, &plan) == KERNO_ERR_UNSUPPORTED);
    CHECK(kerno_conv2d_create(in, w, s, p, d, 1, KERNO_LAYOUT_NCHW, KERNO_CONV_DEPTHWISE, 0, 0, 0, &plan) == KERNO_ERR_UNSUPPORTED);
    int64_t big[4] = { 4, 4, 11, 11 };
    CHECK(kerno_conv2d_create(in, big, s, p, d, 1, KERNO_LAYOUT_NCHW, KERNO_CONV_AUTO, 0, 0, 0, &plan) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_conv2d_create(in, w, s, p, d, 1, KERNO_LAYOUT_NCHW, KERNO_CONV_AUTO, 99, 0, 0, &plan) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_conv2d_create(in, w, s, p, d, 1, KERNO_LAYOUT_NCHW, KERNO_CONV_AUTO, KERNO_ACT_CLIP, 1, 0, &plan) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_conv2d_create(in, w, s, p, d, 1, KERNO_LAYOUT_NCHW, KERNO_CONV_AUTO, 0, 0, 0, &plan) == KERNO_OK);
    size_t ps = kerno_conv2d_packed_size(plan);
    float* packed = kerno_aligned_alloc(ps, 64);
    float wt[144] = { 0 };
    CHECK(kerno_conv2d_pack(plan, wt, NULL, packed, ps - 4) == KERNO_ERR_INVALID_ARGUMENT);
    CHECK(kerno_conv2d_pack(plan, wt, NULL, packed, ps) == KERNO_OK);
    float x[256] = { 0 }, y[144];
    size_t wss = kerno_conv2d_workspace_size(plan);
    if (wss > 0)
        CHECK(kerno_conv2d_run(plan, x, packed, NULL, y, NULL, 0) == KERNO_ERR_INVALID_ARGUMENT);
    kerno_aligned_free(packed);
    kerno_conv2d_destroy(plan);
    kerno_conv2d_destroy(NULL);
}

static void reorder_round_trip(void)
{
    int32_t isas[4];
    int nisa = supported_isas(isas);
    int32_t saved = kerno_active_isa();
    for (int ii = 0; ii < nisa; ++ii) {
        kerno_set_isa(isas[ii]);
        int b = kerno_nchwc_block();
        CHECK(b == (isas[ii] == KERNO_ISA_AVX512 ? 16 : isas[ii] == KERNO_ISA_AVX2 ? 8 : 4));
        for (int c = 1; c <= 35; c += 17) {
            int64_t n = 2, h = 5, w = 37; /* w >= 2b: the register-transpose tiles and the scalar tail */
            size_t cb = (size_t)(c + b - 1) / (size_t)b;
            float* x = falloc((size_t)(n * c * h * w));
            float* xb = falloc(n * cb * b * h * w);
            float* y = falloc((size_t)(n * c * h * w));
            CHECK(kerno_reorder_nchw_to_nchwc(x, xb, n, c, h, w) == KERNO_OK);
            int ok = 1;
            for (int64_t i = 0; i < n; ++i)
                for (size_t ch = 0; ch < cb * (size_t)b; ++ch)
                    for (int64_t p = 0; p < h * w; ++p) {
                        float v = xb[((i * (int64_t)cb + (int64_t)(ch / b)) * h * w + p) * b + (int64_t)(ch % b)];
                        float e = (int64_t)ch < c ? x[(i * c + (int64_t)ch) * h * w + p] : 0.0f;
                        ok &= v == e;
                    }
            CHECK(ok);
            CHECK(kerno_reorder_nchwc_to_nchw(xb, y, n, c, h, w) == KERNO_OK);
            CHECK(memcmp(x, y, sizeof(float) * (size_t)(n * c * h * w)) == 0);
            kerno_aligned_free(x);
            kerno_aligned_free(xb);
            kerno_aligned_free(y);
        }
    }
    kerno_set_isa(saved);
}

int main(void)
{
    const char* l = getenv("KERNO_TEST_LIGHT");
    light = l && l[0] && l[0] != '0';
#if defined(__aarch64__)
    /* AArch64 tests run under qemu in CI (~20x slower): a smaller budget keeps them near a minute. */
    emulated = 1;
#endif
    static const kt_case cases[] = {
        KT_CASE(rejects_bad_arguments), KT_CASE(reorder_round_trip), KT_CASE(fixed_edge_cases),
        KT_CASE(randomized_geometries), KT_CASE(few_channel_geometries), KT_CASE(layer_shapes),
    };
    return kt_run(cases, (int)(sizeof cases / sizeof cases[0]));
}
