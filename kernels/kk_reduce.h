/*
 * kk_reduce.h - reference kernels of the reduce family (kernels/ref/reduce.c):
 * axis reductions (ReduceSum/Mean/Max/... ), arg-reductions (ArgMax/ArgMin)
 * and the normalizing reductions Softmax / LogSoftmax. Included by kk.h.
 *
 * All three kernels are dtype-generic: `dtype` is an ONNX TensorProto code
 * (KK_F32, KK_I64, ...). Each returns 0, or -1 when the dtype / operation pair
 * is not implemented (the compiler rejects those before emitting a call, so
 * generated code may ignore the result).
 */
#ifndef KK_REDUCE_H
#define KK_REDUCE_H
#include <stddef.h>
#include <stdint.h>

/* Reductions kk_reduce computes. Each is "map, combine, finish" over the set
 * of reduced elements; the value for an empty set follows ONNX:
 * Sum/SumSquare/L1/L2 -> 0, Prod -> 1, Max -> -inf (lowest value for integer
 * types, false for bool), Min -> +inf (highest value, true for bool),
 * LogSum/LogSumExp -> -inf, Mean -> NaN (0 for integer types). */
enum {
    KK_RED_SUM = 0,
    KK_RED_MEAN,        /* integer types: sum / count, truncated toward zero */
    KK_RED_MAX,         /* NaN propagates */
    KK_RED_MIN,         /* NaN propagates */
    KK_RED_PROD,
    KK_RED_L1,          /* sum |x| */
    KK_RED_L2,          /* sqrt(sum x^2) */
    KK_RED_SUMSQ,       /* sum x^2 */
    KK_RED_LOGSUM,      /* log(sum x) */
    KK_RED_LOGSUMEXP,   /* max + log(sum exp(x - max)), stable for large x */
    KK_RED_COUNT_
};

/* y = reduce(op) of x over the axes whose bit is set in `mask` (bit k: axis
 * k). x has `rank` dims `dims` (row major); y holds the kept axes in order
 * (its keepdims or squeezed shape has the same layout). rank 0 is a scalar.
 * A mask of 0 reduces each element on its own (noop_with_empty_axes).
 * Float types accumulate in double; integer sums wrap modulo 2^64 before the
 * final narrowing; results of L2/LogSum/LogSumExp on integer types are
 * truncated toward zero and saturated to the type's range.
 * dtypes: f32 f64 i8 u8 i16 u16 i32 u32 i64 u64, and bool for Max/Min. */
KK_API int kk_reduce(int op, int dtype, const void *x, void *y,
                     int rank, const int64_t *dims, unsigned mask);

/* Index of the largest (is_min = 0) or smallest (is_min = 1) element along
 * the middle axis of x viewed as [outer, n, inner]; y is [outer, inner]
 * int64. Ties give the first index, or the last when select_last != 0. A NaN
 * counts as the extreme value (numpy). n == 0 writes 0.
 * dtypes: f32 f64 i8 u8 i16 u16 i32 u32 i64 u64. */
KK_API int kk_argreduce(int dtype, int is_min, int select_last, const void *x, int64_t *y,
                        int64_t outer, int64_t n, int64_t inner);

/* Softmax (log_out = 0) or LogSoftmax (log_out = 1) along the middle axis of
 * x viewed as [outer, n, inner]; y has x's shape. The row maximum is
 * subtracted first, so large logits stay finite. Works in place (y == x).
 * float32 Softmax over contiguous rows (inner == 1) takes its exponentials
 * from kk_act_vec_f32 (kk_unary.h; generated code using kk_softmax must
 * paste the unary family too). dtypes: f32 f64. */
KK_API int kk_softmax(int dtype, int log_out, const void *x, void *y,
                      int64_t outer, int64_t n, int64_t inner);

#endif
