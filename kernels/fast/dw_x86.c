/*
 * fast/dw_x86.c - depthwise convolution and average pooling planes of the
 * fast path (kk_dw_x86.h has the design): the padded phase-split row ring,
 * register-blocked 3x3 / 5x5 / 7x7 depthwise blocks, a one-vector generic
 * depthwise loop, depthwise channel blocks (small planes, channels across
 * the lanes), AveragePool and GlobalAveragePool.
 *
 * The vector code is written once as macros over the vector operations and
 * instantiated for AVX-512 (16 lanes) and AVX2+FMA (8 lanes); functions
 * carry target attributes, so the generated file needs no -m flags.
 * Activations other than Relu / Clip (applied on the accumulators) run over
 * each finished block of output rows while it is in L1: vector forms for
 * LeakyRelu, HardSigmoid, HardSwish, Sigmoid, SiLU, Swish, Tanh and Gelu
 * (kk_fx_act512 / kk_fx_act256 of kk_fast_x86.h, the tile epilogues' own),
 * kk_act_row_f32 (kernels/ref/unary.c) for the rest, called with the upper
 * vector state cleared.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"
#include "kk_dw_x86.h"
#include "kk_fast.h"
#include "kk_fast_x86.h"

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
    p->k22 = p->kh == 2 && p->kw == 2 && p->sh == 2 && p->sw == 2 && p->dh == 1 && p->dw == 1 && !p->ph &&
             !p->pw && !p->peh && !p->pew && 2 * p->oh <= p->ih && 2 * p->ow <= p->iw;
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

#define KK_DWX_LDM512(ptr, n) _mm512_maskz_loadu_ps(kk_fx_mask512(n), ptr)
#define KK_DWX_STM512(ptr, n, v) _mm512_mask_storeu_ps(ptr, kk_fx_mask512(n), v)
#define KK_DWX_LDM256(ptr, n) _mm256_maskload_ps(ptr, kk_fx_mask256(n))
#define KK_DWX_STM256(ptr, n, v) _mm256_maskstore_ps(ptr, kk_fx_mask256(n), v)

/* The even (*e) and odd (*o) floats of x[0, 2 VL), reading x[0, n) only
 * (zeros past it). */
KK_X512 KK_FX_INLINE void kk_dwx_pair512(const float *x, int64_t n, __m512 *e, __m512 *o) {
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512 lo = n >= 16 ? _mm512_loadu_ps(x) : KK_DWX_LDM512(x, n);
    const __m512 hi = n >= 32 ? _mm512_loadu_ps(x + 16) : KK_DWX_LDM512(x + 16, n - 16);
    *e = _mm512_permutex2var_ps(lo, ie, hi);
    *o = _mm512_permutex2var_ps(lo, io, hi);
}
KK_X256 KK_FX_INLINE void kk_dwx_pair256(const float *x, int64_t n, __m256 *e, __m256 *o) {
    const __m256 lo = n >= 8 ? _mm256_loadu_ps(x) : KK_DWX_LDM256(x, n);
    const __m256 hi = n >= 16 ? _mm256_loadu_ps(x + 8) : KK_DWX_LDM256(x + 8, n - 8);
    const __m256 ee = _mm256_shuffle_ps(lo, hi, 0x88), oo = _mm256_shuffle_ps(lo, hi, 0xDD);
    *e = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ee), 0xD8));
    *o = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(oo), 0xD8));
}

/* ev[i] = x[2i] for i < ne, od[i] = x[2i + 1] for i < no, reading x[0, n)
 * only (ne <= (n + 1) / 2, no <= n / 2). */
#define KK_DWX_DEINT(SFX, ATTR, V, VL, ST, STM)                                                                  \
    ATTR KK_FX_INLINE void kk_dwx_deint##SFX(const float *x, int64_t n, float *ev, int64_t ne, float *od,       \
                                              int64_t no) {                                                      \
        const int64_t m = ne > no ? ne : no;                                                                     \
        for (int64_t i = 0; i < m; i += VL) {                                                                    \
            V e, o;                                                                                              \
            kk_dwx_pair##SFX(x + 2 * i, n - 2 * i, &e, &o);                                                      \
            if (ne - i >= VL) ST(ev + i, e);                                                                     \
            else if (ne > i) STM(ev + i, ne - i, e);                                                             \
            if (no - i >= VL) ST(od + i, o);                                                                     \
            else if (no > i) STM(od + i, no - i, o);                                                             \
        }                                                                                                        \
    }
KK_DWX_DEINT(512, KK_X512, __m512, 16, _mm512_storeu_ps, KK_DWX_STM512)
KK_DWX_DEINT(256, KK_X256, __m256, 8, _mm256_storeu_ps, KK_DWX_STM256)

/* The vectors of y[0, n) with act ACT, four at a time (independent chains). */
#define KK_DWX_ACTLOOP(SFX, V, VL, LD, ST, LDM, STM, ACT)                                                            \
    case ACT: {                                                                                                  \
        int64_t i = 0;                                                                                           \
        for (; i + 4 * VL <= n; i += 4 * VL) {                                                                   \
            const V t0 = kk_fx_act##SFX(LD(y + i), ACT, alpha, beta);                                            \
            const V t1 = kk_fx_act##SFX(LD(y + i + VL), ACT, alpha, beta);                                       \
            const V t2 = kk_fx_act##SFX(LD(y + i + 2 * VL), ACT, alpha, beta);                                   \
            const V t3 = kk_fx_act##SFX(LD(y + i + 3 * VL), ACT, alpha, beta);                                   \
            ST(y + i, t0);                                                                                       \
            ST(y + i + VL, t1);                                                                                  \
            ST(y + i + 2 * VL, t2);                                                                              \
            ST(y + i + 3 * VL, t3);                                                                              \
        }                                                                                                        \
        for (; i < n; i += VL) {                                                                                 \
            if (n - i >= VL) ST(y + i, kk_fx_act##SFX(LD(y + i), ACT, alpha, beta));                             \
            else STM(y + i, n - i, kk_fx_act##SFX(LDM(y + i, n - i), ACT, alpha, beta));                         \
        }                                                                                                        \
        break;                                                                                                   \
    }
/* y[0, n) = act(y): vector forms, else kk_act_f32 with a clean upper state. */
#define KK_DWX_ACTROW(SFX, ATTR, V, VL, LD, ST, LDM, STM)                                                        \
    ATTR KK_API void kk_dwx_act##SFX(float *y, int64_t n, int act, float alpha, float beta) {                   \
        switch (act) {                                                                                           \
            KK_DWX_ACTLOOP(SFX, V, VL, LD, ST, LDM, STM, KK_UN_LEAKY_RELU)                                           \
            KK_DWX_ACTLOOP(SFX, V, VL, LD, ST, LDM, STM, KK_UN_HARD_SIGMOID)                                         \
            KK_DWX_ACTLOOP(SFX, V, VL, LD, ST, LDM, STM, KK_UN_HARD_SWISH)                                           \
            KK_DWX_ACTLOOP(SFX, V, VL, LD, ST, LDM, STM, KK_UN_TANH)                                                 \
            KK_DWX_ACTLOOP(SFX, V, VL, LD, ST, LDM, STM, KK_UN_SIGMOID)                                              \
            KK_DWX_ACTLOOP(SFX, V, VL, LD, ST, LDM, STM, KK_UN_SILU)                                                 \
            KK_DWX_ACTLOOP(SFX, V, VL, LD, ST, LDM, STM, KK_UN_SWISH)                                                \
            KK_DWX_ACTLOOP(SFX, V, VL, LD, ST, LDM, STM, KK_UN_GELU)                                                 \
        default:                                                                                                 \
            _mm256_zeroupper();                                                                                  \
            kk_act_row_f32(y, n, act, alpha, beta);                                                              \
            break;                                                                                               \
        }                                                                                                        \
    }
/* One block of 4 output rows of a square KxK depthwise filter, stride S,
 * no dilation: output rows [skip, 4) (row stride ow) of y from input rows
 * rows[0, 3S+K) (phase-split, phase length half), NV vectors of columns
 * per step. The last block of a plane overlaps the one before it and
 * skips rows already stored (a residual may share y's memory).
 * TAP(lo, hi, o, ptr): the vector at ptr, which is o floats past the
 * aligned vector lo (hi the one after it). The ring rows are 64-byte
 * aligned, so AVX-512 shifts lo:hi in registers (valignd) instead of
 * loading across a cache line for every tap off the alignment (those
 * split loads, not the FMAs, bounded the 3x3 block: 15-27 % faster). */
#define KK_DWX_BLOCK(SFX, ATTR, V, VL, LD, ST, LDM, STM, ZERO, FMA, ADD, MIN, MAX, RSFX, IRUNROLL, TAP)         \
    ATTR KK_FX_INLINE void kk_dwx_blk##SFX##RSFX(const float *const *rows, int64_t half, const V *wv, const int K,  \
                                            const int S, const int NV, float *y, const float *res, int64_t ow,   \
                                            int64_t skip, V bias, int clamp, V lo, V hi) {                       \
        enum { R = 4 };                                                                                          \
        for (int64_t ox = 0; ox < ow; ox += NV * VL) {                                                           \
            V acc[4][2];                                                                                         \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                                  \
                _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++) acc[r][v] = ZERO;                           \
            _Pragma(IRUNROLL) for (int ir = 0; ir < (R - 1) * S + K; ir++) {                                     \
                const float *xr = rows[ir] + ox;                                                                 \
                V al[2][3]; /* each phase's aligned vectors; TAP may build the taps from them */                 \
                _Pragma("GCC unroll 2") for (int q = 0; q < S; q++)                                              \
                    _Pragma("GCC unroll 3") for (int v = 0; v <= NV; v++) al[q][v] = LD(xr + q * half + v * VL); \
                _Pragma("GCC unroll 8") for (int b = 0; b < K; b++) {                                            \
                    const float *xq = xr + (b % S) * half + b / S;                                               \
                    V xv[2];                                                                                     \
                    _Pragma("GCC unroll 2") for (int v = 0; v < NV; v++)                                         \
                        xv[v] = TAP(al[b % S][v], al[b % S][v + 1], b / S, xq + v * VL);                         \
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
    ATTR KK_FX_INLINE void kk_dwx_fill##SFX(float *dst, const float *xr, int64_t iw, int64_t pw, int64_t sw,    \
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

/* Offset in a ring row of column tap `off` at stride s (1 or 2: phases of
 * `half` floats), without a division. */
#define KK_DWX_TAP(off, s, half) ((s) == 1 ? (off) : ((off) & 1) * (half) + ((off) >> 1))

/* Fills rows[0, nin) with the slots of input rows iy0 .. iy0 + nin - 1 (a
 * zero slot outside the plane), copying each row once while it stays in
 * the ring of ns slots. */
#define KK_DWX_RING(SFX, ATTR)                                                                                   \
    ATTR KK_FX_INLINE void kk_dwx_ring##SFX(const float **rows, int64_t nin, int64_t iy0, const float *xp,      \
                                             int64_t ih, int64_t iw, int64_t pw, int64_t sw, int64_t half,       \
                                             float *buf, int64_t *tag, int64_t ns, const float *zrow) {          \
        int64_t slot = -1; /* iy % ns: one division per call, then the next slot */                              \
        for (int64_t i = 0; i < nin; i++) {                                                                      \
            const int64_t iy = iy0 + i;                                                                          \
            if (iy < 0 || iy >= ih) {                                                                            \
                rows[i] = zrow;                                                                                  \
                continue;                                                                                        \
            }                                                                                                    \
            slot = slot < 0 ? iy % ns : slot + 1 == ns ? 0 : slot + 1;                                           \
            float *dst = buf + slot * sw * half;                                                                 \
            if (tag[slot] != iy) {                                                                               \
                tag[slot] = iy;                                                                                  \
                kk_dwx_fill##SFX(dst, xp + iy * iw, iw, pw, sw, half);                                           \
            }                                                                                                    \
            rows[i] = dst;                                                                                       \
        }                                                                                                        \
    }

/* gcc's tree-sink pass moves each accumulator's whole chain of FMAs down
 * to its store in the unrolled blocks below, so every input vector is
 * staged through the stack and read back by one FMA chain at a time (5x5
 * with two vectors: 193 of 200 FMAs with a stack operand, 36 % slower than
 * the source order, which keeps the loaded row in registers for all four
 * output rows). The blocks are built without it; clang has no such pass. */
#if defined(__GNUC__) && !defined(__clang__)
#define KK_DWX_NOSINK __attribute__((optimize("no-tree-sink")))
#else
#define KK_DWX_NOSINK
#endif

/* The block of (K, S, NV) as a function of its own, never inlined (one
 * large function holding every variant compiles several times slower).
 * ep: bias, lo, hi. */
#define KK_DWX_BFN(SFX, ATTR, V, K, S, NV, RSFX)                                                                 \
    ATTR __attribute__((noinline)) KK_DWX_NOSINK KK_API void kk_dwx_b##SFX##_##K##S##NV(                       \
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

/* One depthwise plane with the row ring (never inlined: its stack ring
 * stays out of the callers' frames). */
#define KK_DWX_PLANE(SFX, NAME, ATTR, V, VL, LD, ST, LDM, STM, SET1, ZERO, FMA, ADD, MIN, MAX)                    \
    ATTR __attribute__((noinline)) KK_API void NAME(const kk_fdw_f32 *p, int64_t plane) {                       \
        if (VL == 16 && p->ow <= 8 && p->kh < 7) { /* narrow rows: half vectors waste less */                    \
            kk_dwx_one256(p, plane);                                                                             \
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
        _Alignas(64) float buf[KK_DWX_BUF]; /* rows 64-byte aligned: half is a multiple of 16 */              \
        int64_t tag[KK_DWX_SLOTS];                                                                               \
        const float *rows[KK_DWX_SLOTS];                                                                         \
        float *zrow = buf + ns * S * half;                                                                       \
        for (int64_t i = 0; i < (ns + 1) * S * half; i += VL) ST(buf + i, ZERO);                                \
        for (int64_t q = 0; q < ns; q++) tag[q] = -1;                                                            \
        const int64_t ch = plane % p->c;                                                                         \
        const float *xp = p->x + plane / p->mult * p->ih * p->iw; /* input plane of output channel ch */         \
        const float *wp = p->w + ch * p->kh * p->kw;                                                             \
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
                            acc = FMA(SET1(wp[a * p->kw + b]), LD(xr + KK_DWX_TAP(off, S, half)), acc);        \
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

/* ------------------------------------------- depthwise channel blocks */

/* In-register transposes: r[i] lane j becomes r[j] lane i (loops unrolled
 * at -O2 too, so t and u stay in registers: rolled, they went through the
 * stack and made the channel blocks 2.5 times slower). */
KK_X512 KK_FX_INLINE void kk_dwx_tr512(__m512 *r) {
    __m512 t[16], u[16];
    _Pragma("GCC unroll 8") for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    /* u[4i + j], 128-bit lane k: column 4k + j of rows 4i .. 4i + 3 */
    _Pragma("GCC unroll 8") for (int i = 0; i < 4; i++) {
        const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
        const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    _Pragma("GCC unroll 8") for (int j = 0; j < 4; j++) {
        const __m512 p0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x44), p1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xEE);
        const __m512 q0 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x44);
        const __m512 q1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xEE);
        r[j] = _mm512_shuffle_f32x4(p0, q0, 0x88);
        r[4 + j] = _mm512_shuffle_f32x4(p0, q0, 0xDD);
        r[8 + j] = _mm512_shuffle_f32x4(p1, q1, 0x88);
        r[12 + j] = _mm512_shuffle_f32x4(p1, q1, 0xDD);
    }
}
KK_X256 KK_FX_INLINE void kk_dwx_tr256(__m256 *r) {
    __m256 t[8], u[8];
    _Pragma("GCC unroll 8") for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    _Pragma("GCC unroll 8") for (int i = 0; i < 2; i++) {
        const __m256d a = _mm256_castps_pd(t[4 * i]), b = _mm256_castps_pd(t[4 * i + 1]);
        const __m256d c = _mm256_castps_pd(t[4 * i + 2]), d = _mm256_castps_pd(t[4 * i + 3]);
        u[4 * i] = _mm256_castpd_ps(_mm256_unpacklo_pd(a, c));
        u[4 * i + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(a, c));
        u[4 * i + 2] = _mm256_castpd_ps(_mm256_unpacklo_pd(b, d));
        u[4 * i + 3] = _mm256_castpd_ps(_mm256_unpackhi_pd(b, d));
    }
    _Pragma("GCC unroll 8") for (int j = 0; j < 4; j++) {
        r[j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
        r[4 + j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x31);
    }
}

/* NB outputs of one row, stride S, channels across the lanes: x is the
 * window's top-left input vector of the first output in the padded
 * channel-interleaved plane (next row dstep floats on, next column bstep),
 * wv the taps (lane = channel). Taps in (kh, kw) order from zero, then
 * the bias ep[0] and (clamp) ep[1] <= y <= ep[2]: the row kernels'
 * arithmetic, so both give the same bits. */
#define KK_DWX_CROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, S, NB)                                    \
    ATTR __attribute__((noinline)) KK_API void kk_dwx_cr##SFX##_##S##NB(                                          \
        const float *x, int64_t kh, int64_t kw, int64_t dstep, int64_t bstep, const V *wv, float *o, const V *ep, \
        int clamp) {                                                                                             \
        V acc[NB];                                                                                               \
        _Pragma("GCC unroll 8") for (int j = 0; j < NB; j++) acc[j] = ZERO;                                      \
        for (int64_t a = 0; a < kh; a++) {                                                                       \
            const float *xr = x + a * dstep;                                                                     \
            const V *wr = wv + a * kw;                                                                           \
            for (int64_t b = 0; b < kw; b++) {                                                                   \
                const V w = wr[b];                                                                               \
                const float *xb = xr + b * bstep;                                                                \
                _Pragma("GCC unroll 8") for (int j = 0; j < NB; j++) acc[j] = FMA(w, LD(xb + j * S * VL), acc[j]); \
            }                                                                                                    \
        }                                                                                                        \
        _Pragma("GCC unroll 8") for (int j = 0; j < NB; j++) {                                                   \
            V t = ADD(acc[j], ep[0]);                                                                            \
            if (clamp) t = MIN(MAX(t, ep[1]), ep[2]);                                                            \
            ST(o + j * VL, t);                                                                                   \
        }                                                                                                        \
    }
/* NR rows (rstep floats apart in the input, ostep in the output) of NB
 * outputs like KK_DWX_CROW, for a square K x K filter without column
 * dilation: per filter row, its K taps in registers and each input vector
 * loaded once for every output of its row that reads it (the same order
 * of taps per output). */
#define KK_DWX_CKROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, NR, K, S, NB)                           \
    ATTR __attribute__((noinline)) KK_API void kk_dwx_ck##SFX##_##K##S##NB(                                       \
        const float *x, int64_t dstep, int64_t rstep, const V *wv, float *o, int64_t ostep, const V *ep,          \
        int clamp) {                                                                                             \
        V acc[NR][NB];                                                                                           \
        _Pragma("GCC unroll 2") for (int r = 0; r < NR; r++)                                                     \
            _Pragma("GCC unroll 8") for (int j = 0; j < NB; j++) acc[r][j] = ZERO;                               \
        _Pragma("GCC unroll 1") for (int a = 0; a < K; a++) {                                                    \
            V w[K];                                                                                              \
            _Pragma("GCC unroll 8") for (int b = 0; b < K; b++) w[b] = wv[a * K + b];                            \
            _Pragma("GCC unroll 2") for (int r = 0; r < NR; r++) {                                               \
                const float *xr = x + a * dstep + r * rstep;                                                     \
                _Pragma("GCC unroll 24") for (int i = 0; i < (NB - 1) * S + K; i++) {                            \
                    const V xv = LD(xr + i * VL);                                                                \
                    _Pragma("GCC unroll 8") for (int j = 0; j < NB; j++) {                                       \
                        const int b = i - j * S;                                                                 \
                        if (b >= 0 && b < K) acc[r][j] = FMA(w[b], xv, acc[r][j]);                               \
                    }                                                                                            \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
        _Pragma("GCC unroll 2") for (int r = 0; r < NR; r++)                                                     \
            _Pragma("GCC unroll 8") for (int j = 0; j < NB; j++) {                                               \
                V t = ADD(acc[r][j], ep[0]);                                                                     \
                if (clamp) t = MIN(MAX(t, ep[1]), ep[2]);                                                        \
                ST(o + r * ostep + j * VL, t);                                                                   \
            }                                                                                                    \
    }
#define KK_DWX_CKROWS(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, NR, K, S)                              \
    KK_DWX_CKROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, NR, K, S, 7)                                \
    KK_DWX_CKROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, NR, K, S, 8)
/* The square kernels of an instruction set, NR rows at a time. */
#define KK_DWX_CKALL(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, NR)                                     \
    KK_DWX_CKROWS(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, NR, 3, 1)                                  \
    KK_DWX_CKROWS(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, NR, 3, 2)                                  \
    KK_DWX_CKROWS(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, NR, 5, 1)                                  \
    KK_DWX_CKROWS(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, NR, 5, 2)                                  \
    KK_DWX_CKROWS(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, NR, 7, 1)                                  \
    KK_DWX_CKROWS(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, NR, 7, 2)
#define KK_DWX_CKCASE(SFX, K, S)                                                                                 \
    case (K) * 4 + (S) * 2 - 2:                                                                                  \
        kk_dwx_ck##SFX##_##K##S##7(x0, dstep, rstep, wv, o, ostep, ep, cl);                                      \
        break;                                                                                                   \
    case (K) * 4 + (S) * 2 - 1:                                                                                  \
        kk_dwx_ck##SFX##_##K##S##8(x0, dstep, rstep, wv, o, ostep, ep, cl);                                      \
        break;
#define KK_DWX_CROWS(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, S)                                      \
    KK_DWX_CROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, S, 1)                                        \
    KK_DWX_CROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, S, 2)                                        \
    KK_DWX_CROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, S, 3)                                        \
    KK_DWX_CROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, S, 4)                                        \
    KK_DWX_CROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, S, 5)                                        \
    KK_DWX_CROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, S, 6)                                        \
    KK_DWX_CROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, S, 7)                                        \
    KK_DWX_CROW(SFX, ATTR, V, VL, LD, ST, ZERO, FMA, ADD, MIN, MAX, S, 8)
#define KK_DWX_CRCASE(SFX, S, NB)                                                                                \
    case (S) * 8 + (NB) - 1:                                                                                     \
        kk_dwx_cr##SFX##_##S##NB(x0, p->kh, p->kw, dstep, bstep, wv, o, ep, cl);                                 \
        break;
#define KK_DWX_CRCALL(SFX, S)                                                                                    \
    KK_DWX_CRCASE(SFX, S, 1) KK_DWX_CRCASE(SFX, S, 2) KK_DWX_CRCASE(SFX, S, 3) KK_DWX_CRCASE(SFX, S, 4)         \
    KK_DWX_CRCASE(SFX, S, 5) KK_DWX_CRCASE(SFX, S, 6) KK_DWX_CRCASE(SFX, S, 7) KK_DWX_CRCASE(SFX, S, 8)

/* Planes [plane, plane + nc) of one image (nc <= VL channels, a lane
 * each): transposed into a zero-padded channel-interleaved plane
 * ([ny][nx][VL] floats), every output one vector FMA per tap, the outputs
 * ([oh * ow][VL]) transposed back. Returns 0 (nothing done) when the
 * geometry does not fit the stack buffer. */
#define KK_DWX_CBLK(SFX, ATTR, V, VL, LD, ST, LDM, STM, SET1, ZERO, ADD, MIN, MAX, NR)                           \
    ATTR __attribute__((noinline)) KK_API int kk_dwx_cb##SFX(const kk_fdw_f32 *p, int64_t plane, int64_t nc) {  \
        const int64_t S = p->sw, taps = p->kh * p->kw, isz = p->ih * p->iw, osz = p->oh * p->ow;                 \
        const int64_t ey = (p->oh - 1) * p->sh + (p->kh - 1) * p->dh + 1;                                        \
        const int64_t ex = (p->ow - 1) * S + (p->kw - 1) * p->dw + 1;                                            \
        const int64_t ny = p->ph + p->ih > ey ? p->ph + p->ih : ey, nx = p->pw + p->iw > ex ? p->pw + p->iw : ex; \
        const int64_t opad = (osz + VL - 1) / VL * VL;                                                           \
        if (S < 1 || S > 2 || taps > KK_FDW_CB_TAPS || nc < 1 || nc > VL || (ny * nx + opad) * VL > KK_FDW_CB_BUF) \
            return 0;                                                                                            \
        _Alignas(64) float buf[KK_FDW_CB_BUF];                                                                   \
        V wv[KK_FDW_CB_TAPS];                                                                                    \
        float *xs = buf, *os = buf + ny * nx * VL;                                                               \
        const int64_t c0 = plane % p->c;                                                                         \
        const float *xp = p->x + plane * isz;                                                                    \
        float *yp = p->y + plane * osz;                                                                          \
        const float *rp = p->res ? p->res + plane * osz : NULL;                                                  \
        for (int64_t t0 = 0; t0 < taps; t0 += VL) { /* the taps across the lanes (zero past nc) */              \
            const int64_t n = taps - t0 < VL ? taps - t0 : VL;                                                   \
            V r[VL];                                                                                             \
            _Pragma("GCC unroll 16") for (int l = 0; l < VL; l++) r[l] =                                         \
                l < nc ? LDM(p->w + (c0 + l) * taps + t0, n) : ZERO;                                             \
            kk_dwx_tr##SFX(r);                                                                                   \
            _Pragma("GCC unroll 16") for (int j = 0; j < VL; j++) if (j < n) wv[t0 + j] = r[j];                  \
        }                                                                                                        \
        _Alignas(64) float bl[VL];                                                                               \
        for (int64_t l = 0; l < VL; l++) bl[l] = l < nc && p->b ? p->b[c0 + l] : 0.0f;                          \
        const int clamp = p->act == KK_UN_RELU || p->act == KK_UN_CLIP;                                         \
        const V lo = SET1(p->act == KK_UN_CLIP ? p->alpha : 0.0f);                                               \
        const V hi = SET1(p->act == KK_UN_CLIP ? p->beta : INFINITY);                                            \
        const V ep[3] = {LD(bl), lo, hi};                                                                        \
        /* the padding of the input plane */                                                                     \
        for (int64_t yy = 0; yy < ny; yy++) {                                                                    \
            float *row = xs + yy * nx * VL;                                                                      \
            const int full = yy < p->ph || yy >= p->ph + p->ih;                                                  \
            for (int64_t xx = 0; xx < nx; xx++) {                                                                \
                if (!full && xx == p->pw) xx = p->pw + p->iw;                                                    \
                if (xx < nx) ST(row + xx * VL, ZERO);                                                            \
            }                                                                                                    \
        }                                                                                                        \
        /* the input: VL positions of every channel at a time */                                                 \
        int64_t iy = 0, ix = 0;                                                                                  \
        for (int64_t s0 = 0; s0 < isz; s0 += VL) {                                                               \
            const int64_t n = isz - s0 < VL ? isz - s0 : VL;                                                     \
            V r[VL];                                                                                             \
            _Pragma("GCC unroll 16") for (int l = 0; l < VL; l++) {                                              \
                const float *src = xp + l * isz + s0;                                                            \
                r[l] = l >= nc ? ZERO : n == VL ? LD(src) : LDM(src, n);                                         \
            }                                                                                                    \
            kk_dwx_tr##SFX(r);                                                                                   \
            _Pragma("GCC unroll 16") for (int j = 0; j < VL; j++) {                                              \
                if (j >= n) break;                                                                               \
                ST(xs + ((iy + p->ph) * nx + ix + p->pw) * VL, r[j]);                                            \
                if (++ix == p->iw) ix = 0, iy++;                                                                 \
            }                                                                                                    \
        }                                                                                                        \
        /* the outputs: rows in chunks of at most 8, the last one overlapping the one before */                  \
        /* (square 3x3 / 5x5 / 7x7 without column dilation: NR rows of 7 or 8, the KK_DWX_CKROW kernels; the    \
         * last rows overlap the ones before them) */                                                            \
        const int sq = p->kh == p->kw && (p->kh == 3 || p->kh == 5 || p->kh == 7) && p->dw == 1 &&              \
                       p->ow >= 7 && p->oh >= NR;                                                                \
        const int64_t nch = sq ? (p->ow % 7 ? (p->ow + 7) / 8 : p->ow / 7) : (p->ow + 7) / 8;                    \
        const int64_t nb = sq ? (p->ow % 7 ? 8 : 7) : (p->ow + nch - 1) / nch;                                   \
        const int64_t dstep = p->dh * nx * VL, bstep = p->dw * VL, rstep = p->sh * nx * VL, ostep = p->ow * VL;  \
        const int cl = clamp && !rp;                                                                             \
        for (int64_t oy0 = 0; oy0 < p->oh; oy0 += sq ? NR : 1)                                                   \
            for (int64_t k = 0; k < nch; k++) {                                                                  \
                const int64_t ox = k * nb + nb > p->ow ? p->ow - nb : k * nb;                                    \
                const int64_t oy = sq && oy0 + NR > p->oh ? p->oh - NR : oy0;                                    \
                const float *x0 = xs + (oy * p->sh * nx + ox * S) * VL;                                          \
                float *o = os + (oy * p->ow + ox) * VL;                                                          \
                if (sq) {                                                                                        \
                    switch (p->kh * 4 + S * 2 - 2 + (nb == 8)) {                                                 \
                        KK_DWX_CKCASE(SFX, 3, 1)                                                                 \
                        KK_DWX_CKCASE(SFX, 3, 2)                                                                 \
                        KK_DWX_CKCASE(SFX, 5, 1)                                                                 \
                        KK_DWX_CKCASE(SFX, 5, 2)                                                                 \
                        KK_DWX_CKCASE(SFX, 7, 1)                                                                 \
                        KK_DWX_CKCASE(SFX, 7, 2)                                                                 \
                    default:                                                                                     \
                        break;                                                                                   \
                    }                                                                                            \
                    continue;                                                                                    \
                }                                                                                                \
                switch (S * 8 + nb - 1) {                                                                        \
                    KK_DWX_CRCALL(SFX, 1)                                                                        \
                    KK_DWX_CRCALL(SFX, 2)                                                                        \
                default:                                                                                         \
                    break;                                                                                       \
                }                                                                                                \
            }                                                                                                    \
        for (int64_t q = osz; q < opad; q++) ST(os + q * VL, ZERO);                                              \
        if (p->act && !clamp && !rp) kk_dwx_act##SFX(os, osz * VL, p->act, p->alpha, p->beta);                   \
        /* back to planes: VL positions of every channel at a time; residual, then the clamp */                  \
        for (int64_t s0 = 0; s0 < osz; s0 += VL) {                                                               \
            const int64_t n = osz - s0 < VL ? osz - s0 : VL;                                                     \
            V r[VL];                                                                                             \
            _Pragma("GCC unroll 16") for (int l = 0; l < VL; l++) r[l] = LD(os + (s0 + l) * VL);                 \
            kk_dwx_tr##SFX(r);                                                                                   \
            _Pragma("GCC unroll 16") for (int l = 0; l < VL; l++) {                                              \
                if (l >= nc) break;                                                                              \
                V t = r[l];                                                                                      \
                if (rp) {                                                                                        \
                    t = ADD(t, n == VL ? LD(rp + l * osz + s0) : LDM(rp + l * osz + s0, n));                     \
                    if (clamp) t = MIN(MAX(t, lo), hi);                                                          \
                }                                                                                                \
                if (n == VL) ST(yp + l * osz + s0, t);                                                           \
                else STM(yp + l * osz + s0, n, t);                                                               \
            }                                                                                                    \
        }                                                                                                        \
        if (rp && p->act && !clamp)                                                                              \
            for (int64_t l = 0; l < nc; l++) kk_dwx_act##SFX(yp + l * osz, osz, p->act, p->alpha, p->beta);      \
        return 1;                                                                                                \
    }

/* A depthwise plane, or (p->cblk) a block of planes (kk_fdw_fn). */
#define KK_DWX_DWFN(SFX, NAME, ATTR, VL)                                                                         \
    ATTR KK_API void NAME(const kk_fdw_f32 *p, int64_t plane) {                                                  \
        if (!p->cblk) {                                                                                          \
            kk_dwx_one##SFX(p, plane);                                                                           \
            return;                                                                                              \
        }                                                                                                        \
        const int64_t n = p->c - plane % p->c < p->cblk ? p->c - plane % p->c : p->cblk;                         \
        for (int64_t q = 0; q < n; q += VL) {                                                                    \
            const int64_t m = n - q < VL ? n - q : VL;                                                           \
            if (!kk_dwx_cb##SFX(p, plane + q, m))                                                                \
                for (int64_t i = 0; i < m; i++) kk_dwx_one##SFX(p, plane + q + i);                               \
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
                            acc = ADD(acc, LD(xr + KK_DWX_TAP(off, S, half)));                                 \
                        }                                                                                        \
                    }                                                                                            \
                    const V t = DIV(acc, MUL(chv, LD(cwf + ox)));                                                \
                    if (ow - ox >= VL) ST(yr + ox, t);                                                           \
                    else STM(yr + ox, ow - ox, t);                                                               \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
    }

/* AveragePool 2x2 stride 2 with every window inside the plane (LeNet's,
 * VGG-style heads): per output row, the even and odd floats of its two
 * input rows, summed in the reference's order from 0 (so -0 and rounding
 * match it) and scaled by 1/4 (exact, as the division by 4). No ring. */
#define KK_DWX_AVG22(SFX, ATTR, V, VL, STM, SET1, ZERO, ADD, MUL)                                                \
    ATTR KK_API void kk_dwx_avg22_##SFX(const kk_favg_f32 *p, int64_t q0, int64_t q1) {                          \
        const int64_t iw = p->iw, ow = p->ow;                                                                    \
        const V quarter = SET1(0.25f);                                                                           \
        for (int64_t plane = q0; plane < q1; plane++) {                                                          \
            const float *xp = p->x + plane * p->ih * iw;                                                         \
            float *yp = p->y + plane * p->oh * ow;                                                               \
            for (int64_t oy = 0; oy < p->oh; oy++) {                                                             \
                const float *r0 = xp + 2 * oy * iw, *r1 = r0 + iw;                                               \
                for (int64_t ox = 0; ox < ow; ox += VL) {                                                        \
                    const int64_t n = 2 * (ow - ox) < iw - 2 * ox ? 2 * (ow - ox) : iw - 2 * ox;                 \
                    V e0, o0, e1, o1;                                                                            \
                    kk_dwx_pair##SFX(r0 + 2 * ox, n, &e0, &o0);                                                  \
                    kk_dwx_pair##SFX(r1 + 2 * ox, n, &e1, &o1);                                                  \
                    const V t = MUL(ADD(ADD(ADD(ADD(ZERO, e0), o0), e1), o1), quarter);                          \
                    STM(yp + oy * ow + ox, ow - ox, t);                                                          \
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

/* hi:lo shifted down by o floats (o < 16 a constant once unrolled; a
 * switch of immediates so -O0 builds it too). */
#define KK_DWX_ALIGNR(o)                                                                                         \
    case o:                                                                                                      \
        return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), o));
KK_X512 KK_FX_INLINE __m512 kk_dwx_shift512(__m512 lo, __m512 hi, int o) {
    switch (o) {
        KK_DWX_ALIGNR(1) KK_DWX_ALIGNR(2) KK_DWX_ALIGNR(3) KK_DWX_ALIGNR(4) KK_DWX_ALIGNR(5) KK_DWX_ALIGNR(6)
    default:
        return lo;
    }
}
#define KK_DWX_TAP512(lo, hi, o, ptr) ((void)(ptr), kk_dwx_shift512(lo, hi, o))
/* AVX2 has no two-register lane-crossing shift: load (the aligned loads go unused) */
#define KK_DWX_TAP256(lo, hi, o, ptr) ((void)(lo), (void)(hi), _mm256_loadu_ps(ptr))
KK_DWX_ACTROW(512, KK_X512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_LDM512, KK_DWX_STM512)
KK_DWX_ACTROW(256, KK_X256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, KK_DWX_LDM256, KK_DWX_STM256)
KK_DWX_BLOCK(512, KK_X512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_LDM512, KK_DWX_STM512,
             _mm512_setzero_ps(), _mm512_fmadd_ps, _mm512_add_ps, _mm512_min_ps, _mm512_max_ps, ,
             "GCC unroll 16", KK_DWX_TAP512)
/* 7x7: the input rows loop stays rolled (unrolled, gcc spills the accumulators) */
KK_DWX_BLOCK(512, KK_X512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_LDM512, KK_DWX_STM512,
             _mm512_setzero_ps(), _mm512_fmadd_ps, _mm512_add_ps, _mm512_min_ps, _mm512_max_ps, r,
             "GCC unroll 1", KK_DWX_TAP512)
KK_DWX_BLOCK(256, KK_X256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, KK_DWX_LDM256, KK_DWX_STM256,
             _mm256_setzero_ps(), _mm256_fmadd_ps, _mm256_add_ps, _mm256_min_ps, _mm256_max_ps, ,
             "GCC unroll 16", KK_DWX_TAP256)
KK_DWX_FILL(512, KK_X512, __m512, 16, _mm512_storeu_ps, _mm512_loadu_ps, KK_DWX_LDM512, KK_DWX_STM512)
KK_DWX_FILL(256, KK_X256, __m256, 8, _mm256_storeu_ps, _mm256_loadu_ps, KK_DWX_LDM256, KK_DWX_STM256)
KK_DWX_RING(512, KK_X512)
KK_DWX_RING(256, KK_X256)
KK_DWX_BFNS(512, KK_X512, __m512)
KK_DWX_BFNS(256, KK_X256, __m256)
KK_DWX_BFN(512, KK_X512, __m512, 7, 1, 1, r)
KK_DWX_BFN(512, KK_X512, __m512, 7, 1, 2, r)
#define KK_DWX_CALL7512 KK_DWX_CALL(512, 7, 1)
#define KK_DWX_CALL7256 {}
KK_X256 KK_API void kk_dwx_one256(const kk_fdw_f32 *p, int64_t plane);
KK_DWX_PLANE(512, kk_dwx_one512, KK_X512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_LDM512,
             KK_DWX_STM512, _mm512_set1_ps, _mm512_setzero_ps(), _mm512_fmadd_ps, _mm512_add_ps, _mm512_min_ps,
             _mm512_max_ps)
KK_DWX_PLANE(256, kk_dwx_one256, KK_X256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, KK_DWX_LDM256,
             KK_DWX_STM256, _mm256_set1_ps, _mm256_setzero_ps(), _mm256_fmadd_ps, _mm256_add_ps, _mm256_min_ps,
             _mm256_max_ps)
KK_DWX_CROWS(512, KK_X512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_setzero_ps(), _mm512_fmadd_ps,
             _mm512_add_ps, _mm512_min_ps, _mm512_max_ps, 1)
KK_DWX_CROWS(512, KK_X512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_setzero_ps(), _mm512_fmadd_ps,
             _mm512_add_ps, _mm512_min_ps, _mm512_max_ps, 2)
KK_DWX_CROWS(256, KK_X256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_setzero_ps(), _mm256_fmadd_ps,
             _mm256_add_ps, _mm256_min_ps, _mm256_max_ps, 1)
KK_DWX_CROWS(256, KK_X256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_setzero_ps(), _mm256_fmadd_ps,
             _mm256_add_ps, _mm256_min_ps, _mm256_max_ps, 2)
KK_DWX_CKALL(512, KK_X512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_setzero_ps(), _mm512_fmadd_ps,
             _mm512_add_ps, _mm512_min_ps, _mm512_max_ps, 2)
KK_DWX_CKALL(256, KK_X256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_setzero_ps(), _mm256_fmadd_ps,
             _mm256_add_ps, _mm256_min_ps, _mm256_max_ps, 1)
KK_DWX_CBLK(512, KK_X512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_LDM512, KK_DWX_STM512,
            _mm512_set1_ps, _mm512_setzero_ps(), _mm512_add_ps, _mm512_min_ps, _mm512_max_ps, 2)
KK_DWX_CBLK(256, KK_X256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, KK_DWX_LDM256, KK_DWX_STM256,
            _mm256_set1_ps, _mm256_setzero_ps(), _mm256_add_ps, _mm256_min_ps, _mm256_max_ps, 1)
KK_DWX_DWFN(512, kk_dwx_plane_avx512, KK_X512, 16)
KK_DWX_DWFN(256, kk_dwx_plane_avx2, KK_X256, 8)
KK_DWX_AVG(512, KK_X512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_STM512, _mm512_set1_ps,
           _mm512_setzero_ps(), _mm512_add_ps, _mm512_mul_ps, _mm512_div_ps)
KK_DWX_AVG(256, KK_X256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, KK_DWX_STM256, _mm256_set1_ps,
           _mm256_setzero_ps(), _mm256_add_ps, _mm256_mul_ps, _mm256_div_ps)
KK_DWX_AVG22(512, KK_X512, __m512, 16, KK_DWX_STM512, _mm512_set1_ps, _mm512_setzero_ps(), _mm512_add_ps,
             _mm512_mul_ps)
KK_DWX_AVG22(256, KK_X256, __m256, 8, KK_DWX_STM256, _mm256_set1_ps, _mm256_setzero_ps(), _mm256_add_ps,
             _mm256_mul_ps)
KK_DWX_GAP(512, KK_X512, __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, KK_DWX_LDM512, _mm512_setzero_ps(),
           _mm512_add_ps)
KK_DWX_GAP(256, KK_X256, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, KK_DWX_LDM256, _mm256_setzero_ps(),
           _mm256_add_ps)

#define KK_DWX_X86 1
#else /* not x86: the plain C planes */

/* A plane, or (p->cblk) a block of planes, with the plain C loop. */
KK_API void kk_dwx_plane_avx512(const kk_fdw_f32 *p, int64_t plane) {
    const int64_t n = !p->cblk ? 1 : p->c - plane % p->c < p->cblk ? p->c - plane % p->c : p->cblk;
    for (int64_t q = 0; q < n; q++) kk_fdw_plane_c(p, plane + q);
}
KK_API void kk_dwx_plane_avx2(const kk_fdw_f32 *p, int64_t plane) { kk_dwx_plane_avx512(p, plane); }

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
    if (p->k22) {
        if (p->level == KK_ISA_AVX512) kk_dwx_avg22_512(p, q0, q1);
        else kk_dwx_avg22_256(p, q0, q1);
        return;
    }
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
