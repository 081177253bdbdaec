/*
 * fast/dw_x86.c - depthwise convolution and average pooling planes of the
 * fast path (kk_dw_x86.h has the design): the padded phase-split row ring,
 * register-blocked 3x3 / 5x5 / 7x7 depthwise blocks, a one-vector generic
 * depthwise loop, AveragePool and GlobalAveragePool.
 *
 * The vector code is written once as macros over the vector operations and
 * instantiated for AVX-512 (16 lanes) and AVX2+FMA (8 lanes); functions
 * carry target attributes, so the generated file needs no -m flags.
 * Activations other than Relu / Clip (applied on the accumulators) run over
 * each finished block of output rows while it is in L1: vector forms for
 * LeakyRelu, HardSigmoid, HardSwish, Sigmoid, SiLU, Swish and Tanh (exp as 2^n * e^r,
 * |r| <= ln2/2, degree-6 polynomial; 1 / d as a reciprocal estimate and a
 * Newton step), kk_act_row_f32 (kernels/ref/unary.c) for the rest, called
 * with the upper vector state cleared.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"
#include "kk_dw_x86.h"
#include "kk_fast.h"

/* clang 14 takes minutes to compile these always-inline vector macros with
 * -g and both ASan and UBSan; UBSan skips this file (ASan still checks it,
 * and the unit tests compare every path with the reference kernels). */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("undefined"))), apply_to = function)
#endif

#define KK_DWX_BUF 16384 /* floats of padded rows on the stack (64 KiB) */
#define KK_DWX_SLOTS 40  /* most input rows one block reads */
#define KK_DWX_MAXW 2048 /* widest AveragePool output row of the vector kernels */

/* ------------------------------------------------------------- plain C */

/* Taps j < k of output o along an axis that AveragePool counts: inside the
 * input, or (count_include_pad) inside the input and its pads. */
KK_API int64_t kk_dwx_count(int64_t o, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t in, int64_t pe,
                            int cip) {
    int64_t cnt = 0;
    for (int64_t j = 0; j < k; j++) {
        const int64_t i = o * s + j * d - pb;
        if (cip ? i < in + pe : i >= 0 && i < in) cnt++;
    }
    return cnt;
}

/* One AveragePool plane as the reference kernel computes it. */
KK_API void kk_dwx_avg_plane_c(const kk_favg_f32 *p, int64_t plane) {
    const float *xp = p->x + plane * p->ih * p->iw;
    float *yp = p->y + plane * p->oh * p->ow;
    for (int64_t oy = 0; oy < p->oh; oy++) {
        const int64_t chv = kk_dwx_count(oy, p->kh, p->sh, p->dh, p->ph, p->ih, p->peh, p->cip);
        for (int64_t ox = 0; ox < p->ow; ox++) {
            float sum = 0.0f;
            int64_t inside = 0;
            for (int64_t a = 0; a < p->kh; a++) {
                const int64_t iy = oy * p->sh + a * p->dh - p->ph;
                if (iy < 0 || iy >= p->ih) continue;
                for (int64_t b = 0; b < p->kw; b++) {
                    const int64_t ix = ox * p->sw + b * p->dw - p->pw;
                    if (ix < 0 || ix >= p->iw) continue;
                    sum += xp[iy * p->iw + ix];
                    inside++;
                }
            }
            const int64_t div =
                p->cip ? chv * kk_dwx_count(ox, p->kw, p->sw, p->dw, p->pw, p->iw, p->pew, 1) : inside;
            yp[oy * p->ow + ox] = div > 0 ? sum / (float)div : 0.0f;
        }
    }
}

/* GlobalAveragePool of np planes, serially as the reference kernel. */
KK_API void kk_dwx_gap_c(const float *x, float *y, int64_t np, int64_t plane) {
    for (int64_t q = 0; q < np; q++) {
        float sum = 0.0f;
        for (int64_t i = 0; i < plane; i++) sum += x[q * plane + i];
        y[q] = sum / (float)plane;
    }
}

/* The vector kernels to use for panel geometry isa on this CPU (0: none). */
KK_API int kk_dwx_level(int isa) {
#if defined(__x86_64__) || defined(__i386__)
    if (isa == KK_ISA_AVX512 && __builtin_cpu_supports("avx512f")) return KK_ISA_AVX512;
    if ((isa == KK_ISA_AVX512 || isa == KK_ISA_AVX2) && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma"))
        return KK_ISA_AVX2;
#else
    (void)isa;
#endif
    return 0;
}

KK_API void kk_favgpool_init_f32(kk_favg_f32 *p, int isa, const float *x, float *y, int64_t n, int64_t c,
                                 const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                                 const int64_t *strides, const int64_t *dilations, const int64_t *pads,
                                 int count_include_pad) {
    memset(p, 0, sizeof *p);
    p->x = x;
    p->y = y;
    p->ih = in_sp[0];
    p->iw = in_sp[1];
    p->kh = k_sp[0];
    p->kw = k_sp[1];
    p->oh = out_sp[0];
    p->ow = out_sp[1];
    p->sh = strides[0];
    p->sw = strides[1];
    p->dh = dilations[0];
    p->dw = dilations[1];
    p->ph = pads[0];
    p->pw = pads[1];
    p->peh = pads[2];
    p->pew = pads[3];
    p->cip = count_include_pad;
    p->plane = p->ih * p->iw;
    p->nplanes = n * c;
    p->level = kk_dwx_level(isa);
    p->plain = p->ow > KK_DWX_MAXW || p->kh * p->kw > (1 << 20);
    for (int64_t o = 0; o < p->oh && !p->plain; o++)
        p->plain = kk_dwx_count(o, p->kh, p->sh, p->dh, p->ph, p->ih, p->peh, p->cip) == 0;
    for (int64_t o = 0; o < p->ow && !p->plain; o++)
        p->plain = kk_dwx_count(o, p->kw, p->sw, p->dw, p->pw, p->iw, p->pew, p->cip) == 0;
    const int64_t work = p->oh * p->ow * p->kh * p->kw;
    p->per_task = work >= 16384 ? 1 : 16384 / (work > 0 ? work : 1);
    p->ntasks = (p->nplanes + p->per_task - 1) / p->per_task;
}

KK_API void kk_fgavgpool_init_f32(kk_favg_f32 *p, int isa, const float *x, float *y, int64_t nc, int64_t plane) {
    memset(p, 0, sizeof *p);
    p->x = x;
    p->y = y;
    p->global = 1;
    p->plane = plane;
    p->nplanes = nc;
    p->level = kk_dwx_level(isa);
    p->per_task = plane >= 16384 ? 1 : 16384 / (plane > 0 ? plane : 1);
    p->ntasks = (p->nplanes + p->per_task - 1) / p->per_task;
}

/* ----------------------------------------------------------------- x86 */

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define KK_DWX_512 __attribute__((target("avx512f,avx2,fma")))
#define KK_DWX_256 __attribute__((target("avx2,fma")))
/* inlined into the callers: a call would spill every live vector register */
#define KK_DWX_INLINE static inline __attribute__((always_inline))

/* Lane masks of the first n lanes (n clamped to 0..lanes). */
KK_DWX_512 KK_DWX_INLINE __mmask16 kk_dwx_m512(int64_t n) {
    return (__mmask16)(n >= 16 ? 0xFFFFu : n <= 0 ? 0u : (1u << n) - 1u);
}
KK_DWX_256 KK_DWX_INLINE __m256i kk_dwx_m256(int64_t n) {
    const int k = n >= 8 ? 8 : n <= 0 ? 0 : (int)n;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#define KK_DWX_LDM512(ptr, n) _mm512_maskz_loadu_ps(kk_dwx_m512(n), ptr)
#define KK_DWX_STM512(ptr, n, v) _mm512_mask_storeu_ps(ptr, kk_dwx_m512(n), v)
#define KK_DWX_LDM256(ptr, n) _mm256_maskload_ps(ptr, kk_dwx_m256(n))
#define KK_DWX_STM256(ptr, n, v) _mm256_maskstore_ps(ptr, kk_dwx_m256(n), v)

/* ev[i] = x[2i] for i < ne, od[i] = x[2i + 1] for i < no, reading x[0, n)
 * only (ne <= (n + 1) / 2, no <= n / 2). */
KK_DWX_512 KK_DWX_INLINE void kk_dwx_deint512(const float *x, int64_t n, float *ev, int64_t ne, float *od,
                                              int64_t no) {
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const int64_t m = ne > no ? ne : no;
    for (int64_t i = 0; i < m; i += 16) {
        const __m512 lo = KK_DWX_LDM512(x + 2 * i, n - 2 * i);
        const __m512 hi = KK_DWX_LDM512(x + 2 * i + 16, n - 2 * i - 16);
        KK_DWX_STM512(ev + i, ne - i, _mm512_permutex2var_ps(lo, ie, hi));
        KK_DWX_STM512(od + i, no - i, _mm512_permutex2var_ps(lo, io, hi));
    }
}
KK_DWX_256 KK_DWX_INLINE void kk_dwx_deint256(const float *x, int64_t n, float *ev, int64_t ne, float *od,
                                              int64_t no) {
    const int64_t m = ne > no ? ne : no;
    for (int64_t i = 0; i < m; i += 8) {
        const __m256 lo = KK_DWX_LDM256(x + 2 * i, n - 2 * i);
        const __m256 hi = KK_DWX_LDM256(x + 2 * i + 8, n - 2 * i - 8);
        const __m256 e = _mm256_shuffle_ps(lo, hi, 0x88), o = _mm256_shuffle_ps(lo, hi, 0xDD);
        if (ne > i) KK_DWX_STM256(ev + i, ne - i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
        if (no > i) KK_DWX_STM256(od + i, no - i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8)));
    }
}

/* e^x for the activations (x clamped to the float range of e^x). */
#define KK_DWX_EXP(SFX, ATTR, V, VI, SET1, SET1I, MIN, MAX, MUL, FMA, FNMA, CVT, CVTI, ADDI, SLLI, CASTI)        \
    ATTR KK_DWX_INLINE V kk_dwx_exp##SFX(V x) {                                                                  \
        x = MIN(MAX(x, SET1(-87.3f)), SET1(88.3f));                                                              \
        const VI ni = CVTI(MUL(x, SET1(1.44269504f)));                                                           \
        const V nf = CVT(ni);                                                                                    \
        V r = FNMA(nf, SET1(0.693359375f), x);                                                                   \
        r = FNMA(nf, SET1(-2.12194440e-4f), r);                                                                  \
        V q = FMA(SET1(1.0f / 720.0f), r, SET1(1.0f / 120.0f));                                                  \
        q = FMA(q, r, SET1(1.0f / 24.0f));                                                                       \
        q = FMA(q, r, SET1(1.0f / 6.0f));                                                                        \
        q = FMA(q, r, SET1(0.5f));                                                                               \
        q = FMA(q, r, SET1(1.0f));                                                                               \
        q = FMA(q, r, SET1(1.0f));                                                                               \
        return MUL(q, CASTI(SLLI(ADDI(ni, SET1I(127)), 23)));                                                    \
    }
KK_DWX_EXP(512, KK_DWX_512, __m512, __m512i, _mm512_set1_ps, _mm512_set1_epi32, _mm512_min_ps, _mm512_max_ps,
           _mm512_mul_ps, _mm512_fmadd_ps, _mm512_fnmadd_ps, _mm512_cvtepi32_ps, _mm512_cvtps_epi32,
           _mm512_add_epi32, _mm512_slli_epi32, _mm512_castsi512_ps)
KK_DWX_EXP(256, KK_DWX_256, __m256, __m256i, _mm256_set1_ps, _mm256_set1_epi32, _mm256_min_ps, _mm256_max_ps,
           _mm256_mul_ps, _mm256_fmadd_ps, _mm256_fnmadd_ps, _mm256_cvtepi32_ps, _mm256_cvtps_epi32,
           _mm256_add_epi32, _mm256_slli_epi32, _mm256_castsi256_ps)

/* y[0, n) = act(y): vector forms, else kk_act_f32 with a clean upper state. */
#define KK_DWX_ACTROW(SFX, ATTR, V, VL, LD, ST, LDM, STM, SET1, ZERO, MIN, MAX, ADD, SUB, MUL, RCP, FMA, BLENDLT) \
    ATTR KK_API void kk_dwx_act##SFX(float *y, int64_t n, int act, float alpha, float beta) {                   \
        if (act != KK_UN_LEAKY_RELU && act != KK_UN_HARD_SIGMOID && act != KK_UN_HARD_SWISH &&                   \
            act != KK_UN_SIGMOID && act != KK_UN_SILU && act != KK_UN_SWISH && act != KK_UN_TANH) {              \
            _mm256_zeroupper();                                                                                  \
            kk_act_row_f32(y, n, act, alpha, beta);                                                              \
            return;                                                                                              \
        }                                                                                                        \
        const V zero = ZERO, one = SET1(1.0f), two = SET1(2.0f), va = SET1(alpha), vb = SET1(beta);              \
        for (int64_t i = 0; i < n; i += VL) {                                                                    \
            V v = n - i >= VL ? LD(y + i) : LDM(y + i, n - i), t;                                                \
            switch (act) {                                                                                       \
            case KK_UN_LEAKY_RELU:                                                                               \
                t = BLENDLT(v, zero, MUL(v, va), v);                                                             \
                break;                                                                                           \
            case KK_UN_HARD_SIGMOID:                                                                             \
                t = MIN(MAX(FMA(v, va, vb), zero), one);                                                         \
                break;                                                                                           \
            case KK_UN_HARD_SWISH:                                                                               \
                t = MUL(v, MIN(MAX(FMA(v, va, vb), zero), one));                                                 \
                break;                                                                                           \
            case KK_UN_TANH: { /* sign(v) (1 - e) / (1 + e), e = exp(-2|v|) */                                   \
                const V av = MAX(v, SUB(zero, v));                                                               \
                const V e = kk_dwx_exp##SFX(MUL(av, SET1(-2.0f)));                                               \
                const V den = ADD(one, e);                                                                       \
                const V th = MUL(SUB(one, e), kk_dwx_nr##SFX(RCP(den), den, two));                               \
                t = BLENDLT(v, zero, SUB(zero, th), th);                                                         \
                break;                                                                                           \
            }                                                                                                    \
            default: { /* Sigmoid, SiLU, Swish */                                                                \
                const V z = act == KK_UN_SWISH ? MUL(v, va) : v;                                                 \
                const V den = ADD(one, kk_dwx_exp##SFX(SUB(zero, z)));                                           \
                const V s = kk_dwx_nr##SFX(RCP(den), den, two);                                                  \
                t = act == KK_UN_SIGMOID ? s : MUL(v, s);                                                        \
            }                                                                                                    \
            }                                                                                                    \
            if (n - i >= VL) ST(y + i, t);                                                                       \
            else STM(y + i, n - i, t);                                                                           \
        }                                                                                                        \
    }
/* One Newton step r (2 - d r) on a reciprocal estimate r of d (1 / d for
 * d >= 1 within a few ulp, instead of a slow vector division). */
KK_DWX_512 KK_DWX_INLINE __m512 kk_dwx_nr512(__m512 r, __m512 d, __m512 two) {
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, two));
}
KK_DWX_256 KK_DWX_INLINE __m256 kk_dwx_nr256(__m256 r, __m256 d, __m256 two) {
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, two));
}
/* a < b ? x : y per lane */
#define KK_DWX_BLT512(a, b, x, y) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), y, x)
#define KK_DWX_BLT256(a, b, x, y) _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_LT_OQ))

/* One block of 4 output rows of a square KxK depthwise filter, stride S,
 * no dilation: output rows [skip, 4) (row stride ow) of y from input rows
 * rows[0, 3S+K) (phase-split, phase length half), NV vectors of columns
 * per step. The last block of a plane overlaps the one before it and
 * skips rows already stored (a residual may share y's memory). */
#define KK_DWX_BLOCK(SFX, ATTR, V, VL, LD, ST, LDM, STM, ZERO, FMA, ADD, MIN, MAX, RSFX, IRUNROLL)              \
    ATTR KK_DWX_INLINE void kk_dwx_blk##SFX##RSFX(const float *const *rows, int64_t half, const V *wv, const int K,    \
                                            const int S, const int NV, float *y, const float *res, int64_t ow,   \
                                            int64_t skip, V bias, int clamp, V lo, V hi) {                       \
        enum { R = 4 };                                                                                          \
        for (int64_t ox = 0; ox < ow; ox += NV * VL) {                                                           \
            V acc[4][2];                                                                                         \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                                  \
                _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) acc[r][v] = ZERO;                           \
            _Pragma(IRUNROLL) for (int ir = 0; ir < (R - 1) * S + K; ir++) {                                     \
                const float *xr = rows[ir] + ox;                                                                 \
                _Pragma("GCC unroll 8") for (int b = 0; b < K; b++) {                                            \
                    const float *xq = xr + (b % S) * half + b / S;                                               \
                    V xv[2];                                                                                     \
                    _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) xv[v] = LD(xq + v * VL);                \
                    _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                                        \
                        const int a = ir - S * r;                                                                \
                        if (a < 0 || a >= K) continue;                                                           \
                        _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) acc[r][v] =                         \
                            FMA(wv[a * K + b], xv[v], acc[r][v]);                                                \
                    }                                                                                            \
                }                                                                                                \
            }                                                                                                    \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                                                \
                _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) {                                           \
                    const int64_t n = ow - ox - v * VL, at = r * ow + ox + v * VL;                               \
                    if (n <= 0 || r < skip) continue;                                                            \
                    V t = ADD(acc[r][v], bias);                                                                  \
                    if (res) t = ADD(t, n >= VL ? LD(res + at) : LDM(res + at, n));                              \
                    if (clamp) t = MIN(MAX(t, lo), hi);                                                          \
                    if (n >= VL) ST(y + at, t);                                                                  \
                    else STM(y + at, n, t);                                                                      \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
    }

/* Input row iy of the plane into a ring slot: sw phases of `half` floats
 * of the zero-padded row (padded element q in phase q % sw at q / sw). The
 * slot was zeroed with the ring and every row of the plane writes the same
 * elements, so its padding stays zero. */
#define KK_DWX_FILL(SFX, ATTR, V, VL, ST, LD, LDM, STM)                                                    \
    ATTR KK_DWX_INLINE void kk_dwx_fill##SFX(float *dst, const float *xr, int64_t iw, int64_t pw, int64_t sw,    \
                                             int64_t half) {                                                     \
        if (sw == 1) {                                                                                           \
            const int64_t n = pw >= half ? 0 : iw < half - pw ? iw : half - pw;                                  \
            for (int64_t i = 0; i < n; i += VL) {                                                                \
                if (n - i >= VL) ST(dst + pw + i, LD(xr + i));                                                   \
                else STM(dst + pw + i, n - i, LDM(xr + i, n - i));                                               \
            }                                                                                                    \
            return;                                                                                              \
        }                                                                                                        \
        /* x[2m + e] is padded element 2m + e + pw: phase (e + pw) % 2, index m + (e + pw) / 2 */                \
        const int64_t oe = pw / 2, oo = (pw + 1) / 2;                                                            \
        int64_t ne = (iw + 1) / 2, no = iw / 2;                                                                  \
        if (ne > half - oe) ne = half - oe > 0 ? half - oe : 0;                                                  \
        if (no > half - oo) no = half - oo > 0 ? half - oo : 0;                                                  \
        kk_dwx_deint##SFX(xr, iw, dst + (pw % 2) * half + oe, ne, dst + ((pw + 1) % 2) * half + oo, no);        \
    }

/* Fills rows[0, nin) with the slots of input rows iy0 .. iy0 + nin - 1 (a
 * zero slot outside the plane), copying each row once while it stays in
 * the ring of ns slots. */
#define KK_DWX_RING(SFX, ATTR)                                                                                   \
    ATTR KK_DWX_INLINE void kk_dwx_ring##SFX(const float **rows, int64_t nin, int64_t iy0, const float *xp,      \
                                             int64_t ih, int64_t iw, int64_t pw, int64_t sw, int64_t half,       \
                                             float *buf, int64_t *tag, int64_t ns, const float *zrow) {          \
        for (int64_t i = 0; i < nin; i++) {                                                                      \
            const int64_t iy = iy0 + i;                                                                          \
            if (iy < 0 || iy >= ih) {                                                                            \
                rows[i] = zrow;                                                                                  \
                continue;                                                                                        \
            }                                                                                                    \
            float *dst = buf + (iy % ns) * sw * half;                                                            \
            if (tag[iy % ns] != iy) {                                                                            \
                tag[iy % ns] = iy;                                                                               \
                kk_dwx_fill##SFX(dst, xp + iy * iw, iw, pw, sw, half);                                           \
            }                                                                                                    \
            rows[i] = dst;                                                                                       \
        }                                                                                                        \
    }

/* The block of (K, S, NV) as a function of its own, never inlined (one
 * large function holding every variant compiles several times slower).
 * ep: bias, lo, hi. */
#define KK_DWX_BFN(SFX, ATTR, V, K, S, NV, RSFX)                                                                 \
    ATTR __attribute__((noinline)) KK_API void kk_dwx_b##SFX##_##K##S##NV(                                     \
        const float *const *rows, int64_t half, const V *wv, float *y, const float *res, int64_t ow, int64_t skip, \
        const V *ep, int clamp) {                                                                                \
        kk_dwx_blk##SFX##RSFX(rows, half, wv, K, S, NV, y, res, ow, skip, ep[0], clamp, ep[1], ep[2]);           \
    }
#define KK_DWX_BFNS(SFX, ATTR, V)                                                                                \
    KK_DWX_BFN(SFX, ATTR, V, 3, 1, 1, ) KK_DWX_BFN(SFX, ATTR, V, 3, 1, 2, ) KK_DWX_BFN(SFX, ATTR, V, 3, 2, 1, )  \
    KK_DWX_BFN(SFX, ATTR, V, 3, 2, 2, ) KK_DWX_BFN(SFX, ATTR, V, 5, 1, 1, ) KK_DWX_BFN(SFX, ATTR, V, 5, 1, 2, )  \
    KK_DWX_BFN(SFX, ATTR, V, 5, 2, 1, ) KK_DWX_BFN(SFX, ATTR, V, 5, 2, 2, )
/* Calls the block of (K, S) with nv vectors (7x7 blocks: AVX-512 only). */
#define KK_DWX_CALL(SFX, KK, SS)                                                                                 \
    if (K == KK && S == SS) {                                                                                    \
        if (nv == 2) kk_dwx_b##SFX##_##KK##SS##2(rows, half, wv, yr, rr, ow, skip, ep, clamp);                   \
        else kk_dwx_b##SFX##_##KK##SS##1(rows, half, wv, yr, rr, ow, skip, ep, clamp);                           \
    }

/* A depthwise plane (kk_fdw_fn). */
#define KK_DWX_PLANE(SFX, NAME, ATTR, V, VL, LD, ST, LDM, STM, SET1, ZERO, FMA, ADD, MIN, MAX)                    \
    ATTR KK_API void NAME(const kk_fdw_f32 *p, int64_t plane) {                                                  \
        if (VL == 16 && p->ow <= 8 && p->kh < 7) { /* narrow rows: half vectors waste less */                    \
            kk_dwx_plane_avx2(p, plane);                                                                         \
            return;                                                                                              \
        }                                                                                                        \
        const int64_t S = p->sw, ow = p->ow;                                                                     \
        int spec = p->kh == p->kw && (p->kh == 3 || p->kh == 5 || p->kh == 7) && p->dh == 1 &&             \
                         p->dw == 1 && p->sh == S;                                                               \
        const int K = (int)p->kh;                                                                                \
        if (p->oh < 4 || (K == 7 && (S == 2 || VL == 8))) spec = 0;                                              \
        const int nv = spec && ow > VL ? 2 : 1;                                                                  \
        const int64_t ns = (spec ? 3 : 0) * p->sh + (p->kh - 1) * p->dh + 1;                                     \
        int64_t half = (ow + nv * VL - 1) / (nv * VL) * (nv * VL) + (p->kw - 1) * p->dw / (S > 0 ? S : 1) + 1;   \
        half = (half + 15) / 16 * 16;                                                                            \
        if (S < 1 || S > 2 || ns > KK_DWX_SLOTS || (ns + 1) * S * half > KK_DWX_BUF) {                          \
            _mm256_zeroupper();                                                                                  \
            kk_fdw_plane_c(p, plane);                                                                            \
            return;                                                                                              \
        }                                                                                                        \
        float buf[KK_DWX_BUF];                                                                                   \
        int64_t tag[KK_DWX_SLOTS];                                                                               \
        const float *rows[KK_DWX_SLOTS];                                                                         \
        float *zrow = buf + ns * S * half;                                                                       \
        for (int64_t i = 0; i < (ns + 1) * S * half; i += VL) ST(buf + i, ZERO);                                \
        for (int64_t q = 0; q < ns; q++) tag[q] = -1;                                                            \
        const int64_t ch = plane % p->c;                                                                         \
        const float *xp = p->x + plane * p->ih * p->iw, *wp = p->w + ch * p->kh * p->kw;                         \
        float *yp = p->y + plane * p->oh * ow;                                                                   \
        const float *rp = p->res ? p->res + plane * p->oh * ow : NULL;                                           \
        V wv[49];                                                                                                \
        if (spec)                                                                                                \
            for (int i = 0; i < K * K; i++) wv[i] = SET1(wp[i]);                                                 \
        const int clamp = p->act == KK_UN_RELU || p->act == KK_UN_CLIP;                                         \
        const V bias = SET1(p->b ? p->b[ch] : 0.0f);                                                             \
        const V lo = SET1(p->act == KK_UN_CLIP ? p->alpha : 0.0f);                                               \
        const V hi = SET1(p->act == KK_UN_CLIP ? p->beta : INFINITY);                                            \
        const V ep[3] = {bias, lo, hi};                                                                          \
        for (int64_t oy = 0; oy < p->oh;) {                                                                      \
            const int64_t r = spec ? 4 : 1, skip = spec && oy + 4 > p->oh ? oy + 4 - p->oh : 0;                  \
            oy -= skip;                                                                                          \
            const int64_t nin = (r - 1) * p->sh + (p->kh - 1) * p->dh + 1;                                       \
            kk_dwx_ring##SFX(rows, nin, oy * p->sh - p->ph, xp, p->ih, p->iw, p->pw, S, half, buf, tag, ns,      \
                             zrow);                                                                              \
            float *yr = yp + oy * ow;                                                                            \
            const float *rr = rp ? rp + oy * ow : NULL;                                                          \
            if (spec) {                                                                                          \
                KK_DWX_CALL(SFX, 3, 1)                                                                           \
                else KK_DWX_CALL(SFX, 3, 2) else KK_DWX_CALL(SFX, 5, 1) else KK_DWX_CALL(SFX, 5, 2)             \
                else KK_DWX_CALL7##SFX                                                                          \
            } else {                                                                                             \
                for (int64_t ox = 0; ox < ow; ox += VL) {                                                        \
                    V acc = ZERO;                                                                                \
                    for (int64_t a = 0; a < p->kh; a++) {                                                        \
                        const float *xr = rows[a * p->dh] + ox;                                                  \
                        for (int64_t b = 0; b < p->kw; b++) {                                                    \
                            const int64_t off = b * p->dw;                                                       \
                            acc = FMA(SET1(wp[a * p->kw + b]), LD(xr + (off % S) * half + off / S), acc);        \
                        }                                                                                        \
                    }                                                                                            \
                    const int64_t n = ow - ox;                                                                   \
                    V t = ADD(acc, bias);                                                                        \
                    if (rr) t = ADD(t, n >= VL ? LD(rr + ox) : LDM(rr + ox, n));                                 \
                    if (clamp) t = MIN(MAX(t, lo), hi);                                                          \
                    if (n >= VL) ST(yr + ox, t);                                                                 \
                    else STM(yr + ox, n, t);                                                                     \
                }                                                                                                \
            }                                                                                                    \
            if (p->act && !clamp) /* the block's rows are contiguous */                                          \
                kk_dwx_act##SFX(yr + skip * ow, (r - skip) * ow, p->act, p->alpha, p->beta);                     \
            oy += r;                                                                                             \
        }                                                                                                        \
    }

/* AveragePool planes [q0, q1): cwf[ox] = the count of output column ox's
 * window (padded to whole vectors with ones). The ring is zeroed once: the
 * planes share its geometry, so padding stays zero. */
#define KK_DWX_AVG(SFX, ATTR, V, VL, LD, ST, STM, SET1, ZERO, ADD, MUL, DIV)                                     \
    ATTR KK_API void kk_dwx_avg##SFX(const kk_favg_f32 *p, int64_t q0, int64_t q1, const float *cwf) {          \
        const int64_t S = p->sw, ow = p->ow, ns = (p->kh - 1) * p->dh + 1;                                       \
        int64_t half = (ow + VL - 1) / VL * VL + (p->kw - 1) * p->dw / (S > 0 ? S : 1) + 1;                      \
        half = (half + 15) / 16 * 16;                                                                            \
        if (S < 1 || S > 2 || ns > KK_DWX_SLOTS || (ns + 1) * S * half > KK_DWX_BUF) {                          \
            _mm256_zeroupper();                                                                                  \
            for (int64_t q = q0; q < q1; q++) kk_dwx_avg_plane_c(p, q);                                          \
            return;                                                                                              \
        }                                                                                                        \
        float buf[KK_DWX_BUF];                                                                                   \
        int64_t tag[KK_DWX_SLOTS];                                                                               \
        const float *rows[KK_DWX_SLOTS];                                                                         \
        float *zrow = buf + ns * S * half;                                                                       \
        for (int64_t i = 0; i < (ns + 1) * S * half; i += VL) ST(buf + i, ZERO);                                \
        for (int64_t plane = q0; plane < q1; plane++) {                                                          \
            for (int64_t q = 0; q < ns; q++) tag[q] = -1;                                                        \
            const float *xp = p->x + plane * p->ih * p->iw;                                                      \
            float *yp = p->y + plane * p->oh * ow;                                                               \
            for (int64_t oy = 0; oy < p->oh; oy++) {                                                             \
                kk_dwx_ring##SFX(rows, ns, oy * p->sh - p->ph, xp, p->ih, p->iw, p->pw, S, half, buf, tag, ns,   \
                                 zrow);                                                                          \
                const V chv = SET1((float)kk_dwx_count(oy, p->kh, p->sh, p->dh, p->ph, p->ih, p->peh, p->cip));  \
                float *yr = yp + oy * ow;                                                                        \
                for (int64_t ox = 0; ox < ow; ox += VL) {                                                        \
                    V acc = ZERO;                                                                                \
                    for (int64_t a = 0; a < p->kh; a++) {                                                        \
                        const float *xr = rows[a * p->dh] + ox;                                                  \
                        for (int64_t b = 0; b < p->kw; b++) {                                                    \
                            const int64_t off = b * p->dw;                                                       \
                            acc = ADD(acc, LD(xr + (off % S) * half + off / S));                                 \
                        }                                                                                        \
                    }                                                                                            \
                    const V t = DIV(acc, MUL(chv, LD(cwf + ox)));                                                \
                    if (ow - ox >= VL) ST(yr + ox, t);                                                           \
                    else STM(yr + ox, ow - ox, t);                                                               \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
    }

/* GlobalAveragePool of np planes: four vector partial sums, then lanes in order. */
#define KK_DWX_GAP(SFX, ATTR, V, VL, LD, ST, LDM, ZERO, ADD)                                                     \
    ATTR KK_API void kk_dwx_gap##SFX(const float *x, float *y, int64_t np, int64_t plane) {                     \
        for (int64_t q = 0; q < np; q++) {                                                                       \
            const float *xp = x + q * plane;                                                                     \
            V s0 = ZERO, s1 = ZERO, s2 = ZERO, s3 = ZERO;                                                        \
            int64_t i = 0;                                                                                       \
            for (; i + 4 * VL <= plane; i += 4 * VL) {                                                           \
                s0 = ADD(s0, LD(xp + i));                                                                        \
                s1 = ADD(s1, LD(xp + i + VL));                                                                   \
                s2 = ADD(s2, LD(xp + i + 2 * VL));                                                               \
                s3 = ADD(s3, LD(xp + i + 3 * VL));                                                               \
            }                                                                                                    \
            for (; i < plane; i += VL) s0 = ADD(s0, plane - i >= VL ? LD(xp + i) : LDM(xp + i, plane - i));      \
            float lanes[VL];                                                                                     \
            ST(lanes, ADD(ADD(s0, s1), ADD(s2, s3)));                                                            \
            float sum = 0.0f;                                                                                    \
            for (int l = 0; l < VL; l++) sum += lanes[l];                                                        \
            y[q] = sum / (float)plane;                                                                           \
        }                                                                                                        \
    }

KK_DWX_ACTROW(512, KK_DWX_512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_LDM512, KK_DWX_STM512,
              _mm512_set1_ps, _mm512_setzero_ps(), _mm512_min_ps, _mm512_max_ps, _mm512_add_ps, _mm512_sub_ps,
              _mm512_mul_ps, _mm512_rcp14_ps, _mm512_fmadd_ps, KK_DWX_BLT512)
KK_DWX_ACTROW(256, KK_DWX_256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, KK_DWX_LDM256, KK_DWX_STM256,
              _mm256_set1_ps, _mm256_setzero_ps(), _mm256_min_ps, _mm256_max_ps, _mm256_add_ps, _mm256_sub_ps,
              _mm256_mul_ps, _mm256_rcp_ps, _mm256_fmadd_ps, KK_DWX_BLT256)
KK_DWX_BLOCK(512, KK_DWX_512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_LDM512, KK_DWX_STM512,
             _mm512_setzero_ps(), _mm512_fmadd_ps, _mm512_add_ps, _mm512_min_ps, _mm512_max_ps, , "GCC unroll 16")
/* 7x7: the input rows loop stays rolled (unrolled, gcc spills the accumulators) */
KK_DWX_BLOCK(512, KK_DWX_512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_LDM512, KK_DWX_STM512,
             _mm512_setzero_ps(), _mm512_fmadd_ps, _mm512_add_ps, _mm512_min_ps, _mm512_max_ps, r, "GCC unroll 1")
KK_DWX_BLOCK(256, KK_DWX_256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, KK_DWX_LDM256, KK_DWX_STM256,
             _mm256_setzero_ps(), _mm256_fmadd_ps, _mm256_add_ps, _mm256_min_ps, _mm256_max_ps, , "GCC unroll 16")
KK_DWX_FILL(512, KK_DWX_512, __m512, 16, _mm512_storeu_ps, _mm512_loadu_ps, KK_DWX_LDM512, KK_DWX_STM512)
KK_DWX_FILL(256, KK_DWX_256, __m256, 8, _mm256_storeu_ps, _mm256_loadu_ps, KK_DWX_LDM256, KK_DWX_STM256)
KK_DWX_RING(512, KK_DWX_512)
KK_DWX_RING(256, KK_DWX_256)
KK_DWX_BFNS(512, KK_DWX_512, __m512)
KK_DWX_BFNS(256, KK_DWX_256, __m256)
KK_DWX_BFN(512, KK_DWX_512, __m512, 7, 1, 1, r)
KK_DWX_BFN(512, KK_DWX_512, __m512, 7, 1, 2, r)
#define KK_DWX_CALL7512 KK_DWX_CALL(512, 7, 1)
#define KK_DWX_CALL7256 {}
KK_DWX_PLANE(512, kk_dwx_plane_avx512, KK_DWX_512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_LDM512,
             KK_DWX_STM512, _mm512_set1_ps, _mm512_setzero_ps(), _mm512_fmadd_ps, _mm512_add_ps, _mm512_min_ps,
             _mm512_max_ps)
KK_DWX_PLANE(256, kk_dwx_plane_avx2, KK_DWX_256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, KK_DWX_LDM256,
             KK_DWX_STM256, _mm256_set1_ps, _mm256_setzero_ps(), _mm256_fmadd_ps, _mm256_add_ps, _mm256_min_ps,
             _mm256_max_ps)
KK_DWX_AVG(512, KK_DWX_512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_STM512, _mm512_set1_ps,
           _mm512_setzero_ps(), _mm512_add_ps, _mm512_mul_ps, _mm512_div_ps)
KK_DWX_AVG(256, KK_DWX_256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, KK_DWX_STM256, _mm256_set1_ps,
           _mm256_setzero_ps(), _mm256_add_ps, _mm256_mul_ps, _mm256_div_ps)
KK_DWX_GAP(512, KK_DWX_512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_LDM512, _mm512_setzero_ps(),
           _mm512_add_ps)
KK_DWX_GAP(256, KK_DWX_256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, KK_DWX_LDM256, _mm256_setzero_ps(),
           _mm256_add_ps)

#define KK_DWX_X86 1
#else /* not x86: the plain C planes */

KK_API void kk_dwx_plane_avx512(const kk_fdw_f32 *p, int64_t plane) { kk_fdw_plane_c(p, plane); }
KK_API void kk_dwx_plane_avx2(const kk_fdw_f32 *p, int64_t plane) { kk_fdw_plane_c(p, plane); }

#define KK_DWX_X86 0
#endif

KK_API void kk_favg_task_f32(void *plan, int64_t task, int worker) {
    const kk_favg_f32 *p = (const kk_favg_f32 *)plan;
    (void)worker;
    const int64_t q0 = task * p->per_task;
    const int64_t q1 = q0 + p->per_task < p->nplanes ? q0 + p->per_task : p->nplanes;
    if (p->global) {
#if KK_DWX_X86
        if (p->level == KK_ISA_AVX512) {
            kk_dwx_gap512(p->x + q0 * p->plane, p->y + q0, q1 - q0, p->plane);
            return;
        }
        if (p->level == KK_ISA_AVX2) {
            kk_dwx_gap256(p->x + q0 * p->plane, p->y + q0, q1 - q0, p->plane);
            return;
        }
#endif
        kk_dwx_gap_c(p->x + q0 * p->plane, p->y + q0, q1 - q0, p->plane);
        return;
    }
    if (p->plain || !p->level || !KK_DWX_X86) {
        for (int64_t q = q0; q < q1; q++) kk_dwx_avg_plane_c(p, q);
        return;
    }
#if KK_DWX_X86
    float cwf[KK_DWX_MAXW + 16];
    for (int64_t ox = 0; ox < p->ow + 16; ox++)
        cwf[ox] = ox < p->ow ? (float)kk_dwx_count(ox, p->kw, p->sw, p->dw, p->pw, p->iw, p->pew, p->cip) : 1.0f;
    if (p->level == KK_ISA_AVX512) kk_dwx_avg512(p, q0, q1, cwf);
    else kk_dwx_avg256(p, q0, q1, cwf);
#endif
}

#if defined(__clang__)
#pragma clang attribute pop
#endif
