/*
 * index.c - reference kernels of the index family: Tile, GatherElements,
 * GatherND, ScatterND, ScatterElements, CumSum, OneHot, Trilu, NonZero.
 *
 * The compiler calls these same functions when it folds constants, and the
 * generated code gets this file pasted in with KK_API defined as static.
 * Index values come from runtime tensors: each one goes through
 * kk_index_wrap before it addresses memory (see kk_index.h for what an
 * out-of-range index does in each kernel). The plain copies and fills reuse
 * the shape family's kk_copy and kk_fill (kernels/ref/shape.c), so a model
 * calling these kernels also carries that file.
 */
#include <math.h>
#include <string.h>

#include "kk.h"

/* Helpers private to this file (KK_API like everything pasted into models). */
KK_API int64_t kk_index_from_double(double v);
KK_API int64_t kk_index_wrap(int64_t i, int64_t dim);
KK_API void kk_index_strides(int rank, const int64_t *dims, int64_t *strides);
KK_API int kk_index_next(int rank, const int64_t *dims, int64_t *idx);
KK_API void kk_index_combine(unsigned char *dst, const unsigned char *src, int64_t n,
                             int dtype, int reduction, size_t elsize);

/* Truncation of a double that has an int64 value; INT64_MIN otherwise (the
 * conversion of an out-of-range double would be undefined behaviour). */
KK_API int64_t kk_index_from_double(double v)
{
    if (!(v > -9.2e18 && v < 9.2e18))
        return INT64_MIN;
    return (int64_t)v;
}

KK_API int64_t kk_index_at(const void *p, int dtype, int64_t i)
{
    switch (dtype) {
    case KK_I64: return ((const int64_t *)p)[i];
    case KK_I32: return ((const int32_t *)p)[i];
    case KK_I16: return ((const int16_t *)p)[i];
    case KK_I8: return ((const int8_t *)p)[i];
    case KK_U8: return ((const uint8_t *)p)[i];
    case KK_U16: return ((const uint16_t *)p)[i];
    case KK_U32: return ((const uint32_t *)p)[i];
    case KK_U64: {
        const uint64_t v = ((const uint64_t *)p)[i];
        return v > (uint64_t)INT64_MAX ? INT64_MIN : (int64_t)v;
    }
    case KK_F32: return kk_index_from_double((double)((const float *)p)[i]);
    case KK_F64: return kk_index_from_double(((const double *)p)[i]);
    default: return INT64_MIN;
    }
}

/* i wrapped into [0, dim) when it is in [-dim, dim), else -1. */
KK_API int64_t kk_index_wrap(int64_t i, int64_t dim)
{
    if (i < 0)
        i += dim;   /* cannot overflow: dim >= 0 */
    return i >= 0 && i < dim ? i : -1;
}

/* Dense row-major strides (in elements) of dims. */
KK_API void kk_index_strides(int rank, const int64_t *dims, int64_t *strides)
{
    int64_t s = 1;
    for (int k = rank - 1; k >= 0; k--) {
        strides[k] = s;
        s *= dims[k];
    }
}

/* Advances the row-major odometer idx over dims; 0 when it wrapped around. */
KK_API int kk_index_next(int rank, const int64_t *dims, int64_t *idx)
{
    for (int k = rank - 1; k >= 0; k--) {
        if (++idx[k] < dims[k])
            return 1;
        idx[k] = 0;
    }
    return 0;
}

/* ------------------------------------------------------------------ Tile */

KK_API void kk_tile(const void *x, void *y, int rank, const int64_t *in_dims,
                    const int64_t *repeats, size_t elsize)
{
    int64_t ost[KK_MAX_RANK], idx[KK_MAX_RANK] = { 0 }, rows = 1, s = 1;
    const unsigned char *src = (const unsigned char *)x;
    unsigned char *dst = (unsigned char *)y;
    const size_t es = elsize;

    if (rank > KK_MAX_RANK)
        return;
    for (int k = 0; k < rank; k++)
        if (in_dims[k] == 0 || repeats[k] <= 0)
            return;     /* empty output */
    if (rank == 0) {
        memcpy(dst, src, es);
        return;
    }
    for (int k = rank - 1; k >= 0; k--) {
        ost[k] = s;
        s *= in_dims[k] * repeats[k];
    }
    /* 1. Every input row goes to the same coordinates in y (the first tile). */
    const int64_t inner = in_dims[rank - 1];
    for (int k = 0; k < rank - 1; k++)
        rows *= in_dims[k];
    for (int64_t r = 0; r < rows; r++) {
        int64_t off = 0;
        for (int k = 0; k < rank - 1; k++)
            off += idx[k] * ost[k];
        memcpy(dst + (size_t)off * es, src + (size_t)(r * inner) * es, (size_t)inner * es);
        kk_index_next(rank - 1, in_dims, idx);
    }
    /* 2. Innermost dim first: once everything inside dim k is complete, the
     * first tile along k (one contiguous block per outer position inside the
     * input's extent) is copied repeats[k] - 1 times after itself. */
    for (int k = rank - 1; k >= 0; k--) {
        if (repeats[k] == 1)
            continue;
        const int64_t block = in_dims[k] * ost[k];
        int64_t outer = 1;
        for (int j = 0; j < k; j++) {
            outer *= in_dims[j];
            idx[j] = 0;
        }
        for (int64_t o = 0; o < outer; o++) {
            int64_t base = 0;
            for (int j = 0; j < k; j++)
                base += idx[j] * ost[j];
            for (int64_t t = 1; t < repeats[k]; t++)
                memcpy(dst + (size_t)(base + t * block) * es, dst + (size_t)base * es,
                       (size_t)block * es);
            kk_index_next(k, in_dims, idx);
        }
    }
}

/* --------------------------------------------------------------- gathers */

KK_API void kk_gather_elements(const void *x, const int64_t *x_dims, const void *indices,
                               int index_dtype, const int64_t *idx_dims, int rank, int axis,
                               void *y, size_t elsize)
{
    int64_t xst[KK_MAX_RANK], idx[KK_MAX_RANK] = { 0 }, total = 1;
    const unsigned char *src = (const unsigned char *)x;
    unsigned char *dst = (unsigned char *)y;

    if (rank < 1 || rank > KK_MAX_RANK || axis < 0 || axis >= rank)
        return;
    for (int k = 0; k < rank; k++)
        total *= idx_dims[k];
    kk_index_strides(rank, x_dims, xst);
    for (int64_t e = 0; e < total; e++, dst += elsize) {
        const int64_t i = kk_index_wrap(kk_index_at(indices, index_dtype, e), x_dims[axis]);
        int64_t off = i * xst[axis];
        for (int k = 0; k < rank; k++)
            if (k != axis)
                off += idx[k] * xst[k];
        if (i < 0)
            memset(dst, 0, elsize);
        else
            memcpy(dst, src + (size_t)off * elsize, elsize);
        kk_index_next(rank, idx_dims, idx);
    }
}

/* Element offset (in slices) of index tuple t[0..m) inside dims; -1 when a
 * coordinate is out of range. */
#define KK_INDEX_TUPLE(OFF, INDICES, DT, FIRST, M, DIMS)                         \
    do {                                                                         \
        (OFF) = 0;                                                               \
        for (int t_ = 0; t_ < (M); t_++) {                                       \
            const int64_t c_ = kk_index_wrap(kk_index_at((INDICES), (DT), (FIRST) + t_), \
                                             (DIMS)[t_]);                        \
            if (c_ < 0) {                                                        \
                (OFF) = -1;                                                      \
                break;                                                           \
            }                                                                    \
            (OFF) = (OFF) * (DIMS)[t_] + c_;                                     \
        }                                                                        \
    } while (0)

KK_API void kk_gather_nd(const void *x, const void *indices, int index_dtype, void *y,
                         int64_t batch, int64_t n, int m, const int64_t *x_dims,
                         int64_t slice, size_t elsize)
{
    const unsigned char *src = (const unsigned char *)x;
    unsigned char *dst = (unsigned char *)y;
    const size_t bytes = (size_t)slice * elsize;
    int64_t per = 1;    /* slices per batch of x */

    if (m < 0 || m > KK_MAX_RANK)
        return;
    for (int t = 0; t < m; t++)
        per *= x_dims[t];
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t j = 0; j < n; j++, dst += bytes) {
            int64_t off;
            KK_INDEX_TUPLE(off, indices, index_dtype, (b * n + j) * m, m, x_dims);
            if (off < 0)
                memset(dst, 0, bytes);
            else
                memcpy(dst, src + (size_t)(b * per + off) * bytes, bytes);
        }
    }
}

/* -------------------------------------------------------------- scatters */

/* dst[j] = reduction(dst[j], src[j]) for j < n, in the element type. Sums
 * and products of integers go through an unsigned type U (wrapping, never
 * undefined); max and min propagate NaN like numpy's maximum/minimum. */
#define KK_NAN_F(v) isnan(v)
#define KK_NAN_NONE(v) 0
#define KK_COMBINE_CASE(CODE, T, U, ISNAN)                                       \
    case CODE: {                                                                 \
        T *d_ = (T *)(void *)dst;                                                \
        const T *s_ = (const T *)(const void *)src;                              \
        for (int64_t j = 0; j < n; j++) {                                        \
            const T a = d_[j], b = s_[j];                                        \
            switch (reduction) {                                                 \
            case KK_SCATTER_ADD: d_[j] = (T)((U)a + (U)b); break;                \
            case KK_SCATTER_MUL: d_[j] = (T)((U)a * (U)b); break;                \
            case KK_SCATTER_MAX: d_[j] = (b > a || ISNAN(b)) ? b : a; break;     \
            case KK_SCATTER_MIN: d_[j] = (b < a || ISNAN(b)) ? b : a; break;     \
            default: d_[j] = b; break;                                           \
            }                                                                    \
        }                                                                        \
        break;                                                                   \
    }

KK_API void kk_index_combine(unsigned char *dst, const unsigned char *src, int64_t n,
                             int dtype, int reduction, size_t elsize)
{
    if (reduction == KK_SCATTER_NONE) {
        memcpy(dst, src, (size_t)n * elsize);
        return;
    }
    switch (dtype) {
    KK_COMBINE_CASE(KK_F32, float, float, KK_NAN_F)
    KK_COMBINE_CASE(KK_F64, double, double, KK_NAN_F)
    KK_COMBINE_CASE(KK_I8, int8_t, uint32_t, KK_NAN_NONE)
    KK_COMBINE_CASE(KK_I16, int16_t, uint32_t, KK_NAN_NONE)
    KK_COMBINE_CASE(KK_I32, int32_t, uint32_t, KK_NAN_NONE)
    KK_COMBINE_CASE(KK_I64, int64_t, uint64_t, KK_NAN_NONE)
    KK_COMBINE_CASE(KK_U8, uint8_t, uint32_t, KK_NAN_NONE)
    KK_COMBINE_CASE(KK_U16, uint16_t, uint32_t, KK_NAN_NONE)
    KK_COMBINE_CASE(KK_U32, uint32_t, uint32_t, KK_NAN_NONE)
    KK_COMBINE_CASE(KK_U64, uint64_t, uint64_t, KK_NAN_NONE)
    default:
        break;  /* the compiler only passes the types above */
    }
}
#undef KK_COMBINE_CASE
#undef KK_NAN_F
#undef KK_NAN_NONE

KK_API void kk_scatter_nd(const void *x, const void *indices, int index_dtype,
                          const void *updates, void *y, int64_t x_numel, int64_t n, int m,
                          const int64_t *x_dims, int64_t slice, int dtype, int reduction,
                          size_t elsize)
{
    const unsigned char *upd = (const unsigned char *)updates;
    unsigned char *dst = (unsigned char *)y;
    const size_t bytes = (size_t)slice * elsize;

    kk_copy(x, y, (size_t)x_numel * elsize);
    if (m < 0 || m > KK_MAX_RANK || slice == 0)
        return;
    for (int64_t j = 0; j < n; j++) {
        int64_t off;
        KK_INDEX_TUPLE(off, indices, index_dtype, j * m, m, x_dims);
        if (off >= 0)
            kk_index_combine(dst + (size_t)off * bytes, upd + (size_t)j * bytes, slice, dtype,
                             reduction, elsize);
    }
}
#undef KK_INDEX_TUPLE

KK_API void kk_scatter_elements(const void *x, const void *indices, int index_dtype,
                                const void *updates, void *y, int rank, const int64_t *x_dims,
                                const int64_t *idx_dims, int axis, int dtype, int reduction,
                                size_t elsize)
{
    int64_t xst[KK_MAX_RANK], idx[KK_MAX_RANK] = { 0 }, total = 1, xn = 1;
    const unsigned char *upd = (const unsigned char *)updates;
    unsigned char *dst = (unsigned char *)y;

    if (rank < 1 || rank > KK_MAX_RANK || axis < 0 || axis >= rank)
        return;
    for (int k = 0; k < rank; k++) {
        total *= idx_dims[k];
        xn *= x_dims[k];
    }
    kk_copy(x, y, (size_t)xn * elsize);
    kk_index_strides(rank, x_dims, xst);
    for (int64_t e = 0; e < total; e++) {
        const int64_t i = kk_index_wrap(kk_index_at(indices, index_dtype, e), x_dims[axis]);
        if (i >= 0) {
            int64_t off = i * xst[axis];
            for (int k = 0; k < rank; k++)
                if (k != axis)
                    off += idx[k] * xst[k];
            kk_index_combine(dst + (size_t)off * elsize, upd + (size_t)e * elsize, 1, dtype,
                             reduction, elsize);
        }
        kk_index_next(rank, idx_dims, idx);
    }
}

/* ---------------------------------------------------------------- CumSum */

/* One loop per element type: each output row along n is the previous
 * output row plus one input row, so the inner loop runs over contiguous
 * memory. U as in KK_COMBINE_CASE. */
#define KK_CUMSUM_CASE(CODE, T, U)                                               \
    case CODE: {                                                                 \
        const T *xs = (const T *)x;                                              \
        T *ys = (T *)y;                                                          \
        for (int64_t o = 0; o < outer; o++) {                                    \
            const T *xo = xs + o * n * inner;                                    \
            T *yo = ys + o * n * inner;                                          \
            for (int64_t s = 0; s < n; s++) {                                    \
                const int64_t j = reverse ? n - 1 - s : s, p = reverse ? j + 1 : j - 1; \
                const int64_t src = exclusive ? p : j;                           \
                for (int64_t i = 0; i < inner; i++) {                            \
                    const T v = s == 0 ? (exclusive ? (T)0 : xo[j * inner + i])  \
                                       : (T)((U)yo[p * inner + i] + (U)xo[src * inner + i]); \
                    yo[j * inner + i] = v;                                       \
                }                                                                \
            }                                                                    \
        }                                                                        \
        break;                                                                   \
    }

KK_API void kk_cumsum(const void *x, void *y, int dtype, int64_t outer, int64_t n,
                      int64_t inner, int exclusive, int reverse)
{
    switch (dtype) {
    KK_CUMSUM_CASE(KK_F32, float, float)
    KK_CUMSUM_CASE(KK_F64, double, double)
    KK_CUMSUM_CASE(KK_I8, int8_t, uint32_t)
    KK_CUMSUM_CASE(KK_I16, int16_t, uint32_t)
    KK_CUMSUM_CASE(KK_I32, int32_t, uint32_t)
    KK_CUMSUM_CASE(KK_I64, int64_t, uint64_t)
    KK_CUMSUM_CASE(KK_U8, uint8_t, uint32_t)
    KK_CUMSUM_CASE(KK_U16, uint16_t, uint32_t)
    KK_CUMSUM_CASE(KK_U32, uint32_t, uint32_t)
    KK_CUMSUM_CASE(KK_U64, uint64_t, uint64_t)
    default:
        break;
    }
}
#undef KK_CUMSUM_CASE

/* ---------------------------------------------------------------- OneHot */

KK_API void kk_onehot(const void *indices, int index_dtype, const void *values, void *y,
                      int64_t outer, int64_t depth, int64_t inner, int negative, size_t elsize)
{
    const unsigned char *on = (const unsigned char *)values + elsize;
    unsigned char *dst = (unsigned char *)y;

    kk_fill(y, outer * depth * inner, values, elsize);     /* values[0]: off */
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) {
            int64_t v = kk_index_at(indices, index_dtype, o * inner + i);
            v = negative ? kk_index_wrap(v, depth) : v < depth ? v : -1;
            if (v >= 0)
                memcpy(dst + (size_t)((o * depth + v) * inner + i) * elsize, on, elsize);
        }
    }
}

/* ----------------------------------------------------------------- Trilu */

KK_API void kk_trilu(const void *x, void *y, int64_t batch, int64_t rows, int64_t cols,
                     const int64_t *k, int upper, size_t elsize)
{
    const unsigned char *src = (const unsigned char *)x;
    unsigned char *dst = (unsigned char *)y;
    int64_t kv = k != NULL ? *k : 0;

    /* Past these bounds every row is kept whole or zeroed whole; clamping
     * keeps i + kv far from overflow. */
    kv = kv < -rows ? -rows : kv > cols ? cols : kv;
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t i = 0; i < rows; i++) {
            /* Kept columns: [c, cols) for upper, [0, c) for lower. */
            int64_t c = upper ? i + kv : i + kv + 1;
            c = c < 0 ? 0 : c > cols ? cols : c;
            const int64_t lo = upper ? c : 0, hi = upper ? cols : c;
            if (lo > 0)
                memset(dst, 0, (size_t)lo * elsize);
            if (hi > lo)
                memmove(dst + (size_t)lo * elsize, src + (size_t)lo * elsize,
                        (size_t)(hi - lo) * elsize);
            if (hi < cols)
                memset(dst + (size_t)hi * elsize, 0, (size_t)(cols - hi) * elsize);
            src += (size_t)cols * elsize;
            dst += (size_t)cols * elsize;
        }
    }
}

/* --------------------------------------------------------------- NonZero */

#define KK_NONZERO_CASE(CODE, T)                                                 \
    case CODE:                                                                   \
        nz = ((const T *)x)[e] != 0;                                             \
        break;

KK_API void kk_nonzero(const void *x, int dtype, int rank, const int64_t *dims, int64_t *y,
                       int64_t *count)
{
    int64_t idx[KK_MAX_RANK] = { 0 }, cap = 1, cnt = 0;

    if (rank > KK_MAX_RANK) {
        *count = 0;
        return;
    }
    for (int k = 0; k < rank; k++)
        cap *= dims[k];
    for (int64_t e = 0; e < cap; e++) {
        int nz = 0;
        switch (dtype) {
        KK_NONZERO_CASE(KK_F32, float)
        KK_NONZERO_CASE(KK_F64, double)
        KK_NONZERO_CASE(KK_I8, int8_t)
        KK_NONZERO_CASE(KK_I16, int16_t)
        KK_NONZERO_CASE(KK_I32, int32_t)
        KK_NONZERO_CASE(KK_I64, int64_t)
        KK_NONZERO_CASE(KK_U8, uint8_t)
        KK_NONZERO_CASE(KK_BOOL, uint8_t)
        KK_NONZERO_CASE(KK_U16, uint16_t)
        KK_NONZERO_CASE(KK_U32, uint32_t)
        KK_NONZERO_CASE(KK_U64, uint64_t)
        default:
            break;
        }
        if (nz) {
            for (int k = 0; k < rank; k++)
                y[k * cap + cnt] = idx[k];
            cnt++;
        }
        kk_index_next(rank, dims, idx);
    }
    for (int k = 0; k < rank; k++)
        for (int64_t c = cnt; c < cap; c++)
            y[k * cap + c] = 0;
    *count = cnt;
}
#undef KK_NONZERO_CASE
