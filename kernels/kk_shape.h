/*
 * kk_shape.h - reference kernels of the shape family (kernels/ref/shape.c):
 * data movement (copy, transpose, slice, expand, concat, split, pad, gather)
 * and the few value generators (fill, range). Included by kk.h.
 *
 * Data movement kernels are dtype-agnostic: they move elements of `elsize`
 * bytes and never look at the values, so every fixed-size ONNX type works.
 * Shapes are passed as int64_t arrays of `rank` entries (NULL when rank is
 * 0); all shape arguments are compile-time constants in generated code.
 * Tensors of zero elements are allowed everywhere (the kernel does nothing).
 */
#ifndef KK_SHAPE_H
#define KK_SHAPE_H
#include <stddef.h>
#include <stdint.h>

/* Pad modes (ONNX Pad `mode`). */
enum { KK_PAD_CONSTANT = 0, KK_PAD_REFLECT = 1, KK_PAD_EDGE = 2, KK_PAD_WRAP = 3 };

/* y = x, `bytes` bytes; x and y may be the same buffer (Reshape as a view). */
KK_API void kk_copy(const void *x, void *y, size_t bytes);

/* The general gather-by-strides every layout kernel reduces to:
 * y is written densely in row-major order over out_dims, and the element at
 * output index (i0..i{rank-1}) is read from x at element offset
 * in_offset + sum(ik * in_strides[k]). Strides may be 0 (broadcast) or
 * negative (reversed slice). */
KK_API void kk_strided_copy(const void *x, void *y, int rank, const int64_t *out_dims,
                            const int64_t *in_strides, int64_t in_offset, size_t elsize);

/* ONNX Transpose: y's dim k is x's dim perm[k]. */
KK_API void kk_transpose(const void *x, void *y, int rank, const int64_t *in_dims,
                         const int64_t *perm, size_t elsize);

/* ONNX Slice with resolved arguments: one start and step per dim (starts
 * already clamped, out_dims already computed by the compiler). */
KK_API void kk_slice(const void *x, void *y, int rank, const int64_t *in_dims,
                     const int64_t *out_dims, const int64_t *starts, const int64_t *steps,
                     size_t elsize);

/* Broadcast x to out_dims; in_dims has `rank` entries (left-padded with 1s
 * by the caller), each equal to the output dim or 1. */
KK_API void kk_expand(const void *x, void *y, int rank, const int64_t *in_dims,
                      const int64_t *out_dims, size_t elsize);

/* ONNX Concat seen as `outer` rows: row o of the output is row o of x[0],
 * then row o of x[1], ...; row i of input i has chunk_bytes[i] bytes. */
KK_API void kk_concat(const void *const *xs, int n, void *y, int64_t outer,
                      const int64_t *chunk_bytes);

/* The inverse of kk_concat (ONNX Split); a NULL ys[i] is skipped. */
KK_API void kk_split(const void *x, void *const *ys, int n, int64_t outer,
                     const int64_t *chunk_bytes);

/* ONNX Pad. pads has 2*rank entries: all begins, then all ends; negative
 * pads crop. Cropping is applied first, then the remaining (positive) pads
 * are filled by `mode` from the cropped input. value points at one element
 * of x's type (constant mode), NULL meaning zero. */
KK_API void kk_pad(const void *x, void *y, int rank, const int64_t *in_dims,
                   const int64_t *pads, int mode, const void *value, size_t elsize);

/* ONNX Gather seen as x[outer][axis_dim][inner] and indices[nidx] (of type
 * KK_I32 or KK_I64): y[o][j][:] = x[o][indices[j]][:]. Negative indices
 * count from the end. Indices still out of range after that produce a zero
 * row (the compiler reports them when they are known; at run time the
 * kernel never reads outside x). */
KK_API void kk_gather(const void *x, const void *indices, int index_dtype, void *y,
                      int64_t outer, int64_t axis_dim, int64_t nidx, size_t inner_bytes);

/* y[0..n) = *value (one element of elsize bytes); NULL value means zero. */
KK_API void kk_fill(void *y, int64_t n, const void *value, size_t elsize);

/* ONNX Range: y[i] = start + i * delta for i in [0, n), computed in the
 * element type `dtype` (KK_F32, KK_F64, KK_I16, KK_I32 or KK_I64; other
 * types leave y untouched). start and delta point at one element each. */
KK_API void kk_range(void *y, int dtype, int64_t n, const void *start, const void *delta);

#endif
