/*
 * test_kk_dense.c - unit tests of the dense family: the reference kernels
 * (kernels/ref/dense.c) on small hand-checked cases, then the op functions
 * (compiler/ops_dense.c): ConvTranspose's pads / output_shape / auto_pad
 * resolution, Resize's output sizes from scales, sizes, axes and the aspect
 * policy, the diagnostics, folding through exec and the emitted calls.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

#define EPS 1e-5

static void assert_floats(const float *got, const float *want, int n) {
    for (int i = 0; i < n; i++)
        cr_assert_float_eq(got[i], want[i], EPS, "[%d] = %g, expected %g", i, got[i], want[i]);
}

static const int64_t ONES[3] = {1, 1, 1};
static const int64_t NO_ROI[8] = {-1, -1, -1, -1, -1, -1, -1, -1};

/* ------------------------------------------------------- kk_conv_transpose */

Test(kk_conv_transpose, stride_pads_and_bias_1d) {
    const float x[3] = {1, 2, 3}, w[3] = {1, 1, 1}, b[1] = {0.5f};
    const int64_t in[1] = {3}, k[1] = {3}, s[1] = {2};
    /* full output (7): every x[i] lands on 2i, 2i+1, 2i+2 */
    float y[7];
    const int64_t out7[1] = {7}, p0[2] = {0, 0};
    kk_conv_transpose_f32(x, w, NULL, y, 1, 1, 1, 1, 1, in, k, out7, s, ONES, p0);
    const float full[7] = {1, 1, 3, 2, 5, 3, 3};
    assert_floats(y, full, 7);
    /* pads 1 / 1 crop one position each side; the bias is added everywhere */
    const int64_t out5[1] = {5}, p1[2] = {1, 1};
    kk_conv_transpose_f32(x, w, b, y, 1, 1, 1, 1, 1, in, k, out5, s, ONES, p1);
    const float cropped[5] = {1.5f, 3.5f, 2.5f, 5.5f, 3.5f};
    assert_floats(y, cropped, 5);
    /* an output larger than the full one keeps the bias past its end */
    const int64_t out9[1] = {9};
    float y9[9];
    kk_conv_transpose_f32(x, w, b, y9, 1, 1, 1, 1, 1, in, k, out9, s, ONES, p0);
    cr_assert_float_eq(y9[6], 3.5f, EPS);
    cr_assert_float_eq(y9[7], 0.5f, EPS);
    cr_assert_float_eq(y9[8], 0.5f, EPS);
}

Test(kk_conv_transpose, onnx_example_2d_two_outputs) {
    /* test_convtranspose: x = 0..8 (3x3), W all ones (1, 2, 3, 3) */
    float x[9], w[18], y[50];
    for (int i = 0; i < 9; i++) x[i] = (float)i;
    for (int i = 0; i < 18; i++) w[i] = 1;
    const int64_t in[2] = {3, 3}, k[2] = {3, 3}, out[2] = {5, 5}, p[4] = {0, 0, 0, 0};
    kk_conv_transpose_f32(x, w, NULL, y, 1, 1, 2, 1, 2, in, k, out, ONES, ONES, p);
    const float want[25] = {0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8};
    assert_floats(y, want, 25);
    assert_floats(y + 25, want, 25);
}

Test(kk_conv_transpose, groups_dilation_and_f64) {
    /* 2 input channels, group 2, one output channel each; kernel [1 1] dilated by 2 */
    const double x[4] = {1, 2, 10, 20}, w[4] = {1, 1, 2, 3}, b[2] = {0, 100};
    const int64_t in[1] = {2}, k[1] = {2}, out[1] = {4}, d[1] = {2}, p[2] = {0, 0};
    double y[8];
    kk_conv_transpose_f64(x, w, b, y, 1, 2, 2, 2, 1, in, k, out, ONES, d, p);
    /* channel 0: taps at i and i+2 -> [1 2 1 2]; channel 1: 2x at i, 3x at i+2, +100 */
    const double want[8] = {1, 2, 1, 2, 120, 140, 130, 160};
    for (int i = 0; i < 8; i++) cr_assert_float_eq(y[i], want[i], EPS, "[%d] = %g", i, y[i]);
}

Test(kk_conv_transpose, volume_3d) {
    const float x[2] = {1, 2}, w[1] = {3};
    const int64_t in[3] = {1, 1, 2}, k[3] = {1, 1, 1}, out[3] = {1, 1, 4}, s[3] = {1, 1, 2};
    const int64_t p[6] = {0, 0, 0, 0, 0, 0};
    float y[4];
    kk_conv_transpose_f32(x, w, NULL, y, 1, 1, 1, 1, 3, in, k, out, s, ONES, p);
    const float want[4] = {3, 0, 6, 0};
    assert_floats(y, want, 4);
}

/* ------------------------------------------------------------- kk_resize */

static kk_resize_params params(int mode, int ctm, int nearest_mode) {
    kk_resize_params p;
    memset(&p, 0, sizeof p);
    p.mode = mode;
    p.ctm = ctm;
    p.nearest_mode = nearest_mode;
    p.cubic_a = -0.75;
    return p;
}

/* 1-D nearest of x (n) into y (m) with coordinate scale s. */
static void nearest_1d(const float *x, int64_t n, float *y, int64_t m, double s, int ctm, int nm) {
    const int64_t in[1] = {n}, out[1] = {m};
    const double sc[1] = {s};
    kk_resize_params p = params(KK_RESIZE_NEAREST, ctm, nm);
    kk_resize_nearest(x, y, sizeof(float), 1, in, out, sc, NO_ROI, NULL, &p, NULL);
}

Test(kk_resize, nearest_rounding_modes_on_ties) {
    /* asymmetric, scale 2: output 1 maps to x = 0.5 exactly */
    const float x[3] = {10, 20, 30};
    float y[6];
    const float floor_w[6] = {10, 10, 20, 20, 30, 30}, ceil_w[6] = {10, 20, 20, 30, 30, 30};
    nearest_1d(x, 3, y, 6, 2.0, KK_RESIZE_CTM_ASYMMETRIC, KK_RESIZE_NEAREST_ROUND_PREFER_FLOOR);
    assert_floats(y, floor_w, 6);
    nearest_1d(x, 3, y, 6, 2.0, KK_RESIZE_CTM_ASYMMETRIC, KK_RESIZE_NEAREST_ROUND_PREFER_CEIL);
    assert_floats(y, ceil_w, 6);
    nearest_1d(x, 3, y, 6, 2.0, KK_RESIZE_CTM_ASYMMETRIC, KK_RESIZE_NEAREST_FLOOR);
    assert_floats(y, floor_w, 6);
    nearest_1d(x, 3, y, 6, 2.0, KK_RESIZE_CTM_ASYMMETRIC, KK_RESIZE_NEAREST_CEIL);
    assert_floats(y, ceil_w, 6); /* the last one clamps to the input */
    nearest_1d(x, 3, y, 6, 2.0, KK_RESIZE_CTM_ASYMMETRIC, KK_RESIZE_NEAREST_SIMPLE);
    assert_floats(y, floor_w, 6);
}

Test(kk_resize, nearest_simple_downsample_takes_ceil) {
    /* Resize-10 / onnxruntime: 8 -> 4 by 0.6, x = y / 0.6 = 0, 1.67, 3.33, 5 */
    const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float y[4];
    nearest_1d(x, 8, y, 4, 0.6000000238418579, KK_RESIZE_CTM_ASYMMETRIC, KK_RESIZE_NEAREST_SIMPLE);
    const float want[4] = {1, 3, 5, 6};
    assert_floats(y, want, 4);
}

Test(kk_resize, nearest_half_pixel_any_type) {
    const int64_t x[4] = {1, 2, 3, 4};
    int64_t y[8];
    const int64_t in[1] = {4}, out[1] = {8};
    const double sc[1] = {2};
    kk_resize_params p = params(KK_RESIZE_NEAREST, KK_RESIZE_CTM_HALF_PIXEL, 0);
    kk_resize_nearest(x, y, sizeof(int64_t), 1, in, out, sc, NO_ROI, NULL, &p, NULL);
    const int64_t want[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    for (int i = 0; i < 8; i++) cr_assert_eq(y[i], want[i], "[%d] = %lld", i, (long long)y[i]);
}

Test(kk_resize, linear_half_pixel_and_align_corners) {
    const float x[2] = {0, 10};
    const int64_t in[1] = {2}, out[1] = {4};
    const double sc[1] = {2};
    float y[4];
    kk_resize_params p = params(KK_RESIZE_LINEAR, KK_RESIZE_CTM_HALF_PIXEL, 0);
    kk_resize_f32(x, y, 1, in, out, sc, NO_ROI, NULL, &p);
    const float hp[4] = {0, 2.5f, 7.5f, 10};
    assert_floats(y, hp, 4);
    p.ctm = KK_RESIZE_CTM_ALIGN_CORNERS;
    kk_resize_f32(x, y, 1, in, out, sc, NO_ROI, NULL, &p);
    const float ac[4] = {0, 10.0f / 3, 20.0f / 3, 10};
    assert_floats(y, ac, 4);
}

Test(kk_resize, bilinear_2d_only_resized_axes_interpolate) {
    /* (2, 2, 2): axis 0 kept, axes 1 and 2 doubled (asymmetric) */
    const float x[8] = {0, 1, 2, 3, 10, 11, 12, 13};
    const int64_t in[3] = {2, 2, 2}, out[3] = {2, 4, 4};
    const double sc[3] = {1, 2, 2};
    float y[32];
    kk_resize_params p = params(KK_RESIZE_LINEAR, KK_RESIZE_CTM_ASYMMETRIC, 0);
    kk_resize_f32(x, y, 3, in, out, sc, NO_ROI, NULL, &p);
    const float row0[4] = {0, 0.5f, 1, 1}, row1[4] = {1, 1.5f, 2, 2}, last[4] = {12, 12.5f, 13, 13};
    assert_floats(y, row0, 4);
    assert_floats(y + 4, row1, 4);
    assert_floats(y + 28, last, 4);
}

Test(kk_resize, cubic_reproduces_a_ramp_inside) {
    /* Keys' cubic reproduces linear data away from the borders */
    float x[8], y[16];
    for (int i = 0; i < 8; i++) x[i] = (float)i;
    const int64_t in[1] = {8}, out[1] = {16};
    const double sc[1] = {2};
    kk_resize_params p = params(KK_RESIZE_CUBIC, KK_RESIZE_CTM_ASYMMETRIC, 0);
    kk_resize_f32(x, y, 1, in, out, sc, NO_ROI, NULL, &p);
    for (int i = 2; i < 12; i++) cr_assert_float_eq(y[i], i / 2.0f, EPS, "[%d] = %g", i, y[i]);
    /* exclude_outside renormalizes the border taps: still exact on a constant */
    for (int i = 0; i < 8; i++) x[i] = 3;
    p.exclude_outside = 1;
    p.ctm = KK_RESIZE_CTM_HALF_PIXEL;
    kk_resize_f32(x, y, 1, in, out, sc, NO_ROI, NULL, &p);
    for (int i = 0; i < 16; i++) cr_assert_float_eq(y[i], 3.0f, EPS, "[%d] = %g", i, y[i]);
}

Test(kk_resize, antialiased_linear_downsample) {
    /* scale 0.5 widens the triangle to 4 taps: weights 1/8, 3/8, 3/8, 1/8 */
    float x[8], y[4];
    for (int i = 0; i < 8; i++) x[i] = (float)i;
    const int64_t in[1] = {8}, out[1] = {4};
    const double sc[1] = {0.5};
    kk_resize_params p = params(KK_RESIZE_LINEAR, KK_RESIZE_CTM_HALF_PIXEL, 0);
    p.antialias = 1;
    cr_assert_eq(kk_resize_ntaps(&p, 0.5), 4);
    cr_assert_eq(kk_resize_ntaps(&p, 2.0), 2);
    kk_resize_f32(x, y, 1, in, out, sc, NO_ROI, NULL, &p);
    const float want[4] = {0.625f, 2.5f, 4.5f, 6.375f};
    assert_floats(y, want, 4);
}

Test(kk_resize, tf_crop_and_resize_with_extrapolation) {
    const float x[5] = {0, 10, 20, 30, 40};
    const int64_t in[1] = {5}, out[1] = {3}, roi_index[1] = {0};
    const double sc[1] = {0.6};
    float y[3];
    kk_resize_params p = params(KK_RESIZE_LINEAR, KK_RESIZE_CTM_TF_CROP_AND_RESIZE, 0);
    p.roi_type = KK_F32;
    p.roi_half = 1;
    p.extrapolation = -7;
    /* roi 0.25..0.75 of (in - 1) = 4: x = 1 + y */
    const float roi[2] = {0.25f, 0.75f};
    kk_resize_f32(x, y, 1, in, out, sc, roi_index, roi, &p);
    const float inside[3] = {10, 20, 30};
    assert_floats(y, inside, 3);
    /* roi -0.5..0.5 (double): x = 2y - 2, the first sample lies outside */
    const double roi_d[2] = {-0.5, 0.5};
    p.roi_type = KK_F64;
    kk_resize_f32(x, y, 1, in, out, sc, roi_index, roi_d, &p);
    const float ext[3] = {-7, 0, 20};
    assert_floats(y, ext, 3);
    /* nearest gets the fill element */
    const float fill = 99;
    p.mode = KK_RESIZE_NEAREST;
    kk_resize_nearest(x, y, sizeof(float), 1, in, out, sc, roi_index, roi_d, &p, &fill);
    const float near[3] = {99, 0, 20};
    assert_floats(y, near, 3);
}

Test(kk_resize, integer_outputs_round_half_even_and_saturate) {
    const uint8_t x[2] = {0, 255};
    const int64_t in[1] = {2}, out[1] = {4};
    const double sc[1] = {2};
    uint8_t y[4];
    kk_resize_params p = params(KK_RESIZE_CUBIC, KK_RESIZE_CTM_HALF_PIXEL, 0);
    kk_resize_u8(x, y, 1, in, out, sc, NO_ROI, NULL, &p);
    cr_assert_eq(y[0], 0);   /* the cubic undershoots below 0: saturated */
    cr_assert_eq(y[3], 255); /* and overshoots above 255 */
    const int8_t xi[2] = {1, 2};
    int8_t yi[4];
    p.mode = KK_RESIZE_LINEAR;
    p.ctm = KK_RESIZE_CTM_ASYMMETRIC;
    kk_resize_i8(xi, yi, 1, in, out, sc, NO_ROI, NULL, &p);
    const int8_t want[4] = {1, 2, 2, 2}; /* 1.5 rounds to even */
    for (int i = 0; i < 4; i++) cr_assert_eq(yi[i], want[i], "[%d] = %d", i, yi[i]);
}

/* ------------------------------------------------ DepthToSpace / SpaceToDepth */

static const int D2S_DCR[48] = {0,  12, 1,  13, 2,  14, 24, 36, 25, 37, 26, 38, 3,  15, 4,  16,
                                5,  17, 27, 39, 28, 40, 29, 41, 6,  18, 7,  19, 8,  20, 30, 42,
                                31, 43, 32, 44, 9,  21, 10, 22, 11, 23, 33, 45, 34, 46, 35, 47};
static const int D2S_CRD[48] = {0,  6,  1,  7,  2,  8,  12, 18, 13, 19, 14, 20, 3,  9,  4,  10,
                                5,  11, 15, 21, 16, 22, 17, 23, 24, 30, 25, 31, 26, 32, 36, 42,
                                37, 43, 38, 44, 27, 33, 28, 34, 29, 35, 39, 45, 40, 46, 41, 47};

Test(kk_depth_space, both_modes_and_round_trip) {
    /* x = 0..47 as (1, 8, 2, 3), blocksize 2 -> (1, 2, 4, 6) */
    int32_t x[48], y[48], back[48];
    for (int i = 0; i < 48; i++) x[i] = i;
    for (int crd = 0; crd < 2; crd++) {
        kk_depth_to_space(x, y, sizeof(int32_t), 1, 2, 2, 3, 2, crd);
        const int *want = crd ? D2S_CRD : D2S_DCR;
        for (int i = 0; i < 48; i++) cr_assert_eq(y[i], want[i], "crd %d [%d] = %d", crd, i, y[i]);
        kk_space_to_depth(y, back, sizeof(int32_t), 1, 2, 2, 3, 2, crd);
        for (int i = 0; i < 48; i++) cr_assert_eq(back[i], i, "crd %d round trip [%d] = %d", crd, i, back[i]);
    }
}

/* ---------------------------------------------------------------- op tests */

typedef struct Fixture {
    Graph *g;
    Diag d;
    Node *n;
    Value *x;
    Value *y;
} Fixture;

static Value *mk_value(Fixture *f, const char *name, ValueKind kind, DType t, int rank, const int64_t *dims) {
    Value *v = ir_value_new(f->g, name);
    v->kind = kind;
    v->dtype = t;
    v->rank = rank;
    for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
    return v;
}

static void fx_init(Fixture *f, OpKind op, int opset, DType t, int rank, const int64_t *dims, int ninputs) {
    f->g = ir_graph_new("m", "t.onnx");
    cr_assert_not_null(f->g);
    f->g->opset = opset;
    diag_init(&f->d, "t.onnx");
    f->x = mk_value(f, "x", VK_INPUT, t, rank, dims);
    f->y = ir_value_new(f->g, "y");
    f->n = ir_node_new(f->g, op, "c", ninputs, 1);
    f->n->opset = opset;
    f->n->inputs[0] = f->x;
    f->n->outputs[0] = f->y;
}

static void fx_free(Fixture *f) {
    diag_free(&f->d);
    ir_graph_free(f->g);
}

static Value *add_input(Fixture *f, int k, const char *name, DType t, int rank, const int64_t *dims) {
    Value *v = mk_value(f, name, VK_INPUT, t, rank, dims);
    f->n->inputs[k] = v;
    return v;
}

/* Constant input k: a vector of n float32 or int64 values. */
static void add_const_f32(Fixture *f, int k, const char *name, const float *v, int n) {
    Value *c = ir_value_new(f->g, name);
    const int64_t dims[1] = {n};
    float *p = ir_make_const(f->g, c, DT_F32, 1, dims);
    if (n) memcpy(p, v, sizeof(float) * (size_t)n);
    f->n->inputs[k] = c;
}

static void add_const_i64(Fixture *f, int k, const char *name, const int64_t *v, int n) {
    Value *c = ir_value_new(f->g, name);
    const int64_t dims[1] = {n};
    int64_t *p = ir_make_const(f->g, c, DT_I64, 1, dims);
    memcpy(p, v, sizeof(int64_t) * (size_t)n);
    f->n->inputs[k] = c;
}

static void set_ints(Fixture *f, const char *name, const int64_t *v, int n) {
    Attr *a = ir_attr_set(f->g, f->n, name, AT_INTS);
    a->n = n;
    a->ints = arena_alloc(&f->g->arena, sizeof(int64_t) * (size_t)(n ? n : 1));
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)n);
}

static void set_floats(Fixture *f, const char *name, const double *v, int n) {
    Attr *a = ir_attr_set(f->g, f->n, name, AT_FLOATS);
    a->n = n;
    a->floats = arena_alloc(&f->g->arena, sizeof(double) * (size_t)(n ? n : 1));
    memcpy(a->floats, v, sizeof(double) * (size_t)n);
}

static void set_int(Fixture *f, const char *name, int64_t v) { ir_attr_set(f->g, f->n, name, AT_INT)->i = v; }

static void set_string(Fixture *f, const char *name, const char *s) {
    ir_attr_set(f->g, f->n, name, AT_STRING)->s = arena_strdup(&f->g->arena, s);
}

static void assert_shape(const Value *v, int rank, const int64_t *dims) {
    cr_assert_eq(v->rank, rank, "rank %d, expected %d", v->rank, rank);
    for (int i = 0; i < rank; i++)
        cr_assert_eq(v->dims[i], dims[i], "dim %d is %lld, expected %lld", i, (long long)v->dims[i],
                     (long long)dims[i]);
}

static void assert_ok(Fixture *f) {
    cr_assert_eq(ir_infer_node(f->g, f->n, &f->d), 0, "%s", f->d.text ? f->d.text : "");
}

/* Inference must fail with a message containing `want` and the node name. */
static void assert_error(Fixture *f, const char *want) {
    cr_assert_neq(ir_infer_node(f->g, f->n, &f->d), 0);
    cr_assert(f->d.text && strstr(f->d.text, want), "expected '%s' in: %s", want, f->d.text ? f->d.text : "");
    cr_assert(strstr(f->d.text, "node 'c'"), "%s", f->d.text);
}

static const int64_t D1133[4] = {1, 1, 3, 3}, D1233[4] = {1, 2, 3, 3};

/* ConvTranspose of x (1, 1, 3, 3) with W (1, 2, 3, 3). */
static void convt_init(Fixture *f) {
    fx_init(f, OP_CONV_TRANSPOSE, 22, DT_F32, 4, D1133, 2);
    add_input(f, 1, "w", DT_F32, 4, D1233);
}

Test(dense_ops, convtranspose_output_shape_and_padding) {
    Fixture f;
    const int64_t s32[2] = {3, 2};
    /* test_convtranspose_pad: output_padding adds at the end */
    convt_init(&f);
    set_ints(&f, "strides", s32, 2);
    const int64_t op[2] = {1, 1};
    set_ints(&f, "output_padding", op, 2);
    assert_ok(&f);
    const int64_t want[4] = {1, 2, 10, 8};
    assert_shape(f.y, 4, want);
    fx_free(&f);

    /* explicit pads crop */
    convt_init(&f);
    set_ints(&f, "strides", s32, 2);
    const int64_t pads[4] = {1, 2, 1, 2};
    set_ints(&f, "pads", pads, 4);
    assert_ok(&f);
    const int64_t want_p[4] = {1, 2, 7, 3};
    assert_shape(f.y, 4, want_p);
    fx_free(&f);

    /* output_shape beyond the full output (9 x 7): no pads, bias-only tail */
    convt_init(&f);
    set_ints(&f, "strides", s32, 2);
    const int64_t os[2] = {10, 8};
    set_ints(&f, "output_shape", os, 2);
    assert_ok(&f);
    assert_shape(f.y, 4, want);
    for (int i = 0; i < 4; i++) cr_assert_eq(f.n->a.dense.pads[i], 0);
    fx_free(&f);

    /* output_shape below it: total 9 - 6 = 3, the odd pad at the start (NOTSET) */
    convt_init(&f);
    set_ints(&f, "strides", s32, 2);
    const int64_t os2[4] = {1, 2, 6, 7}; /* with N and C in front */
    set_ints(&f, "output_shape", os2, 4);
    assert_ok(&f);
    const int64_t want2[4] = {1, 2, 6, 7};
    assert_shape(f.y, 4, want2);
    cr_assert_eq(f.n->a.dense.pads[0], 2);
    cr_assert_eq(f.n->a.dense.pads[2], 1);
    fx_free(&f);
}

Test(dense_ops, convtranspose_same_upper_vs_lower) {
    /* in 3, kernel 3, stride 2: full 7, SAME gives 6, total pad 1 */
    const int64_t s[2] = {2, 2};
    for (int lower = 0; lower < 2; lower++) {
        Fixture f;
        convt_init(&f);
        set_ints(&f, "strides", s, 2);
        set_string(&f, "auto_pad", lower ? "SAME_LOWER" : "SAME_UPPER");
        assert_ok(&f);
        const int64_t want[4] = {1, 2, 6, 6};
        assert_shape(f.y, 4, want);
        cr_assert_eq(f.n->a.dense.pads[0], lower ? 1 : 0);
        cr_assert_eq(f.n->a.dense.pads[2], lower ? 0 : 1);
        fx_free(&f);
    }
}

Test(dense_ops, convtranspose_diagnostics) {
    Fixture f;
    fx_init(&f, OP_CONV_TRANSPOSE, 22, DT_F32, 4, D1233, 2);
    add_input(&f, 1, "w", DT_F32, 4, D1233); /* W wants 1 input channel, x has 2 */
    assert_error(&f, "channels do not match");
    fx_free(&f);

    fx_init(&f, OP_CONV_TRANSPOSE, 22, DT_F16, 4, D1133, 2);
    add_input(&f, 1, "w", DT_F16, 4, D1233);
    assert_error(&f, "unsupported dtype f16");
    fx_free(&f);

    convt_init(&f);
    const int64_t os[3] = {5, 5, 5};
    set_ints(&f, "output_shape", os, 3);
    assert_error(&f, "output_shape has 3 values");
    fx_free(&f);

    convt_init(&f);
    const int64_t big[4] = {4, 4, 4, 4};
    set_ints(&f, "pads", big, 4);
    assert_error(&f, "out of range");
    fx_free(&f);

    convt_init(&f);
    set_string(&f, "auto_pad", "WRAP");
    assert_error(&f, "unsupported attribute value auto_pad='WRAP'");
    fx_free(&f);
}

Test(dense_ops, convtranspose_folds_and_emits) {
    Fixture f;
    convt_init(&f);
    float *xp = ir_make_const(f.g, f.x, DT_F32, 4, D1133);
    for (int i = 0; i < 9; i++) xp[i] = (float)i;
    Value *w = ir_value_new(f.g, "w");
    float *wp = ir_make_const(f.g, w, DT_F32, 4, D1233);
    for (int i = 0; i < 18; i++) wp[i] = 1;
    f.n->inputs[1] = w;
    assert_ok(&f);
    cr_assert_eq(f.y->kind, VK_CONST);
    cr_assert_float_eq(((const float *)f.y->data)[12], 36.0f, EPS);
    fx_free(&f);

    convt_init(&f);
    const int64_t s[2] = {2, 2};
    set_ints(&f, "strides", s, 2);
    set_string(&f, "auto_pad", "SAME_LOWER");
    assert_ok(&f);
    Emitter e;
    emit_init(&e, "m");
    const char *in[2] = {"X", "W"}, *out[1] = {"Y"};
    cr_assert_eq(dense_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_conv_transpose_f32(X, W, NULL, Y, 1, 1, 2, 1, 2, (const int64_t[]){3, 3}, "
                            "(const int64_t[]){3, 3}, (const int64_t[]){6, 6}, (const int64_t[]){2, 2}, "
                            "(const int64_t[]){1, 1}, (const int64_t[]){1, 1, 0, 0});\n");
    cr_assert(e.kernels & (1u << KKF_DENSE));
    emit_free(&e);
    fx_free(&f);
}

static const int64_t D1124[4] = {1, 1, 2, 4};

Test(dense_ops, resize_scales_sizes_axes_and_policy) {
    Fixture f;
    /* scales: floor(in * scale) */
    fx_init(&f, OP_RESIZE, 19, DT_F32, 4, D1124, 3);
    const float sc[4] = {1, 1, 0.6f, 0.6f};
    add_const_f32(&f, 2, "scales", sc, 4);
    set_string(&f, "mode", "linear");
    assert_ok(&f);
    const int64_t w1[4] = {1, 1, 1, 2};
    assert_shape(f.y, 4, w1);
    cr_assert_float_eq(f.n->a.dense.scales[3], (double)0.6f, 1e-12);
    fx_free(&f);

    /* sizes on axes (negative allowed), not_larger: min(7/2, 8/4) = 2 */
    fx_init(&f, OP_RESIZE, 19, DT_F32, 4, D1124, 4);
    const int64_t sz[2] = {7, 8}, axes[2] = {-2, 3};
    add_const_i64(&f, 3, "sizes", sz, 2);
    set_ints(&f, "axes", axes, 2);
    set_string(&f, "keep_aspect_ratio_policy", "not_larger");
    assert_ok(&f);
    const int64_t w2[4] = {1, 1, 4, 8};
    assert_shape(f.y, 4, w2);
    cr_assert_float_eq(f.n->a.dense.scales[2], 2.0, 1e-12);
    cr_assert_float_eq(f.n->a.dense.scales[0], 1.0, 1e-12);
    fx_free(&f);

    /* not_smaller: max = 3.5, round half up: 2 * 3.5 = 7, 4 * 3.5 = 14 */
    fx_init(&f, OP_RESIZE, 19, DT_F32, 4, D1124, 4);
    add_const_i64(&f, 3, "sizes", sz, 2);
    set_ints(&f, "axes", axes, 2);
    set_string(&f, "keep_aspect_ratio_policy", "not_smaller");
    assert_ok(&f);
    const int64_t w3[4] = {1, 1, 7, 14};
    assert_shape(f.y, 4, w3);
    fx_free(&f);

    /* Resize-11: empty scales, sizes given */
    fx_init(&f, OP_RESIZE, 11, DT_F32, 4, D1124, 4);
    add_const_f32(&f, 2, "scales", NULL, 0);
    const int64_t sz4[4] = {1, 1, 3, 5};
    add_const_i64(&f, 3, "sizes", sz4, 4);
    assert_ok(&f);
    assert_shape(f.y, 4, sz4);
    fx_free(&f);

    /* Upsample-7: scales attribute */
    fx_init(&f, OP_UPSAMPLE, 7, DT_I32, 4, D1124, 1);
    const double usc[4] = {1, 1, 2, 3};
    set_floats(&f, "scales", usc, 4);
    assert_ok(&f);
    const int64_t w4[4] = {1, 1, 4, 12};
    assert_shape(f.y, 4, w4);
    cr_assert_eq(f.n->a.dense.nearest_mode, KK_RESIZE_NEAREST_SIMPLE);
    cr_assert_eq(f.n->a.dense.ctm, KK_RESIZE_CTM_ASYMMETRIC);
    fx_free(&f);
}

Test(dense_ops, resize_diagnostics) {
    Fixture f;
    const float sc[4] = {1, 1, 2, 2};
    const int64_t sz[4] = {1, 1, 4, 8};

    fx_init(&f, OP_RESIZE, 19, DT_F32, 4, D1124, 4);
    add_const_f32(&f, 2, "scales", sc, 4);
    add_const_i64(&f, 3, "sizes", sz, 4);
    assert_error(&f, "scales and sizes are both given");
    fx_free(&f);

    fx_init(&f, OP_RESIZE, 19, DT_F32, 4, D1124, 3);
    const int64_t d4[1] = {4};
    add_input(&f, 2, "scales", DT_F32, 1, d4);
    assert_error(&f, "must be a compile-time constant");
    fx_free(&f);

    fx_init(&f, OP_RESIZE, 19, DT_F32, 4, D1124, 3);
    add_const_f32(&f, 2, "scales", sc, 4);
    set_string(&f, "coordinate_transformation_mode", "tf_crop_and_resize");
    assert_error(&f, "needs input 1 (roi)");
    fx_free(&f);

    fx_init(&f, OP_RESIZE, 19, DT_F16, 4, D1124, 3);
    add_const_f32(&f, 2, "scales", sc, 4);
    assert_error(&f, "unsupported dtype f16");
    fx_free(&f);

    fx_init(&f, OP_RESIZE, 19, DT_I64, 4, D1124, 3);
    add_const_f32(&f, 2, "scales", sc, 4);
    set_string(&f, "mode", "linear");
    assert_error(&f, "unsupported dtype i64");
    fx_free(&f);

    fx_init(&f, OP_RESIZE, 10, DT_F32, 4, D1124, 2);
    add_const_f32(&f, 1, "scales", sc, 4);
    set_string(&f, "mode", "cubic");
    assert_error(&f, "unsupported attribute value mode='cubic'");
    fx_free(&f);

    fx_init(&f, OP_RESIZE, 19, DT_F32, 4, D1124, 3);
    add_const_f32(&f, 2, "scales", sc, 4);
    set_string(&f, "nearest_mode", "round_half_odd");
    assert_error(&f, "unsupported attribute value nearest_mode='round_half_odd'");
    fx_free(&f);

    fx_init(&f, OP_RESIZE, 19, DT_F32, 4, D1124, 3);
    const float tiny[4] = {1, 1, 0.01f, 0.01f};
    add_const_f32(&f, 2, "scales", tiny, 4);
    set_string(&f, "mode", "cubic");
    set_int(&f, "antialias", 1);
    assert_error(&f, "unsupported: antialiased downscale");
    fx_free(&f);

    fx_init(&f, OP_RESIZE, 19, DT_F32, 4, D1124, 3);
    const float three[3] = {1, 2, 2};
    add_const_f32(&f, 2, "scales", three, 3);
    assert_error(&f, "scales has 3 values, expected 4");
    fx_free(&f);

    fx_init(&f, OP_UPSAMPLE, 7, DT_F32, 4, D1124, 1);
    assert_error(&f, "required attribute 'scales' is missing");
    fx_free(&f);
}

Test(dense_ops, resize_folds_and_emits_roi_and_fill) {
    Fixture f;
    /* folding: linear asymmetric 2x of a constant [0, 10] */
    const int64_t d2[1] = {2};
    fx_init(&f, OP_RESIZE, 13, DT_F32, 1, d2, 3);
    float *xp = ir_make_const(f.g, f.x, DT_F32, 1, d2);
    xp[0] = 0;
    xp[1] = 10;
    const float sc[1] = {2};
    add_const_f32(&f, 2, "scales", sc, 1);
    set_string(&f, "mode", "linear");
    set_string(&f, "coordinate_transformation_mode", "asymmetric");
    assert_ok(&f);
    cr_assert_eq(f.y->kind, VK_CONST);
    const float want[4] = {0, 5, 10, 10};
    assert_floats(f.y->data, want, 4);
    fx_free(&f);

    /* emit: nearest tf_crop_and_resize on int8 with a run-time roi */
    fx_init(&f, OP_RESIZE, 19, DT_I8, 4, D1124, 4);
    const int64_t d4[1] = {4};
    add_input(&f, 1, "roi", DT_F32, 1, d4);
    const int64_t sz[2] = {3, 3}, axes[2] = {2, 3};
    add_const_i64(&f, 3, "sizes", sz, 2);
    set_ints(&f, "axes", axes, 2);
    set_string(&f, "coordinate_transformation_mode", "tf_crop_and_resize");
    ir_attr_set(f.g, f.n, "extrapolation_value", AT_FLOAT)->f = 300.0; /* saturates to 127 */
    assert_ok(&f);
    Emitter e;
    emit_init(&e, "m");
    const char *in[4] = {"X", "R", NULL, "S"}, *out[1] = {"Y"};
    cr_assert_eq(dense_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf,
                     "kk_resize_nearest(X, Y, 1, 4, (const int64_t[]){1, 1, 2, 4}, (const int64_t[]){1, 1, 3, 3}, "
                     "(const double[]){1.0, 1.0, 1.5, 0.75}, (const int64_t[]){-1, -1, 0, 1}, R, "
                     "&(const kk_resize_params){.mode = 0, .ctm = 6, .nearest_mode = 0, .antialias = 0, "
                     ".exclude_outside = 0, .cubic_a = -0.75, .extrapolation = 300.0, .roi_type = 1, "
                     ".roi_half = 2}, &(const int8_t){127});\n");
    emit_free(&e);
    fx_free(&f);
}

Test(dense_ops, depth_space_shapes_and_diagnostics) {
    Fixture f;
    const int64_t d[4] = {1, 8, 2, 3};
    fx_init(&f, OP_DEPTH_TO_SPACE, 13, DT_F32, 4, d, 1);
    set_int(&f, "blocksize", 2);
    set_string(&f, "mode", "CRD");
    assert_ok(&f);
    const int64_t w1[4] = {1, 2, 4, 6};
    assert_shape(f.y, 4, w1);
    cr_assert_eq(f.n->a.dense.crd, 1);
    fx_free(&f);

    fx_init(&f, OP_SPACE_TO_DEPTH, 13, DT_BOOL, 4, w1, 1);
    set_int(&f, "blocksize", 2);
    assert_ok(&f);
    assert_shape(f.y, 4, d);
    fx_free(&f);

    fx_init(&f, OP_DEPTH_TO_SPACE, 13, DT_F32, 4, d, 1);
    set_int(&f, "blocksize", 3);
    assert_error(&f, "not a multiple of blocksize^2");
    fx_free(&f);

    fx_init(&f, OP_SPACE_TO_DEPTH, 13, DT_F32, 4, d, 1);
    assert_error(&f, "required attribute 'blocksize' is missing");
    fx_free(&f);

    fx_init(&f, OP_DEPTH_TO_SPACE, 13, DT_F32, 4, d, 1);
    set_int(&f, "blocksize", 2);
    set_string(&f, "mode", "RDC");
    assert_error(&f, "unsupported attribute value mode='RDC'");
    fx_free(&f);
}
