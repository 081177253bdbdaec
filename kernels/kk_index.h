/*
 * kk_index.h - reference kernels of the index family (kernels/ref/index.c):
 * ops driven by index tensors (GatherElements, GatherND, ScatterND,
 * ScatterElements, OneHot, NonZero) and the layout/value ops Tile, Trilu
 * and CumSum. Included by kk.h.
 *
 * Index tensors are runtime data: every index is wrapped (negative counts
 * from the end, as ONNX says) and then bounds-checked before it is used, so
 * no kernel reads or writes outside its buffers whatever the indices hold.
 * An index still out of range after wrapping is handled safely:
 *   - gathers (GatherElements, GatherND) write zeros for that element/slice;
 *   - scatters (ScatterND, ScatterElements) skip that update;
 *   - OneHot leaves the row at off_value (the ONNX rule).
 * The compiler rejects out-of-range indices that are compile-time constants.
 *
 * Kernels that only move data take the element size in bytes and work for
 * every fixed-size type; the ones that do arithmetic (CumSum, the scatter
 * reductions) take an element type code (KK_F32, KK_I64, ...) and support
 * f32, f64 and the 8/16/32/64-bit signed and unsigned integers; integer sums
 * and products wrap modulo 2^bits (computed in unsigned arithmetic).
 * Shapes are int64_t arrays of `rank` entries; all are compile-time
 * constants in generated code, and the compiler has checked them.
 */
#ifndef KK_INDEX_H
#define KK_INDEX_H
#include <stddef.h>
#include <stdint.h>

/* ScatterND / ScatterElements `reduction`. */
enum { KK_SCATTER_NONE = 0, KK_SCATTER_ADD = 1, KK_SCATTER_MUL = 2, KK_SCATTER_MAX = 3,
       KK_SCATTER_MIN = 4 };

/* Element i of an index tensor of type `dtype` (any integer or float type)
 * as int64; floats truncate toward zero. Values that have no int64 (NaN,
 * infinities, huge floats, uint64 above INT64_MAX) and unknown types give
 * INT64_MIN, which every bounds check rejects. */
KK_API int64_t kk_index_at(const void *p, int dtype, int64_t i);

/* ONNX Tile: y's dim k is in_dims[k] * repeats[k] (repeats >= 0). */
KK_API void kk_tile(const void *x, void *y, int rank, const int64_t *in_dims,
                    const int64_t *repeats, size_t elsize);

/* ONNX GatherElements: y has idx_dims (each <= x_dims except along axis) and
 * y[i] = x[i with coordinate `axis` replaced by indices[i]]. indices are of
 * type KK_I32 or KK_I64; out-of-range ones give a zero element. */
KK_API void kk_gather_elements(const void *x, const int64_t *x_dims, const void *indices,
                               int index_dtype, const int64_t *idx_dims, int rank, int axis,
                               void *y, size_t elsize);

/* ONNX GatherND seen as x[batch][x_dims[0]]..[x_dims[m-1]][slice],
 * indices[batch][n][m] and y[batch][n][slice]: y[b][j] is the slice of x
 * at b and the m coordinates indices[b][j][0..m). An index tuple with a
 * coordinate out of range gives a zero slice. */
KK_API void kk_gather_nd(const void *x, const void *indices, int index_dtype, void *y,
                         int64_t batch, int64_t n, int m, const int64_t *x_dims,
                         int64_t slice, size_t elsize);

/* ONNX ScatterND: y = x (x_numel elements; x may equal y), then for each of
 * the n index tuples indices[j][0..m) the slice of y there (slice elements)
 * is combined with updates[j] by `reduction`, in order j = 0, 1, ...
 * x_dims are the m leading dims of x. `dtype` is only read for reductions
 * other than KK_SCATTER_NONE. */
KK_API void kk_scatter_nd(const void *x, const void *indices, int index_dtype,
                          const void *updates, void *y, int64_t x_numel, int64_t n, int m,
                          const int64_t *x_dims, int64_t slice, int dtype, int reduction,
                          size_t elsize);

/* ONNX ScatterElements (and Scatter): y = x, then for every element i of
 * indices (idx_dims, each <= x_dims except along axis; updates has the same
 * shape) y[i with coordinate `axis` replaced by indices[i]] is combined
 * with updates[i] by `reduction`, in row-major order of i. */
KK_API void kk_scatter_elements(const void *x, const void *indices, int index_dtype,
                                const void *updates, void *y, int rank, const int64_t *x_dims,
                                const int64_t *idx_dims, int axis, int dtype, int reduction,
                                size_t elsize);

/* ONNX CumSum over x seen as [outer][n][inner], summing along n, computed
 * in the element type `dtype`. exclusive: each output leaves its own
 * element out; reverse: sums run from the end. x and y must differ. */
KK_API void kk_cumsum(const void *x, void *y, int dtype, int64_t outer, int64_t n,
                      int64_t inner, int exclusive, int reverse);

/* ONNX OneHot: indices[outer][inner] (any integer or float type), y
 * [outer][depth][inner] of values' element type; values = {off, on}. With
 * `negative`, indices in [-depth, -1] count from the end (opset 11);
 * anything else out of [0, depth) leaves the row at off. */
KK_API void kk_onehot(const void *indices, int index_dtype, const void *values, void *y,
                      int64_t outer, int64_t depth, int64_t inner, int negative, size_t elsize);

/* ONNX Trilu over batch matrices of rows x cols: keeps j >= i + k (upper)
 * or j <= i + k (lower) and zeroes the rest. k points at one int64 (read at
 * run time), NULL meaning 0; any value is safe. */
KK_API void kk_trilu(const void *x, void *y, int64_t batch, int64_t rows, int64_t cols,
                     const int64_t *k, int upper, size_t elsize);

/* ONNX NonZero: y is [rank][capacity] with capacity = numel(dims); column c
 * < *count holds the coordinates of the c-th nonzero element of x (row
 * major), the columns after it are zeros. Floats: NaN is nonzero, -0 is
 * zero. dtype is any integer, float or KK_BOOL type. */
KK_API void kk_nonzero(const void *x, int dtype, int rank, const int64_t *dims, int64_t *y,
                       int64_t *count);

#endif
