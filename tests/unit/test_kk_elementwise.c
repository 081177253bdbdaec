/*
 * test_kk_elementwise.c - unit tests of the elementwise reference kernels
 * (kernels/ref/unary.c, kernels/ref/binary.c) on small hand-checked cases:
 * activation values, math and rounding functions, integer wrap-around,
 * Clip bounds, Cast rules, bitwise ops, and numpy broadcasting through the
 * shared iterator.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"

#define N_OF(a) ((int64_t)(sizeof(a) / sizeof((a)[0])))

/* |got - want| <= tol * max(1, |want|); infinities must match exactly. */
static void expect_f32(const float *got, const float *want, int64_t n, float tol) {
    for (int64_t i = 0; i < n; i++) {
        float scale = fabsf(want[i]) > 1 ? fabsf(want[i]) : 1;
        int ok = isinf(want[i]) ? got[i] == want[i] : fabsf(got[i] - want[i]) <= tol * scale;
        cr_expect(ok, "element %lld: got %.9g, want %.9g", (long long)i, (double)got[i], (double)want[i]);
    }
}

/* ------------------------------------------------------------- unary */

Test(kk_unary, activations_f32) {
    const float x[] = {-2.0f, -0.5f, 0.0f, 0.5f, 3.0f};
    float y[5];
    struct { int op; float a, b; float want[5]; } cases[] = {
        {KK_UN_RELU, 0, 0, {0, 0, 0, 0.5f, 3}},
        {KK_UN_LEAKY_RELU, 0.1f, 0, {-0.2f, -0.05f, 0, 0.5f, 3}},
        {KK_UN_SIGMOID, 0, 0, {0.11920292f, 0.37754067f, 0.5f, 0.62245933f, 0.95257413f}},
        {KK_UN_TANH, 0, 0, {-0.96402758f, -0.46211716f, 0, 0.46211716f, 0.99505475f}},
        {KK_UN_HARD_SIGMOID, 0.2f, 0.5f, {0.1f, 0.4f, 0.5f, 0.6f, 1.0f}},
        {KK_UN_HARD_SWISH, 1.0f / 6, 0.5f, {-0.33333334f, -0.20833333f, 0, 0.29166667f, 3}},
        {KK_UN_SOFTPLUS, 0, 0, {0.12692801f, 0.47407698f, 0.69314718f, 0.97407698f, 3.04858735f}},
        {KK_UN_ELU, 1.0f, 0, {-0.86466472f, -0.39346934f, 0, 0.5f, 3}},
        {KK_UN_GELU, 0, 0, {-0.04550026f, -0.15426877f, 0, 0.34573123f, 2.99595031f}},
        {KK_UN_GELU_TANH, 0, 0, {-0.04540231f, -0.15428599f, 0, 0.34571401f, 2.99636261f}},
        {KK_UN_ERF, 0, 0, {-0.99532227f, -0.52049988f, 0, 0.52049988f, 0.99997791f}},
        {KK_UN_EXP, 0, 0, {0.13533528f, 0.60653066f, 1, 1.64872127f, 20.08553692f}},
        {KK_UN_NEG, 0, 0, {2, 0.5f, -0.0f, -0.5f, -3}},
        {KK_UN_ABS, 0, 0, {2, 0.5f, 0, 0.5f, 3}},
        {KK_UN_RECIPROCAL, 0, 0, {-0.5f, -2, INFINITY, 2, 0.33333334f}},
        {KK_UN_CLIP, -1.0f, 1.0f, {-1, -0.5f, 0, 0.5f, 1}},
        {KK_UN_SILU, 0, 0, {-0.23840584f, -0.18877033f, 0, 0.31122967f, 2.8577224f}},
        {KK_UN_MISH, 0, 0, {-0.25250148f, -0.22074377f, 0, 0.37524521f, 2.986535f}},
        {KK_UN_CELU, 2.0f, 0, {-1.2642411f, -0.44239843f, 0, 0.5f, 3}},
        {KK_UN_SELU, 1.6733f, 1.0507f, {-1.5201984f, -0.69177273f, 0, 0.52535f, 3.1521f}},
        {KK_UN_SOFTSIGN, 0, 0, {-0.66666667f, -0.33333333f, 0, 0.33333333f, 0.75f}},
        {KK_UN_THRESHOLDED_RELU, 0.5f, 0, {0, 0, 0, 0, 3}},
        {KK_UN_SHRINK, 1.0f, 0.5f, {-1.5f, 0, 0, 0, 2.5f}},
        {KK_UN_SWISH, 2.0f, 0, {-0.03597242f, -0.13447071f, 0, 0.36552929f, 2.9925821f}},
        {KK_UN_SIN, 0, 0, {-0.90929743f, -0.47942554f, 0, 0.47942554f, 0.14112001f}},
        {KK_UN_COS, 0, 0, {-0.41614684f, 0.87758256f, 1, 0.87758256f, -0.9899925f}},
        {KK_UN_TAN, 0, 0, {2.1850399f, -0.54630249f, 0, 0.54630249f, -0.14254654f}},
        {KK_UN_ATAN, 0, 0, {-1.1071487f, -0.46364761f, 0, 0.46364761f, 1.2490458f}},
        {KK_UN_SINH, 0, 0, {-3.6268604f, -0.52109531f, 0, 0.52109531f, 10.017875f}},
        {KK_UN_COSH, 0, 0, {3.7621957f, 1.127626f, 1, 1.127626f, 10.067662f}},
        {KK_UN_ASINH, 0, 0, {-1.4436355f, -0.48121183f, 0, 0.48121183f, 1.8184465f}},
        {KK_UN_SIGN, 0, 0, {-1, -1, 0, 1, 1}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cr_assert_eq(kk_unary_f32(cases[c].op, x, y, 5, cases[c].a, cases[c].b), 0, "op %d", cases[c].op);
        expect_f32(y, cases[c].want, 5, 1e-6f);
        /* the scalar form agrees with the array form: bit for bit, or
         * within a few ulp where the array form is the vector one */
        float v1;
        const int vec = kk_act_vec_f32(cases[c].op, x, &v1, 1, cases[c].a, cases[c].b);
        for (int i = 0; i < 5; i++) {
            const float s = kk_act_f32(cases[c].op, x[i], cases[c].a, cases[c].b);
            if (vec) cr_expect(s == y[i] || fabsf(s - y[i]) <= 2e-6f * fabsf(y[i]), "op %d el %d", cases[c].op, i);
            else cr_expect_eq(s, y[i], "op %d el %d", cases[c].op, i);
        }
    }
}

Test(kk_unary, inverse_trig_f32) {
    const float x[] = {-0.5f, 0.0f, 0.25f, 0.5f, 0.999f};
    const float xh[] = {1.0f, 1.5f, 2.0f, 10.0f, 100.0f};
    float y[5];
    kk_unary_f32(KK_UN_ASIN, x, y, 5, 0, 0);
    expect_f32(y, (const float[]){-0.52359878f, 0, 0.25268026f, 0.52359878f, 1.5260712f}, 5, 1e-6f);
    kk_unary_f32(KK_UN_ACOS, x, y, 5, 0, 0);
    expect_f32(y, (const float[]){2.0943951f, 1.5707963f, 1.3181161f, 1.0471976f, 0.044725087f}, 5, 1e-5f);
    kk_unary_f32(KK_UN_ATANH, x, y, 5, 0, 0);
    expect_f32(y, (const float[]){-0.54930614f, 0, 0.25541281f, 0.54930614f, 3.8002012f}, 5, 1e-5f);
    kk_unary_f32(KK_UN_ACOSH, xh, y, 5, 0, 0);
    expect_f32(y, (const float[]){0, 0.96242365f, 1.3169579f, 2.9932228f, 5.2982924f}, 5, 1e-6f);
    /* outside the domain: NaN */
    const float two[] = {2.0f};
    kk_unary_f32(KK_UN_ASIN, two, y, 1, 0, 0);
    cr_expect(isnan(y[0]));
}

Test(kk_unary, rounding_and_sign) {
    const float x[] = {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.6f, -2.6f};
    float y[8];
    cr_assert_eq(kk_unary_f32(KK_UN_ROUND, x, y, 8, 0, 0), 0);
    expect_f32(y, (const float[]){-2, -2, 0, 0, 2, 2, 3, -3}, 8, 0); /* halves to even */
    kk_unary_f32(KK_UN_FLOOR, x, y, 8, 0, 0);
    expect_f32(y, (const float[]){-3, -2, -1, 0, 1, 2, 2, -3}, 8, 0);
    kk_unary_f32(KK_UN_CEIL, x, y, 8, 0, 0);
    expect_f32(y, (const float[]){-2, -1, 0, 1, 2, 3, 3, -2}, 8, 0);
    const double big[] = {4503599627370497.0, -INFINITY, NAN};
    double z[3];
    kk_unary_f64(KK_UN_ROUND, big, z, 3, 0, 0);
    cr_expect(z[0] == 4503599627370497.0 && isinf(z[1]) && z[1] < 0 && isnan(z[2]));
    kk_unary_f64(KK_UN_SIGN, big, z, 3, 0, 0);
    cr_expect(z[0] == 1 && z[1] == -1 && isnan(z[2]));
    const int32_t xi[] = {INT32_MIN, -5, 0, 7};
    int32_t yi[4];
    cr_assert_eq(kk_unary_i32(KK_UN_SIGN, xi, yi, 4, 0, 0), 0);
    cr_expect(yi[0] == -1 && yi[1] == -1 && yi[2] == 0 && yi[3] == 1);
    const uint8_t xu[] = {0, 1, 200};
    uint8_t yu[3];
    kk_unary_u8(KK_UN_SIGN, xu, yu, 3, 0, 0);
    cr_expect(yu[0] == 0 && yu[1] == 1 && yu[2] == 1);
}

Test(kk_unary, bitwise_not) {
    const int8_t x[] = {-128, -1, 0, 5};
    int8_t y[4];
    cr_assert_eq(kk_unary_i8(KK_UN_BITWISE_NOT, x, y, 4, 0, 0), 0);
    cr_expect(y[0] == 127 && y[1] == 0 && y[2] == -1 && y[3] == -6);
    const uint16_t u[] = {0, 0x00FF};
    uint16_t v[2];
    kk_unary_u16(KK_UN_BITWISE_NOT, u, v, 2, 0, 0);
    cr_expect(v[0] == 0xFFFF && v[1] == 0xFF00);
    const uint64_t w[] = {0x0123456789ABCDEFull};
    uint64_t r[1];
    kk_unary_u64(KK_UN_BITWISE_NOT, w, r, 1, 0, 0);
    cr_expect(r[0] == 0xFEDCBA9876543210ull);
    /* not a float op */
    const float f[] = {1.0f};
    float g[1];
    cr_expect_eq(kk_unary_f32(KK_UN_BITWISE_NOT, f, g, 1, 0, 0), -1);
}

Test(kk_unary, log_sqrt_and_extremes_f32) {
    const float x[] = {0.0f, 1.0f, 4.0f, -1.0f};
    float y[4];
    kk_unary_f32(KK_UN_LOG, x, y, 4, 0, 0);
    cr_expect(isinf(y[0]) && y[0] < 0);
    cr_expect_eq(y[1], 0.0f);
    cr_expect(fabsf(y[2] - 1.38629436f) < 1e-6f);
    cr_expect(isnan(y[3]));
    kk_unary_f32(KK_UN_SQRT, x, y, 4, 0, 0);
    cr_expect(y[0] == 0 && y[1] == 1 && y[2] == 2 && isnan(y[3]));
    /* stable forms: no overflow to inf/nan at the ends */
    const float big[] = {-100.0f, 100.0f};
    kk_unary_f32(KK_UN_SIGMOID, big, y, 2, 0, 0);
    cr_expect(y[0] >= 0 && y[0] < 1e-30f && y[1] == 1.0f);
    kk_unary_f32(KK_UN_SOFTPLUS, big, y, 2, 0, 0);
    cr_expect(y[0] >= 0 && y[0] < 1e-30f && y[1] == 100.0f);
    /* stable Silu, Mish and Swish at the ends */
    kk_unary_f32(KK_UN_SILU, big, y, 2, 0, 0);
    cr_expect(y[0] <= 0 && y[0] > -1e-30f && y[1] == 100.0f);
    kk_unary_f32(KK_UN_MISH, big, y, 2, 0, 0);
    cr_expect(y[0] <= 0 && y[0] > -1e-30f && y[1] == 100.0f);
    kk_unary_f32(KK_UN_SWISH, big, y, 2, 1.0f, 0);
    cr_expect(y[0] <= 0 && y[0] > -1e-30f && y[1] == 100.0f);
    /* NaN passes through Relu and Clip */
    const float nan1[] = {NAN};
    kk_unary_f32(KK_UN_RELU, nan1, y, 1, 0, 0);
    cr_expect(isnan(y[0]));
}

Test(kk_unary, f64_and_in_place) {
    double x[] = {-1.0, 0.25, 2.0};
    cr_assert_eq(kk_unary_f64(KK_UN_EXP, x, x, 3, 0, 0), 0);
    cr_expect(fabs(x[0] - 0.36787944117144233) < 1e-15);
    cr_expect(fabs(x[1] - 1.2840254166877414) < 1e-15);
    cr_expect(fabs(x[2] - 7.38905609893065) < 1e-14);
}

Test(kk_unary, integers_wrap) {
    const int32_t x[] = {INT32_MIN, -5, 0, 7};
    int32_t y[4];
    kk_unary_i32(KK_UN_NEG, x, y, 4, 0, 0);
    cr_expect(y[0] == INT32_MIN && y[1] == 5 && y[2] == 0 && y[3] == -7);
    kk_unary_i32(KK_UN_ABS, x, y, 4, 0, 0);
    cr_expect(y[0] == INT32_MIN && y[1] == 5 && y[2] == 0 && y[3] == 7);
    kk_unary_i32(KK_UN_RELU, x, y, 4, 0, 0);
    cr_expect(y[0] == 0 && y[1] == 0 && y[2] == 0 && y[3] == 7);
    const int8_t b[] = {-128, -1, 127};
    int8_t c[3];
    kk_unary_i8(KK_UN_ABS, b, c, 3, 0, 0);
    cr_expect(c[0] == -128 && c[1] == 1 && c[2] == 127);
    const uint8_t u[] = {0, 200};
    uint8_t v[2];
    kk_unary_u8(KK_UN_ABS, u, v, 2, 0, 0);
    cr_expect(v[0] == 0 && v[1] == 200);
    kk_unary_u8(KK_UN_NEG, u, v, 2, 0, 0);
    cr_expect(v[0] == 0 && v[1] == 56);
    /* float-only ops are not instantiated for integers */
    cr_expect_eq(kk_unary_i32(KK_UN_EXP, x, y, 4, 0, 0), -1);
    cr_expect_eq(kk_unary_f32(0, NULL, NULL, 0, 0, 0), -1);
}

Test(kk_unary, clip_runtime_bounds) {
    const float x[] = {-3, -1, 0, 2, 5, NAN};
    float y[6];
    const float lo = -1.5f, hi = 2.5f;
    kk_clip_f32(x, &lo, &hi, y, 6);
    expect_f32(y, (const float[]){-1.5f, -1, 0, 2, 2.5f}, 5, 0);
    cr_expect(isnan(y[5]));
    kk_clip_f32(x, NULL, &hi, y, 5);
    expect_f32(y, (const float[]){-3, -1, 0, 2, 2.5f}, 5, 0);
    kk_clip_f32(x, &lo, NULL, y, 5);
    expect_f32(y, (const float[]){-1.5f, -1, 0, 2, 5}, 5, 0);
    kk_clip_f32(x, NULL, NULL, y, 5);
    expect_f32(y, x, 5, 0);
    /* min > max: everything becomes max */
    const float l2 = 3, h2 = 1;
    kk_clip_f32(x, &l2, &h2, y, 5);
    expect_f32(y, (const float[]){1, 1, 1, 1, 1}, 5, 0);
    const int8_t xi[] = {-128, -3, 0, 9, 127};
    int8_t yi[5];
    const int8_t li = -2;
    kk_clip_i8(xi, &li, NULL, yi, 5);
    cr_expect(yi[0] == -2 && yi[1] == -2 && yi[2] == 0 && yi[3] == 9 && yi[4] == 127);
}

Test(kk_unary, cast) {
    const float f[] = {-1.7f, -0.5f, 0.0f, 2.9f, 1e10f, -1e10f, NAN};
    int32_t i[7];
    cr_assert_eq(kk_cast(KK_F32, KK_I32, f, i, 7), 0);
    cr_expect(i[0] == -1 && i[1] == 0 && i[2] == 0 && i[3] == 2);
    cr_expect(i[4] == INT32_MAX && i[5] == INT32_MIN && i[6] == 0);
    uint8_t u[7];
    kk_cast(KK_F32, KK_U8, f, u, 7);
    cr_expect(u[0] == 0 && u[3] == 2 && u[4] == 255 && u[5] == 0);
    uint8_t bo[7];
    kk_cast(KK_F32, KK_BOOL, f, bo, 7);
    cr_expect(bo[0] == 1 && bo[1] == 1 && bo[2] == 0 && bo[3] == 1 && bo[6] == 1);
    const int64_t w[] = {300, -1, 128};
    int8_t n8[3];
    kk_cast(KK_I64, KK_I8, w, n8, 3);
    cr_expect(n8[0] == 44 && n8[1] == -1 && n8[2] == -128);
    uint16_t n16[3];
    kk_cast(KK_I64, KK_U16, w, n16, 3);
    cr_expect(n16[0] == 300 && n16[1] == 65535 && n16[2] == 128);
    const uint8_t b[] = {0, 1};
    double bd[2];
    kk_cast(KK_BOOL, KK_F64, b, bd, 2);
    cr_expect(bd[0] == 0.0 && bd[1] == 1.0);
    const double d[] = {0.1, 3.4028235e38 * 2};
    float df[2];
    kk_cast(KK_F64, KK_F32, d, df, 2);
    cr_expect(df[0] == 0.1f && isinf(df[1]));
    const uint64_t big[] = {UINT64_MAX};
    float bf[1];
    kk_cast(KK_U64, KK_F32, big, bf, 1);
    cr_expect(bf[0] == 18446744073709551616.0f);
    cr_expect_eq(kk_cast(KK_F16, KK_F32, f, df, 1), -1);
    cr_expect_eq(kk_cast(KK_F32, KK_BF16, f, df, 1), -1);
}

Test(kk_unary, identity_and_dropout) {
    const int16_t x[] = {1, -2, 3};
    int16_t y[3];
    uint8_t mask[3] = {0, 0, 0};
    kk_identity(x, y, sizeof x);
    cr_expect(memcmp(x, y, sizeof x) == 0);
    memset(y, 0, sizeof y);
    kk_dropout(x, y, mask, sizeof x, 3);
    cr_expect(memcmp(x, y, sizeof x) == 0);
    cr_expect(mask[0] == 1 && mask[1] == 1 && mask[2] == 1);
    kk_dropout(y, y, NULL, sizeof y, 3); /* in place, no mask */
    cr_expect(memcmp(x, y, sizeof x) == 0);
}

/* ------------------------------------------------------------ broadcast */

Test(kk_bcast, merges_dims) {
    kk_bcast it;
    /* equal shapes: one row */
    cr_assert_eq(kk_bcast_init(&it, 3, (const int64_t[]){3, 4, 5}, (const int64_t[]){3, 4, 5},
                               (const int64_t[]){3, 4, 5}), 0);
    cr_expect(it.rows == 1 && it.inner == 60 && it.ia == 1 && it.ib == 1);
    /* trailing vector: 12 rows of 5, b restarting each row */
    cr_assert_eq(kk_bcast_init(&it, 3, (const int64_t[]){3, 4, 5}, (const int64_t[]){3, 4, 5},
                               (const int64_t[]){1, 1, 5}), 0);
    cr_expect(it.rows == 12 && it.inner == 5 && it.rank == 1 && it.sa[0] == 5 && it.sb[0] == 0);
    /* per-channel: b is one element per row */
    cr_assert_eq(kk_bcast_init(&it, 4, (const int64_t[]){2, 3, 4, 4}, (const int64_t[]){2, 3, 4, 4},
                               (const int64_t[]){1, 3, 1, 1}), 0);
    cr_expect(it.rows == 6 && it.inner == 16 && it.ia == 1 && it.ib == 0);
    /* scalar against anything */
    cr_assert_eq(kk_bcast_init(&it, 2, (const int64_t[]){2, 3}, (const int64_t[]){1, 1},
                               (const int64_t[]){2, 3}), 0);
    cr_expect(it.rows == 1 && it.inner == 6 && it.ia == 0 && it.ib == 1);
    /* incompatible and out-of-range ranks */
    cr_expect_eq(kk_bcast_init(&it, 1, (const int64_t[]){3}, (const int64_t[]){2}, (const int64_t[]){3}), -1);
    cr_expect_eq(kk_bcast_init(&it, 9, NULL, NULL, NULL), -1);
}

Test(kk_binary, same_shape_and_scalar) {
    const float a[] = {1, 2, 3, 4}, b[] = {10, 20, 30, 40}, s[] = {2};
    float y[4];
    const int64_t d[] = {4}, one[] = {1};
    cr_assert_eq(kk_binary_f32(KK_BIN_ADD, a, b, y, 1, d, d, d), 0);
    expect_f32(y, (const float[]){11, 22, 33, 44}, 4, 0);
    kk_binary_f32(KK_BIN_SUB, a, s, y, 1, d, d, one);
    expect_f32(y, (const float[]){-1, 0, 1, 2}, 4, 0);
    kk_binary_f32(KK_BIN_DIV, s, a, y, 1, d, one, d);
    expect_f32(y, (const float[]){2, 1, 2.0f / 3, 0.5f}, 4, 1e-7f);
    /* rank 0: scalars, dims may be NULL */
    cr_assert_eq(kk_binary_f32(KK_BIN_MUL, s, s, y, 0, NULL, NULL, NULL), 0);
    cr_expect_eq(y[0], 4.0f);
    /* in place over a */
    float c[] = {1, 2, 3, 4};
    kk_binary_f32(KK_BIN_MUL, c, b, c, 1, d, d, d);
    expect_f32(c, (const float[]){10, 40, 90, 160}, 4, 0);
    cr_expect_eq(kk_binary_f32(KK_BIN_MEAN, a, b, y, 1, d, d, d), -1);
}

/* Float Add / Sub / Mul / Div on rows long enough for the vector path
 * (row lengths around 8 and 16, tails), per-channel (b one element per
 * row), scalar-first and same-shape operands, in place over a: the scalar
 * formula's bits at every element. */
Test(kk_binary, vector_rows) {
    static const int ops[] = {KK_BIN_ADD, KK_BIN_SUB, KK_BIN_MUL, KK_BIN_DIV};
    enum { C = 3, MAXW = 41 };
    float a[C * MAXW], b[C * MAXW], y[C * MAXW], want[C * MAXW];
    for (int i = 0; i < C * MAXW; i++) {
        a[i] = (float)((i * 37) % 101) / 7.0f - 6.5f;
        b[i] = (float)((i * 53) % 89) / 11.0f + 0.25f;
    }
    for (int w = 1; w <= MAXW; w++)
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
            for (int form = 0; form < 4; form++) { /* b per channel, a scalar, same shape, in place */
                const int op = ops[o];
                const int64_t yd[] = {C, w}, full[] = {C, w}, chan[] = {C, 1}, sc[] = {1, 1};
                const int64_t *ad = form == 1 ? sc : full, *bd = form == 0 || form == 3 ? chan : full;
                float *dst = y;
                if (form == 3) memcpy(y, a, sizeof a);
                const float *src = form == 3 ? y : a;
                for (int r = 0; r < C; r++)
                    for (int j = 0; j < w; j++) {
                        const float u = ad == sc ? a[0] : a[r * w + j], v = bd == chan ? b[r] : b[r * w + j];
                        want[r * w + j] = op == KK_BIN_ADD ? u + v : op == KK_BIN_SUB ? u - v : op == KK_BIN_MUL ? u * v
                                                                                                             : u / v;
                    }
                cr_assert_eq(kk_binary_f32(op, src, b, dst, 2, yd, ad, bd), 0);
                for (int i = 0; i < C * w; i++)
                    cr_assert(memcmp(&dst[i], &want[i], sizeof(float)) == 0, "op %d form %d width %d: [%d] = %.9g, want %.9g",
                              op, form, w, i, (double)dst[i], (double)want[i]);
            }
}

Test(kk_binary, broadcasting) {
    /* [2,1] + [1,3] -> [2,3] (outer sum), both inputs broadcast */
    const float col[] = {10, 20}, row[] = {1, 2, 3};
    float y[6];
    cr_assert_eq(kk_binary_f32(KK_BIN_ADD, col, row, y, 2, (const int64_t[]){2, 3}, (const int64_t[]){2, 1},
                               (const int64_t[]){1, 3}), 0);
    expect_f32(y, (const float[]){11, 12, 13, 21, 22, 23}, 6, 0);
    /* [2,3,2] - [2,1,2]: middle dim broadcast */
    float a[12], b[4], z[12];
    for (int i = 0; i < 12; i++) a[i] = (float)i;
    for (int i = 0; i < 4; i++) b[i] = (float)(100 * i);
    kk_binary_f32(KK_BIN_SUB, a, b, z, 3, (const int64_t[]){2, 3, 2}, (const int64_t[]){2, 3, 2},
                  (const int64_t[]){2, 1, 2});
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 2; k++)
                cr_expect_eq(z[i * 6 + j * 2 + k], a[i * 6 + j * 2 + k] - b[i * 2 + k], "at %d,%d,%d", i, j, k);
    /* output larger than both inputs' broadcast of each other: [3] op [3] -> [2,3] */
    kk_binary_f32(KK_BIN_MAX, row, row, y, 2, (const int64_t[]){2, 3}, (const int64_t[]){1, 3},
                  (const int64_t[]){1, 3});
    expect_f32(y, (const float[]){1, 2, 3, 1, 2, 3}, 6, 0);
    /* an empty output touches nothing */
    cr_expect_eq(kk_binary_f32(KK_BIN_ADD, a, b, NULL, 2, (const int64_t[]){0, 3}, (const int64_t[]){0, 3},
                               (const int64_t[]){1, 3}), 0);
}

Test(kk_binary, integer_rules) {
    const int32_t a[] = {-3, 3, -3, 3, 7, INT32_MIN, INT32_MAX};
    const int32_t b[] = {2, 2, -2, -2, 0, -1, 1};
    int32_t y[7];
    const int64_t d[] = {7};
    kk_binary_i32(KK_BIN_DIV, a, b, y, 1, d, d, d);
    cr_expect(y[0] == -1 && y[1] == 1 && y[2] == 1 && y[3] == -1, "C truncation");
    cr_expect(y[4] == 0, "x/0 is 0");
    cr_expect(y[5] == INT32_MIN, "INT_MIN/-1 wraps");
    kk_binary_i32(KK_BIN_ADD, a, b, y, 1, d, d, d);
    cr_expect(y[6] == INT32_MIN, "overflow wraps");
    const uint16_t u[] = {65535, 7}, v[] = {65535, 2};
    uint16_t w[2];
    kk_binary_u16(KK_BIN_MUL, u, v, w, 1, (const int64_t[]){2}, (const int64_t[]){2}, (const int64_t[]){2});
    cr_expect(w[0] == 1 && w[1] == 14);
    kk_binary_u16(KK_BIN_SUB, v, u, w, 1, (const int64_t[]){2}, (const int64_t[]){2}, (const int64_t[]){2});
    cr_expect(w[0] == 0 && w[1] == 65531);
    const int8_t p[] = {-4, 5}, q[] = {3};
    int8_t r[2];
    kk_binary_i8(KK_BIN_PRELU, p, q, r, 1, (const int64_t[]){2}, (const int64_t[]){2}, (const int64_t[]){1});
    cr_expect(r[0] == -12 && r[1] == 5);
}

Test(kk_binary, min_max_nan_and_prelu) {
    const float a[] = {1, NAN, 3}, b[] = {2, 0, NAN};
    float y[3];
    const int64_t d[] = {3};
    kk_binary_f32(KK_BIN_MIN, a, b, y, 1, d, d, d);
    cr_expect(y[0] == 1 && isnan(y[1]) && isnan(y[2]));
    kk_binary_f32(KK_BIN_MAX, a, b, y, 1, d, d, d);
    cr_expect(y[0] == 2 && isnan(y[1]) && isnan(y[2]));
    /* PRelu, slope per channel [2,1] against X [2,2] */
    const float x[] = {-1, 2, -3, 4}, slope[] = {0.5f, 0.25f};
    float z[4];
    kk_binary_f32(KK_BIN_PRELU, x, slope, z, 2, (const int64_t[]){2, 2}, (const int64_t[]){2, 2},
                  (const int64_t[]){2, 1});
    expect_f32(z, (const float[]){-0.5f, 2, -0.75f, 4}, 4, 0);
}

Test(kk_binary, bitwise) {
    const int32_t a[] = {0x0F0F, -1, 12, INT32_MIN}, b[] = {0x00FF, 0x1234, 10, -1};
    int32_t y[4];
    const int64_t d[] = {4};
    cr_assert_eq(kk_binary_i32(KK_BIN_BITAND, a, b, y, 1, d, d, d), 0);
    cr_expect(y[0] == 0x000F && y[1] == 0x1234 && y[2] == 8 && y[3] == INT32_MIN);
    kk_binary_i32(KK_BIN_BITOR, a, b, y, 1, d, d, d);
    cr_expect(y[0] == 0x0FFF && y[1] == -1 && y[2] == 14 && y[3] == -1);
    kk_binary_i32(KK_BIN_BITXOR, a, b, y, 1, d, d, d);
    cr_expect(y[0] == 0x0FF0 && y[1] == ~0x1234 && y[2] == 6 && y[3] == INT32_MAX);
    /* [2,2] ^ [2] broadcast, unsigned 64-bit */
    const uint64_t u[] = {1, 2, 3, UINT64_MAX}, m[] = {UINT64_MAX, 1};
    uint64_t z[4];
    cr_assert_eq(kk_binary_u64(KK_BIN_BITXOR, u, m, z, 2, (const int64_t[]){2, 2}, (const int64_t[]){2, 2},
                               (const int64_t[]){1, 2}), 0);
    cr_expect(z[0] == UINT64_MAX - 1 && z[1] == 3 && z[2] == UINT64_MAX - 3 && z[3] == UINT64_MAX - 1);
    const int8_t p[] = {-128, 127}, q[] = {-1};
    int8_t r[2];
    kk_binary_i8(KK_BIN_BITAND, p, q, r, 1, (const int64_t[]){2}, (const int64_t[]){2}, (const int64_t[]){1});
    cr_expect(r[0] == -128 && r[1] == 127);
    /* float types have no bitwise ops */
    const float f[] = {1};
    float g[1];
    cr_expect_eq(kk_binary_f32(KK_BIN_BITAND, f, f, g, 0, NULL, NULL, NULL), -1);
}

Test(kk_binary, variadic) {
    const float a[] = {1, 2, 3}, b[] = {10, 20, 30}, c[] = {100, 200, 300, 400, 500, 600};
    float y[6];
    /* Sum of [3], [3], [2,3]: the first pair is smaller than the output */
    const void *const in[] = {a, b, c};
    const int64_t dims[] = {1, 3, 1, 3, 2, 3};
    cr_assert_eq(kk_variadic_f32(KK_BIN_ADD, 3, in, y, 2, (const int64_t[]){2, 3}, dims), 0);
    expect_f32(y, (const float[]){111, 222, 333, 411, 522, 633}, 6, 0);
    kk_variadic_f32(KK_BIN_MEAN, 3, in, y, 2, (const int64_t[]){2, 3}, dims);
    expect_f32(y, (const float[]){37, 74, 111, 137, 174, 211}, 6, 1e-5f);
    kk_variadic_f32(KK_BIN_MIN, 2, (const void *const[]){b, a}, y, 1, (const int64_t[]){3},
                    (const int64_t[]){3, 3});
    expect_f32(y, a, 3, 0);
    /* one input: a copy, whatever the op */
    kk_variadic_f32(KK_BIN_MEAN, 1, (const void *const[]){b}, y, 1, (const int64_t[]){3}, (const int64_t[]){3});
    expect_f32(y, b, 3, 0);
    const uint8_t u0[] = {5, 1}, u1[] = {3, 9}, u2[] = {4, 4};
    uint8_t m[2];
    kk_variadic_u8(KK_BIN_MAX, 3, (const void *const[]){u0, u1, u2}, m, 1, (const int64_t[]){2},
                   (const int64_t[]){2, 2, 2});
    cr_expect(m[0] == 5 && m[1] == 9);
    cr_expect_eq(kk_variadic_u8(KK_BIN_SUB, 2, (const void *const[]){u0, u1}, m, 1, (const int64_t[]){2},
                                (const int64_t[]){2, 2}), -1);
}

Test(kk_binary, pow_mixed_types) {
    const float x[] = {2, 3, 0.5f};
    const int64_t e64[] = {3, 2, -1};
    float y[3];
    const int64_t d[] = {3};
    cr_assert_eq(kk_pow_f32(KK_I64, x, e64, y, 1, d, d, d), 0);
    expect_f32(y, (const float[]){8, 9, 2}, 3, 0);
    const float half[] = {0.5f};
    kk_pow_f32(KK_F32, x, half, y, 1, d, d, (const int64_t[]){1});
    expect_f32(y, (const float[]){1.41421356f, 1.73205081f, 0.70710678f}, 3, 1e-6f);
    const int32_t xi[] = {2, 3, -2, 5};
    const float ef[] = {0.5f, 2, 3, 1.5f};
    int32_t yi[4];
    kk_pow_i32(KK_F32, xi, ef, yi, 1, (const int64_t[]){4}, (const int64_t[]){4}, (const int64_t[]){4});
    cr_expect(yi[0] == 1 && yi[1] == 9 && yi[2] == -8 && yi[3] == 11, "truncated: %d %d %d %d", yi[0], yi[1],
              yi[2], yi[3]);
    const int64_t xl[] = {3, 1, -1, 2, 2}, el[] = {40, -5, -3, -1, 64};
    int64_t yl[5];
    kk_pow_i64(KK_I64, xl, el, yl, 1, (const int64_t[]){5}, (const int64_t[]){5}, (const int64_t[]){5});
    cr_expect(yl[0] == (int64_t)12157665459056928801ULL, "3^40 wraps");
    cr_expect(yl[1] == 1 && yl[2] == -1 && yl[3] == 0 && yl[4] == 0);
    const uint8_t eu[] = {2};
    kk_pow_i64(KK_U8, xl, eu, yl, 1, (const int64_t[]){5}, (const int64_t[]){5}, (const int64_t[]){1});
    cr_expect(yl[0] == 9 && yl[1] == 1 && yl[3] == 4);
    cr_expect_eq(kk_pow_f32(KK_BOOL, x, eu, y, 1, d, d, d), -1);
}

/* ------------------------------------------------- vector float32 forms */

/* Each op with a vector form against the scalar formulas (libm) over a
 * sweep of magnitudes, on lengths that leave every tail size: within 1e-6
 * relative (or 1e-7 absolute near 0; Gelu's and the tanh Gelu's far
 * negative tail, where the scalar formulas themselves cancel, compare
 * absolutely). In place gives the same bits as out of place, and an
 * element's result does not depend on where it sits in the array. */
Test(kk_unary, vector_forms_match_scalar) {
    static const struct { int op; float a, b; } ops[] = {
        {KK_UN_RELU, 0, 0}, {KK_UN_LEAKY_RELU, 0.1f, 0}, {KK_UN_HARD_SIGMOID, 0.2f, 0.5f},
        {KK_UN_HARD_SWISH, 1.0f / 6, 0.5f}, {KK_UN_CLIP, -1.5f, 2.0f}, {KK_UN_NEG, 0, 0}, {KK_UN_ABS, 0, 0},
        {KK_UN_RECIPROCAL, 0, 0}, {KK_UN_SOFTSIGN, 0, 0}, {KK_UN_THRESHOLDED_RELU, 0.5f, 0},
        {KK_UN_SHRINK, 1.0f, 0.5f}, {KK_UN_EXP, 0, 0}, {KK_UN_SIGMOID, 0, 0}, {KK_UN_SILU, 0, 0},
        {KK_UN_SWISH, 1.7f, 0}, {KK_UN_TANH, 0, 0}, {KK_UN_ELU, 0.9f, 0}, {KK_UN_SELU, 1.6733f, 1.0507f},
        {KK_UN_CELU, 2.0f, 0}, {KK_UN_GELU_TANH, 0, 0}, {KK_UN_GELU, 0, 0}, {KK_UN_ERF, 0, 0},
    };
    enum { N = 4099 };
    static float x[N], y[N], z[N];
    for (int i = 0; i < N; i++) {
        float t = -12.0f + 24.0f * (float)i / (float)(N - 1);
        x[i] = i % 3 == 0 ? t * 1e-3f : i % 5 == 0 ? t * 7.0f : t;
    }
    x[0] = 0.0f;
    x[1] = -0.0f;
    x[2] = INFINITY;
    x[3] = -INFINITY;
    x[4] = NAN;
    x[5] = 88.5f;
    x[6] = -95.0f;
    for (int k = 0; k < N_OF(ops); k++) {
        const int op = ops[k].op;
        cr_assert(kk_act_vec_f32(op, x, y, N, ops[k].a, ops[k].b), "op %d has a vector form", op);
        int bad = 0;
        for (int i = 0; i < N && bad < 5; i++) {
            const float w = kk_act_f32(op, x[i], ops[k].a, ops[k].b);
            const float err = fabsf(y[i] - w);
            const int tail = (op == KK_UN_GELU || op == KK_UN_GELU_TANH) && x[i] < -3.0f;
            const int ok = isnan(w) ? isnan(y[i]) != 0
                           : isinf(w) ? y[i] == w
                           : tail     ? err <= 1e-6f
                                      : err <= 1e-6f * fabsf(w) || err <= 1e-7f;
            if (!ok) bad++;
            cr_expect(ok, "op %d x=%.9g: got %.9g, want %.9g", op, (double)x[i], (double)y[i], (double)w);
        }
        for (int n = 0; n <= 40; n++) { /* every tail length, shifted start, in place */
            memcpy(z, x, sizeof z);
            kk_act_vec_f32(op, z + 3, z + 3, n, ops[k].a, ops[k].b);
            cr_expect(memcmp(z + 3, y + 3, (size_t)n * sizeof(float)) == 0, "op %d n=%d", op, n);
            cr_expect(memcmp(z + 3 + n, x + 3 + n, 4 * sizeof(float)) == 0, "op %d n=%d wrote past the end", op, n);
        }
    }
    /* no vector form: 0 and y untouched; kk_act_row_f32 then runs the scalar form */
    y[0] = 42.0f;
    cr_expect_eq(kk_act_vec_f32(KK_UN_SOFTPLUS, x, y, 1, 0, 0), 0);
    cr_expect_eq(kk_act_vec_f32(KK_UN_CELU, x, y, 1, -1.0f, 0), 0);
    cr_expect_eq(y[0], 42.0f);
    float r[3] = {-1.0f, 0.0f, 2.0f};
    kk_act_row_f32(r, 3, KK_UN_SOFTPLUS, 0, 0);
    cr_expect_float_eq(r[2], kk_act_f32(KK_UN_SOFTPLUS, 2.0f, 0, 0), 1e-7f);
    kk_act_row_f32(r, 3, 0, 0, 0); /* act 0: unchanged */
    cr_expect_float_eq(r[2], kk_act_f32(KK_UN_SOFTPLUS, 2.0f, 0, 0), 1e-7f);
}

/* Known values of the transcendental vector forms, including the far
 * tails where a naive 1 + erf or 1 - e^-2x loses every digit. */
Test(kk_unary, vector_forms_tails) {
    const float x[] = {-10.0f, -5.0f, -1e-5f, 1e-5f, 5.0f, 100.0f, -100.0f};
    float y[7];
    kk_act_vec_f32(KK_UN_GELU, x, y, 7, 0, 0);
    const float gelu[] = {-7.6198530e-23f, -1.4332578e-06f, -4.9999603e-06f, 5.0000399e-06f, 4.9999986f, 100.0f, -0.0f};
    for (int i = 0; i < 7; i++)
        cr_expect(fabsf(y[i] - gelu[i]) <= 1e-6f * fabsf(gelu[i]) + 1e-30f, "gelu(%g) = %.9g, want %.9g",
                  (double)x[i], (double)y[i], (double)gelu[i]);
    kk_act_vec_f32(KK_UN_TANH, x, y, 7, 0, 0);
    cr_expect(fabsf(y[2] + 1e-5f) <= 1e-12f, "tanh(-1e-5) = %.9g", (double)y[2]);
    cr_expect_eq(y[5], 1.0f);
    cr_expect_eq(y[6], -1.0f);
    kk_act_vec_f32(KK_UN_EXP, x, y, 7, 0, 0);
    /* exp(-100) = 3.72e-44: a subnormal, rounded to a multiple of 2^-149 */
    cr_expect(isinf(y[5]) && fabsf(y[6] - 3.7200760e-44f) <= 1.5e-45f, "exp(100) = %g, exp(-100) = %g",
              (double)y[5], (double)y[6]);
    cr_expect(fabsf(y[1] - 6.73794700e-03f) <= 1e-9f);
    kk_act_vec_f32(KK_UN_ERF, x, y, 7, 0, 0);
    cr_expect(fabsf(y[3] - 1.12837917e-05f) <= 1e-12f, "erf(1e-5) = %.9g", (double)y[3]);
    cr_expect_eq(y[0], -1.0f);
}

/* Pow by a one-element exponent of 2 squares, bit for bit like pow. */
Test(kk_binary, pow_square) {
    const float x[] = {-3.0f, 1.1f, 1e20f, 1e-30f, -0.0f, INFINITY, 0.3f};
    const float two = 2.0f;
    const int64_t two64 = 2;
    float y[7];
    const int64_t d[] = {7}, one[] = {1};
    cr_assert_eq(kk_pow_f32(KK_F32, x, &two, y, 1, d, d, one), 0);
    for (int i = 0; i < 7; i++) cr_expect_eq(y[i], (float)pow((double)x[i], 2.0), "x=%g", (double)x[i]);
    cr_assert_eq(kk_pow_f32(KK_I64, x, &two64, y, 1, d, d, one), 0);
    for (int i = 0; i < 7; i++) cr_expect_eq(y[i], (float)pow((double)x[i], 2.0), "x=%g", (double)x[i]);
}
