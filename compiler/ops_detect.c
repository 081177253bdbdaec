/*
 * ops_detect.c - the detect family of the ops table: TopK,
 * NonMaxSuppression, RoiAlign and MaxRoiPool (the ops of detection heads).
 *
 * Pipeline position: parse and infer run in ir_infer (raw attributes ->
 * n->a.detect, output shapes); exec is called by constant folding; emit by
 * the C backend. exec and the generated code call the same kernels
 * (kernels/ref/detect.c), so folded constants equal run-time results.
 *
 * Opset differences handled here:
 *   TopK              1: k is an attribute; 10: k is input 1 (a compile-time
 *                     constant: it sets the output shape); 11: largest, sorted.
 *   NonMaxSuppression 10 and 11 compute the same thing. Its output has a
 *                     data-dependent number of rows: infer reserves the most
 *                     it can hold and adds the hidden count output.
 *   RoiAlign          10: no coordinate_transformation_mode (the old
 *                     "output_half_pixel" behaviour); 16: the attribute,
 *                     defaulting to "half_pixel".
 *   MaxRoiPool        1 (22 only widens the type list).
 */
#include <inttypes.h>
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

static const Value *input(const Node *n, int k)
{
    return k < n->ninputs ? n->inputs[k] : NULL;
}

/* ------------------------------------------------------------------- parse */

static int parse_topk(Graph *g, Node *n, DetectAttrs *a, int opset, Diag *d)
{
    int err = 0;
    int64_t axis = attr_int(g, n, "axis", -1, d, &err);
    if (err)
        return -1;
    if (axis < -KILN_MAX_RANK || axis >= KILN_MAX_RANK)
        return diag_error(d, n, "attribute axis=%" PRId64 " is out of range", axis);
    a->axis = (int)axis;
    a->largest = 1;
    a->sorted = 1;
    if (opset >= 11) {
        a->largest = attr_int(g, n, "largest", 1, d, &err) != 0;
        a->sorted = attr_int(g, n, "sorted", 1, d, &err) != 0;
        if (err)
            return -1;
    }
    if (opset < 10) {
        if (!ir_attr_find(n, "k"))
            return diag_error(d, n, "attribute 'k' is required before opset 10");
        a->k = attr_int(g, n, "k", 0, d, &err);
        if (err)
            return -1;
        if (input(n, 1))
            return diag_error(d, n, "input 1 (K) is only allowed from opset 10; this node has opset %d", opset);
    } else if (ir_attr_find(n, "k")) {
        return diag_error(d, n, "attribute 'k' is not allowed from opset 10 (K is input 1)");
    }
    return 0;
}

static int parse_nms(Graph *g, Node *n, DetectAttrs *a, Diag *d)
{
    int err = 0;
    int64_t c = attr_int(g, n, "center_point_box", 0, d, &err);
    if (err)
        return -1;
    if (c != 0 && c != 1)
        return diag_error(d, n, "unsupported attribute value center_point_box=%" PRId64 " (0 or 1)", c);
    a->center_point_box = (int)c;
    return 0;
}

static int parse_roialign(Graph *g, Node *n, DetectAttrs *a, int opset, Diag *d)
{
    int err = 0;
    const char *mode = attr_string(g, n, "mode", "avg", d, &err);
    a->out_h = attr_int(g, n, "output_height", 1, d, &err);
    a->out_w = attr_int(g, n, "output_width", 1, d, &err);
    a->sampling_ratio = attr_int(g, n, "sampling_ratio", 0, d, &err);
    a->spatial_scale = (float)attr_float(g, n, "spatial_scale", 1.0, d, &err);
    const char *ctm = NULL;
    if (opset >= 16)
        ctm = attr_string(g, n, "coordinate_transformation_mode", "half_pixel", d, &err);
    else if (ir_attr_find(n, "coordinate_transformation_mode"))
        return diag_error(d, n, "attribute 'coordinate_transformation_mode' is only allowed from opset 16; "
                          "this node has opset %d", opset);
    if (err)
        return -1;
    if (strcmp(mode, "avg") == 0)
        a->mode_max = 0;
    else if (strcmp(mode, "max") == 0)
        a->mode_max = 1;
    else
        return diag_error(d, n, "unsupported attribute value mode='%s' (avg or max)", mode);
    if (!ctm || strcmp(ctm, "output_half_pixel") == 0)
        a->half_pixel = 0;
    else if (strcmp(ctm, "half_pixel") == 0)
        a->half_pixel = 1;
    else
        return diag_error(d, n, "unsupported attribute value coordinate_transformation_mode='%s' "
                          "(half_pixel or output_half_pixel)", ctm);
    if (a->out_h <= 0 || a->out_w <= 0)
        return diag_error(d, n, "output_height and output_width must be positive, not %" PRId64 " and %" PRId64,
                          a->out_h, a->out_w);
    if (a->sampling_ratio < 0)
        return diag_error(d, n, "sampling_ratio must be >= 0, not %" PRId64, a->sampling_ratio);
    return 0;
}

static int parse_maxroipool(Graph *g, Node *n, DetectAttrs *a, Diag *d)
{
    int err = 0;
    int64_t shape[3];
    int cnt = attr_ints(g, n, "pooled_shape", shape, 3, d, &err);
    a->spatial_scale = (float)attr_float(g, n, "spatial_scale", 1.0, d, &err);
    if (err)
        return -1;
    if (cnt < 0)
        return diag_error(d, n, "attribute 'pooled_shape' is required");
    if (cnt != 2)
        return diag_error(d, n, "attribute 'pooled_shape' must have 2 values (height, width), not %d", cnt);
    if (shape[0] <= 0 || shape[1] <= 0)
        return diag_error(d, n, "pooled_shape values must be positive, not [%" PRId64 ", %" PRId64 "]",
                          shape[0], shape[1]);
    a->out_h = shape[0];
    a->out_w = shape[1];
    return 0;
}

int detect_parse(Graph *g, Node *n, Diag *d)
{
    DetectAttrs *a = &n->a.detect;
    int opset = n->opset;

    memset(a, 0, sizeof *a);
    switch (n->op) {
    case OP_TOP_K:               return parse_topk(g, n, a, opset, d);
    case OP_NON_MAX_SUPPRESSION: return parse_nms(g, n, a, d);
    case OP_ROI_ALIGN:           return parse_roialign(g, n, a, opset, d);
    case OP_MAX_ROI_POOL:        return parse_maxroipool(g, n, a, d);
    default:
        return diag_internal(d, "detect_parse called for op %s", op_name(n->op));
    }
}

/* ------------------------------------------------------------------- infer */

/* Input k must be present with rank `rank`; dtype checked by the caller. */
static int require_rank(const Node *n, int k, const char *what, int rank, Diag *d)
{
    const Value *v = input(n, k);
    if (!v)
        return diag_error(d, n, "input %d (%s) is required", k, what);
    if (v->rank != rank)
        return diag_error(d, n, "input %d (%s) must have rank %d, not %d", k, what, rank, v->rank);
    return 0;
}

static int unsupported_dtype(const Node *n, int k, Diag *d)
{
    const Value *v = input(n, k);
    return diag_error(d, n, "unsupported dtype %s for input %d ('%s')", dtype_name(v->dtype), k, v->name);
}

static int infer_topk(Node *n, DetectAttrs *a, int opset, Diag *d)
{
    const Value *x = input(n, 0);
    int64_t dims[KILN_MAX_RANK];

    if (!x)
        return diag_error(d, n, "input 0 is required");
    if (!dtype_kk_const(x->dtype, false))
        return unsupported_dtype(n, 0, d);
    if (x->rank < 1)
        return diag_error(d, n, "input 0 must have rank >= 1, not a scalar");
    if (norm_axis(n, a->axis, x->rank, &a->axis, d))
        return -1;
    if (opset >= 10) {
        const Value *kv = input(n, 1);
        if (!kv)
            return diag_error(d, n, "input 1 (K) is required from opset 10");
        if (kv->dtype != DT_I64)
            return diag_error(d, n, "input 1 (K) must be int64, not %s", dtype_name(kv->dtype));
        int64_t k[2];
        int cnt = const_ints(n, 1, k, 2, d);
        if (cnt < 0)
            return -1;
        if (cnt != 1)
            return diag_error(d, n, "input 1 (K) must hold exactly one value, not %d", cnt);
        a->k = k[0];
    }
    int64_t extent = x->dims[a->axis];
    if (a->k < 0 || a->k > extent)
        return diag_error(d, n, "k=%" PRId64 " is outside [0, %" PRId64 "], the extent of axis %d",
                          a->k, extent, a->axis);
    if (n->noutputs < 2 || !n->outputs[0] || !n->outputs[1])
        return diag_error(d, n, "both outputs (Values, Indices) are required");
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
    dims[a->axis] = a->k;
    if (set_output(n, 0, x->dtype, x->rank, dims, d))
        return -1;
    return set_output(n, 1, DT_I64, x->rank, dims, d);
}

/* A scalar-like threshold input: absent, or one element of `want`. */
static int check_scalar_input(const Node *n, int k, const char *what, DType want, Diag *d)
{
    const Value *v = input(n, k);
    if (!v)
        return 0;
    if (v->dtype != want)
        return diag_error(d, n, "input %d (%s) must be %s, not %s", k, what, dtype_name(want),
                          dtype_name(v->dtype));
    if (value_numel(v) != 1)
        return diag_error(d, n, "input %d (%s) must hold exactly one value, not %" PRId64, k, what,
                          value_numel(v));
    return 0;
}

static int infer_nms(Graph *g, Node *n, DetectAttrs *a, Diag *d)
{
    const Value *boxes = input(n, 0), *scores = input(n, 1), *maxv = input(n, 2);

    if (require_rank(n, 0, "boxes", 3, d) || require_rank(n, 1, "scores", 3, d))
        return -1;
    if (boxes->dtype != DT_F32)
        return unsupported_dtype(n, 0, d);
    if (scores->dtype != DT_F32)
        return unsupported_dtype(n, 1, d);
    if (boxes->dims[2] != 4)
        return diag_error(d, n, "input 0 (boxes) must have 4 values per box, not %" PRId64, boxes->dims[2]);
    if (scores->dims[0] != boxes->dims[0] || scores->dims[2] != boxes->dims[1])
        return diag_error(d, n, "boxes [%" PRId64 ", %" PRId64 ", 4] and scores [%" PRId64 ", %" PRId64
                          ", %" PRId64 "] disagree on the batch or box count",
                          boxes->dims[0], boxes->dims[1], scores->dims[0], scores->dims[1], scores->dims[2]);
    if (check_scalar_input(n, 2, "max_output_boxes_per_class", DT_I64, d) ||
        check_scalar_input(n, 3, "iou_threshold", DT_F32, d) ||
        check_scalar_input(n, 4, "score_threshold", DT_F32, d))
        return -1;

    /* Rows one (batch, class) can contribute: none without the input, the
     * constant limit when known, otherwise every box. */
    int64_t nb = boxes->dims[1], cap = 0;
    if (maxv && maxv->kind == VK_CONST && maxv->data) {
        int64_t m = *(const int64_t *)maxv->data;
        cap = m < 0 ? 0 : m < nb ? m : nb;
    } else if (maxv) {
        cap = nb;
    }
    a->per_class_cap = cap;
    int64_t rows = boxes->dims[0] * scores->dims[1];
    if (cap > 0 && rows > INT64_MAX / 3 / cap)
        return diag_error(d, n, "unsupported: selected_indices would have more than 2^63 elements");
    int64_t dims[2] = {rows * cap, 3};
    if (set_output(n, 0, DT_I64, 2, dims, d))
        return -1;
    return ir_add_count_output(g, n, 0, 0, d);
}

/* RoiAlign and MaxRoiPool: x [N, C, H, W], rois [R, cols] of x's dtype. */
static int infer_roi(Node *n, DetectAttrs *a, int cols, Diag *d)
{
    const Value *x = input(n, 0), *rois = input(n, 1);

    if (require_rank(n, 0, "X", 4, d) || require_rank(n, 1, "rois", 2, d))
        return -1;
    if (x->dtype != DT_F32 && x->dtype != DT_F64)
        return unsupported_dtype(n, 0, d);
    if (rois->dtype != x->dtype)
        return diag_error(d, n, "input 1 (rois) must have X's dtype %s, not %s", dtype_name(x->dtype),
                          dtype_name(rois->dtype));
    if (rois->dims[1] != cols)
        return diag_error(d, n, "input 1 (rois) must have %d values per roi, not %" PRId64, cols, rois->dims[1]);
    if (n->op == OP_ROI_ALIGN) {
        const Value *bi = input(n, 2);
        if (require_rank(n, 2, "batch_indices", 1, d))
            return -1;
        if (bi->dtype != DT_I64)
            return unsupported_dtype(n, 2, d);
        if (bi->dims[0] != rois->dims[0])
            return diag_error(d, n, "batch_indices has %" PRId64 " entries but rois has %" PRId64 " rows",
                              bi->dims[0], rois->dims[0]);
    }
    int64_t dims[4] = {rois->dims[0], x->dims[1], a->out_h, a->out_w};
    return set_output(n, 0, x->dtype, 4, dims, d);
}

int detect_infer(Graph *g, Node *n, Diag *d)
{
    DetectAttrs *a = &n->a.detect;
    switch (n->op) {
    case OP_TOP_K:               return infer_topk(n, a, n->opset, d);
    case OP_NON_MAX_SUPPRESSION: return infer_nms(g, n, a, d);
    case OP_ROI_ALIGN:           return infer_roi(n, a, 4, d);
    case OP_MAX_ROI_POOL:        return infer_roi(n, a, 5, d);
    default:
        return diag_internal(d, "detect_infer called for op %s", op_name(n->op));
    }
}

/* ------------------------------------------------------- exec and emit */

/* x viewed as [outer, mid, inner] around TopK's axis. */
typedef struct Split3 { int64_t outer, mid, inner; } Split3;

static Split3 split_at_axis(const Value *x, int axis)
{
    Split3 s = {1, 1, 1};
    for (int k = 0; k < x->rank; k++) {
        if (k < axis)
            s.outer *= x->dims[k];
        else if (k == axis)
            s.mid = x->dims[k];
        else
            s.inner *= x->dims[k];
    }
    return s;
}

/* The slot of NonMaxSuppression's hidden count output, or -1. */
static int count_slot(const Node *n)
{
    const Value *v = n->outputs[0];
    for (int j = 1; v && v->count && j < n->noutputs; j++)
        if (n->outputs[j] == v->count)
            return j;
    return -1;
}

int detect_exec(const Node *n, const void *const *in, void *const *out, Diag *d)
{
    const DetectAttrs *a = &n->a.detect;
    const Value *x = n->inputs[0];
    int rc = 0;

    switch (n->op) {
    case OP_TOP_K: {
        Split3 s = split_at_axis(x, a->axis);
        rc = kk_topk((int)x->dtype, a->largest, in[0], out[0], (int64_t *)out[1], s.outer, s.mid, s.inner, a->k);
        break;
    }
    case OP_NON_MAX_SUPPRESSION: {
        int cs = count_slot(n);
        if (cs < 0)
            return diag_internal(d, "node '%s': NonMaxSuppression count output missing", n->name);
        const Value *sc = n->inputs[1];
        kk_nms_f32(in[0], in[1], n->ninputs > 2 ? in[2] : NULL, n->ninputs > 3 ? in[3] : NULL,
                   n->ninputs > 4 ? in[4] : NULL, a->center_point_box, x->dims[0], sc->dims[1], x->dims[1],
                   a->per_class_cap, out[0], out[cs]);
        break;
    }
    case OP_ROI_ALIGN: {
        const Value *rois = n->inputs[1];
        rc = kk_roialign((int)x->dtype, a->mode_max, a->half_pixel, in[0], in[1], in[2], out[0], x->dims[0],
                         x->dims[1], x->dims[2], x->dims[3], rois->dims[0], a->out_h, a->out_w,
                         a->sampling_ratio, a->spatial_scale);
        break;
    }
    case OP_MAX_ROI_POOL: {
        const Value *rois = n->inputs[1];
        rc = kk_maxroipool((int)x->dtype, in[0], in[1], out[0], x->dims[0], x->dims[1], x->dims[2], x->dims[3],
                           rois->dims[0], a->out_h, a->out_w, a->spatial_scale);
        break;
    }
    default:
        return diag_internal(d, "detect_exec called for op %s", op_name(n->op));
    }
    if (rc)
        return diag_internal(d, "detect kernel rejected node '%s' (%s, dtype %s)", n->name, op_name(n->op),
                             dtype_name(x->dtype));
    return 0;
}

/* An optional input's C expression, or NULL. */
static const char *opt(const Node *n, const char *const *in, int k)
{
    return k < n->ninputs && n->inputs[k] && in[k] ? in[k] : "NULL";
}

int detect_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out, Diag *d)
{
    const DetectAttrs *a = &n->a.detect;
    const Value *x = n->inputs[0];
    const char *dt = dtype_kk_const(x->dtype, false);

    if (!dt)
        return diag_internal(d, "detect_emit: cannot emit node '%s' (%s)", n->name, op_name(n->op));
    emit_use(e, KKF_DETECT);
    switch (n->op) {
    case OP_TOP_K: {
        Split3 s = split_at_axis(x, a->axis);
        emit(e, "kk_topk(%s, %d, %s, %s, %s, %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ");\n",
             dt, a->largest, in[0], out[0], out[1], s.outer, s.mid, s.inner, a->k);
        return 0;
    }
    case OP_NON_MAX_SUPPRESSION: {
        int cs = count_slot(n);
        if (cs < 0)
            return diag_internal(d, "node '%s': NonMaxSuppression count output missing", n->name);
        const Value *sc = n->inputs[1];
        emit(e, "kk_nms_f32(%s, %s, %s, %s, %s, %d, %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %s);\n",
             in[0], in[1], opt(n, in, 2), opt(n, in, 3), opt(n, in, 4), a->center_point_box, x->dims[0],
             sc->dims[1], x->dims[1], a->per_class_cap, out[0], out[cs]);
        return 0;
    }
    case OP_ROI_ALIGN:
        emit(e, "kk_roialign(%s, %d, %d, %s, %s, %s, %s, %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
             ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", ",
             dt, a->mode_max, a->half_pixel, in[0], in[1], in[2], out[0], x->dims[0], x->dims[1], x->dims[2],
             x->dims[3], n->inputs[1]->dims[0], a->out_h, a->out_w, a->sampling_ratio);
        emit_float(e, a->spatial_scale);
        emit(e, ");\n");
        return 0;
    case OP_MAX_ROI_POOL:
        emit(e, "kk_maxroipool(%s, %s, %s, %s, %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
             ", %" PRId64 ", %" PRId64 ", ",
             dt, in[0], in[1], out[0], x->dims[0], x->dims[1], x->dims[2], x->dims[3], n->inputs[1]->dims[0],
             a->out_h, a->out_w);
        emit_float(e, a->spatial_scale);
        emit(e, ");\n");
        return 0;
    default:
        return diag_internal(d, "detect_emit called for op %s", op_name(n->op));
    }
}
