/*
 * test_kk_deconv.c - the fast ConvTranspose (kernels/fast/deconv.c)
 * against the reference kernel (kk_conv_transpose_f32, plus
 * kk_epilogue_f32 for the activation) on many shapes: strides 1 to 3,
 * kernels 1 to 4, pads, output_padding, dilations, groups, channel counts
 * that are not multiples of the tile, batch > 1, 1 to 3 spatial dims,
 * input channels above the K block, both modes (exact: kernel == stride;
 * accumulate: the rest), every panel geometry (the x86 ones fall back to
 * plain C kernels on a CPU without the instruction set, and are tested
 * either way), and results bit-identical for 1, 2 and 3 threads.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast/kk_deconv.h"
#include "fast/kk_fast.h"
#include "fast/kk_fast_x86.h"
#include "fast/kk_pool.h"
#include "kk.h"
#include "fast_test.h"



typedef struct DeconvCase {
    int64_t n, c, m, group;
    int nsp;
    int64_t in[3], k[3], out[3], s[3], d[3], p[6], op[3];
    int bias, act;
    float alpha, beta;
} DeconvCase;

/* Output sizes from the rest, as ONNX defines them; 0 when one is not positive. */
static int deconv_finish(DeconvCase *dc) {
    for (int i = 0; i < dc->nsp; i++) {
        dc->out[i] = dc->s[i] * (dc->in[i] - 1) + dc->op[i] + (dc->k[i] - 1) * dc->d[i] + 1 - dc->p[i] -
                     dc->p[dc->nsp + i];
        if (dc->out[i] < 1) return 0;
    }
    return 1;
}

static int64_t prod(const int64_t *v, int n) {
    int64_t r = 1;
    for (int i = 0; i < n; i++) r *= v[i];
    return r;
}

/* plain: the plain C kernels of isa's geometry (what constant folding runs). */
static void deconv_fast(const DeconvCase *dc, int isa, int plain, int threads, const float *x, const float *w,
                        const float *b, float *y) {
    const kk_fisa k = plain ? kk_fisa_portable(isa) : get_isa(isa);
    const int64_t ksz = prod(dc->k, dc->nsp), mg = dc->m / dc->group, wsz = dc->c * mg * ksz;
    float *wp = malloc((size_t)wsz * sizeof(float));
    kk_fdeconv_pack_f32(w, wp, isa, dc->group, dc->c / dc->group, mg, ksz);
    const int64_t bytes = kk_fdeconv_scratch_bytes(isa, threads, dc->n, dc->c, dc->m, dc->group, dc->nsp, dc->in,
                                                   dc->k, dc->out, dc->s, dc->d, dc->p);
    cr_assert(bytes > 0 && bytes % 64 == 0);
    void *scratch = aligned_alloc(64, (size_t)bytes);
    /* every byte the kernel reads must be written first: poison y and scratch */
    memset(scratch, 0xff, (size_t)bytes);
    memset(y, 0xff, (size_t)(dc->n * dc->m * prod(dc->out, dc->nsp)) * sizeof(float));
    kk_fdeconv_f32 p;
    kk_fdeconv_init_f32(&p, k, x, wp, b, y, scratch, dc->n, dc->c, dc->m, dc->group, dc->nsp, dc->in, dc->k,
                        dc->out, dc->s, dc->d, dc->p, dc->act, dc->alpha, dc->beta);
    run_tasks(threads, kk_fdeconv_task_f32, &p, p.ntasks);
    free(scratch);
    free(wp);
}

/* Returns whether the case ran in exact mode (for the callers' coverage checks). */
static int deconv_check(const DeconvCase *dc, const char *label) {
    const int64_t isz = prod(dc->in, dc->nsp), osz = prod(dc->out, dc->nsp), ksz = prod(dc->k, dc->nsp);
    const int64_t xs = dc->n * dc->c * isz, ws = dc->c * (dc->m / dc->group) * ksz, ys = dc->n * dc->m * osz;
    float *x = rand_buf(xs), *w = rand_buf(ws), *b = dc->bias ? rand_buf(dc->m) : NULL;
    float *want = malloc((size_t)ys * sizeof(float)), *got = malloc((size_t)ys * sizeof(float));
    float *got2 = malloc((size_t)ys * sizeof(float));
    kk_conv_transpose_f32(x, w, b, want, dc->n, dc->c, dc->m, dc->group, dc->nsp, dc->in, dc->k, dc->out, dc->s,
                          dc->d, dc->p);
    if (dc->act) kk_epilogue_f32(want, NULL, ys, dc->act, dc->alpha, dc->beta);
    const double scale = (double)(dc->c / dc->group * ksz) + 2.0;
    char what[300];
    for (int ii = 0; ii < 3; ii++) {
        snprintf(what, sizeof what, "%s isa %d", label, ISAS[ii]);
        for (int plain = 1; plain >= 0; plain--) {
            deconv_fast(dc, ISAS[ii], plain, 1, x, w, b, got);
            for (int64_t i = 0; i < ys; i++) {
                const double e = fabs((double)got[i] - (double)want[i]);
                if (!(e <= 2e-6 * scale + 1e-6 * fabs((double)want[i])))
                    cr_assert_fail("%s%s: [%lld] = %.8g, expected %.8g", what, plain ? " (plain C)" : "",
                                   (long long)i, got[i], want[i]);
            }
        }
        for (int t = 2; t <= 3; t++) {
            deconv_fast(dc, ISAS[ii], 0, t, x, w, b, got2);
            cr_assert(memcmp(got, got2, (size_t)ys * sizeof(float)) == 0, "%s: %d threads differ from 1", what, t);
        }
    }
    kk_fdeconv_f32 p;
    kk_fdeconv_init_f32(&p, kk_fisa_portable(KK_ISA_AVX512), NULL, NULL, NULL, NULL, NULL, dc->n, dc->c, dc->m,
                        dc->group, dc->nsp, dc->in, dc->k, dc->out, dc->s, dc->d, dc->p, 0, 0.0f, 0.0f);
    free(x); free(w); free(b); free(want); free(got); free(got2);
    return p.exact;
}

static void describe(const DeconvCase *dc, char *buf, size_t size) {
    int o = snprintf(buf, size, "n%lld c%lld m%lld g%lld nsp%d bias%d act%d", (long long)dc->n, (long long)dc->c,
                     (long long)dc->m, (long long)dc->group, dc->nsp, dc->bias, dc->act);
    for (int i = 0; i < dc->nsp && o > 0 && (size_t)o < size; i++)
        o += snprintf(buf + o, size - (size_t)o, " [in%lld k%lld s%lld d%lld p%lld/%lld op%lld out%lld]",
                      (long long)dc->in[i], (long long)dc->k[i], (long long)dc->s[i], (long long)dc->d[i],
                      (long long)dc->p[i], (long long)dc->p[dc->nsp + i], (long long)dc->op[i], (long long)dc->out[i]);
}

static DeconvCase base_case(int nsp) {
    DeconvCase dc;
    memset(&dc, 0, sizeof dc);
    dc.n = 1;
    dc.group = 1;
    dc.nsp = nsp;
    for (int i = 0; i < 3; i++) dc.s[i] = dc.d[i] = 1;
    return dc;
}

Test(kk_deconv, exact_kernel_equals_stride) {
    /* U-Net's k2 s2 and other kernel == stride shapes: tiles stored with bias and act */
    const int64_t cs[] = {1, 3, 16, 33}, ms[] = {1, 5, 8, 17, 64};
    char what[400];
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (size_t j = 0; j < sizeof ms / sizeof ms[0]; j++) {
            DeconvCase dc = base_case(2);
            dc.c = cs[i];
            dc.m = ms[j];
            dc.k[0] = dc.s[0] = 1 + (int64_t)(i + j) % 3;
            dc.k[1] = dc.s[1] = 1 + (int64_t)j % 3;
            dc.in[0] = 1 + (int64_t)(3 * i + j) % 7;
            dc.in[1] = 3 + (int64_t)(5 * j + i) % 37;
            dc.bias = (int)((i + j) % 2);
            dc.act = (i + j) % 3 == 0 ? KK_UN_RELU : 0;
            cr_assert(deconv_finish(&dc));
            describe(&dc, what, sizeof what);
            cr_assert(deconv_check(&dc, what), "%s: expected exact mode", what);
        }
}

Test(kk_deconv, unet_shapes) {
    const int64_t shapes[][3] = {{128, 64, 8}, {64, 32, 16}, {32, 16, 32}};
    char what[400];
    for (size_t i = 0; i < 3; i++) {
        DeconvCase dc = base_case(2);
        dc.c = shapes[i][0];
        dc.m = shapes[i][1];
        dc.in[0] = dc.in[1] = shapes[i][2];
        dc.k[0] = dc.k[1] = dc.s[0] = dc.s[1] = 2;
        dc.bias = 1;
        cr_assert(deconv_finish(&dc));
        describe(&dc, what, sizeof what);
        cr_assert(deconv_check(&dc, what));
    }
}

Test(kk_deconv, k_blocks_above_kc) {
    /* input channels per group above KC (256): K blocks summed in the col buffer */
    char what[400];
    for (int exact = 0; exact < 2; exact++) {
        DeconvCase dc = base_case(2);
        dc.c = 300;
        dc.m = 11;
        dc.in[0] = 5;
        dc.in[1] = 9;
        dc.k[0] = dc.k[1] = exact ? 2 : 3;
        dc.s[0] = dc.s[1] = 2;
        dc.p[0] = dc.p[3] = exact ? 0 : 1;
        dc.bias = 1;
        dc.act = KK_UN_SIGMOID;
        cr_assert(deconv_finish(&dc));
        describe(&dc, what, sizeof what);
        cr_assert_eq(deconv_check(&dc, what), exact, "%s: mode", what);
    }
    DeconvCase dc = base_case(1);
    dc.n = 2;
    dc.c = 2 * 520;
    dc.group = 2;
    dc.m = 6;
    dc.in[0] = 40;
    dc.k[0] = 4;
    dc.s[0] = 3;
    dc.d[0] = 2;
    dc.op[0] = 1;
    dc.bias = 1;
    cr_assert(deconv_finish(&dc));
    describe(&dc, what, sizeof what);
    deconv_check(&dc, what);
}

Test(kk_deconv, onnx_node_shapes) {
    char what[400];
    /* the ONNX backend tests' 2-D cases: pads, output_padding, dilations, stride 3 */
    DeconvCase dc = base_case(2);
    dc.c = 1;
    dc.m = 2;
    dc.in[0] = dc.in[1] = 3;
    dc.k[0] = dc.k[1] = 3;
    dc.s[0] = 3;
    dc.s[1] = 2;
    dc.op[0] = 1;
    dc.op[1] = 1;
    dc.p[0] = 0;
    dc.p[2] = 0;
    cr_assert(deconv_finish(&dc));
    describe(&dc, what, sizeof what);
    deconv_check(&dc, what);
    dc = base_case(2);
    dc.c = 1;
    dc.m = 1;
    dc.in[0] = dc.in[1] = 3;
    dc.k[0] = dc.k[1] = 2;
    dc.d[0] = dc.d[1] = 2;
    cr_assert(deconv_finish(&dc));
    describe(&dc, what, sizeof what);
    deconv_check(&dc, what);
    /* FCN-8s: k16 s8 p4 and k4 s2 on 5 classes */
    dc = base_case(2);
    dc.c = dc.m = 5;
    dc.in[0] = dc.in[1] = 12;
    dc.k[0] = dc.k[1] = 16;
    dc.s[0] = dc.s[1] = 8;
    dc.p[0] = dc.p[1] = dc.p[2] = dc.p[3] = 4;
    cr_assert(deconv_finish(&dc));
    describe(&dc, what, sizeof what);
    deconv_check(&dc, what);
}

Test(kk_deconv, random_geometry) {
    static const int acts[] = {0, KK_UN_RELU, KK_UN_LEAKY_RELU, KK_UN_CLIP, KK_UN_TANH, KK_UN_HARD_SWISH, KK_UN_SILU};
    char what[400];
    int nexact = 0, naccum = 0;
    for (int it = 0; it < 160; it++) {
        DeconvCase dc = base_case((int)rint_in(1, 3));
        dc.n = rint_in(1, 2);
        dc.group = rint_in(1, 3);
        dc.c = dc.group * rint_in(1, 9);
        dc.m = dc.group * rint_in(1, 13);
        for (int i = 0; i < dc.nsp; i++) {
            const int64_t big = dc.nsp == 1 ? 40 : dc.nsp == 2 ? 13 : 5;
            dc.in[i] = rint_in(1, big);
            dc.k[i] = rint_in(1, 4);
            dc.s[i] = rint_in(1, 3);
            dc.d[i] = rint_in(1, 3) == 3 ? 2 : 1;
            if (it % 4 == 0) { /* kernel == stride somewhere: exact mode */
                dc.k[i] = dc.s[i];
                dc.d[i] = 1;
                continue;
            }
            dc.op[i] = rint_in(0, dc.s[i] - 1);
            const int64_t eff = (dc.k[i] - 1) * dc.d[i] + 1;
            dc.p[i] = rint_in(0, eff - 1);
            dc.p[dc.nsp + i] = rint_in(0, eff - 1);
        }
        dc.bias = (int)rint_in(0, 1);
        dc.act = acts[rint_in(0, (int64_t)(sizeof acts / sizeof acts[0]) - 1)];
        dc.alpha = dc.act == KK_UN_CLIP ? -0.5f : dc.act == KK_UN_HARD_SWISH ? 1.0f / 6.0f : 0.1f;
        dc.beta = dc.act == KK_UN_CLIP ? 0.75f : 0.5f;
        if (!deconv_finish(&dc)) continue;
        describe(&dc, what, sizeof what);
        if (deconv_check(&dc, what)) nexact++;
        else naccum++;
    }
    cr_assert(nexact >= 10 && naccum >= 60, "coverage: %d exact, %d accumulate cases", nexact, naccum);
}

Test(kk_deconv, packing_layout) {
    /* the packed weights have W's size and the chunk / panel order of kk_deconv.h */
    const int64_t group = 2, cg = 3, mg = 5, ksz = 4, n = group * cg * mg * ksz;
    float *w = malloc((size_t)n * sizeof(float)), *dst = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) w[i] = (float)i;
    for (int ii = 0; ii < 3; ii++) {
        const int isa = ISAS[ii];
        const int64_t mr = kk_fisa_mr(isa), cch = kk_fdeconv_chunk(isa, mg, ksz);
        cr_assert(cch >= 1 && cch <= mg);
        memset(dst, 0xff, (size_t)n * sizeof(float));
        kk_fdeconv_pack_f32(w, dst, isa, group, cg, mg, ksz);
        for (int64_t g = 0; g < group; g++)
            for (int64_t oc = 0; oc < mg; oc++)
                for (int64_t t = 0; t < ksz; t++)
                    for (int64_t q = 0; q < cg; q++) {
                        const int64_t c0 = oc / cch * cch, rows = (mg - c0 < cch ? mg - c0 : cch) * ksz;
                        const int64_t r = (oc - c0) * ksz + t, r0 = r / mr * mr;
                        const int64_t pr = rows - r0 < mr ? rows - r0 : mr;
                        const int64_t at = (g * mg + c0) * ksz * cg + r0 * cg + q * pr + (r - r0);
                        cr_assert_eq(dst[at], w[((g * cg + q) * mg + oc) * ksz + t]);
                    }
    }
    free(w);
    free(dst);
}
