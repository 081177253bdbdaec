/*
 * test_kk_fast.c - the fast kernels (kernels/fast/) against the reference
 * kernels (kernels/ref/conv.c) on many shapes: odd sizes, channel counts
 * that are not multiples of the vector width or of the tile, strides,
 * pads, dilations, groups, 1 to 3 spatial dims, every epilogue form, every
 * panel geometry (the x86 ones fall back to plain C kernels on a CPU
 * without the instruction set, and are tested either way), and results
 * bit-identical for 1, 2 and 3 threads.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast/kk_fast.h"
#include "fast/kk_fast_x86.h"
#include "fast/kk_pool.h"
#include "kk.h"
#define FT_SEED 88172645463325252ull
#include "fast_test.h"


/* |got - want| <= 2e-6 * (1 + scale) + 1e-6 * |want|, scale bounding the terms summed. */
static void check_close(const float *got, const float *want, int64_t n, double scale, const char *what) {
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - (double)want[i]);
        if (!(e <= 2e-6 * (1.0 + scale) + 1e-6 * fabs((double)want[i])))
            cr_assert_fail("%s: [%lld] = %.8g, expected %.8g", what, (long long)i, got[i], want[i]);
    }
}


/* ------------------------------------------------------------------- Conv */

typedef struct ConvCase {
    int64_t n, c, m, group;
    int nsp;
    int64_t in[3], k[3], out[3], s[3], d[3], p[6];
    int bias, res, act;
    float alpha, beta;
} ConvCase;

/* Output sizes from the rest (pads begin/end). */
static int conv_finish(ConvCase *cc) {
    for (int i = 0; i < cc->nsp; i++) {
        int64_t span = cc->in[i] + cc->p[i] + cc->p[cc->nsp + i] - ((cc->k[i] - 1) * cc->d[i] + 1);
        if (span < 0) return 0;
        cc->out[i] = span / cc->s[i] + 1;
    }
    return 1;
}

static void conv_ref(const ConvCase *cc, const float *x, const float *w, const float *b, const float *res, float *y,
                     int64_t ysize) {
    kk_conv_f32(x, w, b, y, cc->n, cc->c, cc->m, cc->group, cc->nsp, cc->in, cc->k, cc->out, cc->s, cc->d, cc->p);
    if (res || cc->act) kk_epilogue_f32(y, res, ysize, cc->act, cc->alpha, cc->beta);
}

static void conv_fast(const ConvCase *cc, int isa, int threads, const float *x, const float *w, const float *b,
                      const float *res, float *y) {
    kk_fisa k = get_isa(isa);
    const int64_t mg = cc->m / cc->group, ksz = cc->k[0] * (cc->nsp > 1 ? cc->k[1] : 1) * (cc->nsp > 2 ? cc->k[2] : 1);
    const int64_t kg = cc->c / cc->group * ksz;
    float *wp = malloc((size_t)(cc->m * kg) * sizeof(float));
    kk_fpack_rows_f32(w, wp, cc->group, mg, kg, k.mr);
    void *scratch = aligned_alloc(64, (size_t)kk_fconv_scratch_bytes(isa, threads, cc->n, cc->group, mg, kg,
                                                                      cc->out[0] * (cc->nsp > 1 ? cc->out[1] : 1) *
                                                                          (cc->nsp > 2 ? cc->out[2] : 1)));
    kk_fconv_f32 p;
    kk_fconv_init_f32(&p, k, x, wp, b, res, y, scratch, cc->n, cc->c, cc->m, cc->group, cc->nsp, cc->in, cc->k,
                      cc->out, cc->s, cc->d, cc->p, cc->act, cc->alpha, cc->beta, threads);
    run_tasks(threads, kk_fconv_pack_task_f32, &p, p.npacks);
    run_tasks(threads, kk_fconv_task_f32, &p, p.ntasks);
    free(scratch);
    free(wp);
}

static void conv_check(const ConvCase *cc, const char *label) {
    int64_t isz = 1, osz = 1, ksz = 1;
    for (int i = 0; i < cc->nsp; i++) {
        isz *= cc->in[i];
        osz *= cc->out[i];
        ksz *= cc->k[i];
    }
    const int64_t xs = cc->n * cc->c * isz, ws = cc->m * (cc->c / cc->group) * ksz, ys = cc->n * cc->m * osz;
    float *x = rand_buf(xs), *w = rand_buf(ws), *b = cc->bias ? rand_buf(cc->m) : NULL;
    float *res = cc->res ? rand_buf(ys) : NULL;
    float *want = malloc((size_t)ys * sizeof(float)), *got = malloc((size_t)ys * sizeof(float));
    float *got2 = malloc((size_t)ys * sizeof(float));
    conv_ref(cc, x, w, b, res, want, ys);
    char what[200];
    for (int ii = 0; ii < 3; ii++) {
        snprintf(what, sizeof what, "%s isa %d", label, ISAS[ii]);
        conv_fast(cc, ISAS[ii], 1, x, w, b, res, got);
        check_close(got, want, ys, (double)(cc->c / cc->group * ksz) + 2.0, what);
        for (int t = 2; t <= 3; t++) {
            conv_fast(cc, ISAS[ii], t, x, w, b, res, got2);
            cr_assert(memcmp(got, got2, (size_t)ys * sizeof(float)) == 0, "%s: %d threads differ from 1", what, t);
        }
    }
    free(x); free(w); free(b); free(res); free(want); free(got); free(got2);
}

Test(kk_fast, conv_pointwise) {
    /* 1x1 stride 1: B is x itself; channel counts around the tile sizes */
    const int64_t cs[] = {1, 3, 8, 17, 64}, ms[] = {1, 5, 6, 8, 9, 33};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (size_t j = 0; j < sizeof ms / sizeof ms[0]; j++) {
            ConvCase cc = {.n = 1, .c = cs[i], .m = ms[j], .group = 1, .nsp = 2, .in = {7, 9}, .k = {1, 1},
                           .s = {1, 1}, .d = {1, 1}, .bias = (int)(j & 1), .res = (int)(i & 1), .act = KK_UN_RELU};
            cr_assert(conv_finish(&cc));
            conv_check(&cc, "pointwise");
        }
}

Test(kk_fast, conv_pointwise_inplace) {
    /* 1x1 with planes of a multiple of 16 floats and K <= 64: full B panels
     * read in place, the narrower tail packed; groups and batch > 1 */
    const int64_t sp[][2] = {{4, 8}, {8, 10}, {16, 12}, {2, 8}, {8, 9}};
    const int64_t cs[] = {1, 7, 16, 64, 66}, ms[] = {3, 8, 13, 40};
    int i = 0;
    for (size_t a = 0; a < sizeof sp / sizeof sp[0]; a++)
        for (size_t b = 0; b < sizeof cs / sizeof cs[0]; b++)
            for (size_t c = 0; c < sizeof ms / sizeof ms[0]; c++, i++) {
                const int64_t group = i % 3 == 0 ? 2 : 1;
                ConvCase cc = {.n = 1 + (i % 4 == 1), .c = cs[b] * group, .m = ms[c] * group, .group = group,
                               .nsp = 2, .in = {sp[a][0], sp[a][1]}, .k = {1, 1}, .s = {1, 1}, .d = {1, 1},
                               .bias = i & 1, .res = (i >> 1) & 1,
                               .act = i % 5 == 0 ? KK_UN_GELU : i % 5 == 1 ? KK_UN_RELU : 0};
                cr_assert(conv_finish(&cc));
                conv_check(&cc, "pointwise in place");
            }
    /* up to 32 output channels (per group) also read B in place for K up to
     * 4 * 64 (MobileNet's project convs): K over 64, at and past 256 */
    const int64_t cs2[] = {96, 144, 256, 257}, ms2[] = {3, 24, 32, 33};
    for (size_t b = 0; b < sizeof cs2 / sizeof cs2[0]; b++)
        for (size_t c = 0; c < sizeof ms2 / sizeof ms2[0]; c++, i++) {
            ConvCase cc = {.n = 1 + (i % 2), .c = cs2[b], .m = ms2[c], .group = 1, .nsp = 2, .in = {8, 10},
                           .k = {1, 1}, .s = {1, 1}, .d = {1, 1}, .bias = i & 1, .res = (i >> 1) & 1,
                           .act = i % 3 == 0 ? KK_UN_CLIP : 0, .alpha = 0.0f, .beta = 6.0f};
            cr_assert(conv_finish(&cc));
            conv_check(&cc, "pointwise in place, long K");
        }
}

Test(kk_fast, conv_deep_k) {
    /* K = 300 * 9 > KC: several K blocks accumulate before the epilogue */
    ConvCase cc = {.n = 1, .c = 300, .m = 20, .group = 1, .nsp = 2, .in = {6, 11}, .k = {3, 3}, .s = {1, 1},
                   .d = {1, 1}, .p = {1, 1, 1, 1}, .bias = 1, .res = 1, .act = KK_UN_CLIP, .alpha = -0.5f, .beta = 0.5f};
    cr_assert(conv_finish(&cc));
    conv_check(&cc, "deep_k");
}

Test(kk_fast, conv_streamed_weights) {
    /* weights over 1 MiB on planes of one column block: B packed whole,
     * each A panel streamed once over all K blocks (with a narrower last
     * row panel, a residual and an activation; 7x7 and 5x3 planes) */
    const int64_t sp[][2] = {{7, 7}, {5, 3}};
    for (int i = 0; i < 2; i++) {
        ConvCase cc = {.n = 1, .c = 130, .m = 300 - 3 * i, .group = 1, .nsp = 2, .in = {sp[i][0], sp[i][1]},
                       .k = {3, 3}, .s = {1, 1}, .d = {1, 1}, .p = {1, 1, 1, 1}, .bias = 1, .res = 1 - i,
                       .act = i ? KK_UN_GELU : KK_UN_RELU};
        cr_assert(conv_finish(&cc));
        cr_assert(cc.m * cc.c * 9 * 4 > 1024 * 1024);
        conv_check(&cc, "streamed weights");
    }
}

Test(kk_fast, conv_random_shapes) {
    const int acts[] = {0, KK_UN_RELU, KK_UN_LEAKY_RELU, KK_UN_SIGMOID, KK_UN_SILU, KK_UN_TANH, KK_UN_HARD_SWISH,
                        KK_UN_CLIP};
    for (int it = 0; it < 120; it++) {
        ConvCase cc;
        memset(&cc, 0, sizeof cc);
        cc.nsp = it % 10 == 0 ? 1 : it % 10 == 1 ? 3 : 2;
        cc.n = rint_in(1, 2);
        cc.group = rint_in(1, 3);
        cc.c = cc.group * rint_in(1, 7);
        cc.m = cc.group * rint_in(1, 13);
        for (int i = 0; i < cc.nsp; i++) {
            cc.in[i] = rint_in(1, cc.nsp == 3 ? 6 : 19);
            cc.k[i] = rint_in(1, 5);
            cc.s[i] = rint_in(1, 3);
            cc.d[i] = rint_in(1, 2);
            cc.p[i] = rint_in(0, 2);
            cc.p[cc.nsp + i] = rint_in(0, 2);
        }
        if (!conv_finish(&cc)) continue;
        cc.bias = (int)(rnd() & 1);
        cc.res = (int)(rnd() & 1);
        cc.act = acts[rnd() % 8];
        cc.alpha = cc.act == KK_UN_CLIP ? -0.3f : 0.1f;
        cc.beta = cc.act == KK_UN_CLIP ? 0.7f : 0.5f;
        if (cc.act == KK_UN_HARD_SWISH) {
            cc.alpha = 1.0f / 6.0f;
            cc.beta = 0.5f;
        }
        char label[64];
        snprintf(label, sizeof label, "random case %d", it);
        conv_check(&cc, label);
    }
}

Test(kk_fast, conv_large_spatial) {
    /* many column panels, a ResNet-like 3x3 stride 2 and a 7x7 stem */
    ConvCase a = {.n = 1, .c = 16, .m = 24, .group = 1, .nsp = 2, .in = {29, 31}, .k = {3, 3}, .s = {2, 2},
                  .d = {1, 1}, .p = {1, 1, 1, 1}, .bias = 1, .act = KK_UN_RELU};
    cr_assert(conv_finish(&a));
    conv_check(&a, "3x3/2");
    ConvCase b = {.n = 1, .c = 3, .m = 16, .group = 1, .nsp = 2, .in = {40, 40}, .k = {7, 7}, .s = {2, 2},
                  .d = {1, 1}, .p = {3, 3, 3, 3}, .bias = 1, .act = KK_UN_RELU};
    cr_assert(conv_finish(&b));
    conv_check(&b, "7x7/2");
    /* stride 2 with output rows longer than a panel (a stem on a larger image), and 1-D */
    ConvCase c = {.n = 1, .c = 3, .m = 10, .group = 1, .nsp = 2, .in = {67, 70}, .k = {7, 7}, .s = {2, 2},
                  .d = {1, 1}, .p = {3, 3, 2, 3}, .bias = 1, .res = 1, .act = KK_UN_RELU};
    cr_assert(conv_finish(&c));
    conv_check(&c, "7x7/2 wide");
    ConvCase e = {.n = 2, .c = 4, .m = 9, .group = 1, .nsp = 1, .in = {150}, .k = {3}, .s = {2}, .d = {2},
                  .p = {1, 2}, .bias = 1};
    cr_assert(conv_finish(&e));
    conv_check(&e, "1-D /2 wide");
}

/* ------------------------------------------------------------------- Gemm */

static void gemm_check(int64_t m, int64_t n, int64_t k, int ta, int tb, int bias, int res, int act) {
    float *a = rand_buf(m * k), *b = rand_buf(k * n), *c = bias ? rand_buf(n) : NULL, *r = res ? rand_buf(m * n) : NULL;
    float *want = malloc((size_t)(m * n) * sizeof(float)), *got = malloc((size_t)(m * n) * sizeof(float));
    float *got2 = malloc((size_t)(m * n) * sizeof(float));
    kk_gemm_f32(a, b, c, want, m, n, k, ta, tb, 1.0f, 1.0f, 1, n);
    kk_epilogue_f32(want, r, m * n, act, 0.2f, 0.0f);
    for (int ii = 0; ii < 3; ii++) {
        kk_fisa kf = get_isa(ISAS[ii]);
        float *bp = malloc((size_t)(k * n) * sizeof(float));
        kk_fpack_cols_f32(b, bp, k, n, tb, kf.nr);
        void *scratch = aligned_alloc(64, (size_t)kk_fgemm_scratch_bytes(ISAS[ii], 3, m, n, k));
        char what[160];
        snprintf(what, sizeof what, "gemm %lldx%lldx%lld ta %d tb %d isa %d", (long long)m, (long long)n,
                 (long long)k, ta, tb, ISAS[ii]);
        for (int t = 1; t <= 3; t++) {
            kk_fgemm_f32 p;
            kk_fgemm_init_f32(&p, kf, a, ta, bp, c, r, t == 1 ? got : got2, scratch, m, n, k, act, 0.2f, 0.0f, t);
            run_tasks(t, kk_fgemm_task_f32, &p, p.ntasks);
            if (t == 1) check_close(got, want, m * n, (double)k + 2.0, what);
            else cr_assert(memcmp(got, got2, (size_t)(m * n) * sizeof(float)) == 0, "%s: %d threads differ", what, t);
        }
        free(scratch);
        free(bp);
    }
    free(a); free(b); free(c); free(r); free(want); free(got); free(got2);
}

Test(kk_fast, gemm_shapes) {
    const int64_t ms[] = {1, 2, 7, 9, 16}, ns[] = {1, 10, 16, 33, 100}, ks[] = {1, 5, 64, 300};
    int i = 0;
    for (size_t a = 0; a < 5; a++)
        for (size_t b = 0; b < 5; b++)
            for (size_t c = 0; c < 4; c++, i++)
                gemm_check(ms[a], ns[b], ks[c], i & 1, (i >> 1) & 1, (i >> 2) & 1, (i % 3) == 0,
                           i % 4 == 0 ? KK_UN_RELU : i % 4 == 1 ? KK_UN_LEAKY_RELU : i % 4 == 2 ? KK_UN_GELU : 0);
    /* one row (matrix-vector products) with long K, and a classifier shape */
    gemm_check(1, 1000, 2048, 0, 1, 1, 0, 0);
    gemm_check(1, 120, 400, 0, 0, 1, 1, KK_UN_RELU);
    gemm_check(1, 47, 1027, 1, 0, 0, 0, KK_UN_SIGMOID);
    gemm_check(17, 70, 513, 0, 0, 1, 0, KK_UN_GELU);
    /* several row chunks of A panels, a tail panel of one row */
    gemm_check(265, 40, 70, 0, 1, 1, 1, KK_UN_RELU);
    gemm_check(300, 9, 300, 1, 0, 0, 0, 0);
}

/* -------------------------------------------------------------- Depthwise */

static void dw_check(int64_t n, int64_t c, int64_t ih, int64_t iw, int64_t k, int64_t s, int64_t d, int64_t pad,
                     int bias, int res, int act) {
    ConvCase cc = {.n = n, .c = c, .m = c, .group = c, .nsp = 2, .in = {ih, iw}, .k = {k, k}, .s = {s, s},
                   .d = {d, d}, .p = {pad, pad, pad, pad}, .bias = bias, .res = res, .act = act,
                   .alpha = act == KK_UN_CLIP ? 0.0f : 0.1f, .beta = act == KK_UN_CLIP ? 6.0f : 0.0f};
    if (!conv_finish(&cc)) return;
    const int64_t xs = n * c * ih * iw, ys = n * c * cc.out[0] * cc.out[1];
    float *x = rand_buf(xs), *w = rand_buf(c * k * k), *b = bias ? rand_buf(c) : NULL, *r = res ? rand_buf(ys) : NULL;
    float *want = malloc((size_t)ys * sizeof(float)), *got = malloc((size_t)ys * sizeof(float));
    float *got2 = malloc((size_t)ys * sizeof(float));
    conv_ref(&cc, x, w, b, r, want, ys);
    for (int ii = 0; ii < 3; ii++) {
        char what[160];
        snprintf(what, sizeof what, "dw %lldx%lld k%lld s%lld d%lld p%lld isa %d", (long long)ih, (long long)iw,
                 (long long)k, (long long)s, (long long)d, (long long)pad, ISAS[ii]);
        for (int t = 1; t <= 2; t++) {
            kk_fdw_f32 p;
            kk_fdw_init_f32(&p, get_isa(ISAS[ii]), x, w, b, r, t == 1 ? got : got2, n, c, 1, cc.in, cc.k, cc.out,
                            cc.s, cc.d, cc.p, act, cc.alpha, cc.beta);
            run_tasks(t, kk_fdw_task_f32, &p, p.ntasks);
        }
        check_close(got, want, ys, (double)(k * k) + 2.0, what);
        cr_assert(memcmp(got, got2, (size_t)ys * sizeof(float)) == 0, "%s: threads differ", what);
    }
    free(x); free(w); free(b); free(r); free(want); free(got); free(got2);
}

Test(kk_fast, depthwise) {
    const int64_t ks[] = {3, 5, 7}, sizes[] = {1, 5, 8, 16, 17, 33, 40};
    int i = 0;
    for (size_t a = 0; a < 3; a++)
        for (int64_t s = 1; s <= 3; s++)
            for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++, i++)
                dw_check(1 + (i % 2), 3 + (i % 5), sizes[(z + 2) % 7], sizes[z], ks[a], s, 1 + (i % 7 == 0),
                         ks[a] / 2 - (i % 3 == 0), i & 1, (i >> 1) & 1,
                         i % 3 == 0 ? KK_UN_RELU : i % 3 == 1 ? KK_UN_SILU : KK_UN_CLIP);
}

/* ---------------------------------------------------------------- MaxPool */

Test(kk_fast, maxpool) {
    for (int it = 0; it < 150; it++) {
        const int64_t n = rint_in(1, 2), c = rint_in(1, 5), in[2] = {rint_in(1, 21), rint_in(1, 40)};
        const int64_t k[2] = {rint_in(1, 4), rint_in(1, 4)}, s[2] = {rint_in(1, 3), rint_in(1, 3)};
        const int64_t d[2] = {rint_in(1, 2), rint_in(1, 2)};
        int64_t pd[4], out[2];
        int ok = 1;
        for (int i = 0; i < 2; i++) {
            pd[i] = rint_in(0, k[i] - 1);
            pd[2 + i] = rint_in(0, k[i] - 1);
            const int64_t span = in[i] + pd[i] + pd[2 + i] - ((k[i] - 1) * d[i] + 1);
            if (span < 0) ok = 0;
            out[i] = span < 0 ? 0 : span / s[i] + 1;
            /* ceil_mode: one more window when it still starts inside input + begin pad */
            if (ok && (it & 1) && span % s[i] && out[i] * s[i] < in[i] + pd[i]) out[i]++;
        }
        if (!ok || !kk_fmaxpool_windows_ok(in[0], k[0], s[0], d[0], pd[0], out[0]) ||
            !kk_fmaxpool_windows_ok(in[1], k[1], s[1], d[1], pd[1], out[1]))
            continue; /* an all-padding window: the reference kernel's case only */
        const int64_t xs = n * c * in[0] * in[1], ys = n * c * out[0] * out[1];
        float *x = rand_buf(xs), *want = malloc((size_t)ys * sizeof(float)), *got = malloc((size_t)ys * sizeof(float));
        kk_maxpool_f32(x, want, NULL, n * c, 2, in, k, out, s, d, pd, 0);
        for (int ii = 0; ii < 3; ii++)
            for (int t = 1; t <= 2; t++) {
                kk_fdw_f32 p;
                kk_fmaxpool_init_f32(&p, get_isa(ISAS[ii]), x, got, n, c, in, k, out, s, d, pd);
                run_tasks(t, kk_fmaxpool_task_f32, &p, p.ntasks);
                cr_assert(memcmp(got, want, (size_t)ys * sizeof(float)) == 0,
                          "maxpool case %d isa %d threads %d: %lldx%lld k %lldx%lld s %lldx%lld differs", it,
                          ISAS[ii], t, (long long)in[0], (long long)in[1], (long long)k[0], (long long)k[1],
                          (long long)s[0], (long long)s[1]);
            }
        free(x); free(want); free(got);
    }
}

/* ---------------------------------------------------------------- packing */

Test(kk_fast, pack_layouts) {
    /* 2 groups of 5 rows x 3 columns into panels of 4: rows 0-3 then row 4 */
    float w[30], p[30];
    for (int i = 0; i < 30; i++) w[i] = (float)i;
    kk_fpack_rows_f32(w, p, 2, 5, 3, 4);
    const float want[15] = {0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11, 12, 13, 14};
    for (int i = 0; i < 15; i++) cr_assert_eq(p[i], want[i], "[%d] = %g", i, p[i]);
    cr_assert_eq(p[15], 15.0f);
    /* B 2x3 into column panels of 2: columns 0-1 then column 2 */
    const float b[6] = {0, 1, 2, 3, 4, 5}, bt[6] = {0, 3, 1, 4, 2, 5};
    float q[6], q2[6];
    kk_fpack_cols_f32(b, q, 2, 3, 0, 2);
    kk_fpack_cols_f32(bt, q2, 2, 3, 1, 2);
    const float wantb[6] = {0, 1, 3, 4, 2, 5};
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(q[i], wantb[i]);
        cr_assert_eq(q2[i], wantb[i]);
    }
    /* scratch: 64-byte multiples, one slot per thread that can get a task */
    cr_assert_eq(kk_fgemm_scratch_bytes(KK_ISA_AVX512, 2, 100, 100, 1000) % 64, 0);
    /* 100 rows: 13 A panels of 256 x 8 and a B panel of 256 x 32 per slot */
    cr_assert_eq(kk_fgemm_scratch_bytes(KK_ISA_AVX512, 2, 100, 100, 1000), 2 * 256 * (13 * 8 + 32) * 4);
    /* 1000 rows: A panels of a chunk of 32 */
    cr_assert_eq(kk_fgemm_scratch_bytes(KK_ISA_AVX512, 1, 1000, 100, 1000), 256 * (32 * 8 + 32) * 4);
    /* one task: one slot of kc = 7 rows of (8 + 32) floats, rounded up to 16 floats */
    cr_assert_eq(kk_fgemm_scratch_bytes(KK_ISA_AVX512, 16, 1, 10, 7), (int64_t)sizeof(float) * 288);
    /* one task, kc = 9, one B panel of 16 and an A panel of 6: 198 -> 208 floats */
    cr_assert_eq(kk_fconv_scratch_bytes(KK_ISA_AVX2, 1, 1, 1, 6, 9, 10), (int64_t)sizeof(float) * 208);
    /* 4 threads could share the packed B: one region of 9 x 16 and 4 A tails of 9 x 6 */
    cr_assert_eq(kk_fconv_scratch_bytes(KK_ISA_AVX2, 4, 1, 1, 6, 9, 10), (int64_t)sizeof(float) * 368);
    /* 3 x 100 column blocks of 64 x 2 row panels = 12 tasks: all 4 slots, 4 B panels each */
    cr_assert_eq(kk_fconv_scratch_bytes(KK_ISA_AVX2, 4, 3, 1, 12, 300, 100),
                 4 * (int64_t)sizeof(float) * 256 * (6 + 4 * 16));
}
