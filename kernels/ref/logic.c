/*
 * logic.c - reference kernels of the logic family: comparisons and boolean
 * And/Or/Xor (kk_compare), Where, Not, IsNaN, IsInf, Mod, BitShift and
 * Hardmax.
 *
 * The broadcasting kernels walk the output with the binary family's strided
 * iterator, kk_bcast (kernels/ref/binary.c): it merges dims and hands out
 * rows in which each input is contiguous or one repeated element, so equal
 * shapes run as one 1-d loop. Each formula is written once and instantiated
 * per element type by X-macros over the type lists below; the type and op
 * switches sit outside the loops.
 * Pasted verbatim into generated model code (KK_API = static), always
 * together with binary.c, which defines the iterator.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"

/* X(type code, C type, width in bits) */
#define KK_LG_FLOATS(X) \
    X(KK_F32, float, 32) \
    X(KK_F64, double, 64)
#define KK_LG_SIGNED(X) \
    X(KK_I8, int8_t, 8) \
    X(KK_I16, int16_t, 16) \
    X(KK_I32, int32_t, 32) \
    X(KK_I64, int64_t, 64)
#define KK_LG_UNSIGNED(X) \
    X(KK_U8, uint8_t, 8) \
    X(KK_U16, uint16_t, 16) \
    X(KK_U32, uint32_t, 32) \
    X(KK_U64, uint64_t, 64)

/* ---------------------------------------------------- comparisons, And/Or */

#define KK_CMP_CASE(T, code, EXPR) \
    case code: \
        KK_BCAST_LOOP(T, T, uint8_t, a, b, y, EXPR) \
        return 0;

#define KK_CMP_NUMERIC(code, T, bits) \
    case code: \
        switch (op) { \
            KK_CMP_CASE(T, KK_CMP_EQ, p == q) \
            KK_CMP_CASE(T, KK_CMP_GT, p > q) \
            KK_CMP_CASE(T, KK_CMP_GE, p >= q) \
            KK_CMP_CASE(T, KK_CMP_LT, p < q) \
            KK_CMP_CASE(T, KK_CMP_LE, p <= q) \
        default: break; \
        } \
        return -1;

KK_API int kk_compare(int op, int type, const void *a, const void *b, uint8_t *y, int rank,
                      const int64_t *ydims, const int64_t *adims, const int64_t *bdims) {
    kk_bcast it;
    if (kk_bcast_init(&it, rank, ydims, adims, bdims) != 0) return -1;
    switch (type) {
        KK_LG_FLOATS(KK_CMP_NUMERIC)
        KK_LG_SIGNED(KK_CMP_NUMERIC)
        KK_LG_UNSIGNED(KK_CMP_NUMERIC)
    case KK_BOOL:
        /* bools compare as truth values, whatever nonzero byte holds true */
        switch (op) {
            KK_CMP_CASE(uint8_t, KK_CMP_EQ, (p != 0) == (q != 0))
            KK_CMP_CASE(uint8_t, KK_CMP_AND, p && q)
            KK_CMP_CASE(uint8_t, KK_CMP_OR, p || q)
            KK_CMP_CASE(uint8_t, KK_CMP_XOR, (p != 0) != (q != 0))
        default: break;
        }
        return -1;
    default: return -1;
    }
}

/* ------------------------------------------------------------------ Where */

/*
 * Two passes over the output, each with the two-input iterator: first out =
 * y broadcast, then out = x wherever cond holds. Elements are moved with a
 * fixed-size memcpy (no type punning), which compilers turn into one load
 * and store.
 */
#define KK_WHERE_SIZE(ES) \
    case ES: { \
        const unsigned char *xs = (const unsigned char *)x, *ys = (const unsigned char *)y; \
        unsigned char *os = (unsigned char *)out; \
        for (int64_t r = 0; r < fill.rows; r++, kk_bcast_next(&fill)) { \
            const unsigned char *py = ys + fill.oa * ES; \
            unsigned char *po = os + r * fill.inner * ES; \
            if (fill.ia) memcpy(po, py, (size_t)fill.inner * ES); \
            else \
                for (int64_t j = 0; j < fill.inner; j++) memcpy(po + j * ES, py, ES); \
        } \
        for (int64_t r = 0; r < pick.rows; r++, kk_bcast_next(&pick)) { \
            const uint8_t *pc = cond + pick.oa; \
            const unsigned char *px = xs + pick.ob * ES; \
            unsigned char *po = os + r * pick.inner * ES; \
            for (int64_t j = 0; j < pick.inner; j++) \
                if (pc[j * pick.ia]) memcpy(po + j * ES, px + j * pick.ib * ES, ES); \
        } \
        return 0; \
    }

KK_API int kk_where(size_t esize, const uint8_t *cond, const void *x, const void *y, void *out, int rank,
                    const int64_t *odims, const int64_t *cdims, const int64_t *xdims, const int64_t *ydims) {
    kk_bcast fill, pick;
    if (kk_bcast_init(&fill, rank, odims, ydims, ydims) != 0) return -1;
    if (kk_bcast_init(&pick, rank, odims, cdims, xdims) != 0) return -1;
    switch (esize) {
        KK_WHERE_SIZE(1)
        KK_WHERE_SIZE(2)
        KK_WHERE_SIZE(4)
        KK_WHERE_SIZE(8)
    default: return -1;
    }
}

/* ----------------------------------------------------- Not, IsNaN, IsInf */

KK_API int kk_not(const uint8_t *x, uint8_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = (uint8_t)(x[i] == 0);
    return 0;
}

#define KK_ISNAN_CASE(code, T, bits) \
    case code: { \
        const T *xs = (const T *)x; \
        for (int64_t i = 0; i < n; i++) y[i] = (uint8_t)(isnan(xs[i]) != 0); \
        return 0; \
    }

KK_API int kk_isnan(int type, const void *x, uint8_t *y, int64_t n) {
    switch (type) {
        KK_LG_FLOATS(KK_ISNAN_CASE)
    default: return -1;
    }
}

#define KK_ISINF_CASE(code, T, bits) \
    case code: { \
        const T *xs = (const T *)x; \
        for (int64_t i = 0; i < n; i++) \
            y[i] = (uint8_t)(isinf(xs[i]) && (xs[i] < 0 ? detect_negative : detect_positive)); \
        return 0; \
    }

KK_API int kk_isinf(int type, int detect_negative, int detect_positive, const void *x, uint8_t *y, int64_t n) {
    switch (type) {
        KK_LG_FLOATS(KK_ISINF_CASE)
    default: return -1;
    }
}

/* -------------------------------------------------------------------- Mod */

KK_API double kk_mod_floor_f64(double a, double b);
KK_API float kk_mod_floor_f32(float a, float b);
KK_API int64_t kk_mod_int_i64(int64_t a, int64_t b, int floored);

/* Floored float remainder from the exact truncated one: move it into b's
 * half-line when the signs differ; a zero result takes b's sign. NaN
 * operands, b == 0 and infinite a all come out of fmod as NaN. */
KK_API double kk_mod_floor_f64(double a, double b) {
    double r = fmod(a, b);
    if (r == 0) return copysign(0.0, b);
    if ((r < 0) != (b < 0)) r += b;
    return r;
}

KK_API float kk_mod_floor_f32(float a, float b) {
    float r = fmodf(a, b);
    if (r == 0) return copysignf(0.0f, b);
    if ((r < 0) != (b < 0)) r += b;
    return r;
}

/* Signed integer remainder, truncated or floored. b == 0 gives 0 (as numpy);
 * b == -1 always gives 0, which also keeps INT64_MIN % -1 defined. */
KK_API int64_t kk_mod_int_i64(int64_t a, int64_t b, int floored) {
    if (b == 0 || b == -1) return 0;
    int64_t r = a % b;
    if (floored && r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

#define KK_MOD_FLOAT(code, T, bits) \
    case code: \
        if (truncated) { \
            KK_BCAST_LOOP(T, T, T, a, b, y, bits == 32 ? fmodf((float)p, (float)q) : fmod(p, q)) \
        } else { \
            KK_BCAST_LOOP(T, T, T, a, b, y, \
                       bits == 32 ? kk_mod_floor_f32((float)p, (float)q) : kk_mod_floor_f64(p, q)) \
        } \
        return 0;

#define KK_MOD_SIGNED(code, T, bits) \
    case code: \
        KK_BCAST_LOOP(T, T, T, a, b, y, kk_mod_int_i64((int64_t)p, (int64_t)q, !truncated)) \
        return 0;

#define KK_MOD_UNSIGNED(code, T, bits) \
    case code: \
        KK_BCAST_LOOP(T, T, T, a, b, y, q == 0 ? 0 : p % q) \
        return 0;

KK_API int kk_mod(int type, int truncated, const void *a, const void *b, void *y, int rank,
                  const int64_t *ydims, const int64_t *adims, const int64_t *bdims) {
    kk_bcast it;
    if (kk_bcast_init(&it, rank, ydims, adims, bdims) != 0) return -1;
    switch (type) {
        KK_LG_FLOATS(KK_MOD_FLOAT)
        KK_LG_SIGNED(KK_MOD_SIGNED)
        KK_LG_UNSIGNED(KK_MOD_UNSIGNED)
    default: return -1;
    }
}

/* --------------------------------------------------------------- BitShift */

/* Shifts go through uint64_t so that no shift is undefined: left shifts
 * wrap, and a negative x is shifted right as ~(~x >> s), which fills with
 * ones without relying on the implementation's signed >>. */
#define KK_SHIFT_SIGNED(code, T, bits) \
    case code: \
        if (left) { \
            KK_BCAST_LOOP(T, T, T, x, s, y, q < 0 || q >= bits ? 0 : (T)((uint64_t)p << q)) \
        } else { \
            KK_BCAST_LOOP(T, T, T, x, s, y, \
                       q < 0 || q >= bits ? (p < 0 ? -1 : 0) : p < 0 ? ~(~p >> q) : p >> q) \
        } \
        return 0;

#define KK_SHIFT_UNSIGNED(code, T, bits) \
    case code: \
        if (left) { \
            KK_BCAST_LOOP(T, T, T, x, s, y, q >= bits ? 0 : (T)((uint64_t)p << q)) \
        } else { \
            KK_BCAST_LOOP(T, T, T, x, s, y, q >= bits ? 0 : p >> q) \
        } \
        return 0;

KK_API int kk_bitshift(int type, int left, const void *x, const void *s, void *y, int rank,
                       const int64_t *ydims, const int64_t *xdims, const int64_t *sdims) {
    kk_bcast it;
    if (kk_bcast_init(&it, rank, ydims, xdims, sdims) != 0) return -1;
    switch (type) {
        KK_LG_SIGNED(KK_SHIFT_SIGNED)
        KK_LG_UNSIGNED(KK_SHIFT_UNSIGNED)
    default: return -1;
    }
}

/* ---------------------------------------------------------------- Hardmax */

#define KK_HARDMAX_CASE(code, T, bits) \
    case code: { \
        const T *xs = (const T *)x; \
        T *ys = (T *)y; \
        for (int64_t o = 0; o < outer; o++) \
            for (int64_t i = 0; i < inner; i++) { \
                const T *px = xs + o * mid * inner + i; \
                T *py = ys + o * mid * inner + i; \
                int64_t best = 0; \
                for (int64_t k = 1; k < mid && !isnan(px[best * inner]); k++) \
                    if (px[k * inner] > px[best * inner] || isnan(px[k * inner])) best = k; \
                for (int64_t k = 0; k < mid; k++) py[k * inner] = (T)(k == best); \
            } \
        return 0; \
    }

KK_API int kk_hardmax(int type, const void *x, void *y, int64_t outer, int64_t mid, int64_t inner) {
    switch (type) {
        KK_LG_FLOATS(KK_HARDMAX_CASE)
    default: return -1;
    }
}

/* binary.c, pasted beside this file, has macros of its own */
#undef KK_LG_FLOATS
#undef KK_LG_SIGNED
#undef KK_LG_UNSIGNED
#undef KK_CMP_CASE
#undef KK_CMP_NUMERIC
#undef KK_WHERE_SIZE
#undef KK_ISNAN_CASE
#undef KK_ISINF_CASE
#undef KK_MOD_FLOAT
#undef KK_MOD_SIGNED
#undef KK_MOD_UNSIGNED
#undef KK_SHIFT_SIGNED
#undef KK_SHIFT_UNSIGNED
#undef KK_HARDMAX_CASE
