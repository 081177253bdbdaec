/*
 * ref/norm.c - reference kernels of the norm family: kk_normalize (Layer-,
 * Group- and InstanceNormalization), kk_lpnorm (LpNormalization) and
 * kk_einsum (Einsum). Declared in kk_norm.h.
 *
 * Used twice: linked into the compiler (constant folding) and pasted into
 * every generated model that has a node of this family, so folded and
 * run-time results come from the same code.
 *
 * The normalizations compute their statistics with two passes (mean, then
 * the mean of squared deviations) as the ONNX reference does, accumulating
 * in double; float32 LayerNorm rows with a float stash type, and the
 * channels-first LayerNorm kiln makes of a decomposed one, run in vectors
 * instead (kk_ln_vec_f32 in ref/unary.c: float lane sums, totals in
 * double). The statistics themselves are rounded to the stash type
 * (stash_type = float: Mean and InvStdDev are float tensors in the spec's
 * definition, and X - Mean uses that rounded mean), so ill-conditioned rows
 * (a large offset, a tiny spread) give what the spec's function gives.
 * Einsum is one generic loop over (output indices x contracted indices) with
 * strides the compiler worked out; it is correct for every equation, which
 * matters more here than speed (attention models lower their big products
 * to MatMul, not Einsum).
 *
 * Each body is a macro instantiated per element type by the type lists.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"
#include "kk_unary.h"

/* ------------------------------------------------------------- odometer */

/* Advance the index idx over the first n dims of `dims` by one step, moving
 * the two offsets by the matching strides; wraps to all zeros at the end. */
KK_API void kk_norm_step2(int n, const int64_t *dims, const int64_t *s1, const int64_t *s2,
                          int64_t *idx, int64_t *o1, int64_t *o2)
{
    for (int k = n - 1; k >= 0; k--) {
        *o1 += s1[k];
        *o2 += s2[k];
        if (++idx[k] < dims[k])
            return;
        *o1 -= s1[k] * dims[k];
        *o2 -= s2[k] * dims[k];
        idx[k] = 0;
    }
}

/* Store one statistic as f32 or f64. */
KK_API void kk_norm_put_stat(int stat_dtype, void *p, int64_t i, double v)
{
    if (!p)
        return;
    if (stat_dtype == KK_F64)
        ((double *)p)[i] = v;
    else
        ((float *)p)[i] = (float)v;
}

/* ---------------------------------------------------------- kk_normalize */

#define KK_NORM_FLOAT_TYPES(F) \
    F(f32, float, KK_F32)      \
    F(f64, double, KK_F64)

/* 1 when strides str make the affine parameters one row's worth of
 * elements in the row's own order, the same for every row (LayerNorm). */
KK_API int kk_norm_rowwise(int rank, int axis, const int64_t *dims, const int64_t *str)
{
    int64_t want = 1;
    for (int k = rank - 1; k >= 0; k--) {
        if (dims[k] == 1)
            continue;
        if (str[k] != (k < axis ? 0 : want))
            return 0;
        if (k >= axis)
            want *= dims[k];
    }
    return 1;
}

/* kk_normalize for row-wise parameters: the sums run as four interleaved
 * chains (independent additions), the affine map in T with the statistics
 * rounded to T. */
#define KK_NORM_ROWS_DEF(SFX, T, CODE)                                                   \
KK_API void kk_normalize_rows_##SFX(int stat_dtype, const T *x, T *y, const T *scale, \
                                    const T *bias, void *mean, void *invstd,         \
                                    int64_t rows, int64_t cols, double eps)          \
{                                                                                    \
    if (CODE == KK_F32 && stat_dtype == KK_F32 &&                                    \
        kk_ln_vec_f32(0, (const float *)(const void *)x, (float *)(void *)y,         \
                      (const float *)(const void *)scale,                             \
                      (const float *)(const void *)bias, rows, cols, 1, eps,          \
                      (float *)mean, (float *)invstd))                               \
        return;                                                                      \
    for (int64_t r = 0; r < rows; r++) {                                             \
        const T *xr = x + r * cols;                                                  \
        T *yr = y + r * cols;                                                        \
        double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;                               \
        const int64_t c4 = cols - cols % 4;                                          \
        int64_t j = 0;                                                               \
        for (; j < c4; j += 4) {                                                     \
            a0 += (double)xr[j];                                                     \
            a1 += (double)xr[j + 1];                                                 \
            a2 += (double)xr[j + 2];                                                 \
            a3 += (double)xr[j + 3];                                                 \
        }                                                                            \
        for (; j < cols; j++)                                                        \
            a0 += (double)xr[j];                                                     \
        double mu = ((a0 + a1) + (a2 + a3)) / (double)cols;                          \
        if (stat_dtype == KK_F32)                                                    \
            mu = (double)(float)mu;                                                  \
        a0 = a1 = a2 = a3 = 0.0;                                                     \
        for (j = 0; j < c4; j += 4) {                                                \
            const double d0 = (double)xr[j] - mu, d1 = (double)xr[j + 1] - mu;       \
            const double d2 = (double)xr[j + 2] - mu, d3 = (double)xr[j + 3] - mu;   \
            a0 += d0 * d0;                                                           \
            a1 += d1 * d1;                                                           \
            a2 += d2 * d2;                                                           \
            a3 += d3 * d3;                                                           \
        }                                                                            \
        for (; j < cols; j++) {                                                      \
            const double d0 = (double)xr[j] - mu;                                    \
            a0 += d0 * d0;                                                           \
        }                                                                            \
        double inv = 1.0 / sqrt(((a0 + a1) + (a2 + a3)) / (double)cols + eps);       \
        if (stat_dtype == KK_F32)                                                    \
            inv = (double)(float)inv;                                                \
        kk_norm_put_stat(stat_dtype, mean, r, mu);                                   \
        kk_norm_put_stat(stat_dtype, invstd, r, inv);                                \
        const T m = (T)mu, iv = (T)inv;                                              \
        if (scale && bias) {                                                         \
            for (j = 0; j < cols; j++)                                               \
                yr[j] = (xr[j] - m) * iv * scale[j] + bias[j];                       \
        } else if (scale) {                                                          \
            for (j = 0; j < cols; j++)                                               \
                yr[j] = (xr[j] - m) * iv * scale[j];                                 \
        } else {                                                                     \
            for (j = 0; j < cols; j++)                                               \
                yr[j] = (xr[j] - m) * iv + (bias ? bias[j] : (T)0);                  \
        }                                                                            \
    }                                                                                \
}
KK_NORM_FLOAT_TYPES(KK_NORM_ROWS_DEF)

/* The affine stage walks a row as runs of the innermost dim (a plain strided
 * loop) and steps the outer dims with kk_norm_step2; the index keeps going
 * across rows, so scale/bias strides over the row dims work too. */
#define KK_NORM_DEF(SFX, T, CODE)                                                        \
KK_API void kk_normalize_##SFX(int stat_dtype, const T *x, T *y, const T *scale,     \
                               const T *bias, void *mean, void *invstd, int rank,    \
                               int axis, const int64_t *dims, const int64_t *sstr,   \
                               const int64_t *bstr, double eps)                      \
{                                                                                    \
    int64_t rows = 1, cols = 1;                                                      \
    int64_t idx[KK_MAX_RANK] = {0};                                                  \
    int64_t so = 0, bo = 0;                                                          \
    for (int k = 0; k < rank; k++) {                                                 \
        if (k < axis) rows *= dims[k];                                               \
        else cols *= dims[k];                                                        \
    }                                                                                \
    const int64_t inner = dims[rank - 1];                                            \
    const int64_t s_in = sstr[rank - 1], b_in = bstr[rank - 1];                      \
    if (kk_norm_rowwise(rank, axis, dims, sstr) && kk_norm_rowwise(rank, axis, dims, bstr)) { \
        kk_normalize_rows_##SFX(stat_dtype, x, y, scale, bias, mean, invstd, rows, cols, eps); \
        return;                                                                      \
    }                                                                                \
    for (int64_t r = 0; r < rows; r++) {                                             \
        const T *xr = x + r * cols;                                                  \
        T *yr = y + r * cols;                                                        \
        double sum = 0.0, ss = 0.0;                                                  \
        for (int64_t j = 0; j < cols; j++)                                           \
            sum += (double)xr[j];                                                    \
        double mu = sum / (double)cols;                                              \
        if (stat_dtype == KK_F32)                                                    \
            mu = (double)(float)mu;                                                  \
        for (int64_t j = 0; j < cols; j++) {                                         \
            const double dv = (double)xr[j] - mu;                                    \
            ss += dv * dv;                                                           \
        }                                                                            \
        double inv = 1.0 / sqrt(ss / (double)cols + eps);                            \
        if (stat_dtype == KK_F32)                                                    \
            inv = (double)(float)inv;                                                \
        kk_norm_put_stat(stat_dtype, mean, r, mu);                                   \
        kk_norm_put_stat(stat_dtype, invstd, r, inv);                                \
        if (cols == 0)                                                               \
            continue;                                                                \
        for (int64_t j = 0; j < cols; j += inner) {                                  \
            for (int64_t i = 0; i < inner; i++) {                                    \
                double v = ((double)xr[j + i] - mu) * inv;                           \
                if (scale) v *= (double)scale[so + i * s_in];                       \
                if (bias) v += (double)bias[bo + i * b_in];                         \
                yr[j + i] = (T)v;                                                    \
            }                                                                        \
            kk_norm_step2(rank - 1, dims, sstr, bstr, idx, &so, &bo);                \
        }                                                                            \
    }                                                                                \
}
KK_NORM_FLOAT_TYPES(KK_NORM_DEF)

KK_API int kk_normalize(int dtype, int stat_dtype, const void *x, void *y,
                        const void *scale, const void *bias, void *mean, void *invstd,
                        int rank, int axis, const int64_t *dims,
                        const int64_t *sstr, const int64_t *bstr, float epsilon)
{
    if (rank < 1 || rank > KK_MAX_RANK || axis < 0 || axis >= rank)
        return -1;
    if (stat_dtype != KK_F32 && stat_dtype != KK_F64)
        return -1;
#define KK_NORM_CASE(SFX, T, CODE)                                                   \
    if (dtype == CODE) {                                                             \
        kk_normalize_##SFX(stat_dtype, (const T *)x, (T *)y, (const T *)scale,       \
                           (const T *)bias, mean, invstd, rank, axis, dims, sstr,    \
                           bstr, (double)epsilon);                                   \
        return 0;                                                                    \
    }
    KK_NORM_FLOAT_TYPES(KK_NORM_CASE)
#undef KK_NORM_CASE
    return -1;
}

/* ----------------------------------------------------- kk_normalize_mid */

#define KK_NORM_BLK 64 /* positions along the inner dim one pass handles */

/* Blocks of up to KK_NORM_BLK inner positions: every pass walks the c
 * rows of a block in order (contiguous runs), with one double
 * accumulator per position. */
#define KK_NORM_MID_DEF(SFX, T, CODE)                                                   \
KK_API void kk_normalize_mid_##SFX(const T *x, T *y, const T *scale, const T *bias,   \
                                   int64_t outer, int64_t c, int64_t inner, double eps) \
{                                                                                    \
    if (CODE == KK_F32 &&                                                            \
        kk_ln_vec_f32(1, (const float *)(const void *)x, (float *)(void *)y,         \
                      (const float *)(const void *)scale,                             \
                      (const float *)(const void *)bias, outer, c, inner, eps, NULL, NULL)) \
        return;                                                                      \
    double acc[KK_NORM_BLK];                                                         \
    T mu[KK_NORM_BLK], iv[KK_NORM_BLK];                                              \
    for (int64_t o = 0; o < outer; o++) {                                            \
        const T *xo = x + o * c * inner;                                             \
        T *yo = y + o * c * inner;                                                   \
        for (int64_t i0 = 0; i0 < inner; i0 += KK_NORM_BLK) {                        \
            const int64_t nb = inner - i0 < KK_NORM_BLK ? inner - i0 : KK_NORM_BLK;  \
            for (int64_t b = 0; b < nb; b++)                                         \
                acc[b] = 0.0;                                                        \
            for (int64_t ch = 0; ch < c; ch++) {                                     \
                const T *xr = xo + ch * inner + i0;                                  \
                for (int64_t b = 0; b < nb; b++)                                     \
                    acc[b] += (double)xr[b];                                         \
            }                                                                        \
            for (int64_t b = 0; b < nb; b++) {                                       \
                mu[b] = (T)(acc[b] / (double)c);                                     \
                acc[b] = 0.0;                                                        \
            }                                                                        \
            for (int64_t ch = 0; ch < c; ch++) {                                     \
                const T *xr = xo + ch * inner + i0;                                  \
                for (int64_t b = 0; b < nb; b++) {                                   \
                    const double dv = (double)xr[b] - (double)mu[b];                 \
                    acc[b] += dv * dv;                                               \
                }                                                                    \
            }                                                                        \
            for (int64_t b = 0; b < nb; b++)                                         \
                iv[b] = (T)(1.0 / sqrt(acc[b] / (double)c + eps));                   \
            for (int64_t ch = 0; ch < c; ch++) {                                     \
                const T *xr = xo + ch * inner + i0;                                  \
                T *yr = yo + ch * inner + i0;                                        \
                const T sc = scale ? scale[ch] : (T)1, bi = bias ? bias[ch] : (T)0;  \
                for (int64_t b = 0; b < nb; b++)                                     \
                    yr[b] = (xr[b] - mu[b]) * iv[b] * sc + bi;                       \
            }                                                                        \
        }                                                                            \
    }                                                                                \
}
KK_NORM_FLOAT_TYPES(KK_NORM_MID_DEF)

KK_API int kk_normalize_mid(int dtype, const void *x, void *y, const void *scale, const void *bias,
                            int64_t outer, int64_t c, int64_t inner, float epsilon)
{
#define KK_NORM_CASE(SFX, T, CODE)                                                   \
    if (dtype == CODE) {                                                             \
        kk_normalize_mid_##SFX((const T *)x, (T *)y, (const T *)scale,               \
                               (const T *)bias, outer, c, inner, (double)epsilon);   \
        return 0;                                                                    \
    }
    KK_NORM_FLOAT_TYPES(KK_NORM_CASE)
#undef KK_NORM_CASE
    return -1;
}

/* ------------------------------------------------------------- kk_lpnorm */

#define KK_LPNORM_DEF(SFX, T, CODE)                                                      \
KK_API void kk_lpnorm_##SFX(int p, const T *x, T *y, int64_t outer, int64_t n,       \
                            int64_t inner)                                           \
{                                                                                    \
    for (int64_t o = 0; o < outer; o++) {                                            \
        for (int64_t i = 0; i < inner; i++) {                                        \
            const int64_t base = o * n * inner + i;                                  \
            double acc = 0.0;                                                        \
            for (int64_t j = 0; j < n; j++) {                                        \
                const double v = (double)x[base + j * inner];                        \
                acc += p == 1 ? fabs(v) : v * v;                                     \
            }                                                                        \
            const double norm = p == 1 ? acc : sqrt(acc);                            \
            for (int64_t j = 0; j < n; j++) {                                        \
                const int64_t q = base + j * inner;                                  \
                y[q] = norm == 0.0 ? (T)0 : (T)((double)x[q] / norm);                \
            }                                                                        \
        }                                                                            \
    }                                                                                \
}
KK_NORM_FLOAT_TYPES(KK_LPNORM_DEF)

KK_API int kk_lpnorm(int dtype, int p, const void *x, void *y,
                     int64_t outer, int64_t n, int64_t inner)
{
    if (p != 1 && p != 2)
        return -1;
    if (dtype == KK_F32)
        kk_lpnorm_f32(p, (const float *)x, (float *)y, outer, n, inner);
    else if (dtype == KK_F64)
        kk_lpnorm_f64(p, (const double *)x, (double *)y, outer, n, inner);
    else
        return -1;
    return 0;
}

/* ------------------------------------------------------------- kk_einsum */

/* E(suffix, C type, KK code, accumulator type, operand -> accumulator).
 * Integers accumulate in uint64_t: wrapping there is defined for every input
 * and equals two's complement wrapping of the narrow type after narrowing. */
#define KK_EIN_TYPES(E)                                          \
    E(f32, float, KK_F32, double, (double))                      \
    E(f64, double, KK_F64, double, (double))                     \
    E(i8, int8_t, KK_I8, uint64_t, (uint64_t)(int64_t))          \
    E(u8, uint8_t, KK_U8, uint64_t, (uint64_t))                  \
    E(i16, int16_t, KK_I16, uint64_t, (uint64_t)(int64_t))       \
    E(u16, uint16_t, KK_U16, uint64_t, (uint64_t))               \
    E(i32, int32_t, KK_I32, uint64_t, (uint64_t)(int64_t))       \
    E(u32, uint32_t, KK_U32, uint64_t, (uint64_t))               \
    E(i64, int64_t, KK_I64, uint64_t, (uint64_t))                \
    E(u64, uint64_t, KK_U64, uint64_t, (uint64_t))

/* Advance loop axes [lo, hi) by one step as an odometer, moving every
 * operand's offset off[k] by its stride for the axis that moved. */
KK_API void kk_ein_step(int nin, int nax, int lo, int hi, const int64_t *dims,
                        const int64_t *str, int64_t *idx, int64_t *off)
{
    for (int a = hi - 1; a >= lo; a--) {
        for (int k = 0; k < nin; k++)
            off[k] += str[k * nax + a];
        if (++idx[a] < dims[a])
            return;
        for (int k = 0; k < nin; k++)
            off[k] -= str[k * nax + a] * dims[a];
        idx[a] = 0;
    }
}

/* The innermost contracted axis is a plain strided loop; the other
 * contracted axes and the output axes step as odometers. */
#define KK_EIN_DEF(SFX, T, CODE, ACC, CVT)                                           \
KK_API void kk_einsum_##SFX(int nin, const void *const *xv, T *y, int nout, int nsum, \
                            const int64_t *dims, const int64_t *str)                 \
{                                                                                    \
    const int nax = nout + nsum;                                                     \
    const T *x[KK_EIN_MAX_IN];                                                       \
    int64_t idx[KK_EIN_MAX_AXES] = {0};                                              \
    int64_t base[KK_EIN_MAX_IN] = {0}, off[KK_EIN_MAX_IN], is[KK_EIN_MAX_IN];        \
    int64_t ny = 1, nred = 1;                                                        \
    for (int a = 0; a < nax; a++) {                                                  \
        if (a < nout) ny *= dims[a];                                                 \
        else nred *= dims[a];                                                        \
    }                                                                                \
    const int64_t nlast = nsum > 0 ? dims[nax - 1] : 1;                              \
    const int64_t nrun = nlast > 0 ? nred / nlast : 0;                               \
    for (int k = 0; k < nin; k++) {                                                  \
        x[k] = (const T *)xv[k];                                                     \
        is[k] = nsum > 0 ? str[k * nax + nax - 1] : 0;                               \
    }                                                                                \
    for (int64_t o = 0; o < ny; o++) {                                               \
        ACC acc = 0;                                                                 \
        for (int k = 0; k < nin; k++)                                                \
            off[k] = base[k];                                                        \
        for (int64_t r = 0; r < nrun; r++) {                                         \
            for (int64_t t = 0; t < nlast; t++) {                                    \
                ACC prod = CVT x[0][off[0] + t * is[0]];                             \
                for (int k = 1; k < nin; k++)                                        \
                    prod *= CVT x[k][off[k] + t * is[k]];                            \
                acc += prod;                                                         \
            }                                                                        \
            kk_ein_step(nin, nax, nout, nax - 1, dims, str, idx, off);               \
        }                                                                            \
        y[o] = (T)acc;                                                               \
        kk_ein_step(nin, nax, 0, nout, dims, str, idx, base);                        \
    }                                                                                \
}
KK_EIN_TYPES(KK_EIN_DEF)

KK_API int kk_einsum(int dtype, int nin, const void *const *x, void *y,
                     int nout, int nsum, const int64_t *dims, const int64_t *str)
{
    if (nin < 1 || nin > KK_EIN_MAX_IN || nout < 0 || nsum < 0 || nout + nsum > KK_EIN_MAX_AXES)
        return -1;
#define KK_EIN_CASE(SFX, T, CODE, ACC, CVT)                                          \
    if (dtype == CODE) {                                                             \
        kk_einsum_##SFX(nin, x, (T *)y, nout, nsum, dims, str);                      \
        return 0;                                                                    \
    }
    KK_EIN_TYPES(KK_EIN_CASE)
#undef KK_EIN_CASE
    return -1;
}
