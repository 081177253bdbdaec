/*
 * fast/wino.c - Winograd convolution F(m x m, 3 x 3), m = 2 or 4 (see
 * kk_wino.h for the layout of the work): the compile-time filter
 * transform, the plan, and the task (input transform of one tile panel,
 * T*T GEMMs on the panel geometry's micro-kernel, output transform with
 * the epilogue).
 *
 * Transform matrices (Lavin and Gray, points 0, +-1, +-2, +-1/2 for m = 4):
 *   m = 4: B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
 *                 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *          G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
 *                 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
 *          A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 *   m = 2: B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *          G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *          A^T = [1 1 1 0; 0 1 -1 -1]
 *
 * Pasted into generated code (KK_API static) like the other kernels: no
 * allocation, no globals, only C library headers and kk*.h.
 */
#include <stdint.h>
#include <string.h>

#include "kk.h"
#include "kk_fast.h"
#include "kk_wino.h"

/* Transforms work on KK_WVW tiles at once (a panel is NR = 16 or 32 tiles). */
#define KK_WVW 16
#define KK_WMAXNR 32 /* the widest panel geometry (AVX-512) */

#if defined(__GNUC__)
typedef float kk_wv __attribute__((vector_size(64), aligned(4), may_alias));
typedef int32_t kk_wvi __attribute__((vector_size(64)));
#define KK_WJN 1
#define KK_WLD(p) (*(const kk_wv *)(const void *)(p))
#define KK_WST(p, v) (*(kk_wv *)(void *)(p) = (v))
#define KK_WRELU(v) ((kk_wv)((kk_wvi)(v) & ~(kk_wvi)((v) < 0.0f))) /* v < 0 ? 0 : v */
#else
typedef float kk_wv;
#define KK_WJN KK_WVW
#define KK_WLD(p) ((p)[j_])
#define KK_WST(p, v) ((p)[j_] = (v))
#define KK_WRELU(v) ((v) < 0.0f ? 0.0f : (v))
#endif
/* Stores v + bias (+ the residual rs holds at p's offset from o when r is
 * not NULL) at p, then Relu when relu. */
#define KK_WSTF(p, v)                                                                                    \
    do {                                                                                                 \
        kk_wv f_ = (v) + bias;                                                                           \
        if (rs) f_ += KK_WLD(rs + ((p) - o));                                                            \
        if (relu) f_ = KK_WRELU(f_);                                                                     \
        KK_WST(p, f_);                                                                                   \
    } while (0)

KK_API int kk_fwino_tile_ok(int tm) { return tm == 2 || tm == 4; }

/* ------------------------------------------------- filter transform */

KK_API void kk_fwino_weights_f32(const float *w, float *dst, int64_t m, int64_t c, int tm, int mr) {
    static const double g4[6][3] = {{0.25, 0, 0},
                                    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                    {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                    {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                    {0, 0, 1}};
    static const double g2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    const int t = tm + 2;
    const double(*g)[3] = tm == 4 ? g4 : g2;
    for (int64_t o = 0; o < m; o++)
        for (int64_t ci = 0; ci < c; ci++) {
            const float *f = w + (o * c + ci) * 9;
            double gf[6][3]; /* G f */
            for (int a = 0; a < t; a++)
                for (int j = 0; j < 3; j++)
                    gf[a][j] = g[a][0] * f[j] + g[a][1] * f[3 + j] + g[a][2] * f[6 + j];
            const int64_t r0 = o / mr * mr, rows = m - r0 < mr ? m - r0 : mr;
            for (int a = 0; a < t; a++)
                for (int b = 0; b < t; b++) {
                    const double u = gf[a][0] * g[b][0] + gf[a][1] * g[b][1] + gf[a][2] * g[b][2];
                    dst[(int64_t)(a * t + b) * m * c + r0 * c + ci * rows + (o - r0)] = (float)u;
                }
        }
}

/* ------------------------------------------------------- transforms */

/* B^T d B of KK_WVW tiles: d holds the T*T patch values as rows of
 * stride ds ([r * T + s][tile]), v receives point xi at v + xi * vs. */
#define KK_WINO_IN4_BODY                                                                                 \
    for (int j_ = 0; j_ < KK_WJN; j_++) {                                                                \
        kk_wv t[36];                                                                                     \
        for (int s = 0; s < 6; s++) {                                                                    \
            const kk_wv d0 = KK_WLD(d + (0 + s) * ds), d1 = KK_WLD(d + (6 + s) * ds);                    \
            const kk_wv d2 = KK_WLD(d + (12 + s) * ds), d3 = KK_WLD(d + (18 + s) * ds);                  \
            const kk_wv d4 = KK_WLD(d + (24 + s) * ds), d5 = KK_WLD(d + (30 + s) * ds);                  \
            t[0 + s] = 4.0f * d0 - 5.0f * d2 + d4;                                                       \
            t[6 + s] = (d3 + d4) - 4.0f * (d1 + d2);                                                     \
            t[12 + s] = 4.0f * (d1 - d2) + (d4 - d3);                                                    \
            t[18 + s] = 2.0f * (d3 - d1) + (d4 - d2);                                                    \
            t[24 + s] = 2.0f * (d1 - d3) + (d4 - d2);                                                    \
            t[30 + s] = 4.0f * d1 - 5.0f * d3 + d5;                                                      \
        }                                                                                                \
        for (int r = 0; r < 6; r++) {                                                                    \
            const kk_wv *q = t + 6 * r;                                                                  \
            float *o = v + 6 * r * vs;                                                                   \
            KK_WST(o, 4.0f * q[0] - 5.0f * q[2] + q[4]);                                                 \
            KK_WST(o + vs, (q[3] + q[4]) - 4.0f * (q[1] + q[2]));                                        \
            KK_WST(o + 2 * vs, 4.0f * (q[1] - q[2]) + (q[4] - q[3]));                                    \
            KK_WST(o + 3 * vs, 2.0f * (q[3] - q[1]) + (q[4] - q[2]));                                    \
            KK_WST(o + 4 * vs, 2.0f * (q[1] - q[3]) + (q[4] - q[2]));                                    \
            KK_WST(o + 5 * vs, 4.0f * q[1] - 5.0f * q[3] + q[5]);                                        \
        }                                                                                                \
    }

#define KK_WINO_IN2_BODY                                                                                 \
    for (int j_ = 0; j_ < KK_WJN; j_++) {                                                                \
        kk_wv t[16];                                                                                     \
        for (int s = 0; s < 4; s++) {                                                                    \
            const kk_wv d0 = KK_WLD(d + (0 + s) * ds), d1 = KK_WLD(d + (4 + s) * ds);                    \
            const kk_wv d2 = KK_WLD(d + (8 + s) * ds), d3 = KK_WLD(d + (12 + s) * ds);                   \
            t[0 + s] = d0 - d2;                                                                          \
            t[4 + s] = d1 + d2;                                                                          \
            t[8 + s] = d2 - d1;                                                                          \
            t[12 + s] = d1 - d3;                                                                         \
        }                                                                                                \
        for (int r = 0; r < 4; r++) {                                                                    \
            const kk_wv *q = t + 4 * r;                                                                  \
            float *o = v + 4 * r * vs;                                                                   \
            KK_WST(o, q[0] - q[2]);                                                                      \
            KK_WST(o + vs, q[1] + q[2]);                                                                 \
            KK_WST(o + 2 * vs, q[2] - q[1]);                                                             \
            KK_WST(o + 3 * vs, q[1] - q[3]);                                                             \
        }                                                                                                \
    }

/* A^T Y A + bias (+ residual rs, NULL or laid out like o; then Relu when
 * relu) of KK_WVW tiles: point xi of the tiles at y + xi * ys; output
 * (k, l) to o + (k * m + l) * os. */
#define KK_WINO_OUT4_BODY                                                                                \
    for (int j_ = 0; j_ < KK_WJN; j_++) {                                                                \
        kk_wv t[24];                                                                                     \
        for (int s = 0; s < 6; s++) {                                                                    \
            const kk_wv m0 = KK_WLD(y + (0 + s) * ys), m1 = KK_WLD(y + (6 + s) * ys);                    \
            const kk_wv m2 = KK_WLD(y + (12 + s) * ys), m3 = KK_WLD(y + (18 + s) * ys);                  \
            const kk_wv m4 = KK_WLD(y + (24 + s) * ys), m5 = KK_WLD(y + (30 + s) * ys);                  \
            const kk_wv a12 = m1 + m2, s12 = m1 - m2, a34 = m3 + m4, s34 = m3 - m4;                      \
            t[0 + s] = m0 + a12 + a34;                                                                   \
            t[6 + s] = s12 + 2.0f * s34;                                                                 \
            t[12 + s] = a12 + 4.0f * a34;                                                                \
            t[18 + s] = s12 + 8.0f * s34 + m5;                                                           \
        }                                                                                                \
        for (int r = 0; r < 4; r++) {                                                                    \
            const kk_wv *q = t + 6 * r;                                                                  \
            float *z = o + 4 * r * os;                                                                   \
            const kk_wv a12 = q[1] + q[2], s12 = q[1] - q[2], a34 = q[3] + q[4], s34 = q[3] - q[4];      \
            KK_WSTF(z, q[0] + a12 + a34);                                                                 \
            KK_WSTF(z + os, s12 + 2.0f * s34);                                                            \
            KK_WSTF(z + 2 * os, a12 + 4.0f * a34);                                                        \
            KK_WSTF(z + 3 * os, s12 + 8.0f * s34 + q[5]);                                                 \
        }                                                                                                \
    }

#define KK_WINO_OUT2_BODY                                                                                \
    for (int j_ = 0; j_ < KK_WJN; j_++) {                                                                \
        kk_wv t[8];                                                                                      \
        for (int s = 0; s < 4; s++) {                                                                    \
            const kk_wv m0 = KK_WLD(y + (0 + s) * ys), m1 = KK_WLD(y + (4 + s) * ys);                    \
            const kk_wv m2 = KK_WLD(y + (8 + s) * ys), m3 = KK_WLD(y + (12 + s) * ys);                   \
            t[0 + s] = m0 + m1 + m2;                                                                     \
            t[4 + s] = m1 - m2 - m3;                                                                     \
        }                                                                                                \
        for (int r = 0; r < 2; r++) {                                                                    \
            const kk_wv *q = t + 4 * r;                                                                  \
            float *z = o + 2 * r * os;                                                                   \
            KK_WSTF(z, q[0] + q[1] + q[2]);                                                               \
            KK_WSTF(z + os, q[1] - q[2] - q[3]);                                                          \
        }                                                                                                \
    }

typedef void kk_wino_in_fn(const float *d, int64_t ds, float *v, int64_t vs);
typedef void kk_wino_out_fn(const float *y, int64_t ys, float *o, int64_t os, float bias, const float *rs, int relu);

static void kk_wino_in4_c(const float *d, int64_t ds, float *v, int64_t vs) { KK_WINO_IN4_BODY }
static void kk_wino_in2_c(const float *d, int64_t ds, float *v, int64_t vs) { KK_WINO_IN2_BODY }
static void kk_wino_out4_c(const float *y, int64_t ys, float *o, int64_t os, float bias, const float *rs, int relu) { KK_WINO_OUT4_BODY }
static void kk_wino_out2_c(const float *y, int64_t ys, float *o, int64_t os, float bias, const float *rs, int relu) { KK_WINO_OUT2_BODY }

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define KK_WX512 __attribute__((target("avx512f,avx2,fma")))
#define KK_WX256 __attribute__((target("avx2,fma")))
KK_WX512 static void kk_wino_in4_avx512(const float *d, int64_t ds, float *v, int64_t vs) { KK_WINO_IN4_BODY }
KK_WX512 static void kk_wino_in2_avx512(const float *d, int64_t ds, float *v, int64_t vs) { KK_WINO_IN2_BODY }
KK_WX512 static void kk_wino_out4_avx512(const float *y, int64_t ys, float *o, int64_t os, float bias, const float *rs, int relu) { KK_WINO_OUT4_BODY }
KK_WX512 static void kk_wino_out2_avx512(const float *y, int64_t ys, float *o, int64_t os, float bias, const float *rs, int relu) { KK_WINO_OUT2_BODY }
KK_WX256 static void kk_wino_in4_avx2(const float *d, int64_t ds, float *v, int64_t vs) { KK_WINO_IN4_BODY }
KK_WX256 static void kk_wino_in2_avx2(const float *d, int64_t ds, float *v, int64_t vs) { KK_WINO_IN2_BODY }
KK_WX256 static void kk_wino_out4_avx2(const float *y, int64_t ys, float *o, int64_t os, float bias, const float *rs, int relu) { KK_WINO_OUT4_BODY }
KK_WX256 static void kk_wino_out2_avx2(const float *y, int64_t ys, float *o, int64_t os, float bias, const float *rs, int relu) { KK_WINO_OUT2_BODY }

/* The best transform code for panel geometry isa on the running CPU. */
static int kk_wino_xf(int isa) {
    __builtin_cpu_init();
    if (isa == KK_ISA_AVX512 && __builtin_cpu_supports("avx512f")) return KK_ISA_AVX512;
    if (isa >= KK_ISA_AVX2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return KK_ISA_AVX2;
    return 0;
}

static kk_wino_in_fn *kk_wino_in(int xf, int tm) {
    if (xf == KK_ISA_AVX512) return tm == 4 ? kk_wino_in4_avx512 : kk_wino_in2_avx512;
    if (xf == KK_ISA_AVX2) return tm == 4 ? kk_wino_in4_avx2 : kk_wino_in2_avx2;
    return tm == 4 ? kk_wino_in4_c : kk_wino_in2_c;
}

static kk_wino_out_fn *kk_wino_out(int xf, int tm) {
    if (xf == KK_ISA_AVX512) return tm == 4 ? kk_wino_out4_avx512 : kk_wino_out2_avx512;
    if (xf == KK_ISA_AVX2) return tm == 4 ? kk_wino_out4_avx2 : kk_wino_out2_avx2;
    return tm == 4 ? kk_wino_out4_c : kk_wino_out2_c;
}
#else
static int kk_wino_xf(int isa) {
    (void)isa;
    return 0;
}
static kk_wino_in_fn *kk_wino_in(int xf, int tm) {
    (void)xf;
    return tm == 4 ? kk_wino_in4_c : kk_wino_in2_c;
}
static kk_wino_out_fn *kk_wino_out(int xf, int tm) {
    (void)xf;
    return tm == 4 ? kk_wino_out4_c : kk_wino_out2_c;
}
#endif

/* ------------------------------------------------------------- plan */

/* Tile panels one task transforms and sweeps together. When the filter
 * transform U outgrows what L2 keeps (KK_WINO_U_L2) it would be streamed
 * from memory once per tile panel; a group of panels whose transformed
 * input fits KK_WINO_V_L2 shares each U panel instead (small maps with
 * wide channels: ResNet's 14x14 layers stream U once, not twice). */
#define KK_WINO_U_L2 (1024 * 1024)
#define KK_WINO_V_L2 (1024 * 1024)
static int64_t kk_wino_group(int isa, int tm, int64_t c, int64_t m, int64_t ntiles) {
    const int64_t tt = (tm + 2) * (tm + 2), nr = kk_fisa_nr(isa), npn = (ntiles + nr - 1) / nr;
    const int64_t vpanel = tt * c * nr * (int64_t)sizeof(float);
    if (tt * c * m * (int64_t)sizeof(float) <= KK_WINO_U_L2 || vpanel <= 0) return 1;
    int64_t g = KK_WINO_V_L2 / vpanel;
    if (g > npn) g = npn;
    return g < 1 ? 1 : g;
}

/* Per worker: V (T*T x C x NR) and Y (T*T x MP*MR x NR) of each of the
 * group's g tile panels, a widened A tail panel (KC x MR). */
static int64_t kk_wino_wfloats(int isa, int tm, int64_t c, int64_t g) {
    const int64_t tt = (tm + 2) * (tm + 2), nr = kk_fisa_nr(isa), mr = kk_fisa_mr(isa);
    return (g * (tt * c * nr + tt * KK_WINO_MP * mr * nr) + kk_fisa_kc(isa) * mr + 15) / 16 * 16;
}

KK_API int64_t kk_fwino_scratch_bytes(int isa, int slots, int tm, int64_t n, int64_t c, int64_t m, int64_t oh,
                                      int64_t ow) {
    const int64_t nr = kk_fisa_nr(isa), mr = kk_fisa_mr(isa);
    const int64_t tiles = n * ((oh + tm - 1) / tm) * ((ow + tm - 1) / tm);
    const int64_t g = kk_wino_group(isa, tm, c, m, tiles);
    int64_t tasks = ((tiles + nr * g - 1) / (nr * g)) * ((m + mr - 1) / mr), s = slots < 1 ? 1 : slots;
    if (tasks < 1) tasks = 1;
    if (s > tasks) s = tasks;
    return s * kk_wino_wfloats(isa, tm, c, g) * (int64_t)sizeof(float);
}

KK_API void kk_fwino_init_f32(kk_fwino_f32 *p, kk_fisa k, int tm, const float *x, const float *u, const float *b,
                              const float *res, float *y, void *scratch, int64_t n, int64_t c, int64_t m,
                              const int64_t *in_sp, const int64_t *out_sp, const int64_t *pads, int act,
                              float alpha, float beta, int nthreads) {
    memset(p, 0, sizeof *p);
    p->k = k;
    p->x = x;
    p->u = u;
    p->b = b;
    p->res = res;
    p->y = y;
    p->scratch = (float *)scratch;
    p->n = n;
    p->c = c;
    p->m = m;
    p->ih = in_sp[0];
    p->iw = in_sp[1];
    p->oh = out_sp[0];
    p->ow = out_sp[1];
    p->pt = pads[0];
    p->pl = pads[1];
    p->tm = tm;
    p->tt = tm + 2;
    p->th = (p->oh + tm - 1) / tm;
    p->tw = (p->ow + tm - 1) / tm;
    p->ntiles = n * p->th * p->tw;
    p->npn = (p->ntiles + k.nr - 1) / k.nr;
    p->npm = (m + k.mr - 1) / k.mr;
    p->grp = kk_wino_group(k.isa, tm, c, m, p->ntiles);
    p->ngrp = (p->npn + p->grp - 1) / p->grp;
    p->wfloats = kk_wino_wfloats(k.isa, tm, c, p->grp);
    p->xf = kk_wino_xf(k.isa);
    p->act = act;
    p->alpha = alpha;
    p->beta = beta;
    /* too few groups of tile panels for the threads: also split the output
     * channels, into as few chunks as give every thread one (each chunk
     * transforms the group's input again; the chunks are equal) */
    const int64_t want = nthreads < 1 ? 1 : nthreads;
    p->nmc = nthreads <= 1 || p->ngrp >= want ? 1 : (want + p->ngrp - 1) / p->ngrp;
    if (p->nmc > p->npm) p->nmc = p->npm;
    if (p->nmc < 1) p->nmc = 1;
    p->mchunk = (p->npm + p->nmc - 1) / p->nmc;
    p->nmc = p->npm ? (p->npm + p->mchunk - 1) / p->mchunk : 1;
    p->ntasks = p->m && p->c ? p->ngrp * p->nmc : 0;
}

/* ------------------------------------------------------------- task */

/* Tile j0 + j of the plan: image, top-left output position. */
static void kk_wino_tile(const kk_fwino_f32 *p, int64_t g, int64_t *img, int64_t *oy, int64_t *ox) {
    const int64_t per = p->th * p->tw, r = g % per;
    *img = g / per;
    *oy = r / p->tw * p->tm;
    *ox = r % p->tw * p->tm;
}

/* V (T*T x C x NR) of tiles [j0, j0 + nt); columns past nt are zero. */
static void kk_wino_input(const kk_fwino_f32 *p, int64_t j0, int64_t nt, float *v) {
    const int64_t NR = p->k.nr, T = p->tt, C = p->c, ih = p->ih, iw = p->iw, isz = ih * iw;
    kk_wino_in_fn *fn = kk_wino_in(p->xf, p->tm);
    int64_t base[KK_WMAXNR], iy0[KK_WMAXNR], ix0[KK_WMAXNR];
    int inside[KK_WMAXNR];
    float d[36 * KK_WMAXNR];
    for (int64_t j = 0; j < nt; j++) {
        int64_t img, oy, ox;
        kk_wino_tile(p, j0 + j, &img, &oy, &ox);
        base[j] = img * C * isz;
        iy0[j] = oy - p->pt;
        ix0[j] = ox - p->pl;
        inside[j] = iy0[j] >= 0 && ix0[j] >= 0 && iy0[j] + T <= ih && ix0[j] + T <= iw;
    }
    for (int64_t q = 0; q < T * T; q++)
        for (int64_t j = nt; j < NR; j++) d[q * NR + j] = 0.0f;
    for (int64_t ci = 0; ci < C; ci++) {
        for (int64_t j = 0; j < nt; j++) {
            const float *xs = p->x + base[j] + ci * isz;
            if (inside[j]) {
                const float *row = xs + iy0[j] * iw + ix0[j];
                float *dp = d + j;
                if (T == 6) {
                    for (int r = 0; r < 6; r++, row += iw, dp += 6 * NR)
                        for (int s = 0; s < 6; s++) dp[s * NR] = row[s];
                } else {
                    for (int r = 0; r < 4; r++, row += iw, dp += 4 * NR)
                        for (int s = 0; s < 4; s++) dp[s * NR] = row[s];
                }
                continue;
            }
            for (int64_t r = 0; r < T; r++) {
                const int64_t iy = iy0[j] + r;
                for (int64_t s = 0; s < T; s++) {
                    const int64_t ix = ix0[j] + s;
                    d[(r * T + s) * NR + j] = iy >= 0 && iy < ih && ix >= 0 && ix < iw ? xs[iy * iw + ix] : 0.0f;
                }
            }
        }
        for (int64_t jc = 0; jc < NR; jc += KK_WVW) fn(d + jc, NR, v + ci * NR + jc, C * NR);
    }
}

/* Output rows [m0, m0 + rows) of tiles [j0, j0 + nt) from Y (point xi of
 * row i at y + (xi * ystride + i) * NR), with the epilogue in the vector
 * transform: bias, the residual (gathered into the transform's layout
 * first), Relu; any other activation on the transformed block before it
 * is scattered to the output. */
static void kk_wino_output(const kk_fwino_f32 *p, const float *y, int64_t ystride, int64_t m0, int64_t rows,
                           int64_t j0, int64_t nt) {
    const int64_t NR = p->k.nr, tm = p->tm, oh = p->oh, ow = p->ow, osz = oh * ow;
    kk_wino_out_fn *fn = kk_wino_out(p->xf, p->tm);
    const int relu = p->act == KK_UN_RELU, other = p->act && !relu;
    int64_t base[KK_WMAXNR], oy0[KK_WMAXNR], ox0[KK_WMAXNR], kh[KK_WMAXNR], kw[KK_WMAXNR];
    float o[16 * KK_WMAXNR], rb[16 * KK_WMAXNR];
    for (int64_t j = 0; j < nt; j++) {
        int64_t img;
        kk_wino_tile(p, j0 + j, &img, &oy0[j], &ox0[j]);
        base[j] = img * p->m * osz + oy0[j] * ow + ox0[j];
        kh[j] = oh - oy0[j] < tm ? oh - oy0[j] : tm;
        kw[j] = ow - ox0[j] < tm ? ow - ox0[j] : tm;
    }
    if (p->res) /* the edge tiles' missing outputs and the columns past nt read zeros */
        for (int64_t q = 0; q < tm * tm * NR; q++) rb[q] = 0.0f;
    for (int64_t i = 0; i < rows; i++) {
        const int64_t mo = m0 + i;
        const float bias = p->b ? p->b[mo] : 0.0f;
        if (p->res)
            for (int64_t j = 0; j < nt; j++) {
                const float *rp = p->res + base[j] + mo * osz;
                float *dp = rb + j;
                for (int64_t a = 0; a < kh[j]; a++, rp += ow, dp += tm * NR)
                    for (int64_t b = 0; b < kw[j]; b++) dp[b * NR] = rp[b];
            }
        for (int64_t jc = 0; jc < nt; jc += KK_WVW)
            fn(y + i * NR + jc, ystride * NR, o + jc, NR, bias, p->res ? rb + jc : NULL, relu);
        if (other) kk_act_row_f32(o, tm * tm * NR, p->act, p->alpha, p->beta);
        for (int64_t j = 0; j < nt; j++) {
            float *yp = p->y + base[j] + mo * osz;
            const float *op = o + j;
            if (kw[j] == 4) {
                for (int64_t a = 0; a < kh[j]; a++, yp += ow, op += 4 * NR) {
                    yp[0] = op[0];
                    yp[1] = op[NR];
                    yp[2] = op[2 * NR];
                    yp[3] = op[3 * NR];
                }
                continue;
            }
            for (int64_t a = 0; a < kh[j]; a++, yp += ow, op += tm * NR)
                for (int64_t b = 0; b < kw[j]; b++) yp[b] = op[b * NR];
        }
    }
}

KK_API void kk_fwino_task_f32(void *plan, int64_t task, int worker) {
    const kk_fwino_f32 *p = (const kk_fwino_f32 *)plan;
    const int64_t NR = p->k.nr, MR = p->k.mr, KC = p->k.kc, C = p->c, M = p->m, TT = p->tt * p->tt;
    const int64_t gi = task / p->nmc, mc = task % p->nmc;
    const int64_t pn0 = gi * p->grp, np = p->npn - pn0 < p->grp ? p->npn - pn0 : p->grp;
    const int64_t vsz = TT * C * NR, ystride = KK_WINO_MP * MR, ysz = TT * ystride * NR; /* rows of Y per point */
    float *v = p->scratch + (int64_t)worker * p->wfloats;
    float *yb = v + p->grp * vsz, *at = yb + p->grp * ysz;
    for (int64_t q = 0; q < np; q++) {
        const int64_t j0 = (pn0 + q) * NR;
        kk_wino_input(p, j0, p->ntiles - j0 < NR ? p->ntiles - j0 : NR, v + q * vsz);
    }
    const int64_t pa = mc * p->mchunk, pe = pa + p->mchunk < p->npm ? pa + p->mchunk : p->npm;
    for (int64_t q0 = pa; q0 < pe; q0 += KK_WINO_MP) {
        const int64_t nb = pe - q0 < KK_WINO_MP ? pe - q0 : KK_WINO_MP;
        for (int64_t xi = 0; xi < TT; xi++) {
            const float *uxi = p->u + xi * M * C;
            for (int64_t q = 0; q < nb; q++) {
                const int64_t r0 = (q0 + q) * MR, rows = M - r0 < MR ? M - r0 : MR;
                const float *up = uxi + r0 * C;
                kk_ftile t;
                memset(&t, 0, sizeof t);
                /* filter transforms too big to stay cached between runs: prefetched ahead */
                t.pfa = TT * M * C * (int64_t)sizeof(float) >= KK_FCONV_PF_A ? KK_FCONV_PF_DIST : 0;
                t.ldc = NR;
                t.mr = (int)rows;
                t.nr = (int)NR;
                for (int64_t k0 = 0; k0 < C; k0 += KC) {
                    const int64_t kc = C - k0 < KC ? C - k0 : KC;
                    const float *a = up + k0 * rows;
                    if (rows < MR) {
                        for (int64_t kq = 0; kq < kc; kq++) {
                            int64_t i = 0;
                            for (; i < rows; i++) at[kq * MR + i] = a[kq * rows + i];
                            for (; i < MR; i++) at[kq * MR + i] = 0.0f;
                        }
                        a = at;
                    }
                    t.accum = k0 > 0;
                    for (int64_t g = 0; g < np; g++) { /* the A panel stays in L1 across the group */
                        t.c = yb + g * ysz + (xi * ystride + q * MR) * NR;
                        p->k.ukr(kc, a, v + g * vsz + xi * C * NR + k0 * NR, &t);
                    }
                }
            }
        }
        const int64_t r0 = q0 * MR, rows = M - r0 < nb * MR ? M - r0 : nb * MR;
        for (int64_t g = 0; g < np; g++) {
            const int64_t j0 = (pn0 + g) * NR;
            kk_wino_output(p, yb + g * ysz, ystride, r0, rows, j0, p->ntiles - j0 < NR ? p->ntiles - j0 : NR);
        }
    }
}
