/* Activations of the SGEMM epilogue, scalar: the reference for the vector versions and the generic path. */
#include "sgemm_internal.h"

#include <math.h>

float kerno_act_scalar(float x, int32_t act, float p0, float p1)
{
    switch (act) {
    case KERNO_ACT_RELU:
        return x > 0.0f ? x : 0.0f;
    case KERNO_ACT_CLIP:
        return x < p0 ? p0 : (x > p1 ? p1 : x);
    case KERNO_ACT_LEAKY_RELU:
        return x >= 0.0f ? x : x * p0;
    case KERNO_ACT_SIGMOID:
        return 1.0f / (1.0f + expf(-x));
    case KERNO_ACT_HARD_SWISH: {
        float t = x * (1.0f / 6.0f) + 0.5f;
        t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
        return x * t;
    }
    case KERNO_ACT_GELU_TANH: {
        /* 0.5 x (1 + tanh(u)) = x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3) */
        float u2 = 1.5957691216057308f * (x + 0.044715f * x * x * x);
        return x / (1.0f + expf(-u2));
    }
    case KERNO_ACT_SILU:
        return x / (1.0f + expf(-x));
    default:
        return x;
    }
}

void kerno_sgemm_act_tile_generic(float* c, size_t ldc, size_t mr, size_t nr, int32_t act, float p0, float p1)
{
    for (size_t i = 0; i < mr; ++i)
        for (size_t j = 0; j < nr; ++j)
            c[i * ldc + j] = kerno_act_scalar(c[i * ldc + j], act, p0, p1);
}
