/*
 * unary.c - reference kernels of the elementwise unary family: activations,
 * math, rounding and trigonometric functions, Sign, BitwiseNot, Clip with
 * run-time bounds, Cast, Identity, Dropout.
 *
 * Each op's formula is written once, in an X-macro list, and instantiated per
 * element type by the KK_DEF_* macros below; the op switch sits outside the
 * element loop so every loop is a tight, vectorizable one. Pasted verbatim
 * into generated model code (KK_API = static), so it includes nothing beyond
 * kk.h and the standard headers, and keeps no state.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "kk.h"

/* Math function of the element type: KK_MF32(exp) is expf. */
#define KK_MF32(fn) fn##f
#define KK_MF64(fn) fn

/*
 * Float formulas. X(T, code, body): body reads v (the element), a and b
 * (alpha, beta, type T), may use temporaries, and sets r. M(fn) names the
 * math function for T. No commas outside parentheses (macro arguments).
 */
#define KK_UN_FLOAT_OPS(X, T, M) \
    X(T, KK_UN_RELU,         r = v < 0 ? (T)0 : v;) \
    X(T, KK_UN_LEAKY_RELU,   r = v < 0 ? a * v : v;) \
    X(T, KK_UN_SIGMOID,      T e = M(exp)(-M(fabs)(v)); r = v >= 0 ? 1 / (1 + e) : e / (1 + e);) \
    X(T, KK_UN_TANH,         r = M(tanh)(v);) \
    X(T, KK_UN_HARD_SIGMOID, T t = a * v + b; r = t < 0 ? (T)0 : (t > 1 ? (T)1 : t);) \
    X(T, KK_UN_HARD_SWISH,   T t = a * v + b; r = v * (t < 0 ? (T)0 : (t > 1 ? (T)1 : t));) \
    X(T, KK_UN_SOFTPLUS,     r = v > 0 ? v + M(log1p)(M(exp)(-v)) : M(log1p)(M(exp)(v));) \
    X(T, KK_UN_ELU,          r = v < 0 ? a * M(expm1)(v) : v;) \
    X(T, KK_UN_GELU,         r = (T)0.5 * v * (1 + M(erf)(v * (T)0.70710678118654752440));) \
    X(T, KK_UN_GELU_TANH,    T u = (T)0.79788456080286535588 * (v + (T)0.044715 * v * v * v); \
                             r = (T)0.5 * v * (1 + M(tanh)(u));) \
    X(T, KK_UN_ERF,          r = M(erf)(v);) \
    X(T, KK_UN_EXP,          r = M(exp)(v);) \
    X(T, KK_UN_LOG,          r = M(log)(v);) \
    X(T, KK_UN_SQRT,         r = M(sqrt)(v);) \
    X(T, KK_UN_NEG,          r = -v;) \
    X(T, KK_UN_ABS,          r = M(fabs)(v);) \
    X(T, KK_UN_RECIPROCAL,   r = 1 / v;) \
    X(T, KK_UN_CLIP,         T t = v < a ? a : v; r = t > b ? b : t;) \
    X(T, KK_UN_SILU,         T e = M(exp)(-M(fabs)(v)); r = v * (v >= 0 ? 1 / (1 + e) : e / (1 + e));) \
    X(T, KK_UN_MISH,         T sp = v > 0 ? v + M(log1p)(M(exp)(-v)) : M(log1p)(M(exp)(v)); \
                             r = v * M(tanh)(sp);) \
    X(T, KK_UN_FLOOR,        r = M(floor)(v);) \
    X(T, KK_UN_CEIL,         r = M(ceil)(v);) \
    X(T, KK_UN_ROUND,        r = M(nearbyint)(v);) \
    X(T, KK_UN_SIGN,         r = v > 0 ? (T)1 : (v < 0 ? (T)-1 : v);) \
    X(T, KK_UN_SIN,          r = M(sin)(v);) \
    X(T, KK_UN_COS,          r = M(cos)(v);) \
    X(T, KK_UN_TAN,          r = M(tan)(v);) \
    X(T, KK_UN_ASIN,         r = M(asin)(v);) \
    X(T, KK_UN_ACOS,         r = M(acos)(v);) \
    X(T, KK_UN_ATAN,         r = M(atan)(v);) \
    X(T, KK_UN_SINH,         r = M(sinh)(v);) \
    X(T, KK_UN_COSH,         r = M(cosh)(v);) \
    X(T, KK_UN_ASINH,        r = M(asinh)(v);) \
    X(T, KK_UN_ACOSH,        r = M(acosh)(v);) \
    X(T, KK_UN_ATANH,        r = M(atanh)(v);) \
    X(T, KK_UN_CELU,         r = v > 0 ? v : a * M(expm1)(v / a);) \
    X(T, KK_UN_SELU,         r = b * (v > 0 ? v : a * M(expm1)(v));) \
    X(T, KK_UN_SOFTSIGN,     r = v / (1 + M(fabs)(v));) \
    X(T, KK_UN_THRESHOLDED_RELU, r = v > a ? v : (T)0;) \
    X(T, KK_UN_SHRINK,       r = v < -a ? v + b : (v > a ? v - b : (T)0);) \
    X(T, KK_UN_SWISH,        T u = a * v; T e = M(exp)(-M(fabs)(u)); \
                             r = v * (u >= 0 ? 1 / (1 + e) : e / (1 + e));)

/* Integer formulas. W is the unsigned type the arithmetic wraps in (signed
 * overflow is undefined in C, unsigned wraps); S is 1 for signed types. */
#define KK_UN_INT_OPS(X, T, W, S) \
    X(T, KK_UN_RELU,  r = (S && v < (T)1) ? (T)0 : v;) \
    X(T, KK_UN_NEG,   r = (T)(0u - (W)v);) \
    X(T, KK_UN_ABS,   r = (S && v < (T)1) ? (T)(0u - (W)v) : v;) \
    X(T, KK_UN_CLIP,  T t = v < a ? a : v; r = t > b ? b : t;) \
    X(T, KK_UN_SIGN,  r = v > 0 ? (T)1 : (S && v < (T)1 && v != 0) ? (T)-1 : (T)0;) \
    X(T, KK_UN_BITWISE_NOT, r = (T)~v;)

/* One switch case: the element loop of one op. */
#define KK_UN_CASE(T, code, body) \
    case code: \
        for (int64_t i = 0; i < n; i++) { \
            T v = x[i]; \
            T r; \
            body \
            y[i] = r; \
        } \
        return 0;

/* One switch case of the scalar form. */
#define KK_ACT_CASE(T, code, body) \
    case code: { \
        T v = x; \
        T r; \
        body \
        return r; \
    }

#define KK_DEF_UNARY_FLOAT(SFX, T, M) \
    KK_API int kk_unary_##SFX(int op, const T *x, T *y, int64_t n, T alpha, T beta) { \
        const T a = alpha; \
        const T b = beta; \
        (void)a; \
        (void)b; \
        switch (op) { KK_UN_FLOAT_OPS(KK_UN_CASE, T, M) default: break; } \
        return -1; \
    } \
    KK_API T kk_act_##SFX(int op, T x, T alpha, T beta) { \
        const T a = alpha; \
        const T b = beta; \
        (void)a; \
        (void)b; \
        switch (op) { KK_UN_FLOAT_OPS(KK_ACT_CASE, T, M) default: break; } \
        return x; \
    }

#define KK_DEF_UNARY_INT(SFX, T, W, S) \
    KK_API int kk_unary_##SFX(int op, const T *x, T *y, int64_t n, T alpha, T beta) { \
        const T a = alpha; \
        const T b = beta; \
        switch (op) { KK_UN_INT_OPS(KK_UN_CASE, T, W, S) default: break; } \
        return -1; \
    }

KK_DEF_UNARY_FLOAT(f32, float, KK_MF32)
KK_DEF_UNARY_FLOAT(f64, double, KK_MF64)
KK_DEF_UNARY_INT(i8, int8_t, uint32_t, 1)
KK_DEF_UNARY_INT(i16, int16_t, uint32_t, 1)
KK_DEF_UNARY_INT(i32, int32_t, uint32_t, 1)
KK_DEF_UNARY_INT(i64, int64_t, uint64_t, 1)
KK_DEF_UNARY_INT(u8, uint8_t, uint32_t, 0)
KK_DEF_UNARY_INT(u16, uint16_t, uint32_t, 0)
KK_DEF_UNARY_INT(u32, uint32_t, uint32_t, 0)
KK_DEF_UNARY_INT(u64, uint64_t, uint64_t, 0)

/* ------------------------------------------------------------------ Clip */

/* Absent bounds become the type's extremes, so the loop has no branches on
 * NULL. Compare-then-select keeps NaN inputs NaN (as numpy.clip does). */
#define KK_DEF_CLIP(SFX, T, LO, HI) \
    KK_API void kk_clip_##SFX(const T *x, const T *lo, const T *hi, T *y, int64_t n) { \
        const T l = lo ? *lo : (LO); \
        const T h = hi ? *hi : (HI); \
        for (int64_t i = 0; i < n; i++) { \
            T t = x[i] < l ? l : x[i]; \
            y[i] = t > h ? h : t; \
        } \
    }

KK_DEF_CLIP(f32, float, -INFINITY, INFINITY)
KK_DEF_CLIP(f64, double, -(double)INFINITY, (double)INFINITY)
KK_DEF_CLIP(i8, int8_t, INT8_MIN, INT8_MAX)
KK_DEF_CLIP(i16, int16_t, INT16_MIN, INT16_MAX)
KK_DEF_CLIP(i32, int32_t, INT32_MIN, INT32_MAX)
KK_DEF_CLIP(i64, int64_t, INT64_MIN, INT64_MAX)
KK_DEF_CLIP(u8, uint8_t, 0, UINT8_MAX)
KK_DEF_CLIP(u16, uint16_t, 0, UINT16_MAX)
KK_DEF_CLIP(u32, uint32_t, 0, UINT32_MAX)
KK_DEF_CLIP(u64, uint64_t, 0, UINT64_MAX)

/* ------------------------------------------------------------------ Cast */

/*
 * Conversions by (source kind, destination kind); kinds: F float, I signed,
 * U unsigned, B bool. Float to integer saturates at the destination's limits
 * (NaN -> 0): C leaves those conversions undefined. Everything else is a C
 * conversion (integer narrowing wraps on gcc and clang).
 */
#define KK_CV_FF(ST, DT, v, lo, hi) (DT)(v)
#define KK_CV_FI(ST, DT, v, lo, hi) \
    ((v) != (v) ? (DT)0 : (v) <= (ST)(lo) ? (DT)(lo) : (v) >= (ST)(hi) ? (DT)(hi) : (DT)(v))
#define KK_CV_FU KK_CV_FI
#define KK_CV_FB(ST, DT, v, lo, hi) (DT)((v) != 0)
#define KK_CV_IF(ST, DT, v, lo, hi) (DT)(v)
#define KK_CV_II KK_CV_IF
#define KK_CV_IU KK_CV_IF
#define KK_CV_IB KK_CV_FB
#define KK_CV_UF KK_CV_IF
#define KK_CV_UI KK_CV_IF
#define KK_CV_UU KK_CV_IF
#define KK_CV_UB KK_CV_FB
#define KK_CV_BF KK_CV_IF
#define KK_CV_BI KK_CV_IF
#define KK_CV_BU KK_CV_IF
#define KK_CV_BB KK_CV_FB

/* Every type Cast handles: X(ctx, code, T, kind, lo, hi); ctx passes the
 * source type's fields through to the destination-level expansion. */
#define KK_CAST_TYPES(X, ST, SK) \
    X(ST, SK, KK_F32, float, F, 0, 0) \
    X(ST, SK, KK_F64, double, F, 0, 0) \
    X(ST, SK, KK_I8, int8_t, I, INT8_MIN, INT8_MAX) \
    X(ST, SK, KK_I16, int16_t, I, INT16_MIN, INT16_MAX) \
    X(ST, SK, KK_I32, int32_t, I, INT32_MIN, INT32_MAX) \
    X(ST, SK, KK_I64, int64_t, I, INT64_MIN, INT64_MAX) \
    X(ST, SK, KK_U8, uint8_t, U, 0, UINT8_MAX) \
    X(ST, SK, KK_U16, uint16_t, U, 0, UINT16_MAX) \
    X(ST, SK, KK_U32, uint32_t, U, 0, UINT32_MAX) \
    X(ST, SK, KK_U64, uint64_t, U, 0, UINT64_MAX) \
    X(ST, SK, KK_BOOL, uint8_t, B, 0, 1)

#define KK_CAST_CASE(ST, SK, DC, DT, DK, DLO, DHI) \
    case DC: { \
        DT *yt = (DT *)y; \
        for (int64_t i = 0; i < n; i++) yt[i] = KK_CV_##SK##DK(ST, DT, xt[i], DLO, DHI); \
        return 0; \
    }

/* kk_cast_from_<sfx>: the loops from one source type to every destination. */
#define KK_DEF_CAST_FROM(SFX, ST, SK) \
    KK_API int kk_cast_from_##SFX(int to, const void *x, void *y, int64_t n) { \
        const ST *xt = (const ST *)x; \
        switch (to) { KK_CAST_TYPES(KK_CAST_CASE, ST, SK) default: break; } \
        return -1; \
    }

KK_API int kk_cast_from_f32(int to, const void *x, void *y, int64_t n);
KK_API int kk_cast_from_f64(int to, const void *x, void *y, int64_t n);
KK_API int kk_cast_from_i8(int to, const void *x, void *y, int64_t n);
KK_API int kk_cast_from_i16(int to, const void *x, void *y, int64_t n);
KK_API int kk_cast_from_i32(int to, const void *x, void *y, int64_t n);
KK_API int kk_cast_from_i64(int to, const void *x, void *y, int64_t n);
KK_API int kk_cast_from_u8(int to, const void *x, void *y, int64_t n);
KK_API int kk_cast_from_u16(int to, const void *x, void *y, int64_t n);
KK_API int kk_cast_from_u32(int to, const void *x, void *y, int64_t n);
KK_API int kk_cast_from_u64(int to, const void *x, void *y, int64_t n);
KK_API int kk_cast_from_bool(int to, const void *x, void *y, int64_t n);

KK_DEF_CAST_FROM(f32, float, F)
KK_DEF_CAST_FROM(f64, double, F)
KK_DEF_CAST_FROM(i8, int8_t, I)
KK_DEF_CAST_FROM(i16, int16_t, I)
KK_DEF_CAST_FROM(i32, int32_t, I)
KK_DEF_CAST_FROM(i64, int64_t, I)
KK_DEF_CAST_FROM(u8, uint8_t, U)
KK_DEF_CAST_FROM(u16, uint16_t, U)
KK_DEF_CAST_FROM(u32, uint32_t, U)
KK_DEF_CAST_FROM(u64, uint64_t, U)
KK_DEF_CAST_FROM(bool, uint8_t, B)

KK_API int kk_cast(int from, int to, const void *x, void *y, int64_t n) {
    switch (from) {
    case KK_F32: return kk_cast_from_f32(to, x, y, n);
    case KK_F64: return kk_cast_from_f64(to, x, y, n);
    case KK_I8: return kk_cast_from_i8(to, x, y, n);
    case KK_I16: return kk_cast_from_i16(to, x, y, n);
    case KK_I32: return kk_cast_from_i32(to, x, y, n);
    case KK_I64: return kk_cast_from_i64(to, x, y, n);
    case KK_U8: return kk_cast_from_u8(to, x, y, n);
    case KK_U16: return kk_cast_from_u16(to, x, y, n);
    case KK_U32: return kk_cast_from_u32(to, x, y, n);
    case KK_U64: return kk_cast_from_u64(to, x, y, n);
    case KK_BOOL: return kk_cast_from_bool(to, x, y, n);
    default: return -1;
    }
}

/* ------------------------------------------------------ Identity, Dropout */

KK_API void kk_identity(const void *x, void *y, size_t nbytes) {
    if (x != y && nbytes > 0) memmove(y, x, nbytes);
}

KK_API void kk_dropout(const void *x, void *y, uint8_t *mask, size_t nbytes, int64_t n) {
    kk_identity(x, y, nbytes);
    if (mask && n > 0) memset(mask, 1, (size_t)n);
}
