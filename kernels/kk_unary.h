/*
 * kk_unary.h - reference kernels of the elementwise unary family
 * (kernels/ref/unary.c). Included by kk.h.
 *
 * One array kernel per element type, kk_unary_<t>(op, x, y, n, alpha, beta),
 * where op is a KK_UN_* code. Float types implement every code but
 * BITWISE_NOT; integer types implement RELU, NEG, ABS, CLIP, SIGN and
 * BITWISE_NOT (wrapping like two's complement, so -INT_MIN == INT_MIN as in
 * numpy). Kernels return 0, or -1 for an op code the type does not implement
 * (the compiler never emits one).
 *
 * y may equal x (in place). Integer arithmetic never hits C undefined
 * behaviour; float->integer Cast saturates (NaN -> 0) where C would be
 * undefined, and truncates toward zero otherwise.
 */
#ifndef KK_UNARY_H
#define KK_UNARY_H
#include <stddef.h>
#include <stdint.h>

/* Unary op codes. alpha/beta meaning per op in brackets. */
enum {
    KK_UN_RELU = 1,
    KK_UN_LEAKY_RELU,     /* [alpha] x < 0 ? alpha*x : x */
    KK_UN_SIGMOID,
    KK_UN_TANH,
    KK_UN_HARD_SIGMOID,   /* [alpha, beta] clamp(alpha*x + beta, 0, 1) */
    KK_UN_HARD_SWISH,     /* [alpha, beta] x * clamp(alpha*x + beta, 0, 1); ONNX: 1/6, 1/2 */
    KK_UN_SOFTPLUS,
    KK_UN_ELU,            /* [alpha] x < 0 ? alpha*(exp(x)-1) : x */
    KK_UN_GELU,           /* exact: x/2 * (1 + erf(x/sqrt(2))) */
    KK_UN_GELU_TANH,      /* tanh approximation */
    KK_UN_ERF,
    KK_UN_EXP,
    KK_UN_LOG,
    KK_UN_SQRT,
    KK_UN_NEG,
    KK_UN_ABS,
    KK_UN_RECIPROCAL,
    KK_UN_CLIP,           /* [alpha = lo, beta = hi] min(max(x, lo), hi) */
    KK_UN_SILU,           /* x * sigmoid(x) */
    KK_UN_MISH,           /* x * tanh(softplus(x)) */
    KK_UN_FLOOR,
    KK_UN_CEIL,
    KK_UN_ROUND,          /* to nearest, halves to even */
    KK_UN_SIGN,           /* -1, 0 or 1 (floats: NaN stays NaN) */
    KK_UN_SIN,
    KK_UN_COS,
    KK_UN_TAN,
    KK_UN_ASIN,
    KK_UN_ACOS,
    KK_UN_ATAN,
    KK_UN_SINH,
    KK_UN_COSH,
    KK_UN_ASINH,
    KK_UN_ACOSH,
    KK_UN_ATANH,
    KK_UN_CELU,           /* [alpha] x > 0 ? x : alpha*(exp(x/alpha)-1) */
    KK_UN_SELU,           /* [alpha, beta = gamma] gamma * (x > 0 ? x : alpha*(exp(x)-1)) */
    KK_UN_SOFTSIGN,       /* x / (1 + |x|) */
    KK_UN_THRESHOLDED_RELU, /* [alpha] x > alpha ? x : 0 */
    KK_UN_SHRINK,         /* [alpha = lambd, beta = bias] x < -lambd ? x+bias : x > lambd ? x-bias : 0 */
    KK_UN_SWISH,          /* [alpha] x * sigmoid(alpha*x) */
    KK_UN_BITWISE_NOT,    /* integers only: ~x */
    KK_UN_COUNT_
};

/* Array kernels: y[i] = op(x[i]) for i < n. */
KK_API int kk_unary_f32(int op, const float *x, float *y, int64_t n, float alpha, float beta);
KK_API int kk_unary_f64(int op, const double *x, double *y, int64_t n, double alpha, double beta);
KK_API int kk_unary_i8(int op, const int8_t *x, int8_t *y, int64_t n, int8_t alpha, int8_t beta);
KK_API int kk_unary_i16(int op, const int16_t *x, int16_t *y, int64_t n, int16_t alpha, int16_t beta);
KK_API int kk_unary_i32(int op, const int32_t *x, int32_t *y, int64_t n, int32_t alpha, int32_t beta);
KK_API int kk_unary_i64(int op, const int64_t *x, int64_t *y, int64_t n, int64_t alpha, int64_t beta);
KK_API int kk_unary_u8(int op, const uint8_t *x, uint8_t *y, int64_t n, uint8_t alpha, uint8_t beta);
KK_API int kk_unary_u16(int op, const uint16_t *x, uint16_t *y, int64_t n, uint16_t alpha, uint16_t beta);
KK_API int kk_unary_u32(int op, const uint32_t *x, uint32_t *y, int64_t n, uint32_t alpha, uint32_t beta);
KK_API int kk_unary_u64(int op, const uint64_t *x, uint64_t *y, int64_t n, uint64_t alpha, uint64_t beta);

/* One element of a float op, for fused epilogues (conv/gemm + activation).
 * Returns x unchanged for an op code it does not know. */
KK_API float kk_act_f32(int op, float x, float alpha, float beta);
KK_API double kk_act_f64(int op, double x, double alpha, double beta);

/* The vector form of a float32 op (kernels/ref/unary.c: vector extensions
 * under a run-time CPU check; error a few ulp against libm): y[i] = op(x[i])
 * for i < n (y may equal x) and returns 1, or returns 0 without touching y
 * when op has no vector form (the caller runs the scalar formulas then).
 * kk_unary_f32 tries it first. */
KK_API int kk_act_vec_f32(int op, const float *x, float *y, int64_t n, float alpha, float beta);
/* float32 LayerNorm in vectors (kernels/ref/unary.c), the statistics
 * rounded to float: mid 0: outer rows of c floats, per-column scale / bias
 * (NULL: 1 / 0), the rows' means and 1/std into mean / invstd when not
 * NULL; mid 1: the middle axis of outer x c x inner, per-channel scale /
 * bias. Returns 0 without touching y when there is no vector code (the
 * caller's scalar loops run then). Each row or position is computed the
 * same way however the tensor is cut. */
KK_API int kk_ln_vec_f32(int mid, const float *x, float *y, const float *scale, const float *bias, int64_t outer,
                         int64_t c, int64_t inner, double eps, float *mean, float *invstd);
/* float32 LRN of one image with LRN's usual beta of 0.75, in vectors: c
 * channel planes pstride floats apart, the first `plane` of each computed,
 * y = x / (bias + scale * sum of x^2 over the channel window of `size`)^0.75
 * with the power as two square roots (kernels/ref/conv.c's kk_lrn_f32).
 * Returns 0 without touching y when there is no vector code. */
KK_API int kk_lrn34_vec_f32(const float *x, float *y, int64_t c, int64_t plane, int64_t pstride, int64_t size,
                            float scale, float bias);
/* Activation act (a KK_UN_* code, 0 = none) applied in place to n floats:
 * the vector form when there is one, else kk_act_f32 per element. For the
 * epilogues of fused kernels. */
KK_API void kk_act_row_f32(float *y, int64_t n, int act, float alpha, float beta);
/* kk_act_row_f32 on rows x n floats, rows ld floats apart (one dispatch:
 * a GEMM tile's epilogue). */
KK_API void kk_act_tile_f32(float *y, int64_t rows, int64_t n, int64_t ld, int act, float alpha, float beta);

/* Clip with bounds read at run time: lo/hi point at one element each, or are
 * NULL for "no bound". When lo > hi every element becomes hi (ONNX). */
KK_API void kk_clip_f32(const float *x, const float *lo, const float *hi, float *y, int64_t n);
KK_API void kk_clip_f64(const double *x, const double *lo, const double *hi, double *y, int64_t n);
KK_API void kk_clip_i8(const int8_t *x, const int8_t *lo, const int8_t *hi, int8_t *y, int64_t n);
KK_API void kk_clip_i16(const int16_t *x, const int16_t *lo, const int16_t *hi, int16_t *y, int64_t n);
KK_API void kk_clip_i32(const int32_t *x, const int32_t *lo, const int32_t *hi, int32_t *y, int64_t n);
KK_API void kk_clip_i64(const int64_t *x, const int64_t *lo, const int64_t *hi, int64_t *y, int64_t n);
KK_API void kk_clip_u8(const uint8_t *x, const uint8_t *lo, const uint8_t *hi, uint8_t *y, int64_t n);
KK_API void kk_clip_u16(const uint16_t *x, const uint16_t *lo, const uint16_t *hi, uint16_t *y, int64_t n);
KK_API void kk_clip_u32(const uint32_t *x, const uint32_t *lo, const uint32_t *hi, uint32_t *y, int64_t n);
KK_API void kk_clip_u64(const uint64_t *x, const uint64_t *lo, const uint64_t *hi, uint64_t *y, int64_t n);

/* Cast n elements between any two of KK_F32, KK_F64, KK_I8..KK_I64,
 * KK_U8..KK_U64, KK_BOOL (1 byte, 0/1). To bool is x != 0; float to integer
 * truncates toward zero, saturating out-of-range values and mapping NaN to 0.
 * Returns -1 for another type code. y must not overlap x unless from == to. */
KK_API int kk_cast(int from, int to, const void *x, void *y, int64_t n);

/* Identity: copy nbytes (x and y may be the same buffer). */
KK_API void kk_identity(const void *x, void *y, size_t nbytes);

/* Dropout at inference: y = x (nbytes), and mask (n bools, may be NULL) all 1. */
KK_API void kk_dropout(const void *x, void *y, uint8_t *mask, size_t nbytes, int64_t n);

#endif
