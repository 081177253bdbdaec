/*
 * detect.c - reference kernels of the detect family: kk_topk (TopK),
 * kk_nms_f32 (NonMaxSuppression), kk_roialign (RoiAlign) and kk_maxroipool
 * (MaxRoiPool). Declared in kk_detect.h.
 *
 * Used twice: linked into the compiler (constant folding) and pasted into
 * every generated model that has a node of this family, so folded and
 * run-time results come from the same code.
 *
 * No kernel allocates. TopK and NonMaxSuppression rank candidates with a
 * bounded binary heap of indices that lives in their own output buffer (the
 * Indices output, or the not-yet-written tail of selected_indices). The
 * float arithmetic of NonMaxSuppression and RoiAlign follows onnxruntime's
 * CPU kernels operation by operation (same operand order, one product per
 * statement where a fused multiply-add could otherwise change a rounding),
 * so borderline IoU and threshold comparisons decide the same way.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"

/* ------------------------------------------------------------ ranked heaps */

/* before(ctx, a, b) != 0 when candidate a ranks strictly before candidate b.
 * It must be a strict total order on distinct candidates (ties broken by
 * index), so the heaps below give one deterministic result. */
typedef int kk_det_rank_fn(const void *ctx, int64_t a, int64_t b);

/* A heap of candidate indices h[0], h[s], h[2s], ... (stride s) whose root
 * is the WORST-ranked entry: a bounded "keep the best n" selection replaces
 * the root whenever a better candidate arrives. */
KK_API void kk_det_heap_down(int64_t *h, int64_t s, int64_t n, int64_t at,
                             kk_det_rank_fn *before, const void *ctx)
{
    for (;;) {
        int64_t l = 2 * at + 1, r = l + 1, worst = at;
        if (l < n && before(ctx, h[worst * s], h[l * s]))
            worst = l;
        if (r < n && before(ctx, h[worst * s], h[r * s]))
            worst = r;
        if (worst == at)
            return;
        int64_t t = h[at * s];
        h[at * s] = h[worst * s];
        h[worst * s] = t;
        at = worst;
    }
}

KK_API void kk_det_heap_up(int64_t *h, int64_t s, int64_t at, kk_det_rank_fn *before, const void *ctx)
{
    while (at > 0) {
        int64_t p = (at - 1) / 2;
        if (!before(ctx, h[p * s], h[at * s]))
            return;
        int64_t t = h[at * s];
        h[at * s] = h[p * s];
        h[p * s] = t;
        at = p;
    }
}

/* Offer candidate i to a heap holding *n of at most cap entries. */
KK_API void kk_det_heap_offer(int64_t *h, int64_t s, int64_t *n, int64_t cap, int64_t i,
                              kk_det_rank_fn *before, const void *ctx)
{
    if (*n < cap) {
        h[*n * s] = i;
        kk_det_heap_up(h, s, *n, before, ctx);
        (*n)++;
    } else if (cap > 0 && before(ctx, i, h[0])) {
        h[0] = i;
        kk_det_heap_down(h, s, cap, 0, before, ctx);
    }
}

/* Heap sort in place: moving the worst entry to the back each time leaves
 * the n entries best first. */
KK_API void kk_det_heap_sort(int64_t *h, int64_t s, int64_t n, kk_det_rank_fn *before, const void *ctx)
{
    for (int64_t end = n - 1; end > 0; end--) {
        int64_t t = h[0];
        h[0] = h[end * s];
        h[end * s] = t;
        kk_det_heap_down(h, s, end, 0, before, ctx);
    }
}

/* ------------------------------------------------------------------- TopK */

typedef struct kk_topk_ctx {
    const void *x;          /* first element of the slice */
    int64_t stride;         /* elements between neighbours along the axis */
    int largest;            /* rank larger values first */
} kk_topk_ctx;

#define KK_DET_ISNAN_F(v) isnan(v)
#define KK_DET_ISNAN_I(v) 0

/* Rank of two positions along the axis: NaN above every number, equal
 * values by position. One body per element type. */
#define KK_TOPK_DEF(SFX, T, ISNAN)                                                   \
KK_API int kk_topk_before_##SFX(const void *ctx, int64_t a, int64_t b)               \
{                                                                                    \
    const kk_topk_ctx *c = (const kk_topk_ctx *)ctx;                                 \
    const T *x = (const T *)c->x;                                                    \
    T va = x[a * c->stride], vb = x[b * c->stride];                                  \
    int na = ISNAN(va), nb = ISNAN(vb);                                              \
    if (na || nb) {                                                                  \
        if (na && nb)                                                                \
            return a < b;                                                            \
        return c->largest ? na : nb;                                                 \
    }                                                                                \
    if (va < vb || vb < va)                                                          \
        return c->largest ? vb < va : va < vb;                                       \
    return a < b;                                                                    \
}                                                                                    \
KK_API void kk_topk_##SFX(int largest, const T *x, T *values, int64_t *indices,      \
                          int64_t outer, int64_t n, int64_t inner, int64_t k)        \
{                                                                                    \
    for (int64_t o = 0; o < outer; o++)                                              \
        for (int64_t i = 0; i < inner; i++) {                                        \
            const T *xs = x + o * n * inner + i;                                     \
            int64_t *ix = indices + o * k * inner + i;                               \
            T *vs = values + o * k * inner + i;                                      \
            kk_topk_ctx c = {xs, inner, largest};                                    \
            int64_t h = 0;                                                           \
            for (int64_t j = 0; j < n; j++)                                          \
                kk_det_heap_offer(ix, inner, &h, k, j, kk_topk_before_##SFX, &c);    \
            kk_det_heap_sort(ix, inner, h, kk_topk_before_##SFX, &c);                \
            for (int64_t j = 0; j < k; j++)                                          \
                vs[j * inner] = xs[ix[j * inner] * inner];                           \
        }                                                                            \
}

KK_TOPK_DEF(f32, float, KK_DET_ISNAN_F)
KK_TOPK_DEF(f64, double, KK_DET_ISNAN_F)
KK_TOPK_DEF(i8, int8_t, KK_DET_ISNAN_I)
KK_TOPK_DEF(u8, uint8_t, KK_DET_ISNAN_I)
KK_TOPK_DEF(i16, int16_t, KK_DET_ISNAN_I)
KK_TOPK_DEF(u16, uint16_t, KK_DET_ISNAN_I)
KK_TOPK_DEF(i32, int32_t, KK_DET_ISNAN_I)
KK_TOPK_DEF(u32, uint32_t, KK_DET_ISNAN_I)
KK_TOPK_DEF(i64, int64_t, KK_DET_ISNAN_I)
KK_TOPK_DEF(u64, uint64_t, KK_DET_ISNAN_I)

KK_API int kk_topk(int dtype, int largest, const void *x, void *values, int64_t *indices,
                   int64_t outer, int64_t n, int64_t inner, int64_t k)
{
    if (k < 0 || k > n || !indices)
        return -1;
#define KK_TOPK_CASE(CODE, SFX, T)                                                        \
    case CODE:                                                                            \
        kk_topk_##SFX(largest, (const T *)x, (T *)values, indices, outer, n, inner, k);   \
        return 0;
    switch (dtype) {
    KK_TOPK_CASE(KK_F32, f32, float)
    KK_TOPK_CASE(KK_F64, f64, double)
    KK_TOPK_CASE(KK_I8, i8, int8_t)
    KK_TOPK_CASE(KK_U8, u8, uint8_t)
    KK_TOPK_CASE(KK_I16, i16, int16_t)
    KK_TOPK_CASE(KK_U16, u16, uint16_t)
    KK_TOPK_CASE(KK_I32, i32, int32_t)
    KK_TOPK_CASE(KK_U32, u32, uint32_t)
    KK_TOPK_CASE(KK_I64, i64, int64_t)
    KK_TOPK_CASE(KK_U64, u64, uint64_t)
    default:
        return -1;
    }
#undef KK_TOPK_CASE
}

/* ------------------------------------------------------ NonMaxSuppression */

/* A box as onnxruntime normalizes it before comparing: min/max corners and
 * the area (width * height as given, for center boxes). */
typedef struct kk_nms_box {
    float y0, x0, y1, x1;   /* y0 <= y1 and x0 <= x1 for corner boxes */
    float area;
} kk_nms_box;

KK_API void kk_nms_load(kk_nms_box *b, const float *p, int center_point_box)
{
    if (center_point_box == 0) {
        /* [y1, x1, y2, x2], the corners in either order */
        if (p[1] >= p[3]) { b->x0 = p[3]; b->x1 = p[1]; } else { b->x0 = p[1]; b->x1 = p[3]; }
        if (p[0] >= p[2]) { b->y0 = p[2]; b->y1 = p[0]; } else { b->y0 = p[0]; b->y1 = p[2]; }
        float dy = b->y1 - b->y0;
        float dx = b->x1 - b->x0;
        b->area = dy * dx;
    } else {
        /* [x_center, y_center, width, height] */
        float half_w = p[2] / 2;
        float half_h = p[3] / 2;
        b->area = p[2] * p[3];
        b->x0 = p[0] - half_w;
        b->x1 = p[0] + half_w;
        b->y0 = p[1] - half_h;
        b->y1 = p[1] + half_h;
    }
}

/* std::max / std::min exactly (the NaN behaviour follows from the operand order). */
KK_API float kk_nms_max(float a, float b) { return a < b ? b : a; }
KK_API float kk_nms_min(float a, float b) { return b < a ? b : a; }

/* Candidate c is suppressed by kept box k: IoU(c, k) > threshold. */
KK_API int kk_nms_suppress(const kk_nms_box *c, const kk_nms_box *k, float iou_threshold)
{
    float ix0 = kk_nms_max(c->x0, k->x0);
    float ix1 = kk_nms_min(c->x1, k->x1);
    if (ix1 <= ix0)
        return 0;
    float iy0 = kk_nms_max(c->y0, k->y0);
    float iy1 = kk_nms_min(c->y1, k->y1);
    if (iy1 <= iy0)
        return 0;
    float iw = ix1 - ix0;
    float ih = iy1 - iy0;
    float inter = iw * ih;
    if (inter <= 0.0f)
        return 0;
    float uni = c->area + k->area - inter;
    float iou = inter / uni;
    return iou > iou_threshold;
}

/* Score order: higher first, equal scores by box index, NaN last. */
KK_API int kk_nms_before(const void *ctx, int64_t a, int64_t b)
{
    const float *s = (const float *)ctx;
    float sa = s[a], sb = s[b];
    int na = isnan(sa), nb = isnan(sb);
    if (na || nb)
        return na && nb ? a < b : nb;
    if (sa < sb || sb < sa)
        return sb < sa;
    return a < b;
}

KK_API void kk_nms_f32(const float *boxes, const float *scores, const int64_t *max_boxes,
                       const float *iou_threshold, const float *score_threshold,
                       int center_point_box, int64_t batches, int64_t classes, int64_t nboxes,
                       int64_t cap, int64_t *selected, int64_t *count)
{
    int64_t total = batches * classes * cap;       /* rows in selected */
    int64_t limit = max_boxes && *max_boxes > 0 ? *max_boxes : 0;
    float iou = iou_threshold ? *iou_threshold : 0.0f;
    int64_t rows = 0;

    if (limit > cap)
        limit = cap;
    if (limit > nboxes)
        limit = nboxes;
    for (int64_t b = 0; b < batches && limit > 0; b++) {
        const float *bb = boxes + b * nboxes * 4;
        for (int64_t c = 0; c < classes; c++) {
            const float *sc = scores + (b * classes + c) * nboxes;
            /* Scratch in the unwritten tail of selected, starting at this
             * class's first row: the kept box indices in the first `limit`
             * slots, then a heap of the next candidates. Earlier classes used
             * at most `cap` rows each, so at least 3 * cap slots are free and
             * the heap holds at least 2 * limit candidates. */
            int64_t *kept = selected + rows * 3;
            int64_t *heap = kept + limit;
            int64_t heap_cap = (total - rows) * 3 - limit;
            int64_t nkept = 0, last = -1;
            while (nkept < limit) {
                /* the heap_cap best candidates ranked after `last` */
                int64_t h = 0;
                for (int64_t i = 0; i < nboxes; i++) {
                    if (score_threshold && !(sc[i] > *score_threshold))
                        continue;
                    if (last >= 0 && !kk_nms_before(sc, last, i))
                        continue;
                    kk_det_heap_offer(heap, 1, &h, heap_cap, i, kk_nms_before, sc);
                }
                kk_det_heap_sort(heap, 1, h, kk_nms_before, sc);
                for (int64_t j = 0; j < h && nkept < limit; j++) {
                    kk_nms_box cand, prev;
                    int keep = 1;
                    kk_nms_load(&cand, bb + heap[j] * 4, center_point_box);
                    for (int64_t m = 0; m < nkept && keep; m++) {
                        kk_nms_load(&prev, bb + kept[m] * 4, center_point_box);
                        keep = !kk_nms_suppress(&cand, &prev, iou);
                    }
                    if (keep)
                        kept[nkept++] = heap[j];
                }
                if (h < heap_cap)
                    break;              /* every candidate has been visited */
                last = heap[h - 1];
            }
            /* Spread the compact list into [batch, class, box] rows, last
             * first: row j's slots (3j..3j+2) only cover list entries >= j. */
            for (int64_t j = nkept - 1; j >= 0; j--) {
                int64_t box = kept[j];
                kept[3 * j] = b;
                kept[3 * j + 1] = c;
                kept[3 * j + 2] = box;
            }
            rows += nkept;
        }
    }
    for (int64_t i = rows * 3; i < total * 3; i++)
        selected[i] = -1;
    *count = rows;
}

/* --------------------------------------------------------------- RoiAlign */

/* The grid side for sampling_ratio 0: ceil(bin extent), kept in range so the
 * conversion is defined (NaN and negative extents sample nothing). */
#define KK_ROIALIGN_GRID(SFX, T)                                                      \
KK_API int64_t kk_roialign_grid_##SFX(T bin)                                         \
{                                                                                    \
    T g = (T)ceil((double)bin);                                                      \
    if (!(g > 0))                                                                    \
        return 0;                                                                    \
    return g > (T)INT32_MAX ? (int64_t)INT32_MAX : (int64_t)g;                       \
}

/* One output bin at a time: every sample's four corner positions and
 * weights are computed once and applied to all channels, in the sample order
 * onnxruntime accumulates them. */
#define KK_ROIALIGN_DEF(SFX, T)                                                       \
KK_ROIALIGN_GRID(SFX, T)                                                             \
KK_API void kk_roialign_##SFX(int mode_max, int half_pixel, const T *x, const T *rois, \
                              const int64_t *batch_indices, T *y, int64_t n, int64_t c, \
                              int64_t h, int64_t w, int64_t nrois, int64_t out_h,    \
                              int64_t out_w, int64_t sampling_ratio, float spatial_scale) \
{                                                                                    \
    int64_t plane = out_h * out_w;                                                   \
    for (int64_t r = 0; r < nrois; r++) {                                            \
        T *yr = y + r * c * plane;                                                   \
        int64_t bi = batch_indices[r];                                               \
        if (bi < 0 || bi >= n || h <= 0 || w <= 0) {                                 \
            for (int64_t i = 0; i < c * plane; i++)                                  \
                yr[i] = 0;                                                           \
            continue;                                                                \
        }                                                                            \
        const T *xb = x + bi * c * h * w;                                            \
        const T *roi = rois + r * 4;                                                 \
        T off = half_pixel ? (T)0.5 : (T)0;                                          \
        T scale = (T)spatial_scale;                                                  \
        T start_w = roi[0] * scale - off;                                            \
        T start_h = roi[1] * scale - off;                                            \
        T end_w = roi[2] * scale - off;                                              \
        T end_h = roi[3] * scale - off;                                              \
        T roi_w = end_w - start_w, roi_h = end_h - start_h;                          \
        if (!half_pixel) { /* malformed rois become 1x1 */                           \
            roi_w = roi_w < (T)1 ? (T)1 : roi_w;                                     \
            roi_h = roi_h < (T)1 ? (T)1 : roi_h;                                     \
        }                                                                            \
        T bin_h = roi_h / (T)out_h, bin_w = roi_w / (T)out_w;                        \
        int64_t grid_h = sampling_ratio > 0 ? sampling_ratio : kk_roialign_grid_##SFX(bin_h); \
        int64_t grid_w = sampling_ratio > 0 ? sampling_ratio : kk_roialign_grid_##SFX(bin_w); \
        int64_t cnt = grid_h * grid_w > 1 ? grid_h * grid_w : 1;                     \
        for (int64_t ph = 0; ph < out_h; ph++)                                       \
            for (int64_t pw = 0; pw < out_w; pw++) {                                 \
                T *yo = yr + ph * out_w + pw;                                        \
                for (int64_t ch = 0; ch < c; ch++)                                   \
                    yo[ch * plane] = 0;                                              \
                int first = 1;                                                       \
                for (int64_t iy = 0; iy < grid_h; iy++) {                            \
                    T yy = start_h + (T)ph * bin_h                                   \
                           + (T)((float)iy + .5f) * bin_h / (T)grid_h;               \
                    for (int64_t ix = 0; ix < grid_w; ix++) {                        \
                        T xx = start_w + (T)pw * bin_w                               \
                               + (T)((float)ix + .5f) * bin_w / (T)grid_w;           \
                        T sy = yy, sx = xx;                                          \
                        int64_t p1 = 0, p2 = 0, p3 = 0, p4 = 0;                      \
                        T w1 = 0, w2 = 0, w3 = 0, w4 = 0;                            \
                        /* outside [-1, extent] (or NaN): a zero-weight sample */    \
                        if (sy >= (T)-1 && sy <= (T)h && sx >= (T)-1 && sx <= (T)w) { \
                            if (sy <= 0) sy = 0;                                     \
                            if (sx <= 0) sx = 0;                                     \
                            int64_t y_lo = (int64_t)sy, x_lo = (int64_t)sx, y_hi, x_hi; \
                            if (y_lo >= h - 1) { y_hi = y_lo = h - 1; sy = (T)y_lo; } \
                            else y_hi = y_lo + 1;                                    \
                            if (x_lo >= w - 1) { x_hi = x_lo = w - 1; sx = (T)x_lo; } \
                            else x_hi = x_lo + 1;                                    \
                            T ly = sy - (T)y_lo, lx = sx - (T)x_lo;                  \
                            T hy = (T)1 - ly, hx = (T)1 - lx;                        \
                            w1 = hy * hx; w2 = hy * lx; w3 = ly * hx; w4 = ly * lx;  \
                            p1 = y_lo * w + x_lo; p2 = y_lo * w + x_hi;              \
                            p3 = y_hi * w + x_lo; p4 = y_hi * w + x_hi;              \
                        }                                                            \
                        for (int64_t ch = 0; ch < c; ch++) {                         \
                            const T *xc = xb + ch * h * w;                           \
                            T *o = yo + ch * plane;                                  \
                            T t1 = w1 * xc[p1], t2 = w2 * xc[p2];                    \
                            T t3 = w3 * xc[p3], t4 = w4 * xc[p4];                    \
                            if (mode_max) {                                          \
                                T v = t1 < t2 ? t2 : t1;                             \
                                v = v < t3 ? t3 : v;                                 \
                                v = v < t4 ? t4 : v;                                 \
                                *o = first ? v : (*o < v ? v : *o);                  \
                            } else {                                                 \
                                T s = t1 + t2;                                       \
                                s = s + t3;                                          \
                                s = s + t4;                                          \
                                *o += s;                                             \
                            }                                                        \
                        }                                                            \
                        first = 0;                                                   \
                    }                                                                \
                }                                                                    \
                if (!mode_max)                                                       \
                    for (int64_t ch = 0; ch < c; ch++)                               \
                        yo[ch * plane] /= (T)cnt;                                    \
            }                                                                        \
    }                                                                                \
}

KK_ROIALIGN_DEF(f32, float)
KK_ROIALIGN_DEF(f64, double)

KK_API int kk_roialign(int dtype, int mode_max, int half_pixel, const void *x, const void *rois,
                       const int64_t *batch_indices, void *y, int64_t n, int64_t c, int64_t h,
                       int64_t w, int64_t nrois, int64_t out_h, int64_t out_w,
                       int64_t sampling_ratio, float spatial_scale)
{
    if (out_h <= 0 || out_w <= 0)
        return -1;
    if (dtype == KK_F32)
        kk_roialign_f32(mode_max, half_pixel, (const float *)x, (const float *)rois, batch_indices,
                        (float *)y, n, c, h, w, nrois, out_h, out_w, sampling_ratio, spatial_scale);
    else if (dtype == KK_F64)
        kk_roialign_f64(mode_max, half_pixel, (const double *)x, (const double *)rois, batch_indices,
                        (double *)y, n, c, h, w, nrois, out_h, out_w, sampling_ratio, spatial_scale);
    else
        return -1;
    return 0;
}

/* ------------------------------------------------------------- MaxRoiPool */

/* A rounded or truncated coordinate as an integer, clamped so the
 * conversion is defined for any input (NaN becomes 0). */
KK_API int64_t kk_roipool_int(double v)
{
    if (!(v > (double)INT32_MIN))
        return isnan(v) ? 0 : (int64_t)INT32_MIN;
    return v > (double)INT32_MAX ? (int64_t)INT32_MAX : (int64_t)v;
}

KK_API int64_t kk_roipool_clamp(int64_t v, int64_t hi) { return v < 0 ? 0 : v > hi ? hi : v; }

#define KK_MAXROIPOOL_DEF(SFX, T, ROUND, FLOOR, CEIL)                                 \
KK_API void kk_maxroipool_##SFX(const T *x, const T *rois, T *y, int64_t n, int64_t c, \
                                int64_t h, int64_t w, int64_t nrois, int64_t out_h,  \
                                int64_t out_w, float spatial_scale)                  \
{                                                                                    \
    int64_t plane = out_h * out_w;                                                   \
    T scale = (T)spatial_scale;                                                      \
    for (int64_t r = 0; r < nrois; r++) {                                            \
        const T *roi = rois + r * 5;                                                 \
        T *yr = y + r * c * plane;                                                   \
        int64_t bi = kk_roipool_int((double)roi[0]);                                 \
        if (bi < 0 || bi >= n) {                                                     \
            for (int64_t i = 0; i < c * plane; i++)                                  \
                yr[i] = 0;                                                           \
            continue;                                                                \
        }                                                                            \
        int64_t sw = kk_roipool_int((double)ROUND(roi[1] * scale));                  \
        int64_t sh = kk_roipool_int((double)ROUND(roi[2] * scale));                  \
        int64_t ew = kk_roipool_int((double)ROUND(roi[3] * scale));                  \
        int64_t eh = kk_roipool_int((double)ROUND(roi[4] * scale));                  \
        int64_t rh = eh - sh + 1 > 1 ? eh - sh + 1 : 1;                              \
        int64_t rw = ew - sw + 1 > 1 ? ew - sw + 1 : 1;                              \
        T bin_h = (T)rh / (T)out_h, bin_w = (T)rw / (T)out_w;                        \
        for (int64_t ph = 0; ph < out_h; ph++)                                       \
            for (int64_t pw = 0; pw < out_w; pw++) {                                 \
                int64_t h0 = kk_roipool_int((double)FLOOR((T)ph * bin_h));           \
                int64_t w0 = kk_roipool_int((double)FLOOR((T)pw * bin_w));           \
                int64_t h1 = kk_roipool_int((double)CEIL((T)(ph + 1) * bin_h));      \
                int64_t w1 = kk_roipool_int((double)CEIL((T)(pw + 1) * bin_w));      \
                h0 = kk_roipool_clamp(h0 + sh, h);                                   \
                h1 = kk_roipool_clamp(h1 + sh, h);                                   \
                w0 = kk_roipool_clamp(w0 + sw, w);                                   \
                w1 = kk_roipool_clamp(w1 + sw, w);                                   \
                for (int64_t ch = 0; ch < c; ch++) {                                 \
                    const T *xc = x + (bi * c + ch) * h * w;                         \
                    T m = 0;                                                         \
                    if (h1 > h0 && w1 > w0) {                                        \
                        m = xc[h0 * w + w0];                                         \
                        for (int64_t i = h0; i < h1; i++)                            \
                            for (int64_t j = w0; j < w1; j++) {                      \
                                T v = xc[i * w + j];                                 \
                                if (v > m || isnan(v))                               \
                                    m = v;                                           \
                            }                                                        \
                    }                                                                \
                    yr[ch * plane + ph * out_w + pw] = m;                            \
                }                                                                    \
            }                                                                        \
    }                                                                                \
}

KK_MAXROIPOOL_DEF(f32, float, roundf, floorf, ceilf)
KK_MAXROIPOOL_DEF(f64, double, round, floor, ceil)

KK_API int kk_maxroipool(int dtype, const void *x, const void *rois, void *y, int64_t n,
                         int64_t c, int64_t h, int64_t w, int64_t nrois, int64_t out_h,
                         int64_t out_w, float spatial_scale)
{
    if (out_h <= 0 || out_w <= 0)
        return -1;
    if (dtype == KK_F32)
        kk_maxroipool_f32((const float *)x, (const float *)rois, (float *)y, n, c, h, w, nrois,
                          out_h, out_w, spatial_scale);
    else if (dtype == KK_F64)
        kk_maxroipool_f64((const double *)x, (const double *)rois, (double *)y, n, c, h, w, nrois,
                          out_h, out_w, spatial_scale);
    else
        return -1;
    return 0;
}
