/*
 * shape.c - reference kernels of the shape family: the data movement behind
 * Reshape/Flatten/Squeeze/Unsqueeze (plain copies), Transpose, Slice and
 * Expand (all three one strided copy), Concat, Split, Pad and Gather, plus
 * the value generators of ConstantOfShape (fill) and Range.
 *
 * The compiler calls these same functions when it folds constants, and the
 * generated code gets this file pasted in with KK_API defined as static.
 * Element values are never interpreted by the movement kernels: elements are
 * moved as `elsize` bytes, through memcpy so no aliasing rule is broken and
 * the compiler still turns fixed-size copies into plain loads and stores.
 */
#include <string.h>

#include "kk.h"

/* Helpers private to this file (KK_API like everything pasted into models). */
typedef struct KkShapePadDim KkShapePadDim;
KK_API void kk_shape_run(const unsigned char *src, unsigned char *dst, int64_t n,
                         int64_t stride, size_t elsize);
KK_API void kk_shape_strides(int rank, const int64_t *dims, int64_t *strides);
KK_API void kk_shape_fill(unsigned char *dst, int64_t n, const void *value, size_t elsize);
KK_API int64_t kk_shape_pad_map(const KkShapePadDim *p, int mode, int64_t o);

KK_API void kk_copy(const void *x, void *y, size_t bytes)
{
    /* memmove: a later pass may make x and y the same buffer. */
    if (bytes > 0 && x != y)
        memmove(y, x, bytes);
}

/* Copies n elements read `stride` elements apart into a dense run; the
 * switch gives the compiler fixed-size copies for the common widths. */
#define KK_RUN_CASE(W)                                                            \
    case W:                                                                       \
        for (int64_t j = 0; j < n; j++)                                           \
            memcpy(dst + j * W, src + j * stride * W, W);                         \
        break;

KK_API void kk_shape_run(const unsigned char *src, unsigned char *dst, int64_t n,
                         int64_t stride, size_t elsize)
{
    const int64_t es = (int64_t)elsize;
    if (stride == 1) {
        memcpy(dst, src, (size_t)(n * es));
        return;
    }
    switch (elsize) {
    KK_RUN_CASE(1)
    KK_RUN_CASE(2)
    KK_RUN_CASE(4)
    KK_RUN_CASE(8)
    default:
        for (int64_t j = 0; j < n; j++)
            memcpy(dst + j * es, src + j * stride * es, elsize);
        break;
    }
}
#undef KK_RUN_CASE

KK_API void kk_strided_copy(const void *x, void *y, int rank, const int64_t *out_dims,
                            const int64_t *in_strides, int64_t in_offset, size_t elsize)
{
    int64_t dims[KK_MAX_RANK], str[KK_MAX_RANK], idx[KK_MAX_RANK];
    const int64_t es = (int64_t)elsize;
    const unsigned char *src;
    unsigned char *dst = (unsigned char *)y;
    int r = 0;

    if (rank > KK_MAX_RANK)
        return;
    for (int k = 0; k < rank; k++)
        if (out_dims[k] == 0)
            return;     /* nothing to write; x may even be NULL */
    src = (const unsigned char *)x + in_offset * es;
    /* Drop size-1 dims and merge a dim into its outer neighbour when the
     * two walk memory as one (outer stride == inner stride * inner size):
     * fewer, longer runs for the inner loop. */
    for (int k = 0; k < rank; k++) {
        if (out_dims[k] == 1)
            continue;
        if (r > 0 && str[r - 1] == in_strides[k] * out_dims[k]) {
            dims[r - 1] *= out_dims[k];
            str[r - 1] = in_strides[k];
        } else {
            dims[r] = out_dims[k];
            str[r] = in_strides[k];
            r++;
        }
    }
    if (r == 0) {
        memcpy(dst, src, elsize);
        return;
    }
    /* Innermost dim is a run; the outer dims are an odometer over rows. */
    const int64_t inner = dims[r - 1], istride = str[r - 1];
    int64_t rows = 1;
    for (int k = 0; k < r - 1; k++) {
        rows *= dims[k];
        idx[k] = 0;
    }
    for (int64_t row = 0; row < rows; row++) {
        kk_shape_run(src, dst, inner, istride, elsize);
        dst += inner * es;
        for (int k = r - 2; k >= 0; k--) {
            src += str[k] * es;
            if (++idx[k] < dims[k])
                break;
            src -= dims[k] * str[k] * es;
            idx[k] = 0;
        }
    }
}

/* Dense row-major strides (in elements) of dims. */
KK_API void kk_shape_strides(int rank, const int64_t *dims, int64_t *strides)
{
    int64_t s = 1;
    for (int k = rank - 1; k >= 0; k--) {
        strides[k] = s;
        s *= dims[k];
    }
}

KK_API void kk_transpose(const void *x, void *y, int rank, const int64_t *in_dims,
                         const int64_t *perm, size_t elsize)
{
    int64_t ist[KK_MAX_RANK], od[KK_MAX_RANK], ost[KK_MAX_RANK];
    if (rank > KK_MAX_RANK)
        return;
    kk_shape_strides(rank, in_dims, ist);
    for (int k = 0; k < rank; k++) {
        od[k] = in_dims[perm[k]];
        ost[k] = ist[perm[k]];
    }
    kk_strided_copy(x, y, rank, od, ost, 0, elsize);
}

KK_API void kk_slice(const void *x, void *y, int rank, const int64_t *in_dims,
                     const int64_t *out_dims, const int64_t *starts, const int64_t *steps,
                     size_t elsize)
{
    int64_t ist[KK_MAX_RANK], st[KK_MAX_RANK];
    int64_t off = 0;
    if (rank > KK_MAX_RANK)
        return;
    for (int k = 0; k < rank; k++)
        if (out_dims[k] == 0)
            return;     /* starts may be meaningless for an empty slice */
    kk_shape_strides(rank, in_dims, ist);
    for (int k = 0; k < rank; k++) {
        off += starts[k] * ist[k];
        st[k] = steps[k] * ist[k];
    }
    kk_strided_copy(x, y, rank, out_dims, st, off, elsize);
}

KK_API void kk_expand(const void *x, void *y, int rank, const int64_t *in_dims,
                      const int64_t *out_dims, size_t elsize)
{
    int64_t ist[KK_MAX_RANK];
    if (rank > KK_MAX_RANK)
        return;
    kk_shape_strides(rank, in_dims, ist);
    for (int k = 0; k < rank; k++)
        if (in_dims[k] == 1 && out_dims[k] != 1)
            ist[k] = 0;     /* broadcast: every index reads element 0 */
    kk_strided_copy(x, y, rank, out_dims, ist, 0, elsize);
}

KK_API void kk_concat(const void *const *xs, int n, void *y, int64_t outer,
                      const int64_t *chunk_bytes)
{
    unsigned char *dst = (unsigned char *)y;
    for (int64_t o = 0; o < outer; o++) {
        for (int i = 0; i < n; i++) {
            const int64_t b = chunk_bytes[i];
            if (b == 0)
                continue;
            memcpy(dst, (const unsigned char *)xs[i] + o * b, (size_t)b);
            dst += b;
        }
    }
}

KK_API void kk_split(const void *x, void *const *ys, int n, int64_t outer,
                     const int64_t *chunk_bytes)
{
    const unsigned char *src = (const unsigned char *)x;
    for (int64_t o = 0; o < outer; o++) {
        for (int i = 0; i < n; i++) {
            const int64_t b = chunk_bytes[i];
            if (b > 0 && ys[i] != NULL)
                memcpy((unsigned char *)ys[i] + o * b, src, (size_t)b);
            src += b;
        }
    }
}

/* Fills n elements with *value (zero bytes when value is NULL). */
KK_API void kk_shape_fill(unsigned char *dst, int64_t n, const void *value, size_t elsize)
{
    int zero = 1;
    if (value != NULL)
        for (size_t b = 0; b < elsize; b++)
            if (((const unsigned char *)value)[b] != 0)
                zero = 0;
    if (zero) {
        memset(dst, 0, (size_t)n * elsize);
        return;
    }
    for (int64_t j = 0; j < n; j++)
        memcpy(dst + (size_t)j * elsize, value, elsize);
}

KK_API void kk_fill(void *y, int64_t n, const void *value, size_t elsize)
{
    if (n > 0)
        kk_shape_fill((unsigned char *)y, n, value, elsize);
}

/* Per-dim geometry of kk_pad: the kept (uncropped) input range starts at
 * `lo` and has `m` elements; `left` positive pad elements precede it. */
struct KkShapePadDim {
    int64_t lo, m, left, out;
};

/* Input coordinate for output coordinate o along one dim, or -1 where the
 * constant value goes. */
KK_API int64_t kk_shape_pad_map(const KkShapePadDim *p, int mode, int64_t o)
{
    int64_t c = o - p->left;
    if (c >= 0 && c < p->m)
        return p->lo + c;
    if (p->m <= 0 || mode == KK_PAD_CONSTANT)
        return -1;
    if (mode == KK_PAD_EDGE) {
        c = c < 0 ? 0 : p->m - 1;
    } else if (mode == KK_PAD_WRAP) {
        c %= p->m;
        if (c < 0)
            c += p->m;
    } else if (mode == KK_PAD_REFLECT) {
        /* Reflection without repeating the edge is periodic with period
         * 2(m-1); numpy's repeated reflection for wide pads agrees. */
        const int64_t period = 2 * (p->m - 1);
        if (period == 0) {
            c = 0;
        } else {
            c %= period;
            if (c < 0)
                c += period;
            if (c >= p->m)
                c = period - c;
        }
    } else {
        return -1;
    }
    return p->lo + c;
}

KK_API void kk_pad(const void *x, void *y, int rank, const int64_t *in_dims,
                   const int64_t *pads, int mode, const void *value, size_t elsize)
{
    KkShapePadDim pd[KK_MAX_RANK];
    int64_t ist[KK_MAX_RANK], idx[KK_MAX_RANK];
    const int64_t es = (int64_t)elsize;
    const unsigned char *src = (const unsigned char *)x;
    unsigned char *dst = (unsigned char *)y;
    int64_t rows = 1;

    if (rank > KK_MAX_RANK)
        return;
    if (rank == 0) {
        memcpy(dst, src, elsize);
        return;
    }
    kk_shape_strides(rank, in_dims, ist);
    for (int k = 0; k < rank; k++) {
        const int64_t b = pads[k], e = pads[rank + k];
        pd[k].lo = b < 0 ? -b : 0;
        pd[k].m = in_dims[k] - pd[k].lo - (e < 0 ? -e : 0);
        pd[k].left = b > 0 ? b : 0;
        pd[k].out = in_dims[k] + b + e;
        if (pd[k].out <= 0)
            return;
        if (k < rank - 1)
            rows *= pd[k].out;
        idx[k] = 0;
    }
    const KkShapePadDim *last = &pd[rank - 1];
    const int64_t n = last->out;
    for (int64_t row = 0; row < rows; row++) {
        /* Where does this output row come from? */
        int64_t base = 0;
        int constant = 0;
        for (int k = 0; k < rank - 1; k++) {
            const int64_t c = kk_shape_pad_map(&pd[k], mode, idx[k]);
            if (c < 0)
                constant = 1;
            else
                base += c * ist[k];
        }
        if (constant || last->m <= 0) {
            kk_shape_fill(dst, n, value, elsize);
        } else {
            /* Left border, the kept middle as one copy, right border. */
            const int64_t mid = last->m < n - last->left ? last->m : n - last->left;
            for (int64_t j = 0; j < last->left && j < n; j++) {
                const int64_t c = kk_shape_pad_map(last, mode, j);
                if (c < 0)
                    kk_shape_fill(dst + j * es, 1, value, elsize);
                else
                    memcpy(dst + j * es, src + (base + c) * es, elsize);
            }
            if (mid > 0)
                memcpy(dst + last->left * es, src + (base + last->lo) * es, (size_t)(mid * es));
            for (int64_t j = last->left + (mid > 0 ? mid : 0); j < n; j++) {
                const int64_t c = kk_shape_pad_map(last, mode, j);
                if (c < 0)
                    kk_shape_fill(dst + j * es, 1, value, elsize);
                else
                    memcpy(dst + j * es, src + (base + c) * es, elsize);
            }
        }
        dst += n * es;
        for (int k = rank - 2; k >= 0; k--) {
            if (++idx[k] < pd[k].out)
                break;
            idx[k] = 0;
        }
    }
}

KK_API void kk_gather(const void *x, const void *indices, int index_dtype, void *y,
                      int64_t outer, int64_t axis_dim, int64_t nidx, size_t inner_bytes)
{
    const unsigned char *src = (const unsigned char *)x;
    unsigned char *dst = (unsigned char *)y;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t j = 0; j < nidx; j++) {
            int64_t i;
            if (index_dtype == KK_I32)
                i = ((const int32_t *)indices)[j];
            else
                i = ((const int64_t *)indices)[j];
            if (i < 0)
                i += axis_dim;
            if (i < 0 || i >= axis_dim)
                memset(dst, 0, inner_bytes);
            else
                memcpy(dst, src + (size_t)(o * axis_dim + i) * inner_bytes, inner_bytes);
            dst += inner_bytes;
        }
    }
}

/* One loop per element type; start + i * delta in that type. Integer
 * types compute in uint64_t, which wraps instead of overflowing (a hostile
 * start/delta must not be undefined behaviour; valid ranges never wrap). */
#define KK_RANGE_CASE(CODE, T, EXPR)                                              \
    case CODE: {                                                                  \
        T s, dl;                                                                  \
        memcpy(&s, start, sizeof s);                                              \
        memcpy(&dl, delta, sizeof dl);                                            \
        for (int64_t i = 0; i < n; i++)                                           \
            ((T *)y)[i] = (T)(EXPR);                                              \
        break;                                                                    \
    }
#define KK_RANGE_F(T) s + (T)i * dl
#define KK_RANGE_I ((uint64_t)s + (uint64_t)i * (uint64_t)dl)

KK_API void kk_range(void *y, int dtype, int64_t n, const void *start, const void *delta)
{
    switch (dtype) {
    KK_RANGE_CASE(KK_F32, float, KK_RANGE_F(float))
    KK_RANGE_CASE(KK_F64, double, KK_RANGE_F(double))
    KK_RANGE_CASE(KK_I16, int16_t, KK_RANGE_I)
    KK_RANGE_CASE(KK_I32, int32_t, KK_RANGE_I)
    KK_RANGE_CASE(KK_I64, int64_t, KK_RANGE_I)
    default:
        break;
    }
}
#undef KK_RANGE_CASE
#undef KK_RANGE_F
#undef KK_RANGE_I
