/*
 * kk_detect.h - reference kernels of the detect family (kernels/ref/detect.c):
 * TopK, NonMaxSuppression, RoiAlign and MaxRoiPool. Included by kk.h.
 *
 * None of them allocates: TopK keeps its running selection in the Indices
 * output, NonMaxSuppression its candidate queue in the unused tail of its
 * output. dtype-generic kernels return 0, or -1 when the dtype is not
 * implemented (the compiler rejects those before emitting a call).
 */
#ifndef KK_DETECT_H
#define KK_DETECT_H
#include <stddef.h>
#include <stdint.h>

/* TopK along the middle axis of x viewed as [outer, n, inner]: values
 * [outer, k, inner] (x's dtype) and indices [outer, k, inner] (int64), best
 * first. Best means largest (largest != 0) or smallest; equal values keep
 * their order along the axis (the lower index comes first), and NaN ranks
 * above every number (numpy's order), so it comes first when largest and
 * last otherwise. 0 <= k <= n. O(n log k) per slice.
 * dtypes: f32 f64 i8 u8 i16 u16 i32 u32 i64 u64. */
KK_API int kk_topk(int dtype, int largest, const void *x, void *values, int64_t *indices,
                   int64_t outer, int64_t n, int64_t inner, int64_t k);

/* NonMaxSuppression (ONNX opset 10/11, onnxruntime's arithmetic).
 * boxes [batches, nboxes, 4], scores [batches, classes, nboxes] (float32).
 * max_boxes, iou_threshold, score_threshold point at one element each, or
 * are NULL when the input is omitted (max_boxes NULL selects nothing; a NULL
 * threshold means 0 for IoU and "no score filter"). For every batch and
 * class, in that order, boxes are visited by descending score (equal scores:
 * lower box index first; NaN last), those with score <= score_threshold are
 * skipped, and a box is kept unless its IoU with a box already kept for that
 * class is > iou_threshold, until min(*max_boxes, cap) are kept.
 * selected has room for batches * classes * cap rows of [batch, class, box];
 * the kept rows come first, *count receives their number and every row past
 * it is set to -1. cap >= min(nboxes, *max_boxes) bounds the rows per class. */
KK_API void kk_nms_f32(const float *boxes, const float *scores, const int64_t *max_boxes,
                       const float *iou_threshold, const float *score_threshold,
                       int center_point_box, int64_t batches, int64_t classes, int64_t nboxes,
                       int64_t cap, int64_t *selected, int64_t *count);

/* RoiAlign: x [n, c, h, w], rois [nrois, 4] as (x1, y1, x2, y2) in x's dtype,
 * batch_indices [nrois] (int64), y [nrois, c, out_h, out_w]. Each output bin
 * averages (mode_max = 0) or takes the maximum of (mode_max = 1) a grid of
 * bilinear samples; sampling_ratio > 0 fixes the grid side, 0 makes it
 * ceil(roi extent / output extent). half_pixel shifts roi coordinates by
 * -0.5 after scaling; without it rois are at least 1x1. The max mode is
 * ONNX's and onnxruntime's: the maximum over samples of the largest of the
 * four weighted corner terms. A roi whose batch index is outside [0, n)
 * produces zeros. dtypes: f32 f64 (arithmetic in that type). */
KK_API int kk_roialign(int dtype, int mode_max, int half_pixel, const void *x, const void *rois,
                       const int64_t *batch_indices, void *y, int64_t n, int64_t c, int64_t h,
                       int64_t w, int64_t nrois, int64_t out_h, int64_t out_w,
                       int64_t sampling_ratio, float spatial_scale);

/* MaxRoiPool: x [n, c, h, w], rois [nrois, 5] as (batch, x1, y1, x2, y2) in
 * x's dtype, y [nrois, c, out_h, out_w]. Roi corners are scaled and rounded
 * half away from zero, the roi (at least 1x1) is split into out_h x out_w
 * bins with floor/ceil edges, and each bin takes the maximum of its pixels;
 * a bin that falls outside x, or a roi whose batch is outside [0, n),
 * gives 0. dtypes: f32 f64. */
KK_API int kk_maxroipool(int dtype, const void *x, const void *rois, void *y, int64_t n,
                         int64_t c, int64_t h, int64_t w, int64_t nrois, int64_t out_h,
                         int64_t out_w, float spatial_scale);

#endif
