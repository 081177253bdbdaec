/*
 * test_kk_shape.c - unit tests of the shape family: the reference kernels
 * (kernels/ref/shape.c) on small hand-checked cases, then the op functions
 * (compiler/ops_shape.c, ops_movement.c): opset-dependent parsing, shape
 * inference, diagnostics, folding through exec and the emitted kernel calls.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

/* ---------------------------------------------------------------- kernels */

Test(kk_shape, copy_same_buffer_and_empty) {
    float x[3] = {1, 2, 3};
    float y[3] = {0, 0, 0};
    kk_copy(x, y, sizeof x);
    cr_assert_eq(memcmp(x, y, sizeof x), 0);
    kk_copy(x, x, sizeof x);            /* in place: unchanged */
    cr_assert_eq(x[2], 3.0f);
    kk_copy(NULL, NULL, 0);             /* zero bytes touch nothing */
}

Test(kk_shape, transpose_2d_and_3d) {
    /* [[0,1,2],[3,4,5]]^T = [[0,3],[1,4],[2,5]] */
    const float x[6] = {0, 1, 2, 3, 4, 5};
    const int64_t d2[2] = {2, 3}, p2[2] = {1, 0};
    float y[6];
    kk_transpose(x, y, 2, d2, p2, sizeof(float));
    const float want[6] = {0, 3, 1, 4, 2, 5};
    cr_assert_eq(memcmp(y, want, sizeof y), 0);

    /* 2x3x4 with perm (1, 2, 0): y[j][k][i] = x[i][j][k] = 12i + 4j + k */
    int32_t x3[24], y3[24];
    for (int i = 0; i < 24; i++) x3[i] = i;
    const int64_t d3[3] = {2, 3, 4}, p3[3] = {1, 2, 0};
    kk_transpose(x3, y3, 3, d3, p3, sizeof(int32_t));
    for (int j = 0; j < 3; j++)
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < 2; i++)
                cr_assert_eq(y3[(j * 4 + k) * 2 + i], 12 * i + 4 * j + k, "at %d,%d,%d", j, k, i);
}

Test(kk_shape, slice_steps_and_negative_step) {
    /* 3x4 = 0..11, rows 1.., columns 1,3 -> [[5,7],[9,11]] */
    int64_t x[12], y[4];
    for (int i = 0; i < 12; i++) x[i] = i;
    const int64_t din[2] = {3, 4}, dout[2] = {2, 2}, st[2] = {1, 1}, sp[2] = {1, 2};
    kk_slice(x, y, 2, din, dout, st, sp, sizeof(int64_t));
    cr_assert_eq(y[0], 5); cr_assert_eq(y[1], 7); cr_assert_eq(y[2], 9); cr_assert_eq(y[3], 11);

    /* 0..9 from 8 with step -3 -> 8, 5, 2 */
    uint8_t b[10], r[3];
    for (int i = 0; i < 10; i++) b[i] = (uint8_t)i;
    const int64_t d10 = 10, d3 = 3, s8 = 8, sm3 = -3;
    kk_slice(b, r, 1, &d10, &d3, &s8, &sm3, 1);
    cr_assert_eq(r[0], 8); cr_assert_eq(r[1], 5); cr_assert_eq(r[2], 2);
}

Test(kk_shape, expand_broadcasts_ones) {
    const float x[3] = {1, 2, 3};
    float y[6];
    const int64_t col[2] = {3, 1}, out32[2] = {3, 2};
    kk_expand(x, y, 2, col, out32, sizeof(float));
    const float want[6] = {1, 1, 2, 2, 3, 3};
    cr_assert_eq(memcmp(y, want, sizeof y), 0);

    const int64_t row[2] = {1, 3}, out23[2] = {2, 3};
    kk_expand(x, y, 2, row, out23, sizeof(float));
    const float want2[6] = {1, 2, 3, 1, 2, 3};
    cr_assert_eq(memcmp(y, want2, sizeof y), 0);
}

Test(kk_shape, strided_copy_odd_element_size_and_empty) {
    /* 3-byte elements reversed */
    const unsigned char x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    unsigned char y[9];
    const int64_t d = 3, s = -1;
    kk_strided_copy(x, y, 1, &d, &s, 2, 3);
    const unsigned char want[9] = {7, 8, 9, 4, 5, 6, 1, 2, 3};
    cr_assert_eq(memcmp(y, want, 9), 0);
    /* an output with a zero dim writes nothing */
    const int64_t dz[2] = {2, 0}, sz[2] = {1, 1};
    unsigned char guard = 0xab;
    kk_strided_copy(x, &guard, 2, dz, sz, 0, 1);
    cr_assert_eq(guard, 0xab);
}

Test(kk_shape, concat_and_split_rows) {
    /* [[1,2],[3,4]] ++ [[5,6],[7,8]] along axis 1 -> [[1,2,5,6],[3,4,7,8]] */
    const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
    float y[8];
    const void *xs[2] = {a, b};
    const int64_t chunks[2] = {8, 8};
    kk_concat(xs, 2, y, 2, chunks);
    const float want[8] = {1, 2, 5, 6, 3, 4, 7, 8};
    cr_assert_eq(memcmp(y, want, sizeof y), 0);

    float p[4], q[4];
    void *ys[2] = {p, q};
    kk_split(y, ys, 2, 2, chunks);
    cr_assert_eq(memcmp(p, a, sizeof p), 0);
    cr_assert_eq(memcmp(q, b, sizeof q), 0);

    /* uneven 1-D split 1 | 2 with the first output omitted */
    int16_t s[3] = {7, 8, 9}, t[2] = {0, 0};
    void *ys2[2] = {NULL, t};
    const int64_t c2[2] = {2, 4};
    kk_split(s, ys2, 2, 1, c2);
    cr_assert_eq(t[0], 8); cr_assert_eq(t[1], 9);
}

Test(kk_shape, pad_modes_1d) {
    const int32_t x[3] = {1, 2, 3};
    const int64_t d = 3;
    int32_t y[12];
    const int32_t nine = 9;

    const int64_t p21[2] = {2, 1};
    kk_pad(x, y, 1, &d, p21, KK_PAD_CONSTANT, &nine, sizeof(int32_t));
    const int32_t c[6] = {9, 9, 1, 2, 3, 9};
    cr_assert_eq(memcmp(y, c, sizeof c), 0);

    const int64_t p22[2] = {2, 2};
    kk_pad(x, y, 1, &d, p22, KK_PAD_REFLECT, NULL, sizeof(int32_t));
    const int32_t r[7] = {3, 2, 1, 2, 3, 2, 1};
    cr_assert_eq(memcmp(y, r, sizeof r), 0);

    const int64_t p33[2] = {3, 3};
    kk_pad(x, y, 1, &d, p33, KK_PAD_EDGE, NULL, sizeof(int32_t));
    const int32_t e[9] = {1, 1, 1, 1, 2, 3, 3, 3, 3};
    cr_assert_eq(memcmp(y, e, sizeof e), 0);

    /* numpy: np.pad([1,2,3], (4,5), 'wrap') */
    const int64_t p45[2] = {4, 5};
    kk_pad(x, y, 1, &d, p45, KK_PAD_WRAP, NULL, sizeof(int32_t));
    const int32_t w[12] = {3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2};
    cr_assert_eq(memcmp(y, w, sizeof w), 0);

    /* numpy: np.pad([1,2,3], (4,0), 'reflect'): reflection past the edge repeats */
    const int64_t p40[2] = {4, 0};
    kk_pad(x, y, 1, &d, p40, KK_PAD_REFLECT, NULL, sizeof(int32_t));
    const int32_t rw[7] = {1, 2, 3, 2, 1, 2, 3};
    cr_assert_eq(memcmp(y, rw, sizeof rw), 0);

    /* a negative pad crops: drop the first element, add a zero at the end */
    const int64_t pn[2] = {-1, 1};
    kk_pad(x, y, 1, &d, pn, KK_PAD_CONSTANT, NULL, sizeof(int32_t));
    const int32_t cr[3] = {2, 3, 0};
    cr_assert_eq(memcmp(y, cr, sizeof cr), 0);
}

Test(kk_shape, pad_2d_rows_and_columns) {
    /* [[1,2],[3,4]]: one row before, one column after, value 0 */
    const float x[4] = {1, 2, 3, 4};
    const int64_t d[2] = {2, 2}, pads[4] = {1, 0, 0, 1};
    float y[9];
    kk_pad(x, y, 2, d, pads, KK_PAD_CONSTANT, NULL, sizeof(float));
    const float want[9] = {0, 0, 0, 1, 2, 0, 3, 4, 0};
    cr_assert_eq(memcmp(y, want, sizeof want), 0);

    /* edge mode on both dims: one before/after each */
    const int64_t pe[4] = {1, 1, 1, 1};
    float z[16];
    kk_pad(x, z, 2, d, pe, KK_PAD_EDGE, NULL, sizeof(float));
    const float we[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    cr_assert_eq(memcmp(z, we, sizeof we), 0);
}

Test(kk_shape, gather_indices_and_bounds) {
    /* x 3x2 = [[1,2],[3,4],[5,6]], axis 0 */
    const float x[6] = {1, 2, 3, 4, 5, 6};
    const int64_t i64[3] = {2, -1, 0};
    float y[6];
    kk_gather(x, i64, KK_I64, y, 1, 3, 3, 2 * sizeof(float));
    const float want[6] = {5, 6, 5, 6, 1, 2};
    cr_assert_eq(memcmp(y, want, sizeof y), 0);

    /* axis 1 with int32 indices; 2 and -3 are out of range -> zero rows */
    const int32_t i32[3] = {1, 2, -3};
    float z[9];
    kk_gather(x, i32, KK_I32, z, 3, 2, 3, sizeof(float));
    const float wz[9] = {2, 0, 0, 4, 0, 0, 6, 0, 0};
    cr_assert_eq(memcmp(z, wz, sizeof z), 0);
}

Test(kk_shape, fill_and_range) {
    float y[4];
    const float v = 1.5f;
    kk_fill(y, 4, &v, sizeof v);
    for (int i = 0; i < 4; i++) cr_assert_eq(y[i], 1.5f);
    kk_fill(y, 4, NULL, sizeof v);
    for (int i = 0; i < 4; i++) cr_assert_eq(y[i], 0.0f);

    const float fs = 1, fd = 0.5f;
    kk_range(y, KK_F32, 4, &fs, &fd);
    const float wf[4] = {1, 1.5f, 2, 2.5f};
    cr_assert_eq(memcmp(y, wf, sizeof wf), 0);

    int32_t r[4];
    const int32_t is = 10, id = -3;
    kk_range(r, KK_I32, 4, &is, &id);
    cr_assert_eq(r[0], 10); cr_assert_eq(r[1], 7); cr_assert_eq(r[2], 4); cr_assert_eq(r[3], 1);

    int16_t h[3];
    const int16_t hs = -2, hd = 2;
    kk_range(h, KK_I16, 3, &hs, &hd);
    cr_assert_eq(h[0], -2); cr_assert_eq(h[2], 2);
}

/* ------------------------------------------- op functions (ops_shape.c) */

typedef struct Fixture {
    Graph *g;
    Diag d;
    Node *n;
    Value *x;
    Value *y;
} Fixture;

/* A graph with one node `op` at `opset` reading input x (dtype t, dims),
 * with ninputs input slots and noutputs outputs y, y1, ... */
static void fx_init(Fixture *f, OpKind op, int opset, DType t, int rank, const int64_t *dims,
                    int ninputs, int noutputs)
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
    f->n = ir_node_new(f->g, op, "s", ninputs, noutputs);
    if (ninputs > 0)
        f->n->inputs[0] = f->x;
    for (int k = 0; k < noutputs; k++) {
        char name[8] = {'y', (char)('0' + k), 0};
        f->n->outputs[k] = ir_value_new(f->g, name);
    }
    f->y = f->n->outputs[0];
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
    ir_attr_set(f->g, f->n, name, AT_INT)->i = v;
}

/* Constant int64 vector as input k. */
static Value *const_vec(Fixture *f, int k, const int64_t *v, int n)
{
    char name[8] = {'c', (char)('0' + k), 0};
    Value *c = ir_value_new(f->g, name);
    int64_t dims[1] = {n};
    int64_t *p = ir_make_const(f->g, c, DT_I64, 1, dims);
    if (n) memcpy(p, v, sizeof(int64_t) * (size_t)n);
    f->n->inputs[k] = c;
    return c;
}

/* Runtime (graph input) value as input k. */
static Value *runtime_input(Fixture *f, int k, DType t, int rank, const int64_t *dims)
{
    char name[8] = {'r', (char)('0' + k), 0};
    Value *v = ir_value_new(f->g, name);
    v->kind = VK_INPUT;
    v->dtype = t;
    v->rank = rank;
    for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
    f->n->inputs[k] = v;
    return v;
}

static void assert_shape(const Value *v, int rank, const int64_t *dims)
{
    cr_assert_eq(v->rank, rank, "rank %d, expected %d", v->rank, rank);
    for (int i = 0; i < rank; i++)
        cr_assert_eq(v->dims[i], dims[i], "dim %d is %lld, expected %lld", i,
                     (long long)v->dims[i], (long long)dims[i]);
}

static void infer_ok(Fixture *f)
{
    cr_assert_eq(ir_infer_node(f->g, f->n, &f->d), 0, "%s", f->d.text ? f->d.text : "");
}

/* Inference fails with a message containing `want`. */
static void infer_fails(Fixture *f, const char *want)
{
    cr_assert_neq(ir_infer_node(f->g, f->n, &f->d), 0);
    cr_assert_not_null(f->d.text);
    cr_assert(strstr(f->d.text, want) != NULL, "message: %s", f->d.text);
    cr_assert(strstr(f->d.text, "node 's'") != NULL, "message: %s", f->d.text);
}

/* Emits the node and compares with want. */
static void emits(Fixture *f, const char *const *in, const char *const *out, const char *want)
{
    Emitter e;
    emit_init(&e, "m");
    cr_assert_eq(op_table[f->n->op].emit_c(&e, f->n, in, out, &f->d), 0, "%s",
                 f->d.text ? f->d.text : "");
    cr_assert_str_eq(e.buf, want);
    cr_assert(e.kernels & (1u << KKF_SHAPE));
    emit_free(&e);
}

static const int64_t D234[3] = {2, 3, 4};

Test(shape_ops, reshape_zero_and_minus_one) {
    Fixture f;
    fx_init(&f, OP_RESHAPE, 14, DT_F32, 3, D234, 2, 1);
    const int64_t s[3] = {0, -1, 2};
    const_vec(&f, 1, s, 3);
    infer_ok(&f);
    const int64_t want[3] = {2, 6, 2};
    assert_shape(f.y, 3, want);
    const char *in[2] = {"X", "S"}, *out[1] = {"Y"};
    emits(&f, in, out, "kk_copy(X, Y, 96);\n");
    fx_free(&f);

    /* allowzero=1: a 0 is a real zero-size dim */
    const int64_t z[3] = {0, 3, 4};
    fx_init(&f, OP_RESHAPE, 14, DT_F32, 3, z, 2, 1);
    const int64_t s2[3] = {3, 4, 0};
    const_vec(&f, 1, s2, 3);
    set_int(&f, "allowzero", 1);
    infer_ok(&f);
    assert_shape(f.y, 3, s2);
    fx_free(&f);

    fx_init(&f, OP_RESHAPE, 14, DT_F32, 3, D234, 2, 1);
    const int64_t bad[2] = {5, -1};
    const_vec(&f, 1, bad, 2);
    infer_fails(&f, "cannot infer the -1");
    fx_free(&f);
}

Test(shape_ops, reshape_shape_must_be_constant) {
    Fixture f;
    fx_init(&f, OP_RESHAPE, 13, DT_F32, 3, D234, 2, 1);
    const int64_t d1[1] = {2};
    runtime_input(&f, 1, DT_I64, 1, d1);
    infer_fails(&f, "must be a compile-time constant");
    fx_free(&f);
}

Test(shape_ops, flatten_negative_axis) {
    Fixture f;
    fx_init(&f, OP_FLATTEN, 13, DT_U8, 3, D234, 1, 1);
    set_int(&f, "axis", -1);
    infer_ok(&f);
    const int64_t want[2] = {6, 4};
    assert_shape(f.y, 2, want);
    fx_free(&f);

    fx_init(&f, OP_FLATTEN, 13, DT_U8, 3, D234, 1, 1);
    set_int(&f, "axis", 0);
    infer_ok(&f);
    const int64_t want0[2] = {1, 24};
    assert_shape(f.y, 2, want0);
    fx_free(&f);
}

Test(shape_ops, squeeze_and_unsqueeze_by_opset) {
    const int64_t d[4] = {1, 3, 1, 5};
    Fixture f;
    /* no axes: every 1 goes */
    fx_init(&f, OP_SQUEEZE, 13, DT_F32, 4, d, 1, 1);
    infer_ok(&f);
    const int64_t w1[2] = {3, 5};
    assert_shape(f.y, 2, w1);
    fx_free(&f);

    /* opset 11: axes attribute, negative */
    fx_init(&f, OP_SQUEEZE, 11, DT_F32, 4, d, 1, 1);
    const int64_t ax[1] = {-2};
    set_ints(&f, "axes", ax, 1);
    infer_ok(&f);
    const int64_t w2[3] = {1, 3, 5};
    assert_shape(f.y, 3, w2);
    fx_free(&f);

    fx_init(&f, OP_SQUEEZE, 13, DT_F32, 4, d, 2, 1);
    const int64_t ax1[1] = {1};
    const_vec(&f, 1, ax1, 1);
    infer_fails(&f, "cannot squeeze axis 1 of size 3");
    fx_free(&f);

    /* opset 13: axes input, unsorted, relative to the output rank */
    fx_init(&f, OP_UNSQUEEZE, 13, DT_F32, 3, D234, 2, 1);
    const int64_t ua[3] = {5, 0, -3};
    const_vec(&f, 1, ua, 3);
    infer_ok(&f);
    const int64_t w3[6] = {1, 2, 3, 1, 4, 1};
    assert_shape(f.y, 6, w3);
    fx_free(&f);

    fx_init(&f, OP_UNSQUEEZE, 11, DT_F32, 3, D234, 1, 1);
    infer_fails(&f, "missing required attribute 'axes'");
    fx_free(&f);
}

Test(shape_ops, transpose_default_perm_emits) {
    Fixture f;
    fx_init(&f, OP_TRANSPOSE, 13, DT_F32, 3, D234, 1, 1);
    infer_ok(&f);
    const int64_t want[3] = {4, 3, 2};
    assert_shape(f.y, 3, want);
    const char *in[1] = {"X"}, *out[1] = {"Y"};
    /* the strided copy kk_transpose makes: y's dims, x's strides permuted */
    emits(&f, in, out, "kk_strided_copy(X, Y, 3, (const int64_t[]){4, 3, 2}, "
                       "(const int64_t[]){1, 4, 12}, 0, 4);\n");
    fx_free(&f);

    fx_init(&f, OP_TRANSPOSE, 13, DT_F32, 3, D234, 1, 1);
    const int64_t bad[3] = {0, 0, 1};
    set_ints(&f, "perm", bad, 3);
    infer_fails(&f, "not a permutation");
    fx_free(&f);
}

Test(shape_ops, concat_shapes_and_emit) {
    Fixture f;
    fx_init(&f, OP_CONCAT, 13, DT_F32, 3, D234, 2, 1);
    const int64_t d2[3] = {2, 5, 4};
    runtime_input(&f, 1, DT_F32, 3, d2);
    set_int(&f, "axis", -2);
    infer_ok(&f);
    const int64_t want[3] = {2, 8, 4};
    assert_shape(f.y, 3, want);
    const char *in[2] = {"A", "B"}, *out[1] = {"Y"};
    emits(&f, in, out, "kk_concat((const void *const[]){A, B}, 2, Y, 2, "
                       "(const int64_t[]){48, 80});\n");
    fx_free(&f);

    fx_init(&f, OP_CONCAT, 13, DT_F32, 3, D234, 2, 1);
    const int64_t d3[3] = {3, 5, 4};
    runtime_input(&f, 1, DT_F32, 3, d3);
    set_int(&f, "axis", 1);
    infer_fails(&f, "input 1 has dim 0 = 3");
    fx_free(&f);
}

Test(shape_ops, split_uneven_num_outputs) {
    const int64_t d7[1] = {7};
    Fixture f;
    fx_init(&f, OP_SPLIT, 18, DT_F32, 1, d7, 1, 4);
    set_int(&f, "num_outputs", 4);
    infer_ok(&f);
    const int64_t sizes[4] = {2, 2, 2, 1};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(f.n->outputs[i]->dims[0], sizes[i], "output %d", i);
    const char *in[1] = {"X"}, *out[4] = {"A", "B", "C", "D"};
    emits(&f, in, out, "kk_split(X, (void *const[]){A, B, C, D}, 4, 1, "
                       "(const int64_t[]){8, 8, 8, 4});\n");
    fx_free(&f);

    /* opset 11: split attribute on axis 1 of 2x6 */
    const int64_t d26[2] = {2, 6};
    fx_init(&f, OP_SPLIT, 11, DT_I64, 2, d26, 1, 2);
    const int64_t sp[2] = {2, 4};
    set_ints(&f, "split", sp, 2);
    set_int(&f, "axis", 1);
    infer_ok(&f);
    const int64_t w0[2] = {2, 2}, w1[2] = {2, 4};
    assert_shape(f.n->outputs[0], 2, w0);
    assert_shape(f.n->outputs[1], 2, w1);
    fx_free(&f);

    /* opset 13: sizes that do not add up */
    fx_init(&f, OP_SPLIT, 13, DT_F32, 1, d7, 2, 2);
    const int64_t bad[2] = {3, 3};
    const_vec(&f, 1, bad, 2);
    infer_fails(&f, "add up to 6");
    fx_free(&f);
}

Test(shape_ops, slice_clamps_and_negative_steps) {
    const int64_t d[3] = {20, 10, 5};
    Fixture f;
    fx_init(&f, OP_SLICE, 13, DT_F32, 3, d, 5, 1);
    const int64_t st[2] = {-1, 1000}, en[2] = {INT64_MIN, -1000}, ax[2] = {0, 1},
                  sp[2] = {-2, 1};
    const_vec(&f, 1, st, 2);
    const_vec(&f, 2, en, 2);
    const_vec(&f, 3, ax, 2);
    const_vec(&f, 4, sp, 2);
    infer_ok(&f);
    const int64_t want[3] = {10, 0, 5};
    assert_shape(f.y, 3, want);
    cr_assert_eq(f.n->a.shape.slice.rstart[0], 19);
    cr_assert_eq(f.n->a.shape.slice.rstep[0], -2);
    fx_free(&f);

    /* opset 1: attributes, default axes, INT64_MAX end */
    fx_init(&f, OP_SLICE, 9, DT_F32, 3, d, 1, 1);
    const int64_t s1[2] = {2, 0}, e1[2] = {INT64_MAX, 3};
    set_ints(&f, "starts", s1, 2);
    set_ints(&f, "ends", e1, 2);
    infer_ok(&f);
    const int64_t w1[3] = {18, 3, 5};
    assert_shape(f.y, 3, w1);
    const char *in[1] = {"X"}, *out[1] = {"Y"};
    emits(&f, in, out, "kk_slice(X, Y, 3, (const int64_t[]){20, 10, 5}, "
                       "(const int64_t[]){18, 3, 5}, (const int64_t[]){2, 0, 0}, "
                       "(const int64_t[]){1, 1, 1}, 4);\n");
    fx_free(&f);

    fx_init(&f, OP_SLICE, 13, DT_F32, 3, d, 5, 1);
    const int64_t z[1] = {0}, one[1] = {1};
    const_vec(&f, 1, z, 1);
    const_vec(&f, 2, one, 1);
    const_vec(&f, 3, z, 1);
    const_vec(&f, 4, z, 1);
    infer_fails(&f, "step for axis 0 is 0");
    fx_free(&f);
}

Test(shape_ops, pad_axes_and_runtime_value) {
    const int64_t d[4] = {1, 3, 4, 5};
    Fixture f;
    fx_init(&f, OP_PAD, 18, DT_F32, 4, d, 4, 1);
    const int64_t pads[4] = {0, 3, 0, 4}, axes[2] = {1, -1};
    const_vec(&f, 1, pads, 4);
    runtime_input(&f, 2, DT_F32, 0, NULL);
    const_vec(&f, 3, axes, 2);
    infer_ok(&f);
    const int64_t want[4] = {1, 3, 4, 12};
    assert_shape(f.y, 4, want);
    const char *in[4] = {"X", "P", "V", "A"}, *out[1] = {"Y"};
    emits(&f, in, out, "kk_pad(X, Y, 4, (const int64_t[]){1, 3, 4, 5}, "
                       "(const int64_t[]){0, 0, 0, 3, 0, 0, 0, 4}, KK_PAD_CONSTANT, V, 4);\n");
    fx_free(&f);

    /* opset 2: attributes, value converted to the data type */
    const int64_t d2[2] = {2, 2};
    fx_init(&f, OP_PAD, 2, DT_I32, 2, d2, 1, 1);
    const int64_t p2[4] = {1, 0, 0, 1};
    set_ints(&f, "pads", p2, 4);
    ir_attr_set(f.g, f.n, "value", AT_FLOAT)->f = 7.0;
    infer_ok(&f);
    const int64_t w2[2] = {3, 3};
    assert_shape(f.y, 2, w2);
    const char *in1[1] = {"X"};
    emits(&f, in1, out, "kk_pad(X, Y, 2, (const int64_t[]){2, 2}, "
                        "(const int64_t[]){1, 0, 0, 1}, KK_PAD_CONSTANT, "
                        "(const int32_t[]){7}, 4);\n");
    fx_free(&f);

    fx_init(&f, OP_PAD, 13, DT_F32, 2, d2, 2, 1);
    ir_attr_set(f.g, f.n, "mode", AT_STRING)->s = "mirror";
    const_vec(&f, 1, p2, 4);
    infer_fails(&f, "unsupported attribute value mode='mirror'");
    fx_free(&f);
}

Test(shape_ops, gather_runtime_and_constant_indices) {
    const int64_t d[2] = {5, 4};
    Fixture f;
    fx_init(&f, OP_GATHER, 13, DT_F32, 2, d, 2, 1);
    const int64_t di[2] = {2, 3};
    runtime_input(&f, 1, DT_I32, 2, di);
    set_int(&f, "axis", -1);
    infer_ok(&f);
    const int64_t want[3] = {5, 2, 3};
    assert_shape(f.y, 3, want);
    const char *in[2] = {"X", "I"}, *out[1] = {"Y"};
    emits(&f, in, out, "kk_gather(X, I, KK_I32, Y, 5, 4, 6, 4);\n");
    fx_free(&f);

    fx_init(&f, OP_GATHER, 13, DT_F32, 2, d, 2, 1);
    const int64_t idx[2] = {0, 5};
    const_vec(&f, 1, idx, 2);
    infer_fails(&f, "index 5 out of range");
    fx_free(&f);
}

Test(shape_ops, gather_folds_constant_chain) {
    /* Shape-arithmetic style: Gather(const [10,20,30], -1) folds to 30 */
    const int64_t d[1] = {3};
    Fixture f;
    fx_init(&f, OP_GATHER, 13, DT_I64, 1, d, 2, 1);
    int64_t *p = ir_make_const(f.g, f.x, DT_I64, 1, d);
    p[0] = 10; p[1] = 20; p[2] = 30;
    Value *iv = ir_value_new(f.g, "i");
    *(int64_t *)ir_make_const(f.g, iv, DT_I64, 0, NULL) = -1;
    f.n->inputs[1] = iv;
    infer_ok(&f);
    cr_assert_eq(f.y->kind, VK_CONST);
    cr_assert_eq(f.y->rank, 0);
    cr_assert_eq(*(const int64_t *)f.y->data, 30);
    fx_free(&f);
}

Test(shape_ops, expand_bidirectional) {
    const int64_t d[2] = {3, 1};
    Fixture f;
    fx_init(&f, OP_EXPAND, 13, DT_F32, 2, d, 2, 1);
    const int64_t s[3] = {2, 1, 6};
    const_vec(&f, 1, s, 3);
    infer_ok(&f);
    const int64_t want[3] = {2, 3, 6};
    assert_shape(f.y, 3, want);
    const char *in[2] = {"X", "S"}, *out[1] = {"Y"};
    emits(&f, in, out, "kk_expand(X, Y, 3, (const int64_t[]){1, 3, 1}, "
                       "(const int64_t[]){2, 3, 6}, 4);\n");
    fx_free(&f);
}

Test(shape_ops, shape_start_end_from_static_shape) {
    Fixture f;
    fx_init(&f, OP_SHAPE, 15, DT_F32, 3, D234, 1, 1);
    set_int(&f, "start", -2);
    infer_ok(&f);
    cr_assert_eq(f.y->kind, VK_CONST, "Shape folds from the static shape");
    cr_assert_eq(f.y->dims[0], 2);
    cr_assert_eq(((const int64_t *)f.y->data)[0], 3);
    cr_assert_eq(((const int64_t *)f.y->data)[1], 4);
    fx_free(&f);

    /* exec never reads the data (NULL), emit writes the literal shape */
    fx_init(&f, OP_SHAPE, 15, DT_F32, 3, D234, 1, 1);
    set_int(&f, "end", 2);
    cr_assert_eq(op_table[OP_SHAPE].parse(f.g, f.n, &f.d), 0);
    cr_assert_eq(op_table[OP_SHAPE].infer(f.g, f.n, &f.d), 0);
    int64_t y[2] = {0, 0};
    const void *in[1] = {NULL};
    void *out[1] = {y};
    cr_assert_eq(op_table[OP_SHAPE].exec(f.n, in, out, &f.d), 0);
    cr_assert_eq(y[0], 2);
    cr_assert_eq(y[1], 3);
    const char *cin[1] = {"X"}, *cout[1] = {"Y"};
    emits(&f, cin, cout, "kk_copy((const int64_t[]){2, 3}, Y, 16);\n");
    fx_free(&f);
}

Test(shape_ops, constant_attribute_forms) {
    Fixture f;
    fx_init(&f, OP_CONSTANT, 13, DT_F32, 0, NULL, 0, 1);
    const int64_t v[3] = {4, 5, 6};
    set_ints(&f, "value_ints", v, 3);
    infer_ok(&f);
    cr_assert_eq(f.y->kind, VK_CONST);
    cr_assert_eq(f.y->dtype, DT_I64);
    const int64_t d3[1] = {3};
    assert_shape(f.y, 1, d3);
    cr_assert_eq(((const int64_t *)f.y->data)[2], 6);
    fx_free(&f);

    fx_init(&f, OP_CONSTANT, 13, DT_F32, 0, NULL, 0, 1);
    ir_attr_set(f.g, f.n, "value_float", AT_FLOAT)->f = 2.5;
    infer_ok(&f);
    cr_assert_eq(f.y->dtype, DT_F32);
    cr_assert_eq(f.y->rank, 0);
    cr_assert_eq(*(const float *)f.y->data, 2.5f);
    fx_free(&f);

    fx_init(&f, OP_CONSTANT, 13, DT_F32, 0, NULL, 0, 1);
    ir_attr_set(f.g, f.n, "value_string", AT_STRING)->s = "hi";
    infer_fails(&f, "unsupported attribute 'value_string'");
    fx_free(&f);
}

Test(shape_ops, constant_of_shape_and_emit) {
    const int64_t d[1] = {2};
    Fixture f;
    fx_init(&f, OP_CONSTANT_OF_SHAPE, 13, DT_I64, 1, d, 1, 1);
    int64_t *p = ir_make_const(f.g, f.x, DT_I64, 1, d);
    p[0] = 2; p[1] = 3;
    Attr *a = ir_attr_set(f.g, f.n, "value", AT_TENSOR);
    a->t = ir_value_new(f.g, "v");
    const int64_t one[1] = {1};
    *(int32_t *)ir_make_const(f.g, a->t, DT_I32, 1, one) = 7;
    cr_assert_eq(op_table[f.n->op].parse(f.g, f.n, &f.d), 0, "%s", f.d.text ? f.d.text : "");
    cr_assert_eq(op_table[f.n->op].infer(f.g, f.n, &f.d), 0, "%s", f.d.text ? f.d.text : "");
    const int64_t want[2] = {2, 3};
    assert_shape(f.y, 2, want);
    cr_assert_eq(f.y->dtype, DT_I32);
    const char *in[1] = {"S"}, *out[1] = {"Y"};
    emits(&f, in, out, "kk_fill(Y, 6, (const int32_t[]){7}, 4);\n");
    int32_t y[6];
    const void *cin[1] = {p};
    void *cout[1] = {y};
    cr_assert_eq(op_table[f.n->op].exec(f.n, cin, cout, &f.d), 0);
    for (int i = 0; i < 6; i++) cr_assert_eq(y[i], 7);
    fx_free(&f);
}

/* Range with constant scalars start, limit, delta of type t. */
static void range_fixture(Fixture *f, DType t, const void *s, const void *l, const void *dl)
{
    fx_init(f, OP_RANGE, 11, t, 0, NULL, 3, 1);
    const void *src[3] = {s, l, dl};
    for (int k = 0; k < 3; k++) {
        char name[4] = {'a', (char)('0' + k), 0};
        Value *v = ir_value_new(f->g, name);
        memcpy(ir_make_const(f->g, v, t, 0, NULL), src[k], dtype_size(t));
        f->n->inputs[k] = v;
    }
}

Test(shape_ops, range_counts_and_folds) {
    Fixture f;
    const int32_t s = 10, l = 6, dl = -3;
    range_fixture(&f, DT_I32, &s, &l, &dl);
    infer_ok(&f);
    cr_assert_eq(f.y->dims[0], 2);
    cr_assert_eq(f.y->kind, VK_CONST);
    cr_assert_eq(((const int32_t *)f.y->data)[1], 7);
    fx_free(&f);

    const float fs = 1, fl = 5, fd = 2;
    range_fixture(&f, DT_F32, &fs, &fl, &fd);
    cr_assert_eq(op_table[OP_RANGE].parse(f.g, f.n, &f.d), 0);
    cr_assert_eq(op_table[OP_RANGE].infer(f.g, f.n, &f.d), 0);
    cr_assert_eq(f.y->dims[0], 2);
    const char *in[3] = {"S", "L", "D"}, *out[1] = {"Y"};
    emits(&f, in, out, "kk_range(Y, KK_F32, 2, S, D);\n");
    fx_free(&f);

    const int64_t a = 0, b = 10, z = 0;
    range_fixture(&f, DT_I64, &a, &b, &z);
    infer_fails(&f, "delta must not be 0");
    fx_free(&f);
}

Test(shape_ops, range_needs_constants) {
    Fixture f;
    fx_init(&f, OP_RANGE, 11, DT_F32, 0, NULL, 3, 1);
    f.x->name = "start";
    for (int k = 1; k < 3; k++) runtime_input(&f, k, DT_F32, 0, NULL);
    infer_fails(&f, "input 0 ('start') must be a compile-time constant");
    fx_free(&f);
}

Test(shape_ops, data_movement_accepts_any_fixed_size_dtype) {
    const int64_t d[2] = {2, 3};
    const DType types[] = {DT_F64, DT_I8, DT_U16, DT_U64, DT_BOOL};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        Fixture f;
        fx_init(&f, OP_TRANSPOSE, 13, types[i], 2, d, 1, 1);
        infer_ok(&f);
        cr_assert_eq(f.y->dtype, types[i]);
        fx_free(&f);
    }
}
