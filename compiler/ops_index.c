/*
 * ops_index.c - the index family of ops.def (ops_index.def): Tile,
 * GatherElements, GatherND, ScatterND, ScatterElements (and its opset 9-10
 * name Scatter), CumSum, OneHot, Trilu, Size and NonZero. Four entry points
 * (index_parse / index_infer / index_exec / index_emit) switch on n->op.
 *
 * Pipeline position: parse runs once per node (frontend), infer whenever
 * shapes are (re)computed, exec when constant folding evaluates a node whose
 * inputs are all constant (calling the same kernels, kernels/ref/index.c,
 * as the generated code), emit when the C backend writes the node.
 *
 * Inputs that shape the output (Tile repeats, OneHot depth) or pick the
 * loop structure (CumSum axis) must be compile-time constants. Index
 * tensors, Trilu's k and OneHot's values stay runtime data: the kernels
 * wrap negative indices and bounds-check every index (gathers write zeros,
 * scatters skip the update, OneHot leaves the row at off_value); indices
 * that are constants are checked here and out-of-range ones rejected, as
 * the ONNX spec calls them an error. Size always folds (it reads only the
 * static shape, like Shape). NonZero's output extent depends on the data:
 * its column count is a capacity (the input's element count) and a hidden
 * count output carries the valid extent (ir_add_count_output).
 *
 * Shared helpers of the shape family (shape_check_data, shape_emit_dims,
 * shape_kk_code) come from ops_shape.h; kernels that copy or fill call the
 * shape family's kk_copy / kk_fill, so emitters also emit_use(KKF_SHAPE).
 */
#include <inttypes.h>
#include <string.h>

#include "kk.h"
#include "ops_shape.h"

/* ------------------------------------------------------------- helpers */

static const char *const reduction_names[] = { "none", "add", "mul", "max", "min" };
static const char *const reduction_codes[] = { "KK_SCATTER_NONE", "KK_SCATTER_ADD",
                                               "KK_SCATTER_MUL", "KK_SCATTER_MAX",
                                               "KK_SCATTER_MIN" };

/* Types the arithmetic kernels (kk_cumsum, scatter reductions) handle. */
static const DType arith_types[] = { DT_F32, DT_F64, DT_I8, DT_I16, DT_I32, DT_I64, DT_U8,
                                     DT_U16, DT_U32, DT_U64, DT_UNDEF };
/* Index tensors of the gather/scatter ops. */
static const DType index_types[] = { DT_I32, DT_I64, DT_UNDEF };
/* Types kk_index_at reads (OneHot indices and depth). */
static const DType any_index_types[] = { DT_F32, DT_F64, DT_I8, DT_I16, DT_I32, DT_I64, DT_U8,
                                         DT_U16, DT_U32, DT_U64, DT_UNDEF };

/* Product of dims[from..to) (1 when empty): the outer/inner extents the
 * kernels take instead of full shapes. */
static int64_t prod(const int64_t *dims, int from, int to)
{
    int64_t p = 1;
    for (int k = from; k < to; k++)
        p *= dims[k];
    return p;
}

/* Input k of a data movement op: any fixed-size type (shape family's
 * rule) except float16/bfloat16, which kiln does not support yet. */
static int check_data(const Node *n, int k, Diag *d)
{
    if (shape_check_data(n, k, d))
        return -1;
    if (n->inputs[k]->dtype == DT_F16 || n->inputs[k]->dtype == DT_BF16)
        return diag_error(d, n, "unsupported dtype %s for input %d ('%s')",
                          dtype_name(n->inputs[k]->dtype), k, n->inputs[k]->name);
    return 0;
}

/* Constant index tensor (input k) seen as tuples of m coordinates:
 * coordinate t must lie in [-dims[t], dims[t]). Runtime indices are left
 * to the kernel's bounds checks. */
static int check_const_indices(const Node *n, int k, int m, const int64_t *dims, Diag *d)
{
    const Value *iv = n->inputs[k];
    if (iv->kind != VK_CONST || iv->data == NULL || m <= 0)
        return 0;
    for (int64_t j = 0; j < value_numel(iv); j++) {
        const int64_t dim = dims[j % m], i = kk_index_at(iv->data, (int)iv->dtype, j);
        if (i < -dim || i >= dim)
            return diag_error(d, n, "index %" PRId64 " (element %" PRId64 " of input %d) out of "
                              "range [%" PRId64 ", %" PRId64 ")", i, j, k, -dim, dim);
    }
    return 0;
}

/* A scalar constant input of any integer or float type, as int64 (floats
 * truncate, as OneHot's depth asks). */
static int const_scalar(const Node *n, int k, int64_t *out, Diag *d)
{
    const Value *v = n->inputs[k];
    if (require_dtype(n, k, any_index_types, d))
        return -1;
    if (v->kind != VK_CONST || v->data == NULL)
        return diag_error(d, n, "input %d ('%s') must be a compile-time constant (it determines "
                          "an output shape); bind it with --freeze '%s'=FILE", k, v->name, v->name);
    if (value_numel(v) != 1)
        return diag_error(d, n, "input %d ('%s') must be a scalar, has %" PRId64 " elements", k,
                          v->name, value_numel(v));
    *out = kk_index_at(v->data, (int)v->dtype, 0);
    if (*out == INT64_MIN)
        return diag_error(d, n, "input %d ('%s') is not a finite integer value", k, v->name);
    return 0;
}

/* -------------------------------------------------------------- parsing */

/* Scatter `reduction` (opset 16: add, mul; opset 18: max, min) into the
 * kernel's KK_SCATTER_* code, which is its index in reduction_names. */
static int parse_reduction(Graph *g, Node *n, Diag *d, int *err)
{
    const char *r = attr_string(g, n, "reduction", "none", d, err);
    if (*err)
        return -1;
    for (int i = 0; i < 5; i++) {
        if (strcmp(r, reduction_names[i]) == 0) {
            n->a.index.reduction = i;
            return 0;
        }
    }
    *err = 1;
    return diag_error(d, n, "unsupported attribute value reduction='%s'", r);
}

int index_parse(Graph *g, Node *n, Diag *d)
{
    IndexAttrs *a = &n->a.index;
    int err = 0;
    memset(a, 0, sizeof *a);
    switch (n->op) {
    case OP_TILE:
        /* Tile-1 took (input, tiles, axis); from opset 6 (input, repeats). */
        if (n->opset >= 6 && n->ninputs != 2)
            return diag_error(d, n, "expects 2 inputs (input, repeats), got %d", n->ninputs);
        if (n->opset < 6 && n->ninputs != 3)
            return diag_error(d, n, "Tile-1 expects 3 inputs (input, tiles, axis), got %d",
                              n->ninputs);
        break;
    case OP_GATHER_ELEMENTS:
    case OP_SCATTER:
        a->axis_attr = attr_int(g, n, "axis", 0, d, &err);
        break;
    case OP_SCATTER_ELEMENTS:
        a->axis_attr = attr_int(g, n, "axis", 0, d, &err);
        if (!err)
            parse_reduction(g, n, d, &err);
        break;
    case OP_SCATTER_ND:
        parse_reduction(g, n, d, &err);
        break;
    case OP_GATHER_ND:
        a->batch_dims = attr_int(g, n, "batch_dims", 0, d, &err);
        break;
    case OP_CUMSUM:
        a->exclusive = attr_int(g, n, "exclusive", 0, d, &err) != 0;
        a->reverse = attr_int(g, n, "reverse", 0, d, &err) != 0;
        break;
    case OP_ONE_HOT:
        a->axis_attr = attr_int(g, n, "axis", -1, d, &err);
        break;
    case OP_TRILU:
        a->upper = attr_int(g, n, "upper", 1, d, &err) != 0;
        break;
    case OP_SIZE:
    case OP_NON_ZERO:
        break;
    default:
        return diag_internal(d, "index_parse called for %s", op_name(n->op));
    }
    return err ? -1 : 0;
}

/* ------------------------------------------------------------ inference */

static int infer_tile(Node *n, Diag *d)
{
    IndexAttrs *a = &n->a.index;
    const Value *x = n->inputs[0];
    int64_t reps[KILN_MAX_RANK], out[KILN_MAX_RANK];
    if (n->opset >= 6) {
        int nr = const_ints(n, 1, reps, KILN_MAX_RANK, d);
        if (nr < 0)
            return -1;
        if (nr != x->rank)
            return diag_error(d, n, "repeats has %d values, input has rank %d", nr, x->rank);
    } else {
        /* Tile-1: `tiles` copies along the one axis `axis`. */
        int64_t tiles, axis;
        int ax;
        if (const_scalar(n, 1, &tiles, d) || const_scalar(n, 2, &axis, d) ||
            norm_axis(n, axis, x->rank, &ax, d))
            return -1;
        for (int k = 0; k < x->rank; k++)
            reps[k] = k == ax ? tiles : 1;
    }
    for (int k = 0; k < x->rank; k++) {
        if (reps[k] < 0)
            return diag_error(d, n, "repeats[%d] = %" PRId64 " is negative", k, reps[k]);
        if (reps[k] > 0 && x->dims[k] > INT64_MAX / reps[k])
            return diag_error(d, n, "unsupported: output dim %d overflows (%" PRId64 " x %" PRId64
                              ")", k, x->dims[k], reps[k]);
        a->repeats[k] = reps[k];
        out[k] = x->dims[k] * reps[k];
    }
    return set_output(n, 0, x->dtype, x->rank, out, d);
}

/* GatherElements / ScatterElements / Scatter: indices (input 1) have the
 * data's rank and, off the axis, no larger dims. */
static int infer_elements(Node *n, Diag *d)
{
    IndexAttrs *a = &n->a.index;
    const Value *x = n->inputs[0], *iv = n->inputs[1];
    int ax;
    if (require_dtype(n, 1, index_types, d))
        return -1;
    if (x->rank == 0)
        return diag_error(d, n, "data must have rank >= 1");
    if (iv->rank != x->rank)
        return diag_error(d, n, "indices have rank %d, data has rank %d", iv->rank, x->rank);
    if (norm_axis(n, a->axis_attr, x->rank, &ax, d))
        return -1;
    a->axis = ax;
    /* Off the axis an index position addresses the data at the same
     * coordinate, so it must exist there (onnxruntime's rule; numpy's
     * take_along_axis would broadcast instead). */
    for (int k = 0; k < x->rank; k++)
        if (k != ax && iv->dims[k] > x->dims[k])
            return diag_error(d, n, "unsupported: indices dim %d (%" PRId64 ") is larger than "
                              "the data's (%" PRId64 ")", k, iv->dims[k], x->dims[k]);
    if (check_const_indices(n, 1, 1, &x->dims[ax], d))
        return -1;
    if (n->op != OP_GATHER_ELEMENTS) {
        const Value *u = n->inputs[2];
        if (check_data(n, 2, d))
            return -1;
        if (u->dtype != x->dtype)
            return diag_error(d, n, "updates have dtype %s, data has %s", dtype_name(u->dtype),
                              dtype_name(x->dtype));
        if (u->rank != iv->rank || memcmp(u->dims, iv->dims, sizeof(int64_t) * (size_t)u->rank))
            return diag_error(d, n, "updates must have the shape of indices");
        return set_output(n, 0, x->dtype, x->rank, x->dims, d);
    }
    return set_output(n, 0, x->dtype, iv->rank, iv->dims, d);
}

static int infer_gather_nd(Node *n, Diag *d)
{
    const Value *x = n->inputs[0], *iv = n->inputs[1];
    const int64_t b64 = n->a.index.batch_dims;
    int64_t out[KILN_MAX_RANK];
    int r = x->rank, q = iv->rank, o = 0;
    if (require_dtype(n, 1, index_types, d))
        return -1;
    if (r < 1 || q < 1)
        return diag_error(d, n, "data and indices must have rank >= 1 (have %d and %d)", r, q);
    if (b64 < 0 || b64 >= (r < q ? r : q))
        return diag_error(d, n, "batch_dims=%" PRId64 " must be in [0, %d)", b64, r < q ? r : q);
    const int b = (int)b64;
    const int64_t m = iv->dims[q - 1];
    for (int k = 0; k < b; k++)
        if (iv->dims[k] != x->dims[k])
            return diag_error(d, n, "batch dim %d: indices have %" PRId64 ", data has %" PRId64,
                              k, iv->dims[k], x->dims[k]);
    if (m < 1 || m > r - b)
        return diag_error(d, n, "indices' last dim %" PRId64 " must be in [1, %d]", m, r - b);
    if (q - 1 + r - b - (int)m > KILN_MAX_RANK)
        return diag_error(d, n, "unsupported: output rank %d (kiln handles at most %d)",
                          q - 1 + r - b - (int)m, KILN_MAX_RANK);
    if (check_const_indices(n, 1, (int)m, x->dims + b, d))
        return -1;
    /* indices.shape[:-1] (batch dims included) + data.shape[b+m:] */
    for (int k = 0; k < q - 1; k++)
        out[o++] = iv->dims[k];
    for (int k = b + (int)m; k < r; k++)
        out[o++] = x->dims[k];
    return set_output(n, 0, x->dtype, o, out, d);
}

static int infer_scatter_nd(Node *n, Diag *d)
{
    const Value *x = n->inputs[0], *iv = n->inputs[1], *u = n->inputs[2];
    int64_t want[KILN_MAX_RANK];
    int r = x->rank, q = iv->rank, w = 0;
    if (require_dtype(n, 1, index_types, d) || check_data(n, 2, d))
        return -1;
    if (r < 1 || q < 1)
        return diag_error(d, n, "data and indices must have rank >= 1 (have %d and %d)", r, q);
    const int64_t m = iv->dims[q - 1];
    if (m < 1 || m > r)
        return diag_error(d, n, "indices' last dim %" PRId64 " must be in [1, %d]", m, r);
    if (u->dtype != x->dtype)
        return diag_error(d, n, "updates have dtype %s, data has %s", dtype_name(u->dtype),
                          dtype_name(x->dtype));
    /* updates: indices.shape[:-1] + data.shape[m:] */
    for (int k = 0; k < q - 1 && w < KILN_MAX_RANK; k++)
        want[w++] = iv->dims[k];
    for (int k = (int)m; k < r && w < KILN_MAX_RANK; k++)
        want[w++] = x->dims[k];
    if (q - 1 + r - (int)m != u->rank ||
        memcmp(want, u->dims, sizeof(int64_t) * (size_t)u->rank) != 0)
        return diag_error(d, n, "updates must have shape indices.shape[:-1] + data.shape[%d:]",
                          (int)m);
    if (check_const_indices(n, 1, (int)m, x->dims, d))
        return -1;
    return set_output(n, 0, x->dtype, r, x->dims, d);
}

/* Scatter reductions do arithmetic: only the kernel's numeric types. */
static int check_reduction_dtype(const Node *n, Diag *d)
{
    const Value *x = n->inputs[0];
    if (n->a.index.reduction == KK_SCATTER_NONE)
        return 0;
    for (const DType *t = arith_types; *t; t++)
        if (x->dtype == *t)
            return 0;
    return diag_error(d, n, "unsupported dtype %s for reduction='%s'", dtype_name(x->dtype),
                      reduction_names[n->a.index.reduction]);
}

static int infer_cumsum(Node *n, Diag *d)
{
    const Value *x = n->inputs[0];
    int64_t axis;
    int ax;
    if (require_dtype(n, 0, arith_types, d))
        return -1;
    int na = const_ints(n, 1, &axis, 1, d);
    if (na < 0)
        return -1;
    if (na != 1)
        return diag_error(d, n, "axis must hold one value, has %d", na);
    if (x->rank == 0)
        return diag_error(d, n, "input must have rank >= 1");
    if (norm_axis(n, axis, x->rank, &ax, d))
        return -1;
    n->a.index.axis = ax;
    return set_output(n, 0, x->dtype, x->rank, x->dims, d);
}

static int infer_one_hot(Node *n, Diag *d)
{
    IndexAttrs *a = &n->a.index;
    const Value *iv = n->inputs[0], *vals = n->inputs[2];
    int64_t out[KILN_MAX_RANK];
    int r = iv->rank + 1, ax;
    if (require_dtype(n, 0, any_index_types, d) || check_data(n, 2, d))
        return -1;
    if (value_numel(vals) != 2)
        return diag_error(d, n, "values must hold 2 elements (off, on), has %" PRId64,
                          value_numel(vals));
    if (r > KILN_MAX_RANK)
        return diag_error(d, n, "unsupported: output rank %d (kiln handles at most %d)", r,
                          KILN_MAX_RANK);
    /* depth shapes the output: a constant, of any numeric type (floats
     * truncate, as the spec's "casted to int64" says). */
    if (const_scalar(n, 1, &a->depth, d))
        return -1;
    if (a->depth < 0)
        return diag_error(d, n, "depth %" PRId64 " is negative", a->depth);
    if (norm_axis(n, a->axis_attr, r, &ax, d))
        return -1;
    a->axis = ax;
    for (int k = 0, j = 0; k < r; k++)
        out[k] = k == ax ? a->depth : iv->dims[j++];
    return set_output(n, 0, vals->dtype, r, out, d);
}

static int infer_trilu(Node *n, Diag *d)
{
    static const DType k_types[] = { DT_I64, DT_UNDEF };
    const Value *x = n->inputs[0];
    if (x->rank < 2)
        return diag_error(d, n, "input must have rank >= 2, has %d", x->rank);
    /* k only moves the diagonal: read by the kernel at run time, any value
     * is safe there, so it need not be constant. */
    if (n->ninputs > 1 && n->inputs[1] != NULL) {
        if (require_dtype(n, 1, k_types, d))
            return -1;
        if (value_numel(n->inputs[1]) != 1)
            return diag_error(d, n, "k must be a scalar, has %" PRId64 " elements",
                              value_numel(n->inputs[1]));
    }
    return set_output(n, 0, x->dtype, x->rank, x->dims, d);
}

static int infer_non_zero(Graph *g, Node *n, Diag *d)
{
    static const DType ok[] = { DT_F32, DT_F64, DT_I8, DT_I16, DT_I32, DT_I64, DT_U8, DT_U16,
                                DT_U32, DT_U64, DT_BOOL, DT_UNDEF };
    const Value *x = n->inputs[0];
    if (require_dtype(n, 0, ok, d))
        return -1;
    /* [rank, capacity]; a scalar gives (0, N) as the spec says. */
    const int64_t out[2] = { x->rank, value_numel(x) };
    if (set_output(n, 0, DT_I64, 2, out, d))
        return -1;
    return ir_add_count_output(g, n, 0, 1, d);
}

int index_infer(Graph *g, Node *n, Diag *d)
{
    if (n->op != OP_SIZE && n->op != OP_ONE_HOT && check_data(n, 0, d))
        return -1;
    switch (n->op) {
    case OP_TILE: return infer_tile(n, d);
    case OP_GATHER_ELEMENTS:
    case OP_SCATTER:
        return infer_elements(n, d);
    case OP_SCATTER_ELEMENTS:
        return infer_elements(n, d) || check_reduction_dtype(n, d) ? -1 : 0;
    case OP_GATHER_ND: return infer_gather_nd(n, d);
    case OP_SCATTER_ND:
        return infer_scatter_nd(n, d) || check_reduction_dtype(n, d) ? -1 : 0;
    case OP_CUMSUM: return infer_cumsum(n, d);
    case OP_ONE_HOT: return infer_one_hot(n, d);
    case OP_TRILU: return infer_trilu(n, d);
    case OP_SIZE:
        /* Any dtype: only the static shape is read. */
        return set_output(n, 0, DT_I64, 0, NULL, d);
    case OP_NON_ZERO: return infer_non_zero(g, n, d);
    default: return diag_internal(d, "index_infer called for %s", op_name(n->op));
    }
}

/* ------------------------------------------------------------- geometry */

/* exec and emit derive the kernels' arguments from the same functions, so
 * folding and the generated code cannot disagree. */

/* GatherND as kk_gather_nd's x[batch][dims(m)][slice], indices[batch][n][m]. */
typedef struct NdGeom {
    int64_t batch, n, slice;
    int m;
    const int64_t *dims;    /* the m indexed dims of data */
} NdGeom;

static NdGeom nd_geometry(const Node *n)
{
    const Value *x = n->inputs[0], *iv = n->inputs[1];
    const int b = n->op == OP_GATHER_ND ? (int)n->a.index.batch_dims : 0;
    NdGeom gm;
    gm.m = (int)iv->dims[iv->rank - 1];
    gm.batch = prod(x->dims, 0, b);
    gm.n = prod(iv->dims, b, iv->rank - 1);
    gm.slice = prod(x->dims, b + gm.m, x->rank);
    gm.dims = x->dims + b;
    return gm;
}

/* CumSum as x[outer][n][inner] along the axis. */
static void cumsum_geometry(const Node *n, int64_t *outer, int64_t *len, int64_t *inner)
{
    const Value *x = n->inputs[0];
    const int ax = n->a.index.axis;
    *outer = prod(x->dims, 0, ax);
    *len = x->dims[ax];
    *inner = prod(x->dims, ax + 1, x->rank);
}

/* OneHot as y[outer][depth][inner], indices[outer][inner]. */
static void one_hot_geometry(const Node *n, int64_t *outer, int64_t *inner)
{
    const Value *iv = n->inputs[0];
    *outer = prod(iv->dims, 0, n->a.index.axis);
    *inner = prod(iv->dims, n->a.index.axis, iv->rank);
}

/* Trilu as batch matrices of rows x cols. */
static void trilu_geometry(const Node *n, int64_t *batch, int64_t *rows, int64_t *cols)
{
    const Value *x = n->inputs[0];
    *batch = prod(x->dims, 0, x->rank - 2);
    *rows = x->dims[x->rank - 2];
    *cols = x->dims[x->rank - 1];
}

/* ------------------------------------------------------------ host exec */

int index_exec(const Node *n, const void *const *in, void *const *out, Diag *d)
{
    const IndexAttrs *a = &n->a.index;
    const Value *x = n->inputs[0], *y = n->outputs[0];
    const size_t es = dtype_size(y->dtype);
    switch (n->op) {
    case OP_TILE:
        kk_tile(in[0], out[0], x->rank, x->dims, a->repeats, es);
        return 0;
    case OP_GATHER_ELEMENTS:
        kk_gather_elements(in[0], x->dims, in[1], (int)n->inputs[1]->dtype, n->inputs[1]->dims,
                           x->rank, a->axis, out[0], es);
        return 0;
    case OP_SCATTER:
    case OP_SCATTER_ELEMENTS:
        kk_scatter_elements(in[0], in[1], (int)n->inputs[1]->dtype, in[2], out[0], x->rank,
                            x->dims, n->inputs[1]->dims, a->axis, (int)x->dtype,
                            n->op == OP_SCATTER ? KK_SCATTER_NONE : a->reduction, es);
        return 0;
    case OP_GATHER_ND: {
        NdGeom gm = nd_geometry(n);
        kk_gather_nd(in[0], in[1], (int)n->inputs[1]->dtype, out[0], gm.batch, gm.n, gm.m,
                     gm.dims, gm.slice, es);
        return 0;
    }
    case OP_SCATTER_ND: {
        NdGeom gm = nd_geometry(n);
        kk_scatter_nd(in[0], in[1], (int)n->inputs[1]->dtype, in[2], out[0], value_numel(x),
                      gm.n, gm.m, gm.dims, gm.slice, (int)x->dtype, a->reduction, es);
        return 0;
    }
    case OP_CUMSUM: {
        int64_t outer, len, inner;
        cumsum_geometry(n, &outer, &len, &inner);
        kk_cumsum(in[0], out[0], (int)x->dtype, outer, len, inner, a->exclusive, a->reverse);
        return 0;
    }
    case OP_ONE_HOT: {
        int64_t outer, inner;
        one_hot_geometry(n, &outer, &inner);
        /* OneHot-9 counted only [0, depth); opset 11 added negative indices. */
        kk_onehot(in[0], (int)x->dtype, in[2], out[0], outer, a->depth, inner, n->opset >= 11,
                  es);
        return 0;
    }
    case OP_TRILU: {
        int64_t batch, rows, cols;
        trilu_geometry(n, &batch, &rows, &cols);
        kk_trilu(in[0], out[0], batch, rows, cols, n->ninputs > 1 ? in[1] : NULL, a->upper, es);
        return 0;
    }
    case OP_SIZE:
        /* From the static shape; in[0] may be NULL (its data never exists). */
        *(int64_t *)out[0] = value_numel(x);
        return 0;
    case OP_NON_ZERO:
        kk_nonzero(in[0], (int)x->dtype, x->rank, x->dims, out[0], out[1]);
        return 0;
    default:
        return diag_internal(d, "index_exec called for %s", op_name(n->op));
    }
}

/* ------------------------------------------------------------ C emission */

int index_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out,
               Diag *d)
{
    const IndexAttrs *a = &n->a.index;
    const Value *x = n->inputs[0], *y = n->outputs[0];
    const size_t es = dtype_size(y->dtype);
    emit_use(e, KKF_INDEX);
    emit_use(e, KKF_SHAPE);     /* kk_copy / kk_fill, called by the index kernels */
    switch (n->op) {
    case OP_TILE:
        emit(e, "kk_tile(%s, %s, %d, ", in[0], out[0], x->rank);
        shape_emit_dims(e, x->dims, x->rank);
        emit(e, ", ");
        shape_emit_dims(e, a->repeats, x->rank);
        emit(e, ", %zu);\n", es);
        return 0;
    case OP_GATHER_ELEMENTS: {
        const Value *iv = n->inputs[1];
        emit(e, "kk_gather_elements(%s, ", in[0]);
        shape_emit_dims(e, x->dims, x->rank);
        emit(e, ", %s, %s, ", in[1], shape_kk_code(iv->dtype));
        shape_emit_dims(e, iv->dims, iv->rank);
        emit(e, ", %d, %d, %s, %zu);\n", x->rank, a->axis, out[0], es);
        return 0;
    }
    case OP_SCATTER:
    case OP_SCATTER_ELEMENTS: {
        const Value *iv = n->inputs[1];
        const int red = n->op == OP_SCATTER ? KK_SCATTER_NONE : a->reduction;
        emit(e, "kk_scatter_elements(%s, %s, %s, %s, %s, %d, ", in[0], in[1],
             shape_kk_code(iv->dtype), in[2], out[0], x->rank);
        shape_emit_dims(e, x->dims, x->rank);
        emit(e, ", ");
        shape_emit_dims(e, iv->dims, iv->rank);
        emit(e, ", %d, %s, %s, %zu);\n", a->axis, shape_kk_code(x->dtype), reduction_codes[red],
             es);
        return 0;
    }
    case OP_GATHER_ND: {
        NdGeom gm = nd_geometry(n);
        emit(e, "kk_gather_nd(%s, %s, %s, %s, %" PRId64 ", %" PRId64 ", %d, ", in[0], in[1],
             shape_kk_code(n->inputs[1]->dtype), out[0], gm.batch, gm.n, gm.m);
        shape_emit_dims(e, gm.dims, gm.m);
        emit(e, ", %" PRId64 ", %zu);\n", gm.slice, es);
        return 0;
    }
    case OP_SCATTER_ND: {
        NdGeom gm = nd_geometry(n);
        emit(e, "kk_scatter_nd(%s, %s, %s, %s, %s, %" PRId64 ", %" PRId64 ", %d, ", in[0], in[1],
             shape_kk_code(n->inputs[1]->dtype), in[2], out[0], value_numel(x), gm.n, gm.m);
        shape_emit_dims(e, gm.dims, gm.m);
        emit(e, ", %" PRId64 ", %s, %s, %zu);\n", gm.slice, shape_kk_code(x->dtype),
             reduction_codes[a->reduction], es);
        return 0;
    }
    case OP_CUMSUM: {
        int64_t outer, len, inner;
        cumsum_geometry(n, &outer, &len, &inner);
        emit(e, "kk_cumsum(%s, %s, %s, %" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %d);\n", in[0],
             out[0], shape_kk_code(x->dtype), outer, len, inner, a->exclusive, a->reverse);
        return 0;
    }
    case OP_ONE_HOT: {
        int64_t outer, inner;
        one_hot_geometry(n, &outer, &inner);
        emit(e, "kk_onehot(%s, %s, %s, %s, %" PRId64 ", %" PRId64 ", %" PRId64 ", %d, %zu);\n",
             in[0], shape_kk_code(x->dtype), in[2], out[0], outer, a->depth, inner,
             n->opset >= 11, es);
        return 0;
    }
    case OP_TRILU: {
        int64_t batch, rows, cols;
        const char *k = n->ninputs > 1 && in[1] != NULL ? in[1] : "NULL";
        trilu_geometry(n, &batch, &rows, &cols);
        emit(e, "kk_trilu(%s, %s, %" PRId64 ", %" PRId64 ", %" PRId64 ", %s, %d, %zu);\n", in[0],
             out[0], batch, rows, cols, k, a->upper, es);
        return 0;
    }
    case OP_SIZE: {
        /* Normally folded; a literal copy otherwise. */
        const int64_t numel = value_numel(x);
        emit(e, "kk_copy(");
        shape_emit_dims(e, &numel, 1);
        emit(e, ", %s, sizeof(int64_t));\n", out[0]);
        return 0;
    }
    case OP_NON_ZERO:
        emit(e, "kk_nonzero(%s, %s, %d, ", in[0], shape_kk_code(x->dtype), x->rank);
        shape_emit_dims(e, x->dims, x->rank);
        emit(e, ", %s, %s);\n", out[0], out[1]);
        return 0;
    default:
        return diag_internal(d, "index_emit called for %s", op_name(n->op));
    }
}
