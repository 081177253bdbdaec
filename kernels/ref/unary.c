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

/* ------------------------------------------------ vector float32 forms */

/*
 * kk_act_vec_f32 runs the float32 activations and math functions below on
 * whole vectors: GCC/clang vector extensions, instantiated per vector width
 * under a function target attribute (AVX-512 with 16 lanes, AVX2+FMA with
 * 8, the baseline instruction set with 4) and picked by a run-time CPU
 * check, so the generated file needs no -m flags. Other compilers and
 * targets run the scalar formulas above.
 *
 * Every element goes through the same vector code wherever it sits in the
 * array (a row's tail is padded into one vector), so a result never depends
 * on how an array is cut into rows or tasks.
 *
 * exp: x = n ln2 + r (|r| <= ln2/2, Cody-Waite with a two-part ln2), e^r by
 * its degree-7 Taylor polynomial (truncation below 1e-8 relative), times
 * 2^n applied as two factors so that results down to the subnormals and
 * up to the overflow to inf come out right. expm1 (x <= 0 only):
 * 2^n expm1(r) + (2^n - 1), exact in relative terms near 0. Tanh is
 * -expm1(-2|x|) / (2 + expm1(-2|x|)) with x's sign, Sigmoid 1 / (1 + e^-x).
 * erf(a), a >= 0: a P(a^2) below 1, else 1 - erfc(a) with erfc(a) =
 * e^(-a^2) Q(1 / (1 + a/2)) (a^2 split in two so that e^(-a^2) keeps its
 * accuracy); P and Q are fitted polynomials (relative error about 2e-7 and
 * 3e-7 evaluated in float). Gelu uses erfc directly for x < 0 (no 1 + erf
 * cancellation) and the tanh Gelu is x / (1 + e^(-2u)). Over float32 the
 * error of every form stays below about 5e-7 relative (or 1e-7 absolute
 * where the value crosses 0), against libm's correctly rounded results.
 */
/* The op codes with a vector form (CELU when alpha > 0). */
#define KK_VOPS(X, P) \
    X(P, KK_UN_RELU) X(P, KK_UN_LEAKY_RELU) X(P, KK_UN_HARD_SIGMOID) X(P, KK_UN_HARD_SWISH) \
    X(P, KK_UN_CLIP) X(P, KK_UN_NEG) X(P, KK_UN_ABS) X(P, KK_UN_RECIPROCAL) X(P, KK_UN_SOFTSIGN) \
    X(P, KK_UN_THRESHOLDED_RELU) X(P, KK_UN_SHRINK) X(P, KK_UN_EXP) X(P, KK_UN_SIGMOID) \
    X(P, KK_UN_SILU) X(P, KK_UN_SWISH) X(P, KK_UN_TANH) X(P, KK_UN_ELU) X(P, KK_UN_SELU) \
    X(P, KK_UN_CELU) X(P, KK_UN_GELU_TANH) X(P, KK_UN_GELU) X(P, KK_UN_ERF)

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__aarch64__))
#define KK_VEC 1
#define KK_VINL static inline __attribute__((always_inline, unused))

/* min(x, c) and max(x, c) of the generic vectors (NaN x stays NaN), and
 * a lane-wise correctly rounded sqrt. */
#define KK_VMINMAX_GEN(P, ATTR) \
    KK_VINL ATTR P##f P##min(P##f x, float c) { return P##sel(x > c, P##k(c), x); } \
    KK_VINL ATTR P##f P##max(P##f x, float c) { return P##sel(x < c, P##k(c), x); } \
    KK_VINL ATTR P##f P##sqrt(P##f x) { \
        for (int64_t l = 0; l < (int64_t)(sizeof x / 4); l++) x[l] = sqrtf(x[l]); \
        return x; \
    }
/* The same with one x86 instruction each: minps / maxps return their
 * second operand when either is NaN, so a NaN x stays NaN as above. */
#define KK_VMINMAX_X86(P, ATTR, V, MIN, MAX, SET1, SQRT) \
    KK_VINL ATTR P##f P##min(P##f x, float c) { return (P##f)MIN(SET1(c), (V)x); } \
    KK_VINL ATTR P##f P##max(P##f x, float c) { return (P##f)MAX(SET1(c), (V)x); } \
    KK_VINL ATTR P##f P##sqrt(P##f x) { return (P##f)SQRT((V)x); }

/* Instantiates the vector helpers with prefix P for W lanes under ATTR;
 * MINMAX(P, ATTR) defines P##min and P##max. */
#define KK_VDEF(P, W, ATTR, MINMAX) \
    typedef float P##f __attribute__((vector_size(4 * (W)))); \
    typedef int32_t P##i __attribute__((vector_size(4 * (W)))); \
    KK_VINL ATTR P##f P##k(float s) { P##f v = {0}; return v + s; } \
    KK_VINL ATTR P##f P##sel(P##i m, P##f a, P##f b) { return (P##f)((m & (P##i)a) | (~m & (P##i)b)); } \
    KK_VINL ATTR P##f P##abs(P##f x) { return (P##f)((P##i)x & 0x7fffffff); } \
    MINMAX(P, ATTR) \
    /* exp(x + xl) for x + xl in [-104, 88] where xl need not be small: \
     * n comes from the sum, xl joins the reduced argument after the \
     * exact Cody-Waite steps on x */ \
    KK_VINL ATTR P##f P##exps(P##f x, P##f xl) { \
        const P##f t = (x + xl) * 1.44269504f + 12582912.0f; \
        const P##i n = (P##i)t - 0x4B400000; \
        const P##f nf = t - 12582912.0f; \
        P##f r = x - nf * 0.693359375f; \
        r = r - nf * -2.12194440e-4f; \
        r = r + xl; \
        P##f p = P##k(1.0f / 5040.0f); \
        p = p * r + 1.0f / 720.0f; \
        p = p * r + 1.0f / 120.0f; \
        p = p * r + 1.0f / 24.0f; \
        p = p * r + 1.0f / 6.0f; \
        p = p * r + 0.5f; \
        p = p * r + 1.0f; \
        p = p * r + 1.0f; \
        const P##i n1 = n >> 1, n2 = n - n1; \
        return p * (P##f)((n1 + 127) << 23) * (P##f)((n2 + 127) << 23); \
    } \
    /* exp(x + xl), |xl| small against ln2 (0 but for erfc's split argument), \
     * x clamped so that results down to the subnormals and up to the \
     * overflow to inf come out right */ \
    KK_VINL ATTR P##f P##exp2(P##f x, P##f xl) { return P##exps(P##max(P##min(x, 88.8f), -104.0f), xl); } \
    KK_VINL ATTR P##f P##exp(P##f x) { return P##exp2(x, P##k(0.0f)); } \
    /* erfc(z), z >= 0 (0 past 10, where float's erfc is 0 or subnormal, \
     * so Gelu(-inf) is -inf * 0 = NaN like the scalar formula): \
     * t exp(-z^2 + C(t)), t = 1 / (1 + z/2), with the \
     * Chebyshev-fitted C of Numerical Recipes' erfcc (fractional error \
     * below 1.2e-7), z^2 split in two so exp keeps its accuracy. One exp \
     * and no branch for all z: Gelu's form (1 + erf = 2 - erfc). */ \
    KK_VINL ATTR P##f P##erfc(P##f z0) { \
        const P##f z = P##min(z0, 10.0f); \
        const P##f t = 1.0f / (z * 0.5f + 1.0f); \
        P##f c = P##k(0.17087277f); \
        c = c * t + -0.82215223f; \
        c = c * t + 1.48851587f; \
        c = c * t + -1.13520398f; \
        c = c * t + 0.27886807f; \
        c = c * t + -0.18628806f; \
        c = c * t + 0.09678418f; \
        c = c * t + 0.37409196f; \
        c = c * t + 1.00002368f; \
        c = c * t + -1.26551223f; \
        const P##f zh = (P##f)((P##i)z & ~0xfff); /* 12 bits: zh * zh is exact */ \
        return P##sel(z0 > 10.0f, P##k(0.0f), t * P##exps(-(zh * zh), c - (z - zh) * (z + zh))); \
    } \
    /* expm1(x) for x <= 0 (positive x read as 0) */ \
    KK_VINL ATTR P##f P##expm1n(P##f x) { \
        x = P##max(P##min(x, 0.0f), -30.0f); \
        const P##f t = x * 1.44269504f + 12582912.0f; \
        const P##i n = (P##i)t - 0x4B400000; \
        const P##f nf = t - 12582912.0f; \
        P##f r = x - nf * 0.693359375f; \
        r = r - nf * -2.12194440e-4f; \
        P##f p = P##k(1.0f / 40320.0f); \
        p = p * r + 1.0f / 5040.0f; \
        p = p * r + 1.0f / 720.0f; \
        p = p * r + 1.0f / 120.0f; \
        p = p * r + 1.0f / 24.0f; \
        p = p * r + 1.0f / 6.0f; \
        p = p * r + 0.5f; \
        const P##f q = p * r * r + r; \
        const P##f s = (P##f)((n + 127) << 23); \
        return s * q + (s - 1.0f); \
    } \
    KK_VINL ATTR P##f P##tanh(P##f x) { \
        const P##f u = P##expm1n(P##abs(x) * -2.0f); \
        const P##f t = -u / (u + 2.0f); \
        return (P##f)((P##i)t | ((P##i)x & ~0x7fffffff)); \
    } \
    /* erf(a) and erfc(a) for a >= 0 */ \
    KK_VINL ATTR void P##erf2(P##f a, P##f *erf, P##f *erfc) { \
        const P##f s = a * a; \
        P##f p = P##k(-2.666795808e-05f); \
        p = p * s + -4.820924369e-04f; \
        p = p * s + 4.824887961e-03f; \
        p = p * s + -2.666226029e-02f; \
        p = p * s + 1.127899811e-01f; \
        p = p * s + -3.761222064e-01f; \
        p = p * s + 1.128379107e+00f; \
        const P##f ea = a * p; \
        const P##f b = P##min(P##max(a, 1.0f), 10.0f); \
        const P##f t = 1.0f / (b * 0.5f + 1.0f); \
        P##f q = P##k(7.790480554e-02f); \
        q = q * t + -1.749686152e-01f; \
        q = q * t + 1.054469775e-02f; \
        q = q * t + 1.169991419e-01f; \
        q = q * t + 1.523458362e-01f; \
        q = q * t + 2.546986938e-01f; \
        q = q * t + 2.806714475e-01f; \
        q = q * t + 2.822320461e-01f; \
        q = q * t + -5.518113085e-06f; \
        const P##f bh = (P##f)((P##i)b & ~0xfff); /* 12 bits: bh * bh is exact */ \
        P##f cb = P##exp2(-(bh * bh), -((b - bh) * (b + bh))) * q; \
        cb = P##sel(a > 10.0f, P##k(0.0f), cb); \
        const P##i small = a < 1.0f; \
        *erf = P##sel(small, ea, 1.0f - cb); \
        *erfc = P##sel(small, 1.0f - ea, cb); \
    } \
    /* One op on one vector (op is a constant after inlining). */ \
    KK_VINL ATTR P##f P##op(int op, P##f v, float a, float b) { \
        const P##f z = P##k(0.0f); \
        switch (op) { \
        case KK_UN_RELU: return P##sel(v < 0.0f, z, v); \
        case KK_UN_LEAKY_RELU: return P##sel(v < 0.0f, v * a, v); \
        case KK_UN_HARD_SIGMOID: return P##min(P##max(v * a + b, 0.0f), 1.0f); \
        case KK_UN_HARD_SWISH: return v * P##min(P##max(v * a + b, 0.0f), 1.0f); \
        case KK_UN_CLIP: return P##min(P##max(v, a), b); \
        case KK_UN_NEG: return -v; \
        case KK_UN_ABS: return P##abs(v); \
        case KK_UN_RECIPROCAL: return 1.0f / v; \
        case KK_UN_SOFTSIGN: return v / (P##abs(v) + 1.0f); \
        case KK_UN_THRESHOLDED_RELU: return P##sel(v > a, v, z); \
        case KK_UN_SHRINK: return P##sel(v < -a, v + b, P##sel(v > a, v - b, z)); \
        case KK_UN_EXP: return P##exp(v); \
        case KK_UN_SIGMOID: { \
            const P##f s_ = 1.0f / (P##exp(-v) + 1.0f); \
            return P##sel(s_ < KK_SIGMOID_TINY, z, s_); \
        } \
        case KK_UN_SILU: { \
            const P##f s_ = 1.0f / (P##exp(-v) + 1.0f); \
            return v * P##sel(s_ < KK_SIGMOID_TINY, z, s_); \
        } \
        case KK_UN_SWISH: { \
            const P##f s_ = 1.0f / (P##exp(v * -a) + 1.0f); \
            return v * P##sel(s_ < KK_SIGMOID_TINY, z, s_); \
        } \
        case KK_UN_TANH: return P##tanh(v); \
        case KK_UN_ELU: return P##sel(v < 0.0f, P##expm1n(v) * a, v); \
        case KK_UN_SELU: return P##sel(v > 0.0f, v, P##expm1n(v) * a) * b; \
        case KK_UN_CELU: return P##sel(v > 0.0f, v, P##expm1n(v / a) * a); \
        case KK_UN_GELU_TANH: { \
            const P##f u = (v + v * v * v * 0.044715f) * 0.79788456080286535588f; \
            return v / (P##exp(u * -2.0f) + 1.0f); \
        } \
        case KK_UN_GELU: { \
            const P##f c = P##erfc(P##abs(v * 0.70710678118654752440f)); \
            return v * 0.5f * P##sel(v < 0.0f, c, 2.0f - c); \
        } \
        case KK_UN_ERF: { \
            P##f e, c; \
            P##erf2(P##abs(v), &e, &c); \
            (void)c; \
            return (P##f)((P##i)e | ((P##i)v & ~0x7fffffff)); \
        } \
        default: return v; \
        } \
    } \
    /* LayerNorm statistics: mean and 1 / sqrt(var + eps) of n floats, the \
     * lane sums in float, their total in double */ \
    KK_VINL ATTR void P##lnstat(const float *x, int64_t n, double eps, float *mu, float *inv) { \
        const int64_t w = (int64_t)(sizeof(P##f) / 4), nv = n - n % w; \
        P##f v, s = P##k(0.0f), q = P##k(0.0f); \
        for (int64_t j = 0; j < nv; j += w) { \
            memcpy(&v, x + j, sizeof v); \
            s += v; \
        } \
        double sum = 0.0, ss = 0.0; \
        for (int64_t l = 0; l < w; l++) sum += (double)s[l]; \
        for (int64_t j = nv; j < n; j++) sum += (double)x[j]; \
        *mu = (float)(sum / (double)n); \
        const P##f m = P##k(*mu); \
        for (int64_t j = 0; j < nv; j += w) { \
            memcpy(&v, x + j, sizeof v); \
            v -= m; \
            q += v * v; \
        } \
        for (int64_t l = 0; l < w; l++) ss += (double)q[l]; \
        for (int64_t j = nv; j < n; j++) ss += ((double)x[j] - (double)*mu) * ((double)x[j] - (double)*mu); \
        *inv = (float)(1.0 / sqrt(ss / (double)n + eps)); \
    } \
    /* rows x cols LayerNorm rows with per-column scale / bias (NULL: 1 / 0) */ \
    ATTR static __attribute__((unused)) void P##lnrows(const float *x, float *y, const float *sc, \
                                                       const float *bi, int64_t rows, int64_t cols, \
                                                       double eps, float *mean, float *invstd) { \
        const int64_t w = (int64_t)(sizeof(P##f) / 4), nv = cols - cols % w; \
        for (int64_t r = 0; r < rows; r++) { \
            const float *xr = x + r * cols; \
            float *yr = y + r * cols, mu, inv; \
            P##lnstat(xr, cols, eps, &mu, &inv); \
            if (mean) mean[r] = mu; \
            if (invstd) invstd[r] = inv; \
            const P##f m = P##k(mu), iv = P##k(inv); \
            P##f v, a = P##k(1.0f), b = P##k(0.0f); \
            for (int64_t j = 0; j < nv; j += w) { \
                memcpy(&v, xr + j, sizeof v); \
                if (sc) memcpy(&a, sc + j, sizeof a); \
                if (bi) memcpy(&b, bi + j, sizeof b); \
                v = (v - m) * iv * a + b; \
                memcpy(yr + j, &v, sizeof v); \
            } \
            for (int64_t j = nv; j < cols; j++) \
                yr[j] = (xr[j] - mu) * inv * (sc ? sc[j] : 1.0f) + (bi ? bi[j] : 0.0f); \
        } \
    } \
    /* four vectors from p (nb < 4 lanes' worth: through buf, zeros beyond) */ \
    KK_VINL ATTR void P##lnld(P##f *v, float *buf, const float *p, int64_t nb) { \
        if (nb == (int64_t)(4 * sizeof(P##f) / 4)) { \
            memcpy(v, p, 4 * sizeof(P##f)); \
            return; \
        } \
        memcpy(buf, p, (size_t)nb * sizeof(float)); \
        memcpy(v, buf, 4 * sizeof(P##f)); \
    } \
    KK_VINL ATTR void P##lnst(float *p, float *buf, const P##f *v, int64_t nb) { \
        if (nb == (int64_t)(4 * sizeof(P##f) / 4)) { \
            memcpy(p, v, 4 * sizeof(P##f)); \
            return; \
        } \
        memcpy(buf, v, 4 * sizeof(P##f)); \
        memcpy(p, buf, (size_t)nb * sizeof(float)); \
    } \
    /* LayerNorm over the middle axis of outer x c x inner, blocks of four \
     * vectors of inner positions (per-channel scale / bias, NULL: 1 / 0) */ \
    ATTR static __attribute__((unused)) void P##lnmid(const float *x, float *y, const float *sc, \
                                                      const float *bi, int64_t outer, int64_t c, \
                                                      int64_t inner, double eps) { \
        const int64_t w = (int64_t)(sizeof(P##f) / 4); \
        for (int64_t o = 0; o < outer; o++) \
            for (int64_t i0 = 0; i0 < inner; i0 += 4 * w) { \
                const int64_t nb = inner - i0 < 4 * w ? inner - i0 : 4 * w; \
                const float *xo = x + o * c * inner + i0; \
                float *yo = y + o * c * inner + i0; \
                float buf[4 * sizeof(P##f) / 4] = {0}; \
                P##f v[4], s[4], q[4], m[4], iv[4]; \
                for (int k = 0; k < 4; k++) s[k] = q[k] = P##k(0.0f); \
                for (int64_t ch = 0; ch < c; ch++) { \
                    P##lnld(v, buf, xo + ch * inner, nb); \
                    for (int k = 0; k < 4; k++) s[k] += v[k]; \
                } \
                for (int k = 0; k < 4; k++) m[k] = s[k] / (float)c; \
                for (int64_t ch = 0; ch < c; ch++) { \
                    P##lnld(v, buf, xo + ch * inner, nb); \
                    for (int k = 0; k < 4; k++) { \
                        v[k] -= m[k]; \
                        q[k] += v[k] * v[k]; \
                    } \
                } \
                for (int k = 0; k < 4; k++) \
                    for (int64_t l = 0; l < w; l++) \
                        iv[k][l] = (float)(1.0 / sqrt((double)q[k][l] / (double)c + eps)); \
                for (int64_t ch = 0; ch < c; ch++) { \
                    const float a = sc ? sc[ch] : 1.0f, b = bi ? bi[ch] : 0.0f; \
                    P##lnld(v, buf, xo + ch * inner, nb); \
                    for (int k = 0; k < 4; k++) v[k] = (v[k] - m[k]) * iv[k] * a + b; \
                    P##lnst(yo + ch * inner, buf, v, nb); \
                } \
            } \
    } \
    /* LRN with beta 0.75 over c channel planes pstride floats apart, the \
     * first `plane` floats of each: y = x / (bias + scale * window sum of \
     * x^2)^0.75, the power as two square roots */ \
    ATTR static __attribute__((unused)) void P##lrn34(const float *x, float *y, int64_t c, int64_t plane, \
                                                      int64_t pstride, int64_t size, float scale, float bias) { \
        const int64_t w = (int64_t)(sizeof(P##f) / 4); \
        P##f v, s, r; \
        for (int64_t ci = 0; ci < c; ci++) { \
            int64_t lo = ci - (size - 1) / 2, hi = ci + size / 2; \
            if (lo < 0) lo = 0; \
            if (hi > c - 1) hi = c - 1; \
            const float *xw = x + lo * pstride, *xc = x + ci * pstride; \
            float *yc = y + ci * pstride; \
            const int64_t nw = hi - lo + 1, tail = plane % w; \
            for (int64_t i = 0; i < plane; i += w) { \
                float buf[sizeof(P##f) / 4] = {0}; \
                const int64_t nb = i + w <= plane ? w : tail; /* the last vector: through buf */ \
                s = P##k(0.0f); \
                for (int64_t q = 0; q < nw; q++) { \
                    if (nb == w) memcpy(&v, xw + q * pstride + i, sizeof v); \
                    else { \
                        memcpy(buf, xw + q * pstride + i, (size_t)nb * sizeof(float)); \
                        memcpy(&v, buf, sizeof v); \
                    } \
                    s += v * v; \
                } \
                r = P##sqrt(s * scale + bias); \
                if (nb == w) memcpy(&v, xc + i, sizeof v); \
                else { \
                    memcpy(buf, xc + i, (size_t)nb * sizeof(float)); \
                    memcpy(&v, buf, sizeof v); \
                } \
                v = v / (r * P##sqrt(r)); \
                if (nb == w) memcpy(yc + i, &v, sizeof v); \
                else { \
                    memcpy(buf, &v, sizeof v); \
                    memcpy(yc + i, buf, (size_t)nb * sizeof(float)); \
                } \
            } \
        } \
    } \
    /* y[i] = op(x[i]), i < n, for `rows` rows ld floats apart; y may \
     * equal x */ \
    ATTR static __attribute__((unused)) void P##rows(int op, const float *x, float *y, int64_t rows, int64_t n, \
                                                     int64_t ld, float a, float b) { \
        int64_t i; \
        P##f v, r; \
        switch (op) { KK_VOPS(KK_VROW_CASE, P) default: break; } \
    }

/* The loop of one op: whole vectors, then the tail through a padded one. */
#define KK_VROW_CASE(P, code) \
    case code: \
        for (int64_t row_ = 0; row_ < rows; row_++, x += ld, y += ld) { \
            for (i = 0; i < n - n % (int64_t)(sizeof v / 4); i += (int64_t)(sizeof v / 4)) { \
                memcpy(&v, x + i, sizeof v); \
                r = P##op(code, v, a, b); \
                memcpy(y + i, &r, sizeof r); \
            } \
            if (i < n) { \
                float buf[sizeof v / 4] = {0}; \
                memcpy(buf, x + i, (size_t)(n - i) * sizeof(float)); \
                memcpy(&v, buf, sizeof v); \
                r = P##op(code, v, a, b); \
                memcpy(buf, &r, sizeof r); \
                memcpy(y + i, buf, (size_t)(n - i) * sizeof(float)); \
            } \
        } \
        return;

/* No FMA contraction in the vector math, with any compiler: gcc under
 * -std=c11 fuses nothing, clang by default fuses a * b + c within an
 * expression, and the two roundings then differ by an ulp that a model can
 * amplify (the robust test compares clang and gcc builds). gcc's
 * fp-contract=fast is no way out either: it fuses depending on the
 * optimization level (nothing at -O0). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
KK_VDEF(kk_v4, 4, , KK_VMINMAX_GEN)
#if defined(__x86_64__)
#define KK_VEC_X86 1
#include <immintrin.h>
#define KK_VMM8(P, ATTR) KK_VMINMAX_X86(P, ATTR, __m256, _mm256_min_ps, _mm256_max_ps, _mm256_set1_ps, _mm256_sqrt_ps)
#define KK_VMM16(P, ATTR) KK_VMINMAX_X86(P, ATTR, __m512, _mm512_min_ps, _mm512_max_ps, _mm512_set1_ps, _mm512_sqrt_ps)
KK_VDEF(kk_v8, 8, __attribute__((target("avx2,fma"))), KK_VMM8)
KK_VDEF(kk_v16, 16, __attribute__((target("avx512f"))), KK_VMM16)
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT DEFAULT
#endif
#endif /* vector extensions */

KK_API int kk_ln_vec_f32(int mid, const float *x, float *y, const float *scale, const float *bias, int64_t outer,
                         int64_t c, int64_t inner, double eps, float *mean, float *invstd) {
#if defined(KK_VEC_X86)
    if (__builtin_cpu_supports("avx512f")) {
        if (mid) kk_v16lnmid(x, y, scale, bias, outer, c, inner, eps);
        else kk_v16lnrows(x, y, scale, bias, outer, c, eps, mean, invstd);
        return 1;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        if (mid) kk_v8lnmid(x, y, scale, bias, outer, c, inner, eps);
        else kk_v8lnrows(x, y, scale, bias, outer, c, eps, mean, invstd);
        return 1;
    }
#endif
#if defined(KK_VEC)
    if (mid) kk_v4lnmid(x, y, scale, bias, outer, c, inner, eps);
    else kk_v4lnrows(x, y, scale, bias, outer, c, eps, mean, invstd);
    return 1;
#else
    (void)mid, (void)x, (void)y, (void)scale, (void)bias, (void)outer, (void)c, (void)inner, (void)eps;
    (void)mean, (void)invstd;
    return 0;
#endif
}

/* kk_act_vec_f32 over rows x n floats ld apart (x and y alike). */
static int kk_act_vec_rows_f32(int op, const float *x, float *y, int64_t rows, int64_t n, int64_t ld, float alpha,
                               float beta) {
    switch (op) {
#define KK_VHAS(P, code) case code:
        KK_VOPS(KK_VHAS, _)
#undef KK_VHAS
        break;
    default:
        return 0;
    }
    if (op == KK_UN_CELU && !(alpha > 0)) return 0;
#if defined(KK_VEC_X86)
    if (__builtin_cpu_supports("avx512f")) {
        kk_v16rows(op, x, y, rows, n, ld, alpha, beta);
        return 1;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        kk_v8rows(op, x, y, rows, n, ld, alpha, beta);
        return 1;
    }
#endif
#if defined(KK_VEC)
    kk_v4rows(op, x, y, rows, n, ld, alpha, beta);
    return 1;
#else
    (void)x, (void)y, (void)rows, (void)n, (void)ld, (void)beta;
    return 0;
#endif
}

KK_API int kk_lrn34_vec_f32(const float *x, float *y, int64_t c, int64_t plane, int64_t pstride, int64_t size,
                            float scale, float bias) {
#if defined(KK_VEC_X86)
    if (__builtin_cpu_supports("avx512f")) {
        kk_v16lrn34(x, y, c, plane, pstride, size, scale, bias);
        return 1;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        kk_v8lrn34(x, y, c, plane, pstride, size, scale, bias);
        return 1;
    }
#endif
#if defined(KK_VEC)
    kk_v4lrn34(x, y, c, plane, pstride, size, scale, bias);
    return 1;
#else
    (void)x, (void)y, (void)c, (void)plane, (void)pstride, (void)size, (void)scale, (void)bias;
    return 0;
#endif
}

KK_API int kk_act_vec_f32(int op, const float *x, float *y, int64_t n, float alpha, float beta) {
    return kk_act_vec_rows_f32(op, x, y, 1, n, n, alpha, beta);
}

KK_API void kk_act_tile_f32(float *y, int64_t rows, int64_t n, int64_t ld, int act, float alpha, float beta) {
    if (act == 0 || kk_act_vec_rows_f32(act, y, y, rows, n, ld, alpha, beta)) return;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = 0; i < n; i++) y[r * ld + i] = kk_act_f32(act, y[r * ld + i], alpha, beta);
}

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

/* VEC(op, x, y, n, alpha, beta): the vector form, 1 when it did the work. */
#define KK_DEF_UNARY_FLOAT(SFX, T, M, VEC) \
    KK_API int kk_unary_##SFX(int op, const T *x, T *y, int64_t n, T alpha, T beta) { \
        const T a = alpha; \
        const T b = beta; \
        (void)a; \
        (void)b; \
        if (VEC(op, x, y, n, alpha, beta)) return 0; \
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

#define KK_NO_VEC(op, x, y, n, alpha, beta) 0

KK_DEF_UNARY_FLOAT(f32, float, KK_MF32, kk_act_vec_f32)
KK_DEF_UNARY_FLOAT(f64, double, KK_MF64, KK_NO_VEC)

KK_API void kk_act_row_f32(float *y, int64_t n, int act, float alpha, float beta) {
    if (act == 0 || kk_act_vec_f32(act, y, y, n, alpha, beta)) return;
    for (int64_t i = 0; i < n; i++) y[i] = kk_act_f32(act, y[i], alpha, beta);
}
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
