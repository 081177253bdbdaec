/*
 * ref/conv.c - reference kernels of the conv family: Conv, BatchNormalization,
 * MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, LRN, Gemm, MatMul.
 *
 * These are the correctness baseline every fast kernel is tested against, so
 * they are plain loops. They are also what small models run, so the loops are
 * ordered to keep the innermost one contiguous: Conv sweeps one output row
 * per (input channel, kernel tap) with the weight held in a register, which
 * makes a 224x224 ResNet-50 take seconds, not minutes.
 *
 * Spatial ops work on a geometry normalized to three spatial dimensions: a
 * 1-D or 2-D problem gets leading dimensions of size 1 (kernel 1, stride 1,
 * no padding), so one loop nest serves every rank.
 *
 * Each kernel body is written once as a macro and instantiated per element
 * type at the bottom of its section. Pasted into generated code (KK_API
 * static), so: no allocation, no globals, includes limited to the C library
 * headers below and kk.h.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"

/* ------------------------------------------------------------- geometry */

/* Spatial geometry padded to 3 dims (leading dims are the padding ones). */
typedef struct kk_conv_geom {
    int64_t in[3], k[3], out[3];    /* input, kernel, output sizes */
    int64_t s[3], d[3];             /* strides, dilations */
    int64_t pb[3], pe[3];           /* pads at the begin / end */
} kk_conv_geom;

KK_API void kk_conv_geom_init(kk_conv_geom *g, int nsp, const int64_t *in_sp,
                              const int64_t *k_sp, const int64_t *out_sp,
                              const int64_t *strides, const int64_t *dilations,
                              const int64_t *pads) {
    int lead = 3 - nsp;
    for (int i = 0; i < 3; i++) {
        int j = i - lead;
        int in_range = j >= 0;
        g->in[i] = in_range ? in_sp[j] : 1;
        g->k[i] = in_range && k_sp ? k_sp[j] : 1;
        g->out[i] = in_range ? out_sp[j] : 1;
        g->s[i] = in_range && strides ? strides[j] : 1;
        g->d[i] = in_range && dilations ? dilations[j] : 1;
        g->pb[i] = in_range && pads ? pads[j] : 0;
        g->pe[i] = in_range && pads ? pads[nsp + j] : 0;
    }
}

/* floor(a / b) for b > 0, whatever the sign of a. */
KK_API int64_t kk_conv_floordiv(int64_t a, int64_t b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The outputs o in [0, out) whose input position o*s + off lies inside
 * [0, in): [*lo, *hi), empty when *lo == *hi. */
KK_API void kk_conv_range(int64_t off, int64_t s, int64_t in, int64_t out,
                          int64_t *lo, int64_t *hi) {
    int64_t a = -kk_conv_floordiv(off, s);           /* ceil(-off / s) */
    int64_t b = kk_conv_floordiv(in - 1 - off, s) + 1;
    if (a < 0) a = 0;
    if (b > out) b = out;
    if (b < a) b = a;
    *lo = a;
    *hi = b;
}

/* ----------------------------------------------------------------- Conv */

/* For each (image, output channel) the output plane starts at the bias;
 * then each (input channel of the group, kernel tap) adds weight * shifted
 * input over the rows it touches. Pointwise convolutions (1x1, stride 1, no
 * padding) are a single multiply-add over the whole plane. */
#define KK_CONV_DEF(SFX, T)                                                                        \
    KK_API void kk_conv_##SFX(const T *x, const T *w, const T *b, T *y, int64_t n, int64_t c,      \
                              int64_t m, int64_t group, int nsp, const int64_t *in_sp,             \
                              const int64_t *k_sp, const int64_t *out_sp, const int64_t *strides,  \
                              const int64_t *dilations, const int64_t *pads) {                     \
        kk_conv_geom g;                                                                            \
        kk_conv_geom_init(&g, nsp, in_sp, k_sp, out_sp, strides, dilations, pads);                 \
        const int64_t cg = c / group, mg = m / group;                                              \
        const int64_t isz = g.in[0] * g.in[1] * g.in[2];                                           \
        const int64_t osz = g.out[0] * g.out[1] * g.out[2];                                        \
        const int64_t ksz = g.k[0] * g.k[1] * g.k[2];                                              \
        int pointwise = ksz == 1 && isz == osz;                                                    \
        for (int i = 0; i < 3; i++)                                                                \
            if (g.s[i] != 1 || g.pb[i] != 0) pointwise = 0;                                        \
        for (int64_t ni = 0; ni < n; ni++) {                                                       \
            for (int64_t oc = 0; oc < m; oc++) {                                                   \
                T *restrict yp = y + (ni * m + oc) * osz;                                          \
                const T bv = b ? b[oc] : (T)0;                                                     \
                for (int64_t i = 0; i < osz; i++) yp[i] = bv;                                      \
                const int64_t ic0 = (oc / mg) * cg;                                                \
                for (int64_t icg = 0; icg < cg; icg++) {                                           \
                    const T *restrict xp = x + (ni * c + ic0 + icg) * isz;                         \
                    const T *wp = w + (oc * cg + icg) * ksz;                                       \
                    if (pointwise) {                                                               \
                        const T wv = wp[0];                                                        \
                        for (int64_t i = 0; i < osz; i++) yp[i] += wv * xp[i];                     \
                        continue;                                                                  \
                    }                                                                              \
                    for (int64_t k0 = 0; k0 < g.k[0]; k0++) {                                      \
                        int64_t f0 = k0 * g.d[0] - g.pb[0], lo0, hi0;                              \
                        kk_conv_range(f0, g.s[0], g.in[0], g.out[0], &lo0, &hi0);                  \
                        for (int64_t k1 = 0; k1 < g.k[1]; k1++) {                                  \
                            int64_t f1 = k1 * g.d[1] - g.pb[1], lo1, hi1;                          \
                            kk_conv_range(f1, g.s[1], g.in[1], g.out[1], &lo1, &hi1);              \
                            for (int64_t k2 = 0; k2 < g.k[2]; k2++) {                              \
                                int64_t f2 = k2 * g.d[2] - g.pb[2], lo2, hi2;                      \
                                kk_conv_range(f2, g.s[2], g.in[2], g.out[2], &lo2, &hi2);          \
                                const T wv = wp[(k0 * g.k[1] + k1) * g.k[2] + k2];                 \
                                const int64_t s2 = g.s[2];                                         \
                                for (int64_t o0 = lo0; o0 < hi0; o0++) {                           \
                                    const int64_t i0 = o0 * g.s[0] + f0;                           \
                                    for (int64_t o1 = lo1; o1 < hi1; o1++) {                       \
                                        const int64_t i1 = o1 * g.s[1] + f1;                       \
                                        T *restrict yr = yp + (o0 * g.out[1] + o1) * g.out[2];     \
                                        const T *restrict xr = xp + (i0 * g.in[1] + i1) * g.in[2]  \
                                                               + f2;                               \
                                        if (s2 == 1) {                                             \
                                            for (int64_t o2 = lo2; o2 < hi2; o2++)                 \
                                                yr[o2] += wv * xr[o2];                             \
                                        } else {                                                   \
                                            for (int64_t o2 = lo2; o2 < hi2; o2++)                 \
                                                yr[o2] += wv * xr[o2 * s2];                        \
                                        }                                                          \
                                    }                                                              \
                                }                                                                  \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

KK_CONV_DEF(f32, float)
KK_CONV_DEF(f64, double)

/* ------------------------------------------------------ BatchNormalization */

#define KK_BATCHNORM_DEF(SFX, T, SQRT)                                                             \
    KK_API void kk_batchnorm_##SFX(const T *x, const T *scale, const T *bias, const T *mean,       \
                                   const T *var, T *y, int64_t n, int64_t c, int64_t plane,        \
                                   T epsilon) {                                                    \
        for (int64_t ni = 0; ni < n; ni++) {                                                       \
            for (int64_t ci = 0; ci < c; ci++) {                                                   \
                const T mul = scale[ci] / SQRT(var[ci] + epsilon);                                 \
                const T add = bias[ci] - mean[ci] * mul;                                           \
                const T *xp = x + (ni * c + ci) * plane;                                           \
                T *yp = y + (ni * c + ci) * plane;                                                 \
                for (int64_t i = 0; i < plane; i++) yp[i] = xp[i] * mul + add;                     \
            }                                                                                      \
        }                                                                                          \
    }

KK_BATCHNORM_DEF(f32, float, sqrtf)
KK_BATCHNORM_DEF(f64, double, sqrt)

/* ------------------------------------------------------------- MaxPool */

/* LOWEST is what an output holds when its window has no input element at
 * all (only possible with pads larger than the dilated kernel); its index is
 * then -1. A NaN never wins against a number (as ONNX's reference MaxPool,
 * which drops NaN from the window, and C's fmax): the result is NaN only
 * when every input element of the window is NaN. ISNAN(v) is 0 for
 * integer types. */
#define KK_MAXPOOL_DEF(SFX, T, LOWEST, ISNAN)                                                      \
    KK_API void kk_maxpool_##SFX(const T *x, T *y, int64_t *indices, int64_t nc, int nsp,          \
                                 const int64_t *in_sp, const int64_t *k_sp,                        \
                                 const int64_t *out_sp, const int64_t *strides,                    \
                                 const int64_t *dilations, const int64_t *pads,                    \
                                 int storage_order) {                                              \
        kk_conv_geom g;                                                                            \
        kk_conv_geom_init(&g, nsp, in_sp, k_sp, out_sp, strides, dilations, pads);                 \
        const int64_t isz = g.in[0] * g.in[1] * g.in[2];                                           \
        int64_t yi = 0;                                                                            \
        for (int64_t p = 0; p < nc; p++) {                                                         \
            const T *xp = x + p * isz;                                                             \
            for (int64_t o0 = 0; o0 < g.out[0]; o0++)                                              \
            for (int64_t o1 = 0; o1 < g.out[1]; o1++)                                              \
            for (int64_t o2 = 0; o2 < g.out[2]; o2++, yi++) {                                      \
                T best = LOWEST;                                                                   \
                int64_t b0 = -1, b1 = 0, b2 = 0;                                                   \
                for (int64_t k0 = 0; k0 < g.k[0]; k0++) {                                          \
                    const int64_t i0 = o0 * g.s[0] + k0 * g.d[0] - g.pb[0];                        \
                    if (i0 < 0 || i0 >= g.in[0]) continue;                                         \
                    for (int64_t k1 = 0; k1 < g.k[1]; k1++) {                                      \
                        const int64_t i1 = o1 * g.s[1] + k1 * g.d[1] - g.pb[1];                    \
                        if (i1 < 0 || i1 >= g.in[1]) continue;                                     \
                        for (int64_t k2 = 0; k2 < g.k[2]; k2++) {                                  \
                            const int64_t i2 = o2 * g.s[2] + k2 * g.d[2] - g.pb[2];                \
                            if (i2 < 0 || i2 >= g.in[2]) continue;                                 \
                            const T v = xp[(i0 * g.in[1] + i1) * g.in[2] + i2];                    \
                            if (b0 < 0 || v > best || (ISNAN(best) && !ISNAN(v))) {               \
                                best = v;                                                          \
                                b0 = i0;                                                           \
                                b1 = i1;                                                           \
                                b2 = i2;                                                           \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
                y[yi] = best;                                                                      \
                if (indices) {                                                                     \
                    /* column major: the first spatial dim varies fastest; */                      \
                    /* the padding dims (size 1, index 0) drop out either way */                   \
                    const int64_t off = storage_order                                              \
                        ? b0 + b1 * g.in[0] + b2 * g.in[0] * g.in[1]                               \
                        : (b0 * g.in[1] + b1) * g.in[2] + b2;                                      \
                    indices[yi] = b0 < 0 ? -1 : p * isz + off;                                     \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

#define KK_MAXPOOL_ISNAN_F(v) isnan(v)
#define KK_MAXPOOL_ISNAN_I(v) 0
KK_MAXPOOL_DEF(f32, float, -FLT_MAX, KK_MAXPOOL_ISNAN_F)
KK_MAXPOOL_DEF(f64, double, -DBL_MAX, KK_MAXPOOL_ISNAN_F)
KK_MAXPOOL_DEF(i8, int8_t, INT8_MIN, KK_MAXPOOL_ISNAN_I)
KK_MAXPOOL_DEF(u8, uint8_t, 0, KK_MAXPOOL_ISNAN_I)

/* ---------------------------------------------------------- AveragePool */

/* Window positions are start + j*dilation, j < kernel, start = o*stride -
 * pad_begin. The count_include_pad divisor counts those before the end of
 * the padded input per dimension (the window never starts before
 * -pad_begin), and multiplies the per-dimension counts. */
#define KK_AVGPOOL_DEF(SFX, T)                                                                     \
    KK_API void kk_avgpool_##SFX(const T *x, T *y, int64_t nc, int nsp, const int64_t *in_sp,      \
                                 const int64_t *k_sp, const int64_t *out_sp,                       \
                                 const int64_t *strides, const int64_t *dilations,                 \
                                 const int64_t *pads, int count_include_pad) {                     \
        kk_conv_geom g;                                                                            \
        kk_conv_geom_init(&g, nsp, in_sp, k_sp, out_sp, strides, dilations, pads);                 \
        const int64_t isz = g.in[0] * g.in[1] * g.in[2];                                           \
        int64_t yi = 0;                                                                            \
        for (int64_t p = 0; p < nc; p++) {                                                         \
            const T *xp = x + p * isz;                                                             \
            for (int64_t o0 = 0; o0 < g.out[0]; o0++)                                              \
            for (int64_t o1 = 0; o1 < g.out[1]; o1++)                                              \
            for (int64_t o2 = 0; o2 < g.out[2]; o2++, yi++) {                                      \
                const int64_t o[3] = {o0, o1, o2};                                                 \
                int64_t padded = 1;                                                                \
                for (int i = 0; i < 3; i++) {                                                      \
                    int64_t cnt = 0;                                                               \
                    for (int64_t j = 0; j < g.k[i]; j++)                                           \
                        if (o[i] * g.s[i] + j * g.d[i] - g.pb[i] < g.in[i] + g.pe[i]) cnt++;       \
                    padded *= cnt;                                                                 \
                }                                                                                  \
                T sum = 0;                                                                         \
                int64_t inside = 0;                                                                \
                for (int64_t k0 = 0; k0 < g.k[0]; k0++) {                                          \
                    const int64_t i0 = o0 * g.s[0] + k0 * g.d[0] - g.pb[0];                        \
                    if (i0 < 0 || i0 >= g.in[0]) continue;                                         \
                    for (int64_t k1 = 0; k1 < g.k[1]; k1++) {                                      \
                        const int64_t i1 = o1 * g.s[1] + k1 * g.d[1] - g.pb[1];                    \
                        if (i1 < 0 || i1 >= g.in[1]) continue;                                     \
                        for (int64_t k2 = 0; k2 < g.k[2]; k2++) {                                  \
                            const int64_t i2 = o2 * g.s[2] + k2 * g.d[2] - g.pb[2];                \
                            if (i2 < 0 || i2 >= g.in[2]) continue;                                 \
                            sum += xp[(i0 * g.in[1] + i1) * g.in[2] + i2];                         \
                            inside++;                                                              \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
                const int64_t div = count_include_pad ? padded : inside;                           \
                y[yi] = div > 0 ? sum / (T)div : (T)0;                                             \
            }                                                                                      \
        }                                                                                          \
    }

KK_AVGPOOL_DEF(f32, float)
KK_AVGPOOL_DEF(f64, double)

/* ------------------------------------------------ Global average / max */

/* plane >= 1 (the compiler rejects empty spatial dimensions). GlobalMaxPool
 * propagates NaN, as ReduceMax and ONNX's reference GlobalMaxPool (numpy's
 * max): a NaN anywhere in the plane gives NaN. */
#define KK_GLOBALPOOL_DEF(SFX, T)                                                                  \
    KK_API void kk_global_avgpool_##SFX(const T *x, T *y, int64_t nc, int64_t plane) {             \
        for (int64_t p = 0; p < nc; p++) {                                                         \
            const T *xp = x + p * plane;                                                           \
            T sum = 0;                                                                             \
            for (int64_t i = 0; i < plane; i++) sum += xp[i];                                      \
            y[p] = sum / (T)plane;                                                                 \
        }                                                                                          \
    }                                                                                              \
    KK_API void kk_global_maxpool_##SFX(const T *x, T *y, int64_t nc, int64_t plane) {             \
        for (int64_t p = 0; p < nc; p++) {                                                         \
            const T *xp = x + p * plane;                                                           \
            T best = xp[0];                                                                        \
            for (int64_t i = 1; i < plane; i++)                                                    \
                if (xp[i] > best || xp[i] != xp[i]) best = xp[i];                                  \
            y[p] = best;                                                                           \
        }                                                                                          \
    }

KK_GLOBALPOOL_DEF(f32, float)
KK_GLOBALPOOL_DEF(f64, double)

/* ------------------------------------------------------------------ LRN */

/* The output plane first accumulates the sum of squares over the channel
 * window (contiguous inner loop), then is turned into the result. Channel
 * planes are pstride elements apart, of which the first `plane` are
 * computed (a band of rows: a part of a split node). The usual beta of
 * 0.75 takes two square roots instead of pow: t^0.75 = sqrt(t) sqrt(sqrt(t)),
 * within 2 ulp and several times faster (float32: all in vectors,
 * kk_lrn34_vec_f32 in ref/unary.c). */
#define KK_LRN_DEF(SFX, T, POW, SQRT)                                                              \
    KK_API void kk_lrn_##SFX(const T *x, T *y, int64_t n, int64_t c, int64_t plane, int64_t pstride, \
                             int64_t size, T alpha, T beta, T bias) {                              \
        const T scale = alpha / (T)size;                                                           \
        const int b34 = beta == (T)0.75;                                                           \
        if (b34 && sizeof(T) == sizeof(float)) {                                                   \
            int vec = 1;                                                                           \
            for (int64_t ni = 0; ni < n && vec; ni++)                                              \
                vec = kk_lrn34_vec_f32((const float *)(const void *)(x + ni * c * pstride),        \
                                       (float *)(void *)(y + ni * c * pstride), c, plane, pstride, \
                                       size, (float)scale, (float)bias);                           \
            if (vec) return;                                                                       \
        }                                                                                          \
        for (int64_t ni = 0; ni < n; ni++) {                                                       \
            for (int64_t ci = 0; ci < c; ci++) {                                                   \
                int64_t lo = ci - (size - 1) / 2, hi = ci + size / 2;                              \
                if (lo < 0) lo = 0;                                                                \
                if (hi > c - 1) hi = c - 1;                                                        \
                const T *xp = x + (ni * c + ci) * pstride;                                         \
                T *restrict yp = y + (ni * c + ci) * pstride; /* y never overlaps x */             \
                for (int64_t i = 0; i < plane; i++) yp[i] = 0;                                     \
                for (int64_t cj = lo; cj <= hi; cj++) {                                            \
                    const T *restrict xq = x + (ni * c + cj) * pstride;                            \
                    for (int64_t i = 0; i < plane; i++) yp[i] += xq[i] * xq[i];                    \
                }                                                                                  \
                if (b34) {                                                                         \
                    for (int64_t i = 0; i < plane; i++) {                                          \
                        const T r = SQRT(bias + scale * yp[i]);                                    \
                        yp[i] = xp[i] / (r * SQRT(r));                                             \
                    }                                                                              \
                } else {                                                                           \
                    for (int64_t i = 0; i < plane; i++)                                            \
                        yp[i] = xp[i] / POW(bias + scale * yp[i], beta);                           \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

KK_LRN_DEF(f32, float, powf, sqrtf)
KK_LRN_DEF(f64, double, pow, sqrt)

/* ----------------------------------------------------------------- Gemm */

/* Without trans_b each row of y accumulates rows of b scaled by one element
 * of A' (contiguous over N); with trans_b each element is a dot product of
 * a row of A' with a row of b (contiguous over K when A is not transposed).
 * C is added after the product: y = alpha * (A'B') + beta * C. */
#define KK_GEMM_DEF(SFX, T)                                                                        \
    KK_API void kk_gemm_##SFX(const T *a, const T *b, const T *c, T *y, int64_t m, int64_t n,      \
                              int64_t k, int trans_a, int trans_b, T alpha, T beta,                \
                              int64_t c_rows, int64_t c_cols) {                                    \
        const int64_t as_i = trans_a ? 1 : k, as_k = trans_a ? m : 1;                             \
        for (int64_t i = 0; i < m; i++) {                                                          \
            T *yr = y + i * n;                                                                     \
            const T *ar = a + i * as_i;                                                            \
            if (!trans_b) {                                                                        \
                for (int64_t j = 0; j < n; j++) yr[j] = 0;                                         \
                for (int64_t kk = 0; kk < k; kk++) {                                               \
                    const T av = ar[kk * as_k];                                                    \
                    const T *br = b + kk * n;                                                      \
                    for (int64_t j = 0; j < n; j++) yr[j] += av * br[j];                           \
                }                                                                                  \
            } else {                                                                               \
                for (int64_t j = 0; j < n; j++) {                                                  \
                    const T *br = b + j * k;                                                       \
                    T acc = 0;                                                                     \
                    for (int64_t kk = 0; kk < k; kk++) acc += ar[kk * as_k] * br[kk];              \
                    yr[j] = acc;                                                                   \
                }                                                                                  \
            }                                                                                      \
            const T *cr = c ? c + (c_rows == 1 ? 0 : i) * c_cols : NULL;                           \
            for (int64_t j = 0; j < n; j++) {                                                      \
                T v = alpha * yr[j];                                                               \
                if (cr) v += beta * cr[c_cols == 1 ? 0 : j];                                       \
                yr[j] = v;                                                                         \
            }                                                                                      \
        }                                                                                          \
    }

KK_GEMM_DEF(f32, float)
KK_GEMM_DEF(f64, double)

/* --------------------------------------------------------------- MatMul */

/* Matrix offset (in whole matrices) of batch entry t of an operand whose
 * per-dimension batch strides are bstride[0..nb). */
KK_API int64_t kk_matmul_batch_offset(int64_t t, int nb, const int64_t *bdims,
                                      const int64_t *bstride) {
    int64_t off = 0;
    for (int i = nb - 1; i >= 0; i--) {
        off += (t % bdims[i]) * bstride[i];
        t /= bdims[i];
    }
    return off;
}

/* MADD(acc, a, b) is acc + a*b in T; the integer versions go through the
 * unsigned type so overflow wraps instead of being undefined. */
#define KK_MADD_FLOAT(T, UT, acc, x, y) ((acc) + (x) * (y))
#define KK_MADD_WRAP(T, UT, acc, x, y) ((T)((UT)(acc) + (UT)(x) * (UT)(y)))

#define KK_MATMUL_DEF(SFX, T, UT, MADD)                                                            \
    KK_API void kk_matmul_##SFX(const T *a, const T *b, T *y, int nb, const int64_t *bdims,        \
                                const int64_t *a_bstride, const int64_t *b_bstride, int64_t m,     \
                                int64_t k, int64_t n) {                                            \
        int64_t batch = 1;                                                                         \
        for (int i = 0; i < nb; i++) batch *= bdims[i];                                            \
        for (int64_t t = 0; t < batch; t++) {                                                      \
            const T *at = a + kk_matmul_batch_offset(t, nb, bdims, a_bstride) * m * k;             \
            const T *bt = b + kk_matmul_batch_offset(t, nb, bdims, b_bstride) * k * n;             \
            T *yt = y + t * m * n;                                                                 \
            for (int64_t i = 0; i < m; i++) {                                                      \
                T *yr = yt + i * n;                                                                \
                for (int64_t j = 0; j < n; j++) yr[j] = 0;                                         \
                for (int64_t kk = 0; kk < k; kk++) {                                               \
                    const T av = at[i * k + kk];                                                   \
                    const T *br = bt + kk * n;                                                     \
                    for (int64_t j = 0; j < n; j++) yr[j] = MADD(T, UT, yr[j], av, br[j]);         \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

KK_MATMUL_DEF(f32, float, float, KK_MADD_FLOAT)
KK_MATMUL_DEF(f64, double, double, KK_MADD_FLOAT)
KK_MATMUL_DEF(i32, int32_t, uint32_t, KK_MADD_WRAP)
KK_MATMUL_DEF(i64, int64_t, uint64_t, KK_MADD_WRAP)

/* ---------------------------------------------------------- fused epilogue */

#define KK_EPILOGUE(T, SFX)                                                              \
    KK_API void kk_epilogue_##SFX(T *y, const T *res, int64_t n, int act, T alpha, T beta) { \
        for (int64_t i = 0; i < n; i++) {                                                \
            T v = y[i];                                                                  \
            if (res) v += res[i];                                                        \
            y[i] = act ? kk_act_##SFX(act, v, alpha, beta) : v;                          \
        }                                                                                \
    }
KK_EPILOGUE(float, f32)
KK_EPILOGUE(double, f64)
