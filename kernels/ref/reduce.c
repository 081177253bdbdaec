/*
 * reduce.c - reference kernels of the reduce family: kk_reduce (ReduceSum,
 * ReduceMean, ReduceMax, ... over any set of axes), kk_argreduce (ArgMax /
 * ArgMin) and kk_softmax (Softmax / LogSoftmax). Declared in kk_reduce.h.
 *
 * Used twice: linked into the compiler (constant folding) and pasted into
 * every generated model that has a node of this family, so the folded and
 * the run-time results come from the same code.
 *
 * Every element type is instantiated from one loop body by the type lists
 * below; adding a type is one list entry, adding a reduction is one enum
 * value in kk_reduce.h plus its case in the two kk_red_* bodies.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"

/* ---------------------------------------------------------------- geometry */

/* A reduction seen as two nested index spaces over x: the kept axes (one y
 * element each, in y order) and the reduced axes (the elements combined into
 * one y element). Size-1 axes are dropped and runs of adjacent axes of the
 * same kind merged, so a typical ReduceMean over H,W of NCHW is one kept axis
 * of N*C and one contiguous reduced axis of H*W. */
typedef struct kk_red_geom {
    int nk, nr;                      /* kept / reduced axes after merging (nr >= 1) */
    int64_t kd[KK_MAX_RANK];         /* kept dims, outermost first */
    int64_t ks[KK_MAX_RANK];         /* their strides in x (elements) */
    int64_t rd[KK_MAX_RANK];         /* reduced dims, outermost first */
    int64_t rs[KK_MAX_RANK];         /* their strides in x */
    int64_t nout;                    /* y elements: product of kd */
    int64_t nred;                    /* elements per y element: product of rd */
    int64_t ngrp;                    /* nred / rd[nr-1]: runs of the innermost reduced axis */
} kk_red_geom;

KK_API int kk_red_geom_init(kk_red_geom *g, int rank, const int64_t *dims, unsigned mask)
{
    int64_t stride = 1;
    int prev = -1;                   /* kind of the last axis added: 0 kept, 1 reduced */
    int k;

    if (rank < 0 || rank > KK_MAX_RANK)
        return -1;
    memset(g, 0, sizeof *g);
    /* Walk innermost to outermost so strides are known; fill from the back. */
    int64_t kd[KK_MAX_RANK], ks[KK_MAX_RANK], rd[KK_MAX_RANK], rs[KK_MAX_RANK];
    int nk = 0, nr = 0;
    g->nout = 1;
    g->nred = 1;
    for (k = rank - 1; k >= 0; k--) {
        int red = (int)((mask >> k) & 1u);
        int64_t d = dims[k];
        if (d < 0)
            return -1;
        if (red)
            g->nred *= d;
        else
            g->nout *= d;
        if (d != 1) {
            if (red == prev) {       /* merge with the inner neighbour */
                if (red) rd[nr - 1] *= d;
                else kd[nk - 1] *= d;
            } else if (red) {
                rd[nr] = d; rs[nr] = stride; nr++;
            } else {
                kd[nk] = d; ks[nk] = stride; nk++;
            }
            prev = red;
        }
        stride *= d;
    }
    if (nr == 0) {                   /* nothing reduced: one element per group */
        rd[0] = 1; rs[0] = 0; nr = 1;
    }
    /* reverse into outermost-first order */
    for (k = 0; k < nk; k++) { g->kd[k] = kd[nk - 1 - k]; g->ks[k] = ks[nk - 1 - k]; }
    for (k = 0; k < nr; k++) { g->rd[k] = rd[nr - 1 - k]; g->rs[k] = rs[nr - 1 - k]; }
    g->nk = nk;
    g->nr = nr;
    g->ngrp = g->rd[nr - 1] ? g->nred / g->rd[nr - 1] : 0;
    return 0;
}

/* Advance the odometer idx over the first n axes of (d, s) and return the
 * new offset, given the offset off of the current position. */
KK_API int64_t kk_red_step(int n, const int64_t *d, const int64_t *s, int64_t *idx, int64_t off)
{
    for (int k = n - 1; k >= 0; k--) {
        off += s[k];
        if (++idx[k] < d[k])
            return off;
        off -= s[k] * d[k];
        idx[k] = 0;
    }
    return off;
}

/* Run STMT with OFF set to the x offset of every reduced element of the y
 * element whose first x element is at BASE. The innermost reduced axis is a
 * plain strided loop; the outer reduced axes advance by kk_red_step. */
#define KK_RED_WALK(g, BASE, OFF, STMT)                                         \
    do {                                                                        \
        int64_t ridx_[KK_MAX_RANK] = {0};                                       \
        int64_t rbase_ = (BASE);                                                \
        const int64_t rlen_ = (g)->rd[(g)->nr - 1], rstr_ = (g)->rs[(g)->nr - 1]; \
        for (int64_t rgrp_ = 0; rgrp_ < (g)->ngrp; rgrp_++) {                   \
            int64_t OFF = rbase_;                                               \
            for (int64_t ri_ = 0; ri_ < rlen_; ri_++, OFF += rstr_) { STMT; }   \
            rbase_ = kk_red_step((g)->nr - 1, (g)->rd, (g)->rs, ridx_, rbase_); \
        }                                                                       \
    } while (0)

/* ------------------------------------------------------------ type lists */

/* Float element types: F(suffix, C type, KK code, exp, log). */
#define KK_RED_FLOAT_TYPES(F)                   \
    F(f32, float, KK_F32, expf, logf)           \
    F(f64, double, KK_F64, exp, log)

/* Integer element types: I(suffix, C type, KK code, is_signed, lowest, highest).
 * bool is uint8_t 0/1 with its own bounds (Max/Min only). */
#define KK_RED_INT_TYPES(I)                                  \
    I(i8, int8_t, KK_I8, 1, INT8_MIN, INT8_MAX)              \
    I(u8, uint8_t, KK_U8, 0, 0, UINT8_MAX)                   \
    I(i16, int16_t, KK_I16, 1, INT16_MIN, INT16_MAX)         \
    I(u16, uint16_t, KK_U16, 0, 0, UINT16_MAX)               \
    I(i32, int32_t, KK_I32, 1, INT32_MIN, INT32_MAX)         \
    I(u32, uint32_t, KK_U32, 0, 0, UINT32_MAX)               \
    I(i64, int64_t, KK_I64, 1, INT64_MIN, INT64_MAX)         \
    I(u64, uint64_t, KK_U64, 0, 0, UINT64_MAX)               \
    I(bool, uint8_t, KK_BOOL, 0, 0, 1)

/* ---------------------------------------------------- reductions: floats */

/* Float reductions accumulate in double. The kept-axis odometer yields the
 * base offset of each y element in turn. */
#define KK_RED_FLOAT_DEF(SFX, T, CODE, EXPF, LOGF)                              \
KK_API int kk_reduce_##SFX(int op, const T *x, T *y, const kk_red_geom *g)      \
{                                                                               \
    int64_t kidx[KK_MAX_RANK] = {0};                                            \
    int64_t base = 0;                                                           \
    const double cnt = (double)g->nred;                                         \
    if (op < 0 || op >= KK_RED_COUNT_)                                          \
        return -1;                                                              \
    for (int64_t o = 0; o < g->nout; o++) {                                     \
        double acc = 0.0, m;                                                    \
        switch (op) {                                                           \
        case KK_RED_SUM:                                                        \
            KK_RED_WALK(g, base, p, acc += (double)x[p]);                       \
            break;                                                              \
        case KK_RED_MEAN:                                                       \
            KK_RED_WALK(g, base, p, acc += (double)x[p]);                       \
            acc = g->nred ? acc / cnt : (double)NAN;                            \
            break;                                                              \
        case KK_RED_MAX:                                                        \
            acc = -(double)INFINITY;                                            \
            KK_RED_WALK(g, base, p, {                                           \
                double v = (double)x[p];                                        \
                if (v > acc || isnan(v)) acc = v;              \
            });                                                                 \
            break;                                                              \
        case KK_RED_MIN:                                                        \
            acc = (double)INFINITY;                                             \
            KK_RED_WALK(g, base, p, {                                           \
                double v = (double)x[p];                                        \
                if (v < acc || isnan(v)) acc = v;              \
            });                                                                 \
            break;                                                              \
        case KK_RED_PROD:                                                       \
            acc = 1.0;                                                          \
            KK_RED_WALK(g, base, p, acc *= (double)x[p]);                       \
            break;                                                              \
        case KK_RED_L1:                                                         \
            KK_RED_WALK(g, base, p, acc += fabs((double)x[p]));                 \
            break;                                                              \
        case KK_RED_L2:                                                         \
        case KK_RED_SUMSQ:                                                      \
            KK_RED_WALK(g, base, p, acc += (double)x[p] * (double)x[p]);        \
            if (op == KK_RED_L2) acc = sqrt(acc);                               \
            break;                                                              \
        case KK_RED_LOGSUM:                                                     \
            KK_RED_WALK(g, base, p, acc += (double)x[p]);                       \
            acc = log(acc);                                                     \
            break;                                                              \
        default: /* KK_RED_LOGSUMEXP */                                         \
            m = -(double)INFINITY;                                              \
            KK_RED_WALK(g, base, p, {                                           \
                double v = (double)x[p];                                        \
                if (v > m || isnan(v)) m = v;                      \
            });                                                                 \
            if (isinf(m) || isnan(m)) { /* empty, all -inf, any +inf or NaN */  \
                acc = m;                                                        \
                break;                                                          \
            }                                                                   \
            KK_RED_WALK(g, base, p, acc += exp((double)x[p] - m));              \
            acc = m + log(acc);                                                 \
            break;                                                              \
        }                                                                       \
        y[o] = (T)acc;                                                          \
        base = kk_red_step(g->nk, g->kd, g->ks, kidx, base);                    \
    }                                                                           \
    return 0;                                                                   \
}

/* -------------------------------------------------- reductions: integers */

/* Sums, products and squares wrap modulo 2^64 in uint64_t (well defined for
 * every input, equal to two's complement wrapping of the narrow type after
 * the final conversion). Max/Min compare in the element type. Results that
 * go through double (L2, LogSum, LogSumExp) are truncated and saturated. */
#define KK_RED_TO_INT(T, LO, HI, v)                                             \
    ((v) != (v) ? (T)0 : (v) <= (double)(LO) ? (T)(LO)                          \
     : (v) >= (double)(HI) ? (T)(HI) : (T)(v))

#define KK_RED_INT_DEF(SFX, T, CODE, SIGNED, LO, HI)                            \
KK_API int kk_reduce_##SFX(int op, const T *x, T *y, const kk_red_geom *g)      \
{                                                                               \
    int64_t kidx[KK_MAX_RANK] = {0};                                            \
    int64_t base = 0;                                                           \
    if (op < 0 || op >= KK_RED_COUNT_)                                          \
        return -1;                                                              \
    for (int64_t o = 0; o < g->nout; o++) {                                     \
        uint64_t acc = 0;                                                       \
        double r;                                                               \
        T ext;                                                                  \
        switch (op) {                                                           \
        case KK_RED_SUM:                                                        \
            KK_RED_WALK(g, base, p, acc += (uint64_t)x[p]);                     \
            y[o] = (T)acc;                                                      \
            break;                                                              \
        case KK_RED_MEAN:                                                       \
            KK_RED_WALK(g, base, p, acc += (uint64_t)x[p]);                     \
            if (g->nred == 0)                                                   \
                y[o] = (T)0;                                                    \
            else if (SIGNED)                                                    \
                y[o] = (T)((int64_t)acc / g->nred);                             \
            else                                                                \
                y[o] = (T)(acc / (uint64_t)g->nred);                            \
            break;                                                              \
        case KK_RED_MAX:                                                        \
            ext = (T)(LO);                                                      \
            KK_RED_WALK(g, base, p, if (x[p] > ext) ext = x[p]);                \
            y[o] = ext;                                                         \
            break;                                                              \
        case KK_RED_MIN:                                                        \
            ext = (T)(HI);                                                      \
            KK_RED_WALK(g, base, p, if (x[p] < ext) ext = x[p]);                \
            y[o] = ext;                                                         \
            break;                                                              \
        case KK_RED_PROD:                                                       \
            acc = 1;                                                            \
            KK_RED_WALK(g, base, p, acc *= (uint64_t)x[p]);                     \
            y[o] = (T)acc;                                                      \
            break;                                                              \
        case KK_RED_L1:                                                         \
            KK_RED_WALK(g, base, p, {                                           \
                uint64_t u = (uint64_t)x[p];                                    \
                acc += (SIGNED && (int64_t)u < 0) ? 0u - u : u;                 \
            });                                                                 \
            y[o] = (T)acc;                                                      \
            break;                                                              \
        case KK_RED_SUMSQ:                                                      \
            KK_RED_WALK(g, base, p, acc += (uint64_t)x[p] * (uint64_t)x[p]);    \
            y[o] = (T)acc;                                                      \
            break;                                                              \
        case KK_RED_L2:                                                         \
            r = 0.0;                                                            \
            KK_RED_WALK(g, base, p, r += (double)x[p] * (double)x[p]);          \
            r = sqrt(r);                                                        \
            y[o] = KK_RED_TO_INT(T, LO, HI, r);                                 \
            break;                                                              \
        case KK_RED_LOGSUM:                                                     \
            r = 0.0;                                                            \
            KK_RED_WALK(g, base, p, r += (double)x[p]);                         \
            r = log(r);                                                         \
            y[o] = KK_RED_TO_INT(T, LO, HI, r);                                 \
            break;                                                              \
        default: /* KK_RED_LOGSUMEXP */                                         \
            if (g->nred == 0) {                                                 \
                y[o] = (T)(LO);                                                 \
                break;                                                          \
            }                                                                   \
            ext = (T)(LO);                                                      \
            KK_RED_WALK(g, base, p, if (x[p] > ext) ext = x[p]);                \
            r = 0.0;                                                            \
            KK_RED_WALK(g, base, p, r += exp((double)x[p] - (double)ext));      \
            r = (double)ext + log(r);                                           \
            y[o] = KK_RED_TO_INT(T, LO, HI, r);                                 \
            break;                                                              \
        }                                                                       \
        base = kk_red_step(g->nk, g->kd, g->ks, kidx, base);                    \
    }                                                                           \
    return 0;                                                                   \
}

KK_RED_FLOAT_TYPES(KK_RED_FLOAT_DEF)
KK_RED_INT_TYPES(KK_RED_INT_DEF)

KK_API int kk_reduce(int op, int dtype, const void *x, void *y,
                     int rank, const int64_t *dims, unsigned mask)
{
    kk_red_geom g;
    if (kk_red_geom_init(&g, rank, dims, mask) != 0)
        return -1;
    if (dtype == KK_BOOL && op != KK_RED_MAX && op != KK_RED_MIN)
        return -1;
    switch (dtype) {
#define KK_RED_CASE_F(SFX, T, CODE, EXPF, LOGF) \
    case CODE: return kk_reduce_##SFX(op, (const T *)x, (T *)y, &g);
#define KK_RED_CASE_I(SFX, T, CODE, SIGNED, LO, HI) \
    case CODE: return kk_reduce_##SFX(op, (const T *)x, (T *)y, &g);
    KK_RED_FLOAT_TYPES(KK_RED_CASE_F)
    KK_RED_INT_TYPES(KK_RED_CASE_I)
#undef KK_RED_CASE_F
#undef KK_RED_CASE_I
    default:
        return -1;
    }
}

/* ------------------------------------------------------ ArgMax / ArgMin */

/* ISNAN is a constant 0 for integer types (no self-comparison warnings). */
#define KK_ARG_BODY(SFX, T, ISNAN)                                              \
KK_API void kk_argreduce_##SFX(int is_min, int last, const T *x, int64_t *y,    \
                               int64_t outer, int64_t n, int64_t inner)         \
{                                                                               \
    for (int64_t o = 0; o < outer; o++) {                                       \
        for (int64_t j = 0; j < inner; j++) {                                   \
            const T *px = x + o * n * inner + j;                                \
            int64_t best = 0;                                                   \
            T bv;                                                               \
            if (n == 0) {                                                       \
                y[o * inner + j] = 0;                                           \
                continue;                                                       \
            }                                                                   \
            bv = px[0];                                                         \
            for (int64_t k = 1; k < n; k++) {                                   \
                T v = px[k * inner];                                            \
                int better;                                                     \
                if (ISNAN(bv))                                                  \
                    better = last && ISNAN(v);                                  \
                else if (ISNAN(v))                                              \
                    better = 1;                                                 \
                else if (is_min)                                                \
                    better = last ? v <= bv : v < bv;                           \
                else                                                            \
                    better = last ? v >= bv : v > bv;                           \
                if (better) {                                                   \
                    best = k;                                                   \
                    bv = v;                                                     \
                }                                                               \
            }                                                                   \
            y[o * inner + j] = best;                                            \
        }                                                                       \
    }                                                                           \
}

#define KK_ISNAN_F(v) ((v) != (v))
#define KK_ISNAN_I(v) 0
#define KK_ARG_DEF_F(SFX, T, CODE, EXPF, LOGF) KK_ARG_BODY(SFX, T, KK_ISNAN_F)
#define KK_ARG_DEF_I(SFX, T, CODE, SIGNED, LO, HI) KK_ARG_BODY(SFX, T, KK_ISNAN_I)
KK_RED_FLOAT_TYPES(KK_ARG_DEF_F)
KK_RED_INT_TYPES(KK_ARG_DEF_I)

KK_API int kk_argreduce(int dtype, int is_min, int select_last, const void *x, int64_t *y,
                        int64_t outer, int64_t n, int64_t inner)
{
    switch (dtype) {
#define KK_ARG_CASE_F(SFX, T, CODE, EXPF, LOGF) \
    case CODE: kk_argreduce_##SFX(is_min, select_last, (const T *)x, y, outer, n, inner); return 0;
#define KK_ARG_CASE_I(SFX, T, CODE, SIGNED, LO, HI) \
    case CODE: kk_argreduce_##SFX(is_min, select_last, (const T *)x, y, outer, n, inner); return 0;
    KK_RED_FLOAT_TYPES(KK_ARG_CASE_F)
    KK_RED_INT_TYPES(KK_ARG_CASE_I)
#undef KK_ARG_CASE_F
#undef KK_ARG_CASE_I
    default:
        return -1;
    }
}

/* ------------------------------------------------ Softmax / LogSoftmax */

/* Three passes per row: max, exp(x - max) with the sum in double, then scale
 * (Softmax) or subtract log(sum) (LogSoftmax). Pass two writes y only for
 * Softmax, so LogSoftmax can still read x in pass three when y == x. */
#define KK_SOFTMAX_DEF(SFX, T, CODE, EXPF, LOGF)                                \
KK_API void kk_softmax_##SFX(int log_out, const T *x, T *y,                     \
                             int64_t outer, int64_t n, int64_t inner)           \
{                                                                               \
    for (int64_t o = 0; o < outer; o++) {                                       \
        for (int64_t j = 0; j < inner; j++) {                                   \
            const T *px = x + o * n * inner + j;                                \
            T *py = y + o * n * inner + j;                                      \
            T m = -(T)INFINITY;                                                 \
            double s = 0.0;                                                     \
            for (int64_t k = 0; k < n; k++)                                     \
                if (px[k * inner] > m) m = px[k * inner];                       \
            for (int64_t k = 0; k < n; k++) {                                   \
                T e = EXPF(px[k * inner] - m);                                  \
                if (!log_out) py[k * inner] = e;                                \
                s += (double)e;                                                 \
            }                                                                   \
            if (log_out) {                                                      \
                T ls = (T)log(s);                                               \
                for (int64_t k = 0; k < n; k++)                                 \
                    py[k * inner] = px[k * inner] - m - ls;                     \
            } else {                                                            \
                T inv = (T)(1.0 / s);                                           \
                for (int64_t k = 0; k < n; k++)                                 \
                    py[k * inner] *= inv;                                       \
            }                                                                   \
        }                                                                       \
    }                                                                           \
}

KK_RED_FLOAT_TYPES(KK_SOFTMAX_DEF)

/* Softmax of float32 rows (inner == 1): y = x - max, then the vector exp
 * of kk_act_vec_f32 (kernels/ref/unary.c) over the row in place, the sum
 * in double as four interleaved chains, then the scale. */
KK_API void kk_softmax_rows_f32(const float *x, float *y, int64_t outer, int64_t n)
{
    for (int64_t o = 0; o < outer; o++) {
        const float *px = x + o * n;
        float *py = y + o * n;
        float m = -INFINITY;
        for (int64_t k = 0; k < n; k++)
            if (px[k] > m) m = px[k];
        for (int64_t k = 0; k < n; k++)
            py[k] = px[k] - m;
        if (!kk_act_vec_f32(KK_UN_EXP, py, py, n, 0.0f, 0.0f))
            for (int64_t k = 0; k < n; k++)
                py[k] = expf(py[k]);
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        const int64_t n4 = n - n % 4;
        int64_t k = 0;
        for (; k < n4; k += 4) {
            s0 += (double)py[k];
            s1 += (double)py[k + 1];
            s2 += (double)py[k + 2];
            s3 += (double)py[k + 3];
        }
        for (; k < n; k++)
            s0 += (double)py[k];
        const float inv = (float)(1.0 / ((s0 + s1) + (s2 + s3)));
        for (k = 0; k < n; k++)
            py[k] *= inv;
    }
}

KK_API int kk_softmax(int dtype, int log_out, const void *x, void *y,
                      int64_t outer, int64_t n, int64_t inner)
{
    if (dtype == KK_F32 && inner == 1 && !log_out) {
        kk_softmax_rows_f32((const float *)x, (float *)y, outer, n);
        return 0;
    }
    switch (dtype) {
#define KK_SOFTMAX_CASE(SFX, T, CODE, EXPF, LOGF) \
    case CODE: kk_softmax_##SFX(log_out, (const T *)x, (T *)y, outer, n, inner); return 0;
    KK_RED_FLOAT_TYPES(KK_SOFTMAX_CASE)
#undef KK_SOFTMAX_CASE
    default:
        return -1;
    }
}
