/*
 * fast/fast_x86.c - AVX2+FMA and AVX-512 kernels of kiln's fast path
 * (kk_fast_x86.h): the register-blocked SGEMM micro-kernels (6x16 on AVX2:
 * 12 accumulators; 8x32 on AVX-512: 16 accumulators, two B vectors and one
 * A broadcast per row and k) and the MaxPool plane loops (one vector of
 * output columns per step, stride 2 through a deinterleaving load); the
 * depthwise planes are in dw_x86.c.
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

/* An activation without a vector form over one output row of a depthwise
 * plane, through kk_act_f32 (plain C): the upper vector state is cleared
 * first, as calling non-VEX code with it dirty costs a transition. */
KK_API void kk_fx_act_row(const kk_fdw_f32 *p, float *row) {
    for (int64_t j = 0; j < p->ow; j++) row[j] = kk_act_f32(p->act, row[j], p->alpha, p->beta);
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
        __m512 s = _mm512_div_ps(one, _mm512_add_ps(one, kk_fx_exp512(_mm512_sub_ps(zero, z))));
        return act == KK_UN_SIGMOID ? s : _mm512_mul_ps(v, s);
    }
    case KK_UN_TANH: { /* sign(x) (1 - e) / (1 + e), e = exp(-2|x|) */
        const __m512 e = kk_fx_exp512(_mm512_mul_ps(_mm512_abs_ps(v), _mm512_set1_ps(-2.0f)));
        const __m512 t = _mm512_div_ps(_mm512_sub_ps(one, e), _mm512_add_ps(one, e));
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
    for (int64_t k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#define KK_FMA(i)                                                       \
    {                                                                   \
        const __m512 ai = _mm512_set1_ps(a[i * ars]);                   \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                     \
        c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);                     \
    }
        KK_R8(KK_FMA)
#undef KK_FMA
        a += aks;
        b += ldb;
    }
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

/* 16 floats from x, x + s, ... (s is 1 or 2). */
KK_X512 KK_FX_INLINE __m512 kk_fx_load512(const float *x, int64_t s) {
    if (s == 1) return _mm512_loadu_ps(x);
    const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(x), idx, _mm512_loadu_ps(x + 16));
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
        __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, kk_fx_exp256(_mm256_sub_ps(zero, z))));
        return act == KK_UN_SIGMOID ? s : _mm256_mul_ps(v, s);
    }
    case KK_UN_TANH: { /* sign(x) (1 - e) / (1 + e), e = exp(-2|x|) */
        const __m256 sign = _mm256_set1_ps(-0.0f);
        const __m256 e = kk_fx_exp256(_mm256_mul_ps(_mm256_andnot_ps(sign, v), _mm256_set1_ps(-2.0f)));
        const __m256 t = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
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
    for (int64_t k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#define KK_FMA(i)                                                       \
    {                                                                   \
        const __m256 ai = _mm256_broadcast_ss(a + i * ars);             \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                     \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                     \
    }
        KK_R6(KK_FMA)
#undef KK_FMA
        a += aks;
        b += ldb;
    }
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

/* 8 floats from x, x + s, ... (s is 1 or 2). */
KK_X256 KK_FX_INLINE __m256 kk_fx_load256(const float *x, int64_t s) {
    if (s == 1) return _mm256_loadu_ps(x);
    __m256 e = _mm256_shuffle_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8), 0x88);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8));
}

/* ------------------------------------------ MaxPool planes (depthwise form) */

#define KK_FX_DW_BUF 16384 /* floats of padded input rows on the stack (64 KiB) */
#define KK_FX_DW_SLOTS 32  /* most padded rows one output row reads: (kh - 1) * dh + 1 */

/* One plane (written for depthwise and MaxPool; only MaxPool instantiates
 * it now, dw_x86.c has the blocked depthwise kernels). The input rows an output row reads are copied, zero-padded
 * left and right, into a ring of row slots on the stack (a row stays while
 * the next output rows still read it), so every output column is
 * "interior": blocks of four vectors, then single vectors, the last one
 * masked. Taps are summed in (kh, kw) order from zero, then bias, residual
 * and activation, like kk_fdw_plane_c. Instantiated per instruction set:
 * V vector type and VL lanes, LD(ptr, s) / LDM / ST / STM (masked) loads and
 * stores, MKT mask type built by MK(n), ACT the vector activation. */
#define KK_FX_DW_PLANE(NAME, ATTR, ISMAX, V, VL, SET1, ZERO, FMA, MAXOP, ADD, LD, ST, MKT, MK, LDM, STM, ACT, CPLANE) \
    ATTR KK_API void NAME(const kk_fdw_f32 *p, int64_t plane) {                                                  \
        const int64_t sw = p->sw, span = (p->kh - 1) * p->dh + 1;                                                \
        int64_t wpad = p->ow * sw + (p->kw - 1) * p->dw + VL * sw + 1;                                           \
        if (wpad < p->pw + p->iw) wpad = p->pw + p->iw;                                                          \
        wpad = (wpad + 15) / 16 * 16;                                                                            \
        if (sw > 2 || span > KK_FX_DW_SLOTS || span * wpad > KK_FX_DW_BUF) {                                     \
            _mm256_zeroupper();                                                                                  \
            CPLANE(p, plane);                                                                                    \
            return;                                                                                              \
        }                                                                                                        \
        const float padv = ISMAX ? NAN : 0.0f; /* what padding reads as (MaxPool: skipped like NaN) */           \
        float buf[KK_FX_DW_BUF];                                                                                 \
        int64_t tag[KK_FX_DW_SLOTS];                                                                             \
        const float *rows[KK_FX_DW_SLOTS];                                                                       \
        for (int64_t q = 0; q < span; q++) tag[q] = -1;                                                          \
        const int64_t ch = plane % p->c;                                                                         \
        const float *xp = p->x + plane * p->ih * p->iw;                                                          \
        const float *wp = p->w ? p->w + ch * p->kh * p->kw : NULL;                                               \
        float *yp = p->y + plane * p->oh * p->ow;                                                                \
        const float *rp = p->res ? p->res + plane * p->oh * p->ow : NULL;                                        \
        const V bias = SET1(p->b ? p->b[ch] : 0.0f), init = ISMAX ? SET1(NAN) : ZERO();                          \
        const int vact = kk_fx_vec_act(p->act);                                                                  \
        for (int64_t oy = 0; oy < p->oh; oy++) {                                                                 \
            float *yr = yp + oy * p->ow;                                                                         \
            const float *rr = rp ? rp + oy * p->ow : NULL;                                                       \
            for (int64_t a = 0; a < p->kh; a++) {                                                                \
                const int64_t iy = oy * p->sh + a * p->dh - p->ph;                                               \
                rows[a] = NULL;                                                                                  \
                if (iy < 0 || iy >= p->ih) continue;                                                             \
                float *dst = buf + (iy % span) * wpad;                                                           \
                if (tag[iy % span] != iy) {                                                                      \
                    tag[iy % span] = iy;                                                                         \
                    for (int64_t q = 0; q < p->pw; q++) dst[q] = padv;                                           \
                    memcpy(dst + p->pw, xp + iy * p->iw, (size_t)p->iw * sizeof(float));                         \
                    for (int64_t q = p->pw + p->iw; q < wpad; q++) dst[q] = padv;                                \
                }                                                                                                \
                rows[a] = dst;                                                                                   \
            }                                                                                                    \
            int64_t ox = 0;                                                                                      \
            for (; ox + 4 * VL <= p->ow; ox += 4 * VL) {                                                         \
                V c0 = init, c1 = init, c2 = init, c3 = init;                                                    \
                for (int64_t a = 0; a < p->kh; a++) {                                                            \
                    if (!rows[a]) continue;                                                                      \
                    const float *xr = rows[a] + ox * sw;                                                         \
                    for (int64_t b = 0; b < p->kw; b++) {                                                        \
                        const float *xq = xr + b * p->dw;                                                        \
                        if (ISMAX) {                                                                             \
                            c0 = MAXOP(c0, LD(xq, sw));                                                          \
                            c1 = MAXOP(c1, LD(xq + VL * sw, sw));                                                \
                            c2 = MAXOP(c2, LD(xq + 2 * VL * sw, sw));                                            \
                            c3 = MAXOP(c3, LD(xq + 3 * VL * sw, sw));                                            \
                            continue;                                                                            \
                        }                                                                                        \
                        const V wv = SET1(wp[a * p->kw + b]);                                                    \
                        c0 = FMA(wv, LD(xq, sw), c0);                                                            \
                        c1 = FMA(wv, LD(xq + VL * sw, sw), c1);                                                  \
                        c2 = FMA(wv, LD(xq + 2 * VL * sw, sw), c2);                                              \
                        c3 = FMA(wv, LD(xq + 3 * VL * sw, sw), c3);                                              \
                    }                                                                                            \
                }                                                                                                \
                V cs[4] = {c0, c1, c2, c3};                                                                      \
                for (int q = 0; q < 4; q++) {                                                                    \
                    V v = cs[q];                                                                                 \
                    if (!ISMAX) {                                                                                \
                        v = ADD(v, bias);                                                                        \
                        if (rr) v = ADD(v, LD(rr + ox + q * VL, 1));                                             \
                        if (vact && p->act) v = ACT(v, p->act, p->alpha, p->beta);                               \
                    }                                                                                            \
                    ST(yr + ox + q * VL, v);                                                                     \
                }                                                                                                \
            }                                                                                                    \
            for (; ox < p->ow; ox += VL) {                                                                       \
                const MKT m = MK(p->ow - ox);                                                                     \
                V c0 = init;                                                                                     \
                for (int64_t a = 0; a < p->kh; a++) {                                                            \
                    if (!rows[a]) continue;                                                                      \
                    const float *xr = rows[a] + ox * sw;                                                         \
                    for (int64_t b = 0; b < p->kw; b++)                                                          \
                        c0 = ISMAX ? MAXOP(c0, LD(xr + b * p->dw, sw))                                           \
                                   : FMA(SET1(wp[a * p->kw + b]), LD(xr + b * p->dw, sw), c0);                   \
                }                                                                                                \
                V v = c0;                                                                                        \
                if (!ISMAX) {                                                                                    \
                    v = ADD(v, bias);                                                                            \
                    if (rr) v = ADD(v, LDM(rr + ox, m));                                                         \
                    if (vact && p->act) v = ACT(v, p->act, p->alpha, p->beta);                                   \
                }                                                                                                \
                STM(yr + ox, m, v);                                                                              \
            }                                                                                                    \
            if (!ISMAX && !vact) {                                                                               \
                _mm256_zeroupper();                                                                              \
                kk_fx_act_row(p, yr);                                                                            \
            }                                                                                                    \
        }                                                                                                        \
    }

#define KK_FX_LDM512(ptr, m) _mm512_maskz_loadu_ps(m, ptr)
#define KK_FX_STM512(ptr, m, v) _mm512_mask_storeu_ps(ptr, m, v)
#define KK_FX_LDM256(ptr, m) _mm256_maskload_ps(ptr, m)
#define KK_FX_STM256(ptr, m, v) _mm256_maskstore_ps(ptr, m, v)
#define KK_FX_MK256(n) kk_fx_mask256((int)(n))
#define KK_FX_ST512(ptr, v) _mm512_storeu_ps(ptr, v)
#define KK_FX_ST256(ptr, v) _mm256_storeu_ps(ptr, v)

/* MaxPool's step from NaN ("nothing yet", also what padding reads as): x
 * replaces a NaN accumulator, a NaN x never replaces a number (maxps keeps
 * its second operand when x is NaN), as kk_fmaxpool_plane_c. */
KK_X512 KK_FX_INLINE __m512 kk_fx_fmax512(__m512 acc, __m512 x) {
    return _mm512_mask_mov_ps(_mm512_max_ps(x, acc), _mm512_cmp_ps_mask(acc, acc, _CMP_UNORD_Q), x);
}
KK_X256 KK_FX_INLINE __m256 kk_fx_fmax256(__m256 acc, __m256 x) {
    return _mm256_blendv_ps(_mm256_max_ps(x, acc), x, _mm256_cmp_ps(acc, acc, _CMP_UNORD_Q));
}
KK_FX_DW_PLANE(kk_fmaxpool_plane_avx512, KK_X512, 1, __m512, 16, _mm512_set1_ps, _mm512_setzero_ps,
               _mm512_fmadd_ps, kk_fx_fmax512, _mm512_add_ps, kk_fx_load512, KK_FX_ST512, __mmask16, kk_fx_mask512,
               KK_FX_LDM512, KK_FX_STM512, kk_fx_act512, kk_fmaxpool_plane_c)
KK_FX_DW_PLANE(kk_fmaxpool_plane_avx2, KK_X256, 1, __m256, 8, _mm256_set1_ps, _mm256_setzero_ps, _mm256_fmadd_ps,
               kk_fx_fmax256, _mm256_add_ps, kk_fx_load256, KK_FX_ST256, __m256i, KK_FX_MK256, KK_FX_LDM256,
               KK_FX_STM256, kk_fx_act256, kk_fmaxpool_plane_c)

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
