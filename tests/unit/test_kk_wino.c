/*
 * test_kk_wino.c - the Winograd convolution (kernels/fast/wino.c) against
 * the reference conv kernel (kernels/ref/conv.c): F(2x2,3x3) and
 * F(4x4,3x3), sizes that are not multiples of the tile, symmetric and
 * asymmetric pads, channel counts that are not multiples of the vector
 * width or of the row panel, more than KC input channels, several images,
 * groups of tile panels sharing a filter transform too big for L2,
 * bias / residual / activation, every panel geometry (the x86 ones fall
 * back to plain C kernels on a CPU without the instruction set), and
 * results bit-identical for 1, 2 and 3 threads.
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
#include "fast/kk_wino.h"
#include "kk.h"
#include "fast_test.h"



typedef struct WCase {
    int tm;
    int64_t n, c, m, in[2], out[2], p[4];
    int bias, res, act;
    float alpha, beta;
} WCase;

static void wino_run(const WCase *wc, int isa, int threads, const float *x, const float *w, const float *b,
                     const float *res, float *y) {
    const kk_fisa k = get_isa(isa);
    const int64_t tt = (wc->tm + 2) * (wc->tm + 2);
    float *u = malloc((size_t)(tt * wc->m * wc->c) * sizeof(float));
    kk_fwino_weights_f32(w, u, wc->m, wc->c, wc->tm, k.mr);
    const int64_t bytes =
        kk_fwino_scratch_bytes(isa, threads, wc->tm, wc->n, wc->c, wc->m, wc->out[0], wc->out[1]);
    cr_assert(bytes % 64 == 0);
    void *scratch = aligned_alloc(64, (size_t)bytes);
    kk_fwino_f32 p;
    kk_fwino_init_f32(&p, k, wc->tm, x, u, b, res, y, scratch, wc->n, wc->c, wc->m, wc->in, wc->out, wc->p, wc->act,
                      wc->alpha, wc->beta, threads);
    run_tasks(threads, kk_fwino_task_f32, &p, p.ntasks);
    free(scratch);
    free(u);
}

/* Returns the largest error relative to 1 + the output's scale. */
static double wino_check(WCase *wc, const char *label) {
    cr_assert(kk_fwino_tile_ok(wc->tm));
    for (int i = 0; i < 2; i++) wc->out[i] = wc->in[i] + wc->p[i] + wc->p[2 + i] - 2;
    const int64_t k[2] = {3, 3}, s[2] = {1, 1}, dl[2] = {1, 1};
    const int64_t xs = wc->n * wc->c * wc->in[0] * wc->in[1], ws = wc->m * wc->c * 9;
    const int64_t ys = wc->n * wc->m * wc->out[0] * wc->out[1];
    float *x = rand_buf(xs), *w = rand_buf(ws), *b = wc->bias ? rand_buf(wc->m) : NULL;
    float *res = wc->res ? rand_buf(ys) : NULL;
    float *want = malloc((size_t)ys * sizeof(float)), *got = malloc((size_t)ys * sizeof(float));
    float *got2 = malloc((size_t)ys * sizeof(float));
    kk_conv_f32(x, w, b, want, wc->n, wc->c, wc->m, 1, 2, wc->in, k, wc->out, s, dl, wc->p);
    if (res || wc->act) kk_epilogue_f32(want, res, ys, wc->act, wc->alpha, wc->beta);
    /* F(4x4,3x3) loses a few bits to its +-2, +-1/2 points: the bound is
     * relative to the sum of |terms| (at most 9 C), as the model tests'
     * tolerance is to each tensor's scale */
    const double scale = 9.0 * (double)wc->c + 2.0, tol = wc->tm == 4 ? 2e-6 : 1e-6;
    double worst = 0.0;
    char what[200];
    for (int ii = 0; ii < 3; ii++) {
        snprintf(what, sizeof what, "%s F(%d) isa %d", label, wc->tm, ISAS[ii]);
        wino_run(wc, ISAS[ii], 1, x, w, b, res, got);
        for (int64_t i = 0; i < ys; i++) {
            const double e = fabs((double)got[i] - (double)want[i]) / scale;
            if (!(e <= tol))
                cr_assert_fail("%s: [%lld] = %.8g, expected %.8g", what, (long long)i, got[i], want[i]);
            if (e > worst) worst = e;
        }
        for (int t = 2; t <= 3; t++) {
            wino_run(wc, ISAS[ii], t, x, w, b, res, got2);
            cr_assert(memcmp(got, got2, (size_t)ys * sizeof(float)) == 0, "%s: %d threads differ from 1", what, t);
        }
    }
    free(x); free(w); free(b); free(res); free(want); free(got); free(got2);
    return worst;
}

Test(kk_wino, channels_around_panels) {
    const int64_t cs[] = {1, 3, 8, 17}, ms[] = {1, 5, 8, 9, 33};
    for (int tm = 2; tm <= 4; tm += 2)
        for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
            for (size_t j = 0; j < sizeof ms / sizeof ms[0]; j++) {
                WCase wc = {.tm = tm, .n = 1, .c = cs[i], .m = ms[j], .in = {9, 11}, .p = {1, 1, 1, 1},
                            .bias = (int)(j & 1), .res = (int)(i & 1), .act = KK_UN_RELU};
                wino_check(&wc, "channels");
            }
}

Test(kk_wino, odd_sizes_and_pads) {
    /* output sizes that are not tile multiples, pads 0, 1, asymmetric and
     * wider than the kernel, inputs smaller than a tile */
    const int64_t sizes[][2] = {{3, 3}, {4, 5}, {7, 6}, {13, 17}, {1, 30}, {30, 2}};
    const int64_t pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 1, 1, 0}, {2, 0, 1, 3}};
    for (int tm = 2; tm <= 4; tm += 2)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            for (size_t j = 0; j < sizeof pads / sizeof pads[0]; j++) {
                WCase wc = {.tm = tm, .n = 1, .c = 5, .m = 7, .in = {sizes[i][0], sizes[i][1]}, .bias = 1};
                memcpy(wc.p, pads[j], sizeof wc.p);
                if (wc.in[0] + wc.p[0] + wc.p[2] < 3 || wc.in[1] + wc.p[1] + wc.p[3] < 3) continue;
                wino_check(&wc, "odd");
            }
}

Test(kk_wino, batch_deep_k_epilogues) {
    /* C > KC (several K blocks), several images whose tiles share panels */
    const int acts[] = {0, KK_UN_RELU, KK_UN_CLIP, KK_UN_LEAKY_RELU, KK_UN_SIGMOID, KK_UN_SILU};
    for (int tm = 2; tm <= 4; tm += 2)
        for (int a = 0; a < 6; a++) {
            WCase wc = {.tm = tm, .n = 1 + a % 3, .c = a == 1 ? 300 : 6 + a, .m = 3 + 5 * a, .in = {10, 7},
                        .p = {1, 1, 1, 1}, .bias = a & 1, .res = (a >> 1) & 1, .act = acts[a],
                        .alpha = acts[a] == KK_UN_CLIP ? -0.3f : 0.1f, .beta = acts[a] == KK_UN_CLIP ? 0.7f : 0.5f};
            wino_check(&wc, "batch");
        }
}

Test(kk_wino, random_shapes) {
    for (int it = 0; it < 40; it++) {
        WCase wc;
        memset(&wc, 0, sizeof wc);
        wc.tm = it & 1 ? 4 : 2;
        wc.n = rint_in(1, 2);
        wc.c = rint_in(1, 40);
        wc.m = rint_in(1, 40);
        for (int i = 0; i < 2; i++) wc.in[i] = rint_in(3, 26);
        for (int i = 0; i < 4; i++) wc.p[i] = rint_in(0, 2);
        wc.bias = (int)(rnd() & 1);
        wc.res = (int)(rnd() & 1);
        wc.act = rnd() & 1 ? KK_UN_RELU : 0;
        char label[64];
        snprintf(label, sizeof label, "random case %d", it);
        wino_check(&wc, label);
    }
}

Test(kk_wino, panel_groups) {
    /* a filter transform too big for L2 (F(2x2), 160 -> 160: 1.6 MiB): a
     * task sweeps a group of tile panels per U panel; 2 images of 13 x 15
     * tiles give groups that end in a partial one, and partial panels */
    WCase wc = {.tm = 2, .n = 2, .c = 160, .m = 160, .in = {26, 30}, .p = {1, 1, 1, 1}, .bias = 1, .res = 1,
                .act = KK_UN_RELU};
    wino_check(&wc, "groups");
}

Test(kk_wino, resnet_like_accuracy) {
    /* a ResNet-18 stage-1 layer: report the error F(4x4) makes */
    WCase wc = {.tm = 4, .n = 1, .c = 64, .m = 64, .in = {56, 56}, .p = {1, 1, 1, 1}, .bias = 1};
    double e4 = wino_check(&wc, "resnet");
    wc.tm = 2;
    double e2 = wino_check(&wc, "resnet");
    cr_log_info("max error / (9C + 2): F(4x4) %.3g, F(2x2) %.3g", e4, e2);
}
