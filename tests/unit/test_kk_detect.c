/*
 * test_kk_detect.c - unit tests of the detect family: the reference kernels
 * (kernels/ref/detect.c) on small hand-checked cases, then the op functions
 * (compiler/ops_detect.c): opset-dependent parsing, shape inference (with
 * NonMaxSuppression's capacity and hidden count output), diagnostics,
 * folding through exec and the emitted kernel calls.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

#define EPS 1e-5

/* ---------------------------------------------------------------- kk_topk */

Test(kk_topk, largest_ties_keep_axis_order) {
    const float x[6] = {3, 1, 3, 2, 3, 0};
    float v[4];
    int64_t ix[4];
    cr_assert_eq(kk_topk(KK_F32, 1, x, v, ix, 1, 6, 1, 4), 0);
    const int64_t want_i[4] = {0, 2, 4, 3};
    for (int i = 0; i < 4; i++) cr_assert_eq(ix[i], want_i[i], "ix[%d]=%lld", i, (long long)ix[i]);
    cr_assert_float_eq(v[3], 2.0f, EPS);
}

Test(kk_topk, smallest_strided_axis) {
    /* x is [2, 3, 2]; TopK over the middle axis, k = 2, smallest first */
    const int32_t x[12] = {5, 1, 4, 1, 4, 9, /* batch 1 */ 0, 7, 0, 7, -3, 7};
    int32_t v[8];
    int64_t ix[8];
    cr_assert_eq(kk_topk(KK_I32, 0, x, v, ix, 2, 3, 2, 2), 0);
    /* batch 0, column 0: {5, 4, 4} -> 4@1, 4@2; column 1: {1, 1, 9} -> 1@0, 1@1 */
    const int64_t want_i[8] = {1, 0, 2, 1, 2, 0, 0, 1};
    const int32_t want_v[8] = {4, 1, 4, 1, -3, 7, 0, 7};
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(ix[i], want_i[i], "ix[%d]=%lld", i, (long long)ix[i]);
        cr_assert_eq(v[i], want_v[i], "v[%d]=%d", i, v[i]);
    }
}

Test(kk_topk, nan_ranks_above_numbers) {
    const double x[4] = {1, NAN, 5, -2};
    double v[2];
    int64_t ix[2];
    cr_assert_eq(kk_topk(KK_F64, 1, x, v, ix, 1, 4, 1, 2), 0);
    cr_assert_eq(ix[0], 1);
    cr_assert(isnan(v[0]));
    cr_assert_eq(ix[1], 2);
    cr_assert_eq(kk_topk(KK_F64, 0, x, v, ix, 1, 4, 1, 2), 0);
    cr_assert_eq(ix[0], 3);
    cr_assert_eq(ix[1], 0);
}

Test(kk_topk, full_sort_unsigned_and_bad_arguments) {
    const uint64_t x[5] = {UINT64_MAX, 0, 7, 7, 1};
    uint64_t v[5];
    int64_t ix[5];
    cr_assert_eq(kk_topk(KK_U64, 1, x, v, ix, 1, 5, 1, 5), 0);
    const int64_t want_i[5] = {0, 2, 3, 4, 1};
    for (int i = 0; i < 5; i++) cr_assert_eq(ix[i], want_i[i]);
    cr_assert_eq(kk_topk(KK_F16, 1, x, v, ix, 1, 5, 1, 2), -1);
    cr_assert_eq(kk_topk(KK_U64, 1, x, v, ix, 1, 5, 1, 6), -1);
    cr_assert_eq(kk_topk(KK_U64, 1, x, v, ix, 1, 5, 1, 0), 0); /* k = 0 writes nothing */
}

/* ------------------------------------------------------------- kk_nms_f32 */

/* The spec's suppress_by_IOU example: 6 boxes, one class. */
static const float NMS_BOXES[24] = {
    0, 0, 1, 1,   0, 0.1f, 1, 1.1f,   0, -0.1f, 1, 0.9f,
    0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101,
};
static const float NMS_SCORES[6] = {0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f};

Test(kk_nms, suppress_by_iou_and_fill) {
    const int64_t m = 3;
    const float iou = 0.5f;
    int64_t sel[18], cnt = -7;
    kk_nms_f32(NMS_BOXES, NMS_SCORES, &m, &iou, NULL, 0, 1, 1, 6, 6, sel, &cnt);
    cr_assert_eq(cnt, 3);
    const int64_t want[9] = {0, 0, 3, 0, 0, 0, 0, 0, 5};
    for (int i = 0; i < 9; i++) cr_assert_eq(sel[i], want[i], "sel[%d]=%lld", i, (long long)sel[i]);
    for (int i = 9; i < 18; i++) cr_assert_eq(sel[i], -1, "sel[%d] not filled", i);
}

Test(kk_nms, score_threshold_is_strict_and_absent_max_selects_nothing) {
    const int64_t m = 10;
    const float iou = 0.5f, thr = 0.75f; /* the box scoring exactly 0.75 is dropped */
    int64_t sel[18], cnt;
    kk_nms_f32(NMS_BOXES, NMS_SCORES, &m, &iou, &thr, 0, 1, 1, 6, 6, sel, &cnt);
    cr_assert_eq(cnt, 2);
    cr_assert_eq(sel[2], 3);
    cr_assert_eq(sel[5], 0);
    kk_nms_f32(NMS_BOXES, NMS_SCORES, NULL, &iou, &thr, 0, 1, 1, 6, 6, sel, &cnt);
    cr_assert_eq(cnt, 0);
    for (int i = 0; i < 18; i++) cr_assert_eq(sel[i], -1);
}

Test(kk_nms, iou_equal_to_threshold_is_kept) {
    /* two 2x1 boxes overlapping by half a width: IoU = 1 / 3 exactly as
     * float arithmetic gives it; only "> threshold" suppresses */
    const float boxes[8] = {0, 0, 1, 2, 0, 1, 1, 3};
    const float scores[2] = {0.9f, 0.8f};
    const int64_t m = 2;
    float iou = 1.0f / 3.0f;
    int64_t sel[6], cnt;
    kk_nms_f32(boxes, scores, &m, &iou, NULL, 0, 1, 1, 2, 2, sel, &cnt);
    cr_assert_eq(cnt, 2);
    iou = nextafterf(iou, 0.0f);
    kk_nms_f32(boxes, scores, &m, &iou, NULL, 0, 1, 1, 2, 2, sel, &cnt);
    cr_assert_eq(cnt, 1);
}

Test(kk_nms, center_boxes_batches_classes_and_ties) {
    /* 2 batches x 2 classes x 3 boxes; equal scores take the lower index first */
    const float boxes[24] = {
        0.5f, 0.5f, 1, 1,  0.5f, 0.6f, 1, 1,  5, 5, 1, 1,
        0, 0, 1, 1,        3, 3, 1, 1,        6, 6, 1, 1,
    };
    const float scores[12] = {0.5f, 0.5f, 0.5f, 0.1f, 0.2f, 0.3f,
                              0.3f, 0.2f, 0.1f, 0.9f, 0.9f, 0.9f};
    const int64_t m = 2;
    const float iou = 0.5f;
    int64_t sel[24], cnt;
    kk_nms_f32(boxes, scores, &m, &iou, NULL, 1, 2, 2, 3, 2, sel, &cnt);
    cr_assert_eq(cnt, 8);
    const int64_t want[24] = {0, 0, 0, 0, 0, 2, 0, 1, 2, 0, 1, 1,
                              1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1};
    for (int i = 0; i < 24; i++) cr_assert_eq(sel[i], want[i], "sel[%d]=%lld", i, (long long)sel[i]);
}

Test(kk_nms, small_capacity_visits_candidates_in_several_passes) {
    /* 12 nested boxes that all overlap box 0 heavily and one far box with
     * the lowest score: with a 2-row capacity the candidate heap holds only
     * 4 entries, so the far box is found in a later pass. */
    float boxes[13 * 4], scores[13];
    for (int i = 0; i < 12; i++) {
        boxes[4 * i + 0] = 0;
        boxes[4 * i + 1] = 0;
        boxes[4 * i + 2] = 10;
        boxes[4 * i + 3] = 10.0f + 0.01f * (float)i;
        scores[i] = 1.0f - 0.01f * (float)i;
    }
    const float far[4] = {50, 50, 60, 60};
    memcpy(boxes + 48, far, sizeof far);
    scores[12] = 0.01f;
    const int64_t m = 2;
    const float iou = 0.5f;
    int64_t sel[6], cnt;
    kk_nms_f32(boxes, scores, &m, &iou, NULL, 0, 1, 1, 13, 2, sel, &cnt);
    cr_assert_eq(cnt, 2);
    const int64_t want[6] = {0, 0, 0, 0, 0, 12};
    for (int i = 0; i < 6; i++) cr_assert_eq(sel[i], want[i], "sel[%d]=%lld", i, (long long)sel[i]);
}

/* ------------------------------------------------------------ kk_roialign */

/* x = 0..15 as a 1x1x4x4 map: x[r][c] = 4r + c, linear in both directions,
 * so every in-range bilinear sample equals 4y + x exactly. */
static void ramp(float *x) { for (int i = 0; i < 16; i++) x[i] = (float)i; }

Test(kk_roialign, avg_of_bilinear_samples) {
    float x[16], y[4];
    ramp(x);
    const float roi[4] = {0, 0, 2, 2};
    const int64_t bi[1] = {0};
    /* output_half_pixel, 2x2 bins of 1x1, one sample each at (c + 0.5) */
    cr_assert_eq(kk_roialign(KK_F32, 0, 0, x, roi, bi, y, 1, 1, 4, 4, 1, 2, 2, 1, 1.0f), 0);
    const float want[4] = {2.5f, 3.5f, 6.5f, 7.5f};
    for (int i = 0; i < 4; i++) cr_assert_float_eq(y[i], want[i], EPS, "y[%d]=%g", i, y[i]);
    /* half_pixel shifts by -0.5: samples land on pixel centres */
    cr_assert_eq(kk_roialign(KK_F32, 0, 1, x, roi, bi, y, 1, 1, 4, 4, 1, 2, 2, 1, 1.0f), 0);
    const float want_hp[4] = {0, 1, 4, 5};
    for (int i = 0; i < 4; i++) cr_assert_float_eq(y[i], want_hp[i], EPS, "y[%d]=%g", i, y[i]);
}

Test(kk_roialign, max_of_weighted_corners_and_bad_batch) {
    float x[16], y[2];
    ramp(x);
    const float roi[8] = {0, 0, 2, 2, 0, 0, 2, 2};
    const int64_t bi[2] = {0, 3};
    /* one bin, one sample at (1, 1) exactly: weight 1 on x[1][1] = 5 */
    cr_assert_eq(kk_roialign(KK_F32, 1, 0, x, roi, bi, y, 1, 1, 4, 4, 2, 1, 1, 1, 1.0f), 0);
    cr_assert_float_eq(y[0], 5.0f, EPS);
    cr_assert_float_eq(y[1], 0.0f, EPS); /* batch index 3 of 1: zeros */
    /* sample at (0.75, 0.75) (roi 0..1.5): the max is the largest weighted
     * corner, 0.5625 * x[1][1] = 2.8125 */
    const float roi2[4] = {0, 0, 1.5f, 1.5f};
    cr_assert_eq(kk_roialign(KK_F32, 1, 0, x, roi2, bi, y, 1, 1, 4, 4, 1, 1, 1, 1, 1.0f), 0);
    cr_assert_float_eq(y[0], 2.8125f, EPS);
}

Test(kk_roialign, adaptive_grid_in_double) {
    double x[16], y[1];
    for (int i = 0; i < 16; i++) x[i] = i;
    const double roi[4] = {0, 0, 8, 8};   /* spatial_scale 0.5 -> 0..4 */
    const int64_t bi[1] = {0};
    /* one 4x4 bin, adaptive grid 4x4 at 0.5, 1.5, 2.5, 3.5: the samples past
     * 3 clamp to the last row/column */
    cr_assert_eq(kk_roialign(KK_F64, 0, 0, x, roi, bi, y, 1, 1, 4, 4, 1, 1, 1, 0, 0.5f), 0);
    double sum = 0;
    const double pos[4] = {0.5, 1.5, 2.5, 3.0};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) sum += 4 * pos[i] + pos[j];
    cr_assert_float_eq(y[0], sum / 16, 1e-12);
}

/* ---------------------------------------------------------- kk_maxroipool */

Test(kk_maxroipool, bins_and_rounding) {
    float x[16], y[5];
    ramp(x);
    /* roi (0.6, 0.4)..(2.4, 2.6) rounds to columns 1..2, rows 0..3 */
    const float rois[10] = {0, 0.6f, 0.4f, 2.4f, 2.6f, /* bad batch */ 1, 0, 0, 3, 3};
    cr_assert_eq(kk_maxroipool(KK_F32, x, rois, y, 1, 1, 4, 4, 2, 2, 1, 1.0f), 0);
    cr_assert_float_eq(y[0], 6.0f, EPS);   /* rows 0..1 x columns 1..2 */
    cr_assert_float_eq(y[1], 14.0f, EPS);  /* rows 2..3 (ceil) */
    cr_assert_float_eq(y[2], 0.0f, EPS);
    cr_assert_float_eq(y[3], 0.0f, EPS);
    const float neg[16] = {-5, -4, -3, -2, -9, -9, -9, -9, -9, -9, -9, -9, -9, -9, -9, -1};
    const float whole[5] = {0, 0, 0, 3, 0};
    cr_assert_eq(kk_maxroipool(KK_F32, neg, whole, y, 1, 1, 4, 4, 1, 1, 1, 1.0f), 0);
    cr_assert_float_eq(y[0], -2.0f, EPS);  /* negative data keeps its true maximum */
}

/* ------------------------------------------ op functions (ops_detect.c) */

typedef struct Fixture {
    Graph *g;
    Diag d;
    Node *n;
} Fixture;

static Value *mk_input(Fixture *f, const char *name, DType t, int rank, const int64_t *dims)
{
    Value *v = ir_value_new(f->g, name);
    v->kind = VK_INPUT;
    v->dtype = t;
    v->rank = rank;
    for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
    return v;
}

static Value *mk_const(Fixture *f, const char *name, DType t, int rank, const int64_t *dims, const void *data)
{
    Value *v = ir_value_new(f->g, name);
    void *p = ir_make_const(f->g, v, t, rank, dims);
    memcpy(p, data, value_bytes(v));
    return v;
}

static void fx_init(Fixture *f, OpKind op, int opset, int ninputs, int noutputs)
{
    f->g = ir_graph_new("m", "t.onnx");
    cr_assert_not_null(f->g);
    f->g->opset = opset;
    diag_init(&f->d, "t.onnx");
    f->n = ir_node_new(f->g, op, "det", ninputs, noutputs);
    for (int k = 0; k < noutputs; k++) {
        char name[8] = {'y', (char)('0' + k), 0};
        f->n->outputs[k] = ir_value_new(f->g, name);
    }
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

static void set_str(Fixture *f, const char *name, const char *s)
{
    Attr *a = ir_attr_set(f->g, f->n, name, AT_STRING);
    a->s = arena_strdup(&f->g->arena, s);
}

static const char *msg(const Fixture *f) { return f->d.text ? f->d.text : ""; }

Test(detect_ops, topk_k_attribute_then_input) {
    Fixture f;
    const int64_t xd[2] = {3, 7};
    fx_init(&f, OP_TOP_K, 1, 1, 2);
    f.n->inputs[0] = mk_input(&f, "x", DT_F32, 2, xd);
    set_int(&f, "k", 2);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", msg(&f));
    cr_assert_eq(f.n->outputs[0]->dims[1], 2);
    cr_assert_eq(f.n->outputs[1]->dtype, DT_I64);
    Emitter e;
    emit_init(&e, "m");
    const char *in[1] = {"X"}, *out[2] = {"V", "I"};
    cr_assert_eq(detect_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_topk(KK_F32, 1, X, V, I, 3, 7, 1, 2);\n");
    cr_assert(e.kernels & (1u << KKF_DETECT));
    emit_free(&e);
    fx_free(&f);

    /* opset 11: K must be a constant input, smallest first, axis 0 */
    fx_init(&f, OP_TOP_K, 11, 2, 2);
    f.n->inputs[0] = mk_input(&f, "x", DT_I64, 2, xd);
    const int64_t one[1] = {1}, kv[1] = {3};
    f.n->inputs[1] = mk_input(&f, "k", DT_I64, 1, one);
    set_int(&f, "axis", 0);
    set_int(&f, "largest", 0);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(msg(&f), "must be a compile-time constant"), "%s", msg(&f));
    f.n->inputs[1] = mk_const(&f, "kc", DT_I64, 1, one, kv);
    diag_free(&f.d);
    diag_init(&f.d, "t.onnx");
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", msg(&f));
    cr_assert_eq(f.n->outputs[0]->dims[0], 3);
    cr_assert_eq(f.n->a.detect.largest, 0);
    fx_free(&f);
}

Test(detect_ops, topk_diagnostics) {
    Fixture f;
    const int64_t xd[1] = {4}, one[1] = {1}, kv[1] = {5};
    fx_init(&f, OP_TOP_K, 11, 2, 2);
    f.n->inputs[0] = mk_input(&f, "x", DT_F32, 1, xd);
    f.n->inputs[1] = mk_const(&f, "kc", DT_I64, 1, one, kv);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(msg(&f), "k=5 is outside [0, 4]"), "%s", msg(&f));
    cr_assert(strstr(msg(&f), "node 'det'"), "%s", msg(&f));
    fx_free(&f);

    fx_init(&f, OP_TOP_K, 11, 2, 2);
    f.n->inputs[0] = mk_input(&f, "x", DT_F16, 1, xd);
    f.n->inputs[1] = mk_const(&f, "kc", DT_I64, 1, one, kv);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(msg(&f), "unsupported dtype f16"), "%s", msg(&f));
    fx_free(&f);

    fx_init(&f, OP_TOP_K, 1, 1, 2);
    f.n->inputs[0] = mk_input(&f, "x", DT_F32, 1, xd);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(msg(&f), "attribute 'k' is required"), "%s", msg(&f));
    fx_free(&f);
}

/* NonMaxSuppression over the spec example: boxes [1, 6, 4], scores [1, 1, 6]. */
static void nms_node(Fixture *f, int const_boxes, const int64_t *max_out, int max_const)
{
    const int64_t bd[3] = {1, 6, 4}, sd[3] = {1, 1, 6}, one[1] = {1};
    const float iou = 0.5f;
    fx_init(f, OP_NON_MAX_SUPPRESSION, 11, 4, 1);
    if (const_boxes) {
        f->n->inputs[0] = mk_const(f, "boxes", DT_F32, 3, bd, NMS_BOXES);
        f->n->inputs[1] = mk_const(f, "scores", DT_F32, 3, sd, NMS_SCORES);
        f->n->inputs[3] = mk_const(f, "iou", DT_F32, 1, one, &iou);
    } else {
        f->n->inputs[0] = mk_input(f, "boxes", DT_F32, 3, bd);
        f->n->inputs[1] = mk_input(f, "scores", DT_F32, 3, sd);
        f->n->inputs[3] = mk_input(f, "iou", DT_F32, 1, one);
    }
    if (max_out)
        f->n->inputs[2] = max_const ? mk_const(f, "max", DT_I64, 1, one, max_out)
                                    : mk_input(f, "max", DT_I64, 1, one);
}

Test(detect_ops, nms_capacity_and_count_output) {
    Fixture f;
    const int64_t m = 3;
    nms_node(&f, 0, &m, 1);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", msg(&f));
    Value *sel = f.n->outputs[0];
    cr_assert_eq(sel->dims[0], 3);
    cr_assert_eq(sel->dims[1], 3);
    cr_assert_eq(sel->dyn_axis, 0);
    cr_assert_eq(f.n->noutputs, 2);
    cr_assert_eq(f.n->outputs[1], sel->count);
    /* re-inference keeps one count output */
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", msg(&f));
    cr_assert_eq(f.n->noutputs, 2);
    Emitter e;
    emit_init(&e, "m");
    const char *in[4] = {"B", "S", "M", "T"}, *out[2] = {"Y", "C"};
    cr_assert_eq(detect_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_nms_f32(B, S, M, T, NULL, 0, 1, 1, 6, 3, Y, C);\n");
    emit_free(&e);
    fx_free(&f);

    /* a run-time limit reserves every box; no limit reserves nothing */
    nms_node(&f, 0, &m, 0);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", msg(&f));
    cr_assert_eq(f.n->outputs[0]->dims[0], 6);
    fx_free(&f);
    nms_node(&f, 0, NULL, 0);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", msg(&f));
    cr_assert_eq(f.n->outputs[0]->dims[0], 0);
    fx_free(&f);
}

Test(detect_ops, nms_folds_to_exact_rows) {
    Fixture f;
    const int64_t m = 5;
    nms_node(&f, 1, &m, 1);
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", msg(&f));
    Value *sel = f.n->outputs[0];
    cr_assert_eq(sel->kind, VK_CONST);
    cr_assert_eq(sel->dims[0], 3);
    const int64_t *p = sel->data;
    cr_assert_eq(p[2], 3);
    cr_assert_eq(p[5], 0);
    cr_assert_eq(p[8], 5);
    fx_free(&f);
}

Test(detect_ops, nms_diagnostics) {
    Fixture f;
    const int64_t m = 3;
    nms_node(&f, 0, &m, 1);
    set_int(&f, "center_point_box", 2);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(msg(&f), "unsupported attribute value center_point_box=2"), "%s", msg(&f));
    fx_free(&f);

    nms_node(&f, 0, &m, 1);
    const int64_t sd[3] = {1, 1, 5};
    f.n->inputs[1] = mk_input(&f, "scores5", DT_F32, 3, sd);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(msg(&f), "disagree"), "%s", msg(&f));
    fx_free(&f);
}

Test(detect_ops, roialign_opsets_and_emit) {
    Fixture f;
    const int64_t xd[4] = {2, 3, 8, 8}, rd[2] = {5, 4}, bd[1] = {5};
    fx_init(&f, OP_ROI_ALIGN, 10, 3, 1);
    f.n->inputs[0] = mk_input(&f, "x", DT_F32, 4, xd);
    f.n->inputs[1] = mk_input(&f, "rois", DT_F32, 2, rd);
    f.n->inputs[2] = mk_input(&f, "bi", DT_I64, 1, bd);
    set_int(&f, "output_height", 2);
    set_int(&f, "output_width", 3);
    set_str(&f, "mode", "max");
    Attr *sc = ir_attr_set(f.g, f.n, "spatial_scale", AT_FLOAT);
    sc->f = 0.25;
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", msg(&f));
    const int64_t want[4] = {5, 3, 2, 3};
    for (int i = 0; i < 4; i++) cr_assert_eq(f.n->outputs[0]->dims[i], want[i]);
    cr_assert_eq(f.n->a.detect.half_pixel, 0);
    Emitter e;
    emit_init(&e, "m");
    const char *in[3] = {"X", "R", "B"}, *out[1] = {"Y"};
    cr_assert_eq(detect_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_roialign(KK_F32, 1, 0, X, R, B, Y, 2, 3, 8, 8, 5, 2, 3, 0, 0.25f);\n");
    emit_free(&e);
    /* the attribute only exists from opset 16 */
    set_str(&f, "coordinate_transformation_mode", "half_pixel");
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(msg(&f), "only allowed from opset 16"), "%s", msg(&f));
    f.n->opset = 16;
    diag_free(&f.d);
    diag_init(&f.d, "t.onnx");
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", msg(&f));
    cr_assert_eq(f.n->a.detect.half_pixel, 1);
    set_str(&f, "mode", "median");
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(msg(&f), "unsupported attribute value mode='median'"), "%s", msg(&f));
    fx_free(&f);
}

Test(detect_ops, maxroipool_shape_and_diagnostics) {
    Fixture f;
    const int64_t xd[4] = {1, 4, 6, 6}, rd[2] = {3, 5};
    fx_init(&f, OP_MAX_ROI_POOL, 1, 2, 1);
    f.n->inputs[0] = mk_input(&f, "x", DT_F32, 4, xd);
    f.n->inputs[1] = mk_input(&f, "rois", DT_F32, 2, rd);
    cr_assert_neq(ir_infer_node(f.g, f.n, &f.d), 0);
    cr_assert(strstr(msg(&f), "'pooled_shape' is required"), "%s", msg(&f));
    Attr *a = ir_attr_set(f.g, f.n, "pooled_shape", AT_INTS);
    a->n = 2;
    a->ints = arena_alloc(&f.g->arena, 2 * sizeof(int64_t));
    a->ints[0] = 2;
    a->ints[1] = 3;
    cr_assert_eq(ir_infer_node(f.g, f.n, &f.d), 0, "%s", msg(&f));
    const int64_t want[4] = {3, 4, 2, 3};
    for (int i = 0; i < 4; i++) cr_assert_eq(f.n->outputs[0]->dims[i], want[i]);
    fx_free(&f);
}
