/* attrs/detect.h - typed attributes of the detect family (ops_detect.c):
 * TopK, NonMaxSuppression, RoiAlign, MaxRoiPool. One flat struct; each op
 * uses its own fields and leaves the others zero. */
#ifndef KILN_ATTRS_DETECT_H
#define KILN_ATTRS_DETECT_H
#include <stdint.h>
typedef struct DetectAttrs {
    /* TopK */
    int64_t k;                /* elements kept: attribute `k` (opset 1, parse) or constant input K (infer) */
    int axis;                 /* as written (parse), normalized into [0, rank) by infer; default -1 */
    int largest;              /* 1: largest first (default), 0: smallest first (opset >= 11) */
    int sorted;               /* attribute as written; results are always sorted, which conforms */
    /* NonMaxSuppression */
    int center_point_box;     /* 0: boxes are [y1, x1, y2, x2]; 1: [x_center, y_center, width, height] */
    int64_t per_class_cap;    /* rows reserved per (batch, class): min(N, max_output_boxes_per_class)
                                 when that input is constant, N otherwise (infer) */
    /* RoiAlign (output_height/width) and MaxRoiPool (pooled_shape) */
    int64_t out_h, out_w;     /* pooled output extent */
    int64_t sampling_ratio;   /* RoiAlign: grid points per bin side; 0 = adaptive ceil(roi / out) */
    int mode_max;             /* RoiAlign: 1 for mode='max', 0 for 'avg' */
    int half_pixel;           /* RoiAlign: 1 for coordinate_transformation_mode='half_pixel' (opset >= 16 default) */
    float spatial_scale;      /* RoiAlign, MaxRoiPool: roi coordinate scale (default 1) */
} DetectAttrs;
#endif
