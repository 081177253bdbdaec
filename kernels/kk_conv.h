/*
 * kk_conv.h - reference kernels of the conv family (kernels/ref/conv.c):
 * convolution, batch normalization, pooling, LRN, Gemm and MatMul.
 * Included by kk.h.
 *
 * Layout is always NCHW (N, C, spatial...), row major. Spatial geometry is
 * passed as arrays of nsp (1..3) entries: in_sp / k_sp / out_sp are the
 * input, kernel and output spatial sizes; pads holds begin[0..nsp) then
 * end[0..nsp) (the ONNX order), already resolved from auto_pad by the
 * compiler. Output sizes come from the compiler; kernels do not re-derive
 * them (ceil_mode only shows up as a larger out_sp).
 *
 * Each kernel exists per element type and is named by it (_f32, _f64, ...).
 * Scalar attributes (epsilon, alpha, ...) have the element type, so constant
 * folding and generated code round them identically.
 */
#ifndef KK_CONV_H
#define KK_CONV_H
#include <stddef.h>
#include <stdint.h>

/* Conv: y[n, m, o...] = b[m] + sum over ci < C/group and k... of
 *   w[m, ci, k...] * x[n, g*C/group + ci, o*stride + k*dilation - pad_begin]
 * with g = m / (M/group); out-of-input positions read as 0.
 * w is (M, C/group, k_sp...); b is NULL or (M). */
KK_API void kk_conv_f32(const float *x, const float *w, const float *b, float *y,
                        int64_t n, int64_t c, int64_t m, int64_t group, int nsp,
                        const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                        const int64_t *strides, const int64_t *dilations, const int64_t *pads);
KK_API void kk_conv_f64(const double *x, const double *w, const double *b, double *y,
                        int64_t n, int64_t c, int64_t m, int64_t group, int nsp,
                        const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                        const int64_t *strides, const int64_t *dilations, const int64_t *pads);

/* BatchNormalization, inference mode, x is (n, c, plane):
 *   y = scale[c] * (x - mean[c]) / sqrt(var[c] + epsilon) + bias[c] */
KK_API void kk_batchnorm_f32(const float *x, const float *scale, const float *bias,
                             const float *mean, const float *var, float *y,
                             int64_t n, int64_t c, int64_t plane, float epsilon);
KK_API void kk_batchnorm_f64(const double *x, const double *scale, const double *bias,
                             const double *mean, const double *var, double *y,
                             int64_t n, int64_t c, int64_t plane, double epsilon);

/* MaxPool over nc = N*C planes. Only input elements compete (padding never
 * wins); the first maximum in window order wins ties. indices (NULL when not
 * wanted) receives per output the flattened position of the maximum in x:
 * plane * prod(in_sp) + the spatial offset, row major (storage_order 0) or
 * column major (storage_order 1). */
KK_API void kk_maxpool_f32(const float *x, float *y, int64_t *indices, int64_t nc, int nsp,
                           const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                           const int64_t *strides, const int64_t *dilations,
                           const int64_t *pads, int storage_order);
KK_API void kk_maxpool_f64(const double *x, double *y, int64_t *indices, int64_t nc, int nsp,
                           const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                           const int64_t *strides, const int64_t *dilations,
                           const int64_t *pads, int storage_order);
KK_API void kk_maxpool_i8(const int8_t *x, int8_t *y, int64_t *indices, int64_t nc, int nsp,
                          const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                          const int64_t *strides, const int64_t *dilations,
                          const int64_t *pads, int storage_order);
KK_API void kk_maxpool_u8(const uint8_t *x, uint8_t *y, int64_t *indices, int64_t nc, int nsp,
                          const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                          const int64_t *strides, const int64_t *dilations,
                          const int64_t *pads, int storage_order);

/* AveragePool over nc = N*C planes. The sum covers the window positions
 * inside the input. The divisor is their count (count_include_pad 0) or the
 * count of window positions inside the padded input [-pad_begin,
 * in + pad_end) (count_include_pad 1): positions past the end padding, which
 * only ceil_mode produces, never count. */
KK_API void kk_avgpool_f32(const float *x, float *y, int64_t nc, int nsp,
                           const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                           const int64_t *strides, const int64_t *dilations,
                           const int64_t *pads, int count_include_pad);
KK_API void kk_avgpool_f64(const double *x, double *y, int64_t nc, int nsp,
                           const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                           const int64_t *strides, const int64_t *dilations,
                           const int64_t *pads, int count_include_pad);

/* GlobalAveragePool / GlobalMaxPool: y[i] = mean / max of plane i of x
 * (nc planes of `plane` elements each). */
KK_API void kk_global_avgpool_f32(const float *x, float *y, int64_t nc, int64_t plane);
KK_API void kk_global_avgpool_f64(const double *x, double *y, int64_t nc, int64_t plane);
KK_API void kk_global_maxpool_f32(const float *x, float *y, int64_t nc, int64_t plane);
KK_API void kk_global_maxpool_f64(const double *x, double *y, int64_t nc, int64_t plane);

/* LRN across the channels of x (n, c, planes pstride elements apart, the
 * first `plane` of each computed; pstride == plane for whole planes):
 *   y = x / (bias + alpha / size * sum of x^2 over channels
 *            [c - floor((size-1)/2), c + ceil((size-1)/2)] within [0, c)) ^ beta */
KK_API void kk_lrn_f32(const float *x, float *y, int64_t n, int64_t c, int64_t plane, int64_t pstride,
                       int64_t size, float alpha, float beta, float bias);
KK_API void kk_lrn_f64(const double *x, double *y, int64_t n, int64_t c, int64_t plane, int64_t pstride,
                       int64_t size, double alpha, double beta, double bias);

/* Gemm: y (M, N) = alpha * A' B' + beta * C with A' = trans_a ? a^T : a (a
 * stored (K, M) or (M, K)) and B' = trans_b ? b^T : b (b stored (N, K) or
 * (K, N)). c is NULL or a (c_rows, c_cols) matrix broadcast to (M, N):
 * c_rows is 1 or M, c_cols is 1 or N (a scalar is 1x1, an N-vector 1xN). */
KK_API void kk_gemm_f32(const float *a, const float *b, const float *c, float *y,
                        int64_t m, int64_t n, int64_t k, int trans_a, int trans_b,
                        float alpha, float beta, int64_t c_rows, int64_t c_cols);
KK_API void kk_gemm_f64(const double *a, const double *b, const double *c, double *y,
                        int64_t m, int64_t n, int64_t k, int trans_a, int trans_b,
                        double alpha, double beta, int64_t c_rows, int64_t c_cols);

/* MatMul with numpy semantics, broadcasting resolved by the compiler: for
 * each batch entry t < prod(bdims[0..nb)) (row major over bdims, index
 * digits idx[i]), y[t] (M, N) = a[ta] (M, K) * b[tb] (K, N) where
 * ta = sum idx[i] * a_bstride[i] and tb likewise, counted in whole matrices
 * (stride 0 on a broadcast dim). A 1-D operand is passed as a 1xK or Kx1
 * matrix (same memory). nb >= 1: pass bdims {1} when there is no batch.
 * Integer types wrap around on overflow. */
KK_API void kk_matmul_f32(const float *a, const float *b, float *y, int nb,
                          const int64_t *bdims, const int64_t *a_bstride,
                          const int64_t *b_bstride, int64_t m, int64_t k, int64_t n);
KK_API void kk_matmul_f64(const double *a, const double *b, double *y, int nb,
                          const int64_t *bdims, const int64_t *a_bstride,
                          const int64_t *b_bstride, int64_t m, int64_t k, int64_t n);
KK_API void kk_matmul_i32(const int32_t *a, const int32_t *b, int32_t *y, int nb,
                          const int64_t *bdims, const int64_t *a_bstride,
                          const int64_t *b_bstride, int64_t m, int64_t k, int64_t n);
KK_API void kk_matmul_i64(const int64_t *a, const int64_t *b, int64_t *y, int nb,
                          const int64_t *bdims, const int64_t *a_bstride,
                          const int64_t *b_bstride, int64_t m, int64_t k, int64_t n);

/* Fused epilogue, in place on a Conv/Gemm output of n elements:
 *   y[i] = act(y[i] + (res ? res[i] : 0))
 * act is a KK_UN_* code of the unary family (0: none) with its alpha/beta. */
KK_API void kk_epilogue_f32(float *y, const float *res, int64_t n, int act, float alpha, float beta);
KK_API void kk_epilogue_f64(double *y, const double *res, int64_t n, int act, double alpha, double beta);

#endif
