/* kerno_conv2d_*: convolution plans. A plan validates the geometry once, picks an algorithm and the kernel
 * table of the active ISA, and sizes the packed weights and the workspace. Running is then a sequence of
 * kernel-table calls per image and group; nothing here tests the ISA. */
#include "conv_internal.h"

#include <stdlib.h>
#include <string.h>

struct kerno_conv2d {
    const conv_kernels* k;
    int32_t layout, algo;
    kact act;
    size_t N, C, H, W, K, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, G;
    size_t OH, OW;
    size_t b, Cg, Kg, CBg, KBg;  /* per group; channel blocks */
    /* direct / winograd geometry */
    size_t Hp, Wp;               /* padded blocked input */
    int wm;                      /* Winograd m (2, 4, 6), alpha = m + 2 */
    int fewc;                    /* DIRECT on NCHW with C/group <= 4: direct_fewc.inc (Hp rows, Wp = Wq) */
    size_t KRg;                  /* fewc: output channels per group rounded up to the table's fewc_r */
    size_t t1x1_bytes;           /* GEMM_1X1 on a small map, transposed: bytes of one group's packed W^T, else 0 */
    size_t tiles_h, tiles_w, tc; /* tiles and tiles per chunk */
    /* sizes in floats */
    size_t packed_w, packed_bias_off, packed_total;
    size_t ws_x, ws_y, ws_v, ws_m, ws_total;
};

static size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

/* Floats between two transform points of V or M: tc rows of `ld`, plus one cache line so the alpha^2
 * streams a transform writes (or reads) at once do not all fall into the same L1 set when tc * ld is a
 * power of two (32 tiles x 256 channels = 32 KiB apart would alias). */
static size_t wino_pstride(size_t tc, size_t ld) { return tc * ld + 16; }

int32_t kerno_nchwc_block(void) { return (int32_t)conv_kernels_active()->block; }

/* ---- reorders ------------------------------------------------------------------------------------- */
kerno_status kerno_reorder_nchw_to_nchwc(const float* src, float* dst, int64_t n, int64_t c, int64_t h, int64_t w)
{
    if (!src || !dst || n < 0 || c < 0 || h < 0 || w < 0)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_reorder_nchw_to_nchwc: null buffer or negative shape");
    const conv_kernels* k = conv_kernels_active();
    size_t b = k->block, cb = ((size_t)c + b - 1) / b;
    for (int64_t i = 0; i < n; ++i)
        k->pack_input(src + (size_t)i * (size_t)(c * h * w), (size_t)c, (size_t)h, (size_t)w,
                      dst + (size_t)i * cb * b * (size_t)(h * w), (size_t)h, (size_t)w, 0, 0);
    return KERNO_OK;
}

kerno_status kerno_reorder_nchwc_to_nchw(const float* src, float* dst, int64_t n, int64_t c, int64_t h, int64_t w)
{
    if (!src || !dst || n < 0 || c < 0 || h < 0 || w < 0)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_reorder_nchwc_to_nchw: null buffer or negative shape");
    const conv_kernels* k = conv_kernels_active();
    size_t b = k->block, cb = ((size_t)c + b - 1) / b;
    kact none = { KERNO_ACT_NONE, 0, 0 };
    for (int64_t i = 0; i < n; ++i)
        k->unpack_output(src + (size_t)i * cb * b * (size_t)(h * w), (size_t)c, (size_t)(h * w),
                         dst + (size_t)i * (size_t)(c * h * w), NULL, &none);
    return KERNO_OK;
}

/* ---- plan ----------------------------------------------------------------------------------------- */
static int winograd_m(int32_t algo)
{
    return algo == KERNO_CONV_WINOGRAD_F2 ? 2 : algo == KERNO_CONV_WINOGRAD_F4 ? 4 : algo == KERNO_CONV_WINOGRAD_F6 ? 6 : 0;
}

/* AUTO: a small cost model fitted on Zen 4/5 (AVX-512, 1 thread; see docs/PERFORMANCE.md). Winograd's
 * batched stage runs at about the direct kernel's rate on alpha^2/m^2-times fewer multiplies, plus the
 * transforms (per tile, point and channel; 8x8 ones cost ~2x the 6x6 ones) plus streaming the transformed
 * weights U, which are alpha^2/9 times larger than the kernel: from L3 while they fit, else from DRAM. At
 * batch 1 the last term is what makes small maps with many channels (512 @ 7x7) prefer F(2,3) or direct. */
static double winograd_cost(const struct kerno_conv2d* p, int m)
{
    static const double transform_s[7] = { 0, 0, 6e-11, 0, 9e-11, 0, 1.5e-10 };
    double a2 = (double)(m + 2) * (m + 2);
    double tiles = (double)((p->OH + m - 1) / m) * (double)((p->OW + m - 1) / m);
    double C = (double)(p->CBg * p->b), K = (double)(p->KBg * p->b);
    double u_bytes = a2 * C * K * 4.0;
    double gemm = tiles * a2 * C * K * 2.0 / 230e9;
    double transforms = tiles * a2 * (C + K) * transform_s[m];
    double stream = u_bytes / (u_bytes <= 24.0 * 1024 * 1024 ? 100e9 : 30e9);
    return (double)p->G * (gemm + transforms + stream);
}

static int32_t choose_algorithm(const struct kerno_conv2d* p)
{
    if (p->G == p->C && p->G == p->K && p->G > 1)
        return KERNO_CONV_DEPTHWISE;
    /* 1x1 on NCHW: the packed SGEMM reads the input in place (no reorders); on small maps the direct kernel's
     * 2 x b output channels x 12 pixels tile wastes less than a 14 x 32 GEMM tile. */
    if (p->kh == 1 && p->kw == 1 && p->layout == KERNO_LAYOUT_NCHW && p->OH * p->OW >= 196)
        return KERNO_CONV_GEMM_1X1;
    /* First layers (C <= 4) on NCHW: the few-channel direct kernel (vectors over output pixels) reads and
     * writes NCHW directly, where the blocked kernel would pad 3 channels to a block and im2col's GEMM has
     * K = 27. */
    if (p->layout == KERNO_LAYOUT_NCHW && p->Cg <= 4)
        return KERNO_CONV_DIRECT;
    int wino_ok = p->kh == 3 && p->kw == 3 && p->sh == 1 && p->sw == 1 && p->dh == 1 && p->dw == 1;
    if (!wino_ok || p->Cg < 4 || p->Kg < 4)
        return KERNO_CONV_DIRECT;
    double best = (double)p->G * 2.0 * (double)(p->CBg * p->b) * (double)(p->KBg * p->b) * 9.0 *
                  (double)p->OH * (double)p->OW / 230e9;
    int32_t algo = KERNO_CONV_DIRECT;
    static const int32_t algos[3] = { KERNO_CONV_WINOGRAD_F2, KERNO_CONV_WINOGRAD_F4, KERNO_CONV_WINOGRAD_F6 };
    for (int i = 0; i < 3; ++i) {
        double c = winograd_cost(p, 2 * i + 2);
        if (c < best) {
            best = c;
            algo = algos[i];
        }
    }
    return algo;
}

static const char* algo_name(int32_t a)
{
    static const char* const names[] = { "auto", "im2col", "gemm_1x1", "winograd_f2", "winograd_f4",
                                         "winograd_f6", "direct", "depthwise" };
    return a >= 0 && a <= KERNO_CONV_DEPTHWISE ? names[a] : "unknown";
}

kerno_status kerno_conv2d_create(const int64_t* input_shape, const int64_t* weight_shape, const int64_t* strides,
                                 const int64_t* pads, const int64_t* dilations, int64_t group, int32_t layout,
                                 int32_t algorithm, int32_t activation, float alpha, float beta,
                                 kerno_conv2d_t** plan)
{
    static const char fn[] = "kerno_conv2d_create";
    if (!plan)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: plan is NULL", fn);
    *plan = NULL;
    if (!input_shape || !weight_shape || !strides || !pads || !dilations)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: a shape array is NULL", fn);
    for (int i = 0; i < 4; ++i) {
        if (input_shape[i] <= 0 || weight_shape[i] <= 0)
            return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: shapes must be positive", fn);
        if (pads[i] < 0)
            return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: pads must be >= 0", fn);
        if (input_shape[i] > (1 << 24) || weight_shape[i] > (1 << 24) || pads[i] > (1 << 20))
            return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: dimension too large", fn);
    }
    for (int i = 0; i < 2; ++i)
        if (strides[i] <= 0 || dilations[i] <= 0 || strides[i] > (1 << 20) || dilations[i] > (1 << 20))
            return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: strides and dilations must be positive", fn);
    if (group <= 0 || input_shape[1] % group != 0 || weight_shape[0] % group != 0 ||
        weight_shape[1] != input_shape[1] / group)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT,
                          "%s: group %lld does not divide C=%lld and K=%lld, or weight C/group %lld != %lld", fn,
                          (long long)group, (long long)input_shape[1], (long long)weight_shape[0],
                          (long long)weight_shape[1], (long long)(input_shape[1] / (group > 0 ? group : 1)));
    if (layout != KERNO_LAYOUT_NCHW && layout != KERNO_LAYOUT_NCHWC)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: unknown layout %d", fn, layout);
    if (activation < KERNO_ACT_NONE || activation > KERNO_ACT_SILU)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: unknown activation %d", fn, activation);
    if (activation == KERNO_ACT_CLIP && !(alpha <= beta))
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: Clip needs alpha (min) <= beta (max)", fn);

    struct kerno_conv2d p;
    memset(&p, 0, sizeof p);
    p.k = conv_kernels_active();
    p.layout = layout;
    p.act.kind = activation;
    p.act.alpha = alpha;
    p.act.beta = beta;
    p.N = (size_t)input_shape[0]; p.C = (size_t)input_shape[1]; p.H = (size_t)input_shape[2]; p.W = (size_t)input_shape[3];
    p.K = (size_t)weight_shape[0]; p.kh = (size_t)weight_shape[2]; p.kw = (size_t)weight_shape[3];
    p.sh = (size_t)strides[0]; p.sw = (size_t)strides[1];
    p.pt = (size_t)pads[0]; p.pl = (size_t)pads[1]; p.pb = (size_t)pads[2]; p.pr = (size_t)pads[3];
    p.dh = (size_t)dilations[0]; p.dw = (size_t)dilations[1];
    p.G = (size_t)group;
    size_t ekh = (p.kh - 1) * p.dh + 1, ekw = (p.kw - 1) * p.dw + 1;
    if (p.H + p.pt + p.pb < ekh || p.W + p.pl + p.pr < ekw)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: the dilated kernel %zux%zu is larger than the padded input", fn, ekh, ekw);
    p.OH = (p.H + p.pt + p.pb - ekh) / p.sh + 1;
    p.OW = (p.W + p.pl + p.pr - ekw) / p.sw + 1;
    p.b = p.k->block;
    p.Cg = p.C / p.G; p.Kg = p.K / p.G;
    p.CBg = (p.Cg + p.b - 1) / p.b; p.KBg = (p.Kg + p.b - 1) / p.b;

    int32_t algo = algorithm == KERNO_CONV_AUTO ? choose_algorithm(&p) : algorithm;
    int depthwise = p.G == p.C && p.G == p.K;
    switch (algo) {
    case KERNO_CONV_DEPTHWISE:
        if (!depthwise)
            return kerno_fail(KERNO_ERR_UNSUPPORTED, "%s: depthwise needs group == C == K", fn);
        break;
    case KERNO_CONV_WINOGRAD_F2: case KERNO_CONV_WINOGRAD_F4: case KERNO_CONV_WINOGRAD_F6:
        if (!(p.kh == 3 && p.kw == 3 && p.sh == 1 && p.sw == 1 && p.dh == 1 && p.dw == 1))
            return kerno_fail(KERNO_ERR_UNSUPPORTED, "%s: Winograd needs a 3x3 kernel, stride 1, dilation 1", fn);
        break;
    case KERNO_CONV_DIRECT:
        break;
    case KERNO_CONV_GEMM_1X1:
        if (p.kh != 1 || p.kw != 1 || p.dh != 1 || p.dw != 1)
            return kerno_fail(KERNO_ERR_UNSUPPORTED, "%s: gemm_1x1 needs a 1x1 kernel", fn);
        /* fall through */
    case KERNO_CONV_IM2COL:
        if (layout != KERNO_LAYOUT_NCHW)
            return kerno_fail(KERNO_ERR_UNSUPPORTED, "%s: %s runs on NCHW (direct covers NCHWc)", fn, algo_name(algo));
        break;
    default:
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: unknown algorithm %d", fn, algorithm);
    }
    if (layout == KERNO_LAYOUT_NCHWC && p.G > 1 && !(algo == KERNO_CONV_DEPTHWISE) &&
        (p.Cg % p.b != 0 || p.Kg % p.b != 0))
        return kerno_fail(KERNO_ERR_UNSUPPORTED,
                          "%s: NCHWc grouped convolution needs C/group and K/group to be multiples of %zu", fn, p.b);
    p.algo = algo;

    size_t b = p.b;
    if (algo == KERNO_CONV_GEMM_1X1 || algo == KERNO_CONV_IM2COL) {
        /* weights stay [G][Kg][Cg*kh*kw] (ONNX order: the GEMM's A), bias [K] */
        p.packed_w = p.K * p.Cg * p.kh * p.kw;
        p.packed_bias_off = round_up(p.packed_w, 16);
        p.packed_total = p.packed_bias_off + round_up(p.K, 16);
        size_t kred = p.Cg * p.kh * p.kw, ohw = p.OH * p.OW;
        int copy_free = algo == KERNO_CONV_GEMM_1X1 && p.sh == 1 && p.sw == 1 && !p.pt && !p.pl && !p.pb && !p.pr;
        if (algo == KERNO_CONV_GEMM_1X1 && !copy_free) {
            p.tc = ohw;                  /* strided / padded 1x1: gather the sampled pixels once */
            p.ws_x = round_up(kred * ohw, 16);
        }
        /* Small maps (14x14, 7x7): Y^T[ohw][Kg] = X^T W^T with the weights pre-packed as the GEMM's B, then a
         * transpose to NCHW. The map becomes M, which the 14-row tile covers without waste (196 = 14 x 14; N =
         * 196 on a 32-column tile computes 224), and the large weights are packed once instead of per call:
         * 0.49 vs 0.62 ms at 1024->256 @ 14, 0.48 vs 0.78 ms at 2048->512 @ 7; at 28x28 and above the
         * direct form is faster (0.49 vs 0.55 ms at 512->128 @ 28). */
        size_t pbb = 0;
        if (algo == KERNO_CONV_GEMM_1X1 && ohw < 400 && kerno_sgemm_pack_b_size(p.Kg, p.Cg, &pbb) == KERNO_OK) {
            p.t1x1_bytes = round_up(pbb, 64);
            p.packed_w = p.G * (p.t1x1_bytes / sizeof(float));
            p.packed_bias_off = p.packed_w;
            p.packed_total = p.packed_bias_off + round_up(p.K, 16);
            p.ws_y = round_up(ohw * p.Kg, 16);
        } else if (algo == KERNO_CONV_IM2COL) {
            /* columns per im2col chunk: about 1 MiB of col, whole rows of output pixels are not needed */
            size_t nc = (256u * 1024u) / kred;
            nc = nc < 96 ? 96 : round_up(nc, 32);
            p.tc = nc > ohw ? ohw : nc;
            p.ws_x = round_up(kred * p.tc, 16);
        }
    } else if (algo == KERNO_CONV_DEPTHWISE) {
        /* NCHWc: weights [CB][kh][kw][b]. NCHW: reorders (register transposes) around the blocked kernel, except
         * for wide rows with 'same' 3x3/5x5 stride-1 windows on ISAs with lane shifts (AVX-512, NEON), where
         * the plane kernel (ONNX's [C][kh][kw], row buffers as workspace) reads each input row once and wins:
         * measured 0.085 vs 0.130 ms at 32 x 112x112, but 0.158 vs 0.135 ms at 128 x 56x56 and 2.4x slower
         * on 14x14 maps. */
        int same = (p.kh == 3 || p.kh == 5) && p.kw == p.kh && p.sh == 1 && p.sw == 1 && p.dh == 1 && p.dw == 1 &&
                   p.pl == p.kw / 2 && p.pr == p.kw / 2;
        int lane_shifts = p.k->isa == KERNO_ISA_AVX512 || p.k->isa == KERNO_ISA_NEON;
        size_t CB = (p.C + b - 1) / b;
        p.packed_w = CB * p.kh * p.kw * b;
        p.packed_bias_off = round_up(p.packed_w, 16);
        p.packed_total = p.packed_bias_off + CB * b;
        if (layout == KERNO_LAYOUT_NCHW && same && lane_shifts && p.OW >= 6 * b) {
            p.wm = 1; /* marks the plane kernel: a zero row and kh row buffers (see dwconv.inc) */
            p.ws_x = round_up((p.kh + 1) * round_up(round_up(p.pl, b) + p.W + (p.kw - 1) * p.dw + 8 * b * p.sw + 2 * b, b), 16);
        } else if (layout == KERNO_LAYOUT_NCHW && p.k->dwconv_flat && p.sh == 1 && p.sw == 1 && p.kh == 3 &&
                   p.kw == 3 && p.OH * p.OW <= 256) {
            /* small maps (14x14, 7x7), 3x3 stride 1: flattened padded planes, no reorders (see dwconv.inc):
             * 0.044 vs 0.058 ms at 512 x 14x14 (C harness); from 30x40 up (0.031 vs 0.028 ms), at 56x56
             * (0.16 vs 0.15 ms) and for 5x5 at 14x14 (0.047 vs 0.048 ms, 0.063 with 2 vectors per step) the
             * reorders around the blocked kernel are as fast or faster. */
            p.wm = 2;
            p.ws_x = conv_dw_flat_size(p.OH, p.OW, p.kh, p.kw, p.dh, p.dw);
        } else if (layout == KERNO_LAYOUT_NCHW) {
            p.ws_x = round_up(CB * p.H * p.W * b, 16);
            p.ws_y = round_up(CB * p.OH * p.OW * b, 16);
        }
    } else if (algo == KERNO_CONV_DIRECT && layout == KERNO_LAYOUT_NCHW && p.Cg <= 4) {
        size_t R = p.k->fewc_r;
        p.fewc = 1;
        p.KRg = round_up(p.Kg, R);
        p.Hp = (p.OH - 1) * p.sh + (p.kh - 1) * p.dh + 1;
        p.Wp = conv_fewc_wq(p.OW, b, p.kw, p.dw, p.sw);
        p.packed_w = p.G * p.KRg * p.Cg * p.kh * p.kw;
        p.packed_bias_off = round_up(p.packed_w, 16);
        p.packed_total = p.packed_bias_off + round_up(p.G * p.KRg, 16);
        p.ws_x = round_up(p.Cg * p.Hp * p.sw * p.Wp, 16);
    } else if (algo == KERNO_CONV_DIRECT) {
        p.Hp = p.H + p.pt + p.pb;
        p.Wp = p.W + p.pl + p.pr;
        p.packed_w = p.G * p.KBg * p.CBg * p.kh * p.kw * b * b;
        p.packed_bias_off = round_up(p.packed_w, 16);
        p.packed_total = p.packed_bias_off + p.G * p.KBg * b;
        int need_x = layout == KERNO_LAYOUT_NCHW || p.pt || p.pl || p.pb || p.pr || p.G > 1;
        if (need_x)
            p.ws_x = round_up(p.CBg * p.Hp * p.Wp * b, 16);
        if (layout == KERNO_LAYOUT_NCHW)
            p.ws_y = round_up(p.KBg * p.OH * p.OW * b, 16);
    } else {
        int m = winograd_m(algo), wa = m + 2;
        p.wm = m;
        p.tiles_h = (p.OH + m - 1) / m;
        p.tiles_w = (p.OW + m - 1) / m;
        p.Hp = p.tiles_h * m + 2;
        if (p.Hp < p.pt + p.H) p.Hp = p.pt + p.H;
        p.Wp = p.tiles_w * m + 2;
        if (p.Wp < p.pl + p.W) p.Wp = p.pl + p.W;
        size_t Cp = p.CBg * b, Kp = p.KBg * b, tiles = p.tiles_h * p.tiles_w;
        /* Tiles per chunk. Each chunk streams all of U (alpha^2 x Cp x Kp), so a chunk's V and M
         * (alpha^2 x tc x (Cp + Kp) floats) get a budget of U/4, within [512 KiB, 16 MiB]: small U stays in L2
         * and chunks stay in L2 too; a U larger than L3 (512x512 channels: 37 MiB) is read once or twice. */
        size_t u_bytes = (size_t)wa * wa * Cp * Kp * sizeof(float);
        size_t budget = u_bytes / 4;
        if (budget < 512u * 1024u) budget = 512u * 1024u;
        if (budget > 16u * 1024u * 1024u) budget = 16u * 1024u * 1024u;
        size_t tc = (budget / sizeof(float)) / ((size_t)wa * wa * (Cp + Kp));
        if (tc < 12) tc = 12;
        tc = round_up(tc, 12);
        if (tc > tiles) tc = tiles;
        p.tc = tc;
        p.packed_w = p.G * (size_t)wa * wa * p.KBg * Cp * b;
        p.packed_bias_off = round_up(p.packed_w, 16);
        p.packed_total = p.packed_bias_off + p.G * Kp;
        p.ws_x = round_up(p.CBg * p.Hp * p.Wp * b, 16);
        p.ws_v = round_up((size_t)wa * wa * wino_pstride(tc, Cp), 16);
        p.ws_m = round_up((size_t)wa * wa * wino_pstride(tc, Kp), 16);
        if (layout == KERNO_LAYOUT_NCHW)
            p.ws_y = round_up(p.KBg * p.OH * p.OW * b, 16);
    }
    p.ws_total = p.ws_x + p.ws_y + p.ws_v + p.ws_m;

    struct kerno_conv2d* out = kerno_aligned_alloc(sizeof *out, 64); /* counted: leak tests watch plans too */
    if (!out)
        return kerno_fail(KERNO_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
    *out = p;
    *plan = out;
    return KERNO_OK;
}

void kerno_conv2d_destroy(kerno_conv2d_t* plan) { kerno_aligned_free(plan); }

int32_t kerno_conv2d_algorithm(const kerno_conv2d_t* plan) { return plan ? plan->algo : -1; }

kerno_status kerno_conv2d_output_shape(const kerno_conv2d_t* p, int64_t* shape)
{
    if (!p || !shape)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_conv2d_output_shape: NULL argument");
    shape[0] = (int64_t)p->N; shape[1] = (int64_t)p->K; shape[2] = (int64_t)p->OH; shape[3] = (int64_t)p->OW;
    return KERNO_OK;
}

size_t kerno_conv2d_packed_size(const kerno_conv2d_t* p) { return p ? p->packed_total * sizeof(float) : 0; }

size_t kerno_conv2d_workspace_size(const kerno_conv2d_t* p) { return p ? p->ws_total * sizeof(float) : 0; }

/* ---- weight packing ------------------------------------------------------------------------------ */
/* G of F(m, 3): alpha x 3, rows = interpolation points (see winograd.inc). */
static const double wino_g2[4][3] = { { 1, 0, 0 }, { .5, .5, .5 }, { .5, -.5, .5 }, { 0, 0, 1 } };
static const double wino_g4[6][3] = {
    { 1.0 / 4, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 } };
static const double wino_g6[8][3] = {
    { 1, 0, 0 }, { -2.0 / 9, -2.0 / 9, -2.0 / 9 }, { -2.0 / 9, 2.0 / 9, -2.0 / 9 },
    { 1.0 / 90, 1.0 / 45, 2.0 / 45 }, { 1.0 / 90, -1.0 / 45, 2.0 / 45 },
    { 32.0 / 45, 16.0 / 45, 8.0 / 45 }, { 32.0 / 45, -16.0 / 45, 8.0 / 45 }, { 0, 0, 1 } };

/* alpha and Gm are constants at each call below, so the loops unroll (same operations in the same order: the
 * packed weights are bit-identical); with them read at run time this was most of a Winograd layer's packing. */
static inline __attribute__((always_inline)) void wino_transform_kernel_n(int alpha, const double* Gm, const float* g,
                                                                         double* u /* alpha x alpha */)
{
    double t[8][3];
    for (int i = 0; i < alpha; ++i)
        for (int j = 0; j < 3; ++j)
            t[i][j] = Gm[i * 3 + 0] * g[0 * 3 + j] + Gm[i * 3 + 1] * g[1 * 3 + j] + Gm[i * 3 + 2] * g[2 * 3 + j];
    for (int i = 0; i < alpha; ++i)
        for (int j = 0; j < alpha; ++j)
            u[i * alpha + j] = t[i][0] * Gm[j * 3 + 0] + t[i][1] * Gm[j * 3 + 1] + t[i][2] * Gm[j * 3 + 2];
}

static void wino_transform_kernel(int m, const float* g, double* u /* alpha x alpha */)
{
    if (m == 2)
        wino_transform_kernel_n(4, &wino_g2[0][0], g, u);
    else if (m == 4)
        wino_transform_kernel_n(6, &wino_g4[0][0], g, u);
    else
        wino_transform_kernel_n(8, &wino_g6[0][0], g, u);
}

kerno_status kerno_conv2d_pack(const kerno_conv2d_t* p, const float* weight, const float* bias, float* packed,
                               size_t packed_size)
{
    static const char fn[] = "kerno_conv2d_pack";
    if (!p || !weight || !packed)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    if (packed_size < p->packed_total * sizeof(float))
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: packed buffer of %zu bytes, needs %zu", fn, packed_size,
                          p->packed_total * sizeof(float));
    if (((uintptr_t)packed & 63) != 0)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: packed buffer must be 64-byte aligned", fn);
    memset(packed, 0, p->packed_total * sizeof(float));
    const size_t b = p->b, kh = p->kh, kw = p->kw, Cg = p->Cg, Kg = p->Kg;
    float* pb = packed + p->packed_bias_off;
    if (p->t1x1_bytes) {
        for (size_t g = 0; g < p->G; ++g) {
            kerno_status st = kerno_sgemm_pack_b(1, Kg, Cg, weight + g * Kg * Cg, Cg,
                                                 (char*)packed + g * p->t1x1_bytes, p->t1x1_bytes);
            if (st != KERNO_OK)
                return st;
        }
        if (bias) memcpy(pb, bias, p->K * sizeof(float));
        return KERNO_OK;
    }
    if (p->algo == KERNO_CONV_GEMM_1X1 || p->algo == KERNO_CONV_IM2COL) {
        memcpy(packed, weight, p->K * Cg * kh * kw * sizeof(float));
        if (bias) memcpy(pb, bias, p->K * sizeof(float));
        return KERNO_OK;
    }
    if (p->algo == KERNO_CONV_DEPTHWISE) {
        for (size_t c = 0; c < p->C; ++c) {
            for (size_t t = 0; t < kh * kw; ++t) {
                if (p->wm)
                    packed[c * kh * kw + t] = weight[c * kh * kw + t];
                else
                    packed[((c / b) * kh * kw + t) * b + c % b] = weight[c * kh * kw + t];
            }
            if (bias) pb[c] = bias[c];
        }
        return KERNO_OK;
    }
    if (p->fewc) {
        const size_t R = p->k->fewc_r, KRg = p->KRg, taps = Cg * kh * kw;
        for (size_t g = 0; g < p->G; ++g)
            for (size_t k = 0; k < Kg; ++k) {
                float* dst = packed + (g * KRg + k / R * R) * taps + k % R;
                const float* src = weight + (g * Kg + k) * taps;
                for (size_t t = 0; t < taps; ++t)
                    dst[t * R] = src[t];
                if (bias) pb[g * KRg + k] = bias[g * Kg + k];
            }
        return KERNO_OK;
    }
    if (p->algo == KERNO_CONV_DIRECT) {
        /* W'[g][kb][cb][ky][kx][ci][ko], one (output block, input block) tile at a time: its kh*kw*b*b floats (9 KB for
         * 3x3, b = 16) stay in L1 while its rows are read in runs, rather than every write landing on a new line. */
        size_t taps = kh * kw, per_group = p->KBg * p->CBg * taps * b * b;
        for (size_t g = 0; g < p->G; ++g) {
            for (size_t kb = 0; kb < p->KBg; ++kb)
                for (size_t cb = 0; cb < p->CBg; ++cb) {
                    float* tile = packed + g * per_group + (kb * p->CBg + cb) * taps * b * b;
                    for (size_t ko = 0; ko < b && kb * b + ko < Kg; ++ko)
                        for (size_t ci = 0; ci < b && cb * b + ci < Cg; ++ci) {
                            const float* src = weight + ((g * Kg + kb * b + ko) * Cg + cb * b + ci) * taps;
                            for (size_t t = 0; t < taps; ++t)
                                tile[t * b * b + ci * b + ko] = src[t];
                        }
                }
            for (size_t k = 0; k < Kg && bias; ++k)
                pb[g * p->KBg * b + k] = bias[g * Kg + k];
        }
        return KERNO_OK;
    }
    /* Winograd: U[g][p][kb][c][b] = (G w G^T)[p], computed in double. Per (output block, input channel) the
     * b transformed kernels go through a small [P][b] tile, so each point receives one contiguous run of b. */
    int m = p->wm, alpha = m + 2, P = alpha * alpha;
    size_t Cp = p->CBg * b;
    size_t per_point = p->KBg * Cp * b, per_group = (size_t)P * per_point;
    double u[64];
    float tile[64 * 16];
    for (size_t g = 0; g < p->G; ++g)
        for (size_t kb = 0; kb < p->KBg; ++kb) {
            size_t nk = Kg - kb * b < b ? Kg - kb * b : b;
            for (size_t c = 0; c < Cg; ++c) {
                memset(tile, 0, sizeof tile);
                for (size_t ko = 0; ko < nk; ++ko) {
                    wino_transform_kernel(m, weight + ((g * Kg + kb * b + ko) * Cg + c) * 9, u);
                    for (int pt = 0; pt < P; ++pt)
                        tile[pt * b + ko] = (float)u[pt];
                }
                float* dst = packed + g * per_group + (kb * Cp + c) * b;
                for (int pt = 0; pt < P; ++pt)
                    memcpy(dst + (size_t)pt * per_point, tile + pt * b, b * sizeof(float));
            }
            for (size_t ko = 0; ko < nk && bias; ++ko)
                pb[g * p->KBg * b + kb * b + ko] = bias[g * Kg + kb * b + ko];
        }
    return KERNO_OK;
}

/* ---- running ------------------------------------------------------------------------------------- */
static void run_winograd(const struct kerno_conv2d* p, const float* xpad, const float* U, const float* bias,
                         const float* residual, float* y, const kact* act, float* V, float* M)
{
    const conv_kernels* k = p->k;
    int m = p->wm, alpha = m + 2, P = alpha * alpha, fi = m / 2 - 1;
    size_t b = p->b, Cp = p->CBg * b, Kp = p->KBg * b;
    size_t tiles = p->tiles_h * p->tiles_w, tc = p->tc;
    size_t per_point = p->KBg * Cp * b;
    for (size_t t0 = 0; t0 < tiles; t0 += tc) {
        size_t count = tiles - t0 < tc ? tiles - t0 : tc;
        size_t vps = wino_pstride(tc, Cp), mps = wino_pstride(tc, Kp);
        k->wino_input[fi](xpad, p->CBg, p->Hp, p->Wp, p->tiles_w, t0, count, V, Cp, vps);
        for (int pt = 0; pt < P; ++pt)
            k->wino_gemm(V + (size_t)pt * vps, Cp, U + (size_t)pt * per_point, Cp, p->KBg, M + (size_t)pt * mps, Kp,
                         count);
        k->wino_output[fi](M, Kp, mps, p->KBg, p->tiles_w, t0, count, bias, residual, y, p->OH, p->OW, act);
    }
}

/* im2col rows [(c, ky, kx)][j0, j0 + nc) of one image/group (NCHW), zero where the window is in the padding. */
static void im2col(const struct kerno_conv2d* p, const float* x, size_t j0, size_t nc, float* col)
{
    size_t r = 0;
    for (size_t c = 0; c < p->Cg; ++c)
        for (size_t ky = 0; ky < p->kh; ++ky)
            for (size_t kx = 0; kx < p->kw; ++kx, ++r) {
                float* dst = col + r * nc;
                const float* xc = x + c * p->H * p->W;
                size_t oh = j0 / p->OW, ow = j0 % p->OW;
                for (size_t j = 0; j < nc;) {
                    ptrdiff_t iy = (ptrdiff_t)(oh * p->sh + ky * p->dh) - (ptrdiff_t)p->pt;
                    size_t run = p->OW - ow < nc - j ? p->OW - ow : nc - j;
                    if (iy < 0 || iy >= (ptrdiff_t)p->H) {
                        memset(dst + j, 0, run * sizeof(float));
                    } else {
                        const float* row = xc + (size_t)iy * p->W;
                        ptrdiff_t ix = (ptrdiff_t)(ow * p->sw + kx * p->dw) - (ptrdiff_t)p->pl;
                        /* outputs q in [lo, hi) read inside the row: a plain copy for stride 1 */
                        ptrdiff_t s = (ptrdiff_t)p->sw, W = (ptrdiff_t)p->W;
                        size_t lo = ix >= 0 ? 0 : (size_t)((-ix + s - 1) / s);
                        size_t hi = ix >= W ? 0 : (size_t)((W - ix + s - 1) / s);
                        if (hi > run) hi = run;
                        if (lo > hi) lo = hi;
                        for (size_t q = 0; q < lo; ++q) dst[j + q] = 0.0f;
                        if (s == 1)
                            memcpy(dst + j + lo, row + ix + (ptrdiff_t)lo, (hi - lo) * sizeof(float));
                        else
                            for (size_t q = lo; q < hi; ++q) dst[j + q] = row[ix + (ptrdiff_t)q * s];
                        for (size_t q = hi; q < run; ++q) dst[j + q] = 0.0f;
                    }
                    j += run;
                    ow = 0;
                    ++oh;
                }
            }
}

/* GEMM_1X1 and IM2COL: per image and group, Y[Kg][OH*OW] = act(W[Kg][Cg*kh*kw] x X' + bias (+ residual)) with
 * the packed SGEMM; X' is the NCHW input itself (1x1, stride 1, no padding), its strided gather, or im2col
 * chunks of columns. The residual goes in as C with beta = 1, so the epilogue order matches ONNX fusion. */
static kerno_status run_gemm(const struct kerno_conv2d* p, const float* input, const float* packed,
                             const float* residual, float* output, float* col, float* yt)
{
    const size_t kred = p->Cg * p->kh * p->kw, ohw = p->OH * p->OW;
    const float* pbias = packed + p->packed_bias_off;
    int copy_free = p->algo == KERNO_CONV_GEMM_1X1 && p->ws_x == 0;
    for (size_t n = 0; n < p->N; ++n)
        for (size_t g = 0; g < p->G; ++g) {
            const float* xg = input + (n * p->C + g * p->Cg) * p->H * p->W;
            float* yg = output + (n * p->K + g * p->Kg) * ohw;
            const float* wg = packed + g * p->Kg * kred;
            if (p->t1x1_bytes) {
                /* transposed small-map 1x1: bias and (without residual) the activation in the GEMM, the
                 * residual and then the activation in the transpose, the ONNX order */
                const float* xs = xg;
                if (!copy_free) {
                    im2col(p, xg, 0, ohw, col);
                    xs = col;
                }
                const kact none = { KERNO_ACT_NONE, 0, 0 };
                const kact* tact = residual ? &p->act : &none;
                kerno_sgemm_epilogue_t tep = { residual ? KERNO_ACT_NONE : p->act.kind, KERNO_BIAS_COL, p->act.alpha,
                                               p->act.beta, pbias + g * p->Kg };
                kerno_status st = kerno_sgemm_packed(1, ohw, p->Kg, kred, 1.0f, xs, ohw,
                                                     (const char*)packed + g * p->t1x1_bytes, p->t1x1_bytes, 0.0f, yt,
                                                     p->Kg, &tep);
                if (st != KERNO_OK)
                    return st;
                p->k->transpose_out(yt, p->Kg, p->Kg, ohw, yg, residual ? residual + (n * p->K + g * p->Kg) * ohw : NULL,
                                    tact);
                continue;
            }
            float beta = 0.0f;
            if (residual) {
                const float* rg = residual + (n * p->K + g * p->Kg) * ohw;
                if (rg != yg) memmove(yg, rg, p->Kg * ohw * sizeof(float));
                beta = 1.0f;
            }
            kerno_sgemm_epilogue_t ep = { p->act.kind, KERNO_BIAS_ROW, p->act.alpha, p->act.beta, pbias + g * p->Kg };
            kerno_status st;
            if (copy_free) {
                st = kerno_sgemm(0, 0, p->Kg, ohw, kred, 1.0f, wg, kred, xg, ohw, beta, yg, ohw, &ep);
            } else {
                st = KERNO_OK;
                for (size_t j0 = 0; j0 < ohw && st == KERNO_OK; j0 += p->tc) {
                    size_t nc = ohw - j0 < p->tc ? ohw - j0 : p->tc;
                    im2col(p, xg, j0, nc, col);
                    st = kerno_sgemm(0, 0, p->Kg, nc, kred, 1.0f, wg, kred, col, nc, beta, yg + j0, ohw, &ep);
                }
            }
            if (st != KERNO_OK)
                return st;
        }
    return KERNO_OK;
}

/* Whether kerno_conv2d_run_rows can run parts of this plan concurrently: blocked direct or depthwise kernels,
 * which compute output rows independently, with no workspace that the parts would share. */
static int rows_splittable(const kerno_conv2d_t* p)
{
    return p->layout == KERNO_LAYOUT_NCHWC && !p->fewc && p->ws_total == 0
        && (p->algo == KERNO_CONV_DIRECT || (p->algo == KERNO_CONV_DEPTHWISE && !p->wm));
}

int32_t kerno_conv2d_can_run_rows(const kerno_conv2d_t* plan) { return plan && rows_splittable(plan) ? 1 : 0; }

static kerno_status conv_run(const kerno_conv2d_t* p, const float* input, const float* packed, const float* residual,
                             float* output, void* workspace, size_t workspace_size, size_t oh_begin, size_t oh_end);

kerno_status kerno_conv2d_run(const kerno_conv2d_t* p, const float* input, const float* packed, const float* residual,
                              float* output, void* workspace, size_t workspace_size)
{
    return conv_run(p, input, packed, residual, output, workspace, workspace_size, 0, 0);
}

kerno_status kerno_conv2d_run_rows(const kerno_conv2d_t* p, const float* input, const float* packed,
                                   const float* residual, float* output, size_t oh_begin, size_t oh_end)
{
    if (!p)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_conv2d_run_rows: NULL plan");
    if (!rows_splittable(p))
        return kerno_fail(KERNO_ERR_UNSUPPORTED, "kerno_conv2d_run_rows: the plan cannot run row ranges");
    if (oh_begin >= oh_end || oh_end > p->OH)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_conv2d_run_rows: rows [%zu, %zu) outside [0, %zu)", oh_begin,
                          oh_end, p->OH);
    return conv_run(p, input, packed, residual, output, NULL, 0, oh_begin, oh_end);
}

/* oh_end 0: every output row; else rows [oh_begin, oh_end) (only for rows_splittable plans). */
static kerno_status conv_run(const kerno_conv2d_t* p, const float* input, const float* packed, const float* residual,
                             float* output, void* workspace, size_t workspace_size, size_t oh_begin, size_t oh_end)
{
    static const char fn[] = "kerno_conv2d_run";
    if (!p || !input || !packed || !output)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    if (workspace_size < p->ws_total * sizeof(float) || (p->ws_total && !workspace))
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: workspace of %zu bytes, needs %zu", fn, workspace_size,
                          p->ws_total * sizeof(float));
    if (((uintptr_t)packed & 63) != 0)
        return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: packed weights must be 64-byte aligned", fn);
    const conv_kernels* k = p->k;
    const size_t b = p->b;
    float* ws = workspace;
    float* wx = ws;
    float* wy = wx + p->ws_x;
    float* wv = wy + p->ws_y;
    float* wm = wv + p->ws_v;
    const float* pbias = packed + p->packed_bias_off;
    const kact none = { KERNO_ACT_NONE, 0, 0 };
    const int nchw = p->layout == KERNO_LAYOUT_NCHW;
    /* NCHW output: kernels write blocked into the workspace; the unpack adds the residual and activates. */
    const kact* kernel_act = nchw ? &none : &p->act;

    if (p->algo == KERNO_CONV_GEMM_1X1 || p->algo == KERNO_CONV_IM2COL)
        return run_gemm(p, input, packed, residual, output, wx, wy);
    if (p->algo == KERNO_CONV_DEPTHWISE) {
        size_t CB = (p->C + b - 1) / b;
        for (size_t n = 0; n < p->N; ++n) {
            conv_dw_args a = { 0 };
            if (p->wm) {
                size_t ohw = p->OH * p->OW;
                a.x = input + n * p->C * p->H * p->W;
                a.y = output + n * p->C * ohw;
                a.residual = residual ? residual + n * p->C * ohw : NULL;
                a.w = packed; a.bias = pbias;
                a.H = p->H; a.W = p->W; a.OH = p->OH; a.OW = p->OW; a.kh = p->kh; a.kw = p->kw;
                a.sh = p->sh; a.sw = p->sw; a.dh = p->dh; a.dw = p->dw; a.pad_t = p->pt; a.pad_l = p->pl;
                a.act = p->act;
                if (p->wm == 2)
                    k->dwconv_flat(&a, p->C, wx);
                else
                    k->dwconv_nchw(&a, p->C, wx);
                continue;
            }
            if (nchw) {
                k->pack_input(input + n * p->C * p->H * p->W, p->C, p->H, p->W, wx, p->H, p->W, 0, 0);
                a.x = wx;
                a.y = wy;
            } else {
                a.x = input + n * CB * p->H * p->W * b;
                a.y = output + n * CB * p->OH * p->OW * b;
                a.residual = residual ? residual + n * CB * p->OH * p->OW * b : NULL;
            }
            a.w = packed; a.bias = pbias;
            a.CB = CB; a.H = p->H; a.W = p->W; a.OH = p->OH; a.OW = p->OW; a.kh = p->kh; a.kw = p->kw;
            a.sh = p->sh; a.sw = p->sw; a.dh = p->dh; a.dw = p->dw; a.pad_t = p->pt; a.pad_l = p->pl;
            a.act = *kernel_act;
            a.oh_begin = oh_begin; a.oh_end = oh_end;
            k->dwconv(&a);
            if (nchw)
                k->unpack_output(wy, p->C, p->OH * p->OW, output + n * p->K * p->OH * p->OW,
                                 residual ? residual + n * p->K * p->OH * p->OW : NULL, &p->act);
        }
        return KERNO_OK;
    }

    const size_t OHW = p->OH * p->OW;
    if (p->fewc) {
        conv_fewc_args a = { 0 };
        a.ws = wx;
        a.C = p->Cg; a.H = p->H; a.W = p->W; a.K = p->Kg; a.OH = p->OH; a.OW = p->OW;
        a.kh = p->kh; a.kw = p->kw; a.sh = p->sh; a.sw = p->sw; a.dh = p->dh; a.dw = p->dw; a.pt = p->pt; a.pl = p->pl;
        a.Hp = p->Hp; a.Wq = p->Wp;
        a.act = p->act;
        for (size_t n = 0; n < p->N; ++n)
            for (size_t g = 0; g < p->G; ++g) {
                size_t yoff = (n * p->K + g * p->Kg) * OHW;
                a.x = input + (n * p->C + g * p->Cg) * p->H * p->W;
                a.w = packed + g * p->KRg * p->Cg * p->kh * p->kw;
                a.bias = pbias + g * p->KRg;
                a.residual = residual ? residual + yoff : NULL;
                a.y = output + yoff;
                k->direct_fewc(&a);
            }
        return KERNO_OK;
    }
    for (size_t n = 0; n < p->N; ++n) {
        for (size_t g = 0; g < p->G; ++g) {
            /* The input of this image and group, padded and blocked. */
            const float* xg;
            if (nchw) {
                k->pack_input(input + (n * p->C + g * p->Cg) * p->H * p->W, p->Cg, p->H, p->W, wx, p->Hp, p->Wp, p->pt, p->pl);
                xg = wx;
            } else {
                size_t CB = p->G * p->CBg;
                const float* src = input + (n * CB + g * p->CBg) * p->H * p->W * b;
                if (p->ws_x) {
                    k->pad_blocked(src, p->CBg, p->H, p->W, wx, p->Hp, p->Wp, p->pt, p->pl);
                    xg = wx;
                } else {
                    xg = src;
                }
            }
            float* yg;
            const float* rg = NULL;
            if (nchw) {
                yg = wy;
            } else {
                size_t KB = p->G * p->KBg;
                yg = output + (n * KB + g * p->KBg) * OHW * b;
                if (residual)
                    rg = residual + (yg - output);
            }
            const float* wg = packed + g * (p->packed_w / p->G);
            const float* bg = pbias + g * p->KBg * b;
            if (p->algo == KERNO_CONV_DIRECT) {
                conv_direct_args a = { 0 };
                a.x = xg; a.w = wg; a.bias = bg; a.residual = rg; a.y = yg;
                a.CB = p->CBg; a.C = p->Cg; a.KB = p->KBg; a.Hp = p->Hp; a.Wp = p->Wp; a.OH = p->OH; a.OW = p->OW;
                a.kh = p->kh; a.kw = p->kw; a.sh = p->sh; a.sw = p->sw; a.dh = p->dh; a.dw = p->dw;
                a.kb_begin = 0; a.kb_end = p->KBg;
                a.oh_begin = oh_begin; a.oh_end = oh_end;
                a.act = *kernel_act;
                k->direct(&a);
            } else {
                run_winograd(p, xg, wg, bg, rg, yg, kernel_act, wv, wm);
            }
            if (nchw) {
                size_t off = (n * p->K + g * p->Kg) * OHW;
                k->unpack_output(wy, p->Kg, OHW, output + off, residual ? residual + off : NULL, &p->act);
            }
        }
    }
    return KERNO_OK;
}
