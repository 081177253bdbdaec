/*
 * ref/dense.c - reference kernels of the dense family: ConvTranspose,
 * Resize / Upsample, DepthToSpace / SpaceToDepth.
 *
 * ConvTranspose scatters: every input element, times each kernel tap, is
 * added into the output position it reaches; the output rows a tap touches
 * come from the conv family's kk_conv_range (ref/conv.c), with the roles of
 * input and output swapped.
 *
 * Resize samples each output element directly (no temporary buffers): per
 * axis, an output index maps to an input coordinate and a short filter (1
 * tap nearest, 2 linear, 4 cubic, more when antialiasing), and the output is
 * the sum over the product of the per-axis filters. Per-axis filters are
 * recomputed only when that axis' index changes (odometer order), so the
 * innermost axis costs one coordinate computation per element. Coordinates
 * are computed in double with the operation order of the ONNX reference
 * implementation, so the nearest-neighbor ties (x + 0.5 exactly) fall the
 * same way.
 *
 * Pasted into generated code (KK_API static): no allocation, no globals,
 * includes limited to the C library headers below and kk.h.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"

/* ---------------------------------------------------------- ConvTranspose */

/* Geometry is normalized to three spatial dims (leading ones of size 1), so
 * one loop nest serves 1-D, 2-D and 3-D. */
#define KK_CONVT_DEF(SFX, T)                                                                       \
    KK_API void kk_conv_transpose_##SFX(const T *x, const T *w, const T *b, T *y, int64_t n,       \
                                        int64_t c, int64_t m, int64_t group, int nsp,              \
                                        const int64_t *in_sp, const int64_t *k_sp,                 \
                                        const int64_t *out_sp, const int64_t *strides,             \
                                        const int64_t *dilations, const int64_t *pads) {           \
        int64_t in[3], k[3], out[3], s[3], d[3], pb[3];                                            \
        for (int i = 0; i < 3; i++) {                                                              \
            const int j = i - (3 - nsp);                                                           \
            in[i] = j >= 0 ? in_sp[j] : 1;                                                         \
            k[i] = j >= 0 ? k_sp[j] : 1;                                                           \
            out[i] = j >= 0 ? out_sp[j] : 1;                                                       \
            s[i] = j >= 0 ? strides[j] : 1;                                                        \
            d[i] = j >= 0 ? dilations[j] : 1;                                                      \
            pb[i] = j >= 0 ? pads[j] : 0;                                                          \
        }                                                                                          \
        const int64_t cg = c / group, mg = m / group;                                              \
        const int64_t isz = in[0] * in[1] * in[2], osz = out[0] * out[1] * out[2];                 \
        const int64_t ksz = k[0] * k[1] * k[2];                                                    \
        for (int64_t i = 0; i < n * m; i++) {                                                      \
            const T bv = b ? b[i % m] : (T)0;                                                      \
            T *yp = y + i * osz;                                                                   \
            for (int64_t j = 0; j < osz; j++) yp[j] = bv;                                          \
        }                                                                                          \
        for (int64_t ni = 0; ni < n; ni++) {                                                       \
            for (int64_t ic = 0; ic < c; ic++) {                                                   \
                const T *restrict xp = x + (ni * c + ic) * isz;                                    \
                const int64_t oc0 = (ic / cg) * mg;                                                \
                for (int64_t ocl = 0; ocl < mg; ocl++) {                                           \
                    T *restrict yp = y + (ni * m + oc0 + ocl) * osz;                               \
                    const T *wp = w + (ic * mg + ocl) * ksz;                                       \
                    for (int64_t k0 = 0; k0 < k[0]; k0++) {                                        \
                        const int64_t f0 = k0 * d[0] - pb[0];                                      \
                        int64_t lo0, hi0;                                                          \
                        kk_conv_range(f0, s[0], out[0], in[0], &lo0, &hi0);                        \
                        for (int64_t k1 = 0; k1 < k[1]; k1++) {                                    \
                            const int64_t f1 = k1 * d[1] - pb[1];                                  \
                            int64_t lo1, hi1;                                                      \
                            kk_conv_range(f1, s[1], out[1], in[1], &lo1, &hi1);                    \
                            for (int64_t k2 = 0; k2 < k[2]; k2++) {                                \
                                const int64_t f2 = k2 * d[2] - pb[2];                              \
                                int64_t lo2, hi2;                                                  \
                                kk_conv_range(f2, s[2], out[2], in[2], &lo2, &hi2);                \
                                const T wv = wp[(k0 * k[1] + k1) * k[2] + k2];                     \
                                const int64_t s2 = s[2];                                           \
                                for (int64_t i0 = lo0; i0 < hi0; i0++) {                           \
                                    const int64_t o0 = i0 * s[0] + f0;                             \
                                    for (int64_t i1 = lo1; i1 < hi1; i1++) {                       \
                                        const int64_t o1 = i1 * s[1] + f1;                         \
                                        T *restrict yr = yp + (o0 * out[1] + o1) * out[2] + f2;    \
                                        const T *restrict xr = xp + (i0 * in[1] + i1) * in[2];     \
                                        for (int64_t i2 = lo2; i2 < hi2; i2++)                     \
                                            yr[i2 * s2] += wv * xr[i2];                            \
                                    }                                                              \
                                }                                                                  \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

KK_CONVT_DEF(f32, float)
KK_CONVT_DEF(f64, double)

/* ----------------------------------------------------------------- Resize */

/* One axis of a Resize: its lengths and scale, the roi span, and the filter
 * for the output index last planned. */
typedef struct kk_resize_axis {
    int64_t in, out;        /* input and output lengths */
    double scale;           /* coordinate scale */
    double width;           /* scale * in: the output length before truncation */
    double roi_diff;        /* TF_CROP_AND_RESIZE: end - start (in the roi's type) */
    double roi_off;         /* start * (in - 1) (in the roi's type) */
    double roi_center;      /* (end - start) * (in - 1) / 2 (in the roi's type) */
    int identity;           /* copied unchanged: one tap at y with weight 1 */
    int ntaps;              /* filter length */
    int extrapolated;       /* the planned index maps outside the input (TF_CROP_AND_RESIZE) */
    int64_t start;          /* input index of the first tap (may lie outside [0, in)) */
    double w[KK_RESIZE_MAX_TAPS]; /* tap weights */
} kk_resize_axis;

/* Reads an axis' roi start (roi[idx]) and end (roi[idx + roi_half]) into the
 * values the coordinate transform uses, computed in the roi's own type (a
 * float roi is subtracted and scaled in float, like the reference
 * implementation); idx < 0 or no roi means the whole axis, 0..1. */
KK_API void kk_resize_axis_roi(kk_resize_axis *a, int64_t idx, const void *roi,
                               const kk_resize_params *p) {
    const double fin = (double)(a->in - 1);
    if (idx < 0 || !roi || p->roi_type == 0) {
        a->roi_diff = 1.0;
        a->roi_off = 0.0;
        a->roi_center = fin / 2;
    } else if (p->roi_type == KK_F32) {
        const float s = ((const float *)roi)[idx], e = ((const float *)roi)[idx + p->roi_half];
        a->roi_diff = (double)(e - s);
        a->roi_off = (double)(s * (float)(a->in - 1));
        a->roi_center = (double)((e - s) * (float)(a->in - 1) / 2.0f);
    } else {
        const double s = ((const double *)roi)[idx], e = ((const double *)roi)[idx + p->roi_half];
        a->roi_diff = e - s;
        a->roi_off = s * fin;
        a->roi_center = (e - s) * fin / 2;
    }
}

/* The filter length of an axis: antialiasing stretches linear (2 taps) and
 * cubic (4 taps) filters by 1/scale when downsampling. */
KK_API int kk_resize_ntaps(const kk_resize_params *p, double scale) {
    if (p->mode == KK_RESIZE_NEAREST) return 1;
    const double half = p->mode == KK_RESIZE_LINEAR ? 1.0 : 2.0;
    if (!p->antialias || scale >= 1.0) return (int)(2 * half);
    const double start = floor(-half / scale) + 1;
    return (int)(2 - 2 * start);
}

/* Sets up one axis: lengths, scale, roi, the identity test and the filter
 * length. */
KK_API void kk_resize_axis_init(kk_resize_axis *a, int64_t in, int64_t out, double scale,
                                int64_t roi_idx, const void *roi, const kk_resize_params *p) {
    a->in = in;
    a->out = out;
    a->scale = scale;
    a->width = scale * (double)in;
    kk_resize_axis_roi(a, roi_idx, roi, p);
    /* an axis with scale 1 and no crop is copied, as the reference does */
    int same = out == in && fabs(scale - 1.0) <= 1e-9 * (fabs(scale) > 1.0 ? fabs(scale) : 1.0);
    if (p->ctm == KK_RESIZE_CTM_TF_CROP_AND_RESIZE && roi_idx >= 0 && roi && p->roi_type) {
        double s, e;
        if (p->roi_type == KK_F32) {
            s = ((const float *)roi)[roi_idx];
            e = ((const float *)roi)[roi_idx + p->roi_half];
        } else {
            s = ((const double *)roi)[roi_idx];
            e = ((const double *)roi)[roi_idx + p->roi_half];
        }
        if (s != 0.0 || fabs(e - 1.0) > 1e-9 * (fabs(e) > 1.0 ? fabs(e) : 1.0)) same = 0;
    }
    a->identity = same;
    a->ntaps = same ? 1 : kk_resize_ntaps(p, scale);
    if (a->ntaps > KK_RESIZE_MAX_TAPS) a->ntaps = KK_RESIZE_MAX_TAPS; /* the compiler rejects these */
    a->extrapolated = 0;
    a->start = 0;
    a->w[0] = 1.0;
}

/* Input coordinate of output index yi (see kk_dense.h). */
KK_API double kk_resize_coord(const kk_resize_axis *a, int ctm, int64_t yi) {
    const double y = (double)yi, s = a->scale;
    switch (ctm) {
    case KK_RESIZE_CTM_HALF_PIXEL_SYMMETRIC: {
        const double adjustment = (double)a->out / a->width;
        const double center = (double)a->in / 2;
        const double offset = center * (1 - adjustment);
        return offset + (y + 0.5) / s - 0.5;
    }
    case KK_RESIZE_CTM_PYTORCH_HALF_PIXEL:
        return a->out > 1 ? (y + 0.5) / s - 0.5 : 0.0;
    case KK_RESIZE_CTM_ALIGN_CORNERS:
        return a->width == 1.0 ? 0.0 : y * (double)(a->in - 1) / (a->width - 1);
    case KK_RESIZE_CTM_ASYMMETRIC:
        return y / s;
    case KK_RESIZE_CTM_TF_HALF_PIXEL_FOR_NN:
        return (y + 0.5) / s;
    case KK_RESIZE_CTM_TF_CROP_AND_RESIZE: {
        const double x = a->width == 1.0 ? a->roi_center
                                         : y * a->roi_diff * (double)(a->in - 1) / (a->width - 1);
        return x + a->roi_off;
    }
    default:
        return (y + 0.5) / s - 0.5;
    }
}

/* Cubic convolution weight at distance t (>= 0) in the reference's nested
 * form (plain filter) ... */
KK_API double kk_resize_cubic(double t, double A) {
    if (t < 1.0) return ((A + 2) * t - (A + 3)) * t * t + 1;
    return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
}

/* ... and in its expanded form, zero from 2 on (antialiased filter). */
KK_API double kk_resize_cubic_aa(double t, double A) {
    const double t2 = t * t, t3 = t * t2;
    if (t <= 1) return (A + 2) * t3 - (A + 3) * t2 + 1;
    if (t < 2) return A * t3 - 5 * A * t2 + 8 * A * t - 4 * A;
    return 0.0;
}

/* Plans axis a for output index yi: the first tap's input index and the
 * weights. x's fractional part r is taken in (0, 1] (an integral x counts
 * as r = 1 from the index below), and the taps are the ntaps indices
 * around x: start = floor(x - r) - ntaps/2 + 1. */
KK_API void kk_resize_plan(kk_resize_axis *a, const kk_resize_params *p, int64_t yi) {
    if (a->identity) {
        a->start = yi;
        return;
    }
    const double x = kk_resize_coord(a, p->ctm, yi);
    /* (a NaN from a run-time roi counts as outside too) */
    a->extrapolated = p->ctm == KK_RESIZE_CTM_TF_CROP_AND_RESIZE && !(x >= 0 && x <= (double)(a->in - 1));
    if (a->extrapolated) return;
    const double fl = floor(x);
    if (p->mode == KK_RESIZE_NEAREST) {
        int64_t idx = (int64_t)fl;
        if (x != fl) {
            const double r = x - fl;
            int up;
            switch (p->nearest_mode) {
            case KK_RESIZE_NEAREST_ROUND_PREFER_CEIL: up = r >= 0.5; break;
            case KK_RESIZE_NEAREST_FLOOR: up = 0; break;
            case KK_RESIZE_NEAREST_CEIL: up = 1; break;
            case KK_RESIZE_NEAREST_SIMPLE: up = a->scale < 1.0; break;
            default: up = r > 0.5; break;
            }
            idx += up;
        }
        a->start = idx;
        return;
    }
    const int n = a->ntaps, h = n / 2;
    const double r = x == fl ? 1.0 : x - fl;
    a->start = (int64_t)fl - (x == fl ? 1 : 0) - h + 1;
    double sum = 0.0;
    if (p->antialias) {
        const double s = a->scale < 1.0 ? a->scale : 1.0;
        for (int k = 0; k < n; k++) {
            const double t = fabs(((double)(1 - h + k) - r) * s);
            double v;
            if (p->mode == KK_RESIZE_LINEAR) v = t < 1.0 ? 1.0 - t : 0.0;
            else v = kk_resize_cubic_aa(t, p->cubic_a);
            a->w[k] = v;
            sum += v;
        }
        for (int k = 0; k < n; k++) a->w[k] /= sum;
    } else if (p->mode == KK_RESIZE_LINEAR) {
        a->w[0] = 1 - r;
        a->w[1] = r;
    } else {
        a->w[0] = kk_resize_cubic(r + 1, p->cubic_a);
        a->w[1] = kk_resize_cubic(r, p->cubic_a);
        a->w[2] = kk_resize_cubic(1 - r, p->cubic_a);
        a->w[3] = kk_resize_cubic((1 - r) + 1, p->cubic_a);
    }
    if (p->exclude_outside) {
        sum = 0.0;
        for (int k = 0; k < n; k++) {
            const int64_t idx = a->start + k;
            if (idx < 0 || idx >= a->in) a->w[k] = 0.0;
            sum += a->w[k];
        }
        if (sum != 0.0)
            for (int k = 0; k < n; k++) a->w[k] /= sum;
    }
}

KK_API int64_t kk_resize_clamp(int64_t i, int64_t n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

/* Sets up every axis and the element strides of x; returns the output
 * element count (0: nothing to do). */
KK_API int64_t kk_resize_setup(kk_resize_axis *ax, int64_t *xstride, int rank, const int64_t *in_dims,
                               const int64_t *out_dims, const double *scales,
                               const int64_t *roi_index, const void *roi, const kk_resize_params *p) {
    int64_t total = 1, st = 1;
    for (int i = rank - 1; i >= 0; i--) {
        kk_resize_axis_init(&ax[i], in_dims[i], out_dims[i], scales[i], roi_index ? roi_index[i] : -1, roi, p);
        xstride[i] = st;
        st *= in_dims[i];
        total *= out_dims[i];
    }
    if (st == 0) return 0; /* an empty input can only give an empty output */
    return total;
}

/* Steps the output multi-index o[] (row major) and replans the axes whose
 * index changed. Returns 0 after the last element. */
KK_API int kk_resize_next(kk_resize_axis *ax, int64_t *o, int rank, const kk_resize_params *p) {
    for (int i = rank - 1; i >= 0; i--) {
        if (++o[i] < ax[i].out) {
            kk_resize_plan(&ax[i], p, o[i]);
            return 1;
        }
        o[i] = 0;
        kk_resize_plan(&ax[i], p, 0);
    }
    return 0;
}

/* Rounds half to even and saturates v into [lo, hi] (integer outputs). */
KK_API double kk_resize_round_sat(double v, double lo, double hi) {
    if (v != v) return 0.0;
    v = nearbyint(v);
    return v < lo ? lo : v > hi ? hi : v;
}

#define KK_STORE_FLOAT(T, v) ((T)(v))
#define KK_STORE_U8(T, v) ((T)kk_resize_round_sat((v), 0.0, 255.0))
#define KK_STORE_I8(T, v) ((T)kk_resize_round_sat((v), -128.0, 127.0))
#define KK_STORE_I32(T, v) ((T)kk_resize_round_sat((v), -2147483648.0, 2147483647.0))

/* The tap loop visits the product of the filters of the axes with more than
 * one tap (act[], in axis order) as nested sums, the first axis innermost:
 * part[j] accumulates the sum over axis act[j]'s taps and is folded, times
 * the current weight of the next axis, into part[j + 1] when its taps are
 * done. That is the order of resizing one axis after the other (the
 * reference implementation), so results round the same way. */
#define KK_RESIZE_DEF(SFX, T, STORE)                                                               \
    KK_API void kk_resize_##SFX(const T *x, T *y, int rank, const int64_t *in_dims,                \
                                const int64_t *out_dims, const double *scales,                     \
                                const int64_t *roi_index, const void *roi,                         \
                                const kk_resize_params *p) {                                       \
        kk_resize_axis ax[KK_MAX_RANK];                                                            \
        int64_t xs[KK_MAX_RANK], o[KK_MAX_RANK];                                                   \
        int act[KK_MAX_RANK], t[KK_MAX_RANK];                                                      \
        double part[KK_MAX_RANK];                                                                  \
        int nact = 0;                                                                              \
        const int64_t total = kk_resize_setup(ax, xs, rank, in_dims, out_dims, scales,             \
                                              roi_index, roi, p);                                  \
        if (total == 0) return;                                                                    \
        for (int i = 0; i < rank; i++) {                                                           \
            o[i] = 0;                                                                              \
            kk_resize_plan(&ax[i], p, 0);                                                          \
            if (ax[i].ntaps > 1) act[nact++] = i;                                                  \
        }                                                                                          \
        int64_t yi = 0;                                                                            \
        do {                                                                                       \
            int ext = 0;                                                                           \
            int64_t base = 0;                                                                      \
            for (int i = 0; i < rank; i++) {                                                       \
                ext |= ax[i].extrapolated;                                                         \
                if (ax[i].ntaps == 1) base += kk_resize_clamp(ax[i].start, ax[i].in) * xs[i];      \
            }                                                                                      \
            double acc = 0.0;                                                                      \
            if (ext) {                                                                             \
                acc = p->extrapolation;                                                            \
            } else if (nact == 0) {                                                                \
                acc = (double)x[base];                                                             \
            } else {                                                                               \
                for (int j = 0; j < nact; j++) {                                                   \
                    t[j] = 0;                                                                      \
                    part[j] = 0.0;                                                                 \
                }                                                                                  \
                for (;;) {                                                                         \
                    int64_t off = base;                                                            \
                    for (int j = 0; j < nact; j++)                                                 \
                        off += kk_resize_clamp(ax[act[j]].start + t[j], ax[act[j]].in) * xs[act[j]]; \
                    part[0] += (double)x[off] * ax[act[0]].w[t[0]];                                \
                    int j = 0;                                                                     \
                    while (j < nact && ++t[j] == ax[act[j]].ntaps) {                               \
                        t[j] = 0;                                                                  \
                        if (j + 1 < nact) part[j + 1] += part[j] * ax[act[j + 1]].w[t[j + 1]];     \
                        else acc = part[j];                                                        \
                        part[j] = 0.0;                                                             \
                        j++;                                                                       \
                    }                                                                              \
                    if (j == nact) break;                                                          \
                }                                                                                  \
            }                                                                                      \
            y[yi++] = STORE(T, acc);                                                               \
        } while (kk_resize_next(ax, o, rank, p));                                                  \
    }

KK_RESIZE_DEF(f32, float, KK_STORE_FLOAT)
KK_RESIZE_DEF(f64, double, KK_STORE_FLOAT)
KK_RESIZE_DEF(u8, uint8_t, KK_STORE_U8)
KK_RESIZE_DEF(i8, int8_t, KK_STORE_I8)
KK_RESIZE_DEF(i32, int32_t, KK_STORE_I32)

KK_API void kk_resize_nearest(const void *x, void *y, size_t elem_size, int rank,
                              const int64_t *in_dims, const int64_t *out_dims,
                              const double *scales, const int64_t *roi_index, const void *roi,
                              const kk_resize_params *p, const void *fill) {
    kk_resize_axis ax[KK_MAX_RANK];
    int64_t xs[KK_MAX_RANK], o[KK_MAX_RANK];
    const int64_t total = kk_resize_setup(ax, xs, rank, in_dims, out_dims, scales, roi_index, roi, p);
    if (total == 0) return;
    for (int i = 0; i < rank; i++) {
        o[i] = 0;
        kk_resize_plan(&ax[i], p, 0);
    }
    const unsigned char *xb = (const unsigned char *)x;
    unsigned char *yb = (unsigned char *)y;
    do {
        int ext = 0;
        int64_t off = 0;
        for (int i = 0; i < rank; i++) {
            ext |= ax[i].extrapolated;
            off += kk_resize_clamp(ax[i].start, ax[i].in) * xs[i];
        }
        memcpy(yb, ext ? fill : (const void *)(xb + (size_t)off * elem_size), elem_size);
        yb += elem_size;
    } while (kk_resize_next(ax, o, rank, p));
}

/* ------------------------------------------------ DepthToSpace / SpaceToDepth */

/* Visits every element once: d_off is its offset in the depth layout
 * (n, c * bs * bs, h, w), s_off in the space layout (n, c, h * bs, w * bs);
 * copies depth -> space (to_space) or back. */
KK_API void kk_depth_space_move(const void *x, void *y, size_t es, int64_t n, int64_t c, int64_t h,
                                int64_t w, int64_t bs, int crd, int to_space) {
    const unsigned char *src = (const unsigned char *)x;
    unsigned char *dst = (unsigned char *)y;
    const int64_t hw = h * w, sw = w * bs;
    for (int64_t ni = 0; ni < n; ni++)
        for (int64_t k = 0; k < c; k++)
            for (int64_t a = 0; a < bs; a++)
                for (int64_t b = 0; b < bs; b++) {
                    const int64_t d = crd ? (k * bs + a) * bs + b : (a * bs + b) * c + k;
                    const int64_t dbase = (ni * c * bs * bs + d) * hw;
                    const int64_t sbase = (ni * c + k) * hw * bs * bs + a * sw + b;
                    for (int64_t i = 0; i < h; i++)
                        for (int64_t j = 0; j < w; j++) {
                            const int64_t doff = dbase + i * w + j;
                            const int64_t soff = sbase + i * bs * sw + j * bs;
                            if (to_space)
                                memcpy(dst + (size_t)soff * es, src + (size_t)doff * es, es);
                            else
                                memcpy(dst + (size_t)doff * es, src + (size_t)soff * es, es);
                        }
                }
}

KK_API void kk_depth_to_space(const void *x, void *y, size_t elem_size, int64_t n, int64_t c,
                              int64_t h, int64_t w, int64_t bs, int crd) {
    kk_depth_space_move(x, y, elem_size, n, c, h, w, bs, crd, 1);
}

KK_API void kk_space_to_depth(const void *x, void *y, size_t elem_size, int64_t n, int64_t c,
                              int64_t h, int64_t w, int64_t bs, int crd) {
    kk_depth_space_move(x, y, elem_size, n, c, h, w, bs, crd, 0);
}
