/*
 * fast/fast_x86.c - AVX2+FMA and AVX-512 kernels of kiln's fast path
 * (kk_fast_x86.h): the register-blocked SGEMM micro-kernels (6x16 on AVX2:
 * 12 accumulators; 8x32 on AVX-512: 16 accumulators, two B vectors and one
 * A broadcast per row and k) and the MaxPool planes (separable: the
 * maximum along each input row, then across rows; stride 2 through even /
 * odd permutes); the depthwise planes are in dw_x86.c.
 *
 * Each function carries a target attribute, so the generated file builds
 * with plain `cc -std=c11` flags; kk_fisa_x86 checks the running CPU and
 * falls back to the plain C kernels of the same panel geometry.
 *
 * The epilogue (bias per row or column, residual, activation) runs on the
 * accumulators before the store. Activations without a vector form here
 * run through kk_ftile_act on the stored tile, while it is in L1.
 * Vector exp (for Sigmoid / SiLU / Swish / Tanh): 2^n * e^r with |r| <= ln2/2
 * and a degree-6 Taylor polynomial, within 2 ulp of expf over the clamped
 * range (Tanh near 0 is then within about 1e-7 absolute).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"
#include "kk_fast.h"
#include "kk_dw_x86.h"
#include "kk_fast_x86.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define KK_X512 __attribute__((target("avx512f,avx2,fma")))
#define KK_X256 __attribute__((target("avx2,fma")))
/* Vector helpers are inlined into their callers: a call would make the
 * caller spill every live vector register (all are caller-saved). */
#define KK_FX_INLINE static inline __attribute__((always_inline))

/* Activations with a vector form below. */
KK_API int kk_fx_vec_act(int act) {
    return act == 0 || act == KK_UN_RELU || act == KK_UN_CLIP || act == KK_UN_LEAKY_RELU ||
           act == KK_UN_HARD_SIGMOID || act == KK_UN_HARD_SWISH || act == KK_UN_SIGMOID ||
           act == KK_UN_SILU || act == KK_UN_SWISH || act == KK_UN_TANH;
}

/* --------------------------------------------------------------- AVX-512 */

KK_X512 KK_FX_INLINE __m512 kk_fx_exp512(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
    const __m512i ni = _mm512_cvtps_epi32(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f))); /* nearest */
    const __m512 n = _mm512_cvtepi32_ps(ni);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 q = _mm512_set1_ps(1.0f / 720.0f);
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 120.0f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 24.0f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 6.0f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(0.5f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f));
    __m512i e = _mm512_slli_epi32(_mm512_add_epi32(ni, _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(q, _mm512_castsi512_ps(e));
}

/* 1 / d for d >= 1: the reciprocal estimate and one Newton step r (2 - d r)
 * (a vector division is several times slower; the depthwise kernels'
 * activations compute it the same way). */
KK_X512 KK_FX_INLINE __m512 kk_fx_rcp512(__m512 d) {
    const __m512 r = _mm512_rcp14_ps(d);
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

/* v = act(v) for the codes kk_fx_vec_act accepts. */
KK_X512 KK_FX_INLINE __m512 kk_fx_act512(__m512 v, int act, float alpha, float beta) {
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    switch (act) {
    case KK_UN_RELU:
        return _mm512_max_ps(v, zero);
    case KK_UN_CLIP:
        return _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(alpha)), _mm512_set1_ps(beta));
    case KK_UN_LEAKY_RELU:
        return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, _mm512_set1_ps(alpha));
    case KK_UN_HARD_SIGMOID:
    case KK_UN_HARD_SWISH: {
        __m512 h = _mm512_fmadd_ps(v, _mm512_set1_ps(alpha), _mm512_set1_ps(beta));
        h = _mm512_min_ps(_mm512_max_ps(h, zero), one);
        return act == KK_UN_HARD_SWISH ? _mm512_mul_ps(v, h) : h;
    }
    case KK_UN_SIGMOID:
    case KK_UN_SILU:
    case KK_UN_SWISH: {
        __m512 z = act == KK_UN_SWISH ? _mm512_mul_ps(v, _mm512_set1_ps(alpha)) : v;
        const __m512 den = _mm512_add_ps(one, kk_fx_exp512(_mm512_sub_ps(zero, z)));
        __m512 s = kk_fx_rcp512(den);
        s = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(s, _mm512_set1_ps(KK_SIGMOID_TINY), _CMP_GE_OQ), s);
        return act == KK_UN_SIGMOID ? s : _mm512_mul_ps(v, s);
    }
    case KK_UN_TANH: { /* sign(x) (1 - e) / (1 + e), e = exp(-2|x|) */
        const __m512 e = kk_fx_exp512(_mm512_mul_ps(_mm512_abs_ps(v), _mm512_set1_ps(-2.0f)));
        const __m512 t = _mm512_mul_ps(_mm512_sub_ps(one, e), kk_fx_rcp512(_mm512_add_ps(one, e)));
        return _mm512_mask_sub_ps(t, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), zero, t);
    }
    default:
        return v;
    }
}

#define KK_R8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* The 8x32 tile; B rows ldb floats apart (32: a packed panel); A row i at
 * a + i * ars, its k-th element aks floats further (packed: 1 and 8). */
KK_X512 KK_FX_INLINE void kk_fx_ukr512(int64_t kc, const float *a, int64_t ars, int64_t aks, const float *b, int64_t ldb,
                                       const kk_ftile *t) {
    const int mr = t->mr, nr = t->nr;
    const int64_t ldc = t->ldc;
    const __mmask16 m0 = (__mmask16)(nr >= 16 ? 0xFFFFu : (1u << nr) - 1u);
    const __mmask16 m1 = (__mmask16)(nr >= 32 ? 0xFFFFu : nr <= 16 ? 0u : (1u << (nr - 16)) - 1u);
#define KK_DECL(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();
    KK_R8(KK_DECL)
#undef KK_DECL
    if (t->accum) {
#define KK_LOAD(i)                                                      \
    if (i < mr) {                                                       \
        c##i##0 = _mm512_maskz_loadu_ps(m0, t->c + i * ldc);            \
        c##i##1 = _mm512_maskz_loadu_ps(m1, t->c + i * ldc + 16);       \
    }
        KK_R8(KK_LOAD)
#undef KK_LOAD
    }
    if (t->last && t->res) { /* fetched while the k loop runs: the epilogue reads it */
#define KK_PFR(i)                                                       \
    if (i < mr) {                                                       \
        _mm_prefetch((const char *)(t->res + i * ldc), _MM_HINT_T0);    \
        if (nr > 16) _mm_prefetch((const char *)(t->res + i * ldc + 16), _MM_HINT_T0); \
    }
        KK_R8(KK_PFR)
#undef KK_PFR
    }
#define KK_FMA(i)                                                       \
    {                                                                   \
        const __m512 ai = _mm512_set1_ps(a[i * ars]);                   \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                     \
        c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);                     \
    }
    if (t->pfa) { /* A streams from memory: fetched t->pfa floats ahead */
        for (int64_t k = 0; k < kc; k++) {
            _mm_prefetch((const char *)(a + t->pfa), _MM_HINT_T0);
            const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
            KK_R8(KK_FMA)
            a += aks;
            b += ldb;
        }
    } else {
        for (int64_t k = 0; k < kc; k++) {
            const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
            KK_R8(KK_FMA)
            a += aks;
            b += ldb;
        }
    }
#undef KK_FMA
    const int vact = t->last && kk_fx_vec_act(t->act);
    if (t->last) {
        if (t->bias_row) {
#define KK_BROW(i)                                                      \
    if (i < mr) {                                                       \
        const __m512 bv = _mm512_set1_ps(t->bias_row[i]);               \
        c##i##0 = _mm512_add_ps(c##i##0, bv);                           \
        c##i##1 = _mm512_add_ps(c##i##1, bv);                           \
    }
            KK_R8(KK_BROW)
#undef KK_BROW
        }
        if (t->bias_col) {
            const __m512 b0 = _mm512_maskz_loadu_ps(m0, t->bias_col), b1 = _mm512_maskz_loadu_ps(m1, t->bias_col + 16);
#define KK_BCOL(i)                                                      \
    c##i##0 = _mm512_add_ps(c##i##0, b0);                               \
    c##i##1 = _mm512_add_ps(c##i##1, b1);
            KK_R8(KK_BCOL)
#undef KK_BCOL
        }
        if (t->res) {
#define KK_RES(i)                                                                          \
    if (i < mr) {                                                                          \
        c##i##0 = _mm512_add_ps(c##i##0, _mm512_maskz_loadu_ps(m0, t->res + i * ldc));     \
        c##i##1 = _mm512_add_ps(c##i##1, _mm512_maskz_loadu_ps(m1, t->res + i * ldc + 16)); \
    }
            KK_R8(KK_RES)
#undef KK_RES
        }
        if (vact && t->act) {
#define KK_ACT(i)                                                       \
    if (i < mr) {                                                       \
        c##i##0 = kk_fx_act512(c##i##0, t->act, t->alpha, t->beta);     \
        c##i##1 = kk_fx_act512(c##i##1, t->act, t->alpha, t->beta);     \
    }
            KK_R8(KK_ACT)
#undef KK_ACT
        }
    }
#define KK_STORE(i)                                                     \
    if (i < mr) {                                                       \
        _mm512_mask_storeu_ps(t->c + i * ldc, m0, c##i##0);             \
        _mm512_mask_storeu_ps(t->c + i * ldc + 16, m1, c##i##1);        \
    }
    KK_R8(KK_STORE)
#undef KK_STORE
    if (t->last && t->act && !vact) {
        _mm256_zeroupper(); /* kk_ftile_act is plain C: no dirty upper state */
        kk_ftile_act(t);
    }
}

KK_X512 KK_API void kk_fukr_avx512(int64_t kc, const float *a, const float *b, const kk_ftile *t) {
    kk_fx_ukr512(kc, a, 1, 8, b, 32, t);
}

KK_X512 KK_API void kk_fukrs_avx512(int64_t kc, const float *a, const float *b, int64_t ldb, const kk_ftile *t) {
    kk_fx_ukr512(kc, a, 1, 8, b, ldb, t);
}

KK_X512 KK_API void kk_fukra_avx512(int64_t kc, const float *a, int64_t lda, const float *b, const kk_ftile *t) {
    kk_fx_ukr512(kc, a, lda, 1, b, 32, t);
}

/* One row of up to 32 columns: four k phases in separate accumulators
 * (the FMA latency), added pairwise at the end. */
KK_X512 KK_API void kk_fgemv_avx512(int64_t kc, const float *a, const float *b, int64_t ldb, const kk_ftile *t) {
    const int nr = t->nr;
    const __mmask16 m0 = (__mmask16)(nr >= 16 ? 0xFFFFu : (1u << nr) - 1u);
    const __mmask16 m1 = (__mmask16)(nr >= 32 ? 0xFFFFu : nr <= 16 ? 0u : (1u << (nr - 16)) - 1u);
    __m512 s00 = _mm512_setzero_ps(), s01 = _mm512_setzero_ps(), s10 = _mm512_setzero_ps(), s11 = _mm512_setzero_ps();
    __m512 s20 = _mm512_setzero_ps(), s21 = _mm512_setzero_ps(), s30 = _mm512_setzero_ps(), s31 = _mm512_setzero_ps();
    int64_t k = 0;
    if (nr > 16) {
        for (; k + 4 <= kc; k += 4) {
            const float *bk = b + k * ldb;
            s00 = _mm512_fmadd_ps(_mm512_set1_ps(a[k]), _mm512_maskz_loadu_ps(m0, bk), s00);
            s01 = _mm512_fmadd_ps(_mm512_set1_ps(a[k]), _mm512_maskz_loadu_ps(m1, bk + 16), s01);
            s10 = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 1]), _mm512_maskz_loadu_ps(m0, bk + ldb), s10);
            s11 = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 1]), _mm512_maskz_loadu_ps(m1, bk + ldb + 16), s11);
            s20 = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 2]), _mm512_maskz_loadu_ps(m0, bk + 2 * ldb), s20);
            s21 = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 2]), _mm512_maskz_loadu_ps(m1, bk + 2 * ldb + 16), s21);
            s30 = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 3]), _mm512_maskz_loadu_ps(m0, bk + 3 * ldb), s30);
            s31 = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 3]), _mm512_maskz_loadu_ps(m1, bk + 3 * ldb + 16), s31);
        }
    } else {
        for (; k + 4 <= kc; k += 4) {
            const float *bk = b + k * ldb;
            s00 = _mm512_fmadd_ps(_mm512_set1_ps(a[k]), _mm512_maskz_loadu_ps(m0, bk), s00);
            s10 = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 1]), _mm512_maskz_loadu_ps(m0, bk + ldb), s10);
            s20 = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 2]), _mm512_maskz_loadu_ps(m0, bk + 2 * ldb), s20);
            s30 = _mm512_fmadd_ps(_mm512_set1_ps(a[k + 3]), _mm512_maskz_loadu_ps(m0, bk + 3 * ldb), s30);
        }
    }
    for (; k < kc; k++) {
        const float *bk = b + k * ldb;
        s00 = _mm512_fmadd_ps(_mm512_set1_ps(a[k]), _mm512_maskz_loadu_ps(m0, bk), s00);
        s01 = _mm512_fmadd_ps(_mm512_set1_ps(a[k]), _mm512_maskz_loadu_ps(m1, bk + 16), s01);
    }
    __m512 c0 = _mm512_add_ps(_mm512_add_ps(s00, s10), _mm512_add_ps(s20, s30));
    __m512 c1 = _mm512_add_ps(_mm512_add_ps(s01, s11), _mm512_add_ps(s21, s31));
    if (t->accum) {
        c0 = _mm512_add_ps(c0, _mm512_maskz_loadu_ps(m0, t->c));
        c1 = _mm512_add_ps(c1, _mm512_maskz_loadu_ps(m1, t->c + 16));
    }
    const int vact = t->last && kk_fx_vec_act(t->act);
    if (t->last) {
        if (t->bias_row) {
            c0 = _mm512_add_ps(c0, _mm512_set1_ps(t->bias_row[0]));
            c1 = _mm512_add_ps(c1, _mm512_set1_ps(t->bias_row[0]));
        }
        if (t->bias_col) {
            c0 = _mm512_add_ps(c0, _mm512_maskz_loadu_ps(m0, t->bias_col));
            c1 = _mm512_add_ps(c1, _mm512_maskz_loadu_ps(m1, t->bias_col + 16));
        }
        if (t->res) {
            c0 = _mm512_add_ps(c0, _mm512_maskz_loadu_ps(m0, t->res));
            c1 = _mm512_add_ps(c1, _mm512_maskz_loadu_ps(m1, t->res + 16));
        }
        if (vact && t->act) {
            c0 = kk_fx_act512(c0, t->act, t->alpha, t->beta);
            c1 = kk_fx_act512(c1, t->act, t->alpha, t->beta);
        }
    }
    _mm512_mask_storeu_ps(t->c, m0, c0);
    _mm512_mask_storeu_ps(t->c + 16, m1, c1);
    if (t->last && t->act && !vact) {
        _mm256_zeroupper(); /* kk_ftile_act is plain C: no dirty upper state */
        kk_ftile_act(t);
    }
}

/* Lanes [0, n) of 16 (n in 0..16). */
KK_X512 KK_FX_INLINE __mmask16 kk_fx_mask512(int64_t n) {
    return (__mmask16)(n >= 16 ? 0xFFFFu : n <= 0 ? 0u : (1u << n) - 1u);
}

/* ------------------------------------------------------------------ AVX2 */

KK_X256 KK_FX_INLINE __m256 kk_fx_exp256(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    const __m256i ni = _mm256_cvtps_epi32(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f))); /* nearest */
    const __m256 n = _mm256_cvtepi32_ps(ni);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 q = _mm256_set1_ps(1.0f / 720.0f);
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 120.0f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 24.0f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 6.0f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(0.5f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(q, _mm256_castsi256_ps(e));
}

/* kk_fx_rcp512's reciprocal with AVX2's 12-bit estimate. */
KK_X256 KK_FX_INLINE __m256 kk_fx_rcp256(__m256 d) {
    const __m256 r = _mm256_rcp_ps(d);
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(2.0f)));
}

KK_X256 KK_FX_INLINE __m256 kk_fx_act256(__m256 v, int act, float alpha, float beta) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    switch (act) {
    case KK_UN_RELU:
        return _mm256_max_ps(v, zero);
    case KK_UN_CLIP:
        return _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(alpha)), _mm256_set1_ps(beta));
    case KK_UN_LEAKY_RELU:
        return _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(alpha)), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
    case KK_UN_HARD_SIGMOID:
    case KK_UN_HARD_SWISH: {
        __m256 h = _mm256_fmadd_ps(v, _mm256_set1_ps(alpha), _mm256_set1_ps(beta));
        h = _mm256_min_ps(_mm256_max_ps(h, zero), one);
        return act == KK_UN_HARD_SWISH ? _mm256_mul_ps(v, h) : h;
    }
    case KK_UN_SIGMOID:
    case KK_UN_SILU:
    case KK_UN_SWISH: {
        __m256 z = act == KK_UN_SWISH ? _mm256_mul_ps(v, _mm256_set1_ps(alpha)) : v;
        const __m256 den = _mm256_add_ps(one, kk_fx_exp256(_mm256_sub_ps(zero, z)));
        __m256 s = kk_fx_rcp256(den);
        s = _mm256_and_ps(s, _mm256_cmp_ps(s, _mm256_set1_ps(KK_SIGMOID_TINY), _CMP_GE_OQ));
        return act == KK_UN_SIGMOID ? s : _mm256_mul_ps(v, s);
    }
    case KK_UN_TANH: { /* sign(x) (1 - e) / (1 + e), e = exp(-2|x|) */
        const __m256 sign = _mm256_set1_ps(-0.0f);
        const __m256 e = kk_fx_exp256(_mm256_mul_ps(_mm256_andnot_ps(sign, v), _mm256_set1_ps(-2.0f)));
        const __m256 t = _mm256_mul_ps(_mm256_sub_ps(one, e), kk_fx_rcp256(_mm256_add_ps(one, e)));
        return _mm256_or_ps(t, _mm256_and_ps(sign, v));
    }
    default:
        return v;
    }
}

/* Lanes [0, n) of a vector of 8 (n clamped to 0..8). */
KK_X256 KK_FX_INLINE __m256i kk_fx_mask256(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#define KK_R6(X) X(0) X(1) X(2) X(3) X(4) X(5)

/* The 6x16 tile; B rows ldb floats apart (16: a packed panel); A row i at
 * a + i * ars, its k-th element aks floats further (packed: 1 and 6). */
KK_X256 KK_FX_INLINE void kk_fx_ukr256(int64_t kc, const float *a, int64_t ars, int64_t aks, const float *b, int64_t ldb,
                                       const kk_ftile *t) {
    const int mr = t->mr, nr = t->nr;
    const int64_t ldc = t->ldc;
    const __m256i m0 = kk_fx_mask256(nr), m1 = kk_fx_mask256(nr - 8);
#define KK_DECL(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps();
    KK_R6(KK_DECL)
#undef KK_DECL
    if (t->accum) {
#define KK_LOAD(i)                                                      \
    if (i < mr) {                                                       \
        c##i##0 = _mm256_maskload_ps(t->c + i * ldc, m0);               \
        c##i##1 = _mm256_maskload_ps(t->c + i * ldc + 8, m1);           \
    }
        KK_R6(KK_LOAD)
#undef KK_LOAD
    }
#define KK_FMA(i)                                                       \
    {                                                                   \
        const __m256 ai = _mm256_broadcast_ss(a + i * ars);             \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                     \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                     \
    }
    if (t->pfa) { /* A streams from memory: fetched t->pfa floats ahead */
        for (int64_t k = 0; k < kc; k++) {
            _mm_prefetch((const char *)(a + t->pfa), _MM_HINT_T0);
            const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
            KK_R6(KK_FMA)
            a += aks;
            b += ldb;
        }
    } else {
        for (int64_t k = 0; k < kc; k++) {
            const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
            KK_R6(KK_FMA)
            a += aks;
            b += ldb;
        }
    }
#undef KK_FMA
    const int vact = t->last && kk_fx_vec_act(t->act);
    if (t->last) {
        if (t->bias_row) {
#define KK_BROW(i)                                                      \
    if (i < mr) {                                                       \
        const __m256 bv = _mm256_broadcast_ss(t->bias_row + i);         \
        c##i##0 = _mm256_add_ps(c##i##0, bv);                           \
        c##i##1 = _mm256_add_ps(c##i##1, bv);                           \
    }
            KK_R6(KK_BROW)
#undef KK_BROW
        }
        if (t->bias_col) {
            const __m256 b0 = _mm256_maskload_ps(t->bias_col, m0), b1 = _mm256_maskload_ps(t->bias_col + 8, m1);
#define KK_BCOL(i)                                                      \
    c##i##0 = _mm256_add_ps(c##i##0, b0);                               \
    c##i##1 = _mm256_add_ps(c##i##1, b1);
            KK_R6(KK_BCOL)
#undef KK_BCOL
        }
        if (t->res) {
#define KK_RES(i)                                                                         \
    if (i < mr) {                                                                         \
        c##i##0 = _mm256_add_ps(c##i##0, _mm256_maskload_ps(t->res + i * ldc, m0));       \
        c##i##1 = _mm256_add_ps(c##i##1, _mm256_maskload_ps(t->res + i * ldc + 8, m1));   \
    }
            KK_R6(KK_RES)
#undef KK_RES
        }
        if (vact && t->act) {
#define KK_ACT(i)                                                       \
    if (i < mr) {                                                       \
        c##i##0 = kk_fx_act256(c##i##0, t->act, t->alpha, t->beta);     \
        c##i##1 = kk_fx_act256(c##i##1, t->act, t->alpha, t->beta);     \
    }
            KK_R6(KK_ACT)
#undef KK_ACT
        }
    }
    if (nr == 16) {
#define KK_STORE(i)                                                     \
    if (i < mr) {                                                       \
        _mm256_storeu_ps(t->c + i * ldc, c##i##0);                      \
        _mm256_storeu_ps(t->c + i * ldc + 8, c##i##1);                  \
    }
        KK_R6(KK_STORE)
#undef KK_STORE
    } else {
#define KK_STORE(i)                                                     \
    if (i < mr) {                                                       \
        _mm256_maskstore_ps(t->c + i * ldc, m0, c##i##0);               \
        _mm256_maskstore_ps(t->c + i * ldc + 8, m1, c##i##1);           \
    }
        KK_R6(KK_STORE)
#undef KK_STORE
    }
    if (t->last && t->act && !vact) {
        _mm256_zeroupper(); /* kk_ftile_act is plain C: no dirty upper state */
        kk_ftile_act(t);
    }
}

KK_X256 KK_API void kk_fukr_avx2(int64_t kc, const float *a, const float *b, const kk_ftile *t) {
    kk_fx_ukr256(kc, a, 1, 6, b, 16, t);
}

KK_X256 KK_API void kk_fukrs_avx2(int64_t kc, const float *a, const float *b, int64_t ldb, const kk_ftile *t) {
    kk_fx_ukr256(kc, a, 1, 6, b, ldb, t);
}

KK_X256 KK_API void kk_fukra_avx2(int64_t kc, const float *a, int64_t lda, const float *b, const kk_ftile *t) {
    kk_fx_ukr256(kc, a, lda, 1, b, 16, t);
}

/* One row of up to 16 columns (two vectors; more columns than 16 run as
 * two halves): four k phases in separate accumulators, added pairwise. */
KK_X256 KK_FX_INLINE void kk_fx_gemv256(int64_t kc, const float *a, const float *b, int64_t ldb, const kk_ftile *t) {
    const int nr = t->nr;
    const __m256i m0 = kk_fx_mask256(nr), m1 = kk_fx_mask256(nr - 8);
    __m256 s00 = _mm256_setzero_ps(), s01 = _mm256_setzero_ps(), s10 = _mm256_setzero_ps(), s11 = _mm256_setzero_ps();
    __m256 s20 = _mm256_setzero_ps(), s21 = _mm256_setzero_ps(), s30 = _mm256_setzero_ps(), s31 = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        const float *bk = b + k * ldb;
        s00 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k), _mm256_maskload_ps(bk, m0), s00);
        s01 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k), _mm256_maskload_ps(bk + 8, m1), s01);
        s10 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 1), _mm256_maskload_ps(bk + ldb, m0), s10);
        s11 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 1), _mm256_maskload_ps(bk + ldb + 8, m1), s11);
        s20 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 2), _mm256_maskload_ps(bk + 2 * ldb, m0), s20);
        s21 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 2), _mm256_maskload_ps(bk + 2 * ldb + 8, m1), s21);
        s30 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 3), _mm256_maskload_ps(bk + 3 * ldb, m0), s30);
        s31 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k + 3), _mm256_maskload_ps(bk + 3 * ldb + 8, m1), s31);
    }
    for (; k < kc; k++) {
        const float *bk = b + k * ldb;
        s00 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k), _mm256_maskload_ps(bk, m0), s00);
        s01 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + k), _mm256_maskload_ps(bk + 8, m1), s01);
    }
    __m256 c0 = _mm256_add_ps(_mm256_add_ps(s00, s10), _mm256_add_ps(s20, s30));
    __m256 c1 = _mm256_add_ps(_mm256_add_ps(s01, s11), _mm256_add_ps(s21, s31));
    if (t->accum) {
        c0 = _mm256_add_ps(c0, _mm256_maskload_ps(t->c, m0));
        c1 = _mm256_add_ps(c1, _mm256_maskload_ps(t->c + 8, m1));
    }
    const int vact = t->last && kk_fx_vec_act(t->act);
    if (t->last) {
        if (t->bias_row) {
            c0 = _mm256_add_ps(c0, _mm256_broadcast_ss(t->bias_row));
            c1 = _mm256_add_ps(c1, _mm256_broadcast_ss(t->bias_row));
        }
        if (t->bias_col) {
            c0 = _mm256_add_ps(c0, _mm256_maskload_ps(t->bias_col, m0));
            c1 = _mm256_add_ps(c1, _mm256_maskload_ps(t->bias_col + 8, m1));
        }
        if (t->res) {
            c0 = _mm256_add_ps(c0, _mm256_maskload_ps(t->res, m0));
            c1 = _mm256_add_ps(c1, _mm256_maskload_ps(t->res + 8, m1));
        }
        if (vact && t->act) {
            c0 = kk_fx_act256(c0, t->act, t->alpha, t->beta);
            c1 = kk_fx_act256(c1, t->act, t->alpha, t->beta);
        }
    }
    _mm256_maskstore_ps(t->c, m0, c0);
    _mm256_maskstore_ps(t->c + 8, m1, c1);
}

KK_X256 KK_API void kk_fgemv_avx2(int64_t kc, const float *a, const float *b, int64_t ldb, const kk_ftile *t) {
    kk_ftile h = *t;
    int vact = kk_fx_vec_act(t->act);
    for (int j0 = 0; j0 < t->nr; j0 += 16) {
        h.c = t->c + j0;
        h.nr = t->nr - j0 < 16 ? t->nr - j0 : 16;
        h.bias_col = t->bias_col ? t->bias_col + j0 : NULL;
        h.res = t->res ? t->res + j0 : NULL;
        kk_fx_gemv256(kc, a, b + j0, ldb, &h);
    }
    if (t->last && t->act && !vact) {
        _mm256_zeroupper(); /* kk_ftile_act is plain C: no dirty upper state */
        kk_ftile_act(t);
    }
}

/* ---------------------------------------------------------- MaxPool planes */

/* Separable: per input row, the maximum over each output column's kw taps
 * (the row's "horizontal" maxima, once per row, kept in a ring of rows on
 * the stack while the next output rows read them), then per output row the
 * maximum of its kh such rows. A tap of stride 2 is the even or odd half of
 * two vectors of the input row (one permute); the few vectors reaching
 * outside the row read -inf there through masked loads (masks made once per
 * plane). Taps and rows combine in (kh, kw) order with maxps(x, acc), which
 * keeps acc when x is NaN or equal (the first of equal values wins, as the
 * reference); a row's first tap starts as maxps(x, -inf) (NaN there reads
 * as -inf). A NaN or padding thus never wins over a number; an output of
 * -inf (the window's numbers all -inf, or no number at all) is recomputed
 * as kk_fmaxpool_plane_c does, which gives NaN for an all-NaN window.
 * Windows of 2 and 3 columns and of 2 and 3 rows have unrolled loops.
 * Strides above 2, rows too wide for the ring or windows reaching far
 * outside the row run kk_fmaxpool_plane_c. */
#define KK_FX_MP_HBUF 8192 /* floats of horizontal-max rows on the stack (32 KiB) */
#define KK_FX_MP_SLOTS 32  /* most input rows one output row reads: (kh - 1) * dh + 1 */
#define KK_FX_MP_TAPS 16   /* most columns of a window */
#define KK_FX_MP_EDGE 8    /* most vectors of a row reaching outside it */

/* Tap b of output column ox reads the input row from sw * ox + off[b]: for
 * stride 2 the even (par 0) or odd (par 1) floats of the 2 vectors there.
 * A row has nvec vectors of output columns; those outside [va, vb) reach
 * outside the row, edge vector e (e < va: vector e, else vb + e - va) reads
 * lanes mk[e][b][0] of the first vector of tap b, mk[e][b][1] of the second. */
typedef struct {
    int64_t nvec, va, vb, off[KK_FX_MP_TAPS], par[KK_FX_MP_TAPS];
    uint32_t mk[KK_FX_MP_EDGE][KK_FX_MP_TAPS][2];
} kk_fx_mpgeo;

/* Lanes j of vl with 0 <= q + j < n. */
KK_FX_INLINE uint32_t kk_fx_mp_lanes(int64_t q, int64_t n, int64_t vl) {
    const int64_t lo = q >= 0 ? 0 : -q > vl ? vl : -q, hi = n - q < 0 ? 0 : n - q > vl ? vl : n - q;
    return hi <= lo ? 0u : ((1u << hi) - 1u) & ~((1u << lo) - 1u);
}

/* 0 when the plane is not for the vector loop. */
KK_FX_INLINE int kk_fx_mpgeo_init(const kk_fdw_f32 *p, int64_t vl, kk_fx_mpgeo *g) {
    const int64_t sw = p->sw, span = (p->kh - 1) * p->dh + 1, kw = p->kw;
    if (sw < 1 || sw > 2 || kw > KK_FX_MP_TAPS || span > KK_FX_MP_SLOTS) return 0;
    g->nvec = (p->ow + vl - 1) / vl;
    if (span * g->nvec * vl > KK_FX_MP_HBUF) return 0;
    for (int64_t b = 0; b < kw; b++) {
        const int64_t e = b * p->dw - p->pw;
        g->par[b] = sw == 2 ? (e & 1) : 0;
        g->off[b] = e - g->par[b];
    }
    /* first vector with sw * ox + off[0] >= 0, first one with
     * sw * ox + off[kw - 1] + sw * vl > iw (ox = vector * vl) */
    const int64_t lo = g->off[0] >= 0 ? 0 : (-g->off[0] + sw - 1) / sw, room = p->iw - g->off[kw - 1] - sw * vl;
    g->va = (lo + vl - 1) / vl;
    g->vb = room < 0 ? 0 : room / sw / vl + 1;
    if (g->va > g->nvec) g->va = g->nvec;
    if (g->vb > g->nvec) g->vb = g->nvec;
    if (g->vb < g->va) g->vb = g->va;
    if (g->va + g->nvec - g->vb > KK_FX_MP_EDGE) return 0;
    for (int64_t e = 0; e < g->va + g->nvec - g->vb; e++) {
        const int64_t s = sw * (e < g->va ? e : g->vb + e - g->va) * vl;
        for (int64_t b = 0; b < kw; b++) {
            g->mk[e][b][0] = kk_fx_mp_lanes(s + g->off[b], p->iw, vl);
            g->mk[e][b][1] = kk_fx_mp_lanes(s + g->off[b] + vl, p->iw, vl);
        }
    }
    return 1;
}


/* Tap b of the vector at column s of row R: EDGE, masked loads by mask
 * pair m (mk[e][b]); SW 2: the half of two vectors idx[b] selects. */
#define KK_FX_MP_TAP(R, b, SW, EDGE)                                                                             \
    (SW == 1 ? (EDGE ? KK_MP_LDM(R + s + g.off[b], m[b][0]) : KK_MP_LD(R + s + g.off[b]))                        \
             : KK_MP_HALF(EDGE ? KK_MP_LDM(R + s + g.off[b], m[b][0]) : KK_MP_LD(R + s + g.off[b]),              \
                          EDGE ? KK_MP_LDM(R + s + g.off[b] + KK_MP_VL, m[b][1])                                 \
                               : KK_MP_LD(R + s + g.off[b] + KK_MP_VL),                                          \
                          idx[b]))
/* The horizontal maxima of vectors [v0, v1) of row xr into h: KW taps
 * (2, 3, or 0: any kw), stride SW, EDGE: the vectors outside [va, vb). */
#define KK_FX_MP_HLOOP(KW, SW, EDGE, v0, v1)                                                                     \
    for (int64_t v = v0; v < v1; v++) {                                                                          \
        const int64_t s = SW * v * KK_MP_VL;                                                                     \
        const uint32_t(*m)[2] = g.mk[!EDGE ? 0 : v < g.va ? v : g.va + v - g.vb];                                \
        (void)m;                                                                                                 \
        KK_MP_V acc = KK_MP_MAX(KK_FX_MP_TAP(xr, 0, SW, EDGE), ninf);                                            \
        if (KW == 2 || KW == 3) acc = KK_MP_MAX(KK_FX_MP_TAP(xr, 1, SW, EDGE), acc);                             \
        if (KW == 3) acc = KK_MP_MAX(KK_FX_MP_TAP(xr, 2, SW, EDGE), acc);                                        \
        if (KW == 0)                                                                                             \
            for (int64_t b = 1; b < kw; b++) acc = KK_MP_MAX(KK_FX_MP_TAP(xr, b, SW, EDGE), acc);                \
        KK_MP_ST(h + v * KK_MP_VL, acc);                                                                         \
    }
#define KK_FX_MP_HROW(KW, SW)                                                                                    \
    do {                                                                                                         \
        KK_FX_MP_HLOOP(KW, SW, 1, 0, g.va)                                                                       \
        KK_FX_MP_HLOOP(KW, SW, 0, g.va, g.vb)                                                                    \
        KK_FX_MP_HLOOP(KW, SW, 1, g.vb, g.nvec)                                                                  \
    } while (0)

/* Windows of K x K, strides S x S, no dilation (K 3 and S 1 or 2, K 2 and
 * S 2): per output row, the horizontal maxima of its K input rows, the
 * last K - S of them kept (in c1, c2) for the next output row; a row
 * outside the input (pointer NULL) reads -inf. */
#define KK_FX_MP_HV(R, K, S, EDGE)                                                                               \
    (K == 3 ? KK_MP_MAX(KK_FX_MP_TAP(R, 2, S, EDGE),                                                             \
                        KK_MP_MAX(KK_FX_MP_TAP(R, 1, S, EDGE), KK_MP_MAX(KK_FX_MP_TAP(R, 0, S, EDGE), ninf)))    \
            : KK_MP_MAX(KK_FX_MP_TAP(R, 1, S, EDGE), KK_MP_MAX(KK_FX_MP_TAP(R, 0, S, EDGE), ninf)))
#define KK_FX_MP_HP(R, K, S, EDGE) ((R) ? KK_FX_MP_HV(R, K, S, EDGE) : ninf)
/* Vectors [v0, v1) of output row oy (rows rp0 .. rp2 of the input). */
#define KK_FX_MP_CELLS(K, S, EDGE, v0, v1)                                                                       \
    for (int64_t v = v0; v < v1; v++) {                                                                          \
        const int64_t s = S * v * KK_MP_VL, ox = v * KK_MP_VL;                                                   \
        const uint32_t(*m)[2] = g.mk[!EDGE ? 0 : v < g.va ? v : g.va + v - g.vb];                                \
        (void)m;                                                                                                 \
        KK_MP_V h0, h1, h2 = ninf;                                                                               \
        if (K == 3 && S == 2) {                                                                                  \
            h0 = KK_MP_LD(c2 + ox);                                                                              \
            h1 = KK_FX_MP_HP(rp1, K, S, EDGE);                                                                   \
            h2 = KK_FX_MP_HP(rp2, K, S, EDGE);                                                                   \
            KK_MP_ST(c2 + ox, h2);                                                                               \
        } else if (K == 3) {                                                                                     \
            h0 = KK_MP_LD(c1 + ox);                                                                              \
            h1 = KK_MP_LD(c2 + ox);                                                                              \
            h2 = KK_FX_MP_HP(rp2, K, S, EDGE);                                                                   \
            KK_MP_ST(c1 + ox, h1);                                                                               \
            KK_MP_ST(c2 + ox, h2);                                                                               \
        } else {                                                                                                 \
            h0 = KK_FX_MP_HP(rp0, K, S, EDGE);                                                                   \
            h1 = KK_FX_MP_HP(rp1, K, S, EDGE);                                                                   \
        }                                                                                                        \
        KK_MP_V acc = KK_MP_MAX(h1, h0);                                                                         \
        if (K == 3) acc = KK_MP_MAX(h2, acc);                                                                    \
        unsigned bad = KK_MP_NINF(acc);                                                                          \
        if (ox + KK_MP_VL <= ow) KK_MP_ST(yr + ox, acc);                                                         \
        else {                                                                                                   \
            KK_MP_STN(yr + ox, ow - ox, acc);                                                                    \
            bad &= (1u << (ow - ox)) - 1u;                                                                       \
        }                                                                                                        \
        for (; bad; bad &= bad - 1u) {                                                                           \
            const int64_t l = __builtin_ctz(bad);                                                                \
            yr[ox + l] = kk_fmaxpool_point_c(p, xp, oy, ox + l);                                                      \
        }                                                                                                        \
    }
/* The maxima of input row R into C, vectors [v0, v1). */
#define KK_FX_MP_FILL(C, R, K, S, EDGE, v0, v1)                                                                  \
    for (int64_t v = v0; v < v1; v++) {                                                                          \
        const int64_t s = S * v * KK_MP_VL;                                                                      \
        const uint32_t(*m)[2] = g.mk[!EDGE ? 0 : v < g.va ? v : g.va + v - g.vb];                                \
        (void)m;                                                                                                 \
        KK_MP_ST(C + v * KK_MP_VL, KK_FX_MP_HP(R, K, S, EDGE));                                                  \
    }
#define KK_FX_MP_ROWP(iy) ((iy) < 0 || (iy) >= p->ih ? NULL : xp + (iy) * p->iw)
#define KK_FX_MP_ALLV(X, ...)                                                                                    \
    do {                                                                                                         \
        X(__VA_ARGS__, 1, 0, g.va)                                                                               \
        X(__VA_ARGS__, 0, g.va, g.vb)                                                                            \
        X(__VA_ARGS__, 1, g.vb, g.nvec)                                                                          \
    } while (0)
#define KK_FX_MP_SMALL(K, S)                                                                                     \
    do {                                                                                                         \
        float *c1 = hb, *c2 = hb + g.nvec * KK_MP_VL;                                                            \
        if (K == 3 && S == 1) {                                                                                  \
            const float *r0 = KK_FX_MP_ROWP(-p->ph), *r1 = KK_FX_MP_ROWP(1 - p->ph);                             \
            KK_FX_MP_ALLV(KK_FX_MP_FILL, c1, r0, K, S);                                                          \
            KK_FX_MP_ALLV(KK_FX_MP_FILL, c2, r1, K, S);                                                          \
        } else if (K == 3) {                                                                                     \
            const float *r0 = KK_FX_MP_ROWP(-p->ph);                                                             \
            KK_FX_MP_ALLV(KK_FX_MP_FILL, c2, r0, K, S);                                                          \
        }                                                                                                        \
        for (int64_t oy = 0; oy < p->oh; oy++) {                                                                 \
            const int64_t iy0 = S * oy - p->ph;                                                                  \
            const float *rp0 = KK_FX_MP_ROWP(iy0), *rp1 = KK_FX_MP_ROWP(iy0 + 1), *rp2 = KK_FX_MP_ROWP(iy0 + 2); \
            float *yr = yp + oy * ow;                                                                            \
            (void)rp0;                                                                                           \
            (void)rp2;                                                                                           \
            KK_FX_MP_ALLV(KK_FX_MP_CELLS, K, S);                                                                 \
        }                                                                                                        \
    } while (0)

/* The plane function, instantiated per instruction set with KK_MP_*
 * defined: V vector type of VL lanes, SET1 / LD / ST / MAX its broadcast,
 * load, store and maxps; LDM(ptr, m) loads lanes m (bit mask), -inf in the
 * others; HALF(lo, hi, idx) the even or odd floats of two vectors (IDX(par)
 * makes idx, of type VI); STN(ptr, n, v) stores lanes [0, n); NINF(v) the
 * bit mask of lanes equal to -inf (ninf). */
#define KK_FX_MAXPOOL(NAME, ATTR)                                                                                \
    ATTR KK_API void NAME(const kk_fdw_f32 *p, int64_t plane) {                                                  \
        kk_fx_mpgeo g;                                                                                           \
        if (!kk_fx_mpgeo_init(p, KK_MP_VL, &g)) {                                                                \
            _mm256_zeroupper();                                                                                  \
            kk_fmaxpool_plane_c(p, plane);                                                                       \
            return;                                                                                              \
        }                                                                                                        \
        const int64_t span = (p->kh - 1) * p->dh + 1, ow = p->ow, kw = p->kw, hw = g.nvec * KK_MP_VL;            \
        float hb[KK_FX_MP_HBUF];                                                                                 \
        int64_t tag[KK_FX_MP_SLOTS];                                                                             \
        const float *rows[KK_FX_MP_SLOTS];                                                                       \
        KK_MP_VI idx[KK_FX_MP_TAPS];                                                                             \
        for (int64_t b = 0; b < kw; b++) idx[b] = KK_MP_IDX(g.par[b]);                                           \
        const float *xp = p->x + plane * p->ih * p->iw;                                                          \
        float *yp = p->y + plane * p->oh * ow;                                                                   \
        const KK_MP_V ninf = KK_MP_SET1(-INFINITY);                                                              \
        if (p->dh == 1 && p->dw == 1 && p->kh == kw && p->sh == p->sw &&                                         \
            ((p->sw == 2 && (kw == 2 || kw == 3)) || (p->sw == 1 && kw == 3))) {                                 \
            if (p->sw == 1) KK_FX_MP_SMALL(3, 1);                                                                \
            else if (kw == 3) KK_FX_MP_SMALL(3, 2);                                                              \
            else KK_FX_MP_SMALL(2, 2);                                                                           \
            return;                                                                                              \
        }                                                                                                        \
        for (int64_t q = 0; q < span; q++) tag[q] = -1;                                                          \
        /* ring slot of input row iy: iy mod span, kept without divisions */                                     \
        const int64_t dsh = p->sh % span, ddh = p->dh % span;                                                    \
        int64_t slot0 = (span - p->ph % span) % span;                                                            \
        for (int64_t oy = 0; oy < p->oh; oy++, slot0 = slot0 + dsh >= span ? slot0 + dsh - span : slot0 + dsh) { \
            int64_t nr = 0;                                                                                      \
            for (int64_t a = 0, slot = slot0; a < p->kh;                                                         \
                 a++, slot = slot + ddh >= span ? slot + ddh - span : slot + ddh) {                              \
                const int64_t iy = oy * p->sh + a * p->dh - p->ph;                                               \
                if (iy < 0 || iy >= p->ih) continue;                                                             \
                float *h = hb + slot * hw;                                                                       \
                rows[nr++] = h;                                                                                  \
                if (tag[slot] == iy) continue;                                                                   \
                tag[slot] = iy;                                                                                  \
                const float *xr = xp + iy * p->iw;                                                               \
                if (p->sw == 2) {                                                                                \
                    if (kw == 3) KK_FX_MP_HROW(3, 2);                                                            \
                    else if (kw == 2) KK_FX_MP_HROW(2, 2);                                                       \
                    else KK_FX_MP_HROW(0, 2);                                                                    \
                } else {                                                                                         \
                    if (kw == 3) KK_FX_MP_HROW(3, 1);                                                            \
                    else if (kw == 2) KK_FX_MP_HROW(2, 1);                                                       \
                    else KK_FX_MP_HROW(0, 1);                                                                    \
                }                                                                                                \
            }                                                                                                    \
            float *yr = yp + oy * ow;                                                                            \
            if (nr == 0) { /* no input row (kk_fmaxpool_windows_ok rules it out): as the plain loop */           \
                for (int64_t ox = 0; ox < ow; ox++) yr[ox] = NAN;                                                \
                continue;                                                                                        \
            }                                                                                                    \
            const float *r0 = rows[0], *r1 = rows[nr > 1], *r2 = rows[nr > 2 ? 2 : 0];                           \
            for (int64_t ox = 0; ox < ow; ox += KK_MP_VL) {                                                      \
                KK_MP_V acc = KK_MP_LD(r0 + ox);                                                                 \
                if (nr == 2 || nr == 3) acc = KK_MP_MAX(KK_MP_LD(r1 + ox), acc);                                 \
                if (nr == 3) acc = KK_MP_MAX(KK_MP_LD(r2 + ox), acc);                                            \
                if (nr > 3)                                                                                      \
                    for (int64_t a = 1; a < nr; a++) acc = KK_MP_MAX(KK_MP_LD(rows[a] + ox), acc);               \
                unsigned bad = KK_MP_NINF(acc);                                                                  \
                if (ox + KK_MP_VL <= ow) KK_MP_ST(yr + ox, acc);                                                 \
                else {                                                                                           \
                    KK_MP_STN(yr + ox, ow - ox, acc);                                                            \
                    bad &= (1u << (ow - ox)) - 1u;                                                               \
                }                                                                                                \
                for (; bad; bad &= bad - 1u) {                                                                   \
                    const int64_t l = __builtin_ctz(bad);                                                        \
                    yr[ox + l] = kk_fmaxpool_point_c(p, xp, oy, ox + l);                                              \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
    }

/* AVX-512 */
KK_X512 KK_FX_INLINE __m512i kk_fx_mp_idx512(int64_t par) {
    return _mm512_add_epi32(_mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30),
                            _mm512_set1_epi32((int)par));
}
#define KK_MP_V __m512
#define KK_MP_VI __m512i
#define KK_MP_VL 16
#define KK_MP_SET1 _mm512_set1_ps
#define KK_MP_LD _mm512_loadu_ps
#define KK_MP_ST _mm512_storeu_ps
#define KK_MP_MAX _mm512_max_ps
#define KK_MP_LDM(ptr, m) _mm512_mask_loadu_ps(ninf, (__mmask16)(m), ptr)
#define KK_MP_HALF(lo, hi, idx) _mm512_permutex2var_ps(lo, idx, hi)
#define KK_MP_IDX kk_fx_mp_idx512
#define KK_MP_STN(ptr, n, v) _mm512_mask_storeu_ps(ptr, kk_fx_mask512(n), v)
#define KK_MP_NINF(v) ((unsigned)_mm512_cmp_ps_mask(v, ninf, _CMP_EQ_OQ))
KK_FX_MAXPOOL(kk_fmaxpool_plane_avx512, KK_X512)
#undef KK_MP_V
#undef KK_MP_VI
#undef KK_MP_VL
#undef KK_MP_SET1
#undef KK_MP_LD
#undef KK_MP_ST
#undef KK_MP_MAX
#undef KK_MP_LDM
#undef KK_MP_HALF
#undef KK_MP_IDX
#undef KK_MP_STN
#undef KK_MP_NINF

/* AVX2: lanes of bit mask m read memory, the others -inf. */
KK_X256 KK_FX_INLINE __m256 kk_fx_mp_ldm256(const float *ptr, uint32_t m, __m256 ninf) {
    const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i vm = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)m), bits), bits);
    return _mm256_blendv_ps(ninf, _mm256_maskload_ps(ptr, vm), _mm256_castsi256_ps(vm));
}
/* The even (par 0) or odd (par 1) floats of lo, hi: idx holds par, 2 + par,
 * 4 + par, 6 + par twice. */
KK_X256 KK_FX_INLINE __m256i kk_fx_mp_idx256(int64_t par) {
    return _mm256_add_epi32(_mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6), _mm256_set1_epi32((int)par));
}
#define KK_MP_V __m256
#define KK_MP_VI __m256i
#define KK_MP_VL 8
#define KK_MP_SET1 _mm256_set1_ps
#define KK_MP_LD _mm256_loadu_ps
#define KK_MP_ST _mm256_storeu_ps
#define KK_MP_MAX _mm256_max_ps
#define KK_MP_LDM(ptr, m) kk_fx_mp_ldm256(ptr, m, ninf)
#define KK_MP_HALF(lo, hi, idx)                                                                                  \
    _mm256_blend_ps(_mm256_permutevar8x32_ps(lo, idx), _mm256_permutevar8x32_ps(hi, idx), 0xF0)
#define KK_MP_IDX kk_fx_mp_idx256
#define KK_MP_STN(ptr, n, v) _mm256_maskstore_ps(ptr, kk_fx_mask256((int)((n) < 8 ? (n) : 8)), v)
#define KK_MP_NINF(v) ((unsigned)_mm256_movemask_ps(_mm256_cmp_ps(v, ninf, _CMP_EQ_OQ)))
KK_FX_MAXPOOL(kk_fmaxpool_plane_avx2, KK_X256)
#undef KK_MP_V
#undef KK_MP_VI
#undef KK_MP_VL
#undef KK_MP_SET1
#undef KK_MP_LD
#undef KK_MP_ST
#undef KK_MP_MAX
#undef KK_MP_LDM
#undef KK_MP_HALF
#undef KK_MP_IDX
#undef KK_MP_STN
#undef KK_MP_NINF

/* Short row copies of panel packing: masked vector moves (stride 1 or 2),
 * no call into memcpy. */
KK_X512 KK_API void kk_fcopy_avx512(float *dst, const float *src, int64_t n, int64_t stride) {
    if (src && stride > 2) {
        for (int64_t i = 0; i < n; i++) dst[i] = src[i * stride];
        return;
    }
    const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = kk_fx_mask512(n - i);
        __m512 v = _mm512_setzero_ps();
        if (src && stride == 1) v = _mm512_maskz_loadu_ps(m, src + i);
        else if (src) /* elements 2i .. 2(n-1): nothing past the last one is read */
            v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(kk_fx_mask512(2 * (n - i) - 1), src + 2 * i), idx,
                                       _mm512_maskz_loadu_ps(kk_fx_mask512(2 * (n - i) - 17), src + 2 * i + 16));
        _mm512_mask_storeu_ps(dst + i, m, v);
    }
}

KK_X256 KK_API void kk_fcopy_avx2(float *dst, const float *src, int64_t n, int64_t stride) {
    if (src && stride > 1) {
        for (int64_t i = 0; i < n; i++) dst[i] = src[i * stride];
        return;
    }
    for (int64_t i = 0; i < n; i += 8) {
        const __m256i m = kk_fx_mask256((int)(n - i < 8 ? n - i : 8));
        _mm256_maskstore_ps(dst + i, m, src ? _mm256_maskload_ps(src + i, m) : _mm256_setzero_ps());
    }
}

/* AVX-512 im2col by gathers, for outputs rows shorter than a panel (many
 * short runs per panel row) or strides above 1 (a copy per run of a
 * strided row costs more than the gathers): per output column its
 * input coordinates without the tap, per row the tap's displacement, a
 * bounds mask (padding reads zero) and one gather per 16 columns. */
/* gcc's unoptimized (-O0) gather intrinsic is a macro whose mask cast trips
 * -Wsign-conversion under -Wconversion */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wconversion"
KK_X512 KK_API int kk_fpack_avx512(const kk_fconv_f32 *p, const float *xg, int64_t k0, int64_t kc, int64_t j0,
                                   int64_t ncols, float *dst) {
    enum { NR = 32, MAXC = KK_FCONV_NCP * 32 };
    if ((p->out[2] >= NR && p->s[2] < 2) || p->isz >= ((int64_t)1 << 30) || ncols > MAXC) return 0;
    const int64_t np = (ncols + NR - 1) / NR, O1 = p->out[1], O2 = p->out[2];
    int32_t b0[MAXC], b1[MAXC], b2[MAXC], of[MAXC];
    int64_t o0 = j0 / (O1 * O2), o1 = (j0 / O2) % O1, o2 = j0 % O2;
    for (int64_t j = 0; j < np * NR; j++) {
        if (j < ncols) {
            b0[j] = (int32_t)(o0 * p->s[0] - p->pb[0]);
            b1[j] = (int32_t)(o1 * p->s[1] - p->pb[1]);
            b2[j] = (int32_t)(o2 * p->s[2] - p->pb[2]);
            of[j] = (int32_t)(((int64_t)b0[j] * p->in[1] + b1[j]) * p->in[2] + b2[j]);
            if (++o2 == O2) {
                o2 = 0;
                if (++o1 == O1) {
                    o1 = 0;
                    o0++;
                }
            }
        } else { /* past the last column: never inside */
            b0[j] = b1[j] = b2[j] = -(1 << 30);
            of[j] = 0;
        }
    }
    const __m512i in0 = _mm512_set1_epi32((int32_t)p->in[0]), in1 = _mm512_set1_epi32((int32_t)p->in[1]);
    const __m512i in2 = _mm512_set1_epi32((int32_t)p->in[2]);
    const int64_t K1 = p->ks[1], K2 = p->ks[2];
    int64_t t2 = k0 % K2, t1 = (k0 / K2) % K1, t0 = (k0 / (K2 * K1)) % p->ks[0], ch = k0 / p->ksz;
    for (int64_t q = 0; q < kc; q++) {
        const int32_t d0 = (int32_t)(t0 * p->d[0]), d1 = (int32_t)(t1 * p->d[1]), d2 = (int32_t)(t2 * p->d[2]);
        const __m512i vd0 = _mm512_set1_epi32(d0), vd1 = _mm512_set1_epi32(d1), vd2 = _mm512_set1_epi32(d2);
        const __m512i vt = _mm512_set1_epi32((int32_t)(((int64_t)d0 * p->in[1] + d1) * p->in[2] + d2));
        const float *xc = xg + ch * p->isz;
        for (int64_t g = 0; g < 2 * np; g++) {
            const int64_t j = g * 16;
            __mmask16 m = _mm512_cmplt_epu32_mask(_mm512_add_epi32(_mm512_loadu_si512(b0 + j), vd0), in0);
            m &= _mm512_cmplt_epu32_mask(_mm512_add_epi32(_mm512_loadu_si512(b1 + j), vd1), in1);
            m &= _mm512_cmplt_epu32_mask(_mm512_add_epi32(_mm512_loadu_si512(b2 + j), vd2), in2);
            const __m512i idx = _mm512_add_epi32(_mm512_loadu_si512(of + j), vt);
            const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, xc, 4);
            _mm512_storeu_ps(dst + (g / 2) * kc * NR + q * NR + (g % 2) * 16, v);
        }
        if (++t2 == K2) {
            t2 = 0;
            if (++t1 == K1) {
                t1 = 0;
                if (++t0 == p->ks[0]) {
                    t0 = 0;
                    ch++;
                }
            }
        }
    }
    return 1;
}
#pragma GCC diagnostic pop

/* ------------------------------------------ direct convolution tile */

/* n (1..4) floats at r, zeros above. */
KK_X512 KK_FX_INLINE __m128 kk_fx_dload4(const float *r, int n) {
    switch (n) {
    case 4: return _mm_loadu_ps(r);
    case 3: return _mm_movelh_ps(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)r)), _mm_load_ss(r + 2));
    case 2: return _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)r));
    default: return _mm_load_ss(r);
    }
}

/* Stores n (1..4) floats of v at o, after adding those at r (when not
 * NULL) and clamping at 0 (relu). */
KK_X512 KK_FX_INLINE void kk_fx_dstore4(float *o, __m128 v, int n, const float *r, int relu) {
    if (r) v = _mm_add_ps(v, kk_fx_dload4(r, n));
    if (relu) v = _mm_max_ps(v, _mm_setzero_ps());
    switch (n) {
    case 4: _mm_storeu_ps(o, v); break;
    case 3:
        _mm_storel_epi64((__m128i *)(void *)o, _mm_castps_si128(v));
        _mm_store_ss(o + 2, _mm_movehl_ps(v, v));
        break;
    case 2: _mm_storel_epi64((__m128i *)(void *)o, _mm_castps_si128(v)); break;
    default: _mm_store_ss(o, v);
    }
}

/* 16 output channels (the first nch of them) of np (<= 6) positions,
 * position j's in rj, stored transposed: channel i to o + i * ldo (plus
 * res + i * ldo when res is not NULL). Two unpack / shuffle rounds give, in
 * 128-bit lane L of u[j] (positions 0..3) and h[j] (positions 4, 5),
 * channel 4 L + j. */
KK_X512 KK_FX_INLINE void kk_fx_dstore16(float *o, int64_t ldo, int np, int nch, __m512 r0, __m512 r1, __m512 r2,
                                         __m512 r3, __m512 r4, __m512 r5, const float *res, int relu) {
    const __m512 z = _mm512_setzero_ps();
    const __m512 t0 = _mm512_unpacklo_ps(r0, r1), t1 = _mm512_unpackhi_ps(r0, r1);
    const __m512 t2 = _mm512_unpacklo_ps(r2, r3), t3 = _mm512_unpackhi_ps(r2, r3);
    const __m512 t4 = _mm512_unpacklo_ps(r4, r5), t5 = _mm512_unpackhi_ps(r4, r5);
    const __m512 u[4] = {_mm512_shuffle_ps(t0, t2, 0x44), _mm512_shuffle_ps(t0, t2, 0xEE),
                         _mm512_shuffle_ps(t1, t3, 0x44), _mm512_shuffle_ps(t1, t3, 0xEE)};
    const __m512 h[4] = {_mm512_shuffle_ps(t4, z, 0x44), _mm512_shuffle_ps(t4, z, 0xEE),
                         _mm512_shuffle_ps(t5, z, 0x44), _mm512_shuffle_ps(t5, z, 0xEE)};
    const int n0 = np < 4 ? np : 4;
#define KK_DST(L)                                                                                   \
    for (int j = 0; j < 4 && 4 * L + j < nch; j++) {                                                \
        const int64_t at = (4 * L + j) * ldo;                                                       \
        kk_fx_dstore4(o + at, _mm512_extractf32x4_ps(u[j], L), n0, res ? res + at : NULL, relu);    \
        if (np > 4)                                                                                 \
            kk_fx_dstore4(o + at + 4, _mm512_extractf32x4_ps(h[j], L), np - 4, res ? res + at + 4 : NULL, relu); \
    }
    KK_DST(0) KK_DST(1) KK_DST(2) KK_DST(3)
#undef KK_DST
}

/* The tile of kk_fdtile for constant mv and np: mv x np accumulators;
 * part: the last vector is partial (t->tail < 16: masked loads, only its
 * channels stored), a constant too, so whole vectors pay nothing for it. */
KK_X512 KK_FX_INLINE void kk_fx_dtile_part(const kk_fdtile *t, const int mv, const int np, const int part) {
    const int32_t *koff = t->koff;
    const float *w = t->w;
    const int tail = part ? t->tail : 16;
    const int64_t ws = (mv - 1) * 16 + tail; /* floats per tap */
    const __mmask16 lm = (__mmask16)((1u << tail) - 1u); /* the last vector's channels */
/* vector v of p (weights or bias): the last one masked to the tile's channels */
#define KK_DLDV(p, v) (part && (v) == mv - 1 ? _mm512_maskz_loadu_ps(lm, (p) + 16 * (v)) : _mm512_loadu_ps((p) + 16 * (v)))
    const float *x0 = t->xp[0], *x1 = t->xp[1], *x2 = t->xp[2], *x3 = t->xp[3], *x4 = t->xp[4], *x5 = t->xp[5];
#define KK_DECL(p)                                                                                  \
    __m512 a0##p = _mm512_setzero_ps(), a1##p = _mm512_setzero_ps(), a2##p = _mm512_setzero_ps(),   \
           a3##p = _mm512_setzero_ps();
    KK_R6(KK_DECL)
#undef KK_DECL
    float *acc = t->acc;
#define KK_DLD(v, p)                                                                                \
    if (v < mv && p < np) a##v##p = _mm512_load_ps(acc + (p * KK_FD_MB + 16 * v));
#define KK_DLDP(p) KK_DLD(0, p) KK_DLD(1, p) KK_DLD(2, p) KK_DLD(3, p)
    if (!t->first) {
        KK_R6(KK_DLDP)
    }
#undef KK_DLDP
#undef KK_DLD
#define KK_DFMA(p)                                                                                  \
    if (p < np) {                                                                                   \
        const __m512 bp = _mm512_set1_ps(x##p[off]);                                                \
        a0##p = _mm512_fmadd_ps(w0, bp, a0##p);                                                     \
        if (mv > 1) a1##p = _mm512_fmadd_ps(w1, bp, a1##p);                                         \
        if (mv > 2) a2##p = _mm512_fmadd_ps(w2, bp, a2##p);                                         \
        if (mv > 3) a3##p = _mm512_fmadd_ps(w3, bp, a3##p);                                         \
    }
#define KK_DSTEP                                                                                    \
    const int32_t off = koff[k];                                                                    \
    const __m512 w0 = KK_DLDV(w, 0);                                                                \
    const __m512 w1 = mv > 1 ? KK_DLDV(w, 1) : w0;                                                  \
    const __m512 w2 = mv > 2 ? KK_DLDV(w, 2) : w0;                                                  \
    const __m512 w3 = mv > 3 ? KK_DLDV(w, 3) : w0;                                                  \
    KK_R6(KK_DFMA)                                                                                  \
    w += ws;
    if (t->pf) { /* the block's weights stream from memory (first tile of a task) */
        for (int64_t k = 0; k < t->kn; k++) {
            for (int v = 0; v < mv; v++) _mm_prefetch((const char *)(w + KK_FD_PF + 16 * v), _MM_HINT_T0);
            KK_DSTEP
        }
    } else {
        for (int64_t k = 0; k < t->kn; k++) {
            KK_DSTEP
        }
    }
#undef KK_DSTEP
#undef KK_DFMA
    if (!t->last) { /* partial sums of a K block */
#define KK_DST(v, p)                                                                                \
    if (v < mv && p < np) _mm512_store_ps(acc + (p * KK_FD_MB + 16 * v), a##v##p);
#define KK_DSTP(p) KK_DST(0, p) KK_DST(1, p) KK_DST(2, p) KK_DST(3, p)
        KK_R6(KK_DSTP)
#undef KK_DSTP
#undef KK_DST
        return;
    }
    const int act = t->act, vact = !t->res && act && kk_fx_vec_act(act);
#define KK_DEPI(v, p)                                                                               \
    if (v < mv && p < np) {                                                                         \
        if (t->bias) a##v##p = _mm512_add_ps(a##v##p, bv);                                          \
        if (vact) a##v##p = kk_fx_act512(a##v##p, act, t->alpha, t->beta);                          \
    }
#define KK_DGRP(v)                                                                                  \
    if (v < mv) {                                                                                   \
        const __m512 bv = t->bias ? KK_DLDV(t->bias, v) : _mm512_setzero_ps();                     \
        KK_DEPI(v, 0) KK_DEPI(v, 1) KK_DEPI(v, 2) KK_DEPI(v, 3) KK_DEPI(v, 4) KK_DEPI(v, 5)         \
        kk_fx_dstore16(t->o + 16 * v * t->ldo, t->ldo, np, v == mv - 1 ? tail : 16, a##v##0, a##v##1, a##v##2, a##v##3, a##v##4, \
                       a##v##5, t->res ? t->res + 16 * v * t->ldo : NULL, t->res && act == KK_UN_RELU); \
    }
    KK_DGRP(0) KK_DGRP(1) KK_DGRP(2) KK_DGRP(3)
#undef KK_DGRP
#undef KK_DEPI
    if (act && !vact && !(t->res && act == KK_UN_RELU)) {
        const kk_ftile ft = {.c = t->o, .ldc = t->ldo, .mr = (int)ws, .nr = np, .act = act, .alpha = t->alpha,
                             .beta = t->beta};
        _mm256_zeroupper(); /* kk_ftile_act is plain C: no dirty upper state */
        kk_ftile_act(&ft);
    }
}

#undef KK_DLDV

KK_X512 KK_FX_INLINE void kk_fx_dtile(const kk_fdtile *t, const int mv, const int np) {
    if (t->tail == 16) kk_fx_dtile_part(t, mv, np, 0);
    else kk_fx_dtile_part(t, mv, np, 1);
}

#define KK_DT_NP(mv) \
    KK_DT(mv, 1) KK_DT(mv, 2) KK_DT(mv, 3) KK_DT(mv, 4) KK_DT(mv, 5) KK_DT(mv, 6)
#define KK_DT(mv, np) \
    KK_X512 static void kk_fdtile_avx512_##mv##_##np(const kk_fdtile *t) { kk_fx_dtile(t, mv, np); }
KK_DT_NP(1) KK_DT_NP(2) KK_DT_NP(3) KK_DT_NP(4)
#undef KK_DT
#define KK_DT(mv, np) kk_fdtile_avx512_##mv##_##np,
static kk_fdtile_fn *const kk_fdtiles_avx512[4][KK_FD_NP] = {
    {KK_DT_NP(1)}, {KK_DT_NP(2)}, {KK_DT_NP(3)}, {KK_DT_NP(4)}};
#undef KK_DT
#undef KK_DT_NP

static void kk_fdtile_avx512(const kk_fdtile *t) { kk_fdtiles_avx512[t->mv - 1][t->np - 1](t); }

KK_API kk_fisa kk_fisa_x86(int isa) {
    kk_fisa k = kk_fisa_portable(isa);
    if (isa == KK_ISA_AVX512 && __builtin_cpu_supports("avx512f")) {
        k.ukr = kk_fukr_avx512;
        k.ukrs = kk_fukrs_avx512;
        k.ukra = kk_fukra_avx512;
        k.gemv = kk_fgemv_avx512;
        k.dw = kk_dwx_plane_avx512;
        k.maxpool = kk_fmaxpool_plane_avx512;
        k.copy = kk_fcopy_avx512;
        k.pack = kk_fpack_avx512;
        k.dtile = kk_fdtile_avx512;
    } else if (isa == KK_ISA_AVX2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        k.ukr = kk_fukr_avx2;
        k.ukrs = kk_fukrs_avx2;
        k.ukra = kk_fukra_avx2;
        k.gemv = kk_fgemv_avx2;
        k.dw = kk_dwx_plane_avx2;
        k.maxpool = kk_fmaxpool_plane_avx2;
        k.copy = kk_fcopy_avx2;
    }
    return k;
}

#else /* not x86: the plain C kernels of the same geometry */

KK_API kk_fisa kk_fisa_x86(int isa) { return kk_fisa_portable(isa); }

#endif
