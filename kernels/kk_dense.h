/*
 * kk_dense.h - reference kernels of the dense family (kernels/ref/dense.c):
 * transposed convolution, Resize / Upsample, DepthToSpace / SpaceToDepth.
 * Included by kk.h.
 *
 * ConvTranspose uses the conv family's window helper (kernels/ref/conv.c),
 * so generated code that pastes this family pastes ref/conv.c too (the C
 * backend's kernel dependency table).
 */
#ifndef KK_DENSE_H
#define KK_DENSE_H
#include <stddef.h>
#include <stdint.h>

/* Defined in ref/conv.c (not declared by kk_conv.h): the outputs o in
 * [0, out) whose input position o*s + off lies inside [0, in). */
KK_API void kk_conv_range(int64_t off, int64_t s, int64_t in, int64_t out, int64_t *lo, int64_t *hi);

/* ---------------------------------------------------------- ConvTranspose */

/* y[n, m, o...] = b[m] + sum over input channels ci of m's group and kernel
 * taps k... of x[n, ci, i...] * w[ci, m % (M/group), k...], where
 * o = i*stride + k*dilation - pad_begin (positions outside [0, out) are
 * dropped; outputs no tap reaches hold the bias). w is (C, M/group, k_sp...),
 * b is NULL or (M). Geometry as in kk_conv.h: nsp (1..3) entries per array,
 * pads begin[0..nsp) then end[0..nsp) (only the begin pads are read: out_sp
 * already accounts for the end pads and output_padding). */
KK_API void kk_conv_transpose_f32(const float *x, const float *w, const float *b, float *y,
                                  int64_t n, int64_t c, int64_t m, int64_t group, int nsp,
                                  const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                                  const int64_t *strides, const int64_t *dilations,
                                  const int64_t *pads);
KK_API void kk_conv_transpose_f64(const double *x, const double *w, const double *b, double *y,
                                  int64_t n, int64_t c, int64_t m, int64_t group, int nsp,
                                  const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                                  const int64_t *strides, const int64_t *dilations,
                                  const int64_t *pads);

/* ----------------------------------------------------------------- Resize */

/* Interpolation modes */
enum { KK_RESIZE_NEAREST = 0, KK_RESIZE_LINEAR = 1, KK_RESIZE_CUBIC = 2 };

/* coordinate_transformation_mode: how output index y maps to the input
 * coordinate x on an axis of input length in, output length out, scale s
 * and fractional output length w = s * in (ONNX Resize):
 *   HALF_PIXEL            x = (y + 0.5) / s - 0.5
 *   HALF_PIXEL_SYMMETRIC  x = in/2 * (1 - out/w) + (y + 0.5) / s - 0.5
 *   PYTORCH_HALF_PIXEL    x = out > 1 ? (y + 0.5) / s - 0.5 : 0
 *   ALIGN_CORNERS         x = w == 1 ? 0 : y * (in - 1) / (w - 1)
 *   ASYMMETRIC            x = y / s
 *   TF_HALF_PIXEL_FOR_NN  x = (y + 0.5) / s                       (opset 11)
 *   TF_CROP_AND_RESIZE    x = start * (in - 1) + (w == 1 ? (end - start) * (in - 1) / 2
 *                                                 : y * (end - start) * (in - 1) / (w - 1))
 *                         with start, end from roi; x outside [0, in - 1] gives
 *                         the extrapolation value. */
enum {
    KK_RESIZE_CTM_HALF_PIXEL = 0, KK_RESIZE_CTM_HALF_PIXEL_SYMMETRIC, KK_RESIZE_CTM_PYTORCH_HALF_PIXEL,
    KK_RESIZE_CTM_ALIGN_CORNERS, KK_RESIZE_CTM_ASYMMETRIC, KK_RESIZE_CTM_TF_HALF_PIXEL_FOR_NN,
    KK_RESIZE_CTM_TF_CROP_AND_RESIZE
};

/* nearest_mode: which neighbor a fractional x picks (an integral x picks
 * itself; the index is then clamped into [0, in)). SIMPLE is Upsample's and
 * Resize-10's rule: floor when the axis is upsampled (s >= 1), ceil when it
 * is downsampled. */
enum {
    KK_RESIZE_NEAREST_ROUND_PREFER_FLOOR = 0, KK_RESIZE_NEAREST_ROUND_PREFER_CEIL, KK_RESIZE_NEAREST_FLOOR,
    KK_RESIZE_NEAREST_CEIL, KK_RESIZE_NEAREST_SIMPLE
};

/* Most filter taps per axis: linear and cubic use 2 and 4; antialiasing
 * widens the filter by 1/scale when downsampling (about 2/scale and 4/scale
 * taps), so the compiler rejects scales needing more than this. */
#define KK_RESIZE_MAX_TAPS 64

/* Everything about a Resize except the tensors and their shapes. */
typedef struct kk_resize_params {
    int mode;              /* KK_RESIZE_NEAREST / LINEAR / CUBIC */
    int ctm;               /* KK_RESIZE_CTM_* */
    int nearest_mode;      /* KK_RESIZE_NEAREST_* (mode NEAREST only) */
    int antialias;         /* linear / cubic: widen the filter by 1/scale when downsampling */
    int exclude_outside;   /* taps outside the input get weight 0; weights renormalized */
    double cubic_a;        /* cubic_coeff_a */
    double extrapolation;  /* TF_CROP_AND_RESIZE: value of outputs mapped outside the input */
    int roi_type;          /* KK_F32 or KK_F64; 0: no roi (every axis spans 0..1) */
    int64_t roi_half;      /* roi holds roi_half starts then roi_half ends */
} kk_resize_params;

/* Resize x (rank dims in_dims) into y (out_dims) by interpolation, per
 * ONNX Resize-11..19. scales[i] is axis i's coordinate scale (out / in for
 * sizes, the scales input otherwise; 1 on unresized axes). roi (read only
 * for TF_CROP_AND_RESIZE) is a vector of p->roi_type; roi_index[i] is the
 * position of axis i's start in it (its end is at + roi_half), or -1 for
 * 0..1. Computed in double, stored rounded (integers: half to even, then
 * saturated). Modes LINEAR and CUBIC; NEAREST has kk_resize_nearest. */
KK_API void kk_resize_f32(const float *x, float *y, int rank, const int64_t *in_dims,
                          const int64_t *out_dims, const double *scales, const int64_t *roi_index,
                          const void *roi, const kk_resize_params *p);
KK_API void kk_resize_f64(const double *x, double *y, int rank, const int64_t *in_dims,
                          const int64_t *out_dims, const double *scales, const int64_t *roi_index,
                          const void *roi, const kk_resize_params *p);
KK_API void kk_resize_u8(const uint8_t *x, uint8_t *y, int rank, const int64_t *in_dims,
                         const int64_t *out_dims, const double *scales, const int64_t *roi_index,
                         const void *roi, const kk_resize_params *p);
KK_API void kk_resize_i8(const int8_t *x, int8_t *y, int rank, const int64_t *in_dims,
                         const int64_t *out_dims, const double *scales, const int64_t *roi_index,
                         const void *roi, const kk_resize_params *p);
KK_API void kk_resize_i32(const int32_t *x, int32_t *y, int rank, const int64_t *in_dims,
                          const int64_t *out_dims, const double *scales, const int64_t *roi_index,
                          const void *roi, const kk_resize_params *p);

/* Filter taps kk_resize_<type> uses on an axis of coordinate scale `scale`
 * (1 nearest, 2 linear, 4 cubic; wider when antialiasing a downscale). The
 * compiler checks it against KK_RESIZE_MAX_TAPS. */
KK_API int kk_resize_ntaps(const kk_resize_params *p, double scale);

/* Nearest-neighbor Resize / Upsample of elements of elem_size bytes (any
 * type): arguments as kk_resize; fill (elem_size bytes) is what outputs
 * mapped outside the input by TF_CROP_AND_RESIZE receive. */
KK_API void kk_resize_nearest(const void *x, void *y, size_t elem_size, int rank,
                              const int64_t *in_dims, const int64_t *out_dims,
                              const double *scales, const int64_t *roi_index, const void *roi,
                              const kk_resize_params *p, const void *fill);

/* ------------------------------------------------ DepthToSpace / SpaceToDepth */

/* DepthToSpace: x (n, c * bs * bs, h, w) -> y (n, c, h * bs, w * bs) with
 * y[n, k, i * bs + a, j * bs + b] = x[n, d, i, j], d = (a * bs + b) * c + k
 * (DCR, crd 0) or d = (k * bs + a) * bs + b (CRD, crd 1). Elements of
 * elem_size bytes. */
KK_API void kk_depth_to_space(const void *x, void *y, size_t elem_size, int64_t n, int64_t c,
                              int64_t h, int64_t w, int64_t bs, int crd);
/* SpaceToDepth, the inverse: x (n, c, h * bs, w * bs) -> y (n, c * bs * bs, h, w). */
KK_API void kk_space_to_depth(const void *x, void *y, size_t elem_size, int64_t n, int64_t c,
                              int64_t h, int64_t w, int64_t bs, int crd);

#endif
