/*
 * test_kk_dw.c - the depthwise and average pooling planes of the fast path
 * (kernels/fast/dw_x86.c, kernels/fast/fast.c) against the reference
 * kernels: 3x3 / 5x5 / 7x7 (register-blocked) and other filters, strides 1
 * to 3, pads, dilations, odd widths, channel counts that are not multiples
 * of the vector width, batches, residual and activations, every panel
 * geometry (portable, AVX2, AVX-512; the x86 ones fall back to plain C on a
 * CPU without the instruction set), and 1 vs 3 threads bit-identical.
 * AveragePool is bit-identical to the reference kernel. Small planes with
 * many channels (channel blocks across the lanes) also match the row
 * kernels bit for bit.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast/kk_dw_x86.h"
#include "fast/kk_fast.h"
#include "fast/kk_fast_x86.h"
#include "fast/kk_pool.h"
#include "kk.h"
#include "fast_test.h"


/* ------------------------------------------------------------- depthwise */

typedef struct DwCase {
    int64_t n, c, in[2], k[2], s[2], d[2], p[4], out[2];
    int64_t mult; /* output channels per input channel (0: 1) */
    int bias, res, act;
    float alpha, beta;
} DwCase;

/* Output size from the rest; 0 when the filter does not fit. */
static int dw_finish(DwCase *t) {
    for (int i = 0; i < 2; i++) {
        const int64_t span = t->in[i] + t->p[i] + t->p[2 + i] - ((t->k[i] - 1) * t->d[i] + 1);
        if (span < 0) return 0;
        t->out[i] = span / t->s[i] + 1;
    }
    return 1;
}

static void dw_check(const DwCase *t, const char *label) {
    const int64_t mult = t->mult > 1 ? t->mult : 1, m = t->c * mult;
    const int64_t xs = t->n * t->c * t->in[0] * t->in[1], ys = t->n * m * t->out[0] * t->out[1];
    const int64_t ks = t->k[0] * t->k[1];
    float *x = rand_buf(xs), *w = rand_buf(m * ks), *b = t->bias ? rand_buf(m) : NULL;
    float *r = t->res ? rand_buf(ys) : NULL;
    float *want = malloc((size_t)ys * sizeof(float)), *got = malloc((size_t)ys * sizeof(float));
    float *got3 = malloc((size_t)ys * sizeof(float));
    kk_conv_f32(x, w, b, want, t->n, t->c, m, t->c, 2, t->in, t->k, t->out, t->s, t->d, t->p);
    if (r || t->act) kk_epilogue_f32(want, r, ys, t->act, t->alpha, t->beta);
    for (int ii = 0; ii < 3; ii++) {
        kk_fdw_f32 p;
        kk_fdw_init_f32(&p, get_isa(ISAS[ii]), x, w, b, r, got, t->n, t->c, mult, t->in, t->k, t->out, t->s, t->d,
                        t->p, t->act, t->alpha, t->beta);
        cr_assert(p.ntasks == t->n * m || (mult == 1 && p.cblk), "%s: %lld tasks", label, (long long)p.ntasks);
        run_tasks(1, kk_fdw_task_f32, &p, p.ntasks);
        p.y = got3;
        run_tasks(3, kk_fdw_task_f32, &p, p.ntasks);
        for (int64_t i = 0; i < ys; i++) {
            const double e = fabs((double)got[i] - (double)want[i]);
            if (!(e <= 2e-6 * (3.0 + (double)ks) + 2e-6 * fabs((double)want[i])))
                cr_assert_fail("%s isa %d: [%lld] = %.8g, expected %.8g", label, ISAS[ii], (long long)i, got[i],
                               want[i]);
        }
        cr_assert(memcmp(got, got3, (size_t)ys * sizeof(float)) == 0, "%s isa %d: 3 threads differ from 1", label,
                  ISAS[ii]);
    }
    free(x); free(w); free(b); free(r); free(want); free(got); free(got3);
}

static const int DW_ACTS[] = {0, KK_UN_RELU, KK_UN_CLIP, KK_UN_SILU, KK_UN_SIGMOID, KK_UN_TANH,
                              KK_UN_LEAKY_RELU, KK_UN_HARD_SWISH, KK_UN_HARD_SIGMOID, KK_UN_ELU, KK_UN_SWISH};

static void dw_act_params(DwCase *t) {
    t->alpha = t->act == KK_UN_CLIP ? -0.5f : t->act == KK_UN_HARD_SWISH || t->act == KK_UN_HARD_SIGMOID ? 1.0f / 6
                                                                                                           : 0.1f;
    t->beta = t->act == KK_UN_CLIP ? 0.75f : 0.5f;
}

/* The blocked filters: every (k, stride) with "same" and odd pads, widths
 * around the vector widths, heights around the 4-row block. */
Test(kk_dw, blocked_filters) {
    const int64_t widths[] = {1, 3, 7, 8, 9, 14, 16, 17, 24, 31, 32, 33, 56, 71};
    const int64_t heights[] = {1, 3, 4, 5, 7, 9, 14};
    int i = 0;
    for (int64_t k = 3; k <= 7; k += 2)
        for (int64_t s = 1; s <= 2; s++)
            for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++, i++) {
                DwCase t = {0};
                t.n = 1 + (i % 4 == 0);
                t.c = 1 + i % 19;
                t.in[0] = heights[i % 7] * s + (i % 2);
                t.in[1] = widths[wi] * s + (i % 3 == 0);
                t.k[0] = t.k[1] = k;
                t.s[0] = t.s[1] = s;
                t.d[0] = t.d[1] = 1;
                t.p[0] = t.p[1] = t.p[2] = t.p[3] = k / 2;
                if (i % 5 == 1) t.p[1] = 0, t.p[2] = k - 1; /* asymmetric */
                t.bias = i % 3 != 2;
                t.res = i % 4 == 1;
                t.act = DW_ACTS[i % 11];
                dw_act_params(&t);
                if (!dw_finish(&t)) continue;
                char label[160];
                snprintf(label, sizeof label, "dw %lldx%lld k%lld s%lld n%lld c%lld act %d", (long long)t.in[0],
                         (long long)t.in[1], (long long)k, (long long)s, (long long)t.n, (long long)t.c, t.act);
                dw_check(&t, label);
            }
}

/* Any other geometry: non-square filters, dilations, strides 1..3 (and
 * different per axis), pads up to the filter size. */
Test(kk_dw, random_geometry) {
    for (int it = 0; it < 160; it++) {
        DwCase t = {0};
        t.n = rint_in(1, 2);
        t.c = rint_in(1, 21);
        for (int a = 0; a < 2; a++) {
            t.in[a] = rint_in(1, a ? 45 : 20);
            t.k[a] = rint_in(1, 7);
            t.s[a] = rint_in(1, 3);
            t.d[a] = rint_in(1, 2);
            t.p[a] = rint_in(0, t.k[a]);
            t.p[2 + a] = rint_in(0, t.k[a]);
        }
        if (it % 3 == 0) { /* square, equal strides: the blocked kernels when 3/5/7 */
            t.k[1] = t.k[0] = 3 + 2 * (it % 3);
            t.s[1] = t.s[0];
            t.d[0] = t.d[1] = 1;
        }
        t.bias = it % 2;
        t.res = it % 3 == 1;
        t.act = DW_ACTS[it % 11];
        dw_act_params(&t);
        if (!dw_finish(&t)) continue;
        char label[200];
        snprintf(label, sizeof label, "dw case %d: %lldx%lld k %lldx%lld s %lldx%lld d %lldx%lld", it,
                 (long long)t.in[0], (long long)t.in[1], (long long)t.k[0], (long long)t.k[1], (long long)t.s[0],
                 (long long)t.s[1], (long long)t.d[0], (long long)t.d[1]);
        dw_check(&t, label);
    }
}

/* A depthwise multiplier (M = mult * C, output channel m reads input
 * channel m / mult), including a one-channel input (LeNet's 6<-1 5x5) and
 * small planes, where mult 1 would run channel blocks. */
Test(kk_dw, multiplier) {
    for (int it = 0; it < 48; it++) {
        DwCase t = {0};
        t.n = 1 + (it % 5 == 0);
        t.c = it % 3 == 0 ? 1 : rint_in(1, 5);
        t.mult = rint_in(2, 7);
        const int64_t k = it % 4 == 3 ? rint_in(1, 6) : 3 + 2 * (it % 3);
        for (int a = 0; a < 2; a++) {
            t.in[a] = rint_in(k, a ? 40 : 18);
            t.k[a] = k;
            t.s[a] = 1 + (it % 6 == 4);
            t.d[a] = 1;
            t.p[a] = t.p[2 + a] = it % 2 ? k / 2 : 0;
        }
        t.bias = it % 3 != 1;
        t.res = it % 4 == 1;
        t.act = DW_ACTS[it % 11];
        dw_act_params(&t);
        if (!dw_finish(&t)) continue;
        char label[200];
        snprintf(label, sizeof label, "dw mult %lld case %d: c %lld %lldx%lld k %lld s %lld", (long long)t.mult, it,
                 (long long)t.c, (long long)t.in[0], (long long)t.in[1], (long long)k, (long long)t.s[0]);
        dw_check(&t, label);
    }
    DwCase l = {.n = 1, .c = 1, .mult = 6, .in = {32, 32}, .k = {5, 5}, .s = {1, 1}, .d = {1, 1}, .bias = 1,
                .act = KK_UN_TANH};
    cr_assert(dw_finish(&l));
    dw_check(&l, "LeNet 6<-1 5x5");
}

/* Rows wider than the stack ring: the plain C plane. */
Test(kk_dw, wide_rows) {
    DwCase t = {.n = 1, .c = 2, .in = {5, 3000}, .k = {3, 3}, .s = {1, 1}, .d = {1, 1}, .p = {1, 1, 1, 1},
                .bias = 1, .res = 1, .act = KK_UN_RELU};
    cr_assert(dw_finish(&t));
    dw_check(&t, "wide 3x3");
    DwCase u = {.n = 1, .c = 3, .in = {9, 700}, .k = {5, 5}, .s = {2, 2}, .d = {1, 1}, .p = {2, 2, 2, 2},
                .bias = 1, .act = KK_UN_SILU};
    cr_assert(dw_finish(&u));
    dw_check(&u, "wide 5x5 s2");
}

/* ------------------------------------------------ depthwise channel blocks */

/* Activations whose vector forms give the same bits at every vector width
 * (no reciprocal estimate), so the channel blocks match the row kernels. */
static int dw_exact_act(int act) {
    return act != KK_UN_SIGMOID && act != KK_UN_SILU && act != KK_UN_SWISH && act != KK_UN_TANH;
}

/* Small planes with many channels (channel blocks across the vector lanes)
 * against the reference, 1 vs 2 vs 3 threads bit-identical, and against
 * the one-plane-per-task row kernels (p.cblk = 0) bit-identical where the
 * activation is exact; with NaN inputs (with_nan) only the last two. */
static void dw_check_blocks(const DwCase *t, const char *label, int with_nan) {
    const int64_t xs = t->n * t->c * t->in[0] * t->in[1], ys = t->n * t->c * t->out[0] * t->out[1];
    const int64_t ks = t->k[0] * t->k[1];
    float *x = rand_buf(xs), *w = rand_buf(t->c * ks), *b = t->bias ? rand_buf(t->c) : NULL;
    float *r = t->res ? rand_buf(ys) : NULL;
    if (with_nan)
        for (int64_t i = 0; i < xs; i += 37) x[i] = NAN;
    float *want = malloc((size_t)ys * sizeof(float)), *got[4];
    for (int i = 0; i < 4; i++) got[i] = malloc((size_t)ys * sizeof(float));
    kk_conv_f32(x, w, b, want, t->n, t->c, t->c, t->c, 2, t->in, t->k, t->out, t->s, t->d, t->p);
    if (r || t->act) kk_epilogue_f32(want, r, ys, t->act, t->alpha, t->beta);
    for (int ii = 1; ii < 3; ii++) {
        const kk_fisa k = get_isa(ISAS[ii]);
        kk_fdw_f32 p;
        kk_fdw_init_f32(&p, k, x, w, b, r, got[0], t->n, t->c, 1, t->in, t->k, t->out, t->s, t->d, t->p, t->act,
                        t->alpha, t->beta);
        if (k.dw == kk_fdw_plane_c) {
            cr_assert(p.cblk == 0, "%s: channel blocks without vector kernels", label);
        } else {
            cr_assert(p.cblk == (ISAS[ii] == KK_ISA_AVX512 ? 16 : 8), "%s isa %d: no channel blocks", label,
                      ISAS[ii]);
            cr_assert(p.ntasks == t->n * ((t->c + p.cblk - 1) / p.cblk));
        }
        run_tasks(1, kk_fdw_task_f32, &p, p.ntasks);
        for (int th = 2; th <= 3; th++) {
            p.y = got[th - 1];
            run_tasks(th, kk_fdw_task_f32, &p, p.ntasks);
            cr_assert(memcmp(got[0], got[th - 1], (size_t)ys * sizeof(float)) == 0,
                      "%s isa %d: %d threads differ from 1", label, ISAS[ii], th);
        }
        if (!with_nan)
            for (int64_t i = 0; i < ys; i++) {
                const double e = fabs((double)got[0][i] - (double)want[i]);
                if (!(e <= 2e-6 * (3.0 + (double)ks) + 2e-6 * fabs((double)want[i])))
                    cr_assert_fail("%s isa %d: [%lld] = %.8g, expected %.8g", label, ISAS[ii], (long long)i,
                                   got[0][i], want[i]);
            }
        if (!p.cblk || !dw_exact_act(t->act)) continue;
        p.cblk = 0; /* the row kernels, a plane per task */
        p.ntasks = t->n * t->c;
        p.y = got[3];
        run_tasks(2, kk_fdw_task_f32, &p, p.ntasks);
        for (int64_t i = 0; i < ys; i++)
            if (memcmp(&got[0][i], &got[3][i], sizeof(float)) != 0)
                cr_assert_fail("%s isa %d: [%lld] = %.9g, the row kernel %.9g", label, ISAS[ii], (long long)i,
                               got[0][i], got[3][i]);
    }
    free(x); free(w); free(b); free(r); free(want);
    for (int i = 0; i < 4; i++) free(got[i]);
}

/* EfficientNet / MobileNet shapes and channel counts that are not
 * multiples of 8 or 16. */
Test(kk_dw, channel_blocks_models) {
    static const struct { int64_t c, h, k, s; } cases[] = {
        {672, 14, 5, 1}, {1152, 7, 5, 1}, {672, 14, 5, 2}, {480, 14, 3, 1}, {960, 7, 3, 1}, {576, 14, 3, 2},
        {240, 28, 5, 2}, {192, 28, 3, 2}, {33, 14, 7, 1},  {17, 7, 7, 2},   {9, 20, 3, 1},  {23, 9, 5, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        DwCase t = {0};
        t.n = i % 4 == 3 ? 2 : 1;
        t.c = cases[i].c;
        t.in[0] = t.in[1] = cases[i].h;
        t.k[0] = t.k[1] = cases[i].k;
        t.s[0] = t.s[1] = cases[i].s;
        t.d[0] = t.d[1] = 1;
        t.p[0] = t.p[1] = t.p[2] = t.p[3] = cases[i].k / 2;
        t.bias = i % 3 != 1;
        t.res = i % 5 == 2;
        t.act = DW_ACTS[i % 11];
        dw_act_params(&t);
        cr_assert(dw_finish(&t));
        char label[160];
        snprintf(label, sizeof label, "blocks c%lld %lldx%lld k%lld s%lld act %d", (long long)t.c,
                 (long long)t.in[0], (long long)t.in[1], (long long)t.k[0], (long long)t.s[0], t.act);
        dw_check_blocks(&t, label, 0);
        if (i % 4 == 0) dw_check_blocks(&t, label, 1);
    }
}

/* Random small geometries: non-square filters, dilations, strides (rows up
 * to 3), asymmetric pads, odd channel counts, batches. */
Test(kk_dw, channel_blocks_random) {
    for (int it = 0; it < 200; it++) {
        DwCase t = {0};
        t.n = rint_in(1, 2);
        t.c = rint_in(2, 40);
        for (int a = 0; a < 2; a++) {
            t.in[a] = rint_in(1, 16);
            t.k[a] = rint_in(1, 7);
            t.s[a] = rint_in(1, a ? 2 : 3);
            t.d[a] = it % 4 == 3 ? rint_in(1, 2) : 1;
            t.p[a] = rint_in(0, t.k[a] - 1);
            t.p[2 + a] = rint_in(0, t.k[a] - 1);
        }
        if (it % 2 == 0) { /* square, equal strides: the register-blocked rows when 3 / 5 / 7 */
            t.k[0] = t.k[1] = 3 + 2 * (it / 2 % 3);
            t.s[0] = t.s[1] = 1 + it / 6 % 2;
            t.d[0] = 1;
            t.d[1] = 1;
            t.p[0] = t.p[1] = t.p[2] = t.p[3] = t.k[0] / 2;
            t.in[0] = rint_in(t.k[0], 20);
            t.in[1] = rint_in(t.k[0], 20);
        }
        t.bias = it % 3 != 0;
        t.res = it % 4 == 1;
        t.act = DW_ACTS[it % 11];
        dw_act_params(&t);
        if (!dw_finish(&t)) continue;
        if (!kk_fdw_cblock(get_isa(KK_ISA_AVX512), t.c, t.in[0], t.in[1], t.k[0], t.k[1], t.out[0], t.out[1],
                           t.s[0], t.s[1], t.d[0], t.d[1], t.p[0], t.p[1]) &&
            get_isa(KK_ISA_AVX512).dw != kk_fdw_plane_c)
            continue; /* too large for a block: covered by the row kernel tests */
        char label[200];
        snprintf(label, sizeof label, "blocks case %d: n%lld c%lld %lldx%lld k %lldx%lld s %lldx%lld d %lldx%lld", it,
                 (long long)t.n, (long long)t.c, (long long)t.in[0], (long long)t.in[1], (long long)t.k[0],
                 (long long)t.k[1], (long long)t.s[0], (long long)t.s[1], (long long)t.d[0], (long long)t.d[1]);
        dw_check_blocks(&t, label, it % 10 == 5);
    }
}

/* Planes or channel counts that keep the one-plane tasks. */
Test(kk_dw, channel_blocks_limits) {
    const kk_fisa k = get_isa(KK_ISA_AVX512);
    if (k.dw == kk_fdw_plane_c) return;
    /* 21 x 20 outputs: above KK_FDW_CB_PLANE */
    cr_assert(kk_fdw_cblock(k, 64, 21, 20, 3, 3, 21, 20, 1, 1, 1, 1, 1, 1) == 0);
    cr_assert(kk_fdw_cblock(k, 64, 20, 20, 3, 3, 20, 20, 1, 1, 1, 1, 1, 1) == 16);
    /* stride 3 along the rows, one channel, 9x10 filter taps (above KK_FDW_CB_TAPS) */
    cr_assert(kk_fdw_cblock(k, 64, 14, 14, 3, 3, 4, 4, 3, 3, 1, 1, 0, 0) == 0);
    cr_assert(kk_fdw_cblock(k, 1, 14, 14, 3, 3, 12, 12, 1, 1, 1, 1, 0, 0) == 0);
    cr_assert(kk_fdw_cblock(k, 64, 12, 12, 9, 10, 4, 3, 1, 1, 1, 1, 0, 0) == 0);
    /* the portable kernels never block */
    cr_assert(kk_fdw_cblock(kk_fisa_portable(KK_ISA_AVX512), 64, 7, 7, 3, 3, 7, 7, 1, 1, 1, 1, 1, 1) == 0);
}

/* ----------------------------------------------------------- AveragePool */

static int AVG_LEVELS[3] = {KK_ISA_PORTABLE, KK_ISA_AVX2, KK_ISA_AVX512};

Test(kk_dw, avgpool) {
    for (int it = 0; it < 220; it++) {
        const int64_t n = rint_in(1, 2), c = rint_in(1, 7);
        int64_t in[2], k[2], s[2], d[2], pd[4], out[2];
        int ok = 1;
        for (int a = 0; a < 2; a++) {
            in[a] = rint_in(1, a ? 50 : 20);
            k[a] = rint_in(1, 5);
            s[a] = rint_in(1, 3);
            d[a] = it % 4 == 3 ? rint_in(1, 2) : 1;
            pd[a] = rint_in(0, k[a] - 1);
            pd[2 + a] = rint_in(0, k[a] - 1);
            if (it % 7 == 0) pd[2 + a] = rint_in(0, k[a] + 1); /* an end pad beyond the window: all-padding windows */
            const int64_t span = in[a] + pd[a] + pd[2 + a] - ((k[a] - 1) * d[a] + 1);
            if (span < 0) ok = 0;
            out[a] = span < 0 ? 0 : span / s[a] + 1;
            if (ok && (it & 1) && span % s[a] && out[a] * s[a] < in[a] + pd[a]) out[a]++; /* ceil_mode */
        }
        if (!ok) continue;
        if (it % 11 == 0) { /* LeNet's 2x2 stride 2 */
            k[0] = k[1] = s[0] = s[1] = 2;
            d[0] = d[1] = 1;
            pd[0] = pd[1] = pd[2] = pd[3] = 0;
            out[0] = in[0] / 2;
            out[1] = in[1] / 2;
            if (!out[0] || !out[1]) continue;
        }
        const int cip = (it >> 1) & 1;
        const int64_t xs = n * c * in[0] * in[1], ys = n * c * out[0] * out[1];
        float *x = rand_buf(xs), *want = malloc((size_t)ys * sizeof(float));
        float *got = malloc((size_t)ys * sizeof(float)), *got3 = malloc((size_t)ys * sizeof(float));
        kk_avgpool_f32(x, want, n * c, 2, in, k, out, s, d, pd, cip);
        for (int ii = 0; ii < 3; ii++) {
            kk_favg_f32 p;
            kk_favgpool_init_f32(&p, AVG_LEVELS[ii], x, got, n, c, in, k, out, s, d, pd, cip);
            run_tasks(1, kk_favg_task_f32, &p, p.ntasks);
            p.y = got3;
            run_tasks(3, kk_favg_task_f32, &p, p.ntasks);
            for (int64_t i = 0; i < ys; i++)
                if (memcmp(&got[i], &want[i], sizeof(float)) != 0)
                    cr_assert_fail("avgpool case %d isa %d: %lldx%lld k %lldx%lld s %lldx%lld d %lldx%lld pads "
                                   "%lld %lld %lld %lld cip %d: [%lld] = %.9g, expected %.9g",
                                   it, AVG_LEVELS[ii], (long long)in[0], (long long)in[1], (long long)k[0],
                                   (long long)k[1], (long long)s[0], (long long)s[1], (long long)d[0],
                                   (long long)d[1], (long long)pd[0], (long long)pd[1], (long long)pd[2],
                                   (long long)pd[3], cip, (long long)i, got[i], want[i]);
            cr_assert(memcmp(got, got3, (size_t)ys * sizeof(float)) == 0, "avgpool case %d: threads differ", it);
        }
        free(x); free(want); free(got); free(got3);
    }
}

Test(kk_dw, global_avgpool) {
    const int64_t planes[] = {1, 2, 7, 15, 16, 17, 49, 63, 64, 65, 196, 3136, 12544};
    for (size_t pi = 0; pi < sizeof planes / sizeof planes[0]; pi++) {
        const int64_t plane = planes[pi], nc = 1 + (int64_t)(pi * 7 % 40);
        float *x = rand_buf(nc * plane), *want = malloc((size_t)nc * sizeof(float));
        float *got = malloc((size_t)nc * sizeof(float)), *got3 = malloc((size_t)nc * sizeof(float));
        kk_global_avgpool_f32(x, want, nc, plane);
        for (int ii = 0; ii < 3; ii++) {
            kk_favg_f32 p;
            kk_fgavgpool_init_f32(&p, AVG_LEVELS[ii], x, got, nc, plane);
            run_tasks(1, kk_favg_task_f32, &p, p.ntasks);
            p.y = got3;
            run_tasks(3, kk_favg_task_f32, &p, p.ntasks);
            for (int64_t i = 0; i < nc; i++)
                cr_assert(fabs((double)got[i] - (double)want[i]) <= 1e-6 * (1.0 + sqrt((double)plane)),
                          "gap plane %lld isa %d: [%lld] = %.9g, expected %.9g", (long long)plane, AVG_LEVELS[ii],
                          (long long)i, got[i], want[i]);
            cr_assert(memcmp(got, got3, (size_t)nc * sizeof(float)) == 0, "gap plane %lld: threads differ",
                      (long long)plane);
        }
        free(x); free(want); free(got); free(got3);
    }
}

/* AveragePool 2x2 stride 2 without padding (kk_dwx_avg22_*, no ring): row
 * widths 1..40 (one to three vectors, a dropped odd last column and row),
 * bit-identical to the reference, -0 inputs included (the sum starts from
 * +0, as the reference's). */
Test(kk_dw, avgpool_2x2) {
    for (int64_t iw = 2; iw <= 41; iw++)
        for (int64_t ih = 2; ih <= 5; ih++) {
            const int64_t n = 1, c = 1 + iw % 3, in[2] = {ih, iw}, k[2] = {2, 2}, s[2] = {2, 2}, d[2] = {1, 1};
            const int64_t pd[4] = {0, 0, 0, 0}, out[2] = {ih / 2, iw / 2};
            const int64_t xs = n * c * ih * iw, ys = n * c * out[0] * out[1];
            float *x = rand_buf(xs), *want = malloc((size_t)ys * sizeof(float));
            float *got = malloc((size_t)ys * sizeof(float));
            for (int64_t i = 0; i < xs; i++)
                if (i % 5 < 2 || (iw % 4 == 0 && i < xs / 2)) x[i] = -0.0f;
            kk_avgpool_f32(x, want, n * c, 2, in, k, out, s, d, pd, 0);
            for (int ii = 0; ii < 3; ii++) {
                kk_favg_f32 p;
                memset(got, 0xff, (size_t)ys * sizeof(float));
                kk_favgpool_init_f32(&p, AVG_LEVELS[ii], x, got, n, c, in, k, out, s, d, pd, 0);
                cr_assert(p.k22, "a 2x2 stride-2 pool without padding takes the ring-free path");
                run_tasks(2, kk_favg_task_f32, &p, p.ntasks);
                cr_assert(memcmp(got, want, (size_t)ys * sizeof(float)) == 0, "avgpool 2x2 isa %d %lldx%lld differs",
                          AVG_LEVELS[ii], (long long)ih, (long long)iw);
            }
            free(x); free(want); free(got);
        }
}
