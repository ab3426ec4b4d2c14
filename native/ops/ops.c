/* NN operators: argument checks and shape work (broadcasting, axes, windows, index tables) in portable C;
 * the inner loops come from the active ISA's kernel table (native/ops/ops.inc). */
#include "../conv/conv_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RANK 8

static kerno_status bad(const char* fn, const char* what) { return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: %s", fn, what); }

static int valid_act(int32_t a, float alpha, float beta)
{
    return a >= KERNO_ACT_NONE && a <= KERNO_ACT_SILU && (a != KERNO_ACT_CLIP || alpha <= beta);
}

/* ---- activations ------------------------------------------------------------------------------- */
kerno_status kerno_activation(const float* x, float* y, size_t n, int32_t activation, float alpha, float beta)
{
    if ((!x || !y) && n)
        return bad("kerno_activation", "NULL buffer");
    if (!valid_act(activation, alpha, beta))
        return bad("kerno_activation", "unknown activation or Clip min > max");
    if (y != x && n)
        memmove(y, x, n * sizeof(float));
    kact a = { activation, alpha, beta };
    if (n)
        conv_kernels_active()->activate(y, n, &a);
    return KERNO_OK;
}

/* ---- binary with broadcasting ------------------------------------------------------------------ */
kerno_status kerno_binary(int32_t op, const float* a, const int64_t* a_shape, int32_t a_rank, const float* b,
                          const int64_t* b_shape, int32_t b_rank, float* y)
{
    static const char fn[] = "kerno_binary";
    if (op < KERNO_BINARY_ADD || op > KERNO_BINARY_MIN)
        return bad(fn, "unknown op");
    if (a_rank < 0 || b_rank < 0 || a_rank > MAX_RANK || b_rank > MAX_RANK)
        return bad(fn, "rank must be in [0, 8]");
    if (!a || !b || !y || (a_rank && !a_shape) || (b_rank && !b_shape))
        return bad(fn, "NULL argument");
    int r = a_rank > b_rank ? a_rank : b_rank;
    int64_t out[MAX_RANK], sa[MAX_RANK], sb[MAX_RANK];
    int64_t da[MAX_RANK], db[MAX_RANK];
    for (int i = 0; i < r; ++i) {
        int ia = i - (r - a_rank), ib = i - (r - b_rank);
        da[i] = ia >= 0 ? a_shape[ia] : 1;
        db[i] = ib >= 0 ? b_shape[ib] : 1;
        if (da[i] < 0 || db[i] < 0)
            return bad(fn, "negative dimension");
        if (da[i] != db[i] && da[i] != 1 && db[i] != 1)
            return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: shapes do not broadcast at axis %d (%lld vs %lld)", fn, i,
                              (long long)da[i], (long long)db[i]);
        out[i] = da[i] == 1 ? db[i] : da[i];
    }
    /* element strides, 0 on broadcast axes */
    int64_t ta = 1, tb = 1, total = 1;
    for (int i = r - 1; i >= 0; --i) {
        sa[i] = da[i] == 1 ? 0 : ta;
        sb[i] = db[i] == 1 ? 0 : tb;
        ta *= da[i];
        tb *= db[i];
        total *= out[i];
    }
    if (total == 0)
        return KERNO_OK;
    /* drop size-1 axes, then merge neighbours whose strides chain for both operands */
    int64_t n_[MAX_RANK], a_[MAX_RANK], b_[MAX_RANK];
    int m = 0;
    for (int i = 0; i < r; ++i) {
        if (out[i] == 1) continue;
        if (m > 0 && a_[m - 1] == sa[i] * out[i] && b_[m - 1] == sb[i] * out[i]) {
            n_[m - 1] *= out[i];
            a_[m - 1] = sa[i];
            b_[m - 1] = sb[i];
        } else {
            n_[m] = out[i]; a_[m] = sa[i]; b_[m] = sb[i]; ++m;
        }
    }
    if (m == 0) { n_[0] = 1; a_[0] = 0; b_[0] = 0; m = 1; }
    const conv_kernels* k = conv_kernels_active();
    int64_t inner = n_[m - 1], ia = a_[m - 1], ib = b_[m - 1];
    if (ia > 1 || ib > 1) {
        /* inner axis is strided for one operand (cannot happen after merging, kept for safety) */
        ia = ib = -1;
    }
    int64_t idx[MAX_RANK] = { 0 };
    int64_t outer = total / inner;
    for (int64_t o = 0; o < outer; ++o) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < m - 1; ++i) { oa += idx[i] * a_[i]; ob += idx[i] * b_[i]; }
        float* yo = y + o * inner;
        if (ia >= 0) {
            k->binary(op, a + oa, (int)ia, b + ob, (int)ib, yo, (size_t)inner);
        } else {
            for (int64_t j = 0; j < inner; ++j)
                k->binary(op, a + oa + j * a_[m - 1], 0, b + ob + j * b_[m - 1], 0, yo + j, 1);
        }
        for (int i = m - 2; i >= 0; --i) {
            if (++idx[i] < n_[i]) break;
            idx[i] = 0;
        }
    }
    return KERNO_OK;
}

/* ---- softmax ------------------------------------------------------------------------------------ */
/* Many short contiguous rows (UltraFace's [4420, 2] scores): a row is shorter than a vector, so groups of rows
 * are transposed into a buffer where they are interleaved, run through the interleaved kernel (vectorized
 * across rows), and transposed back. */
#define SOFTMAX_SHORT 16
#define SOFTMAX_GROUP 64
static void softmax_short_rows(const conv_kernels* k, const float* x, float* y, size_t rows, size_t len, int log_softmax)
{
    float t[SOFTMAX_SHORT * SOFTMAX_GROUP];
    for (size_t r0 = 0; r0 < rows; r0 += SOFTMAX_GROUP) {
        size_t g = rows - r0 < SOFTMAX_GROUP ? rows - r0 : SOFTMAX_GROUP;
        const float* xs = x + r0 * len;
        for (size_t r = 0; r < g; ++r)
            for (size_t i = 0; i < len; ++i) t[i * g + r] = xs[r * len + i];
        k->softmax(t, t, len, g, log_softmax);
        float* ys = y + r0 * len;
        for (size_t r = 0; r < g; ++r)
            for (size_t i = 0; i < len; ++i) ys[r * len + i] = t[i * g + r];
    }
}

kerno_status kerno_softmax(const float* x, float* y, int64_t outer, int64_t axis_len, int64_t inner, int32_t log_softmax)
{
    if (!x || !y || outer < 0 || axis_len < 0 || inner < 0)
        return bad("kerno_softmax", "NULL buffer or negative size");
    const conv_kernels* k = conv_kernels_active();
    if (axis_len == 0)
        return KERNO_OK;
    if (inner == 1 && axis_len <= SOFTMAX_SHORT) {
        softmax_short_rows(k, x, y, (size_t)outer, (size_t)axis_len, log_softmax != 0);
        return KERNO_OK;
    }
    for (int64_t o = 0; o < outer; ++o) {
        const float* xo = x + o * axis_len * inner;
        float* yo = y + o * axis_len * inner;
        if (inner == 1)
            k->softmax_row(xo, yo, (size_t)axis_len, log_softmax != 0);
        else
            k->softmax(xo, yo, (size_t)axis_len, (size_t)inner, log_softmax != 0);
    }
    return KERNO_OK;
}

/* ---- normalization ------------------------------------------------------------------------------ */
kerno_status kerno_layer_norm(const float* x, const float* scale, const float* bias, float* y, int64_t rows, int64_t cols,
                              float epsilon, float* mean, float* inv_std)
{
    if (!x || !y || !scale || rows < 0 || cols <= 0)
        return bad("kerno_layer_norm", "NULL buffer or bad size (cols must be > 0)");
    if (!(epsilon >= 0))
        return bad("kerno_layer_norm", "epsilon must be >= 0");
    const conv_kernels* k = conv_kernels_active();
    for (int64_t r = 0; r < rows; ++r)
        k->layer_norm_row(x + r * cols, y + r * cols, (size_t)cols, scale, bias, epsilon, mean ? mean + r : NULL,
                          inv_std ? inv_std + r : NULL);
    return KERNO_OK;
}

kerno_status kerno_batch_norm(int32_t layout, const float* x, float* y, int64_t n, int64_t c, int64_t spatial,
                              const float* scale, const float* bias, const float* mean, const float* var, float epsilon,
                              int32_t activation, float alpha, float beta)
{
    static const char fn[] = "kerno_batch_norm";
    if (!x || !y || !scale || !bias || !mean || !var || n < 0 || c < 0 || spatial < 0)
        return bad(fn, "NULL buffer or negative size");
    if (layout != KERNO_LAYOUT_NCHW && layout != KERNO_LAYOUT_NCHWC)
        return bad(fn, "unknown layout");
    if (!valid_act(activation, alpha, beta))
        return bad(fn, "unknown activation");
    const conv_kernels* k = conv_kernels_active();
    kact act = { activation, alpha, beta };
    size_t b = k->block, CB = ((size_t)c + b - 1) / b;
    float* st = malloc(2 * CB * b * sizeof(float));
    if (!st)
        return kerno_fail(KERNO_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
    float* s = st;
    float* t = st + CB * b;
    for (size_t i = 0; i < CB * b; ++i) {
        if ((int64_t)i < c) {
            double inv = 1.0 / sqrt((double)var[i] + (double)epsilon);
            s[i] = (float)(scale[i] * inv);
            t[i] = (float)(bias[i] - mean[i] * scale[i] * inv);
        } else {
            s[i] = 0; t[i] = 0;
        }
    }
    for (int64_t in = 0; in < n; ++in) {
        if (layout == KERNO_LAYOUT_NCHW) {
            for (int64_t ch = 0; ch < c; ++ch) {
                size_t off = (size_t)((in * c + ch) * spatial);
                k->affine(x + off, y + off, (size_t)spatial, s[ch], t[ch], &act);
            }
        } else {
            for (size_t cb = 0; cb < CB; ++cb) {
                size_t off = ((size_t)in * CB + cb) * (size_t)spatial * b;
                k->affine_blocked(x + off, y + off, (size_t)spatial, s + cb * b, t + cb * b, &act);
            }
        }
    }
    free(st);
    return KERNO_OK;
}

/* ---- pooling ------------------------------------------------------------------------------------ */
static void pool_plane(int is_max, const float* x, float* y, size_t H, size_t W, size_t OH, size_t OW, size_t kh,
                       size_t kw, size_t sh, size_t sw, size_t pt, size_t pl, size_t pb, size_t pr, size_t dh, size_t dw,
                       int count_include_pad)
{
    for (size_t oh = 0; oh < OH; ++oh)
        for (size_t ow = 0; ow < OW; ++ow) {
            float acc = is_max ? -INFINITY : 0.0f;
            size_t cnt = 0, cnt_pad = 0;
            for (size_t ky = 0; ky < kh; ++ky) {
                ptrdiff_t iy = (ptrdiff_t)(oh * sh + ky * dh) - (ptrdiff_t)pt;
                for (size_t kx = 0; kx < kw; ++kx) {
                    ptrdiff_t ix = (ptrdiff_t)(ow * sw + kx * dw) - (ptrdiff_t)pl;
                    if (iy < (ptrdiff_t)(H + pb) && ix < (ptrdiff_t)(W + pr)) ++cnt_pad;
                    if (iy < 0 || ix < 0 || iy >= (ptrdiff_t)H || ix >= (ptrdiff_t)W) continue;
                    float v = x[(size_t)iy * W + (size_t)ix];
                    acc = is_max ? (v > acc ? v : acc) : acc + v;
                    ++cnt;
                }
            }
            if (!is_max) {
                size_t d = count_include_pad ? cnt_pad : cnt;
                acc = d ? acc / (float)d : 0.0f;
            }
            y[oh * OW + ow] = acc;
        }
}

kerno_status kerno_pool2d(int32_t kind, int32_t layout, const float* x, float* y, const int64_t* input_shape,
                          const int64_t* output_shape, const int64_t* kernel, const int64_t* strides, const int64_t* pads,
                          const int64_t* dilations, int32_t count_include_pad)
{
    static const char fn[] = "kerno_pool2d";
    if (!x || !y || !input_shape || !output_shape || !kernel || !strides || !pads || !dilations)
        return bad(fn, "NULL argument");
    if (kind != KERNO_POOL_MAX && kind != KERNO_POOL_AVG)
        return bad(fn, "unknown pooling kind");
    if (layout != KERNO_LAYOUT_NCHW && layout != KERNO_LAYOUT_NCHWC)
        return bad(fn, "unknown layout");
    for (int i = 0; i < 4; ++i)
        if (input_shape[i] <= 0 || pads[i] < 0 || output_shape[i] <= 0)
            return bad(fn, "shapes must be positive and pads >= 0");
    for (int i = 0; i < 2; ++i)
        if (kernel[i] <= 0 || strides[i] <= 0 || dilations[i] <= 0)
            return bad(fn, "kernel, strides and dilations must be positive");
    if (output_shape[0] != input_shape[0] || output_shape[1] != input_shape[1])
        return bad(fn, "output N, C must equal input N, C");
    for (int i = 0; i < 2; ++i) {
        int64_t span = input_shape[2 + i] + pads[i] + pads[2 + i] - ((kernel[i] - 1) * dilations[i] + 1);
        if (span < 0)
            return bad(fn, "window larger than the padded input");
        int64_t fl = span / strides[i] + 1, ce = (span + strides[i] - 1) / strides[i] + 1;
        if (output_shape[2 + i] != fl && output_shape[2 + i] != ce)
            return kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "%s: output size %lld on axis %d, expected %lld (floor) or %lld (ceil)",
                              fn, (long long)output_shape[2 + i], 2 + i, (long long)fl, (long long)ce);
    }
    const conv_kernels* k = conv_kernels_active();
    size_t N = (size_t)input_shape[0], C = (size_t)input_shape[1], H = (size_t)input_shape[2], W = (size_t)input_shape[3];
    size_t OH = (size_t)output_shape[2], OW = (size_t)output_shape[3];
    int is_max = kind == KERNO_POOL_MAX;
    if (layout == KERNO_LAYOUT_NCHW) {
        pool_geom g = { H, W, OH, OW, (size_t)kernel[0], (size_t)kernel[1], (size_t)strides[0], (size_t)strides[1],
                        (size_t)dilations[0], (size_t)dilations[1], (size_t)pads[0], (size_t)pads[1], (size_t)pads[2],
                        (size_t)pads[3], is_max, count_include_pad != 0 };
        if (k->pool_nchw(&g, x, y, N * C))
            return KERNO_OK;
        for (size_t p = 0; p < N * C; ++p)
            pool_plane(is_max, x + p * H * W, y + p * OH * OW, H, W, OH, OW, (size_t)kernel[0], (size_t)kernel[1],
                       (size_t)strides[0], (size_t)strides[1], (size_t)pads[0], (size_t)pads[1], (size_t)pads[2],
                       (size_t)pads[3], (size_t)dilations[0], (size_t)dilations[1], count_include_pad != 0);
    } else {
        size_t b = k->block, CB = (C + b - 1) / b;
        for (size_t p = 0; p < N * CB; ++p)
            k->pool_blocked(is_max, x + p * H * W * b, y + p * OH * OW * b, H, W, OH, OW, (size_t)kernel[0],
                            (size_t)kernel[1], (size_t)strides[0], (size_t)strides[1], (size_t)pads[0], (size_t)pads[1],
                            (size_t)pads[2], (size_t)pads[3], (size_t)dilations[0], (size_t)dilations[1],
                            count_include_pad != 0);
    }
    return KERNO_OK;
}

kerno_status kerno_global_pool(int32_t kind, int32_t layout, const float* x, float* y, int64_t n, int64_t c, int64_t spatial)
{
    static const char fn[] = "kerno_global_pool";
    if (!x || !y || n < 0 || c < 0 || spatial <= 0)
        return bad(fn, "NULL buffer or bad size");
    if (kind != KERNO_POOL_MAX && kind != KERNO_POOL_AVG)
        return bad(fn, "unknown pooling kind");
    if (layout != KERNO_LAYOUT_NCHW && layout != KERNO_LAYOUT_NCHWC)
        return bad(fn, "unknown layout");
    const conv_kernels* k = conv_kernels_active();
    int is_max = kind == KERNO_POOL_MAX;
    if (layout == KERNO_LAYOUT_NCHW) {
        for (int64_t p = 0; p < n * c; ++p) {
            float r = k->reduce_plane(x + p * spatial, (size_t)spatial, is_max);
            y[p] = is_max ? r : r / (float)spatial;
        }
    } else {
        size_t b = k->block, CB = ((size_t)c + b - 1) / b;
        for (size_t p = 0; p < (size_t)n * CB; ++p)
            k->gap_blocked(x + p * (size_t)spatial * b, y + p * b, (size_t)spatial, is_max);
    }
    return KERNO_OK;
}

/* ---- transpose ---------------------------------------------------------------------------------- */
kerno_status kerno_transpose(const float* x, float* y, const int64_t* shape, const int64_t* perm, int32_t rank)
{
    static const char fn[] = "kerno_transpose";
    if (!x || !y || rank < 0 || rank > MAX_RANK || (rank && (!shape || !perm)))
        return bad(fn, "NULL argument or rank outside [0, 8]");
    int seen[MAX_RANK] = { 0 };
    int64_t total = 1;
    for (int i = 0; i < rank; ++i) {
        if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]]++)
            return bad(fn, "perm is not a permutation");
        if (shape[i] < 0)
            return bad(fn, "negative dimension");
        total *= shape[i];
    }
    if (total == 0)
        return KERNO_OK;
    /* input strides, then output dims/strides; drop size-1 axes and merge axes that stay adjacent */
    int64_t istr[MAX_RANK], od[MAX_RANK], os[MAX_RANK];
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; --i) { istr[i] = s; s *= shape[i]; }
    int m = 0;
    for (int i = 0; i < rank; ++i) {
        int64_t d = shape[perm[i]], st = istr[perm[i]];
        if (d == 1) continue;
        if (m > 0 && os[m - 1] == st * d) { od[m - 1] *= d; os[m - 1] = st; }
        else { od[m] = d; os[m] = st; ++m; }
    }
    if (m == 0) { y[0] = x[0]; return KERNO_OK; }
    if (m == 1) { memcpy(y, x, (size_t)total * sizeof(float)); return KERNO_OK; }
    /* tiles over the last two output axes (rows od[m-2] with input stride os[m-2], columns od[m-1]) */
    const int64_t T = 16;
    int64_t R = od[m - 2], Cc = od[m - 1], rs = os[m - 2], cs = os[m - 1];
    int64_t outer = total / (R * Cc);
    int64_t idx[MAX_RANK] = { 0 };
    for (int64_t o = 0; o < outer; ++o) {
        int64_t base = 0;
        for (int i = 0; i < m - 2; ++i) base += idx[i] * os[i];
        const float* xb = x + base;
        float* yb = y + o * R * Cc;
        if (cs == 1) {
            for (int64_t r = 0; r < R; ++r) memcpy(yb + r * Cc, xb + r * rs, (size_t)Cc * sizeof(float));
        } else {
            for (int64_t r0 = 0; r0 < R; r0 += T)
                for (int64_t c0 = 0; c0 < Cc; c0 += T) {
                    int64_t r1 = r0 + T < R ? r0 + T : R, c1 = c0 + T < Cc ? c0 + T : Cc;
                    for (int64_t r = r0; r < r1; ++r)
                        for (int64_t c = c0; c < c1; ++c)
                            yb[r * Cc + c] = xb[r * rs + c * cs];
                }
        }
        for (int i = m - 3; i >= 0; --i) {
            if (++idx[i] < od[i]) break;
            idx[i] = 0;
        }
    }
    return KERNO_OK;
}

/* ---- resize ------------------------------------------------------------------------------------- */
static float resize_coord(int32_t mode, int64_t o, int64_t in, int64_t out, float scale)
{
    switch (mode) {
    case KERNO_COORD_ASYMMETRIC: return (float)o / scale;
    case KERNO_COORD_ALIGN_CORNERS: return out > 1 ? (float)o * (float)(in - 1) / (float)(out - 1) : 0.0f;
    case KERNO_COORD_PYTORCH_HALF_PIXEL: return out > 1 ? ((float)o + 0.5f) / scale - 0.5f : 0.0f;
    default: return ((float)o + 0.5f) / scale - 0.5f;
    }
}

static int64_t nearest_index(int32_t mode, float v, int64_t in)
{
    float f = floorf(v);
    int64_t i;
    switch (mode) {
    case KERNO_NEAREST_FLOOR: i = (int64_t)f; break;
    case KERNO_NEAREST_CEIL: i = (int64_t)ceilf(v); break;
    case KERNO_NEAREST_ROUND_PREFER_CEIL: i = (int64_t)floorf(v + 0.5f); break;
    default: i = v - f == 0.5f ? (int64_t)f : (int64_t)floorf(v + 0.5f); break;
    }
    return i < 0 ? 0 : (i >= in ? in - 1 : i);
}

kerno_status kerno_resize2d(int32_t mode, int32_t coordinate_mode, int32_t nearest_mode, const float* x, float* y, int64_t nc,
                            int64_t h, int64_t w, int64_t oh, int64_t ow, float scale_h, float scale_w)
{
    static const char fn[] = "kerno_resize2d";
    if (!x || !y || nc < 0 || h <= 0 || w <= 0 || oh <= 0 || ow <= 0)
        return bad(fn, "NULL buffer or bad size");
    if (!(scale_h > 0) || !(scale_w > 0))
        return bad(fn, "scales must be > 0");
    if (mode != KERNO_RESIZE_NEAREST && mode != KERNO_RESIZE_LINEAR)
        return bad(fn, "unknown mode");
    if (coordinate_mode < KERNO_COORD_HALF_PIXEL || coordinate_mode > KERNO_COORD_PYTORCH_HALF_PIXEL)
        return bad(fn, "unknown coordinate mode");
    if (nearest_mode < KERNO_NEAREST_ROUND_PREFER_FLOOR || nearest_mode > KERNO_NEAREST_CEIL)
        return bad(fn, "unknown nearest mode");
    /* per-axis index and weight tables */
    int64_t* iy = malloc((size_t)(2 * oh + 2 * ow) * sizeof(int64_t));
    float* fw = malloc((size_t)(oh + ow) * sizeof(float));
    if (!iy || !fw) {
        free(iy);
        free(fw);
        return kerno_fail(KERNO_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
    }
    int64_t* ix = iy + 2 * oh;
    float* fy = fw;
    float* fx = fw + oh;
    for (int pass = 0; pass < 2; ++pass) {
        int64_t out = pass ? ow : oh, in = pass ? w : h;
        float sc = pass ? scale_w : scale_h;
        int64_t* id = pass ? ix : iy;
        float* f = pass ? fx : fy;
        for (int64_t o = 0; o < out; ++o) {
            float v = resize_coord(coordinate_mode, o, in, out, sc);
            if (mode == KERNO_RESIZE_NEAREST) {
                id[2 * o] = id[2 * o + 1] = nearest_index(nearest_mode, v, in);
                f[o] = 0;
            } else {
                v = v < 0 ? 0 : (v > (float)(in - 1) ? (float)(in - 1) : v);
                int64_t i0 = (int64_t)v;
                id[2 * o] = i0;
                id[2 * o + 1] = i0 + 1 < in ? i0 + 1 : in - 1;
                f[o] = v - (float)i0;
            }
        }
    }
    for (int64_t p = 0; p < nc; ++p) {
        const float* xp = x + p * h * w;
        float* yp = y + p * oh * ow;
        for (int64_t r = 0; r < oh; ++r) {
            const float* r0 = xp + iy[2 * r] * w;
            const float* r1 = xp + iy[2 * r + 1] * w;
            float* yr = yp + r * ow;
            if (mode == KERNO_RESIZE_NEAREST) {
                for (int64_t c = 0; c < ow; ++c) yr[c] = r0[ix[2 * c]];
            } else {
                float wy = fy[r];
                for (int64_t c = 0; c < ow; ++c) {
                    float wx = fx[c];
                    float top = r0[ix[2 * c]] + (r0[ix[2 * c + 1]] - r0[ix[2 * c]]) * wx;
                    float bot = r1[ix[2 * c]] + (r1[ix[2 * c + 1]] - r1[ix[2 * c]]) * wx;
                    yr[c] = top + (bot - top) * wy;
                }
            }
        }
    }
    free(iy);
    free(fw);
    return KERNO_OK;
}

/* ---- ConvTranspose: col = W^T x (a 1x1 convolution through the conv plans), then col2im -------------- */
kerno_status kerno_conv_transpose2d(const float* x, const float* weight, const float* bias, float* y,
                                    const int64_t* input_shape, const int64_t* weight_shape, const int64_t* output_shape,
                                    const int64_t* strides, const int64_t* pads, const int64_t* dilations, int64_t group)
{
    static const char fn[] = "kerno_conv_transpose2d";
    if (!x || !weight || !y || !input_shape || !weight_shape || !output_shape || !strides || !pads || !dilations)
        return bad(fn, "NULL argument");
    for (int i = 0; i < 4; ++i)
        if (input_shape[i] <= 0 || weight_shape[i] <= 0 || output_shape[i] <= 0 || pads[i] < 0)
            return bad(fn, "shapes must be positive and pads >= 0");
    for (int i = 0; i < 2; ++i)
        if (strides[i] <= 0 || dilations[i] <= 0)
            return bad(fn, "strides and dilations must be positive");
    int64_t N = input_shape[0], C = input_shape[1], H = input_shape[2], W = input_shape[3];
    if (group <= 0 || C % group || weight_shape[0] != C)
        return bad(fn, "weight must be {C, K/group, kh, kw} with group dividing C");
    int64_t Kg = weight_shape[1], K = Kg * group, kh = weight_shape[2], kw = weight_shape[3], Cg = C / group;
    int64_t OH = output_shape[2], OW = output_shape[3];
    if (output_shape[0] != N || output_shape[1] != K)
        return bad(fn, "output shape must be {N, K, OH, OW}");
    int64_t base_h = (H - 1) * strides[0] - pads[0] - pads[2] + (kh - 1) * dilations[0] + 1;
    int64_t base_w = (W - 1) * strides[1] - pads[1] - pads[3] + (kw - 1) * dilations[1] + 1;
    if (OH < base_h || OW < base_w || OH >= base_h + (strides[0] > dilations[0] ? strides[0] : dilations[0]) ||
        OW >= base_w + (strides[1] > dilations[1] ? strides[1] : dilations[1]))
        return bad(fn, "output size does not match (H-1)*s - pads + (k-1)*d + 1 + output_padding");
    /* One 1x1 "convolution" per group: col[(k, ky, kx)][pixel] = sum_c w[c][k][ky][kx] x[c][pixel]. */
    int64_t M = Kg * kh * kw;
    int64_t in_shape[4] = { 1, Cg, H, W }, w_shape[4] = { M, Cg, 1, 1 }, one[2] = { 1, 1 }, zero[4] = { 0, 0, 0, 0 };
    kerno_conv2d_t* plan = NULL;
    kerno_status st = kerno_conv2d_create(in_shape, w_shape, one, zero, one, 1, KERNO_LAYOUT_NCHW, KERNO_CONV_AUTO,
                                          KERNO_ACT_NONE, 0, 0, &plan);
    if (st != KERNO_OK)
        return st;
    size_t psize = kerno_conv2d_packed_size(plan), wsize = kerno_conv2d_workspace_size(plan);
    size_t wt_n = (size_t)(M * Cg), col_n = (size_t)(M * H * W);
    float* wt = kerno_aligned_alloc(wt_n * sizeof(float), 64);
    size_t pstride = (psize / sizeof(float) + 15) / 16 * 16; /* keeps every group's block 64-byte aligned */
    float* packed = kerno_aligned_alloc(pstride * sizeof(float) * (size_t)group, 64);
    float* col = kerno_aligned_alloc(col_n * sizeof(float), 64);
    void* ws = wsize ? kerno_aligned_alloc(wsize, 64) : NULL;
    if (!wt || !packed || !col || (wsize && !ws)) {
        kerno_aligned_free(wt); kerno_aligned_free(packed); kerno_aligned_free(col); kerno_aligned_free(ws);
        kerno_conv2d_destroy(plan);
        return kerno_fail(KERNO_ERR_OUT_OF_MEMORY, "%s: out of memory", fn);
    }
    for (int64_t g = 0; g < group && st == KERNO_OK; ++g) {
        for (int64_t m = 0; m < M; ++m)
            for (int64_t c = 0; c < Cg; ++c)
                wt[m * Cg + c] = weight[(g * Cg + c) * M + m];
        st = kerno_conv2d_pack(plan, wt, NULL, packed + (size_t)g * pstride, psize);
    }
    for (int64_t n = 0; n < N && st == KERNO_OK; ++n)
        for (int64_t g = 0; g < group && st == KERNO_OK; ++g) {
            st = kerno_conv2d_run(plan, x + (n * C + g * Cg) * H * W, packed + (size_t)g * pstride, NULL, col, ws, wsize);
            float* yg = y + (n * K + g * Kg) * OH * OW;
            for (int64_t k = 0; k < Kg; ++k) {
                float bv = bias ? bias[g * Kg + k] : 0.0f;
                float* yk = yg + k * OH * OW;
                for (int64_t i = 0; i < OH * OW; ++i) yk[i] = bv;
                for (int64_t ky = 0; ky < kh; ++ky)
                    for (int64_t kx = 0; kx < kw; ++kx) {
                        const float* cp = col + ((k * kh + ky) * kw + kx) * H * W;
                        for (int64_t ih = 0; ih < H; ++ih) {
                            int64_t oy = ih * strides[0] + ky * dilations[0] - pads[0];
                            if (oy < 0 || oy >= OH) continue;
                            for (int64_t iw = 0; iw < W; ++iw) {
                                int64_t ox = iw * strides[1] + kx * dilations[1] - pads[1];
                                if (ox < 0 || ox >= OW) continue;
                                yk[oy * OW + ox] += cp[ih * W + iw];
                            }
                        }
                    }
            }
        }
    kerno_aligned_free(wt); kerno_aligned_free(packed); kerno_aligned_free(col); kerno_aligned_free(ws);
    kerno_conv2d_destroy(plan);
    return st;
}
