/*
 * test_kk_conv.c - unit tests of the conv family: the reference kernels
 * (kernels/ref/conv.c) on small hand-checked cases, then the op functions
 * (compiler/ops_conv.c): auto_pad resolution, ceil_mode output sizes,
 * MatMul broadcasting, the diagnostics, folding through exec and the
 * emitted kernel calls.
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

/* x = 0..8 as a 3x3 plane */
static const float X33[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
static const int64_t ONES[3] = {1, 1, 1};
static const int64_t ZEROS[6] = {0, 0, 0, 0, 0, 0};

/* --------------------------------------------------------------- kk_conv */

Test(kk_conv, valid_2x2_with_bias) {
    const float w[4] = {1, 1, 1, 1}, b[1] = {1};
    const int64_t in[2] = {3, 3}, k[2] = {2, 2}, out[2] = {2, 2};
    float y[4];
    kk_conv_f32(X33, w, b, y, 1, 1, 1, 1, 2, in, k, out, ONES, ONES, ZEROS);
    const float want[4] = {9, 13, 21, 25}; /* window sums 8, 12, 20, 24, plus 1 */
    assert_floats(y, want, 4);
    kk_conv_f32(X33, w, NULL, y, 1, 1, 1, 1, 2, in, k, out, ONES, ONES, ZEROS);
    const float nobias[4] = {8, 12, 20, 24};
    assert_floats(y, nobias, 4);
}

Test(kk_conv, padding_and_stride) {
    /* 3x3 ones, pads 1, stride 2: the four corner windows */
    const float w[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    const int64_t in[2] = {3, 3}, k[2] = {3, 3}, out[2] = {2, 2}, s[2] = {2, 2}, p[4] = {1, 1, 1, 1};
    float y[4];
    kk_conv_f32(X33, w, NULL, y, 1, 1, 1, 1, 2, in, k, out, s, ONES, p);
    const float want[4] = {8, 12, 20, 24};
    assert_floats(y, want, 4);
}

Test(kk_conv, asymmetric_pads_1d) {
    /* x [1 2 3], w [1 2], pads begin 1 end 0: [0 1 2 3] correlated with [1 2] */
    const float x[3] = {1, 2, 3}, w[2] = {1, 2};
    const int64_t in[1] = {3}, k[1] = {2}, out[1] = {3}, p[2] = {1, 0};
    float y[3];
    kk_conv_f32(x, w, NULL, y, 1, 1, 1, 1, 1, in, k, out, ONES, ONES, p);
    const float want[3] = {2, 5, 8};
    assert_floats(y, want, 3);
}

Test(kk_conv, dilation_1d) {
    const float x[5] = {1, 2, 3, 4, 5}, w[2] = {1, 1};
    const int64_t in[1] = {5}, k[1] = {2}, out[1] = {3}, dil[1] = {2};
    float y[3];
    kk_conv_f32(x, w, NULL, y, 1, 1, 1, 1, 1, in, k, out, ONES, dil, ZEROS);
    const float want[3] = {4, 6, 8}; /* x[i] + x[i+2] */
    assert_floats(y, want, 3);
}

Test(kk_conv, depthwise_groups) {
    /* 2 channels, group 2: each output channel sees its own input channel */
    const float x[4] = {1, 2, 3, 4}, w[2] = {10, 100}, b[2] = {0.5f, -0.5f};
    const int64_t in[2] = {1, 2}, k[2] = {1, 1}, out[2] = {1, 2};
    float y[4];
    kk_conv_f32(x, w, b, y, 1, 2, 2, 2, 2, in, k, out, ONES, ONES, ZEROS);
    const float want[4] = {10.5f, 20.5f, 299.5f, 399.5f};
    assert_floats(y, want, 4);
}

Test(kk_conv, pointwise_channel_mix_and_batch) {
    /* w = [[1, 1], [1, -1]]: sum and difference of the two channels, for 2 images */
    const float x[8] = {1, 2, 3, 4, 10, 20, 30, 40}, w[4] = {1, 1, 1, -1};
    const int64_t in[2] = {1, 2}, k[2] = {1, 1}, out[2] = {1, 2};
    float y[8];
    kk_conv_f32(x, w, NULL, y, 2, 2, 2, 1, 2, in, k, out, ONES, ONES, ZEROS);
    const float want[8] = {4, 6, -2, -2, 40, 60, -20, -20};
    assert_floats(y, want, 8);
}

Test(kk_conv, grouped_two_channels_per_group) {
    /* 4 input channels, 2 groups, 1 output per group: out g = sum of its 2 channels * w */
    const float x[4] = {1, 2, 3, 4}, w[4] = {1, 10, 100, 1000};
    const int64_t in[1] = {1}, k[1] = {1}, out[1] = {1};
    float y[2];
    kk_conv_f32(x, w, NULL, y, 1, 4, 2, 2, 1, in, k, out, ONES, ONES, ZEROS);
    const float want[2] = {21, 4300};
    assert_floats(y, want, 2);
}

Test(kk_conv, volume_3d_and_f64) {
    const double x[8] = {0, 1, 2, 3, 4, 5, 6, 7}, w[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    const int64_t in[3] = {2, 2, 2}, k[3] = {2, 2, 2}, out[3] = {1, 1, 1};
    double y[1];
    kk_conv_f64(x, w, NULL, y, 1, 1, 1, 1, 3, in, k, out, ONES, ONES, ZEROS);
    cr_assert_float_eq(y[0], 28.0, EPS);
}

/* ---------------------------------------------------------- kk_batchnorm */

Test(kk_batchnorm, per_channel) {
    const float x[4] = {1, 2, 3, 4}, scale[2] = {2, 1}, bias[2] = {0, 1}, mean[2] = {1, 3}, var[2] = {3, 0};
    float y[4];
    kk_batchnorm_f32(x, scale, bias, mean, var, y, 1, 2, 2, 1.0f);
    /* ch0: 2 (x - 1) / 2; ch1: (x - 3) / 1 + 1 */
    const float want[4] = {0, 1, 1, 2};
    assert_floats(y, want, 4);
}

/* ------------------------------------------------------------ kk_maxpool */

Test(kk_maxpool, values_and_indices_both_orders) {
    const int64_t in[2] = {3, 3}, k[2] = {2, 2}, out[2] = {2, 2};
    float x[18], y[8];
    int64_t ind[8];
    for (int i = 0; i < 9; i++) x[i] = X33[i], x[9 + i] = -X33[i];
    kk_maxpool_f32(x, y, ind, 2, 2, in, k, out, ONES, ONES, ZEROS, 0);
    const float want[8] = {4, 5, 7, 8, 0, -1, -3, -4};
    assert_floats(y, want, 8);
    const int64_t rowmajor[8] = {4, 5, 7, 8, 9, 10, 12, 13};
    for (int i = 0; i < 8; i++) cr_assert_eq(ind[i], rowmajor[i], "ind[%d] = %lld", i, (long long)ind[i]);
    /* column major: (h, w) -> h + 3 w, plus 9 for the second plane */
    kk_maxpool_f32(x, y, ind, 2, 2, in, k, out, ONES, ONES, ZEROS, 1);
    const int64_t colmajor[8] = {4, 7, 5, 8, 9, 12, 10, 13};
    for (int i = 0; i < 8; i++) cr_assert_eq(ind[i], colmajor[i], "ind[%d] = %lld", i, (long long)ind[i]);
}

Test(kk_maxpool, padding_never_wins) {
    const float x[4] = {-1, -2, -3, -4};
    const int64_t in[2] = {2, 2}, k[2] = {3, 3}, out[2] = {2, 2}, p[4] = {1, 1, 1, 1};
    float y[4];
    kk_maxpool_f32(x, y, NULL, 1, 2, in, k, out, ONES, ONES, p, 0);
    const float want[4] = {-1, -1, -1, -1};
    assert_floats(y, want, 4);
}

Test(kk_maxpool, ceil_mode_partial_window) {
    /* in 4, kernel 3, stride 2, ceil_mode: the second window holds x[2], x[3] only */
    const float x[4] = {1, 5, 2, 3};
    const int64_t in[1] = {4}, k[1] = {3}, out[1] = {2}, s[1] = {2};
    float y[2];
    int64_t ind[2];
    kk_maxpool_f32(x, y, ind, 1, 1, in, k, out, s, ONES, ZEROS, 0);
    const float want[2] = {5, 3};
    assert_floats(y, want, 2);
    cr_assert_eq(ind[0], 1);
    cr_assert_eq(ind[1], 3);
}

Test(kk_maxpool, integer_types) {
    const int8_t xs[4] = {-5, -3, -7, -1};
    const uint8_t xu[4] = {200, 100, 255, 0};
    const int64_t in[1] = {4}, k[1] = {2}, out[1] = {3};
    int8_t ys[3];
    uint8_t yu[3];
    kk_maxpool_i8(xs, ys, NULL, 1, 1, in, k, out, ONES, ONES, ZEROS, 0);
    kk_maxpool_u8(xu, yu, NULL, 1, 1, in, k, out, ONES, ONES, ZEROS, 0);
    const int8_t ws[3] = {-3, -3, -1};
    const uint8_t wu[3] = {200, 255, 255};
    cr_assert_eq(memcmp(ys, ws, 3), 0);
    cr_assert_eq(memcmp(yu, wu, 3), 0);
}

/* ------------------------------------------------------------ kk_avgpool */

Test(kk_avgpool, count_include_pad_or_not) {
    /* x 2x2 = [1 2; 3 4], kernel 2x2, pads 1: 3x3 outputs */
    const float x[4] = {1, 2, 3, 4};
    const int64_t in[2] = {2, 2}, k[2] = {2, 2}, out[2] = {3, 3}, p[4] = {1, 1, 1, 1};
    float y[9];
    kk_avgpool_f32(x, y, 1, 2, in, k, out, ONES, ONES, p, 0);
    const float excl[9] = {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4};
    assert_floats(y, excl, 9);
    kk_avgpool_f32(x, y, 1, 2, in, k, out, ONES, ONES, p, 1);
    const float incl[9] = {0.25f, 0.75f, 0.5f, 1, 2.5f, 1.5f, 0.75f, 1.75f, 1};
    assert_floats(y, incl, 9);
}

Test(kk_avgpool, ceil_window_past_the_padding_is_not_counted) {
    /* in 4, kernel 3, stride 2, ceil_mode -> 2 outputs; the second window
     * covers x[2], x[3] and one position past the input (not padding) */
    const float x[4] = {1, 2, 3, 4};
    const int64_t in[1] = {4}, k[1] = {3}, out[1] = {2}, s[1] = {2};
    float y[2];
    for (int cip = 0; cip < 2; cip++) {
        kk_avgpool_f32(x, y, 1, 1, in, k, out, s, ONES, ZEROS, cip);
        const float want[2] = {2, 3.5f};
        assert_floats(y, want, 2);
    }
    /* with pads 1, 1 the same input gives windows [-1, 1] and [1, 3] */
    const int64_t p[2] = {1, 1};
    kk_avgpool_f32(x, y, 1, 1, in, k, out, s, ONES, p, 1);
    const float incl[2] = {1, 3};
    assert_floats(y, incl, 2);
    kk_avgpool_f32(x, y, 1, 1, in, k, out, s, ONES, p, 0);
    const float excl[2] = {1.5f, 3};
    assert_floats(y, excl, 2);
}

Test(kk_avgpool, dilation_and_f64) {
    const double x[5] = {1, 2, 3, 4, 5};
    const int64_t in[1] = {5}, k[1] = {2}, out[1] = {3}, dil[1] = {2};
    double y[3];
    kk_avgpool_f64(x, y, 1, 1, in, k, out, ONES, dil, ZEROS, 0);
    cr_assert_float_eq(y[0], 2.0, EPS);
    cr_assert_float_eq(y[1], 3.0, EPS);
    cr_assert_float_eq(y[2], 4.0, EPS);
}

/* ------------------------------------------------------------ global pools */

Test(kk_globalpool, average_and_max) {
    const float x[8] = {1, 2, 3, 4, -1, -5, 0, 2};
    float y[2];
    kk_global_avgpool_f32(x, y, 2, 4);
    const float avg[2] = {2.5f, -1};
    assert_floats(y, avg, 2);
    kk_global_maxpool_f32(x, y, 2, 4);
    const float mx[2] = {4, 2};
    assert_floats(y, mx, 2);
}

/* ------------------------------------------------------------------ kk_lrn */

Test(kk_lrn, channel_windows) {
    /* alpha / size = 1, beta 1, bias 1: y = x / (1 + sum of squares in the window) */
    const float x[3] = {1, 2, 3};
    float y[3];
    kk_lrn_f32(x, y, 1, 3, 1, 1, 3, 3.0f, 1.0f, 1.0f);
    const float want3[3] = {1.0f / 6, 2.0f / 15, 3.0f / 14};
    assert_floats(y, want3, 3);
    /* size 2: the window is [c, c + 1] */
    kk_lrn_f32(x, y, 1, 3, 1, 1, 2, 2.0f, 1.0f, 1.0f);
    const float want2[3] = {1.0f / 6, 2.0f / 14, 3.0f / 10};
    assert_floats(y, want2, 3);
}

Test(kk_lrn, beta_three_quarters_and_row_bands) {
    /* beta 0.75 (square roots) against the pow formula in double; a band of
     * rows (plane < pstride: one part of a split node) gives the same bits
     * as those rows of the whole node and writes nothing else */
    enum { C = 7, H = 5, W = 6, P = H * W };
    float x[C * P], y[C * P], yb[C * P];
    for (int i = 0; i < C * P; i++) x[i] = (float)((i * 37) % 23 - 11) * 0.37f;
    const int64_t size = 5;
    const float alpha = 0.3f, beta = 0.75f, bias = 1.5f;
    kk_lrn_f32(x, y, 1, C, P, P, size, alpha, beta, bias);
    for (int c = 0; c < C; c++)
        for (int i = 0; i < P; i++) {
            double sum = 0.0;
            for (int cj = c - 2; cj <= c + 2; cj++)
                if (cj >= 0 && cj < C) sum += (double)x[cj * P + i] * (double)x[cj * P + i];
            const double want = (double)x[c * P + i] / pow((double)bias + (double)alpha / 5.0 * sum, 0.75);
            cr_assert(fabs((double)y[c * P + i] - want) <= 1e-6 * fabs(want) + 1e-12, "c %d i %d: %.9g vs %.9g", c,
                      i, (double)y[c * P + i], want);
        }
    for (int i = 0; i < C * P; i++) yb[i] = -7.0f;
    kk_lrn_f32(x + 2 * W, yb + 2 * W, 1, C, 2 * W, P, size, alpha, beta, bias); /* rows 2 and 3 */
    for (int c = 0; c < C; c++)
        for (int i = 0; i < P; i++) {
            const int in_band = i >= 2 * W && i < 4 * W;
            if (in_band) cr_assert(yb[c * P + i] == y[c * P + i], "band c %d i %d", c, i);
            else cr_assert(yb[c * P + i] == -7.0f, "outside the band c %d i %d was written", c, i);
        }
}

/* ----------------------------------------------------------------- kk_gemm */

/* A = [1 2 3; 4 5 6], B = [1 0; 0 1; 1 1]: AB = [4 5; 10 11] */
static const float GA[6] = {1, 2, 3, 4, 5, 6}, GAT[6] = {1, 4, 2, 5, 3, 6};
static const float GB[6] = {1, 0, 0, 1, 1, 1}, GBT[6] = {1, 0, 1, 0, 1, 1};

Test(kk_gemm, transposes_alpha_beta_row_vector) {
    const float c[2] = {1, 2};
    const float want[4] = {8.5f, 11, 20.5f, 23}; /* 2 AB + 0.5 [1 2] */
    float y[4];
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            kk_gemm_f32(ta ? GAT : GA, tb ? GBT : GB, c, y, 2, 2, 3, ta, tb, 2.0f, 0.5f, 1, 2);
            assert_floats(y, want, 4);
        }
}

Test(kk_gemm, c_scalar_column_and_absent) {
    float y[4];
    const float s[1] = {10};
    kk_gemm_f32(GA, GB, s, y, 2, 2, 3, 0, 0, 1.0f, 1.0f, 1, 1);
    const float ws[4] = {14, 15, 20, 21};
    assert_floats(y, ws, 4);
    const float col[2] = {1, 2};
    kk_gemm_f32(GA, GB, col, y, 2, 2, 3, 0, 0, 1.0f, 1.0f, 2, 1);
    const float wc[4] = {5, 6, 12, 13};
    assert_floats(y, wc, 4);
    kk_gemm_f32(GA, GB, NULL, y, 2, 2, 3, 0, 0, 1.0f, 1.0f, 1, 1);
    const float wn[4] = {4, 5, 10, 11};
    assert_floats(y, wn, 4);
}

/* --------------------------------------------------------------- kk_matmul */

Test(kk_matmul, broadcast_batches) {
    /* A (2, 1, 2) times B (2, 1): y (2, 1, 1) = [1+2, 3+4] */
    const float a[4] = {1, 2, 3, 4}, b[2] = {1, 1};
    const int64_t bd[1] = {2}, sa[1] = {1}, sb[1] = {0};
    float y[2];
    kk_matmul_f32(a, b, y, 1, bd, sa, sb, 1, 2, 1);
    const float want[2] = {3, 7};
    assert_floats(y, want, 2);
    /* A (2, 2) shared by a batch of 3 Bs (3, 2, 2) = I, 2I, 3I */
    const float a2[4] = {1, 2, 3, 4};
    const float b3[12] = {1, 0, 0, 1, 2, 0, 0, 2, 3, 0, 0, 3};
    const int64_t bd3[1] = {3}, sa0[1] = {0}, sb1[1] = {1};
    float y3[12];
    kk_matmul_f32(a2, b3, y3, 1, bd3, sa0, sb1, 2, 2, 2);
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < 4; i++) cr_assert_float_eq(y3[t * 4 + i], a2[i] * (float)(t + 1), EPS);
}

Test(kk_matmul, two_batch_dims_and_integers) {
    /* A (2, 1, 1, 1) x B (1, 3, 1, 1): y (2, 3, 1, 1) = a_i * b_j */
    const int64_t a[2] = {2, 3}, b[3] = {1, 10, 100};
    const int64_t bd[2] = {2, 3}, sa[2] = {1, 0}, sb[2] = {0, 1};
    int64_t y[6];
    kk_matmul_i64(a, b, y, 2, bd, sa, sb, 1, 1, 1);
    const int64_t want[6] = {2, 20, 200, 3, 30, 300};
    for (int i = 0; i < 6; i++) cr_assert_eq(y[i], want[i]);
    /* int32 wraps around instead of overflowing */
    const int32_t big[1] = {65536};
    int32_t y32[1];
    const int64_t one[1] = {1}, zero[1] = {0};
    kk_matmul_i32(big, big, y32, 1, one, zero, zero, 1, 1, 1);
    cr_assert_eq(y32[0], 0);
}

/* ------------------------------------------- op functions (ops_conv.c) */

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

/* One node `op` at `opset` reading input x (dtype t, dims), ninputs slots. */
static void fx_init(Fixture *f, OpKind op, int opset, DType t, int rank, const int64_t *dims, int ninputs,
                    int noutputs) {
    f->g = ir_graph_new("m", "t.onnx");
    cr_assert_not_null(f->g);
    f->g->opset = opset;
    diag_init(&f->d, "t.onnx");
    f->x = mk_value(f, "x", VK_INPUT, t, rank, dims);
    f->y = ir_value_new(f->g, "y");
    f->n = ir_node_new(f->g, op, "c", ninputs, noutputs);
    f->n->inputs[0] = f->x;
    f->n->outputs[0] = f->y;
}

static Value *add_input(Fixture *f, int k, const char *name, DType t, int rank, const int64_t *dims) {
    Value *v = mk_value(f, name, VK_INPUT, t, rank, dims);
    f->n->inputs[k] = v;
    return v;
}

static void fx_free(Fixture *f) {
    diag_free(&f->d);
    ir_graph_free(f->g);
}

static void set_ints(Fixture *f, const char *name, const int64_t *v, int n) {
    Attr *a = ir_attr_set(f->g, f->n, name, AT_INTS);
    a->n = n;
    a->ints = arena_alloc(&f->g->arena, sizeof(int64_t) * (size_t)(n ? n : 1));
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)n);
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

static const int64_t D1155[4] = {1, 1, 5, 5}, D1133[4] = {1, 1, 3, 3};

Test(conv_ops, conv_same_lower_resolves_pads_and_emits) {
    Fixture f;
    fx_init(&f, OP_CONV, 22, DT_F32, 4, D1155, 2, 1);
    add_input(&f, 1, "w", DT_F32, 4, D1133);
    set_string(&f, "auto_pad", "SAME_LOWER");
    const int64_t s[2] = {2, 2};
    set_ints(&f, "strides", s, 2);
    assert_ok(&f); /* kernel_shape comes from W */
    const int64_t want[4] = {1, 1, 3, 3};
    assert_shape(f.y, 4, want);
    const ConvAttrs *a = &f.n->a.conv;
    cr_assert_eq(a->nsp, 2);
    cr_assert_eq(a->kernel[0], 3);
    for (int i = 0; i < 4; i++) cr_assert_eq(a->pads[i], 1);

    Emitter e;
    emit_init(&e, "m");
    const char *in[2] = {"X", "W"}, *out[1] = {"Y"};
    cr_assert_eq(conv_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_conv_f32(X, W, NULL, Y, 1, 1, 1, 1, 2, (const int64_t[]){5, 5}, "
                            "(const int64_t[]){3, 3}, (const int64_t[]){3, 3}, (const int64_t[]){2, 2}, "
                            "(const int64_t[]){1, 1}, (const int64_t[]){1, 1, 1, 1});\n");
    cr_assert(e.kernels & (1u << KKF_CONV));
    emit_free(&e);
    fx_free(&f);
}

Test(conv_ops, same_upper_vs_lower_odd_padding) {
    /* in 4, kernel 2, stride 1: total pad 1 goes to the end (UPPER) or the start (LOWER) */
    const int64_t dx[3] = {1, 1, 4}, dw[3] = {1, 1, 2};
    for (int lower = 0; lower < 2; lower++) {
        Fixture f;
        fx_init(&f, OP_CONV, 11, DT_F32, 3, dx, 2, 1);
        add_input(&f, 1, "w", DT_F32, 3, dw);
        set_string(&f, "auto_pad", lower ? "SAME_LOWER" : "SAME_UPPER");
        assert_ok(&f);
        const int64_t want[3] = {1, 1, 4};
        assert_shape(f.y, 3, want);
        cr_assert_eq(f.n->a.conv.pads[0], lower ? 1 : 0);
        cr_assert_eq(f.n->a.conv.pads[1], lower ? 0 : 1);
        fx_free(&f);
    }
}

Test(conv_ops, conv_groups_bias_and_diagnostics) {
    const int64_t dx[4] = {2, 4, 8, 8}, dw[4] = {6, 2, 3, 3}, db[1] = {6};
    Fixture f;
    fx_init(&f, OP_CONV, 13, DT_F32, 4, dx, 3, 1);
    add_input(&f, 1, "w", DT_F32, 4, dw);
    add_input(&f, 2, "b", DT_F32, 1, db);
    set_int(&f, "group", 2);
    const int64_t p[4] = {1, 0, 1, 0}, dil[2] = {1, 2};
    set_ints(&f, "pads", p, 4);
    set_ints(&f, "dilations", dil, 2);
    assert_ok(&f);
    const int64_t want[4] = {2, 6, 8, 4}; /* H: 8+2-3+1; W: 8-5+1 */
    assert_shape(f.y, 4, want);
    fx_free(&f);

    fx_init(&f, OP_CONV, 13, DT_F32, 4, dx, 2, 1);
    add_input(&f, 1, "w", DT_F32, 4, dw); /* W expects 2 channels per group, group 1 gives 4 */
    assert_error(&f, "channels do not match");
    fx_free(&f);

    fx_init(&f, OP_CONV, 13, DT_F32, 4, dx, 2, 1);
    add_input(&f, 1, "w", DT_F32, 4, dw);
    set_int(&f, "group", 2);
    const int64_t ks[2] = {5, 5};
    set_ints(&f, "kernel_shape", ks, 2);
    assert_error(&f, "kernel_shape[0] = 5");
    fx_free(&f);

    fx_init(&f, OP_CONV, 13, DT_F16, 4, dx, 2, 1);
    add_input(&f, 1, "w", DT_F16, 4, dw);
    set_int(&f, "group", 2);
    assert_error(&f, "unsupported dtype f16");
    fx_free(&f);

    fx_init(&f, OP_CONV, 13, DT_F32, 4, dx, 2, 1);
    add_input(&f, 1, "w", DT_F32, 4, dw);
    set_int(&f, "group", 2);
    set_string(&f, "auto_pad", "WRAP");
    assert_error(&f, "unsupported attribute value auto_pad='WRAP'");
    fx_free(&f);
}

Test(conv_ops, conv_folds_through_exec) {
    Fixture f;
    const int64_t dx[4] = {1, 1, 3, 3}, dw[4] = {1, 1, 2, 2};
    fx_init(&f, OP_CONV, 13, DT_F32, 4, dx, 2, 1);
    memcpy(ir_make_const(f.g, f.x, DT_F32, 4, dx), X33, sizeof X33);
    Value *w = ir_value_new(f.g, "w");
    float *wp = ir_make_const(f.g, w, DT_F32, 4, dw);
    for (int i = 0; i < 4; i++) wp[i] = 1;
    f.n->inputs[1] = w;
    assert_ok(&f);
    cr_assert_eq(f.y->kind, VK_CONST);
    const float want[4] = {8, 12, 20, 24};
    assert_floats(f.y->data, want, 4);
    fx_free(&f);
}

Test(conv_ops, maxpool_ceil_reduces_by_one_and_indices) {
    /* in 2, kernel 1, stride 2, ceil_mode: a second window would start past the input */
    const int64_t dx[4] = {1, 1, 2, 2};
    Fixture f;
    fx_init(&f, OP_MAX_POOL, 22, DT_F32, 4, dx, 1, 2);
    f.n->outputs[1] = ir_value_new(f.g, "ind");
    const int64_t k[2] = {1, 1}, s[2] = {2, 2};
    set_ints(&f, "kernel_shape", k, 2);
    set_ints(&f, "strides", s, 2);
    set_int(&f, "ceil_mode", 1);
    set_int(&f, "storage_order", 1);
    assert_ok(&f);
    const int64_t want[4] = {1, 1, 1, 1};
    assert_shape(f.y, 4, want);
    assert_shape(f.n->outputs[1], 4, want);
    cr_assert_eq(f.n->outputs[1]->dtype, DT_I64);

    Emitter e;
    emit_init(&e, "m");
    const char *in[1] = {"X"}, *out[2] = {"Y", "I"};
    cr_assert_eq(conv_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_maxpool_f32(X, Y, I, 1, 2, (const int64_t[]){2, 2}, (const int64_t[]){1, 1}, "
                            "(const int64_t[]){1, 1}, (const int64_t[]){2, 2}, (const int64_t[]){1, 1}, "
                            "(const int64_t[]){0, 0, 0, 0}, 1);\n");
    emit_free(&e);
    fx_free(&f);

    fx_init(&f, OP_MAX_POOL, 22, DT_F32, 4, dx, 1, 1);
    assert_error(&f, "'kernel_shape' is missing");
    fx_free(&f);
}

Test(conv_ops, avgpool_ceil_and_pads) {
    /* in 2, kernel 3, stride 3, pads 1, ceil_mode: 1 output (the second would start in the end pad) */
    const int64_t dx[4] = {1, 3, 2, 2};
    Fixture f;
    fx_init(&f, OP_AVG_POOL, 19, DT_F32, 4, dx, 1, 1);
    const int64_t k[2] = {3, 3}, s[2] = {3, 3}, p[4] = {1, 1, 1, 1};
    set_ints(&f, "kernel_shape", k, 2);
    set_ints(&f, "strides", s, 2);
    set_ints(&f, "pads", p, 4);
    set_int(&f, "ceil_mode", 1);
    set_int(&f, "count_include_pad", 1);
    assert_ok(&f);
    const int64_t want[4] = {1, 3, 1, 1};
    assert_shape(f.y, 4, want);
    Emitter e;
    emit_init(&e, "m");
    const char *in[1] = {"X"}, *out[1] = {"Y"};
    cr_assert_eq(conv_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_avgpool_f32(X, Y, 3, 2, (const int64_t[]){2, 2}, (const int64_t[]){3, 3}, "
                            "(const int64_t[]){1, 1}, (const int64_t[]){3, 3}, (const int64_t[]){1, 1}, "
                            "(const int64_t[]){1, 1, 1, 1}, 1);\n");
    emit_free(&e);
    fx_free(&f);

    fx_init(&f, OP_AVG_POOL, 19, DT_F32, 4, dx, 1, 1);
    set_ints(&f, "kernel_shape", k, 2);
    const int64_t bad[2] = {3, 3};
    set_ints(&f, "pads", bad, 2);
    assert_error(&f, "pads has 2 values, expected 4");
    fx_free(&f);
}

Test(conv_ops, global_pools_any_rank) {
    const int64_t dx[5] = {2, 3, 4, 5, 6};
    Fixture f;
    fx_init(&f, OP_GLOBAL_MAX_POOL, 22, DT_F32, 5, dx, 1, 1);
    assert_ok(&f);
    const int64_t want[5] = {2, 3, 1, 1, 1};
    assert_shape(f.y, 5, want);
    Emitter e;
    emit_init(&e, "m");
    const char *in[1] = {"X"}, *out[1] = {"Y"};
    cr_assert_eq(conv_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_global_maxpool_f32(X, Y, 6, 120);\n");
    emit_free(&e);
    fx_free(&f);
}

Test(conv_ops, batchnorm_inference_only) {
    const int64_t dx[4] = {2, 3, 4, 5}, dc[1] = {3};
    Fixture f;
    fx_init(&f, OP_BATCH_NORM, 15, DT_F32, 4, dx, 5, 1);
    for (int k = 1; k < 5; k++) add_input(&f, k, k == 1 ? "s" : k == 2 ? "b" : k == 3 ? "m" : "v", DT_F32, 1, dc);
    assert_ok(&f);
    assert_shape(f.y, 4, dx);
    Emitter e;
    emit_init(&e, "m");
    const char *in[5] = {"X", "S", "B", "M", "V"}, *out[1] = {"Y"};
    cr_assert_eq(conv_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_batchnorm_f32(X, S, B, M, V, Y, 2, 3, 20, 9.99999975e-06f);\n");
    emit_free(&e);
    fx_free(&f);

    fx_init(&f, OP_BATCH_NORM, 15, DT_F32, 4, dx, 5, 1);
    for (int k = 1; k < 5; k++) add_input(&f, k, "p", DT_F32, 1, dc);
    set_int(&f, "training_mode", 1);
    assert_error(&f, "unsupported: BatchNormalization in training mode");
    fx_free(&f);

    fx_init(&f, OP_BATCH_NORM, 15, DT_F32, 4, dx, 5, 3);
    for (int k = 1; k < 5; k++) add_input(&f, k, "p", DT_F32, 1, dc);
    f.n->outputs[1] = ir_value_new(f.g, "running_mean");
    assert_error(&f, "unsupported: output 1 ('running_mean') exists only in training mode");
    fx_free(&f);

    const int64_t wrong[1] = {4};
    fx_init(&f, OP_BATCH_NORM, 15, DT_F32, 4, dx, 5, 1);
    for (int k = 1; k < 5; k++) add_input(&f, k, "p", DT_F32, 1, k == 3 ? wrong : dc);
    assert_error(&f, "input 3 ('p') must be a vector of 3 elements");
    fx_free(&f);
}

Test(conv_ops, lrn_needs_size) {
    const int64_t dx[4] = {1, 5, 2, 2};
    Fixture f;
    fx_init(&f, OP_LRN, 13, DT_F32, 4, dx, 1, 1);
    assert_error(&f, "'size' is missing");
    fx_free(&f);

    fx_init(&f, OP_LRN, 13, DT_F32, 4, dx, 1, 1);
    set_int(&f, "size", 3);
    assert_ok(&f);
    Emitter e;
    emit_init(&e, "m");
    const char *in[1] = {"X"}, *out[1] = {"Y"};
    cr_assert_eq(conv_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_lrn_f32(X, Y, 1, 5, 4, 4, 3, 9.99999975e-05f, 0.75f, 1.0f);\n");
    emit_free(&e);
    fx_free(&f);
}

Test(conv_ops, gemm_shapes_and_c_broadcast) {
    const int64_t da[2] = {4, 3}, db[2] = {5, 4}, dc[1] = {5};
    Fixture f;
    fx_init(&f, OP_GEMM, 13, DT_F32, 2, da, 3, 1);
    add_input(&f, 1, "b", DT_F32, 2, db);
    add_input(&f, 2, "cc", DT_F32, 1, dc);
    set_int(&f, "transA", 1);
    set_int(&f, "transB", 1);
    assert_ok(&f);
    const int64_t want[2] = {3, 5};
    assert_shape(f.y, 2, want);
    Emitter e;
    emit_init(&e, "m");
    const char *in[3] = {"A", "B", "C"}, *out[1] = {"Y"};
    cr_assert_eq(conv_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_gemm_f32(A, B, C, Y, 3, 5, 4, 1, 1, 1.0f, 1.0f, 1, 5);\n");
    emit_free(&e);
    fx_free(&f);

    const int64_t dbad[2] = {2, 5};
    fx_init(&f, OP_GEMM, 13, DT_F32, 2, da, 3, 1);
    add_input(&f, 1, "b", DT_F32, 2, db);
    add_input(&f, 2, "cc", DT_F32, 2, dbad);
    set_int(&f, "transA", 1);
    set_int(&f, "transB", 1);
    assert_error(&f, "cannot be broadcast to (3, 5)");
    fx_free(&f);

    fx_init(&f, OP_GEMM, 13, DT_F32, 2, da, 2, 1);
    add_input(&f, 1, "b", DT_F32, 2, db);
    assert_error(&f, "inner dimensions differ");
    fx_free(&f);
}

Test(conv_ops, matmul_promotion_and_broadcast) {
    /* (3) x (3) -> scalar */
    const int64_t d3[1] = {3};
    Fixture f;
    fx_init(&f, OP_MATMUL, 13, DT_F32, 1, d3, 2, 1);
    add_input(&f, 1, "b", DT_F32, 1, d3);
    assert_ok(&f);
    cr_assert_eq(f.y->rank, 0);
    fx_free(&f);

    /* (4) x (2, 4, 1) -> (2, 1) */
    const int64_t d4[1] = {4}, d241[3] = {2, 4, 1};
    fx_init(&f, OP_MATMUL, 13, DT_F32, 1, d4, 2, 1);
    add_input(&f, 1, "b", DT_F32, 3, d241);
    assert_ok(&f);
    const int64_t w21[2] = {2, 1};
    assert_shape(f.y, 2, w21);
    fx_free(&f);

    /* (3, 1, 3, 4) x (1, 2, 4, 2) -> (3, 2, 3, 2) */
    const int64_t da[4] = {3, 1, 3, 4}, db[4] = {1, 2, 4, 2};
    fx_init(&f, OP_MATMUL, 13, DT_I64, 4, da, 2, 1);
    add_input(&f, 1, "b", DT_I64, 4, db);
    assert_ok(&f);
    const int64_t want[4] = {3, 2, 3, 2};
    assert_shape(f.y, 4, want);
    cr_assert_eq(f.y->dtype, DT_I64);
    Emitter e;
    emit_init(&e, "m");
    const char *in[2] = {"A", "B"}, *out[1] = {"Y"};
    cr_assert_eq(conv_emit(&e, f.n, in, out, &f.d), 0);
    cr_assert_str_eq(e.buf, "kk_matmul_i64(A, B, Y, 2, (const int64_t[]){3, 2}, (const int64_t[]){1, 0}, "
                            "(const int64_t[]){0, 1}, 3, 4, 2);\n");
    emit_free(&e);
    fx_free(&f);

    const int64_t dbad[3] = {2, 3, 2};
    fx_init(&f, OP_MATMUL, 13, DT_F32, 4, da, 2, 1);
    add_input(&f, 1, "b", DT_F32, 3, dbad);
    assert_error(&f, "inner dimensions differ");
    fx_free(&f);

    fx_init(&f, OP_MATMUL, 13, DT_U8, 1, d3, 2, 1);
    add_input(&f, 1, "b", DT_U8, 1, d3);
    assert_error(&f, "unsupported dtype u8");
    fx_free(&f);
}
