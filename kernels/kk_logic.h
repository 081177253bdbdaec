/*
 * kk_logic.h - reference kernels of the logic family (kernels/ref/logic.c):
 * comparisons, boolean And/Or/Xor/Not, Where, IsNaN/IsInf, Mod, BitShift and
 * Hardmax. Included by kk.h.
 *
 * Broadcasting kernels follow kk_binary.h's conventions and reuse its
 * iterator (kk_bcast): they take the output rank and dims, and each input's
 * dims right-aligned to that rank (leading 1s added by the caller); rank 0
 * is a scalar. Generated code that calls them also pastes binary.c.
 *
 * Element types are ONNX type codes (KK_F32, ...). Bool tensors are one byte
 * per element holding 0 or 1; kernels that produce bool write 0 or 1.
 * Every kernel returns 0, or -1 for a type, op code or shape it does not
 * handle (nothing is written then).
 */
#ifndef KK_LOGIC_H
#define KK_LOGIC_H
#include <stddef.h>
#include <stdint.h>

/* kk_compare op codes. */
enum {
    KK_CMP_EQ = 1,  /* a == b: any numeric type or KK_BOOL */
    KK_CMP_GT,      /* a > b: numeric types */
    KK_CMP_GE,      /* a >= b */
    KK_CMP_LT,      /* a < b */
    KK_CMP_LE,      /* a <= b */
    KK_CMP_AND,     /* a && b: KK_BOOL only */
    KK_CMP_OR,      /* a || b: KK_BOOL only */
    KK_CMP_XOR,     /* a != b as truth values: KK_BOOL only */
    KK_CMP_COUNT_
};

/* y (bool) = a OP b with broadcasting; a and b have element type `type`
 * (KK_F32, KK_F64, KK_I8..KK_I64, KK_U8..KK_U64, KK_BOOL). Float compares
 * follow IEEE: anything compared with NaN is false (NaN == NaN too).
 * y may equal a when both are bool and a has the output's shape. */
KK_API int kk_compare(int op, int type, const void *a, const void *b, uint8_t *y, int rank,
                      const int64_t *ydims, const int64_t *adims, const int64_t *bdims);

/* out = cond ? x : y elementwise, broadcasting all three to odims. x, y and
 * out have elements of esize bytes (1, 2, 4 or 8: any type). out must not
 * overlap cond, x or y. */
KK_API int kk_where(size_t esize, const uint8_t *cond, const void *x, const void *y, void *out, int rank,
                    const int64_t *odims, const int64_t *cdims, const int64_t *xdims, const int64_t *ydims);

/* y = !x over n bools (y may equal x). */
KK_API int kk_not(const uint8_t *x, uint8_t *y, int64_t n);

/* y (bool) = isnan(x) over n elements of KK_F32 or KK_F64. */
KK_API int kk_isnan(int type, const void *x, uint8_t *y, int64_t n);

/* y (bool) = x is -inf and detect_negative, or +inf and detect_positive;
 * x is KK_F32 or KK_F64. */
KK_API int kk_isinf(int type, int detect_negative, int detect_positive, const void *x, uint8_t *y, int64_t n);

/* y = a mod b with broadcasting, all of element type `type` (numeric).
 * truncated = 0 (ONNX fmod=0): floored, the result takes b's sign (Python's
 * %); for floats a zero result is +-0 with b's sign. truncated = 1 (ONNX
 * fmod=1): the result takes a's sign (C's fmod and %). Floats: b == 0, an
 * infinite a or a NaN operand give NaN; an infinite b gives a, except that
 * floored mod gives b when a != 0 and the signs differ. Integers: b == 0
 * gives 0, and so does INT_MIN mod -1. y may equal a. */
KK_API int kk_mod(int type, int truncated, const void *a, const void *b, void *y, int rank,
                  const int64_t *ydims, const int64_t *adims, const int64_t *bdims);

/* y = x shifted left (left != 0) or right by s bits, with broadcasting; x,
 * s and y are of integer type `type`. Right shifts of signed types are
 * arithmetic. A shift s < 0 or s >= the type's width gives what the fill
 * alone gives: -1 for a right shift of a negative x, else 0. Left shifts
 * discard the bits moved past the top (two's complement wrap). y may equal x. */
KK_API int kk_bitshift(int type, int left, const void *x, const void *s, void *y, int rank,
                       const int64_t *ydims, const int64_t *xdims, const int64_t *sdims);

/* Hardmax over the middle axis of x viewed as [outer, mid, inner] (KK_F32 or
 * KK_F64): y is 1 at the first maximum along mid and 0 elsewhere. A NaN counts
 * as the maximum (the first NaN wins, as numpy's argmax). y must not overlap x. */
KK_API int kk_hardmax(int type, const void *x, void *y, int64_t outer, int64_t mid, int64_t inner);

#endif
