/*
 * kk_fast_x86.h - x86 micro-kernels of the fast kernels (kernels/fast/fast_x86.c):
 * AVX2+FMA (6x16 tiles, 8-wide depthwise rows) and AVX-512 (8x32 tiles,
 * 16-wide depthwise rows), compiled through function target attributes so
 * the generated file needs no -m flags. See kk_fast.h for the layouts.
 */
#ifndef KK_FAST_X86_H
#define KK_FAST_X86_H

#include "kk.h"
#include "kk_fast.h"

/* The kernels of panel geometry isa (KK_ISA_AVX2 or KK_ISA_AVX512) when the
 * CPU running this has the instruction set, else plain C kernels for the
 * same geometry (kk_fisa_portable). */
KK_API kk_fisa kk_fisa_x86(int isa);

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* For the x86 kernel files (fast_x86.c, maxpool_x86.c, dw_x86.c): target attributes
 * instead of -m flags, and vector helpers inlined into their callers (a
 * call would make the caller spill every live vector register, all of
 * them caller-saved). */
#define KK_X512 __attribute__((target("avx512f,avx2,fma")))
#define KK_X256 __attribute__((target("avx2,fma")))
#define KK_FX_INLINE static inline __attribute__((always_inline))

/* Lanes [0, n) of 16 (n clamped to 0..16). */
KK_X512 KK_FX_INLINE __mmask16 kk_fx_mask512(int64_t n) {
    return (__mmask16)(n >= 16 ? 0xFFFFu : n <= 0 ? 0u : (1u << n) - 1u);
}

/* Lanes [0, n) of a vector of 8 (n clamped to 0..8). */
KK_X256 KK_FX_INLINE __m256i kk_fx_mask256(int64_t n) {
    const int k = n >= 8 ? 8 : n <= 0 ? 0 : (int)n;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The activations with a vector form (kk_fx_vec_act), for the tile
 * epilogues of fast_x86.c and the depthwise rows of dw_x86.c.
 *
 * e^-x (kk_fx_expn*): x clamped to [-88.3, 87.3] (the float range of e^-x;
 * NaN passes the clamp, so every activation keeps it),
 * 2^n e^r with n the integer nearest -x log2(e), r = -x - n ln2 in two
 * parts (|r| <= ln2/2) and a degree-6 Taylor polynomial: within 4 ulp of
 * expf. AVX-512 scales with vscalefps, AVX2 through the integer
 * exponent. Sigmoid, SiLU and Swish divide by
 * 1 + e^-z (one division is cheaper than the reciprocal estimate, its
 * Newton step and the multiply, and exact) and give (signed) 0 where
 * 1 + e^-z exceeds 1 / KK_SIGMOID_TINY, as the reference does; Tanh is
 * sign(v) (1 - e) / (1 + e), e = e^-2|v|. Gelu is v Phi(v) with
 * Phi = h (v < 0) or 1 - h, h = erfc(a) / 2, a = |v| / sqrt(2), erfc(a) =
 * t e^(-a^2 + P(t)), t = 1 / (1 + a/2), P the degree-9 Chebyshev fit of
 * Numerical Recipes' erfcc (fractional error below 1.2e-7), and h = 0 for
 * a > 10 as in the reference (no denormals). */
#define KK_FX_EXPR(FMA, SET1, r)                                                                             \
    FMA(FMA(FMA(FMA(FMA(FMA(SET1(1.0f / 720.0f), r, SET1(1.0f / 120.0f)), r, SET1(1.0f / 24.0f)), r,            \
                    SET1(1.0f / 6.0f)),                                                                      \
                r, SET1(0.5f)),                                                                              \
            r, SET1(1.0f)),                                                                                  \
        r, SET1(1.0f))

#define KK_FX_ERFCP(FMA, SET1, t)                                                                            \
    FMA(FMA(FMA(FMA(FMA(FMA(FMA(FMA(FMA(SET1(0.17087277f), t, SET1(-0.82215223f)), t, SET1(1.48851587f)), t,   \
                                SET1(-1.13520398f)),                                                         \
                            t, SET1(0.27886807f)),                                                           \
                        t, SET1(-0.18628806f)),                                                              \
                    t, SET1(0.09678418f)),                                                                   \
                t, SET1(0.37409196f)),                                                                       \
            t, SET1(1.00002368f)),                                                                           \
        t, SET1(-1.26551223f))

KK_X512 KK_FX_INLINE __m512 kk_fx_expn512(__m512 x) {
    x = _mm512_min_ps(_mm512_set1_ps(87.3f), _mm512_max_ps(_mm512_set1_ps(-88.3f), x)); /* NaN stays */
    /* nearest integer by adding 1.5 * 2^23 in the FMA (gcc's -O0 macro for
     * vrndscaleps does not pass -Wconversion) */
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    const __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(-1.44269504f), magic), magic);
    __m512 r = _mm512_fnmsub_ps(n, _mm512_set1_ps(0.693359375f), x); /* -x - n ln2 */
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    return _mm512_scalef_ps(KK_FX_EXPR(_mm512_fmadd_ps, _mm512_set1_ps, r), n);
}

KK_X256 KK_FX_INLINE __m256 kk_fx_expn256(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(87.3f), _mm256_max_ps(_mm256_set1_ps(-88.3f), x)); /* NaN stays */
    const __m256i ni = _mm256_cvtps_epi32(_mm256_mul_ps(x, _mm256_set1_ps(-1.44269504f))); /* nearest */
    const __m256 n = _mm256_cvtepi32_ps(ni);
    __m256 r = _mm256_fnmsub_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(KK_FX_EXPR(_mm256_fmadd_ps, _mm256_set1_ps, r), _mm256_castsi256_ps(e));
}

/* The clamp-based cases, alike at both widths (v, zero, one, alpha, beta
 * and act in scope). */
#define KK_FX_ACT_CLAMPS(V, SET1, MIN, MAX, FMA, MUL)                                                       \
    case KK_UN_RELU:                                                                                         \
        return MAX(v, zero);                                                                                 \
    case KK_UN_CLIP:                                                                                         \
        return MIN(MAX(v, SET1(alpha)), SET1(beta));                                                         \
    case KK_UN_HARD_SIGMOID:                                                                                 \
    case KK_UN_HARD_SWISH: {                                                                                 \
        const V h_ = MIN(MAX(FMA(v, SET1(alpha), SET1(beta)), zero), one);                                   \
        return act == KK_UN_HARD_SWISH ? MUL(v, h_) : h_;                                                    \
    }

/* v = act(v) for the codes kk_fx_vec_act accepts (others: v). */
KK_X512 KK_FX_INLINE __m512 kk_fx_act512(__m512 v, int act, float alpha, float beta) {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    switch (act) {
        KK_FX_ACT_CLAMPS(__m512, _mm512_set1_ps, _mm512_min_ps, _mm512_max_ps, _mm512_fmadd_ps, _mm512_mul_ps)
    case KK_UN_LEAKY_RELU:
        return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, _mm512_set1_ps(alpha));
    case KK_UN_SIGMOID:
    case KK_UN_SILU:
    case KK_UN_SWISH: {
        const __m512 z = act == KK_UN_SWISH ? _mm512_mul_ps(v, _mm512_set1_ps(alpha)) : v;
        const __m512 den = _mm512_add_ps(one, kk_fx_expn512(z));
        const __mmask16 tiny = _mm512_cmp_ps_mask(den, _mm512_set1_ps(1.0f / KK_SIGMOID_TINY), _CMP_GT_OQ);
        if (act == KK_UN_SIGMOID) return _mm512_maskz_div_ps((__mmask16)~tiny, one, den);
        return _mm512_mask_mul_ps(_mm512_div_ps(v, den), tiny, v, zero);
    }
    case KK_UN_GELU: {
        const __m512 a = _mm512_mul_ps(_mm512_abs_ps(v), _mm512_set1_ps(0.70710678f)), half = _mm512_set1_ps(0.5f);
        const __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(a, half, one));
        const __m512 e = kk_fx_expn512(_mm512_fmsub_ps(a, a, KK_FX_ERFCP(_mm512_fmadd_ps, _mm512_set1_ps, t)));
        const __m512 h = _mm512_maskz_mul_ps(_mm512_cmp_ps_mask(a, _mm512_set1_ps(10.0f), _CMP_LE_OQ),
                                             _mm512_mul_ps(t, half), e);
        return _mm512_mul_ps(v, _mm512_mask_sub_ps(h, _mm512_cmp_ps_mask(v, zero, _CMP_GE_OQ), one, h));
    }
    case KK_UN_TANH: {
        const __m512 a = _mm512_abs_ps(v), e = kk_fx_expn512(_mm512_add_ps(a, a));
        const __m512 t = _mm512_div_ps(_mm512_sub_ps(one, e), _mm512_add_ps(one, e));
        return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(t), _mm512_castps_si512(v),
                                                             _mm512_set1_epi32(INT32_MIN), 0xF8)); /* t | v & sign */
    }
    default:
        return v;
    }
}

KK_X256 KK_FX_INLINE __m256 kk_fx_act256(__m256 v, int act, float alpha, float beta) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    switch (act) {
        KK_FX_ACT_CLAMPS(__m256, _mm256_set1_ps, _mm256_min_ps, _mm256_max_ps, _mm256_fmadd_ps, _mm256_mul_ps)
    case KK_UN_LEAKY_RELU:
        return _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(alpha)), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
    case KK_UN_SIGMOID:
    case KK_UN_SILU:
    case KK_UN_SWISH: {
        const __m256 z = act == KK_UN_SWISH ? _mm256_mul_ps(v, _mm256_set1_ps(alpha)) : v;
        const __m256 den = _mm256_add_ps(one, kk_fx_expn256(z));
        const __m256 tiny = _mm256_cmp_ps(den, _mm256_set1_ps(1.0f / KK_SIGMOID_TINY), _CMP_GT_OQ);
        if (act == KK_UN_SIGMOID) return _mm256_andnot_ps(tiny, _mm256_div_ps(one, den));
        return _mm256_blendv_ps(_mm256_div_ps(v, den), _mm256_mul_ps(v, zero), tiny);
    }
    case KK_UN_GELU: {
        const __m256 a = _mm256_mul_ps(_mm256_andnot_ps(sign, v), _mm256_set1_ps(0.70710678f));
        const __m256 half = _mm256_set1_ps(0.5f), t = _mm256_div_ps(one, _mm256_fmadd_ps(a, half, one));
        const __m256 e = kk_fx_expn256(_mm256_fmsub_ps(a, a, KK_FX_ERFCP(_mm256_fmadd_ps, _mm256_set1_ps, t)));
        const __m256 h = _mm256_and_ps(_mm256_mul_ps(_mm256_mul_ps(t, half), e),
                                       _mm256_cmp_ps(a, _mm256_set1_ps(10.0f), _CMP_LE_OQ));
        return _mm256_mul_ps(v, _mm256_blendv_ps(h, _mm256_sub_ps(one, h), _mm256_cmp_ps(v, zero, _CMP_GE_OQ)));
    }
    case KK_UN_TANH: {
        const __m256 a = _mm256_andnot_ps(sign, v), e = kk_fx_expn256(_mm256_add_ps(a, a));
        const __m256 t = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
        return _mm256_or_ps(t, _mm256_and_ps(sign, v));
    }
    default:
        return v;
    }
}
#endif

#endif
