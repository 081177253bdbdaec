/*
 * test_kk_norm.c - unit tests of the norm family: the reference kernels
 * (kernels/ref/norm.c) on small hand-checked cases, then the op functions
 * (compiler/ops_norm.c): opset-dependent parsing (GroupNormalization 18 vs
 * 21), shape inference of every output, the einsum equation parser, the
 * diagnostics, folding through exec and the emitted kernel calls.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

#define EPS 1e-5

/* --------------------------------------------------------- kk_normalize */

Test(kk_normalize, last_axis_with_stats) {
    /* two rows of 4: mean 2.5 / 10, variance 1.25 / 0 */
    const float x[8] = {1, 2, 3, 4, 10, 10, 10, 10};
    const float scale[4] = {1, 2, 1, 1}, bias[4] = {0, 0, 0, 1};
    const int64_t dims[2] = {2, 4}, str[2] = {0, 1};
    float y[8], mean[2], inv[2];
    cr_assert_eq(kk_normalize(KK_F32, KK_F32, x, y, scale, bias, mean, inv, 2, 1, dims, str, str, 0.0f), 0);
    const double s = 1.0 / sqrt(1.25);
    const double want[8] = {-1.5 * s, -0.5 * s * 2, 0.5 * s, 1.5 * s + 1, 0, 0, 0, 1};
    for (int i = 0; i < 4; i++) cr_assert_float_eq(y[i], want[i], EPS, "y[%d]=%g", i, y[i]);
    cr_assert_float_eq(mean[0], 2.5f, EPS);
    cr_assert_float_eq(mean[1], 10.0f, EPS);
    cr_assert_float_eq(inv[0], (float)s, EPS);
    /* variance 0 with epsilon 0: inf * 0 is NaN, exactly as the spec's formula */
    cr_assert(isinf(inv[1]));
}

/* Row-wise scale and bias (the LayerNorm fast path) against the general
 * strided walk on the same data: scale [1, cols] broadcast over two row
 * dims by strides versus that same scale expanded per row, rows of every
 * length 1..37, with and without scale / bias, statistics included. */
Test(kk_normalize, rowwise_matches_strided) {
    enum { R = 6, C = 37 };
    static float x[R * C], sc[C], bi[C], scx[R * C], bix[R * C], y1[R * C], y2[R * C];
    float m1[R], m2[R], i1[R], i2[R];
    for (int i = 0; i < R * C; i++) x[i] = (float)sin(0.37 * i) * 3.0f + (float)(i % 7);
    for (int c = 1; c <= C; c++) {
        for (int j = 0; j < c; j++) {
            sc[j] = 0.5f + 0.01f * (float)j;
            bi[j] = -0.2f + 0.03f * (float)j;
        }
        for (int i = 0; i < R * c; i++) {
            scx[i] = sc[i % c];
            bix[i] = bi[i % c];
        }
        /* [2, 3, c] with axis 2: scale strided (0, 0, 1) = row-wise */
        const int64_t dims[3] = {2, 3, c}, rw[3] = {0, 0, 1}, full[3] = {3 * c, c, 1};
        for (int v = 0; v < 4; v++) {
            const float *s1 = v & 1 ? sc : NULL, *b1 = v & 2 ? bi : NULL;
            const float *s2 = v & 1 ? scx : NULL, *b2 = v & 2 ? bix : NULL;
            cr_assert_eq(kk_normalize(KK_F32, KK_F32, x, y1, s1, b1, m1, i1, 3, 2, dims, rw, rw, 1e-5f), 0);
            /* per-element strides over the row dims: not row-wise, the general walk */
            cr_assert_eq(kk_normalize(KK_F32, KK_F32, x, y2, s2, b2, m2, i2, 3, 2, dims, full, full, 1e-5f), 0);
            for (int i = 0; i < R * c; i++)
                cr_expect(fabsf(y1[i] - y2[i]) <= 2e-6f * (1.0f + fabsf(y2[i])), "c=%d v=%d i=%d: %.9g vs %.9g", c,
                          v, i, (double)y1[i], (double)y2[i]);
            for (int r = 0; r < R; r++) {
                cr_expect(fabsf(m1[r] - m2[r]) <= 1e-6f * (1.0f + fabsf(m2[r])), "mean c=%d r=%d", c, r);
                cr_expect(fabsf(i1[r] - i2[r]) <= 1e-5f * fabsf(i2[r]), "invstd c=%d r=%d", c, r);
            }
        }
    }
    /* in place */
    memcpy(y1, x, sizeof y1);
    const int64_t d2[2] = {R, C}, s2d[2] = {0, 1};
    cr_assert_eq(kk_normalize(KK_F32, KK_F32, y1, y1, sc, bi, NULL, NULL, 2, 1, d2, s2d, s2d, 1e-5f), 0);
    cr_assert_eq(kk_normalize(KK_F32, KK_F32, x, y2, sc, bi, NULL, NULL, 2, 1, d2, s2d, s2d, 1e-5f), 0);
    cr_expect(memcmp(y1, y2, sizeof y1) == 0);
}

Test(kk_normalize, no_scale_no_bias_f64_and_epsilon) {
    const double x[3] = {0, 3, 6};
    const int64_t dims[1] = {3}, str[1] = {0};
    double y[3], inv;
    cr_assert_eq(kk_normalize(KK_F64, KK_F64, x, y, NULL, NULL, NULL, &inv, 1, 0, dims, str, str, 1.0f), 0);
    const double s = 1.0 / sqrt(6.0 + 1.0);
    cr_assert_float_eq(y[0], -3 * s, 1e-12);
    cr_assert_float_eq(y[2], 3 * s, 1e-12);
    cr_assert_float_eq(inv, s, 1e-12);
}

Test(kk_normalize, group_view_per_channel_and_per_group) {
    /* N=1, C=4, S=2 as [N, G=2, C/G=2, S]: group 0 is channels 0,1 */
    const float x[8] = {1, 3, 1, 3, 0, 0, 4, 4};
    const float sc_ch[4] = {1, 2, 3, 4}, b_ch[4] = {0, 0, 0, 0};
    const float sc_g[2] = {1, 2}, b_g[2] = {5, 6};
    const int64_t dims[4] = {1, 2, 2, 2};
    const int64_t per_ch[4] = {0, 2, 1, 0}, per_g[4] = {0, 1, 0, 0};
    float y[8];
    cr_assert_eq(kk_normalize(KK_F32, KK_F32, x, y, sc_ch, b_ch, NULL, NULL, 4, 2, dims, per_ch, per_ch, 0.0f), 0);
    const float want_ch[8] = {-1, 1, -2, 2, -3, -3, 4, 4};
    for (int i = 0; i < 8; i++) cr_assert_float_eq(y[i], want_ch[i], EPS, "y[%d]=%g", i, y[i]);
    cr_assert_eq(kk_normalize(KK_F32, KK_F32, x, y, sc_g, b_g, NULL, NULL, 4, 2, dims, per_g, per_g, 0.0f), 0);
    const float want_g[8] = {4, 6, 4, 6, 4, 4, 8, 8};
    for (int i = 0; i < 8; i++) cr_assert_float_eq(y[i], want_g[i], EPS, "y[%d]=%g", i, y[i]);
}

Test(kk_normalize, float_stash_rounds_the_mean) {
    /* A large offset and a tiny spread: with float statistics, X - Mean uses
     * the float-rounded mean (the spec's function); with double it does not. */
    const double x[2] = {1000.0001, 1000.0002};
    const int64_t dims[1] = {2}, str[1] = {0};
    float mf;
    double mean_d, yf[2], yd[2];
    cr_assert_eq(kk_normalize(KK_F64, KK_F32, x, yf, NULL, NULL, &mf, NULL, 1, 0, dims, str, str, 0.0f), 0);
    cr_assert_eq(kk_normalize(KK_F64, KK_F64, x, yd, NULL, NULL, &mean_d, NULL, 1, 0, dims, str, str, 0.0f), 0);
    cr_assert_float_eq(mean_d, 1000.00015, 1e-9);
    cr_assert_eq(mf, (float)1000.00015);
    cr_assert_float_eq(yd[0], -1.0, 1e-6);
    cr_assert(fabs(yf[0] + 1.0) > 1e-3, "float stash should differ, got %g", yf[0]);
}

Test(kk_normalize, rejects_bad_arguments) {
    const float x[2] = {0};
    float y[2];
    const int64_t dims[1] = {2}, str[1] = {0};
    cr_assert_eq(kk_normalize(KK_I32, KK_F32, x, y, NULL, NULL, NULL, NULL, 1, 0, dims, str, str, 0.0f), -1);
    cr_assert_eq(kk_normalize(KK_F32, KK_I32, x, y, NULL, NULL, NULL, NULL, 1, 0, dims, str, str, 0.0f), -1);
    cr_assert_eq(kk_normalize(KK_F32, KK_F32, x, y, NULL, NULL, NULL, NULL, 1, 1, dims, str, str, 0.0f), -1);
}

/* ------------------------------------------------------------- kk_lpnorm */

Test(kk_lpnorm, p1_p2_and_zero_norm) {
    /* [2, 2] along axis 1 (outer 2, n 2, inner 1) */
    const float x[4] = {3, -4, 0, 0};
    float y[4];
    cr_assert_eq(kk_lpnorm(KK_F32, 2, x, y, 2, 2, 1), 0);
    cr_assert_float_eq(y[0], 0.6f, EPS);
    cr_assert_float_eq(y[1], -0.8f, EPS);
    cr_assert_eq(y[2], 0.0f);
    cr_assert_eq(y[3], 0.0f);
    /* along axis 0 (outer 1, n 2, inner 2), p = 1 */
    cr_assert_eq(kk_lpnorm(KK_F32, 1, x, y, 1, 2, 2), 0);
    cr_assert_float_eq(y[0], 1.0f, EPS);
    cr_assert_float_eq(y[1], -1.0f, EPS);
    cr_assert_eq(kk_lpnorm(KK_F32, 3, x, y, 1, 2, 2), -1);
    cr_assert_eq(kk_lpnorm(KK_I32, 2, x, y, 1, 2, 2), -1);
}

/* ------------------------------------------------------------- kk_einsum */

Test(kk_einsum, matmul_transpose_trace) {
    /* "ij,jk->ik" with a 2x3 and a 3x2: loop axes i, k (out), j (sum) */
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1};
    const void *ab[2] = {a, b};
    const int64_t dims[3] = {2, 2, 3};
    const int64_t str[6] = {3, 0, 1, /* b: */ 0, 1, 2};
    float y[6];
    cr_assert_eq(kk_einsum(KK_F32, 2, ab, y, 2, 1, dims, str), 0);
    const float want[4] = {4, 5, 10, 11};
    for (int i = 0; i < 4; i++) cr_assert_float_eq(y[i], want[i], EPS, "y[%d]=%g", i, y[i]);

    /* "ij->ji": out axes j, i; 3x2 out */
    const void *a1[1] = {a};
    const int64_t tdims[2] = {3, 2}, tstr[2] = {1, 3};
    cr_assert_eq(kk_einsum(KK_F32, 1, a1, y, 2, 0, tdims, tstr), 0);
    cr_assert_float_eq(y[1], 4.0f, EPS);
    cr_assert_float_eq(y[2], 2.0f, EPS);

    /* "ii": a diagonal walk with stride 4 over a 3x3 */
    const double m[9] = {1, 9, 9, 9, 2, 9, 9, 9, 3};
    const void *m1[1] = {m};
    const int64_t ddims[1] = {3}, dstr[1] = {4};
    double tr;
    cr_assert_eq(kk_einsum(KK_F64, 1, m1, &tr, 0, 1, ddims, dstr), 0);
    cr_assert_float_eq(tr, 6.0, 1e-12);
}

Test(kk_einsum, scalars_empty_sums_and_integers) {
    const float s = 2.5f;
    const void *s1[2] = {&s, &s};
    float y = 0;
    cr_assert_eq(kk_einsum(KK_F32, 2, s1, &y, 0, 0, NULL, NULL), 0);
    cr_assert_float_eq(y, 6.25f, EPS);

    /* a contraction over an extent of 0 sums nothing */
    const float none[1] = {7};
    const void *n1[1] = {none};
    const int64_t dims[2] = {2, 0}, str[2] = {0, 1};
    float y2[2] = {1, 1};
    cr_assert_eq(kk_einsum(KK_F32, 1, n1, y2, 1, 1, dims, str), 0);
    cr_assert_eq(y2[0], 0.0f);
    cr_assert_eq(y2[1], 0.0f);

    /* int8 products wrap like the narrow type */
    const int8_t a[2] = {100, -100}, b[2] = {2, 2};
    const void *ab[2] = {a, b};
    const int64_t vd[1] = {2}, vs[2] = {1, 1};
    int8_t r8[2];
    cr_assert_eq(kk_einsum(KK_I8, 2, ab, r8, 1, 0, vd, vs), 0);
    cr_assert_eq(r8[0], (int8_t)-56);
    cr_assert_eq(r8[1], (int8_t)56);
    cr_assert_eq(kk_einsum(KK_BOOL, 2, ab, r8, 1, 0, vd, vs), -1);
    cr_assert_eq(kk_einsum(KK_F32, 0, ab, r8, 1, 0, vd, vs), -1);
}

/* ------------------------------------------- op functions (ops_norm.c) */

typedef struct Fixture {
    Graph *g;
    Diag d;
    Node *n;
} Fixture;

/* A graph with one node `op` at `opset`, nin inputs and nout outputs. */
static void fx_init(Fixture *f, OpKind op, int opset, int nin, int nout)
{
    f->g = ir_graph_new("m", "t.onnx");
    cr_assert_not_null(f->g);
    f->g->opset = opset;
    diag_init(&f->d, "t.onnx");
    f->n = ir_node_new(f->g, op, "nrm", nin, nout);
    for (int k = 0; k < nout; k++) {
        char name[8] = {'y', (char)('0' + k), 0};
        f->n->outputs[k] = ir_value_new(f->g, name);
    }
}

/* Input k: a run-time input of dtype t and shape dims. */
static Value *fx_in(Fixture *f, int k, DType t, int rank, const int64_t *dims)
{
    char name[8] = {'x', (char)('0' + k), 0};
    Value *v = ir_value_new(f->g, name);
    v->kind = VK_INPUT;
    v->dtype = t;
    v->rank = rank;
    for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
    f->n->inputs[k] = v;
    return v;
}

/* Input k: a float constant. */
static Value *fx_const(Fixture *f, int k, int rank, const int64_t *dims, const float *data)
{
    char name[8] = {'c', (char)('0' + k), 0};
    Value *v = ir_value_new(f->g, name);
    float *p = ir_make_const(f->g, v, DT_F32, rank, dims);
    memcpy(p, data, value_bytes(v));
    f->n->inputs[k] = v;
    return v;
}

static void fx_free(Fixture *f)
{
    diag_free(&f->d);
    ir_graph_free(f->g);
}

static void set_int(Fixture *f, const char *name, int64_t v)
{
    Attr *a = ir_attr_set(f->g, f->n, name, AT_INT);
    a->i = v;
}

static void set_float(Fixture *f, const char *name, double v)
{
    Attr *a = ir_attr_set(f->g, f->n, name, AT_FLOAT);
    a->f = v;
}

static void set_str(Fixture *f, const char *name, const char *s)
{
    Attr *a = ir_attr_set(f->g, f->n, name, AT_STRING);
    a->s = arena_strdup(&f->g->arena, s);
}

static void assert_shape(const Value *v, int rank, const int64_t *dims)
{
    cr_assert_eq(v->rank, rank, "rank %d, expected %d", v->rank, rank);
    for (int i = 0; i < rank; i++)
        cr_assert_eq(v->dims[i], dims[i], "dim %d is %lld, expected %lld", i,
                     (long long)v->dims[i], (long long)dims[i]);
}

/* Run inference, which must fail with a message containing `want`. */
static void expect_error(Fixture *f, const char *want)
{
    cr_assert_neq(ir_infer_node(f->g, f->n, &f->d), 0, "expected an error containing '%s'", want);
    cr_assert(f->d.text && strstr(f->d.text, want), "message: %s", f->d.text ? f->d.text : "(none)");
    cr_assert(strstr(f->d.text, "node 'nrm'"), "message names no node: %s", f->d.text);
}

static void expect_emit(Fixture *f, const char *const *in, const char *const *out, const char *want)
{
    Emitter e;
    emit_init(&e, "m");
    cr_assert_eq(norm_emit(&e, f->n, in, out, &f->d), 0, "%s", f->d.text ? f->d.text : "");
    cr_assert_str_eq(e.buf, want);
    cr_assert(e.kernels & (1u << KKF_NORM));
    emit_free(&e);
}

#define INFER_OK(f) cr_assert_eq(ir_infer_node((f)->g, (f)->n, &(f)->d), 0, "%s", (f)->d.text ? (f)->d.text : "")

Test(norm_ops, layernorm_outputs_and_emit) {
    Fixture f;
    const int64_t xd[3] = {2, 3, 4}, wd[1] = {4};
    fx_init(&f, OP_LAYER_NORM, 17, 3, 3);
    fx_in(&f, 0, DT_F32, 3, xd);
    fx_in(&f, 1, DT_F32, 1, wd);
    fx_in(&f, 2, DT_F32, 1, wd);
    set_int(&f, "axis", 1);
    INFER_OK(&f);
    const int64_t stat[3] = {2, 1, 1};
    assert_shape(f.n->outputs[0], 3, xd);
    assert_shape(f.n->outputs[1], 3, stat);
    assert_shape(f.n->outputs[2], 3, stat);
    cr_assert_eq(f.n->outputs[1]->dtype, DT_F32);
    /* W [4] over the block [3, 4]: strides {0, 0, 1} merge nothing but the rows */
    const char *in[3] = {"X", "W", "B"}, *out[3] = {"Y", "M", "I"};
    expect_emit(&f, in, out,
                "kk_normalize(KK_F32, KK_F32, X, Y, W, B, M, I, 3, 1, (const int64_t[]){2, 3, 4}, "
                "(const int64_t[]){0, 0, 1}, (const int64_t[]){0, 0, 1}, 9.99999975e-06f);\n");
    fx_free(&f);

    /* default axis -1, no B, Y only; a [1, 4] scale broadcasts */
    const int64_t w2[2] = {1, 4};
    fx_init(&f, OP_LAYER_NORM, 17, 2, 1);
    fx_in(&f, 0, DT_F32, 3, xd);
    fx_in(&f, 1, DT_F32, 2, w2);
    set_int(&f, "stash_type", 11);
    INFER_OK(&f);
    const char *in2[2] = {"X", "W"}, *out1[1] = {"Y"};
    expect_emit(&f, in2, out1,
                "kk_normalize(KK_F32, KK_F64, X, Y, W, NULL, NULL, NULL, 2, 1, (const int64_t[]){6, 4}, "
                "(const int64_t[]){0, 1}, (const int64_t[]){0, 0}, 9.99999975e-06f);\n");
    fx_free(&f);
}

Test(norm_ops, layernorm_folds_through_exec) {
    Fixture f;
    const int64_t xd[2] = {1, 4}, wd[1] = {1};
    const float x[4] = {1, 2, 3, 4}, w[1] = {2};
    fx_init(&f, OP_LAYER_NORM, 17, 2, 2);
    fx_const(&f, 0, 2, xd, x);
    fx_const(&f, 1, 1, wd, w);
    set_float(&f, "epsilon", 0.0);
    INFER_OK(&f);
    cr_assert_eq(f.n->outputs[0]->kind, VK_CONST);
    const float *y = f.n->outputs[0]->data, *mean = f.n->outputs[1]->data;
    const double s = 2.0 / sqrt(1.25);
    cr_assert_float_eq(y[0], -1.5 * s, EPS);
    cr_assert_float_eq(y[3], 1.5 * s, EPS);
    cr_assert_float_eq(mean[0], 2.5f, EPS);
    fx_free(&f);
}

Test(norm_ops, layernorm_diagnostics) {
    Fixture f;
    const int64_t xd[2] = {3, 4}, bad[1] = {3}, d3[3] = {1, 3, 4};

    fx_init(&f, OP_LAYER_NORM, 17, 2, 1);
    fx_in(&f, 0, DT_F32, 2, xd);
    fx_in(&f, 1, DT_F32, 1, bad);
    expect_error(&f, "does not broadcast");
    fx_free(&f);

    fx_init(&f, OP_LAYER_NORM, 17, 2, 1);
    fx_in(&f, 0, DT_F32, 2, xd);
    fx_in(&f, 1, DT_F32, 3, d3);
    expect_error(&f, "higher rank");
    fx_free(&f);

    fx_init(&f, OP_LAYER_NORM, 17, 2, 1);
    fx_in(&f, 0, DT_F16, 2, xd);
    fx_in(&f, 1, DT_F16, 1, xd + 1);
    expect_error(&f, "unsupported dtype f16");
    fx_free(&f);

    fx_init(&f, OP_LAYER_NORM, 17, 2, 1);
    fx_in(&f, 0, DT_F32, 2, xd);
    fx_in(&f, 1, DT_F64, 1, xd + 1);
    expect_error(&f, "has dtype f64");
    fx_free(&f);

    fx_init(&f, OP_LAYER_NORM, 17, 2, 1);
    fx_in(&f, 0, DT_F32, 2, xd);
    fx_in(&f, 1, DT_F32, 1, xd + 1);
    set_int(&f, "stash_type", 16);
    expect_error(&f, "unsupported attribute value stash_type=16");
    fx_free(&f);

    fx_init(&f, OP_LAYER_NORM, 17, 2, 1);
    fx_in(&f, 0, DT_F32, 2, xd);
    fx_in(&f, 1, DT_F32, 1, xd + 1);
    set_int(&f, "axis", 2);
    expect_error(&f, "out of range");
    fx_free(&f);
}

Test(norm_ops, groupnorm_scale_per_group_then_per_channel) {
    Fixture f;
    const int64_t xd[4] = {2, 6, 3, 3}, g3[1] = {3}, c6[1] = {6};
    const char *in[3] = {"X", "S", "B"}, *out[1] = {"Y"};

    /* opset 18: one scale per group; [N, G, C/G, S] with strides {0,1,0,0}
     * merges to [2, 3, 18] */
    fx_init(&f, OP_GROUP_NORM, 18, 3, 1);
    fx_in(&f, 0, DT_F32, 4, xd);
    fx_in(&f, 1, DT_F32, 1, g3);
    fx_in(&f, 2, DT_F32, 1, g3);
    set_int(&f, "num_groups", 3);
    INFER_OK(&f);
    assert_shape(f.n->outputs[0], 4, xd);
    expect_emit(&f, in, out,
                "kk_normalize(KK_F32, KK_F32, X, Y, S, B, NULL, NULL, 3, 2, (const int64_t[]){2, 3, 18}, "
                "(const int64_t[]){0, 1, 0}, (const int64_t[]){0, 1, 0}, 9.99999975e-06f);\n");
    fx_free(&f);

    /* opset 21: one per channel */
    fx_init(&f, OP_GROUP_NORM, 21, 3, 1);
    fx_in(&f, 0, DT_F32, 4, xd);
    fx_in(&f, 1, DT_F32, 1, c6);
    fx_in(&f, 2, DT_F32, 1, c6);
    set_int(&f, "num_groups", 3);
    INFER_OK(&f);
    expect_emit(&f, in, out,
                "kk_normalize(KK_F32, KK_F32, X, Y, S, B, NULL, NULL, 4, 2, (const int64_t[]){2, 3, 2, 9}, "
                "(const int64_t[]){0, 2, 1, 0}, (const int64_t[]){0, 2, 1, 0}, 9.99999975e-06f);\n");
    fx_free(&f);

    /* each opset refuses the other's parameter shape */
    fx_init(&f, OP_GROUP_NORM, 21, 3, 1);
    fx_in(&f, 0, DT_F32, 4, xd);
    fx_in(&f, 1, DT_F32, 1, g3);
    fx_in(&f, 2, DT_F32, 1, g3);
    set_int(&f, "num_groups", 3);
    expect_error(&f, "one value per channel");
    fx_free(&f);

    fx_init(&f, OP_GROUP_NORM, 18, 3, 1);
    fx_in(&f, 0, DT_F32, 4, xd);
    fx_in(&f, 1, DT_F32, 1, c6);
    fx_in(&f, 2, DT_F32, 1, c6);
    set_int(&f, "num_groups", 3);
    expect_error(&f, "one value per group");
    fx_free(&f);

    fx_init(&f, OP_GROUP_NORM, 21, 3, 1);
    fx_in(&f, 0, DT_F32, 4, xd);
    fx_in(&f, 1, DT_F32, 1, c6);
    fx_in(&f, 2, DT_F32, 1, c6);
    set_int(&f, "num_groups", 4);
    expect_error(&f, "does not divide");
    fx_free(&f);

    fx_init(&f, OP_GROUP_NORM, 21, 3, 1);
    fx_in(&f, 0, DT_F32, 4, xd);
    fx_in(&f, 1, DT_F32, 1, c6);
    fx_in(&f, 2, DT_F32, 1, c6);
    expect_error(&f, "'num_groups' is required");
    fx_free(&f);
}

Test(norm_ops, instancenorm_and_lpnorm) {
    Fixture f;
    const int64_t xd[4] = {2, 3, 4, 5}, c3[1] = {3};
    fx_init(&f, OP_INSTANCE_NORM, 6, 3, 1);
    fx_in(&f, 0, DT_F64, 4, xd);
    fx_in(&f, 1, DT_F64, 1, c3);
    fx_in(&f, 2, DT_F64, 1, c3);
    set_int(&f, "consumed_inputs", 0);  /* opset 1-5 leftover, ignored */
    INFER_OK(&f);
    const char *in[3] = {"X", "S", "B"}, *out[1] = {"Y"};
    expect_emit(&f, in, out,
                "kk_normalize(KK_F64, KK_F64, X, Y, S, B, NULL, NULL, 3, 2, (const int64_t[]){2, 3, 20}, "
                "(const int64_t[]){0, 1, 0}, (const int64_t[]){0, 1, 0}, 9.99999975e-06f);\n");
    fx_free(&f);

    fx_init(&f, OP_INSTANCE_NORM, 6, 3, 1);
    fx_in(&f, 0, DT_F32, 4, xd);
    fx_in(&f, 1, DT_F32, 1, xd);
    fx_in(&f, 2, DT_F32, 1, c3);
    expect_error(&f, "one value per channel");
    fx_free(&f);

    fx_init(&f, OP_LP_NORM, 13, 1, 1);
    fx_in(&f, 0, DT_F32, 4, xd);
    set_int(&f, "axis", 1);
    set_int(&f, "p", 1);
    INFER_OK(&f);
    assert_shape(f.n->outputs[0], 4, xd);
    const char *in1[1] = {"X"};
    expect_emit(&f, in1, out, "kk_lpnorm(KK_F32, 1, X, Y, 2, 3, 20);\n");
    fx_free(&f);

    fx_init(&f, OP_LP_NORM, 13, 1, 1);
    fx_in(&f, 0, DT_F32, 4, xd);
    set_int(&f, "p", 3);
    expect_error(&f, "unsupported attribute value p=3");
    fx_free(&f);
}

/* Infer an einsum over inputs of the given shapes; returns the fixture. */
static void einsum_fx(Fixture *f, const char *eq, int nin, const int *ranks, const int64_t (*dims)[4])
{
    fx_init(f, OP_EINSUM, 12, nin, 1);
    for (int k = 0; k < nin; k++) fx_in(f, k, DT_F32, ranks[k], dims[k]);
    set_str(f, "equation", eq);
}

Test(norm_ops, einsum_shapes) {
    static const struct {
        const char *eq;
        int nin, ranks[3];
        int64_t dims[3][4];
        int out_rank;
        int64_t out[4];
    } cases[] = {
        {"bij,bjk->bik", 2, {3, 3}, {{5, 2, 3}, {5, 3, 4}}, 3, {5, 2, 4}},
        {"bhqd,bhkd->bhqk", 2, {4, 4}, {{1, 2, 3, 8}, {1, 2, 5, 8}}, 4, {1, 2, 3, 5}},
        {"ij->ji", 1, {2}, {{3, 4}}, 2, {4, 3}},
        {"ij->i", 1, {2}, {{3, 4}}, 1, {3}},
        {"ii->i", 1, {2}, {{3, 3}}, 1, {3}},
        {"ii", 1, {2}, {{3, 3}}, 0, {0}},
        {"i,i", 2, {1, 1}, {{5}, {5}}, 0, {0}},
        {"i,j", 2, {1, 1}, {{2}, {3}}, 2, {2, 3}},
        {"ba", 1, {2}, {{3, 4}}, 2, {4, 3}},
        {"...ii ->...i", 1, {3}, {{3, 5, 5}}, 2, {3, 5}},
        {"...ij,...jk", 2, {4, 3}, {{2, 1, 2, 3}, {5, 3, 4}}, 4, {2, 5, 2, 4}},
        {"->", 1, {0}, {{0}}, 0, {0}},
        {"Ab,bC", 2, {2, 2}, {{3, 4}, {4, 2}}, 2, {3, 2}},
        {"ij,ij->ij", 2, {2, 2}, {{2, 1}, {2, 3}}, 2, {2, 3}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        Fixture f;
        einsum_fx(&f, cases[c].eq, cases[c].nin, cases[c].ranks, cases[c].dims);
        cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "'%s': %s", cases[c].eq, f.d.text ? f.d.text : "");
        assert_shape(f.n->outputs[0], cases[c].out_rank, cases[c].out);
        fx_free(&f);
    }
}

Test(norm_ops, einsum_emit_and_fold) {
    Fixture f;
    const int ranks[2] = {2, 2};
    const int64_t dims[2][4] = {{2, 3}, {3, 2}};
    einsum_fx(&f, "ij,jk->ik", 2, ranks, dims);
    INFER_OK(&f);
    const char *in[2] = {"A", "B"}, *out[1] = {"Y"};
    expect_emit(&f, in, out,
                "kk_einsum(KK_F32, 2, (const void *const[]){A, B}, Y, 2, 1, (const int64_t[]){2, 2, 3}, "
                "(const int64_t[]){3, 0, 1, 0, 1, 2});\n");
    fx_free(&f);

    /* a scalar einsum has no loop axes */
    fx_init(&f, OP_EINSUM, 12, 1, 1);
    fx_in(&f, 0, DT_F64, 0, NULL);
    set_str(&f, "equation", "->");
    INFER_OK(&f);
    const char *in1[1] = {"A"};
    expect_emit(&f, in1, out, "kk_einsum(KK_F64, 1, (const void *const[]){A}, Y, 0, 0, NULL, NULL);\n");
    fx_free(&f);

    /* all-constant: folded with the kernel (a trace) */
    const int64_t md[2] = {2, 2};
    const float m[4] = {1, 5, 7, 2};
    fx_init(&f, OP_EINSUM, 12, 1, 1);
    fx_const(&f, 0, 2, md, m);
    set_str(&f, "equation", "ii");
    INFER_OK(&f);
    cr_assert_eq(f.n->outputs[0]->kind, VK_CONST);
    cr_assert_float_eq(*(const float *)f.n->outputs[0]->data, 3.0f, EPS);
    fx_free(&f);
}

Test(norm_ops, einsum_diagnostics) {
    static const struct {
        const char *eq;
        const char *want;
    } cases[] = {
        {"ij,jk,kl->il", "more terms"},
        {"ij,kl->im", "'m' does not appear"},
        {"ij,kl->ii", "appears twice"},
        {"i*j,jk", "invalid character '*'"},
        {"ijk,jk", "does not match input 0"},
        {"ij,kl->i->j", "single '->'"},
        {"ij", "2 inputs"},
        {"ij,jk->ik", "'j' is 3 in one input and 4"},
        {"......ij,jk", "'...' twice"},
    };
    const int ranks[2] = {2, 2};
    const int64_t dims[2][4] = {{2, 3}, {4, 5}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        Fixture f;
        einsum_fx(&f, cases[c].eq, 2, ranks, dims);
        expect_error(&f, cases[c].want);
        fx_free(&f);
    }

    /* "..." in the inputs needs one in an explicit output */
    Fixture f;
    const int r3[1] = {3};
    const int64_t d3[1][4] = {{2, 3, 4}};
    einsum_fx(&f, "...ij->ij", 1, r3, d3);
    expect_error(&f, "no '...'");
    fx_free(&f);

    /* a repeated subscript within one input must have one extent */
    const int64_t d23[1][4] = {{2, 3}};
    einsum_fx(&f, "ii->i", 1, ranks, d23);
    expect_error(&f, "has extents 2 and 3");
    fx_free(&f);

    fx_init(&f, OP_EINSUM, 12, 1, 1);
    fx_in(&f, 0, DT_BF16, 2, d23[0]);
    set_str(&f, "equation", "ij->ji");
    expect_error(&f, "unsupported dtype bf16");
    fx_free(&f);

    fx_init(&f, OP_EINSUM, 12, 1, 1);
    fx_in(&f, 0, DT_F32, 2, d23[0]);
    expect_error(&f, "'equation' is required");
    fx_free(&f);
}
