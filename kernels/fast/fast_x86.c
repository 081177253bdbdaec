/*
 * fast/fast_x86.c - AVX2+FMA and AVX-512 kernels of kiln's fast path
 * (kk_fast_x86.h): the register-blocked SGEMM micro-kernels (6x16 on AVX2:
 * 12 accumulators; 8x32 on AVX-512: 16 accumulators, two B vectors and one
 * A broadcast per row and k) and the AVX-512 tile of the direct
 * convolution; the depthwise planes are in dw_x86.c, the MaxPool planes in
 * maxpool_x86.c.
 *
 * Each function carries a target attribute, so the generated file builds
 * with plain `cc -std=c11` flags; kk_fisa_x86 checks the running CPU and
 * falls back to the plain C kernels of the same panel geometry.
 *
 * The epilogue (bias per row or column, residual, activation) runs on the
 * accumulators before the store. Activations without a vector form here
 * run through kk_ftile_act on the stored tile, while it is in L1.
 * The vector activations are kk_fx_act512 / kk_fx_act256 (kk_fast_x86.h).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"
#include "kk_fast.h"
#include "kk_direct.h"
#include "kk_dw_x86.h"
#include "kk_fast_x86.h"
#include "kk_maxpool_x86.h"

/* kk_fisa_x86 hands out the depthwise planes, the MaxPool planes and the
 * direct convolution's tile only where their headers came first: generated
 * code carries kk_dw_x86.h, kk_maxpool_x86.h and kk_direct.h only for a
 * model with such a node (the others keep kk_fisa_portable's plain C ones,
 * never called), so the compiler skips their unrolled loops. */

#if defined(__x86_64__) || defined(__i386__)

/* Activations with a vector form (kk_fx_act512 / kk_fx_act256, kk_fast_x86.h). */
KK_API int kk_fx_vec_act(int act) {
    return act == 0 || act == KK_UN_RELU || act == KK_UN_CLIP || act == KK_UN_LEAKY_RELU ||
           act == KK_UN_HARD_SIGMOID || act == KK_UN_HARD_SWISH || act == KK_UN_SIGMOID ||
           act == KK_UN_SILU || act == KK_UN_SWISH || act == KK_UN_TANH || act == KK_UN_GELU;
}

/* --------------------------------------------------------------- AVX-512 */

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

/* ------------------------------------------------------------------ AVX2 */

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
        const __m256i m = kk_fx_mask256(n - i);
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
#ifdef KK_DIRECT_H

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

/* Row mode (kk_direct.h): KK_FD_RC channels from c0 by NV vectors of
 * output columns from ox0 of output row oy (S: the column stride; both
 * constants). y and res point at the block's first output (NULL res: none).
 * last: the block ends the row, so its input loads are masked to the
 * padded row (the others stay inside it) and its stores to the n columns
 * left. */
KK_X512 KK_FX_INLINE void kk_fx_drow(const kk_fdirect_f32 *p, const float *xi, float *y, const float *res,
                                     int64_t c0, int64_t oy, int64_t ox0, const int NV, const int S,
                                     const int last) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const int64_t b0 = c0 / KK_FD_MB * KK_FD_MB, bw = p->m - b0 < KK_FD_MB ? p->m - b0 : KK_FD_MB;
    const int64_t rem = p->wp - ox0 * S, n = p->ow - ox0, npos = p->npos;
    const float *w = p->w + b0 * p->kn + (c0 - b0);
    __m512 acc[KK_FD_RC][KK_FD_RV];
    _Pragma("GCC unroll 8") for (int c = 0; c < KK_FD_RC; c++)
        _Pragma("GCC unroll 3") for (int v = 0; v < NV; v++) acc[c][v] = _mm512_setzero_ps();
    for (int64_t ci = 0; ci < p->c; ci++)
        for (int64_t ky = 0; ky < p->kh; ky++) {
            const float *xr = xi + (ci * p->hp + oy * p->sh + ky) * p->wp + ox0 * S;
            for (int64_t kx = 0; kx < p->kw; kx++, w += bw) {
                __m512 xv[KK_FD_RV];
                _Pragma("GCC unroll 3") for (int v = 0; v < NV; v++) {
                    const float *q = xr + kx + 16 * S * v;
                    const int64_t r = rem - kx - 16 * S * v; /* floats of the padded row from q */
                    const __m512 lo = last ? _mm512_maskz_loadu_ps(kk_fx_mask512(r), q) : _mm512_loadu_ps(q);
                    if (S == 1) {
                        xv[v] = lo;
                    } else {
                        const __m512 hi =
                            last ? _mm512_maskz_loadu_ps(kk_fx_mask512(r - 16), q + 16) : _mm512_loadu_ps(q + 16);
                        xv[v] = _mm512_permutex2var_ps(lo, even, hi);
                    }
                }
                _Pragma("GCC unroll 8") for (int c = 0; c < KK_FD_RC; c++) {
                    const __m512 wc = _mm512_set1_ps(w[c]);
                    _Pragma("GCC unroll 3") for (int v = 0; v < NV; v++) acc[c][v] =
                        _mm512_fmadd_ps(wc, xv[v], acc[c][v]);
                }
            }
        }
    const int act = p->act, vact = act && kk_fx_vec_act(act);
    _Pragma("GCC unroll 8") for (int c = 0; c < KK_FD_RC; c++) {
        const __m512 bv = _mm512_set1_ps(p->b ? p->b[c0 + c] : 0.0f);
        _Pragma("GCC unroll 3") for (int v = 0; v < NV; v++) {
            const __mmask16 mk = kk_fx_mask512(n - 16 * v);
            const int part = last && n - 16 * v < 16;
            float *o = y + c * npos + 16 * v;
            __m512 t = _mm512_add_ps(acc[c][v], bv);
            if (res) {
                const float *rs = res + c * npos + 16 * v;
                t = _mm512_add_ps(t, part ? _mm512_maskz_loadu_ps(mk, rs) : _mm512_loadu_ps(rs));
            }
            if (vact) t = kk_fx_act512(t, act, p->alpha, p->beta);
            if (part) _mm512_mask_storeu_ps(o, mk, t);
            else _mm512_storeu_ps(o, t);
        }
    }
    if (act && !vact) {
        const int nr = (int)(n < 16 * NV ? n : 16 * NV);
        const kk_ftile ft = {.c = y, .ldc = npos, .mr = KK_FD_RC, .nr = nr, .act = act, .alpha = p->alpha,
                             .beta = p->beta};
        _mm256_zeroupper(); /* kk_ftile_act is plain C: no dirty upper state */
        kk_ftile_act(&ft);
    }
}

typedef void kk_fdrowb_fn(const kk_fdirect_f32 *p, const float *xi, float *y, const float *res, int64_t c0,
                          int64_t oy, int64_t ox0);
#define KK_DR(S, NV, L)                                                                                          \
    KK_X512 static void kk_fdrow512_##S##_##NV##_##L(const kk_fdirect_f32 *p, const float *xi, float *y,        \
                                                     const float *res, int64_t c0, int64_t oy, int64_t ox0) {    \
        kk_fx_drow(p, xi, y, res, c0, oy, ox0, NV, S, L);                                                      \
    }
#define KK_DRS(S) KK_DR(S, 3, 0) KK_DR(S, 1, 1) KK_DR(S, 2, 1) KK_DR(S, 3, 1)
KK_DRS(1) KK_DRS(2)
#undef KK_DRS
#undef KK_DR
/* [stride - 1][vectors of the row's last block; 0: a whole block of
 * KK_FD_RV vectors before it] */
static kk_fdrowb_fn *const kk_fdrows_avx512[2][KK_FD_RV + 1] = {
    {kk_fdrow512_1_3_0, kk_fdrow512_1_1_1, kk_fdrow512_1_2_1, kk_fdrow512_1_3_1},
    {kk_fdrow512_2_3_0, kk_fdrow512_2_1_1, kk_fdrow512_2_2_1, kk_fdrow512_2_3_1}};

/* Blocks of KK_FD_RV vectors of columns, the row's last one 1..KK_FD_RV
 * (splitting 3 + 1 vectors as 2 + 2 measured slower: 0.27 -> 0.30 ms on
 * the 32<-3 stem). */
static void kk_fdrow_avx512(const kk_fdirect_f32 *p, int64_t img, int64_t oy) {
    kk_fdrowb_fn *const *fn = kk_fdrows_avx512[p->sw - 1];
    const float *xi = p->xp + img * p->c * p->hp * p->wp;
    const int64_t bw = 16 * KK_FD_RV;
    for (int64_t c0 = 0; c0 < p->m; c0 += KK_FD_RC) {
        const int64_t at = (img * p->m + c0) * p->npos + oy * p->ow;
        for (int64_t ox0 = 0; ox0 < p->ow; ox0 += bw) {
            const int64_t n = p->ow - ox0;
            fn[n > bw ? 0 : (n + 15) / 16](p, xi, p->y + at + ox0, p->res ? p->res + at + ox0 : NULL, c0, oy, ox0);
        }
    }
}
#endif /* KK_DIRECT_H */

KK_API kk_fisa kk_fisa_x86(int isa) {
    kk_fisa k = kk_fisa_portable(isa);
    if (isa == KK_ISA_AVX512 && __builtin_cpu_supports("avx512f")) {
        k.ukr = kk_fukr_avx512;
        k.ukrs = kk_fukrs_avx512;
        k.ukra = kk_fukra_avx512;
        k.gemv = kk_fgemv_avx512;
        k.copy = kk_fcopy_avx512;
        k.pack = kk_fpack_avx512;
#ifdef KK_DW_X86_H
        k.dw = kk_dwx_plane_avx512;
#endif
#ifdef KK_MAXPOOL_X86_H
        k.maxpool = kk_fmaxpool_plane_avx512;
#endif
#ifdef KK_DIRECT_H
        k.dtile = kk_fdtile_avx512;
        k.drow = kk_fdrow_avx512;
#endif
    } else if (isa == KK_ISA_AVX2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        k.ukr = kk_fukr_avx2;
        k.ukrs = kk_fukrs_avx2;
        k.ukra = kk_fukra_avx2;
        k.gemv = kk_fgemv_avx2;
        k.copy = kk_fcopy_avx2;
#ifdef KK_DW_X86_H
        k.dw = kk_dwx_plane_avx2;
#endif
#ifdef KK_MAXPOOL_X86_H
        k.maxpool = kk_fmaxpool_plane_avx2;
#endif
    }
    return k;
}

#else /* not x86: the plain C kernels of the same geometry */

KK_API kk_fisa kk_fisa_x86(int isa) { return kk_fisa_portable(isa); }

#endif
