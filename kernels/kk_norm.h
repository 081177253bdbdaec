/*
 * kk_norm.h - reference kernels of the norm family (kernels/ref/norm.c):
 * the normalizations that compute their own statistics (LayerNormalization,
 * GroupNormalization, InstanceNormalization), LpNormalization, and Einsum.
 * Included by kk.h.
 *
 * Every kernel is dtype-generic (`dtype` is an ONNX TensorProto code) and
 * returns 0, or -1 for a dtype or argument it does not implement; the
 * compiler rejects those before emitting a call, so generated code may ignore
 * the result.
 */
#ifndef KK_NORM_H
#define KK_NORM_H
#include <stddef.h>
#include <stdint.h>

/* Normalize x over contiguous blocks and apply a broadcast affine map.
 *
 * x and y have `rank` (1..KK_MAX_RANK) dims `dims`, row major. The dims
 * before `axis` index rows, the dims from `axis` on (at least one) index the
 * elements of a row, which are contiguous. For every row:
 *     mean   = sum(x_row) / cols
 *     var    = sum((x_row - mean)^2) / cols          (two passes, in double)
 *     invstd = 1 / sqrt(var + epsilon)
 * with mean and invstd rounded to stat_dtype before they are used (the
 * spec's stash_type: the statistics are tensors of that type), and
 *     y      = (x - mean) * invstd * scale[s] + bias[b]
 * where s and b are the dot products of the element's index with sstr and
 * bstr (element strides per dim, 0 along broadcast dims). scale == NULL
 * means 1 and bias == NULL means 0. LayerNormalization is this over X's own
 * dims; InstanceNormalization views X as [N, C, S] with axis 2 and strides
 * {0, 1, 0}; GroupNormalization as [N, G, C/G, S] with axis 2.
 *
 * mean and invstd (either may be NULL) receive one value per row, of type
 * stat_dtype (KK_F32 or KK_F64). A row of 0 elements has a NaN mean.
 * dtypes: f32 f64. */
KK_API int kk_normalize(int dtype, int stat_dtype, const void *x, void *y,
                        const void *scale, const void *bias, void *mean, void *invstd,
                        int rank, int axis, const int64_t *dims,
                        const int64_t *sstr, const int64_t *bstr, float epsilon);

/* Normalize x viewed as [outer, c, inner] over its middle axis alone:
 * for every (outer, inner) position the c elements x[o, :, i] get
 *     mean = sum / c, invstd = 1 / sqrt(sum((x - mean)^2) / c + epsilon)
 * (accumulated in double, both rounded to the element type), and
 *     y = (x - mean) * invstd * scale[ch] + bias[ch]
 * (scale NULL = 1, bias NULL = 0): the channels-first LayerNorm that
 * exporters write as ReduceMean / Sub / Pow / Sqrt / Div (ConvNeXt).
 * Works in place. dtypes: f32 f64. */
KK_API int kk_normalize_mid(int dtype, const void *x, void *y, const void *scale, const void *bias,
                            int64_t outer, int64_t c, int64_t inner, float epsilon);

/* LpNormalization along the middle axis of x viewed as [outer, n, inner]:
 * y = x / (sum |x|) for p = 1, y = x / sqrt(sum x^2) for p = 2, and y = 0
 * where that norm is 0. The norm is accumulated in double. Works in place.
 * dtypes: f32 f64; p: 1 or 2. */
KK_API int kk_lpnorm(int dtype, int p, const void *x, void *y,
                     int64_t outer, int64_t n, int64_t inner);

/* Limits of kk_einsum's index space. */
#define KK_EIN_MAX_IN 16     /* operands */
#define KK_EIN_MAX_AXES 16   /* loop axes: output axes plus contracted axes */

/* Einsum as one loop over its index space. The first `nout` loop axes are
 * the output's axes (y is contiguous in that order), the next `nsum` are
 * contracted. dims[a] is loop axis a's extent; str[k * (nout + nsum) + a] is
 * how far operand k moves (in elements) when loop index a grows by one: the
 * sum of its strides over every dim labelled a (a repeated label walks a
 * diagonal), 0 when operand k does not use a or broadcasts it. Then
 *     y[o] = sum over the contracted indices of prod_k x[k][offset_k]
 * with float types accumulated in double and integer types wrapping modulo
 * 2^64 before narrowing. An empty contraction gives 0; nin >= 1.
 * dims/str may be NULL when nout + nsum == 0 (every operand a scalar).
 * dtypes: f32 f64 i8 u8 i16 u16 i32 u32 i64 u64. */
KK_API int kk_einsum(int dtype, int nin, const void *const *x, void *y,
                     int nout, int nsum, const int64_t *dims, const int64_t *str);

#endif
