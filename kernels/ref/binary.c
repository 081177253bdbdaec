/*
 * binary.c - reference kernels of the broadcasting binary family: Add, Sub,
 * Mul, Div, Min, Max, PRelu, BitwiseAnd/Or/Xor (integers), Pow (mixed
 * base/exponent types) and the variadic Sum, Min, Max, Mean.
 *
 * Everything walks the output with the one broadcast iterator, kk_bcast
 * (see kk_binary.h). Each op's formula is written once, in an X-macro list
 * per type class (float, signed, unsigned), and instantiated per element type
 * by the KK_DEF_* macros; the op switch sits outside the loops, and each row
 * is specialised on which inputs are contiguous so the common cases (equal
 * shapes, a scalar or a per-channel operand) run as plain 1-d loops.
 * Pasted verbatim into generated model code (KK_API = static).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"

/* ------------------------------------------------------------- iterator */

KK_API int kk_bcast_init(kk_bcast *it, int rank, const int64_t *ydims, const int64_t *adims,
                         const int64_t *bdims) {
    /* Merged dims, innermost first: n (size), sa/sb (element strides). */
    int64_t n[KK_MAX_RANK], sa[KK_MAX_RANK], sb[KK_MAX_RANK];
    int64_t ta = 1, tb = 1, total = 1;
    int m = 0;

    if (rank < 0 || rank > KK_MAX_RANK) return -1;
    for (int d = rank - 1; d >= 0; d--) {
        const int64_t yd = ydims[d], ad = adims[d], bd = bdims[d];
        if (yd < 0 || (ad != yd && ad != 1) || (bd != yd && bd != 1)) return -1;
        total *= yd;
        if (yd == 1) continue;   /* contributes nothing to any offset */
        const int64_t xa = ad == 1 ? 0 : ta, xb = bd == 1 ? 0 : tb;
        ta *= ad;
        tb *= bd;
        /* Fold into the inner neighbour when one stride step of this dim
         * equals walking the whole neighbour, in both inputs. */
        if (m > 0 && xa == sa[m - 1] * n[m - 1] && xb == sb[m - 1] * n[m - 1]) {
            n[m - 1] *= yd;
        } else {
            n[m] = yd;
            sa[m] = xa;
            sb[m] = xb;
            m++;
        }
    }
    memset(it, 0, sizeof *it);
    if (total == 0) return 0;        /* rows = inner = 0: nothing to do */
    it->inner = m > 0 ? n[0] : 1;
    it->ia = m > 0 ? sa[0] : 0;      /* 1 if contiguous, 0 if broadcast */
    it->ib = m > 0 ? sb[0] : 0;
    it->rows = 1;
    it->rank = m > 0 ? m - 1 : 0;
    for (int k = 0; k < it->rank; k++) {
        it->n[k] = n[k + 1];
        it->sa[k] = sa[k + 1];
        it->sb[k] = sb[k + 1];
        it->rows *= n[k + 1];
    }
    return 0;
}

KK_API void kk_bcast_next(kk_bcast *it) {
    for (int k = 0; k < it->rank; k++) {
        it->oa += it->sa[k];
        it->ob += it->sb[k];
        if (++it->idx[k] < it->n[k]) return;
        it->oa -= it->sa[k] * it->n[k];
        it->ob -= it->sb[k] * it->n[k];
        it->idx[k] = 0;
    }
}

/* ------------------------------------------------------- binary formulas */

/* X(T, W, code, expr of p and q). W: the unsigned type integer arithmetic
 * wraps in (signed overflow is undefined in C). */
#define KK_BIN_OPS_F(X, T, W) \
    X(T, W, KK_BIN_ADD, p + q) \
    X(T, W, KK_BIN_SUB, p - q) \
    X(T, W, KK_BIN_MUL, p * q) \
    X(T, W, KK_BIN_DIV, p / q) \
    X(T, W, KK_BIN_MIN, (p < q || isnan(p)) ? p : q) \
    X(T, W, KK_BIN_MAX, (p > q || isnan(p)) ? p : q) \
    X(T, W, KK_BIN_PRELU, p < 0 ? p * q : p)

#define KK_BIN_OPS_S(X, T, W) \
    X(T, W, KK_BIN_ADD, (W)p + (W)q) \
    X(T, W, KK_BIN_SUB, (W)p - (W)q) \
    X(T, W, KK_BIN_MUL, (W)p * (W)q) \
    X(T, W, KK_BIN_DIV, q == 0 ? (T)0 : q == -1 ? (T)(0u - (W)p) : (T)(p / q)) \
    X(T, W, KK_BIN_MIN, p < q ? p : q) \
    X(T, W, KK_BIN_MAX, p > q ? p : q) \
    X(T, W, KK_BIN_PRELU, p < 0 ? (T)((W)p * (W)q) : p) \
    KK_BIN_OPS_BITS(X, T, W)

#define KK_BIN_OPS_U(X, T, W) \
    X(T, W, KK_BIN_ADD, (W)p + (W)q) \
    X(T, W, KK_BIN_SUB, (W)p - (W)q) \
    X(T, W, KK_BIN_MUL, (W)p * (W)q) \
    X(T, W, KK_BIN_DIV, q == 0 ? (T)0 : (T)(p / q)) \
    X(T, W, KK_BIN_MIN, p < q ? p : q) \
    X(T, W, KK_BIN_MAX, p > q ? p : q) \
    X(T, W, KK_BIN_PRELU, ((void)q, p)) \
    KK_BIN_OPS_BITS(X, T, W)

/* Bitwise ops, shared by the signed and unsigned lists (on the bits of W). */
#define KK_BIN_OPS_BITS(X, T, W) \
    X(T, W, KK_BIN_BITAND, (W)p & (W)q) \
    X(T, W, KK_BIN_BITOR, (W)p | (W)q) \
    X(T, W, KK_BIN_BITXOR, (W)p ^ (W)q)

/* Float Add / Sub / Mul / Div over whole rows on vectors: GCC/clang
 * vector extensions under a target attribute (AVX-512, else AVX2), picked
 * by a run-time CPU check. Lane by lane the scalar formulas, so the same
 * bits; the scalar loops below were left to the compiler, which at -O2
 * does not vectorize a loop that needs an alias check or a tail (in place
 * Add / Mul, the excitation scale of squeeze-and-excitation blocks).
 * ia / ib: the row's a / b contiguous (1) or one repeated element (0). */
#if defined(__GNUC__) && defined(__x86_64__)
#define KK_BVEC 1
#define KK_BVROW(P, W, ATTR) \
    typedef float P##v __attribute__((vector_size(4 * (W)))); \
    static inline __attribute__((always_inline)) ATTR void P##op(const int op, const float *a, int64_t ia, \
                                                              const float *b, int64_t ib, float *y, int64_t m) { \
        P##v p = {0}, q = {0}, r; \
        p += a[0]; \
        q += b[0]; \
        int64_t j = 0; \
        for (; j + (W) <= m; j += (W)) { \
            if (ia) memcpy(&p, a + j, sizeof p); \
            if (ib) memcpy(&q, b + j, sizeof q); \
            r = op == KK_BIN_ADD ? p + q : op == KK_BIN_SUB ? p - q : op == KK_BIN_MUL ? p * q : p / q; \
            memcpy(y + j, &r, sizeof r); \
        } \
        for (; j < m; j++) { \
            const float u = a[ia ? j : 0], v = b[ib ? j : 0]; \
            y[j] = op == KK_BIN_ADD ? u + v : op == KK_BIN_SUB ? u - v : op == KK_BIN_MUL ? u * v : u / v; \
        } \
    } \
    ATTR static void P##rows(int op, const float *a, const float *b, float *y, kk_bcast *it) { \
        for (int64_t r = 0; r < it->rows; r++, kk_bcast_next(it)) { \
            const float *pa = a + it->oa, *pb = b + it->ob; \
            float *py = y + r * it->inner; \
            switch (op) { \
            case KK_BIN_ADD: P##op(KK_BIN_ADD, pa, it->ia, pb, it->ib, py, it->inner); break; \
            case KK_BIN_SUB: P##op(KK_BIN_SUB, pa, it->ia, pb, it->ib, py, it->inner); break; \
            case KK_BIN_MUL: P##op(KK_BIN_MUL, pa, it->ia, pb, it->ib, py, it->inner); break; \
            default: P##op(KK_BIN_DIV, pa, it->ia, pb, it->ib, py, it->inner); break; \
            } \
        } \
    }
KK_BVROW(kk_bv16, 16, __attribute__((target("avx512f"))))
KK_BVROW(kk_bv8, 8, __attribute__((target("avx2"))))
#endif

/* 1 when kk_binary_f32's op ran on vectors (rows of at least one vector). */
static int kk_binary_vec_f32(int op, const float *a, const float *b, float *y, kk_bcast *it) {
#if defined(KK_BVEC)
    if ((op != KK_BIN_ADD && op != KK_BIN_SUB && op != KK_BIN_MUL && op != KK_BIN_DIV) || it->inner < 8) return 0;
    if (__builtin_cpu_supports("avx512f")) {
        kk_bv16rows(op, a, b, y, it);
        return 1;
    }
    if (__builtin_cpu_supports("avx2")) {
        kk_bv8rows(op, a, b, y, it);
        return 1;
    }
#endif
    (void)op, (void)a, (void)b, (void)y, (void)it;
    return 0;
}
#define KK_BIN_NOVEC(op, a, b, y, it) 0

#define KK_BIN_CASE(T, W, code, EXPR) \
    case code: \
        KK_BCAST_LOOP(T, T, T, a, b, y, EXPR) \
        return 0;

/* kk_binary_<sfx> and kk_variadic_<sfx> for one element type of class C. */
#define KK_DEF_BINARY(SFX, T, W, C, VEC) \
    KK_API int kk_binary_##SFX(int op, const T *a, const T *b, T *y, int rank, \
                               const int64_t *ydims, const int64_t *adims, const int64_t *bdims) { \
        kk_bcast it; \
        if (kk_bcast_init(&it, rank, ydims, adims, bdims) != 0) return -1; \
        if (VEC(op, a, b, y, &it)) return 0; \
        switch (op) { KK_BIN_OPS_##C(KK_BIN_CASE, T, W) default: break; } \
        return -1; \
    } \
    KK_API int kk_variadic_##SFX(int op, int n, const void *const *in, T *y, int rank, \
                                 const int64_t *ydims, const int64_t *indims) { \
        const int bop = op == KK_BIN_MEAN ? KK_BIN_ADD : op; \
        const int64_t *d1 = n > 1 && rank > 0 ? indims + rank : indims; \
        if (n < 1 || (bop != KK_BIN_ADD && bop != KK_BIN_MIN && bop != KK_BIN_MAX)) return -1; \
        /* One input: min(x, x) == x broadcasts a copy (NaN included). */ \
        if (kk_binary_##SFX(n > 1 ? bop : KK_BIN_MIN, (const T *)in[0], \
                            (const T *)in[n > 1 ? 1 : 0], y, rank, ydims, indims, d1) != 0) \
            return -1; \
        for (int k = 2; k < n; k++) { \
            const int64_t *dk = rank > 0 ? indims + (int64_t)k * rank : indims; \
            if (kk_binary_##SFX(bop, y, (const T *)in[k], y, rank, ydims, ydims, dk) != 0) \
                return -1; \
        } \
        if (op == KK_BIN_MEAN && n > 1) { \
            int64_t total = 1; \
            for (int d = 0; d < rank; d++) total *= ydims[d]; \
            for (int64_t i = 0; i < total; i++) y[i] = (T)(y[i] / (T)n); \
        } \
        return 0; \
    }

KK_DEF_BINARY(f32, float, float, F, kk_binary_vec_f32)
KK_DEF_BINARY(f64, double, double, F, KK_BIN_NOVEC)
KK_DEF_BINARY(i8, int8_t, uint32_t, S, KK_BIN_NOVEC)
KK_DEF_BINARY(i16, int16_t, uint32_t, S, KK_BIN_NOVEC)
KK_DEF_BINARY(i32, int32_t, uint32_t, S, KK_BIN_NOVEC)
KK_DEF_BINARY(i64, int64_t, uint64_t, S, KK_BIN_NOVEC)
KK_DEF_BINARY(u8, uint8_t, uint32_t, U, KK_BIN_NOVEC)
KK_DEF_BINARY(u16, uint16_t, uint32_t, U, KK_BIN_NOVEC)
KK_DEF_BINARY(u32, uint32_t, uint32_t, U, KK_BIN_NOVEC)
KK_DEF_BINARY(u64, uint64_t, uint64_t, U, KK_BIN_NOVEC)

/* ------------------------------------------------------------------- Pow */

KK_API int64_t kk_pow_int_i64(int64_t x, int64_t e);
KK_API int64_t kk_pow_sat_i64(double v, int64_t lo, int64_t hi);

/* Exact integer power, wrapping like repeated two's complement multiply.
 * A negative exponent gives trunc(1 / x^-e): 1 or -1 for x = 1 or -1, else 0. */
KK_API int64_t kk_pow_int_i64(int64_t x, int64_t e) {
    if (e < 0) return x == 1 ? 1 : x == -1 ? ((e & 1) ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)x;
    for (uint64_t u = (uint64_t)e; u; u >>= 1) {
        if (u & 1) r *= b;
        b *= b;
    }
    return (int64_t)r;
}

/* Truncate toward zero, clamped to [lo, hi]; NaN gives 0. */
KK_API int64_t kk_pow_sat_i64(double v, int64_t lo, int64_t hi) {
    if (v != v) return 0;
    if (v <= (double)lo) return lo;
    if (v >= (double)hi) return hi;
    return (int64_t)v;
}

/* Formulas by base class (F float, I integer) and exponent class. LO/HI: the
 * base type's limits, for float exponents of integer bases. */
#define KK_POW_FF(T, LO, HI) pow((double)p, (double)q)
#define KK_POW_FI KK_POW_FF
#define KK_POW_IF(T, LO, HI) kk_pow_sat_i64(pow((double)p, (double)q), LO, HI)
#define KK_POW_II(T, LO, HI) kk_pow_int_i64((int64_t)p, (int64_t)q)

/* X(T, BC, LO, HI, exponent code, exponent type, exponent class) */
#define KK_POW_ETYPES(X, T, BC, LO, HI) \
    X(T, BC, LO, HI, KK_F32, float, F) \
    X(T, BC, LO, HI, KK_F64, double, F) \
    X(T, BC, LO, HI, KK_I8, int8_t, I) \
    X(T, BC, LO, HI, KK_I16, int16_t, I) \
    X(T, BC, LO, HI, KK_I32, int32_t, I) \
    X(T, BC, LO, HI, KK_I64, int64_t, I) \
    X(T, BC, LO, HI, KK_U8, uint8_t, I) \
    X(T, BC, LO, HI, KK_U16, uint16_t, I) \
    X(T, BC, LO, HI, KK_U32, uint32_t, I) \
    X(T, BC, LO, HI, KK_U64, uint64_t, I)

#define KK_POW_CASE(T, BC, LO, HI, code, E, EC) \
    case code: { \
        const E *eb = (const E *)e; \
        KK_BCAST_LOOP(T, E, T, x, eb, y, KK_POW_##BC##EC(T, LO, HI)) \
        return 0; \
    }

/* The value of a one-element exponent of type etype as a double (NaN for
 * an unknown type code). */
KK_API double kk_pow_scalar_exp(int etype, const void *e);
KK_API double kk_pow_scalar_exp(int etype, const void *e) {
    switch (etype) {
    case KK_F32: return (double)*(const float *)e;
    case KK_F64: return *(const double *)e;
    case KK_I32: return (double)*(const int32_t *)e;
    case KK_I64: return (double)*(const int64_t *)e;
    default: return NAN;
    }
}

/* FAST(T): a float base with one exponent element equal to 2 squares: x*x
 * rounds the exact square once, as pow does (the variance step of
 * decomposed LayerNorms). */
#define KK_POW_FAST_F(T) \
    do { \
        int64_t en = 1, yn = 1; \
        for (int d = 0; d < rank; d++) { \
            en *= edims[d]; \
            yn *= ydims[d]; \
        } \
        if (en == 1 && kk_pow_scalar_exp(etype, e) == 2.0) { \
            for (int64_t i = 0; i < yn; i++) y[i] = x[i] * x[i]; \
            return 0; \
        } \
    } while (0)
#define KK_POW_FAST_I(T) (void)0

#define KK_DEF_POW(SFX, T, BC, LO, HI) \
    KK_API int kk_pow_##SFX(int etype, const T *x, const void *e, T *y, int rank, \
                            const int64_t *ydims, const int64_t *xdims, const int64_t *edims) { \
        kk_bcast it; \
        if (kk_bcast_init(&it, rank, ydims, xdims, edims) != 0) return -1; \
        KK_POW_FAST_##BC(T); \
        switch (etype) { KK_POW_ETYPES(KK_POW_CASE, T, BC, LO, HI) default: break; } \
        return -1; \
    }

KK_DEF_POW(f32, float, F, 0, 0)
KK_DEF_POW(f64, double, F, 0, 0)
KK_DEF_POW(i32, int32_t, I, INT32_MIN, INT32_MAX)
KK_DEF_POW(i64, int64_t, I, INT64_MIN, INT64_MAX)
