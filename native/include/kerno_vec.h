/*
 * kerno_vec.h - a thin, header-only SIMD layer for the convolution and NN kernels.
 *
 * A kernel template (native/conv/ and native/ops/ (the .inc files)) is written once against `kv` and compiled
 * once per ISA by a small translation unit that defines exactly one of
 *     KV_ISA_AVX512 (16 lanes)   KV_ISA_AVX2 (8 lanes)   KV_ISA_NEON (4 lanes)   KV_ISA_GENERIC (4 lanes)
 * before including this header. Each maps to the native intrinsics, so the generated code is the same as
 * hand-written intrinsics; KV_FN(name) gives every instantiation its own symbol (name_avx512, ...).
 * KV_N is also the NCHWc channel block of that ISA (NCHW16c, NCHW8c, NCHW4c).
 *
 * Semantics: kv_fma(a, b, c) = a * b + c (fused where the ISA has FMA; the generic path leaves it to the
 * compiler). kv_max/kv_min follow the ISA on NaN (not IEEE maxNum); kernels never rely on NaN order.
 */
#ifndef KERNO_VEC_H
#define KERNO_VEC_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>

#if defined(KV_ISA_AVX512)
#  include <immintrin.h>
#  define KV_N 16
#  define KV_SUFFIX avx512
typedef __m512 kv;
#  define kv_load(p) _mm512_loadu_ps(p)
#  define kv_store(p, v) _mm512_storeu_ps((p), (v))
#  define kv_set1(x) _mm512_set1_ps(x)
#  define kv_zero() _mm512_setzero_ps()
#  define kv_add(a, b) _mm512_add_ps((a), (b))
#  define kv_sub(a, b) _mm512_sub_ps((a), (b))
#  define kv_mul(a, b) _mm512_mul_ps((a), (b))
#  define kv_div(a, b) _mm512_div_ps((a), (b))
#  define kv_fma(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#  define kv_fnma(a, b, c) _mm512_fnmadd_ps((a), (b), (c)) /* c - a * b */
#  define kv_max(a, b) _mm512_max_ps((a), (b))
#  define kv_min(a, b) _mm512_min_ps((a), (b))
#  define kv_round(a) _mm512_roundscale_ps((a), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#  define kv_sqrt(a) _mm512_sqrt_ps(a)
static inline float kv_hsum(kv a) { return _mm512_reduce_add_ps(a); }
static inline float kv_hmax(kv a) { return _mm512_reduce_max_ps(a); }
/* a * 2^n for integral-valued n */
static inline kv kv_ldexp(kv a, kv n) { return _mm512_scalef_ps(a, n); }
static inline kv kv_load_partial(const float* p, size_t n)
{
    return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1u), p);
}
/* even lanes of the concatenation [a, b] (stride-2 access) */
static inline kv kv_even(kv a, kv b)
{
    const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(a, idx, b);
}
static inline void kv_store_partial(float* p, kv v, size_t n)
{
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), v);
}

#elif defined(KV_ISA_AVX2)
#  include <immintrin.h>
#  define KV_N 8
#  define KV_SUFFIX avx2
typedef __m256 kv;
#  define kv_load(p) _mm256_loadu_ps(p)
#  define kv_store(p, v) _mm256_storeu_ps((p), (v))
#  define kv_set1(x) _mm256_set1_ps(x)
#  define kv_zero() _mm256_setzero_ps()
#  define kv_add(a, b) _mm256_add_ps((a), (b))
#  define kv_sub(a, b) _mm256_sub_ps((a), (b))
#  define kv_mul(a, b) _mm256_mul_ps((a), (b))
#  define kv_div(a, b) _mm256_div_ps((a), (b))
#  define kv_fma(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#  define kv_fnma(a, b, c) _mm256_fnmadd_ps((a), (b), (c))
#  define kv_max(a, b) _mm256_max_ps((a), (b))
#  define kv_min(a, b) _mm256_min_ps((a), (b))
#  define kv_round(a) _mm256_round_ps((a), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#  define kv_sqrt(a) _mm256_sqrt_ps(a)
static inline float kv_hsum(kv a)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline float kv_hmax(kv a)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline kv kv_ldexp(kv a, kv n)
{
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(a, _mm256_castsi256_ps(e));
}
static inline __m256i kv__mask(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline kv kv_load_partial(const float* p, size_t n) { return _mm256_maskload_ps(p, kv__mask(n)); }
static inline kv kv_even(kv a, kv b)
{
    __m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)); /* a0 a2 b0 b2 | a4 a6 b4 b6 */
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}
static inline void kv_store_partial(float* p, kv v, size_t n) { _mm256_maskstore_ps(p, kv__mask(n), v); }

#elif defined(KV_ISA_NEON)
#  include <arm_neon.h>
#  define KV_N 4
#  define KV_SUFFIX neon
typedef float32x4_t kv;
#  define kv_load(p) vld1q_f32(p)
#  define kv_store(p, v) vst1q_f32((p), (v))
#  define kv_set1(x) vdupq_n_f32(x)
#  define kv_zero() vdupq_n_f32(0.0f)
#  define kv_add(a, b) vaddq_f32((a), (b))
#  define kv_sub(a, b) vsubq_f32((a), (b))
#  define kv_mul(a, b) vmulq_f32((a), (b))
#  define kv_div(a, b) vdivq_f32((a), (b))
#  define kv_fma(a, b, c) vfmaq_f32((c), (a), (b))
#  define kv_fnma(a, b, c) vfmsq_f32((c), (a), (b))
#  define kv_max(a, b) vmaxq_f32((a), (b))
#  define kv_min(a, b) vminq_f32((a), (b))
#  define kv_round(a) vrndnq_f32(a)
#  define kv_sqrt(a) vsqrtq_f32(a)
static inline float kv_hsum(kv a) { return vaddvq_f32(a); }
static inline float kv_hmax(kv a) { return vmaxvq_f32(a); }
static inline kv kv_ldexp(kv a, kv n)
{
    int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127)), 23);
    return vmulq_f32(a, vreinterpretq_f32_s32(e));
}
static inline kv kv_load_partial(const float* p, size_t n)
{
    float t[4] = { 0, 0, 0, 0 };
    for (size_t i = 0; i < n; ++i) t[i] = p[i];
    return vld1q_f32(t);
}
static inline void kv_store_partial(float* p, kv v, size_t n)
{
    float t[4];
    vst1q_f32(t, v);
    for (size_t i = 0; i < n; ++i) p[i] = t[i];
}
static inline kv kv_even(kv a, kv b) { return vuzp1q_f32(a, b); }

#elif defined(KV_ISA_GENERIC)
/* Portable C: GCC/Clang vector extensions, 4 lanes (SSE2 on x86-64, ASIMD on AArch64). */
#  define KV_N 4
#  define KV_SUFFIX generic
typedef float kv __attribute__((vector_size(16), aligned(4)));
static inline kv kv_load(const float* p) { kv v; __builtin_memcpy(&v, p, sizeof v); return v; }
static inline void kv_store(float* p, kv v) { __builtin_memcpy(p, &v, sizeof v); }
static inline kv kv_set1(float x) { kv v = { x, x, x, x }; return v; }
static inline kv kv_zero(void) { kv v = { 0, 0, 0, 0 }; return v; }
#  define kv_add(a, b) ((a) + (b))
#  define kv_sub(a, b) ((a) - (b))
#  define kv_mul(a, b) ((a) * (b))
#  define kv_div(a, b) ((a) / (b))
#  define kv_fma(a, b, c) ((a) * (b) + (c))
#  define kv_fnma(a, b, c) ((c) - (a) * (b))
static inline kv kv_max(kv a, kv b) { kv r = a; for (int i = 0; i < 4; ++i) r[i] = a[i] > b[i] ? a[i] : b[i]; return r; }
static inline kv kv_min(kv a, kv b) { kv r = a; for (int i = 0; i < 4; ++i) r[i] = a[i] < b[i] ? a[i] : b[i]; return r; }
static inline kv kv_round(kv a) { kv r = a; for (int i = 0; i < 4; ++i) r[i] = nearbyintf(a[i]); return r; }
static inline kv kv_sqrt(kv a) { kv r = a; for (int i = 0; i < 4; ++i) r[i] = sqrtf(a[i]); return r; }
static inline float kv_hsum(kv a) { return (a[0] + a[1]) + (a[2] + a[3]); }
static inline float kv_hmax(kv a) { float m = a[0]; for (int i = 1; i < 4; ++i) m = a[i] > m ? a[i] : m; return m; }
static inline kv kv_ldexp(kv a, kv n) { kv r = a; for (int i = 0; i < 4; ++i) r[i] = ldexpf(a[i], (int)n[i]); return r; }
static inline kv kv_load_partial(const float* p, size_t n)
{
    kv v = { 0, 0, 0, 0 };
    for (size_t i = 0; i < n; ++i) v[i] = p[i];
    return v;
}
static inline void kv_store_partial(float* p, kv v, size_t n) { for (size_t i = 0; i < n; ++i) p[i] = v[i]; }
static inline kv kv_even(kv a, kv b) { kv r = { a[0], a[2], b[0], b[2] }; return r; }
#else
#  error "define one of KV_ISA_AVX512, KV_ISA_AVX2, KV_ISA_NEON, KV_ISA_GENERIC before including kerno_vec.h"
#endif

#define KV_CAT2(a, b) a##_##b
#define KV_CAT(a, b) KV_CAT2(a, b)
/* The per-ISA symbol of a template function: KV_FN(dwconv) -> dwconv_avx512 */
#define KV_FN(name) KV_CAT(name, KV_SUFFIX)

/* exp(x): round-to-nearest range reduction x = n ln2 + r, |r| <= ln2/2, then a degree-6 Taylor/minimax
 * polynomial; max relative error ~2 ulp over the clamped range [-87.3, 88.3]. */
static inline kv kv_exp(kv x)
{
    x = kv_min(kv_max(x, kv_set1(-87.3f)), kv_set1(88.3f));
    kv n = kv_round(kv_mul(x, kv_set1(1.44269504088896341f)));
    kv r = kv_fnma(n, kv_set1(0.693359375f), x);        /* ln2 high part (exact in float) */
    r = kv_fnma(n, kv_set1(-2.12194440e-4f), r);         /* ln2 low part */
    kv p = kv_set1(1.0f / 720.0f);
    p = kv_fma(p, r, kv_set1(1.0f / 120.0f));
    p = kv_fma(p, r, kv_set1(1.0f / 24.0f));
    p = kv_fma(p, r, kv_set1(1.0f / 6.0f));
    p = kv_fma(p, r, kv_set1(0.5f));
    p = kv_fma(p, r, kv_set1(1.0f));
    p = kv_fma(p, r, kv_set1(1.0f));
    return kv_ldexp(p, n);
}

static inline kv kv_sigmoid(kv x)
{
    kv one = kv_set1(1.0f);
    return kv_div(one, kv_add(one, kv_exp(kv_sub(kv_zero(), x))));
}

#endif
