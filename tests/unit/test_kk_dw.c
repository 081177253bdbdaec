/*
 * test_kk_dw.c - the depthwise and average pooling planes of the fast path
 * (kernels/fast/dw_x86.c, kernels/fast/fast.c) against the reference
 * kernels: 3x3 / 5x5 / 7x7 (register-blocked) and other filters, strides 1
 * to 3, pads, dilations, odd widths, channel counts that are not multiples
 * of the vector width, batches, residual and activations, every panel
 * geometry (portable, AVX2, AVX-512; the x86 ones fall back to plain C on a
 * CPU without the instruction set), and 1 vs 3 threads bit-identical.
 * AveragePool is bit-identical to the reference kernel.
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
    const int64_t xs = t->n * t->c * t->in[0] * t->in[1], ys = t->n * t->c * t->out[0] * t->out[1];
    const int64_t ks = t->k[0] * t->k[1];
    float *x = rand_buf(xs), *w = rand_buf(t->c * ks), *b = t->bias ? rand_buf(t->c) : NULL;
    float *r = t->res ? rand_buf(ys) : NULL;
    float *want = malloc((size_t)ys * sizeof(float)), *got = malloc((size_t)ys * sizeof(float));
    float *got3 = malloc((size_t)ys * sizeof(float));
    kk_conv_f32(x, w, b, want, t->n, t->c, t->c, t->c, 2, t->in, t->k, t->out, t->s, t->d, t->p);
    if (r || t->act) kk_epilogue_f32(want, r, ys, t->act, t->alpha, t->beta);
    for (int ii = 0; ii < 3; ii++) {
        kk_fdw_f32 p;
        kk_fdw_init_f32(&p, get_isa(ISAS[ii]), x, w, b, r, got, t->n, t->c, t->in, t->k, t->out, t->s, t->d, t->p,
                        t->act, t->alpha, t->beta);
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
