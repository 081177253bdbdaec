/* attrs/dense.h - typed attributes of the dense family (ops_dense.c):
 * ConvTranspose, Resize, Upsample, DepthToSpace, SpaceToDepth. */
#ifndef KILN_ATTRS_DENSE_H
#define KILN_ATTRS_DENSE_H
#include <stdint.h>

#define DENSE_MAX_RANK 8   /* equals KILN_MAX_RANK (Resize works on any rank) */

typedef struct DenseAttrs {
    /* ---- ConvTranspose: attribute values as read (parse) */
    int nkernel_attr;            /* kernel_shape / strides / dilations / pads / output_padding / */
    int nstrides_attr;           /*   output_shape counts from the attributes, 0 if absent; infer */
    int ndilations_attr;         /*   checks them against the spatial rank */
    int npads_attr;
    int nout_pad_attr;
    int nout_shape_attr;         /* nsp values, or nsp + 2 (N and C first, ignored) */
    int64_t kernel_attr[3];
    int64_t pads_attr[6];        /* begin[0..nsp), end[0..nsp) */
    int64_t out_pad[3];          /* output_padding; 0 when absent */
    int64_t out_shape_attr[5];
    int auto_pad;                /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
    int64_t group;               /* >= 1 */
    /* ---- ConvTranspose: resolved geometry (infer) */
    int nsp;                     /* spatial rank 1..3 */
    int64_t kernel[3];           /* from W */
    int64_t strides[3];          /* >= 1; 1 when absent */
    int64_t dilations[3];        /* >= 1; 1 when absent */
    int64_t pads[6];             /* >= 0, begin then end; from pads, auto_pad or output_shape */
    /* ---- ConvTranspose: kiln's raw attributes (parse), as on Conv (attrs/conv.h):
     * kiln_act / kiln_alpha / kiln_beta: y = act(convtranspose(...)), act a KK_UN_* code;
     * kiln_fast / kiln_pack / kiln_slots (passes/pack.c, float32): fast = KK_ISA_* panel
     * geometry, pack = W holds kk_fdeconv_pack_f32's layout (same shape and bytes, other
     * order), slots = worker scratch slots reserved in the arena (node->scratch). */
    int act;
    double act_alpha, act_beta;
    int fast, pack, slots;

    /* ---- DepthToSpace / SpaceToDepth (parse) */
    int64_t blocksize;           /* >= 1 */
    int crd;                     /* mode: 1 CRD (column, row, depth), 0 DCR (default) */

    /* ---- Resize / Upsample (parse); codes are kk_dense.h's KK_RESIZE_* */
    int mode;                    /* KK_RESIZE_NEAREST / _LINEAR / _CUBIC */
    int ctm;                     /* coordinate_transformation_mode, KK_RESIZE_CTM_* */
    int nearest_mode;            /* KK_RESIZE_NEAREST_* (SIMPLE before opset 11) */
    int exclude_outside;         /* 0 / 1 */
    int antialias;               /* 0 / 1 (opset 18) */
    int keep_aspect;             /* 0 stretch, 1 not_larger, 2 not_smaller (opset 18) */
    double cubic_a;              /* cubic_coeff_a, default -0.75 */
    double extrapolation;        /* extrapolation_value (tf_crop_and_resize), default 0 */
    int naxes_attr;              /* axes attribute count, 0 if absent (opset 18) */
    int64_t axes_attr[DENSE_MAX_RANK];
    int nscales_attr;            /* Upsample-7 'scales' attribute count, 0 if absent */
    double scales_attr[DENSE_MAX_RANK];
    /* ---- Resize / Upsample: resolved (infer) */
    double scales[DENSE_MAX_RANK];     /* per axis of X: the coordinate scale (1 on other axes) */
    int64_t roi_index[DENSE_MAX_RANK]; /* per axis: index of its start in roi, -1: none (0..1) */
    int64_t roi_half;                  /* roi holds roi_half starts then roi_half ends; 0: no roi used */
} DenseAttrs;
#endif
