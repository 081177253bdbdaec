/*
 * fast/maxpool_x86.c - the AVX2 and AVX-512 MaxPool planes of kiln's fast
 * path (kk_maxpool_x86.h); kk_fisa_x86 (fast_x86.c) hands them out.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"
#include "kk_fast.h"
#include "kk_fast_x86.h"
#include "kk_maxpool_x86.h"

#if defined(__x86_64__) || defined(__i386__)

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
    (SW == 1 ? (EDGE ? KK_MP(LDM)(R + s + g.off[b], m[b][0]) : KK_MP(LD)(R + s + g.off[b]))                      \
             : KK_MP(HALF)(EDGE ? KK_MP(LDM)(R + s + g.off[b], m[b][0]) : KK_MP(LD)(R + s + g.off[b]),           \
                          EDGE ? KK_MP(LDM)(R + s + g.off[b] + KK_MP(VL), m[b][1])                               \
                               : KK_MP(LD)(R + s + g.off[b] + KK_MP(VL)),                                        \
                          idx[b]))
/* The horizontal maxima of vectors [v0, v1) of row xr into h: KW taps
 * (2, 3, or 0: any kw), stride SW, EDGE: the vectors outside [va, vb). */
#define KK_FX_MP_HLOOP(KW, SW, EDGE, v0, v1)                                                                     \
    for (int64_t v = v0; v < v1; v++) {                                                                          \
        const int64_t s = SW * v * KK_MP(VL);                                                                    \
        const uint32_t(*m)[2] = g.mk[!EDGE ? 0 : v < g.va ? v : g.va + v - g.vb];                                \
        (void)m;                                                                                                 \
        KK_MP(V) acc = KK_MP(MAX)(KK_FX_MP_TAP(xr, 0, SW, EDGE), ninf);                                          \
        if (KW == 2 || KW == 3) acc = KK_MP(MAX)(KK_FX_MP_TAP(xr, 1, SW, EDGE), acc);                            \
        if (KW == 3) acc = KK_MP(MAX)(KK_FX_MP_TAP(xr, 2, SW, EDGE), acc);                                       \
        if (KW == 0)                                                                                             \
            for (int64_t b = 1; b < kw; b++) acc = KK_MP(MAX)(KK_FX_MP_TAP(xr, b, SW, EDGE), acc);               \
        KK_MP(ST)(h + v * KK_MP(VL), acc);                                                                       \
    }
#define KK_FX_MP_HROW(KW, SW)                                                                                    \
    do {                                                                                                         \
        KK_FX_MP_HLOOP(KW, SW, 1, 0, g.va)                                                                       \
        KK_FX_MP_HLOOP(KW, SW, 0, g.va, g.vb)                                                                    \
        KK_FX_MP_HLOOP(KW, SW, 1, g.vb, g.nvec)                                                                  \
    } while (0)

/* Stores vector acc of output row yr at column ox (lanes past ow dropped);
 * lanes that came out -inf are redone as kk_fmaxpool_plane_c would (NaN
 * for an all-NaN window). */
#define KK_FX_MP_PUT(acc)                                                                                        \
    do {                                                                                                         \
        unsigned bad = KK_MP(NINF)(acc);                                                                         \
        if (ox + KK_MP(VL) <= ow) KK_MP(ST)(yr + ox, acc);                                                       \
        else {                                                                                                   \
            KK_MP(STN)(yr + ox, ow - ox, acc);                                                                   \
            bad &= (1u << (ow - ox)) - 1u;                                                                       \
        }                                                                                                        \
        for (; bad; bad &= bad - 1u) {                                                                           \
            const int64_t l = __builtin_ctz(bad);                                                                \
            yr[ox + l] = kk_fmaxpool_point_c(p, xp, oy, ox + l);                                                 \
        }                                                                                                        \
    } while (0)
/* Windows of K x K, strides S x S, no dilation (K 3 and S 1 or 2, K 2 and
 * S 2): per output row, the horizontal maxima of its K input rows, the
 * last K - S of them kept (in c1, c2) for the next output row; a row
 * outside the input (pointer NULL) reads -inf. */
#define KK_FX_MP_HV(R, K, S, EDGE)                                                                               \
    (K == 3 ? KK_MP(MAX)(KK_FX_MP_TAP(R, 2, S, EDGE),                                                            \
                        KK_MP(MAX)(KK_FX_MP_TAP(R, 1, S, EDGE), KK_MP(MAX)(KK_FX_MP_TAP(R, 0, S, EDGE), ninf)))  \
            : KK_MP(MAX)(KK_FX_MP_TAP(R, 1, S, EDGE), KK_MP(MAX)(KK_FX_MP_TAP(R, 0, S, EDGE), ninf)))
#define KK_FX_MP_HP(R, K, S, EDGE) ((R) ? KK_FX_MP_HV(R, K, S, EDGE) : ninf)
/* Vectors [v0, v1) of output row oy (rows rp0 .. rp2 of the input). */
#define KK_FX_MP_CELLS(K, S, EDGE, v0, v1)                                                                       \
    for (int64_t v = v0; v < v1; v++) {                                                                          \
        const int64_t s = S * v * KK_MP(VL), ox = v * KK_MP(VL);                                                 \
        const uint32_t(*m)[2] = g.mk[!EDGE ? 0 : v < g.va ? v : g.va + v - g.vb];                                \
        (void)m;                                                                                                 \
        KK_MP(V) h0, h1, h2 = ninf;                                                                              \
        if (K == 3 && S == 2) {                                                                                  \
            h0 = KK_MP(LD)(c2 + ox);                                                                             \
            h1 = KK_FX_MP_HP(rp1, K, S, EDGE);                                                                   \
            h2 = KK_FX_MP_HP(rp2, K, S, EDGE);                                                                   \
            KK_MP(ST)(c2 + ox, h2);                                                                              \
        } else if (K == 3) {                                                                                     \
            h0 = KK_MP(LD)(c1 + ox);                                                                             \
            h1 = KK_MP(LD)(c2 + ox);                                                                             \
            h2 = KK_FX_MP_HP(rp2, K, S, EDGE);                                                                   \
            KK_MP(ST)(c1 + ox, h1);                                                                              \
            KK_MP(ST)(c2 + ox, h2);                                                                              \
        } else {                                                                                                 \
            h0 = KK_FX_MP_HP(rp0, K, S, EDGE);                                                                   \
            h1 = KK_FX_MP_HP(rp1, K, S, EDGE);                                                                   \
        }                                                                                                        \
        KK_MP(V) acc = KK_MP(MAX)(h1, h0);                                                                       \
        if (K == 3) acc = KK_MP(MAX)(h2, acc);                                                                   \
        KK_FX_MP_PUT(acc);                                                                                       \
    }
/* The maxima of input row R into C, vectors [v0, v1). */
#define KK_FX_MP_FILL(C, R, K, S, EDGE, v0, v1)                                                                  \
    for (int64_t v = v0; v < v1; v++) {                                                                          \
        const int64_t s = S * v * KK_MP(VL);                                                                     \
        const uint32_t(*m)[2] = g.mk[!EDGE ? 0 : v < g.va ? v : g.va + v - g.vb];                                \
        (void)m;                                                                                                 \
        KK_MP(ST)(C + v * KK_MP(VL), KK_FX_MP_HP(R, K, S, EDGE));                                                \
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
        float *c1 = hb, *c2 = hb + g.nvec * KK_MP(VL);                                                           \
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

/* The plane function, instantiated per instruction set with KK_MP(op)
 * naming that set's operations (KK_MP512_op, KK_MP256_op): V vector type
 * of VL lanes, SET1 / LD / ST / MAX its broadcast, load, store and maxps;
 * LDM(ptr, m) loads lanes m (bit mask), -inf in the others; HALF(lo, hi,
 * idx) the even or odd floats of two vectors (IDX(par) makes idx, of type
 * VI); STN(ptr, n, v) stores lanes [0, n); NINF(v) the bit mask of lanes
 * equal to -inf (ninf). */
#define KK_FX_MAXPOOL(NAME, ATTR)                                                                                \
    ATTR KK_API void NAME(const kk_fdw_f32 *p, int64_t plane) {                                                  \
        kk_fx_mpgeo g;                                                                                           \
        if (!kk_fx_mpgeo_init(p, KK_MP(VL), &g)) {                                                               \
            _mm256_zeroupper();                                                                                  \
            kk_fmaxpool_plane_c(p, plane);                                                                       \
            return;                                                                                              \
        }                                                                                                        \
        const int64_t span = (p->kh - 1) * p->dh + 1, ow = p->ow, kw = p->kw, hw = g.nvec * KK_MP(VL);           \
        float hb[KK_FX_MP_HBUF];                                                                                 \
        int64_t tag[KK_FX_MP_SLOTS];                                                                             \
        const float *rows[KK_FX_MP_SLOTS];                                                                       \
        KK_MP(VI) idx[KK_FX_MP_TAPS];                                                                            \
        for (int64_t b = 0; b < kw; b++) idx[b] = KK_MP(IDX)(g.par[b]);                                          \
        const float *xp = p->x + plane * p->ih * p->iw;                                                          \
        float *yp = p->y + plane * p->oh * ow;                                                                   \
        const KK_MP(V) ninf = KK_MP(SET1)(-INFINITY);                                                            \
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
            for (int64_t ox = 0; ox < ow; ox += KK_MP(VL)) {                                                     \
                KK_MP(V) acc = KK_MP(LD)(r0 + ox);                                                               \
                if (nr == 2 || nr == 3) acc = KK_MP(MAX)(KK_MP(LD)(r1 + ox), acc);                               \
                if (nr == 3) acc = KK_MP(MAX)(KK_MP(LD)(r2 + ox), acc);                                          \
                if (nr > 3)                                                                                      \
                    for (int64_t a = 1; a < nr; a++) acc = KK_MP(MAX)(KK_MP(LD)(rows[a] + ox), acc);             \
                KK_FX_MP_PUT(acc);                                                                               \
            }                                                                                                    \
        }                                                                                                        \
    }

/* AVX-512 */
KK_X512 KK_FX_INLINE __m512i kk_fx_mp_idx512(int64_t par) {
    return _mm512_add_epi32(_mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30),
                            _mm512_set1_epi32((int)par));
}
#define KK_MP512_V __m512
#define KK_MP512_VI __m512i
#define KK_MP512_VL 16
#define KK_MP512_SET1 _mm512_set1_ps
#define KK_MP512_LD _mm512_loadu_ps
#define KK_MP512_ST _mm512_storeu_ps
#define KK_MP512_MAX _mm512_max_ps
#define KK_MP512_LDM(ptr, m) _mm512_mask_loadu_ps(ninf, (__mmask16)(m), ptr)
#define KK_MP512_HALF(lo, hi, idx) _mm512_permutex2var_ps(lo, idx, hi)
#define KK_MP512_IDX kk_fx_mp_idx512
#define KK_MP512_STN(ptr, n, v) _mm512_mask_storeu_ps(ptr, kk_fx_mask512(n), v)
#define KK_MP512_NINF(v) ((unsigned)_mm512_cmp_ps_mask(v, ninf, _CMP_EQ_OQ))
#define KK_MP(op) KK_MP512_##op
KK_FX_MAXPOOL(kk_fmaxpool_plane_avx512, KK_X512)
#undef KK_MP

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
#define KK_MP256_V __m256
#define KK_MP256_VI __m256i
#define KK_MP256_VL 8
#define KK_MP256_SET1 _mm256_set1_ps
#define KK_MP256_LD _mm256_loadu_ps
#define KK_MP256_ST _mm256_storeu_ps
#define KK_MP256_MAX _mm256_max_ps
#define KK_MP256_LDM(ptr, m) kk_fx_mp_ldm256(ptr, m, ninf)
#define KK_MP256_HALF(lo, hi, idx)                                                                                  \
    _mm256_blend_ps(_mm256_permutevar8x32_ps(lo, idx), _mm256_permutevar8x32_ps(hi, idx), 0xF0)
#define KK_MP256_IDX kk_fx_mp_idx256
#define KK_MP256_STN(ptr, n, v) _mm256_maskstore_ps(ptr, kk_fx_mask256(n), v)
#define KK_MP256_NINF(v) ((unsigned)_mm256_movemask_ps(_mm256_cmp_ps(v, ninf, _CMP_EQ_OQ)))
#define KK_MP(op) KK_MP256_##op
KK_FX_MAXPOOL(kk_fmaxpool_plane_avx2, KK_X256)
#undef KK_MP

#else /* not x86: the plain C plane */

KK_API void kk_fmaxpool_plane_avx512(const kk_fdw_f32 *p, int64_t plane) { kk_fmaxpool_plane_c(p, plane); }
KK_API void kk_fmaxpool_plane_avx2(const kk_fdw_f32 *p, int64_t plane) { kk_fmaxpool_plane_c(p, plane); }

#endif
