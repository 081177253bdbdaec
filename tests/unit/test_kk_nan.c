/*
 * test_kk_nan.c - MaxPool and GlobalMaxPool on NaN inputs: the reference
 * kernel drops NaN from a MaxPool window (as ONNX's reference MaxPool and
 * C's fmax: NaN only when the whole window is NaN) and GlobalMaxPool
 * propagates it (as ONNX's reference GlobalMaxPool and ReduceMax); the
 * fast MaxPool (every panel geometry, 1 and 2 threads) gives the same bits
 * as the reference one on inputs full of NaN, +-inf and signed zeros. The
 * fast kernels' exp-based activations keep NaN and the reference's
 * infinities and zeros on special values.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fast/kk_fast.h"
#include "fast/kk_fast_x86.h"
#include "fast/kk_pool.h"
#include "kk.h"
#include "fast_test.h"


/* NaN with probability nan_pct %, else a special value or a small number. */
static float nan_value(int nan_pct) {
    if ((int)(rnd() % 100) < nan_pct) return NAN;
    switch (rnd() % 8) {
    case 0: return INFINITY;
    case 1: return -INFINITY;
    case 2: return 0.0f;
    case 3: return -0.0f;
    default: return (float)(rnd() % 2001) / 1000.0f - 1.0f;
    }
}

static void maxpool_ref(const float *x, float *y, int64_t nc, const int64_t *in, const int64_t *k,
                        const int64_t *out, const int64_t *s, const int64_t *d, const int64_t *pads) {
    kk_maxpool_f32(x, y, NULL, nc, 2, in, k, out, s, d, pads, 0);
}

Test(kk_nan, maxpool_reference_values) {
    /* one 4x4 plane, 2x2 windows, stride 2 */
    const float x[16] = {NAN, 1.0f, NAN, NAN,     /* window 0: NaN first, then 1, NaN, 3 */
                         NAN, 3.0f, NAN, NAN,     /* window 1: all NaN */
                         -INFINITY, NAN, NAN, -0.0f,  /* window 2: -inf and NaNs */
                         NAN, NAN, 0.0f, NAN};        /* window 3: -0 first, then +0: first wins */
    const int64_t in[2] = {4, 4}, k[2] = {2, 2}, out[2] = {2, 2}, s[2] = {2, 2}, d[2] = {1, 1};
    const int64_t pads[4] = {0, 0, 0, 0};
    float y[4];
    int64_t idx[4];
    kk_maxpool_f32(x, y, idx, 1, 2, in, k, out, s, d, pads, 0);
    cr_assert_eq(y[0], 3.0f, "window with a number: NaN skipped, got %g", y[0]);
    cr_assert(isnan(y[1]), "all-NaN window gives NaN, got %g", y[1]);
    cr_assert_eq(y[2], -INFINITY, "got %g", y[2]);
    cr_assert(y[3] == 0.0f && signbit(y[3]), "signed zero: the first of equal values wins, got %g", y[3]);
    cr_assert_eq(idx[0], 5);
    cr_assert_eq(idx[1], 2, "all-NaN window: the first element's index, got %lld", (long long)idx[1]);
    cr_assert_eq(idx[2], 8);
    cr_assert_eq(idx[3], 11);
    /* padding never wins and is not a NaN either */
    const int64_t pin[2] = {1, 2}, pk[2] = {1, 3}, pout[2] = {1, 2}, ps[2] = {1, 1}, ppads[4] = {0, 1, 0, 1};
    const float px[2] = {NAN, -5.0f};
    float py[2];
    kk_maxpool_f32(px, py, NULL, 1, 2, pin, pk, pout, ps, d, ppads, 0);
    cr_assert_eq(py[0], -5.0f, "got %g", py[0]);
    cr_assert_eq(py[1], -5.0f, "got %g", py[1]);
    /* float64 and the integer instantiations follow the same rule */
    const double xd[4] = {NAN, -2.0, NAN, NAN};
    double yd[1];
    const int64_t in1[2] = {2, 2}, k1[2] = {2, 2}, out1[2] = {1, 1};
    kk_maxpool_f64(xd, yd, NULL, 1, 2, in1, k1, out1, s, d, pads, 0);
    cr_assert_eq(yd[0], -2.0);
    const int8_t xi[4] = {-3, 7, -128, 6};
    int8_t yi[1];
    kk_maxpool_i8(xi, yi, NULL, 1, 2, in1, k1, out1, s, d, pads, 0);
    cr_assert_eq(yi[0], 7);
}

Test(kk_nan, global_maxpool_propagates) {
    const float x[8] = {1.0f, 2.0f, NAN, 4.0f, -1.0f, INFINITY, -2.0f, 0.0f};
    float y[2];
    kk_global_maxpool_f32(x, y, 2, 4);
    cr_assert(isnan(y[0]), "a NaN anywhere in the plane gives NaN, got %g", y[0]);
    cr_assert_eq(y[1], INFINITY);
    const float x2[3] = {NAN, 1.0f, 2.0f};
    kk_global_maxpool_f32(x2, y, 1, 3);
    cr_assert(isnan(y[0]), "NaN first, got %g", y[0]);
    const double xd[3] = {1.0, 5.0, NAN};
    double yd[1];
    kk_global_maxpool_f64(xd, yd, 1, 3);
    cr_assert(isnan(yd[0]), "NaN last, got %g", yd[0]);
}


/* Same bits as the reference kernel (NaN payloads aside: any NaN matches a NaN). */
static int same_floats(const float *a, const float *b, int64_t n, int64_t *where) {
    for (int64_t i = 0; i < n; i++) {
        if (isnan(a[i]) && isnan(b[i])) continue;
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) {
            *where = i;
            return 0;
        }
    }
    return 1;
}

Test(kk_nan, fast_maxpool_matches_reference) {
    static const int isas[3] = {KK_ISA_PORTABLE, KK_ISA_AVX2, KK_ISA_AVX512};
    int ran = 0;
    for (int it = 0; it < 200; it++) {
        const int64_t n = rint_in(1, 2), c = rint_in(1, 3), in[2] = {rint_in(1, 19), rint_in(1, 45)};
        const int64_t k[2] = {rint_in(1, 4), rint_in(1, 4)}, s[2] = {rint_in(1, 3), rint_in(1, 3)};
        const int64_t d[2] = {rint_in(1, 2), rint_in(1, 2)};
        const int nan_pct = (int)rint_in(0, 4) * 25; /* 0, 25, 50, 75 or 100 % NaN */
        int64_t pads[4], out[2];
        int ok = 1;
        for (int i = 0; i < 2; i++) {
            pads[i] = rint_in(0, k[i] - 1);
            pads[2 + i] = rint_in(0, k[i] - 1);
            const int64_t span = in[i] + pads[i] + pads[2 + i] - ((k[i] - 1) * d[i] + 1);
            if (span < 0) ok = 0;
            out[i] = span < 0 ? 0 : span / s[i] + 1;
        }
        if (!ok || !kk_fmaxpool_windows_ok(in[0], k[0], s[0], d[0], pads[0], out[0]) ||
            !kk_fmaxpool_windows_ok(in[1], k[1], s[1], d[1], pads[1], out[1]))
            continue;
        const int64_t xs = n * c * in[0] * in[1], ys = n * c * out[0] * out[1];
        float *x = malloc((size_t)xs * sizeof(float)), *want = malloc((size_t)ys * sizeof(float));
        float *got = malloc((size_t)ys * sizeof(float));
        for (int64_t i = 0; i < xs; i++) x[i] = nan_value(nan_pct);
        maxpool_ref(x, want, n * c, in, k, out, s, d, pads);
        for (int ii = 0; ii < 3; ii++)
            for (int t = 1; t <= 2; t++) {
                kk_fdw_f32 p;
                const kk_fisa isa = isas[ii] == KK_ISA_PORTABLE ? kk_fisa_portable(isas[ii]) : kk_fisa_x86(isas[ii]);
                memset(got, 0x5a, (size_t)ys * sizeof(float));
                kk_fmaxpool_init_f32(&p, isa, x, got, n, c, in, k, out, s, d, pads);
                run_tasks(t, kk_fmaxpool_task_f32, &p, p.ntasks);
                int64_t at = -1;
                cr_assert(same_floats(got, want, ys, &at),
                          "case %d (%d%% NaN) isa %d threads %d: %lldx%lld k %lldx%lld s %lldx%lld d %lldx%lld: "
                          "[%lld] = %g, reference %g",
                          it, nan_pct, isas[ii], t, (long long)in[0], (long long)in[1], (long long)k[0],
                          (long long)k[1], (long long)s[0], (long long)s[1], (long long)d[0], (long long)d[1],
                          (long long)at, at >= 0 ? got[at] : 0.0f, at >= 0 ? want[at] : 0.0f);
            }
        ran++;
        free(x);
        free(want);
        free(got);
    }
    cr_assert_gt(ran, 50, "only %d shapes had no all-padding window", ran);
}

/* The fast MaxPool's unrolled windows (3x3 stride 2 and 1, 2x2 stride 2)
 * and its general loop on rows of one to several vectors, with columns
 * reaching outside the row on either side (pads, ceil_mode), inputs with
 * and without NaN, -inf and signed zeros: the reference's bits, for every
 * geometry and 1 to 3 threads. */
Test(kk_nan, fast_maxpool_row_widths) {
    static const int64_t widths[] = {1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 27, 31, 32, 33, 34,
                                     47, 55, 63, 64, 65, 66, 97, 111, 112, 129};
    static const int64_t wins[][5] = {/* kernel, stride, dilation (rows and columns), kernel columns, stride columns */
                                      {3, 2, 1, 3, 2}, {2, 2, 1, 2, 2}, {3, 1, 1, 3, 1}, {3, 2, 2, 3, 2},
                                      {2, 1, 1, 2, 1}, {1, 2, 1, 1, 2}, {5, 2, 1, 5, 2}, {3, 2, 1, 2, 1},
                                      {4, 3, 1, 4, 3}};
    const int nwin = (int)(sizeof wins / sizeof wins[0]), nw = (int)(sizeof widths / sizeof widths[0]);
    int ran = 0;
    for (int wi = 0; wi < nwin; wi++)
        for (int xi = 0; xi < nw; xi++) {
            const int64_t kh = wins[wi][0], kw = wins[wi][3], sh = wins[wi][1], sw = wins[wi][4], dl = wins[wi][2];
            const int64_t k[2] = {kh, kw}, s[2] = {sh, sw}, d[2] = {dl, dl};
            const int64_t in[2] = {rint_in(1, 12), widths[xi]}, n = rint_in(1, 2), c = rint_in(1, 3);
            const int ceil_mode = (int)rint_in(0, 1), nan_pct = (int)rint_in(0, 3) * 20;
            int64_t pads[4], out[2];
            int ok = 1;
            for (int i = 0; i < 2; i++) {
                pads[i] = rint_in(0, k[i] - 1);
                pads[2 + i] = rint_in(0, k[i] - 1);
                const int64_t span = in[i] + pads[i] + pads[2 + i] - ((k[i] - 1) * d[i] + 1);
                if (span < 0) ok = 0;
                out[i] = span < 0 ? 0 : span / s[i] + 1;
                if (ok && ceil_mode && span % s[i] && out[i] * s[i] < in[i] + pads[i]) out[i]++;
            }
            if (!ok || !kk_fmaxpool_windows_ok(in[0], k[0], s[0], d[0], pads[0], out[0]) ||
                !kk_fmaxpool_windows_ok(in[1], k[1], s[1], d[1], pads[1], out[1]))
                continue;
            const int64_t xs = n * c * in[0] * in[1], ys = n * c * out[0] * out[1];
            float *x = malloc((size_t)xs * sizeof(float)), *want = malloc((size_t)ys * sizeof(float));
            float *got = malloc((size_t)ys * sizeof(float));
            for (int64_t i = 0; i < xs; i++) x[i] = nan_pct ? nan_value(nan_pct) : (float)(rnd() % 41) - 20.0f;
            maxpool_ref(x, want, n * c, in, k, out, s, d, pads);
            for (int ii = 0; ii < 3; ii++)
                for (int t = 1; t <= 3; t++) {
                    kk_fdw_f32 p;
                    const kk_fisa isa = get_isa(ISAS[ii]);
                    memset(got, 0x5a, (size_t)ys * sizeof(float));
                    kk_fmaxpool_init_f32(&p, isa, x, got, n, c, in, k, out, s, d, pads);
                    run_tasks(t, kk_fmaxpool_task_f32, &p, p.ntasks);
                    int64_t at = -1;
                    cr_assert(same_floats(got, want, ys, &at),
                              "window %d isa %d threads %d (%d%% NaN): %lldx%lld -> %lldx%lld pads %lld %lld %lld "
                              "%lld: [%lld] = %g, reference %g",
                              wi, ISAS[ii], t, nan_pct, (long long)in[0], (long long)in[1], (long long)out[0],
                              (long long)out[1], (long long)pads[0], (long long)pads[1], (long long)pads[2],
                              (long long)pads[3], (long long)at, at >= 0 ? got[at] : 0.0f, at >= 0 ? want[at] : 0.0f);
                }
            ran++;
            free(x);
            free(want);
            free(got);
        }
    cr_assert_gt(ran, 150, "only %d shapes ran", ran);
}

/* The exp-based activations of the fast kernels (kk_fx_act512 / 256,
 * through a 1x1 depthwise conv with weight 1, which passes its input on)
 * on NaN, +-inf, values around the clamps of e^-x (+-87.3, +-88.3) and
 * the sigmoid's flush to 0 (about -69), Gelu's tail, and ordinary ones:
 * NaN where the reference kernel gives NaN, its infinities and flushed
 * zeros (no denormals), else within 2e-6 relative. */
Test(kk_nan, fast_activations_special_values) {
    static const float specials[] = {NAN,    INFINITY, -INFINITY, 1e30f,  -1e30f, 100.0f, -100.0f, 88.3f,
                                     -88.3f, 88.0f,    -88.0f,    87.3f,  -87.3f, 69.0f,  -69.0f,  -69.1f,
                                     -68.9f, 20.0f,    -20.0f,    9.0f,   -9.0f,  1.0f,   -1.0f,   1e-3f,
                                     -1e-3f, 1e-30f,   -1e-30f,   0.0f,   0.25f,  -0.25f, 4.5f,    -4.5f,
                                     -14.0f, -14.2f,   -4.3f,     2.0f,   -2.0f,  0.7f,   -0.7f,   -6.0f};
    static const int acts[] = {KK_UN_SIGMOID, KK_UN_SILU, KK_UN_SWISH, KK_UN_TANH, KK_UN_GELU};
    enum { W = (int)(sizeof specials / sizeof specials[0]) + 7, H = 3 }; /* rows not a vector multiple */
    float x[H * W], want[H * W], got[H * W];
    for (int i = 0; i < H * W; i++) x[i] = i < H * W / 2 ? specials[i % (W - 7)] : specials[(i * 7) % (W - 7)];
    const float one = 1.0f;
    const int64_t in[2] = {H, W}, k[2] = {1, 1}, s[2] = {1, 1}, d[2] = {1, 1}, pads[4] = {0, 0, 0, 0};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        const float alpha = acts[a] == KK_UN_SWISH ? 1.5f : 0.0f;
        memcpy(want, x, sizeof x);
        kk_epilogue_f32(want, NULL, H * W, acts[a], alpha, 0.0f);
        for (int ii = 0; ii < 3; ii++) {
            kk_fdw_f32 p;
            memset(got, 0x5a, sizeof got);
            kk_fdw_init_f32(&p, get_isa(ISAS[ii]), x, &one, NULL, NULL, got, 1, 1, 1, in, k, in, s, d, pads,
                            acts[a], alpha, 0.0f);
            run_tasks(1, kk_fdw_task_f32, &p, p.ntasks);
            for (int i = 0; i < H * W; i++) {
                /* exact zeros: the sigmoids' flush, and Gelu below -10 sqrt(2) (the
                 * reference's scalar Gelu also rounds 1 + erf to 0 from about -5.5) */
                const int zero = acts[a] == KK_UN_GELU ? x[i] < -14.15f : want[i] == 0.0f;
                const int ok = isnan(want[i]) ? isnan(got[i])
                               : isinf(want[i]) || zero ? got[i] == want[i]
                                                        : fabs((double)got[i] - (double)want[i]) <=
                                                              2e-6 * (1.0 + fabs((double)want[i]));
                cr_assert(ok, "act %d isa %d: f(%g) = %.9g, reference %.9g", acts[a], ISAS[ii], (double)x[i],
                          (double)got[i], (double)want[i]);
            }
        }
    }
}
