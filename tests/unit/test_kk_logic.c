/*
 * test_kk_logic.c - unit tests of the logic family: the reference kernels
 * (kernels/ref/logic.c) on small hand-checked cases - broadcasting compares,
 * IEEE NaN rules, Where over three shapes, Mod's sign rules and special
 * values, BitShift's out-of-range shifts, Hardmax ties and NaN - and the op
 * functions (compiler/ops_logic.c): opset 1 broadcasting, Hardmax's opset
 * split, dtype and attribute errors, and the emitted kernel calls.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

/* ------------------------------------------------------------- kernels */

Test(kk_compare, broadcast_and_nan) {
    /* a: [2, 1], b: [3] -> y: [2, 3] */
    const float a[] = {1.0f, NAN};
    const float b[] = {0.0f, 1.0f, 2.0f};
    const int64_t yd[] = {2, 3}, ad[] = {2, 1}, bd[] = {1, 3};
    uint8_t y[6];
    struct { int op; uint8_t want[6]; } cases[] = {
        {KK_CMP_EQ, {0, 1, 0, 0, 0, 0}}, {KK_CMP_GT, {1, 0, 0, 0, 0, 0}}, {KK_CMP_GE, {1, 1, 0, 0, 0, 0}},
        {KK_CMP_LT, {0, 0, 1, 0, 0, 0}}, {KK_CMP_LE, {0, 1, 1, 0, 0, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cr_assert_eq(kk_compare(cases[c].op, KK_F32, a, b, y, 2, yd, ad, bd), 0);
        for (int i = 0; i < 6; i++) cr_expect_eq(y[i], cases[c].want[i], "op %d element %d", cases[c].op, i);
    }
}

Test(kk_compare, integer_types_and_scalars) {
    const uint64_t a[] = {UINT64_MAX, 0, (uint64_t)1 << 63};
    const uint64_t b[] = {UINT64_MAX - 1, 0, ((uint64_t)1 << 63) + 1};
    uint8_t y[3];
    const int64_t d3[] = {3};
    cr_assert_eq(kk_compare(KK_CMP_GT, KK_U64, a, b, y, 1, d3, d3, d3), 0);
    cr_expect(y[0] == 1 && y[1] == 0 && y[2] == 0);
    const int8_t s[] = {-128, 0, 127}, t[] = {-1};
    const int64_t d1[] = {1};
    cr_assert_eq(kk_compare(KK_CMP_LT, KK_I8, s, t, y, 1, d3, d3, d1), 0);
    cr_expect(y[0] == 1 && y[1] == 0 && y[2] == 0);
    /* rank 0: one element */
    const double p = 2.5, q = 2.5;
    cr_assert_eq(kk_compare(KK_CMP_EQ, KK_F64, &p, &q, y, 0, NULL, NULL, NULL), 0);
    cr_expect_eq(y[0], 1);
}

Test(kk_compare, booleans) {
    const uint8_t a[] = {0, 0, 1, 1}, b[] = {0, 1, 0, 1};
    const int64_t d[] = {4};
    uint8_t y[4];
    struct { int op; uint8_t want[4]; } cases[] = {
        {KK_CMP_AND, {0, 0, 0, 1}}, {KK_CMP_OR, {0, 1, 1, 1}}, {KK_CMP_XOR, {0, 1, 1, 0}}, {KK_CMP_EQ, {1, 0, 0, 1}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cr_assert_eq(kk_compare(cases[c].op, KK_BOOL, a, b, y, 1, d, d, d), 0);
        for (int i = 0; i < 4; i++) cr_expect_eq(y[i], cases[c].want[i], "op %d element %d", cases[c].op, i);
    }
    /* in place over a */
    uint8_t z[] = {0, 0, 1, 1};
    cr_assert_eq(kk_compare(KK_CMP_XOR, KK_BOOL, z, b, z, 1, d, d, d), 0);
    cr_expect(z[0] == 0 && z[1] == 1 && z[2] == 1 && z[3] == 0);
}

Test(kk_compare, rejects_bad_arguments) {
    const float a[2] = {0}, b[2] = {0};
    uint8_t y[2] = {7, 7};
    const int64_t d2[] = {2}, d3[] = {3};
    cr_expect_eq(kk_compare(KK_CMP_AND, KK_F32, a, b, y, 1, d2, d2, d2), -1);  /* And on floats */
    cr_expect_eq(kk_compare(KK_CMP_GT, KK_BOOL, a, b, y, 1, d2, d2, d2), -1);  /* order on bools */
    cr_expect_eq(kk_compare(KK_CMP_EQ, KK_F16, a, b, y, 1, d2, d2, d2), -1);
    cr_expect_eq(kk_compare(KK_CMP_EQ, KK_F32, a, b, y, 1, d2, d3, d2), -1);   /* 3 vs 2 */
    cr_expect(y[0] == 7 && y[1] == 7);
}

Test(kk_where, three_way_broadcast) {
    /* cond [2, 1, 3], x [1, 2, 1], y [3] -> out [2, 2, 3] */
    const uint8_t c[] = {1, 0, 1, 0, 1, 0};
    const int16_t x[] = {10, 20};
    const int16_t y[] = {-1, -2, -3};
    const int64_t od[] = {2, 2, 3}, cd[] = {2, 1, 3}, xd[] = {1, 2, 1}, yd[] = {1, 1, 3};
    int16_t out[12];
    cr_assert_eq(kk_where(sizeof(int16_t), c, x, y, out, 3, od, cd, xd, yd), 0);
    const int16_t want[] = {10, -2, 10, 20, -2, 20, -1, 10, -3, -1, 20, -3};
    for (int i = 0; i < 12; i++) cr_expect_eq(out[i], want[i], "element %d", i);
}

Test(kk_where, element_sizes_and_errors) {
    const uint8_t c[] = {0, 1};
    const double x[] = {1.5, 2.5}, y[] = {-1.0, -2.0};
    double out[2];
    const int64_t d[] = {2}, bad[] = {3};
    cr_assert_eq(kk_where(sizeof(double), c, x, y, out, 1, d, d, d, d), 0);
    cr_expect(out[0] == -1.0 && out[1] == 2.5);
    const uint8_t bx[] = {1, 1}, by[] = {0, 0};
    uint8_t bo[2];
    cr_assert_eq(kk_where(1, c, bx, by, bo, 1, d, d, d, d), 0);
    cr_expect(bo[0] == 0 && bo[1] == 1);
    cr_expect_eq(kk_where(3, c, bx, by, bo, 1, d, d, d, d), -1);
    cr_expect_eq(kk_where(8, c, x, y, out, 1, d, d, bad, d), -1);
}

Test(kk_unary_logic, not_isnan_isinf) {
    const uint8_t b[] = {0, 1, 1};
    uint8_t y[5];
    cr_assert_eq(kk_not(b, y, 3), 0);
    cr_expect(y[0] == 1 && y[1] == 0 && y[2] == 0);
    const float f[] = {INFINITY, -INFINITY, NAN, 0.0f, FLT_MAX};
    cr_assert_eq(kk_isnan(KK_F32, f, y, 5), 0);
    cr_expect(y[0] == 0 && y[1] == 0 && y[2] == 1 && y[3] == 0 && y[4] == 0);
    cr_assert_eq(kk_isinf(KK_F32, 1, 1, f, y, 5), 0);
    cr_expect(y[0] == 1 && y[1] == 1 && y[2] == 0 && y[3] == 0 && y[4] == 0);
    cr_assert_eq(kk_isinf(KK_F32, 1, 0, f, y, 5), 0);
    cr_expect(y[0] == 0 && y[1] == 1);
    cr_assert_eq(kk_isinf(KK_F32, 0, 1, f, y, 5), 0);
    cr_expect(y[0] == 1 && y[1] == 0);
    const double g[] = {-INFINITY, NAN};
    cr_assert_eq(kk_isinf(KK_F64, 0, 0, g, y, 2), 0);
    cr_expect(y[0] == 0 && y[1] == 0);
    cr_assert_eq(kk_isnan(KK_F64, g, y, 2), 0);
    cr_expect(y[0] == 0 && y[1] == 1);
    cr_expect_eq(kk_isnan(KK_I32, g, y, 2), -1);
}

Test(kk_mod, integers_floored_and_truncated) {
    const int32_t a[] = {7, -7, 7, -7, 0, 5, INT32_MIN, INT32_MIN};
    const int32_t b[] = {3, 3, -3, -3, -3, 0, -1, 3};
    const int64_t d[] = {8};
    int32_t y[8];
    cr_assert_eq(kk_mod(KK_I32, 0, a, b, y, 1, d, d, d), 0);
    const int32_t floored[] = {1, 2, -2, -1, 0, 0, 0, 1};
    for (int i = 0; i < 8; i++) cr_expect_eq(y[i], floored[i], "floored element %d: %d", i, y[i]);
    cr_assert_eq(kk_mod(KK_I32, 1, a, b, y, 1, d, d, d), 0);
    const int32_t truncated[] = {1, -1, 1, -1, 0, 0, 0, -2};
    for (int i = 0; i < 8; i++) cr_expect_eq(y[i], truncated[i], "truncated element %d: %d", i, y[i]);
    /* int8 extremes and unsigned */
    const int8_t s[] = {-128, -128, 127}, t[] = {-1, 127, -128};
    int8_t z[3];
    const int64_t d3[] = {3};
    cr_assert_eq(kk_mod(KK_I8, 0, s, t, z, 1, d3, d3, d3), 0);
    cr_expect(z[0] == 0 && z[1] == 126 && z[2] == -1);
    const uint64_t u[] = {UINT64_MAX, 10, 7}, v[] = {10, 0, 4};
    uint64_t w[3];
    cr_assert_eq(kk_mod(KK_U64, 0, u, v, w, 1, d3, d3, d3), 0);
    cr_expect(w[0] == 5 && w[1] == 0 && w[2] == 3);
}

Test(kk_mod, float_specials) {
    const float a[] = {INFINITY, 1.5f, -1.5f, 0.0f, -0.0f, 3.0f, NAN, 5.5f, -5.5f};
    const float b[] = {2.0f, INFINITY, INFINITY, -2.0f, 2.0f, 0.0f, 2.0f, 2.0f, 2.0f};
    const int64_t d[] = {9};
    float y[9];
    cr_assert_eq(kk_mod(KK_F32, 0, a, b, y, 1, d, d, d), 0);
    cr_expect(isnan(y[0]));
    cr_expect_eq(y[1], 1.5f);
    cr_expect(isinf(y[2]) && y[2] > 0);            /* signs differ: b */
    cr_expect(y[3] == 0 && signbit(y[3]));          /* zero takes b's sign */
    cr_expect(y[4] == 0 && !signbit(y[4]));
    cr_expect(isnan(y[5]) && isnan(y[6]));
    cr_expect(y[7] == 1.5f && y[8] == 0.5f);
    cr_assert_eq(kk_mod(KK_F32, 1, a, b, y, 1, d, d, d), 0);
    cr_expect(isnan(y[0]) && y[1] == 1.5f && y[2] == -1.5f && isnan(y[5]));
    cr_expect(y[7] == 1.5f && y[8] == -1.5f);
    /* broadcasting f64: [2, 2] mod [2] */
    const double p[] = {5.0, -5.0, 7.5, -7.5}, q[] = {3.0, -2.0};
    const int64_t yd[] = {2, 2}, qd[] = {1, 2};
    double r[4];
    cr_assert_eq(kk_mod(KK_F64, 0, p, q, r, 2, yd, yd, qd), 0);
    cr_expect(r[0] == 2.0 && r[1] == -1.0 && r[2] == 1.5 && r[3] == -1.5);
}

Test(kk_bitshift, ranges_and_signs) {
    const int8_t x[] = {1, -1, -128, 64, -7, -7, 5, -5};
    const int8_t s[] = {7, 1, 1, 1, -1, 8, 8, 100};
    const int64_t d[] = {8};
    int8_t y[8];
    cr_assert_eq(kk_bitshift(KK_I8, 1, x, s, y, 1, d, d, d), 0);
    const int8_t left[] = {-128, -2, 0, -128, 0, 0, 0, 0};
    for (int i = 0; i < 8; i++) cr_expect_eq(y[i], left[i], "left element %d: %d", i, y[i]);
    cr_assert_eq(kk_bitshift(KK_I8, 0, x, s, y, 1, d, d, d), 0);
    const int8_t right[] = {0, -1, -64, 32, -1, -1, 0, -1};
    for (int i = 0; i < 8; i++) cr_expect_eq(y[i], right[i], "right element %d: %d", i, y[i]);
    /* unsigned, broadcast shift amount, widths */
    const uint64_t u[] = {1, 3}, us[] = {63};
    const int64_t d2[] = {2}, d1[] = {1};
    uint64_t w[2];
    cr_assert_eq(kk_bitshift(KK_U64, 1, u, us, w, 1, d2, d2, d1), 0);
    cr_expect(w[0] == (uint64_t)1 << 63 && w[1] == (uint64_t)1 << 63);
    const uint8_t b[] = {0xff, 0xff}, bs[] = {8, 7};
    uint8_t c[2];
    cr_assert_eq(kk_bitshift(KK_U8, 0, b, bs, c, 1, d2, d2, d2), 0);
    cr_expect(c[0] == 0 && c[1] == 1);
    cr_expect_eq(kk_bitshift(KK_F32, 0, b, bs, c, 1, d2, d2, d2), -1);
}

Test(kk_hardmax, first_max_ties_and_nan) {
    /* [outer 2, mid 3, inner 2] */
    const float x[] = {1, 5, 3, 5, 3, 0,    /* o=0: i=0 {1,3,3} -> 1; i=1 {5,5,0} -> 0 */
                       NAN, 1, 2, NAN, 9, 9}; /* o=1: i=0 {NaN,2,9} -> 0; i=1 {1,NaN,9} -> 1 */
    float y[12];
    cr_assert_eq(kk_hardmax(KK_F32, x, y, 2, 3, 2), 0);
    const float want[] = {0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0};
    for (int i = 0; i < 12; i++) cr_expect_eq(y[i], want[i], "element %d", i);
    const double z[] = {-1, -1};
    double w[2];
    cr_assert_eq(kk_hardmax(KK_F64, z, w, 1, 2, 1), 0);
    cr_expect(w[0] == 1 && w[1] == 0);
    cr_expect_eq(kk_hardmax(KK_I32, z, w, 1, 2, 1), -1);
}

/* ------------------------------------------------------ op functions */

static Value *value(Graph *g, const char *name, DType t, int rank, const int64_t *dims) {
    Value *v = ir_value_new(g, name);
    v->kind = VK_INPUT;
    v->dtype = t;
    v->rank = rank;
    if (rank) memcpy(v->dims, dims, sizeof(int64_t) * (size_t)rank);
    return v;
}

/* One node reading the `nin` values in[], writing a fresh output. */
static Node *node(Graph *g, OpKind op, int opset, int nin, Value **in) {
    Node *n = ir_node_new(g, op, "n", nin, 1);
    for (int k = 0; k < nin; k++) n->inputs[k] = in[k];
    n->outputs[0] = ir_value_new(g, arena_printf(&g->arena, "out%d", g->nvalues));
    n->opset = opset;
    return n;
}

static void set_int(Graph *g, Node *n, const char *name, int64_t v) {
    Attr *a = ir_attr_set(g, n, name, AT_INT);
    a->i = v;
}

Test(ops_logic, legacy_broadcast_axis) {
    Graph *g = ir_graph_new("t", "t.kg");
    Diag d;
    diag_init(&d, "t.kg");
    const int64_t ad[] = {2, 3, 4, 5}, bd[] = {3, 4};
    Value *in[] = {value(g, "a", DT_I32, 4, ad), value(g, "b", DT_I32, 2, bd)};
    Node *n = node(g, OP_EQUAL, 1, 2, in);
    set_int(g, n, "broadcast", 1);
    set_int(g, n, "axis", 1);
    cr_assert_eq(ir_infer_node(g, n, &d), 0, "%s", d.text ? d.text : "");
    const Value *y = n->outputs[0];
    cr_expect_eq(y->dtype, DT_BOOL);
    cr_expect(y->rank == 4 && y->dims[0] == 2 && y->dims[3] == 5);
    /* the emitted call sees B as [1, 3, 4, 1] */
    Emitter e;
    emit_init(&e, "t");
    const char *ins[] = {"A", "B"}, *outs[] = {"Y"};
    cr_assert_eq(logic_emit(&e, n, ins, outs, &d), 0);
    cr_expect(strstr(e.buf, "kk_compare(KK_CMP_EQ, KK_I32, A, B, Y, 4, (const int64_t[]){2, 3, 4, 5}, "
                            "(const int64_t[]){2, 3, 4, 5}, (const int64_t[]){1, 3, 4, 1});") != NULL,
              "%s", e.buf);
    cr_expect(e.kernels & (1u << KKF_LOGIC));
    cr_expect(e.kernels & (1u << KKF_BINARY));
    emit_free(&e);
    /* from opset 7 the same shapes are numpy broadcasting, which fails */
    Node *m = node(g, OP_EQUAL, 7, 2, in);
    cr_expect_neq(ir_infer_node(g, m, &d), 0);
    cr_expect(strstr(d.text, "cannot be broadcast") != NULL, "%s", d.text);
    diag_free(&d);
    ir_graph_free(g);
}

Test(ops_logic, legacy_without_broadcast_needs_equal_shapes) {
    Graph *g = ir_graph_new("t", "t.kg");
    Diag d;
    diag_init(&d, "t.kg");
    const int64_t ad[] = {2, 3}, bd[] = {3};
    Value *in[] = {value(g, "a", DT_BOOL, 2, ad), value(g, "b", DT_BOOL, 1, bd)};
    Node *n = node(g, OP_AND, 1, 2, in);
    cr_expect_neq(ir_infer_node(g, n, &d), 0);
    cr_expect(strstr(d.text, "node 'n' (And)") && strstr(d.text, "broadcast=0"), "%s", d.text);
    diag_free(&d);
    ir_graph_free(g);
}

Test(ops_logic, hardmax_opset_split) {
    Graph *g = ir_graph_new("t", "t.kg");
    Diag d;
    diag_init(&d, "t.kg");
    const int64_t xd[] = {2, 3, 4};
    Value *in[] = {value(g, "x", DT_F32, 3, xd)};
    Emitter e;
    const char *ins[] = {"X"}, *outs[] = {"Y"};
    /* opset 11: coerced to 2-D at axis 1 (default): [2, 12] */
    Node *n = node(g, OP_HARDMAX, 11, 1, in);
    cr_assert_eq(ir_infer_node(g, n, &d), 0, "%s", d.text ? d.text : "");
    emit_init(&e, "t");
    cr_assert_eq(logic_emit(&e, n, ins, outs, &d), 0);
    cr_expect(strstr(e.buf, "kk_hardmax(KK_F32, X, Y, 2, 12, 1);") != NULL, "%s", e.buf);
    emit_free(&e);
    /* opset 13: one axis, default -1: [6, 4, 1]; axis 1: [2, 3, 4] */
    Node *m = node(g, OP_HARDMAX, 13, 1, in);
    cr_assert_eq(ir_infer_node(g, m, &d), 0, "%s", d.text ? d.text : "");
    emit_init(&e, "t");
    cr_assert_eq(logic_emit(&e, m, ins, outs, &d), 0);
    cr_expect(strstr(e.buf, "kk_hardmax(KK_F32, X, Y, 6, 4, 1);") != NULL, "%s", e.buf);
    emit_free(&e);
    set_int(g, m, "axis", 1);
    cr_assert_eq(ir_infer_node(g, m, &d), 0, "%s", d.text ? d.text : "");
    emit_init(&e, "t");
    cr_assert_eq(logic_emit(&e, m, ins, outs, &d), 0);
    cr_expect(strstr(e.buf, "kk_hardmax(KK_F32, X, Y, 2, 3, 4);") != NULL, "%s", e.buf);
    emit_free(&e);
    set_int(g, m, "axis", 3);
    cr_expect_neq(ir_infer_node(g, m, &d), 0);
    cr_expect(strstr(d.text, "axis 3 out of range") != NULL, "%s", d.text);
    diag_free(&d);
    ir_graph_free(g);
}

Test(ops_logic, dtype_and_attribute_errors) {
    Graph *g = ir_graph_new("t", "t.kg");
    Diag d;
    const int64_t xd[] = {4};
    Value *h[] = {value(g, "h", DT_F16, 1, xd), value(g, "h2", DT_F16, 1, xd)};
    Value *f[] = {value(g, "f", DT_F32, 1, xd), value(g, "i", DT_I32, 1, xd)};
    Value *u[] = {value(g, "u", DT_U8, 1, xd), value(g, "v", DT_U8, 1, xd)};
    Value *w[] = {value(g, "c", DT_F32, 1, xd), f[0], f[1]};
    struct { Node *n; const char *want; } cases[] = {
        {node(g, OP_MOD, 13, 2, h), "unsupported dtype f16 for input 0 ('h')"},
        {node(g, OP_IS_NAN, 20, 1, h), "unsupported dtype f16 for input 0"},
        {node(g, OP_GREATER, 13, 2, f), "input 1 ('i') has dtype i32, but input 0 ('f') has f32"},
        {node(g, OP_NOT, 1, 1, f), "unsupported dtype f32 for input 0"},
        {node(g, OP_BIT_SHIFT, 11, 2, u), "missing required attribute 'direction'"},
        {node(g, OP_BIT_SHIFT, 11, 2, u), "unsupported attribute value direction='UP'"},
        {node(g, OP_MOD, 13, 2, u), "unsupported attribute value fmod=2"},
        {node(g, OP_WHERE, 16, 3, w), "unsupported dtype f32 for input 0 ('c')"},
    };
    ir_attr_set(g, cases[5].n, "direction", AT_STRING)->s = "UP";
    set_int(g, cases[6].n, "fmod", 2);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        diag_init(&d, "t.kg");
        cr_expect_neq(ir_infer_node(g, cases[c].n, &d), 0, "case %zu", c);
        cr_expect(d.text && strstr(d.text, cases[c].want), "case %zu: %s", c, d.text ? d.text : "(none)");
        diag_free(&d);
    }
    ir_graph_free(g);
}

Test(ops_logic, where_and_mod_emit) {
    Graph *g = ir_graph_new("t", "t.kg");
    Diag d;
    diag_init(&d, "t.kg");
    const int64_t cd[] = {2, 1}, xd[] = {3}, yd[] = {1};
    Value *in[] = {value(g, "c", DT_BOOL, 2, cd), value(g, "x", DT_I64, 1, xd), value(g, "y", DT_I64, 1, yd)};
    Node *n = node(g, OP_WHERE, 16, 3, in);
    cr_assert_eq(ir_infer_node(g, n, &d), 0, "%s", d.text ? d.text : "");
    cr_expect(n->outputs[0]->dtype == DT_I64 && n->outputs[0]->rank == 2 && n->outputs[0]->dims[1] == 3);
    Emitter e;
    emit_init(&e, "t");
    const char *ins[] = {"C", "X", "Y"}, *outs[] = {"O"};
    cr_assert_eq(logic_emit(&e, n, ins, outs, &d), 0);
    cr_expect(strstr(e.buf, "kk_where(8, C, X, Y, O, 2, (const int64_t[]){2, 3}, (const int64_t[]){2, 1}, "
                            "(const int64_t[]){1, 3}, (const int64_t[]){1, 1});") != NULL,
              "%s", e.buf);
    emit_free(&e);
    Value *mi[] = {in[1], in[2]};
    Node *m = node(g, OP_MOD, 13, 2, mi);
    set_int(g, m, "fmod", 1);
    cr_assert_eq(ir_infer_node(g, m, &d), 0, "%s", d.text ? d.text : "");
    emit_init(&e, "t");
    cr_assert_eq(logic_emit(&e, m, ins + 1, outs, &d), 0);
    cr_expect(strstr(e.buf, "kk_mod(KK_I64, 1, X, Y, O, 1, (const int64_t[]){3}, (const int64_t[]){3}, "
                            "(const int64_t[]){1});") != NULL,
              "%s", e.buf);
    emit_free(&e);
    diag_free(&d);
    ir_graph_free(g);
}
