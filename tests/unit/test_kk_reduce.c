/*
 * test_kk_reduce.c - unit tests of the reduce family: the reference kernels
 * (kernels/ref/reduce.c) on small hand-checked cases, then the op functions
 * (compiler/ops_reduce.c): opset-dependent parsing, shape inference, the
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

/* ------------------------------------------------------------ kk_reduce */

/* x = [[[1,2],[3,4]], [[5,6],[7,8]], [[9,10],[11,12]]], shape 3x2x2 */
static const float X322[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const int64_t D322[3] = {3, 2, 2};

Test(kk_reduce, sum_middle_axis) {
    float y[6];
    cr_assert_eq(kk_reduce(KK_RED_SUM, KK_F32, X322, y, 3, D322, 0x2u), 0);
    const float want[6] = {4, 6, 12, 14, 20, 22};
    for (int i = 0; i < 6; i++) cr_assert_float_eq(y[i], want[i], EPS, "y[%d]=%g", i, y[i]);
}

Test(kk_reduce, mean_all_axes) {
    float y[1];
    cr_assert_eq(kk_reduce(KK_RED_MEAN, KK_F32, X322, y, 3, D322, 0x7u), 0);
    cr_assert_float_eq(y[0], 6.5f, EPS);
}

Test(kk_reduce, max_outer_and_inner_axes) {
    /* axes {0, 2}: not adjacent, so two reduced runs around a kept one */
    float y[2];
    cr_assert_eq(kk_reduce(KK_RED_MAX, KK_F32, X322, y, 3, D322, 0x5u), 0);
    cr_assert_float_eq(y[0], 10.0f, EPS);
    cr_assert_float_eq(y[1], 12.0f, EPS);
}

Test(kk_reduce, sum_first_axis_with_size_one_dims) {
    /* 1x3x1x2 over axes {1, 2}: size-1 axes are dropped before merging */
    const float x[6] = {1, 2, 3, 4, 5, 6};
    const int64_t dims[4] = {1, 3, 1, 2};
    float y[2];
    cr_assert_eq(kk_reduce(KK_RED_SUM, KK_F32, x, y, 4, dims, 0x6u), 0);
    cr_assert_float_eq(y[0], 9.0f, EPS);
    cr_assert_float_eq(y[1], 12.0f, EPS);
}

Test(kk_reduce, mask_zero_is_identity) {
    float y[12];
    cr_assert_eq(kk_reduce(KK_RED_SUM, KK_F32, X322, y, 3, D322, 0u), 0);
    cr_assert_eq(memcmp(y, X322, sizeof y), 0);
    cr_assert_eq(kk_reduce(KK_RED_MAX, KK_F32, X322, y, 3, D322, 0u), 0);
    cr_assert_eq(memcmp(y, X322, sizeof y), 0);
}

Test(kk_reduce, scalar) {
    const double x = -2.5;
    double y = 0;
    cr_assert_eq(kk_reduce(KK_RED_MEAN, KK_F64, &x, &y, 0, NULL, 0u), 0);
    cr_assert_float_eq(y, -2.5, EPS);
}

Test(kk_reduce, empty_set_values) {
    /* 2x0x4 reduced over axis 1: every output element reduces nothing */
    const int64_t dims[3] = {2, 0, 4};
    const float x[1] = {0};
    float y[8];
    cr_assert_eq(kk_reduce(KK_RED_SUM, KK_F32, x, y, 3, dims, 0x2u), 0);
    for (int i = 0; i < 8; i++) cr_assert_eq(y[i], 0.0f);
    cr_assert_eq(kk_reduce(KK_RED_MAX, KK_F32, x, y, 3, dims, 0x2u), 0);
    for (int i = 0; i < 8; i++) cr_assert(isinf(y[i]) && y[i] < 0);
    cr_assert_eq(kk_reduce(KK_RED_MIN, KK_F32, x, y, 3, dims, 0x2u), 0);
    for (int i = 0; i < 8; i++) cr_assert(isinf(y[i]) && y[i] > 0);
    cr_assert_eq(kk_reduce(KK_RED_PROD, KK_F32, x, y, 3, dims, 0x2u), 0);
    for (int i = 0; i < 8; i++) cr_assert_eq(y[i], 1.0f);
    cr_assert_eq(kk_reduce(KK_RED_LOGSUMEXP, KK_F32, x, y, 3, dims, 0x2u), 0);
    for (int i = 0; i < 8; i++) cr_assert(isinf(y[i]) && y[i] < 0);
    cr_assert_eq(kk_reduce(KK_RED_MEAN, KK_F32, x, y, 3, dims, 0x2u), 0);
    for (int i = 0; i < 8; i++) cr_assert(isnan(y[i]));

    const uint8_t b[1] = {0};
    uint8_t yb[8];
    cr_assert_eq(kk_reduce(KK_RED_MAX, KK_BOOL, b, yb, 3, dims, 0x2u), 0);
    for (int i = 0; i < 8; i++) cr_assert_eq(yb[i], 0);
    cr_assert_eq(kk_reduce(KK_RED_MIN, KK_BOOL, b, yb, 3, dims, 0x2u), 0);
    for (int i = 0; i < 8; i++) cr_assert_eq(yb[i], 1);

    const int32_t xi[1] = {0};
    int32_t yi[8];
    cr_assert_eq(kk_reduce(KK_RED_MAX, KK_I32, xi, yi, 3, dims, 0x2u), 0);
    for (int i = 0; i < 8; i++) cr_assert_eq(yi[i], INT32_MIN);
}

Test(kk_reduce, empty_kept_axis_writes_nothing) {
    const int64_t dims[3] = {2, 0, 4};
    const float x[1] = {0};
    float y[1] = {42};
    cr_assert_eq(kk_reduce(KK_RED_SUM, KK_F32, x, y, 3, dims, 0x4u), 0);
    cr_assert_eq(y[0], 42.0f);
}

Test(kk_reduce, norms_and_logs) {
    const float x[4] = {3, -4, 0, 1};
    const int64_t dims[2] = {2, 2};
    float y[2];
    cr_assert_eq(kk_reduce(KK_RED_L1, KK_F32, x, y, 2, dims, 0x2u), 0);
    cr_assert_float_eq(y[0], 7.0f, EPS);
    cr_assert_float_eq(y[1], 1.0f, EPS);
    cr_assert_eq(kk_reduce(KK_RED_L2, KK_F32, x, y, 2, dims, 0x2u), 0);
    cr_assert_float_eq(y[0], 5.0f, EPS);
    cr_assert_eq(kk_reduce(KK_RED_SUMSQ, KK_F32, x, y, 2, dims, 0x2u), 0);
    cr_assert_float_eq(y[0], 25.0f, EPS);
    cr_assert_eq(kk_reduce(KK_RED_PROD, KK_F32, x, y, 2, dims, 0x1u), 0);
    cr_assert_float_eq(y[0], 0.0f, EPS);
    cr_assert_float_eq(y[1], -4.0f, EPS);
    cr_assert_eq(kk_reduce(KK_RED_LOGSUM, KK_F32, x, y, 2, dims, 0x1u), 0);
    cr_assert_float_eq(y[0], logf(3.0f), EPS);

    /* stable for large values: log(e^1000 + e^1000) = 1000 + log 2 */
    const float big[2] = {1000, 1000};
    const int64_t d2[1] = {2};
    cr_assert_eq(kk_reduce(KK_RED_LOGSUMEXP, KK_F32, big, y, 1, d2, 0x1u), 0);
    cr_assert_float_eq(y[0], 1000.0f + logf(2.0f), 1e-3);
}

Test(kk_reduce, nan_propagates_through_max) {
    const float x[3] = {1, NAN, 2};
    const int64_t d[1] = {3};
    float y;
    cr_assert_eq(kk_reduce(KK_RED_MAX, KK_F32, x, &y, 1, d, 0x1u), 0);
    cr_assert(isnan(y));
    cr_assert_eq(kk_reduce(KK_RED_MIN, KK_F32, x, &y, 1, d, 0x1u), 0);
    cr_assert(isnan(y));
}

Test(kk_reduce, integer_types) {
    const int64_t d[1] = {3};
    const int32_t xi[3] = {-5, 7, -9};
    int32_t yi;
    cr_assert_eq(kk_reduce(KK_RED_SUM, KK_I32, xi, &yi, 1, d, 0x1u), 0);
    cr_assert_eq(yi, -7);
    cr_assert_eq(kk_reduce(KK_RED_MAX, KK_I32, xi, &yi, 1, d, 0x1u), 0);
    cr_assert_eq(yi, 7);
    cr_assert_eq(kk_reduce(KK_RED_L1, KK_I32, xi, &yi, 1, d, 0x1u), 0);
    cr_assert_eq(yi, 21);
    cr_assert_eq(kk_reduce(KK_RED_SUMSQ, KK_I32, xi, &yi, 1, d, 0x1u), 0);
    cr_assert_eq(yi, 155);

    /* mean truncates toward zero: -7 / 3 -> -2 */
    const int64_t xl[3] = {-5, 7, -9};
    int64_t yl;
    cr_assert_eq(kk_reduce(KK_RED_MEAN, KK_I64, xl, &yl, 1, d, 0x1u), 0);
    cr_assert_eq(yl, -2);
    cr_assert_eq(kk_reduce(KK_RED_PROD, KK_I64, xl, &yl, 1, d, 0x1u), 0);
    cr_assert_eq(yl, 315);

    /* int8 sums wrap like the type: 127 + 1 + 0 = -128 */
    const int8_t x8[3] = {127, 1, 0};
    int8_t y8;
    cr_assert_eq(kk_reduce(KK_RED_SUM, KK_I8, x8, &y8, 1, d, 0x1u), 0);
    cr_assert_eq(y8, -128);

    const uint8_t xu[3] = {200, 13, 255};
    uint8_t yu;
    cr_assert_eq(kk_reduce(KK_RED_MIN, KK_U8, xu, &yu, 1, d, 0x1u), 0);
    cr_assert_eq(yu, 13);

    const uint64_t x64[3] = {UINT64_MAX, 1, 5};
    uint64_t y64;
    cr_assert_eq(kk_reduce(KK_RED_MAX, KK_U64, x64, &y64, 1, d, 0x1u), 0);
    cr_assert_eq(y64, UINT64_MAX);

    const int32_t sq[2] = {3, 4};
    const int64_t d2[1] = {2};
    cr_assert_eq(kk_reduce(KK_RED_L2, KK_I32, sq, &yi, 1, d2, 0x1u), 0);
    cr_assert_eq(yi, 5);
}

Test(kk_reduce, bool_max_min) {
    const uint8_t x[8] = {1, 1, 1, 0, 0, 1, 0, 0};
    const int64_t d[2] = {4, 2};
    uint8_t y[4];
    cr_assert_eq(kk_reduce(KK_RED_MAX, KK_BOOL, x, y, 2, d, 0x2u), 0);
    const uint8_t want_max[4] = {1, 1, 1, 0};
    cr_assert_eq(memcmp(y, want_max, 4), 0);
    cr_assert_eq(kk_reduce(KK_RED_MIN, KK_BOOL, x, y, 2, d, 0x2u), 0);
    const uint8_t want_min[4] = {1, 0, 0, 0};
    cr_assert_eq(memcmp(y, want_min, 4), 0);
}

Test(kk_reduce, rejects_unsupported) {
    const uint8_t b[2] = {1, 0};
    const int64_t d[1] = {2};
    uint8_t y;
    cr_assert_eq(kk_reduce(KK_RED_SUM, KK_BOOL, b, &y, 1, d, 0x1u), -1);
    cr_assert_eq(kk_reduce(KK_RED_SUM, KK_F16, b, &y, 1, d, 0x1u), -1);
    cr_assert_eq(kk_reduce(KK_RED_COUNT_, KK_U8, b, &y, 1, d, 0x1u), -1);
    cr_assert_eq(kk_reduce(KK_RED_SUM, KK_U8, b, &y, KK_MAX_RANK + 1, d, 0x1u), -1);
}

/* --------------------------------------------------------- kk_argreduce */

Test(kk_argreduce, ties_first_and_last) {
    /* [[2, 2], [3, 2]] along axis 1 and axis 0 */
    const float x[4] = {2, 2, 3, 2};
    int64_t y[2];
    cr_assert_eq(kk_argreduce(KK_F32, 0, 0, x, y, 2, 2, 1), 0);
    cr_assert_eq(y[0], 0);
    cr_assert_eq(y[1], 0);
    cr_assert_eq(kk_argreduce(KK_F32, 0, 1, x, y, 2, 2, 1), 0);
    cr_assert_eq(y[0], 1);
    cr_assert_eq(y[1], 0);
    /* axis 0: outer 1, n 2, inner 2 */
    cr_assert_eq(kk_argreduce(KK_F32, 0, 0, x, y, 1, 2, 2), 0);
    cr_assert_eq(y[0], 1);
    cr_assert_eq(y[1], 0);
    cr_assert_eq(kk_argreduce(KK_F32, 0, 1, x, y, 1, 2, 2), 0);
    cr_assert_eq(y[0], 1);
    cr_assert_eq(y[1], 1);
}

Test(kk_argreduce, argmin_ints_and_nan) {
    const int32_t xi[4] = {4, -1, 7, -1};
    int64_t y;
    cr_assert_eq(kk_argreduce(KK_I32, 1, 0, xi, &y, 1, 4, 1), 0);
    cr_assert_eq(y, 1);
    cr_assert_eq(kk_argreduce(KK_I32, 1, 1, xi, &y, 1, 4, 1), 0);
    cr_assert_eq(y, 3);
    const double xd[3] = {1, NAN, 5};
    cr_assert_eq(kk_argreduce(KK_F64, 0, 0, xd, &y, 1, 3, 1), 0);
    cr_assert_eq(y, 1);
    cr_assert_eq(kk_argreduce(KK_F16, 0, 0, xd, &y, 1, 3, 1), -1);
}

/* ----------------------------------------------------------- kk_softmax */

Test(kk_softmax, row_values) {
    const float x[3] = {1, 2, 3};
    float y[3];
    cr_assert_eq(kk_softmax(KK_F32, 0, x, y, 1, 3, 1), 0);
    const float want[3] = {0.09003057f, 0.24472847f, 0.66524096f};
    for (int i = 0; i < 3; i++) cr_assert_float_eq(y[i], want[i], EPS);
    cr_assert_eq(kk_softmax(KK_F32, 1, x, y, 1, 3, 1), 0);
    for (int i = 0; i < 3; i++) cr_assert_float_eq(y[i], logf(want[i]), EPS);
}

Test(kk_softmax, large_logits_stay_finite) {
    const float x[4] = {10000, 10001, 10002, 10003};
    float y[4];
    const float want[4] = {0.0320586f, 0.08714432f, 0.2368828f, 0.6439143f};
    cr_assert_eq(kk_softmax(KK_F32, 0, x, y, 1, 4, 1), 0);
    for (int i = 0; i < 4; i++) cr_assert_float_eq(y[i], want[i], EPS);
    cr_assert_eq(kk_softmax(KK_F32, 1, x, y, 1, 4, 1), 0);
    cr_assert_float_eq(y[0], -3.4401896f, 1e-4);
    cr_assert_float_eq(y[3], -0.44018966f, 1e-4);
}

Test(kk_softmax, strided_axis_and_in_place) {
    /* 2x2 along axis 0 (inner 2): columns [0, ln 3] and [5, 5] */
    double x[4] = {0, 5, log(3.0), 5};
    cr_assert_eq(kk_softmax(KK_F64, 0, x, x, 1, 2, 2), 0);
    cr_assert_float_eq(x[0], 0.25, 1e-12);
    cr_assert_float_eq(x[2], 0.75, 1e-12);
    cr_assert_float_eq(x[1], 0.5, 1e-12);
    cr_assert_float_eq(x[3], 0.5, 1e-12);
    double z[2] = {0, log(3.0)};
    cr_assert_eq(kk_softmax(KK_F64, 1, z, z, 1, 2, 1), 0);
    cr_assert_float_eq(z[0], log(0.25), 1e-12);
    cr_assert_float_eq(z[1], log(0.75), 1e-12);
    int32_t bad[2] = {0, 1};
    cr_assert_eq(kk_softmax(KK_I32, 0, bad, bad, 1, 2, 1), -1);
}

/* ------------------------------------------- op functions (ops_reduce.c) */

typedef struct Fixture {
    Graph *g;
    Diag d;
    Node *n;
    Value *x;
    Value *y;
} Fixture;

/* A graph with one node `op` at `opset` reading input x (dtype t, dims). */
static void fx_init(Fixture *f, OpKind op, int opset, DType t, int rank, const int64_t *dims, int ninputs)
{
    f->g = ir_graph_new("m", "t.onnx");
    cr_assert_not_null(f->g);
    f->g->opset = opset;
    diag_init(&f->d, "t.onnx");
    f->x = ir_value_new(f->g, "x");
    f->x->kind = VK_INPUT;
    f->x->dtype = t;
    f->x->rank = rank;
    for (int i = 0; i < rank; i++) f->x->dims[i] = dims[i];
    f->y = ir_value_new(f->g, "y");
    f->n = ir_node_new(f->g, op, "r", ninputs, 1);
    f->n->inputs[0] = f->x;
    f->n->outputs[0] = f->y;
}

static void fx_free(Fixture *f)
{
    diag_free(&f->d);
    ir_graph_free(f->g);
}

static void set_ints(Fixture *f, const char *name, const int64_t *v, int n)
{
    Attr *a = ir_attr_set(f->g, f->n, name, AT_INTS);
    a->n = n;
    a->ints = arena_alloc(&f->g->arena, sizeof(int64_t) * (size_t)(n ? n : 1));
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)n);
}

static void set_int(Fixture *f, const char *name, int64_t v)
{
    Attr *a = ir_attr_set(f->g, f->n, name, AT_INT);
    a->i = v;
}

static Value *const_axes(Fixture *f, const int64_t *v, int n)
{
    Value *ax = ir_value_new(f->g, "axes");
    int64_t dims[1] = {n};
    int64_t *p = ir_make_const(f->g, ax, DT_I64, 1, dims);
    if (n)
        memcpy(p, v, sizeof(int64_t) * (size_t)n);
    f->n->inputs[1] = ax;
    return ax;
}

static void assert_shape(const Value *v, int rank, const int64_t *dims)
{
    cr_assert_eq(v->rank, rank, "rank %d, expected %d", v->rank, rank);
    for (int i = 0; i < rank; i++)
        cr_assert_eq(v->dims[i], dims[i], "dim %d is %lld, expected %lld", i,
                     (long long)v->dims[i], (long long)dims[i]);
}

Test(reduce_ops, sum_axes_input_opset13) {
    Fixture f;
    fx_init(&f, OP_REDUCE_SUM, 13, DT_F32, 3, D322, 2);
    const int64_t axes[1] = {-2};
    const_axes(&f, axes, 1);
    set_int(&f, "keepdims", 0);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", f.d.text ? f.d.text : "");
    const int64_t want[2] = {3, 2};
    assert_shape(f.y, 2, want);
    cr_assert_eq(f.y->dtype, DT_F32);
    cr_assert_eq(f.n->a.reduce.mask, 0x2u);

    Emitter e;
    emit_init(&e, "m");
    const char *in[2] = {"X", "A"}, *out[1] = {"Y"};
    cr_assert_eq(reduce_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_reduce(KK_RED_SUM, KK_F32, X, Y, 3, (const int64_t[]){3, 2, 2}, 0x2u);\n");
    cr_assert(e.kernels & (1u << KKF_REDUCE));
    emit_free(&e);
    fx_free(&f);
}

Test(reduce_ops, mean_axes_attribute_before_opset18) {
    Fixture f;
    fx_init(&f, OP_REDUCE_MEAN, 13, DT_F32, 3, D322, 1);
    const int64_t axes[2] = {0, 2};
    set_ints(&f, "axes", axes, 2);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", f.d.text ? f.d.text : "");
    const int64_t want[3] = {1, 2, 1};
    assert_shape(f.y, 3, want);
    cr_assert_eq(f.n->a.reduce.naxes, 2);
    cr_assert_eq(f.n->a.reduce.axes[1], 2);
    fx_free(&f);
}

Test(reduce_ops, empty_axes_reduce_all_or_noop) {
    Fixture f;
    fx_init(&f, OP_REDUCE_MAX, 18, DT_F32, 3, D322, 1);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", f.d.text ? f.d.text : "");
    const int64_t ones[3] = {1, 1, 1};
    assert_shape(f.y, 3, ones);
    fx_free(&f);

    fx_init(&f, OP_REDUCE_SUM, 13, DT_F32, 3, D322, 2);
    const_axes(&f, NULL, 0);
    set_int(&f, "noop_with_empty_axes", 1);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", f.d.text ? f.d.text : "");
    assert_shape(f.y, 3, D322);
    cr_assert_eq(f.n->a.reduce.mask, 0u);
    fx_free(&f);
}

Test(reduce_ops, folds_through_exec) {
    Fixture f;
    fx_init(&f, OP_REDUCE_SUM, 11, DT_F32, 3, D322, 1);
    float *p = ir_make_const(f.g, f.x, DT_F32, 3, D322);
    memcpy(p, X322, sizeof X322);
    const int64_t axes[1] = {1};
    set_ints(&f, "axes", axes, 1);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", f.d.text ? f.d.text : "");
    cr_assert_eq(f.y->kind, VK_CONST);
    const float *y = f.y->data;
    const float want[6] = {4, 6, 12, 14, 20, 22};
    for (int i = 0; i < 6; i++) cr_assert_float_eq(y[i], want[i], EPS);
    fx_free(&f);
}

Test(reduce_ops, axes_must_be_constant) {
    Fixture f;
    fx_init(&f, OP_REDUCE_SUM, 13, DT_F32, 3, D322, 2);
    Value *ax = ir_value_new(f.g, "axes");
    ax->kind = VK_INPUT;
    ax->dtype = DT_I64;
    ax->rank = 1;
    ax->dims[0] = 1;
    f.n->inputs[1] = ax;
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(f.d.text, "node 'r'") && strstr(f.d.text, "compile-time constant"), "%s", f.d.text);
    fx_free(&f);
}

Test(reduce_ops, diagnostics) {
    Fixture f;
    fx_init(&f, OP_REDUCE_SUM, 13, DT_F16, 3, D322, 1);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(f.d.text, "unsupported dtype"), "%s", f.d.text);
    fx_free(&f);

    fx_init(&f, OP_REDUCE_SUM, 13, DT_BOOL, 3, D322, 1);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(f.d.text, "unsupported dtype bool"), "%s", f.d.text);
    fx_free(&f);

    fx_init(&f, OP_REDUCE_MEAN, 18, DT_F32, 3, D322, 1);
    const int64_t axes[1] = {1};
    set_ints(&f, "axes", axes, 1);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(f.d.text, "not allowed from opset 18"), "%s", f.d.text);
    fx_free(&f);

    fx_init(&f, OP_REDUCE_MAX, 13, DT_F32, 3, D322, 1);
    const int64_t dup[2] = {1, -2};
    set_ints(&f, "axes", dup, 2);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(f.d.text, "twice"), "%s", f.d.text);
    fx_free(&f);

    fx_init(&f, OP_SOFTMAX, 13, DT_I32, 3, D322, 1);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(f.d.text, "unsupported dtype"), "%s", f.d.text);
    fx_free(&f);
}

Test(reduce_ops, softmax_axis_by_opset) {
    Fixture f;
    Emitter e;
    const char *in[1] = {"X"}, *out[1] = {"Y"};

    /* opset 11: coerced to 2-D at axis 1 (default) -> [3, 4] */
    fx_init(&f, OP_SOFTMAX, 11, DT_F32, 3, D322, 1);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", f.d.text ? f.d.text : "");
    assert_shape(f.y, 3, D322);
    emit_init(&e, "m");
    cr_assert_eq(reduce_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_softmax(KK_F32, 0, X, Y, 3, 4, 1);\n");
    emit_free(&e);
    fx_free(&f);

    /* opset 13: last axis by default -> [6, 2, 1] */
    fx_init(&f, OP_LOG_SOFTMAX, 13, DT_F64, 3, D322, 1);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", f.d.text ? f.d.text : "");
    emit_init(&e, "m");
    cr_assert_eq(reduce_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_softmax(KK_F64, 1, X, Y, 6, 2, 1);\n");
    emit_free(&e);
    fx_free(&f);

    /* opset 13, axis 1 -> [3, 2, 2] */
    fx_init(&f, OP_SOFTMAX, 13, DT_F32, 3, D322, 1);
    set_int(&f, "axis", 1);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", f.d.text ? f.d.text : "");
    emit_init(&e, "m");
    cr_assert_eq(reduce_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_softmax(KK_F32, 0, X, Y, 3, 2, 2);\n");
    emit_free(&e);
    fx_free(&f);
}

Test(reduce_ops, argmax_shape_and_emit) {
    Fixture f;
    fx_init(&f, OP_ARG_MAX, 13, DT_F32, 3, D322, 1);
    set_int(&f, "axis", -1);
    set_int(&f, "keepdims", 0);
    set_int(&f, "select_last_index", 1);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", f.d.text ? f.d.text : "");
    const int64_t want[2] = {3, 2};
    assert_shape(f.y, 2, want);
    cr_assert_eq(f.y->dtype, DT_I64);
    Emitter e;
    emit_init(&e, "m");
    const char *in[1] = {"X"}, *out[1] = {"Y"};
    cr_assert_eq(reduce_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_argreduce(KK_F32, 0, 1, X, Y, 6, 2, 1);\n");
    emit_free(&e);
    fx_free(&f);

    const int64_t empty[2] = {2, 0};
    fx_init(&f, OP_ARG_MAX, 13, DT_F32, 2, empty, 1);
    set_int(&f, "axis", 1);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(f.d.text, "size 0"), "%s", f.d.text);
    fx_free(&f);
}

/* float32 Softmax over contiguous rows (the vector-exp path) against the
 * same rows in double (within a few ulp plus the rounding of x - max), rows of 1..70 elements (every vector tail), in
 * place too; extreme logits stay finite. */
Test(kk_softmax, f32_rows_vector_exp) {
    enum { R = 3, N = 70 };
    static float x[R * N], y[R * N];
    static double xd[R * N], yd[R * N];
    for (int n = 1; n <= N; n++) {
        for (int i = 0; i < R * n; i++) {
            x[i] = (float)(sin(1.3 * i) * 12.0) + (i == 5 ? 80.0f : 0.0f);
            xd[i] = (double)x[i];
        }
        cr_assert_eq(kk_softmax(KK_F32, 0, x, y, R, n, 1), 0);
        cr_assert_eq(kk_softmax(KK_F64, 0, xd, yd, R, n, 1), 0);
        for (int r = 0; r < R; r++) {
            double m = -INFINITY;
            for (int k = 0; k < n; k++) m = fmax(m, xd[r * n + k]);
            for (int k = 0; k < n; k++) {
                /* x - max rounds to float: an error of 1 ulp of |x - max| in the exponent */
                const int i = r * n + k;
                const double tol = (2e-7 + 1.2e-7 * fabs(xd[i] - m)) * yd[i] + 1e-30;
                cr_expect(fabs((double)y[i] - yd[i]) <= tol, "n=%d i=%d: %.9g vs %.9g", n, i, (double)y[i], yd[i]);
            }
        }
        cr_assert_eq(kk_softmax(KK_F32, 0, x, x, R, n, 1), 0);
        cr_expect(memcmp(x, y, (size_t)(R * n) * sizeof(float)) == 0, "in place, n=%d", n);
    }
}
