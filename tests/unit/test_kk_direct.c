/*
 * test_kk_direct.c - the direct convolution with output channels in the
 * vector lanes (kernels/fast/direct.c) against the reference conv kernel
 * (kernels/ref/conv.c): channel counts of 1 to 4+ vectors (blocks of 64
 * and a narrower last one), output plane sizes that leave partial tiles of
 * every width, strides, dilations, symmetric and asymmetric pads, 1x1 to
 * 7x7 kernels, several images, K longer than one K block (partial sums),
 * chunks longer than one tile group, bias / residual / every activation
 * form of the epilogue, channel counts that are not vector multiples
 * (masked last vectors), the AVX-512 tile and the plain C one, and results
 * bit-identical for 1, 2 and 3 threads. Row mode (few taps and channels,
 * kk_fdirect_rows) the same way: every width of a row's last block and of
 * the blocks before it, strides 1 and 2 across a row and any down it, pads,
 * kernels 2x2 to 5x5, every epilogue; the tile tests keep to geometries
 * row mode does not take.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast/kk_direct.h"
#include "fast/kk_fast.h"
#include "kk.h"
#include "kk_unary.h"
#define FT_SEED 0x2545f4914f6cdd1dull
#include "fast_test.h"

typedef struct DCase {
    int64_t n, c, m, in[2], k[2], s[2], dl[2], p[4];
    int bias, res, act;
    float alpha, beta;
} DCase;

static void direct_run(const DCase *dc, int isa, int threads, const float *x, const float *wp, const float *b,
                       const float *res, float *y, const int64_t *out) {
    const kk_fisa k = get_isa(isa);
    const int64_t bytes = kk_fdirect_scratch_bytes(dc->n, dc->c, dc->in, dc->k, dc->p);
    cr_assert(bytes % 64 == 0);
    void *scratch = aligned_alloc(64, (size_t)bytes);
    kk_fdirect_f32 p;
    kk_fdirect_init_f32(&p, k, x, wp, b, res, y, scratch, dc->n, dc->c, dc->m, dc->in, dc->k, out, dc->s, dc->dl,
                        dc->p, dc->act, dc->alpha, dc->beta, threads);
    run_tasks(threads, kk_fdirect_pad_task_f32, &p, p.npads);
    run_tasks(threads, kk_fdirect_task_f32, &p, p.ntasks);
    free(scratch);
}

static int direct_rows(const DCase *dc) { return kk_fdirect_rows(dc->c, dc->m, dc->k, dc->s, dc->dl); }

static void direct_check(const DCase *dc, const char *label) {
    cr_assert(kk_fdirect_ok(dc->m));
    int64_t out[2];
    for (int i = 0; i < 2; i++)
        out[i] = (dc->in[i] + dc->p[i] + dc->p[2 + i] - dc->dl[i] * (dc->k[i] - 1) - 1) / dc->s[i] + 1;
    const int64_t kn = dc->c * dc->k[0] * dc->k[1];
    const int64_t xs = dc->n * dc->c * dc->in[0] * dc->in[1], ws = dc->m * kn, ys = dc->n * dc->m * out[0] * out[1];
    float *x = rand_buf(xs), *w = rand_buf(ws), *wp = malloc((size_t)ws * sizeof(float));
    float *b = dc->bias ? rand_buf(dc->m) : NULL, *res = dc->res ? rand_buf(ys) : NULL;
    float *want = malloc((size_t)ys * sizeof(float)), *got = malloc((size_t)ys * sizeof(float));
    float *got2 = malloc((size_t)ys * sizeof(float));
    kk_fdirect_pack_f32(w, wp, dc->m, kn);
    kk_conv_f32(x, w, b, want, dc->n, dc->c, dc->m, 1, 2, dc->in, dc->k, out, dc->s, dc->dl, dc->p);
    if (res || dc->act) kk_epilogue_f32(want, res, ys, dc->act, dc->alpha, dc->beta);
    const double tol = 1e-6 * ((double)kn + 2.0); /* |x|, |w| <= 1: relative to the sum of |terms| */
    const int isas[2] = {KK_ISA_PORTABLE, KK_ISA_AVX512};
    for (int ii = 0; ii < 2; ii++) {
        char what[200];
        snprintf(what, sizeof what, "%s isa %d", label, isas[ii]);
        for (int64_t i = 0; i < ys; i++) got[i] = NAN;
        direct_run(dc, isas[ii], 1, x, wp, b, res, got, out);
        for (int64_t i = 0; i < ys; i++)
            if (!(fabs((double)got[i] - (double)want[i]) <= tol))
                cr_assert_fail("%s: [%lld] = %.8g, expected %.8g", what, (long long)i, got[i], want[i]);
        for (int t = 2; t <= 3; t++) {
            direct_run(dc, isas[ii], t, x, wp, b, res, got2, out);
            cr_assert(memcmp(got, got2, (size_t)ys * sizeof(float)) == 0, "%s: %d threads differ from 1", what, t);
        }
    }
    free(x); free(w); free(wp); free(b); free(res); free(want); free(got); free(got2);
}

static DCase base(int64_t c, int64_t m, int64_t h, int64_t w, int64_t k, int64_t s, int64_t pad) {
    DCase dc = {.n = 1, .c = c, .m = m, .in = {h, w}, .k = {k, k}, .s = {s, s}, .dl = {1, 1},
                .p = {pad, pad, pad, pad}, .bias = 1};
    return dc;
}

Test(kk_direct, channel_blocks_and_tiles) {
    /* 16..80 output channels: 1-4 vectors, a block of 64 plus a narrower
     * one; output planes of 1..13 positions: every partial tile width
     * (15+ input channels: too many taps for row mode) */
    const int64_t ms[] = {16, 32, 48, 64, 80};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
        for (int64_t sz = 1; sz <= 4; sz++) {
            DCase dc = base(15 + (int64_t)i, ms[i], sz, sz + 1, 3, 1, 1);
            dc.res = (int)(sz & 1);
            dc.act = KK_UN_RELU;
            cr_assert(!direct_rows(&dc));
            direct_check(&dc, "blocks");
        }
}

Test(kk_direct, channels_not_vector_multiples) {
    /* a last vector of 1..15 channels (masked weight and bias loads, only
     * its channels stored): alone, after full vectors, after a full block;
     * K over several blocks (partial sums), residuals, vector and plain C
     * activations */
    const int64_t ms[] = {1, 5, 15, 17, 24, 40, 63, 65, 100};
    const int acts[] = {0, KK_UN_RELU, KK_UN_SIGMOID, KK_UN_GELU};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        DCase dc = base(i % 3 == 0 ? 40 : 3, ms[i], 5 + (int64_t)i % 3, 7, 3, 1 + (int64_t)(i % 2), 1);
        dc.bias = (int)(i % 4 != 3);
        dc.res = (int)(i % 2 == 0);
        dc.act = acts[i % 4];
        direct_check(&dc, "odd channels");
    }
}

Test(kk_direct, strides_dilations_pads) {
    const int64_t pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 2, 1, 0}, {3, 3, 3, 3}};
    for (int s = 1; s <= 3; s++)
        for (int dl = 1; dl <= 2; dl++)
            for (size_t j = 0; j < sizeof pads / sizeof pads[0]; j++) {
                DCase dc = base(5, 32, 13, 11, 3, s, 0);
                dc.dl[0] = dc.dl[1] = dl;
                dc.s[1] = s == 3 ? 1 : s; /* a different stride per axis too */
                memcpy(dc.p, pads[j], sizeof dc.p);
                direct_check(&dc, "strides");
            }
}

Test(kk_direct, kernel_sizes_and_batch) {
    /* the ResNet stem's 7x7 stride 2 on 3 channels, a strided 1x1, 5x5 */
    DCase stem = base(3, 64, 30, 28, 7, 2, 3);
    stem.n = 2;
    direct_check(&stem, "stem");
    DCase down = base(24, 48, 9, 10, 1, 2, 0);
    down.n = 3;
    down.res = 1;
    direct_check(&down, "1x1/2");
    DCase five = base(7, 32, 12, 9, 5, 1, 2);
    five.n = 2;
    direct_check(&five, "5x5");
}

Test(kk_direct, long_k_and_chunks) {
    /* K of several KK_FD_KC blocks (partial sums, their last block short),
     * more tiles than KK_FD_CHUNK and KK_FD_TG, a wide plane */
    DCase deep = base(40, 64, 7, 7, 3, 1, 1);
    deep.res = 1;
    deep.act = KK_UN_RELU;
    direct_check(&deep, "deep K");
    DCase wide = base(4, 16, 40, 45, 3, 1, 1);
    direct_check(&wide, "wide");
    DCase both = base(33, 144, 17, 19, 3, 1, 1);
    both.n = 2;
    direct_check(&both, "both");
}

Test(kk_direct, epilogues) {
    /* tiles (16 input channels: too many taps for row mode) and row mode (6) */
    const int acts[] = {0, KK_UN_RELU, KK_UN_CLIP, KK_UN_LEAKY_RELU, KK_UN_SIGMOID, KK_UN_SILU, KK_UN_TANH,
                        KK_UN_HARD_SWISH, KK_UN_ELU};
    for (int rows = 0; rows <= 1; rows++)
        for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
            for (int res = 0; res <= 1; res++) {
                DCase dc = base(rows ? 6 : 16, 32, 6, 21, 3, 1, 1);
                cr_assert(direct_rows(&dc) == rows);
                dc.bias = (int)(a & 1);
                dc.res = res;
                dc.act = acts[a];
                dc.alpha = acts[a] == KK_UN_CLIP ? -0.3f : acts[a] == KK_UN_HARD_SWISH ? 1.0f / 6.0f : 0.1f;
                dc.beta = acts[a] == KK_UN_CLIP ? 0.7f : 0.5f;
                direct_check(&dc, rows ? "row epilogue" : "tile epilogue");
            }
}

Test(kk_direct, row_mode) {
    /* output rows of 1..111 columns: a last block of 1, 2 or 3 vectors
     * (partial or whole) after 0..2 whole blocks; 8 to 64 channels (blocks
     * of KK_FD_RC, a block of 64 and one after it), strides 1 and 2 across
     * and 1..3 down, no pads / symmetric / asymmetric ones, 2x2 to 5x5,
     * two images (1x1 convs stay on the GEMM) */
    const int64_t ows[] = {1, 5, 16, 17, 32, 33, 48, 49, 70, 97, 111};
    const int64_t ms[] = {8, 24, 32, 72};
    const int64_t pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 2, 1, 0}};
    int cases = 0;
    for (size_t i = 0; i < sizeof ows / sizeof ows[0]; i++)
        for (int sw = 1; sw <= 2; sw++) {
            const int64_t k = 2 + (int64_t)((i + (size_t)sw) % 4), pj = (int64_t)(i % 3);
            const int64_t m = ms[(i + (size_t)sw) % 4];
            DCase dc = base(i % 2 && m < 64 ? 3 : 1, m, 4 + (int64_t)(i % 3), 1, k, sw, 0);
            memcpy(dc.p, pads[pj], sizeof dc.p);
            dc.s[0] = 1 + (int64_t)(i % 3);
            /* input width giving ow columns */
            dc.in[1] = (ows[i] - 1) * sw + k - dc.p[1] - dc.p[3];
            if (dc.in[1] < 1) continue;
            if (dc.in[0] + dc.p[0] + dc.p[2] < k) dc.in[0] = k;
            dc.n = 1 + (int64_t)(i % 2);
            dc.res = (int)(i % 2 == 0);
            dc.act = i % 3 == 0 ? KK_UN_RELU : i % 3 == 1 ? KK_UN_SILU : 0;
            cr_assert(direct_rows(&dc));
            char label[80];
            snprintf(label, sizeof label, "rows ow %lld stride %d", (long long)ows[i], sw);
            direct_check(&dc, label);
            cases++;
        }
    cr_assert(cases >= 18);
}

Test(kk_direct, random_shapes) {
    for (int it = 0; it < 40; it++) {
        DCase dc;
        memset(&dc, 0, sizeof dc);
        dc.n = rint_in(1, 2);
        dc.c = rint_in(1, 20);
        dc.m = 16 * rint_in(1, 6);
        for (int i = 0; i < 2; i++) {
            dc.k[i] = rint_in(1, 4);
            dc.s[i] = rint_in(1, 3);
            dc.dl[i] = rint_in(1, 2);
            dc.p[i] = rint_in(0, 2);
            dc.p[2 + i] = rint_in(0, 2);
            dc.in[i] = rint_in(1, 15);
            if (dc.in[i] + dc.p[i] + dc.p[2 + i] < dc.dl[i] * (dc.k[i] - 1) + 1)
                dc.in[i] = dc.dl[i] * (dc.k[i] - 1) + 1;
        }
        dc.bias = (int)(rnd() & 1);
        dc.res = (int)(rnd() & 1);
        dc.act = rnd() & 1 ? KK_UN_RELU : 0;
        char label[64];
        snprintf(label, sizeof label, "random case %d", it);
        direct_check(&dc, label);
    }
}
