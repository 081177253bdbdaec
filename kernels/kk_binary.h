/*
 * kk_binary.h - reference kernels of the broadcasting binary / variadic
 * family (kernels/ref/binary.c). Included by kk.h.
 *
 * Shapes: every kernel takes the output rank and dims, and each input's dims
 * right-aligned to that rank (leading 1s added by the caller); an input dim
 * of 1 against a larger output dim broadcasts (numpy rules). rank 0 means a
 * scalar (the dims pointers may then be NULL). y may equal a (in place) when
 * a has the output's shape.
 *
 * All binary kernels share one strided N-d iterator (kk_bcast): it drops
 * size-1 dims, merges dims that are contiguous in every operand, and walks
 * the rest row by row; each row is a 1-d loop in which each input is either
 * contiguous or a single repeated element. Equal shapes collapse to one row.
 *
 * Integer arithmetic wraps (two's complement) instead of overflowing;
 * integer division truncates toward zero like C, x/0 gives 0, and
 * INT_MIN/-1 gives INT_MIN. Float Min/Max propagate NaN (numpy semantics).
 */
#ifndef KK_BINARY_H
#define KK_BINARY_H
#include <stddef.h>
#include <stdint.h>

/* Binary op codes (the variadic kernels also take KK_BIN_MEAN). */
enum {
    KK_BIN_ADD = 1,
    KK_BIN_SUB,
    KK_BIN_MUL,
    KK_BIN_DIV,
    KK_BIN_MIN,
    KK_BIN_MAX,
    KK_BIN_PRELU,   /* a < 0 ? a*b : a (b = slope) */
    KK_BIN_MEAN,    /* variadic only: sum / count */
    KK_BIN_BITAND,  /* integer types only: a & b */
    KK_BIN_BITOR,   /* integer types only: a | b */
    KK_BIN_BITXOR,  /* integer types only: a ^ b */
    KK_BIN_COUNT_
};

/* Broadcast iterator over the output of y = f(a, b). After kk_bcast_init,
 * rows of `inner` output elements start at y + r*inner for r < rows; the
 * current row reads a from a + oa (stride ia, 0 or 1) and b from b + ob
 * (stride ib); kk_bcast_next advances oa/ob to the next row. */
typedef struct kk_bcast {
    int rank;                      /* merged outer dims (the inner dim not counted) */
    int64_t n[KK_MAX_RANK];        /* merged outer dims, innermost first */
    int64_t sa[KK_MAX_RANK];       /* a's element stride per outer dim (0 = broadcast) */
    int64_t sb[KK_MAX_RANK];       /* b's element stride per outer dim */
    int64_t idx[KK_MAX_RANK];      /* odometer over the outer dims, innermost first */
    int64_t rows, inner;           /* rows * inner = output element count */
    int64_t ia, ib;                /* inner strides (0 or 1) */
    int64_t oa, ob;                /* current row's element offsets into a and b */
} kk_bcast;

/* Returns -1 for rank outside 0..KK_MAX_RANK or an input dim that neither
 * equals the output dim nor is 1. */
KK_API int kk_bcast_init(kk_bcast *it, int rank, const int64_t *ydims, const int64_t *adims,
                         const int64_t *bdims);
KK_API void kk_bcast_next(kk_bcast *it);

/* y = op(a, b) elementwise with broadcasting; op is a KK_BIN_* code other
 * than MEAN (the BIT* codes for integer types only). Returns 0, or -1 for a
 * bad op or shape. */
KK_API int kk_binary_f32(int op, const float *a, const float *b, float *y, int rank,
                         const int64_t *ydims, const int64_t *adims, const int64_t *bdims);
KK_API int kk_binary_f64(int op, const double *a, const double *b, double *y, int rank,
                         const int64_t *ydims, const int64_t *adims, const int64_t *bdims);
KK_API int kk_binary_i8(int op, const int8_t *a, const int8_t *b, int8_t *y, int rank,
                        const int64_t *ydims, const int64_t *adims, const int64_t *bdims);
KK_API int kk_binary_i16(int op, const int16_t *a, const int16_t *b, int16_t *y, int rank,
                         const int64_t *ydims, const int64_t *adims, const int64_t *bdims);
KK_API int kk_binary_i32(int op, const int32_t *a, const int32_t *b, int32_t *y, int rank,
                         const int64_t *ydims, const int64_t *adims, const int64_t *bdims);
KK_API int kk_binary_i64(int op, const int64_t *a, const int64_t *b, int64_t *y, int rank,
                         const int64_t *ydims, const int64_t *adims, const int64_t *bdims);
KK_API int kk_binary_u8(int op, const uint8_t *a, const uint8_t *b, uint8_t *y, int rank,
                        const int64_t *ydims, const int64_t *adims, const int64_t *bdims);
KK_API int kk_binary_u16(int op, const uint16_t *a, const uint16_t *b, uint16_t *y, int rank,
                         const int64_t *ydims, const int64_t *adims, const int64_t *bdims);
KK_API int kk_binary_u32(int op, const uint32_t *a, const uint32_t *b, uint32_t *y, int rank,
                         const int64_t *ydims, const int64_t *adims, const int64_t *bdims);
KK_API int kk_binary_u64(int op, const uint64_t *a, const uint64_t *b, uint64_t *y, int rank,
                         const int64_t *ydims, const int64_t *adims, const int64_t *bdims);

/* Variadic Sum (KK_BIN_ADD), Min, Max, Mean over n >= 1 inputs, all
 * broadcast to ydims: in[k] has dims indims[k*rank .. k*rank+rank-1].
 * y must not overlap any input other than in[0]. */
KK_API int kk_variadic_f32(int op, int n, const void *const *in, float *y, int rank,
                           const int64_t *ydims, const int64_t *indims);
KK_API int kk_variadic_f64(int op, int n, const void *const *in, double *y, int rank,
                           const int64_t *ydims, const int64_t *indims);
KK_API int kk_variadic_i8(int op, int n, const void *const *in, int8_t *y, int rank,
                          const int64_t *ydims, const int64_t *indims);
KK_API int kk_variadic_i16(int op, int n, const void *const *in, int16_t *y, int rank,
                           const int64_t *ydims, const int64_t *indims);
KK_API int kk_variadic_i32(int op, int n, const void *const *in, int32_t *y, int rank,
                           const int64_t *ydims, const int64_t *indims);
KK_API int kk_variadic_i64(int op, int n, const void *const *in, int64_t *y, int rank,
                           const int64_t *ydims, const int64_t *indims);
KK_API int kk_variadic_u8(int op, int n, const void *const *in, uint8_t *y, int rank,
                          const int64_t *ydims, const int64_t *indims);
KK_API int kk_variadic_u16(int op, int n, const void *const *in, uint16_t *y, int rank,
                           const int64_t *ydims, const int64_t *indims);
KK_API int kk_variadic_u32(int op, int n, const void *const *in, uint32_t *y, int rank,
                           const int64_t *ydims, const int64_t *indims);
KK_API int kk_variadic_u64(int op, int n, const void *const *in, uint64_t *y, int rank,
                           const int64_t *ydims, const int64_t *indims);

/* Pow: y = x^e with broadcasting; the output has x's type, e is any of
 * KK_F32, KK_F64, KK_I8..KK_I64, KK_U8..KK_U64 (etype). Float bases compute
 * in double. Integer bases: integer exponents use exact wrapping integer
 * power (a negative exponent gives the truncated 1/x^-e: 1, -1 or 0, and 0
 * for x == 0); float exponents round pow() toward zero, saturating. */
KK_API int kk_pow_f32(int etype, const float *x, const void *e, float *y, int rank,
                      const int64_t *ydims, const int64_t *xdims, const int64_t *edims);
KK_API int kk_pow_f64(int etype, const double *x, const void *e, double *y, int rank,
                      const int64_t *ydims, const int64_t *xdims, const int64_t *edims);
KK_API int kk_pow_i32(int etype, const int32_t *x, const void *e, int32_t *y, int rank,
                      const int64_t *ydims, const int64_t *xdims, const int64_t *edims);
KK_API int kk_pow_i64(int etype, const int64_t *x, const void *e, int64_t *y, int rank,
                      const int64_t *ydims, const int64_t *xdims, const int64_t *edims);

/* The broadcast loop every broadcasting kernel shares (binary, logic):
 * with a KkBcast `it` initialized, Y = EXPR(p, q) over the whole output, row
 * by row, where p and q are the operands' elements (stride-0 rows hoisted). */
/*
 * One output row: m elements, a element p and b element q, output type TY.
 * Four variants by which inputs are contiguous (stride 1) or repeated
 * (stride 0); a row where both repeat computes once and fills.
 */
#define KK_BIN_ROW(TA, TB, TY, EXPR) \
    if (it.ia && it.ib) { \
        for (int64_t j = 0; j < m; j++) { \
            const TA p = pa[j]; \
            const TB q = pb[j]; \
            py[j] = (TY)(EXPR); \
        } \
    } else if (it.ib) { \
        const TA p = pa[0]; \
        for (int64_t j = 0; j < m; j++) { \
            const TB q = pb[j]; \
            py[j] = (TY)(EXPR); \
        } \
    } else if (it.ia) { \
        const TB q = pb[0]; \
        for (int64_t j = 0; j < m; j++) { \
            const TA p = pa[j]; \
            py[j] = (TY)(EXPR); \
        } \
    } else { \
        const TA p = pa[0]; \
        const TB q = pb[0]; \
        const TY v = (TY)(EXPR); \
        for (int64_t j = 0; j < m; j++) py[j] = v; \
    }

/* The whole output, row by row, with `it` initialized. */
#define KK_BCAST_LOOP(TA, TB, TY, A, B, Y, EXPR) \
    for (int64_t r = 0; r < it.rows; r++, kk_bcast_next(&it)) { \
        const TA *pa = (const TA *)(A) + it.oa; \
        const TB *pb = (const TB *)(B) + it.ob; \
        TY *py = (TY *)(Y) + r * it.inner; \
        const int64_t m = it.inner; \
        KK_BIN_ROW(TA, TB, TY, EXPR) \
    }


#endif
