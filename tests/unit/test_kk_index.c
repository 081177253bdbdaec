/*
 * test_kk_index.c - unit tests of the index family: the reference kernels
 * (kernels/ref/index.c) on hand-checked cases and against brute-force
 * loops, with an eye on runtime indices that are out of range (never a read
 * or write outside the buffers); then the op functions (compiler/
 * ops_index.c): parsing, shape inference, diagnostics, folding through exec
 * and the emitted kernel calls.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

/* ---------------------------------------------------------------- kernels */

Test(kk_index, index_at_reads_every_type) {
    const float f[3] = {2.9f, -1.5f, NAN};
    const uint64_t u[2] = {7, UINT64_MAX};
    const int8_t b[1] = {-3};
    const double g[2] = {1e300, -0.5};
    cr_assert_eq(kk_index_at(f, KK_F32, 0), 2);
    cr_assert_eq(kk_index_at(f, KK_F32, 1), -1);       /* truncation toward zero */
    cr_assert_eq(kk_index_at(f, KK_F32, 2), INT64_MIN);
    cr_assert_eq(kk_index_at(g, KK_F64, 0), INT64_MIN);
    cr_assert_eq(kk_index_at(g, KK_F64, 1), 0);
    cr_assert_eq(kk_index_at(u, KK_U64, 0), 7);
    cr_assert_eq(kk_index_at(u, KK_U64, 1), INT64_MIN);
    cr_assert_eq(kk_index_at(b, KK_I8, 0), -3);
    cr_assert_eq(kk_index_at(b, KK_BOOL, 0), INT64_MIN, "not an index type");
}

/* y[i] = x[i mod dims] over the tiled shape, computed the slow way. */
static void tile_ref(const int32_t *x, int32_t *y, int rank, const int64_t *d, const int64_t *r)
{
    int64_t od[KK_MAX_RANK], idx[KK_MAX_RANK] = {0}, total = 1;
    for (int k = 0; k < rank; k++) {
        od[k] = d[k] * r[k];
        total *= od[k];
    }
    for (int64_t e = 0; e < total; e++) {
        int64_t off = 0;
        for (int k = 0; k < rank; k++) off = off * d[k] + idx[k] % d[k];
        y[e] = x[off];
        for (int k = rank - 1; k >= 0 && ++idx[k] == od[k]; k--) idx[k] = 0;
    }
}

Test(kk_index, tile_matches_brute_force) {
    static const int64_t dims[][3] = {{2, 3, 1}, {1, 2, 3}, {3, 1, 2}, {2, 2, 2}};
    static const int64_t reps[][3] = {{2, 1, 3}, {3, 2, 1}, {1, 4, 2}, {1, 1, 1}};
    int32_t x[64], y[512], want[512];
    for (int i = 0; i < 64; i++) x[i] = i * 7 + 1;
    for (int c = 0; c < 4; c++) {
        int64_t n = 1;
        for (int k = 0; k < 3; k++) n *= dims[c][k] * reps[c][k];
        memset(y, 0xee, sizeof y);
        kk_tile(x, y, 3, dims[c], reps[c], sizeof(int32_t));
        tile_ref(x, want, 3, dims[c], reps[c]);
        cr_assert_eq(memcmp(y, want, (size_t)n * sizeof(int32_t)), 0, "case %d", c);
        cr_assert_eq(y[n], (int32_t)0xeeeeeeee, "case %d wrote past the end", c);
    }
}

Test(kk_index, tile_odd_element_size_scalar_and_empty) {
    /* [[a, b]] with 3-byte elements, repeats (2, 2) */
    const unsigned char x[6] = {1, 2, 3, 4, 5, 6};
    unsigned char y[24];
    const int64_t d[2] = {1, 2}, r[2] = {2, 2};
    kk_tile(x, y, 2, d, r, 3);
    const unsigned char want[24] = {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6,
                                    1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6};
    cr_assert_eq(memcmp(y, want, sizeof y), 0);

    double s = 2.5, t = 0;
    kk_tile(&s, &t, 0, NULL, NULL, sizeof s);
    cr_assert_eq(t, 2.5);

    const int64_t z[2] = {0, 2};
    kk_tile(NULL, NULL, 2, d, z, 4);   /* zero repeats: nothing is touched */
}

Test(kk_index, gather_elements_axes_negative_and_out_of_range) {
    /* data [[1,2],[3,4]], axis 1, indices [[0,0],[1,0]] -> [[1,1],[4,3]] */
    const float x[4] = {1, 2, 3, 4};
    const int64_t d[2] = {2, 2};
    const int64_t i1[4] = {0, 0, 1, 0};
    float y[4];
    kk_gather_elements(x, d, i1, KK_I64, d, 2, 1, y, sizeof(float));
    cr_assert(y[0] == 1 && y[1] == 1 && y[2] == 4 && y[3] == 3);

    /* axis 0, int32 indices with -1 and out-of-range 2 / -3 on a 2x3 index
     * tensor over 3x3 data */
    const int32_t x3[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const int64_t d3[2] = {3, 3}, di[2] = {2, 3};
    const int32_t i0[6] = {-1, 0, 3, 1, -4, 2};
    int32_t y3[6];
    kk_gather_elements(x3, d3, i0, KK_I32, di, 2, 0, y3, sizeof(int32_t));
    const int32_t want[6] = {7, 2, 0, 4, 0, 9};
    cr_assert_eq(memcmp(y3, want, sizeof want), 0);
}

Test(kk_index, gather_nd_batch_dims_and_bad_tuples) {
    /* Spec example 5: batch_dims 1, data [2,2,2], indices [[1],[0]] ->
     * [[2,3],[4,5]] */
    const int32_t x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const int64_t ix[2] = {1, 0};
    const int64_t dims1[1] = {2};
    int32_t y[4];
    kk_gather_nd(x, ix, KK_I64, y, 2, 1, 1, dims1, 2, sizeof(int32_t));
    cr_assert(y[0] == 2 && y[1] == 3 && y[2] == 4 && y[3] == 5);

    /* batch 1, data 2x2 element tuples: (0,0), (1,-1), (2,0) out of range */
    const int64_t dims2[2] = {2, 2}, t[6] = {0, 0, 1, -1, 2, 0};
    int32_t z[3] = {9, 9, 9};
    kk_gather_nd(x, t, KK_I64, z, 1, 3, 2, dims2, 1, sizeof(int32_t));
    cr_assert(z[0] == 0 && z[1] == 3 && z[2] == 0);
}

Test(kk_index, scatter_nd_reductions_and_skips) {
    /* data 1..4 (2x2), tuples (0,1), (1,0), (0,1) again, (5,0) skipped */
    const float x[4] = {1, 2, 3, 4};
    const int64_t dims[2] = {2, 2}, idx[8] = {0, 1, 1, 0, 0, 1, 5, 0};
    const float u[4] = {10, 20, 30, 40};
    float y[4];
    kk_scatter_nd(x, idx, KK_I64, u, y, 4, 4, 2, dims, 1, KK_F32, KK_SCATTER_NONE, 4);
    cr_assert(y[0] == 1 && y[1] == 30 && y[2] == 20 && y[3] == 4);
    kk_scatter_nd(x, idx, KK_I64, u, y, 4, 4, 2, dims, 1, KK_F32, KK_SCATTER_ADD, 4);
    cr_assert(y[0] == 1 && y[1] == 42 && y[2] == 23 && y[3] == 4);
    kk_scatter_nd(x, idx, KK_I64, u, y, 4, 4, 2, dims, 1, KK_F32, KK_SCATTER_MUL, 4);
    cr_assert(y[1] == 600 && y[2] == 60);
    kk_scatter_nd(x, idx, KK_I64, u, y, 4, 4, 2, dims, 1, KK_F32, KK_SCATTER_MIN, 4);
    cr_assert(y[1] == 2 && y[2] == 3);

    /* row slices, in place (x == y), max */
    int64_t r[4] = {5, 1, 1, 5};
    const int64_t d1[1] = {2}, i1[1] = {-1};
    const int64_t ru[2] = {3, 7};
    kk_scatter_nd(r, i1, KK_I64, ru, r, 4, 1, 1, d1, 2, KK_I64, KK_SCATTER_MAX, 8);
    cr_assert(r[0] == 5 && r[1] == 1 && r[2] == 3 && r[3] == 7);
}

Test(kk_index, scatter_elements_duplicates_wrap_and_nan) {
    /* Spec example: data [[1,2,3,4,5]], axis 1, indices [[1,1]], updates
     * [[1.1, 2.1]], add -> [[1, 5.2, 3, 4, 5]] */
    const float x[5] = {1, 2, 3, 4, 5};
    const int64_t dx[2] = {1, 5}, di[2] = {1, 2}, idx[2] = {1, 1};
    const float u[2] = {1.1f, 2.1f};
    float y[5];
    kk_scatter_elements(x, idx, KK_I64, u, y, 2, dx, di, 1, KK_F32, KK_SCATTER_ADD, 4);
    cr_assert_float_eq(y[1], 5.2f, 1e-6f);
    cr_assert(y[0] == 1 && y[2] == 3 && y[4] == 5);

    /* int8 sums wrap (120 + 10 = -126); index -6 on a dim of 3 is skipped */
    const int8_t bx[3] = {120, 0, 0};
    const int64_t bd[1] = {3}, bi[1] = {2};
    const int32_t ib[2] = {0, -6};
    const int8_t bu[2] = {10, 99};
    int8_t by[3];
    kk_scatter_elements(bx, ib, KK_I32, bu, by, 1, bd, bi, 0, KK_I8, KK_SCATTER_ADD, 1);
    cr_assert_eq(by[0], -126);
    cr_assert(by[1] == 0 && by[2] == 0, "the out-of-range update is skipped");

    /* max propagates NaN from either side */
    const double gx[2] = {1.0, NAN};
    const int64_t gd[1] = {2}, gi[2] = {0, 1};
    const double gu[2] = {NAN, 5.0};
    double gy[2];
    kk_scatter_elements(gx, gi, KK_I64, gu, gy, 1, gd, gd, 0, KK_F64, KK_SCATTER_MAX, 8);
    cr_assert(isnan(gy[0]) && isnan(gy[1]));
}

Test(kk_index, cumsum_all_modes_match_brute_force) {
    /* 2 x 3 x 2 along axis 1 */
    double x[12], y[12];
    for (int i = 0; i < 12; i++) x[i] = i + 1;
    for (int mode = 0; mode < 4; mode++) {
        const int excl = mode & 1, rev = mode >> 1;
        kk_cumsum(x, y, KK_F64, 2, 3, 2, excl, rev);
        for (int o = 0; o < 2; o++)
            for (int j = 0; j < 3; j++)
                for (int i = 0; i < 2; i++) {
                    double s = 0;
                    for (int t = 0; t < 3; t++) {
                        int in = rev ? (excl ? t > j : t >= j) : (excl ? t < j : t <= j);
                        if (in) s += x[(o * 3 + t) * 2 + i];
                    }
                    cr_assert_eq(y[(o * 3 + j) * 2 + i], s, "mode %d at %d,%d,%d", mode, o, j, i);
                }
    }
    /* int32 wraps instead of overflowing */
    const int32_t a[2] = {INT32_MAX, 1};
    int32_t b[2];
    kk_cumsum(a, b, KK_I32, 1, 2, 1, 0, 0);
    cr_assert_eq(b[1], INT32_MIN);
}

Test(kk_index, onehot_axis_negative_and_out_of_range) {
    /* indices [1, -1, 3, 9] over depth 3, inner axis: values {off=0, on=5} */
    const int64_t ix[4] = {1, -1, 3, 9};
    const float v[2] = {0, 5};
    float y[12];
    kk_onehot(ix, KK_I64, v, y, 4, 3, 1, 1, sizeof(float));
    const float want[12] = {0, 5, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0};
    cr_assert_eq(memcmp(y, want, sizeof y), 0);
    /* opset 9: negative indices are out of range */
    kk_onehot(ix, KK_I64, v, y, 4, 3, 1, 0, sizeof(float));
    cr_assert(y[3] == 0 && y[4] == 0 && y[5] == 0);

    /* axis 0 over float indices [[0, 1.7]]: y[depth 2][2] */
    const float fi[2] = {0, 1.7f};
    const int32_t iv[2] = {-1, 1};
    int32_t z[4];
    kk_onehot(fi, KK_F32, iv, z, 1, 2, 2, 1, sizeof(int32_t));
    cr_assert(z[0] == 1 && z[1] == -1 && z[2] == -1 && z[3] == 1);
}

Test(kk_index, trilu_matches_brute_force_for_any_k) {
    static const int64_t ks[] = {INT64_MIN, -5, -2, -1, 0, 1, 3, 6, INT64_MAX};
    int16_t x[2 * 3 * 4], y[2 * 3 * 4];
    for (int i = 0; i < 24; i++) x[i] = (int16_t)(i + 1);
    for (size_t c = 0; c < sizeof ks / sizeof *ks; c++) {
        for (int upper = 0; upper < 2; upper++) {
            kk_trilu(x, y, 2, 3, 4, &ks[c], upper, sizeof(int16_t));
            for (int e = 0; e < 24; e++) {
                const int64_t i = (e / 4) % 3, j = e % 4, k = ks[c];
                const int keep = upper ? (k <= -4 || (k < 5 && j >= i + k))
                                       : (k >= 5 || (k > -4 && j <= i + k));
                cr_assert_eq(y[e], keep ? x[e] : 0, "k %lld upper %d at %d", (long long)k,
                             upper, e);
            }
        }
    }
    kk_trilu(x, y, 2, 3, 4, NULL, 1, sizeof(int16_t));   /* k = 0 */
    cr_assert(y[4] == 0 && y[5] == x[5]);
}

Test(kk_index, nonzero_coordinates_padding_and_scalar) {
    /* [[0, -0.0, NaN], [2, 0, 0]]: nonzero at (0,2) and (1,0) */
    const float x[6] = {0, -0.0f, NAN, 2, 0, 0};
    const int64_t d[2] = {2, 3};
    int64_t y[12], cnt = -1;
    memset(y, 0x55, sizeof y);
    kk_nonzero(x, KK_F32, 2, d, y, &cnt);
    cr_assert_eq(cnt, 2);
    const int64_t want[12] = {0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0};
    cr_assert_eq(memcmp(y, want, sizeof y), 0, "valid columns first, zeros after");

    const uint8_t s = 1;
    kk_nonzero(&s, KK_BOOL, 0, NULL, y, &cnt);
    cr_assert_eq(cnt, 1);
}

/* ------------------------------------------ op functions (ops_index.c) */

/* One node `op` at `opset` in a fresh graph; inputs are added with
 * in_runtime / in_const, attributes with set_attr_*. */
typedef struct Case {
    Graph *g;
    Diag d;
    Node *n;
} Case;

static Node *case_new(Case *c, OpKind op, int opset, int ninputs)
{
    c->g = ir_graph_new("m", "t.onnx");
    cr_assert_not_null(c->g);
    c->g->opset = opset;
    diag_init(&c->d, "t.onnx");
    c->n = ir_node_new(c->g, op, "q", ninputs, 1);
    c->n->opset = opset;
    c->n->outputs[0] = ir_value_new(c->g, "y");
    return c->n;
}

static void case_free(Case *c)
{
    diag_free(&c->d);
    ir_graph_free(c->g);
}

static Value *in_value(Case *c, int k, DType t, int rank, const int64_t *dims)
{
    char name[4] = {'i', (char)('0' + k), 0};
    Value *v = ir_value_new(c->g, name);
    v->kind = VK_INPUT;
    v->dtype = t;
    v->rank = rank;
    for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
    c->n->inputs[k] = v;
    return v;
}

/* A constant input k holding `bytes` bytes of data. */
static Value *in_const(Case *c, int k, DType t, int rank, const int64_t *dims, const void *data)
{
    Value *v = in_value(c, k, t, rank, dims);
    void *p = ir_make_const(c->g, v, t, rank, dims);
    cr_assert_not_null(p);
    if (value_bytes(v)) memcpy(p, data, value_bytes(v));
    return v;
}

static void attr_i(Case *c, const char *name, int64_t v)
{
    ir_attr_set(c->g, c->n, name, AT_INT)->i = v;
}

static void attr_s(Case *c, const char *name, const char *s)
{
    ir_attr_set(c->g, c->n, name, AT_STRING)->s = s;
}

static void ok(Case *c)
{
    cr_assert_eq(ir_infer_node(c->g, c->n, &c->d), 0, "%s", c->d.text ? c->d.text : "");
}

static void fails(Case *c, const char *want)
{
    cr_assert_neq(ir_infer_node(c->g, c->n, &c->d), 0);
    cr_assert(c->d.text && strstr(c->d.text, want), "message: %s", c->d.text);
    cr_assert(strstr(c->d.text, "node 'q'"), "message: %s", c->d.text);
}

static void shape_is(const Value *v, int rank, const int64_t *dims)
{
    cr_assert_eq(v->rank, rank);
    for (int i = 0; i < rank; i++)
        cr_assert_eq(v->dims[i], dims[i], "dim %d: %lld", i, (long long)v->dims[i]);
}

/* Emitting the node gives exactly `want` and marks both kernel files. */
static void emits_text(Case *c, const char *const *in, const char *const *out, const char *want)
{
    Emitter e;
    emit_init(&e, "m");
    cr_assert_eq(op_table[c->n->op].emit_c(&e, c->n, in, out, &c->d), 0);
    cr_assert_str_eq(e.buf, want);
    cr_assert(e.kernels & (1u << KKF_INDEX));
    cr_assert(e.kernels & (1u << KKF_SHAPE));
    emit_free(&e);
}

static const int64_t D23[2] = {2, 3};

Test(index_ops, tile_repeats_and_tile1) {
    Case c;
    case_new(&c, OP_TILE, 13, 2);
    in_value(&c, 0, DT_F32, 2, D23);
    const int64_t r[2] = {3, 2}, n2 = 2;
    in_const(&c, 1, DT_I64, 1, &n2, r);
    ok(&c);
    const int64_t want[2] = {6, 6};
    shape_is(c.n->outputs[0], 2, want);
    const char *in[2] = {"X", "R"}, *out[1] = {"Y"};
    emits_text(&c, in, out,
               "kk_tile(X, Y, 2, (const int64_t[]){2, 3}, (const int64_t[]){3, 2}, 4);\n");
    case_free(&c);

    /* repeats from a runtime tensor cannot shape the output */
    case_new(&c, OP_TILE, 13, 2);
    in_value(&c, 0, DT_F32, 2, D23);
    in_value(&c, 1, DT_I64, 1, &n2);
    fails(&c, "input 1 ('i1') must be a compile-time constant");
    case_free(&c);

    /* Tile-1: tiles=4 along axis -1 */
    case_new(&c, OP_TILE, 1, 3);
    in_value(&c, 0, DT_F64, 2, D23);
    const int64_t four = 4, minus1 = -1;
    in_const(&c, 1, DT_I64, 0, NULL, &four);
    in_const(&c, 2, DT_I64, 0, NULL, &minus1);
    ok(&c);
    const int64_t want1[2] = {2, 12};
    shape_is(c.n->outputs[0], 2, want1);
    case_free(&c);
}

Test(index_ops, tile_folds_constant_input) {
    Case c;
    case_new(&c, OP_TILE, 13, 2);
    const int64_t two = 2, x[2] = {5, 6}, r[1] = {2};
    in_const(&c, 0, DT_I64, 1, &two, x);
    const int64_t one = 1;
    in_const(&c, 1, DT_I64, 1, &one, r);
    ok(&c);
    const Value *y = c.n->outputs[0];
    cr_assert_eq(y->kind, VK_CONST);
    const int64_t *p = y->data;
    cr_assert(p[0] == 5 && p[1] == 6 && p[2] == 5 && p[3] == 6);
    case_free(&c);
}

Test(index_ops, gather_elements_checks_and_emit) {
    Case c;
    case_new(&c, OP_GATHER_ELEMENTS, 13, 2);
    in_value(&c, 0, DT_U8, 2, D23);
    const int64_t di[2] = {2, 5};
    in_value(&c, 1, DT_I32, 2, di);
    attr_i(&c, "axis", -1);
    ok(&c);
    shape_is(c.n->outputs[0], 2, di);
    const char *in[2] = {"X", "I"}, *out[1] = {"Y"};
    emits_text(&c, in, out,
               "kk_gather_elements(X, (const int64_t[]){2, 3}, I, KK_I32, "
               "(const int64_t[]){2, 5}, 2, 1, Y, 1);\n");
    case_free(&c);

    /* constant indices are range-checked at compile time */
    case_new(&c, OP_GATHER_ELEMENTS, 13, 2);
    in_value(&c, 0, DT_F32, 2, D23);
    const int64_t d12[2] = {1, 2}, bad[2] = {0, -4};
    in_const(&c, 1, DT_I64, 2, d12, bad);
    attr_i(&c, "axis", 1);
    fails(&c, "index -4 (element 1 of input 1) out of range [-3, 3)");
    case_free(&c);

    /* indices wider than the data off the axis */
    case_new(&c, OP_GATHER_ELEMENTS, 13, 2);
    in_value(&c, 0, DT_F32, 2, D23);
    const int64_t d33[2] = {3, 3};
    in_value(&c, 1, DT_I64, 2, d33);
    attr_i(&c, "axis", 1);
    fails(&c, "unsupported: indices dim 0 (3) is larger");
    case_free(&c);
}

Test(index_ops, gather_nd_shapes_and_batch_dims) {
    Case c;
    case_new(&c, OP_GATHER_ND, 13, 2);
    const int64_t dx[3] = {2, 4, 5}, di[3] = {2, 3, 1};
    in_value(&c, 0, DT_F32, 3, dx);
    in_value(&c, 1, DT_I64, 3, di);
    attr_i(&c, "batch_dims", 1);
    ok(&c);
    const int64_t want[3] = {2, 3, 5};
    shape_is(c.n->outputs[0], 3, want);
    const char *in[2] = {"X", "I"}, *out[1] = {"Y"};
    emits_text(&c, in, out,
               "kk_gather_nd(X, I, KK_I64, Y, 2, 3, 1, (const int64_t[]){4}, 5, 4);\n");
    case_free(&c);

    case_new(&c, OP_GATHER_ND, 13, 2);
    in_value(&c, 0, DT_F32, 3, dx);
    const int64_t dj[2] = {3, 1};
    in_value(&c, 1, DT_I64, 2, dj);
    attr_i(&c, "batch_dims", 1);
    fails(&c, "batch dim 0: indices have 3, data has 2");
    case_free(&c);

    case_new(&c, OP_GATHER_ND, 13, 2);
    in_value(&c, 0, DT_F32, 3, dx);
    const int64_t dk[2] = {3, 4};
    in_value(&c, 1, DT_I64, 2, dk);
    fails(&c, "indices' last dim 4 must be in [1, 3]");
    case_free(&c);
}

Test(index_ops, scatter_nd_updates_reduction_and_dtype) {
    Case c;
    const int64_t dx[3] = {4, 4, 4}, di[2] = {2, 1}, du[3] = {2, 4, 4};
    case_new(&c, OP_SCATTER_ND, 18, 3);
    in_value(&c, 0, DT_F32, 3, dx);
    in_value(&c, 1, DT_I64, 2, di);
    in_value(&c, 2, DT_F32, 3, du);
    attr_s(&c, "reduction", "mul");
    ok(&c);
    shape_is(c.n->outputs[0], 3, dx);
    const char *in[3] = {"X", "I", "U"}, *out[1] = {"Y"};
    emits_text(&c, in, out,
               "kk_scatter_nd(X, I, KK_I64, U, Y, 64, 2, 1, (const int64_t[]){4}, 16, KK_F32, "
               "KK_SCATTER_MUL, 4);\n");
    case_free(&c);

    case_new(&c, OP_SCATTER_ND, 18, 3);
    in_value(&c, 0, DT_F32, 3, dx);
    in_value(&c, 1, DT_I64, 2, di);
    const int64_t wrong[3] = {2, 4, 3};
    in_value(&c, 2, DT_F32, 3, wrong);
    fails(&c, "updates must have shape indices.shape[:-1] + data.shape[1:]");
    case_free(&c);

    case_new(&c, OP_SCATTER_ND, 18, 3);
    in_value(&c, 0, DT_BOOL, 3, dx);
    in_value(&c, 1, DT_I64, 2, di);
    in_value(&c, 2, DT_BOOL, 3, du);
    attr_s(&c, "reduction", "add");
    fails(&c, "unsupported dtype bool for reduction='add'");
    case_free(&c);

    case_new(&c, OP_SCATTER_ND, 18, 3);
    in_value(&c, 0, DT_F32, 3, dx);
    in_value(&c, 1, DT_I64, 2, di);
    in_value(&c, 2, DT_F32, 3, du);
    attr_s(&c, "reduction", "avg");
    fails(&c, "unsupported attribute value reduction='avg'");
    case_free(&c);
}

Test(index_ops, scatter_elements_and_old_scatter) {
    Case c;
    const int64_t dx[2] = {1, 5}, di[2] = {1, 2};
    for (int old = 0; old < 2; old++) {
        case_new(&c, old ? OP_SCATTER : OP_SCATTER_ELEMENTS, old ? 10 : 18, 3);
        in_value(&c, 0, DT_F32, 2, dx);
        in_value(&c, 1, DT_I64, 2, di);
        in_value(&c, 2, DT_F32, 2, di);
        attr_i(&c, "axis", 1);
        if (!old) attr_s(&c, "reduction", "max");
        ok(&c);
        shape_is(c.n->outputs[0], 2, dx);
        const char *in[3] = {"X", "I", "U"}, *out[1] = {"Y"};
        emits_text(&c, in, out, old ?
                   "kk_scatter_elements(X, I, KK_I64, U, Y, 2, (const int64_t[]){1, 5}, "
                   "(const int64_t[]){1, 2}, 1, KK_F32, KK_SCATTER_NONE, 4);\n" :
                   "kk_scatter_elements(X, I, KK_I64, U, Y, 2, (const int64_t[]){1, 5}, "
                   "(const int64_t[]){1, 2}, 1, KK_F32, KK_SCATTER_MAX, 4);\n");
        case_free(&c);
    }
    case_new(&c, OP_SCATTER_ELEMENTS, 18, 3);
    in_value(&c, 0, DT_F32, 2, dx);
    in_value(&c, 1, DT_I64, 2, di);
    in_value(&c, 2, DT_F64, 2, di);
    fails(&c, "updates have dtype f64, data has f32");
    case_free(&c);
}

Test(index_ops, cumsum_axis_constant_and_dtypes) {
    Case c;
    case_new(&c, OP_CUMSUM, 14, 2);
    in_value(&c, 0, DT_I32, 2, D23);
    const int32_t ax = -2;
    in_const(&c, 1, DT_I32, 0, NULL, &ax);
    attr_i(&c, "reverse", 1);
    ok(&c);
    const char *in[2] = {"X", "A"}, *out[1] = {"Y"};
    emits_text(&c, in, out, "kk_cumsum(X, Y, KK_I32, 1, 2, 3, 0, 1);\n");
    case_free(&c);

    case_new(&c, OP_CUMSUM, 14, 2);
    in_value(&c, 0, DT_F16, 2, D23);
    in_const(&c, 1, DT_I32, 0, NULL, &ax);
    fails(&c, "unsupported dtype f16");
    case_free(&c);

    case_new(&c, OP_CUMSUM, 14, 2);
    in_value(&c, 0, DT_F32, 2, D23);
    in_value(&c, 1, DT_I64, 0, NULL);
    fails(&c, "must be a compile-time constant");
    case_free(&c);
}

Test(index_ops, one_hot_depth_axis_and_values) {
    Case c;
    case_new(&c, OP_ONE_HOT, 11, 3);
    in_value(&c, 0, DT_F32, 2, D23);
    const float depth = 10.9f;
    in_const(&c, 1, DT_F32, 0, NULL, &depth);
    const int64_t two = 2;
    in_value(&c, 2, DT_I64, 1, &two);
    attr_i(&c, "axis", 1);
    ok(&c);
    const int64_t want[3] = {2, 10, 3};
    shape_is(c.n->outputs[0], 3, want);
    cr_assert_eq(c.n->outputs[0]->dtype, DT_I64);
    const char *in[3] = {"I", "D", "V"}, *out[1] = {"Y"};
    emits_text(&c, in, out, "kk_onehot(I, KK_F32, V, Y, 2, 10, 3, 1, 8);\n");
    case_free(&c);

    case_new(&c, OP_ONE_HOT, 11, 3);
    in_value(&c, 0, DT_I64, 2, D23);
    in_const(&c, 1, DT_F32, 0, NULL, &depth);
    const int64_t three = 3;
    in_value(&c, 2, DT_F32, 1, &three);
    fails(&c, "values must hold 2 elements");
    case_free(&c);

    case_new(&c, OP_ONE_HOT, 11, 3);
    in_value(&c, 0, DT_I64, 2, D23);
    in_const(&c, 1, DT_F32, 0, NULL, &depth);
    in_value(&c, 2, DT_BF16, 1, &two);
    fails(&c, "unsupported dtype bf16 for input 2");
    case_free(&c);
}

Test(index_ops, trilu_runtime_k_and_default) {
    Case c;
    const int64_t d[3] = {2, 3, 4};
    case_new(&c, OP_TRILU, 14, 2);
    in_value(&c, 0, DT_I64, 3, d);
    in_value(&c, 1, DT_I64, 0, NULL);
    attr_i(&c, "upper", 0);
    ok(&c);
    const char *in[2] = {"X", "K"}, *out[1] = {"Y"};
    emits_text(&c, in, out, "kk_trilu(X, Y, 2, 3, 4, K, 0, 8);\n");
    case_free(&c);

    case_new(&c, OP_TRILU, 14, 1);
    in_value(&c, 0, DT_F32, 2, D23);
    ok(&c);
    const char *in1[1] = {"X"};
    emits_text(&c, in1, out, "kk_trilu(X, Y, 1, 2, 3, NULL, 1, 4);\n");
    case_free(&c);

    case_new(&c, OP_TRILU, 14, 1);
    in_value(&c, 0, DT_F32, 1, D23);
    fails(&c, "input must have rank >= 2");
    case_free(&c);
}

Test(index_ops, size_folds_from_the_static_shape) {
    Case c;
    const int64_t d[3] = {3, 4, 5};
    case_new(&c, OP_SIZE, 21, 1);
    in_value(&c, 0, DT_U16, 3, d);   /* any dtype: only the shape is read */
    ok(&c);
    const Value *y = c.n->outputs[0];
    cr_assert_eq(y->kind, VK_CONST, "a runtime input's Size is still a constant");
    cr_assert_eq(y->rank, 0);
    cr_assert_eq(*(const int64_t *)y->data, 60);
    case_free(&c);
}

Test(index_ops, non_zero_capacity_count_and_fold) {
    Case c;
    case_new(&c, OP_NON_ZERO, 13, 1);
    in_value(&c, 0, DT_BOOL, 2, D23);
    ok(&c);
    const int64_t cap[2] = {2, 6};
    shape_is(c.n->outputs[0], 2, cap);
    cr_assert_eq(c.n->noutputs, 2, "hidden count output");
    cr_assert_eq(c.n->outputs[0]->dyn_axis, 1);
    cr_assert_eq(c.n->outputs[0]->count, c.n->outputs[1]);
    ok(&c);     /* inference again: still one count output */
    cr_assert_eq(c.n->noutputs, 2);
    const char *in[1] = {"X"}, *out[2] = {"Y", "C"};
    emits_text(&c, in, out, "kk_nonzero(X, KK_BOOL, 2, (const int64_t[]){2, 3}, Y, C);\n");
    case_free(&c);

    /* a constant input folds to the exact extent */
    case_new(&c, OP_NON_ZERO, 13, 1);
    const int32_t x[6] = {0, 7, 0, 0, 0, -1};
    in_const(&c, 0, DT_I32, 2, D23, x);
    ok(&c);
    const Value *y = c.n->outputs[0];
    const int64_t exact[2] = {2, 2};
    cr_assert_eq(y->kind, VK_CONST);
    shape_is(y, 2, exact);
    const int64_t *p = y->data;
    cr_assert(p[0] == 0 && p[1] == 1 && p[2] == 1 && p[3] == 2, "%lld %lld %lld %lld",
              (long long)p[0], (long long)p[1], (long long)p[2], (long long)p[3]);
    case_free(&c);
}
