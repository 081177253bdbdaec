/*
 * ops_reduce.c - the reduce family of the ops table: axis reductions
 * (ReduceSum, ReduceMean, ReduceMax), arg-reductions (ArgMax) and the
 * normalizing reductions (Softmax, LogSoftmax).
 *
 * Pipeline position: parse and infer run in ir_infer (frontend output ->
 * typed attributes and shapes); exec is called by constant folding; emit by
 * the C backend. exec and the generated code call the same kernels
 * (kernels/ref/reduce.c), so folded constants equal run-time results.
 *
 * One row of red_info[] describes each op. Adding ReduceMin, ReduceProd,
 * ReduceL1/L2, ReduceLogSum(Exp), ReduceSumSquare or ArgMin is its ops.def
 * row plus one row here: the kernels already implement them.
 */
#include <inttypes.h>
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

/* ----------------------------------------------------------- op descriptions */

typedef enum RedShape {
    RS_AXES,      /* Reduce*: any set of axes, keepdims, noop_with_empty_axes */
    RS_ARG,       /* ArgMax/ArgMin: one axis, int64 indices */
    RS_SOFTMAX,   /* Softmax/LogSoftmax: one axis, output shaped like input */
} RedShape;

typedef struct RedInfo {
    OpKind op;
    RedShape shape;
    int kk;                    /* RS_AXES: KK_RED_*; RS_ARG: is_min; RS_SOFTMAX: log_out */
    const char *kk_name;       /* the same constant as it appears in generated code */
    int axes_input_opset;      /* RS_AXES: first opset where axes is input 1 */
    int allow_bool;            /* RS_AXES: bool inputs accepted (Max/Min) */
} RedInfo;

static const RedInfo red_info[] = {
    {OP_REDUCE_SUM,  RS_AXES,    KK_RED_SUM,  "KK_RED_SUM",  13, 0},
    {OP_REDUCE_MEAN, RS_AXES,    KK_RED_MEAN, "KK_RED_MEAN", 18, 0},
    {OP_REDUCE_MAX,  RS_AXES,    KK_RED_MAX,  "KK_RED_MAX",  18, 1},
    {OP_REDUCE_MIN,  RS_AXES,    KK_RED_MIN,  "KK_RED_MIN",  18, 1},
    {OP_REDUCE_PROD, RS_AXES,    KK_RED_PROD, "KK_RED_PROD", 18, 0},
    {OP_REDUCE_L1,   RS_AXES,    KK_RED_L1,   "KK_RED_L1",   18, 0},
    {OP_REDUCE_L2,   RS_AXES,    KK_RED_L2,   "KK_RED_L2",   18, 0},
    {OP_REDUCE_SUM_SQUARE, RS_AXES, KK_RED_SUMSQ, "KK_RED_SUMSQ", 18, 0},
    {OP_REDUCE_LOG_SUM, RS_AXES, KK_RED_LOGSUM, "KK_RED_LOGSUM", 18, 0},
    {OP_REDUCE_LOG_SUM_EXP, RS_AXES, KK_RED_LOGSUMEXP, "KK_RED_LOGSUMEXP", 18, 0},
    {OP_ARG_MAX,     RS_ARG,     0,           "0",           0,  0},
    {OP_ARG_MIN,     RS_ARG,     1,           "1",           0,  0},
    {OP_SOFTMAX,     RS_SOFTMAX, 0,           "0",           0,  0},
    {OP_LOG_SOFTMAX, RS_SOFTMAX, 1,           "1",           0,  0},
};

static const RedInfo *red_lookup(OpKind op)
{
    for (size_t i = 0; i < sizeof red_info / sizeof red_info[0]; i++)
        if (red_info[i].op == op)
            return &red_info[i];
    return NULL;
}

/* ------------------------------------------------------------------- parse */

/* An int attribute that must hold an axis; stored as int after a range
 * check so a huge value cannot wrap into a valid one. */
static int parse_axis(Graph *g, Node *n, int64_t dflt, int *out, Diag *d)
{
    int err = 0;
    int64_t v = attr_int(g, n, "axis", dflt, d, &err);
    if (err)
        return -1;
    if (v < -KILN_MAX_RANK || v >= KILN_MAX_RANK)
        return diag_error(d, n, "attribute axis=%" PRId64 " is out of range", v);
    *out = (int)v;
    return 0;
}

int reduce_parse(Graph *g, Node *n, Diag *d)
{
    const RedInfo *ri = red_lookup(n->op);
    ReduceAttrs *a = &n->a.reduce;
    int opset = n->opset;
    int err = 0;

    if (!ri)
        return diag_internal(d, "reduce_parse called for op %s", op_name(n->op));
    memset(a, 0, sizeof *a);
    a->naxes = -1;
    switch (ri->shape) {
    case RS_SOFTMAX:
        /* Before opset 13 the input is coerced to 2-D at axis (default 1);
         * from 13 on the op works along one axis (default -1). */
        a->coerce_2d = opset < 13;
        return parse_axis(g, n, a->coerce_2d ? 1 : -1, &a->axis, d);
    case RS_ARG:
        if (parse_axis(g, n, 0, &a->axis, d))
            return -1;
        a->keepdims = attr_int(g, n, "keepdims", 1, d, &err) != 0;
        a->select_last_index = attr_int(g, n, "select_last_index", 0, d, &err) != 0;
        return err ? -1 : 0;
    case RS_AXES:
        break;
    }
    a->keepdims = attr_int(g, n, "keepdims", 1, d, &err) != 0;
    a->noop_with_empty_axes = attr_int(g, n, "noop_with_empty_axes", 0, d, &err) != 0;
    if (err)
        return -1;
    a->axes_input = opset >= ri->axes_input_opset;
    if (a->axes_input) {
        if (ir_attr_find(n, "axes"))
            return diag_error(d, n, "attribute 'axes' is not allowed from opset %d "
                              "(axes is input 1)", ri->axes_input_opset);
        return 0;
    }
    if (n->ninputs >= 2 && n->inputs[1])
        return diag_error(d, n, "input 1 (axes) is only allowed from opset %d; this node has opset %d",
                          ri->axes_input_opset, opset);
    int64_t tmp[KILN_MAX_RANK + 1];
    int cnt = attr_ints(g, n, "axes", tmp, KILN_MAX_RANK + 1, d, &err);
    if (err)
        return -1;
    if (cnt > KILN_MAX_RANK)
        return diag_error(d, n, "attribute 'axes' has more than %d entries", KILN_MAX_RANK);
    if (cnt >= 0)
        memcpy(a->axes, tmp, (size_t)cnt * sizeof tmp[0]);
    a->naxes = cnt;
    return 0;
}

/* ------------------------------------------------------------------- infer */

/* The dtypes a node accepts; others are reported as unsupported. */
static int check_dtype(const Node *n, const RedInfo *ri, DType t, Diag *d)
{
    bool ok;
    if (ri->shape == RS_SOFTMAX)
        ok = t == DT_F32 || t == DT_F64;
    else if (t == DT_BOOL)
        ok = ri->shape == RS_AXES && ri->allow_bool;
    else
        ok = dtype_kk_const(t, true) != NULL;
    if (!ok)
        return diag_error(d, n, "unsupported dtype %s for input 0", dtype_name(t));
    return 0;
}

/* Resolve the reduced axes (attribute or constant input 1) into a sorted,
 * normalized list and a bit mask. */
static int resolve_axes(Node *n, int rank, Diag *d)
{
    ReduceAttrs *a = &n->a.reduce;
    int64_t raw[KILN_MAX_RANK];
    int cnt = a->naxes;

    if (a->axes_input) {
        cnt = 0;
        const Value *ax = n->ninputs >= 2 ? n->inputs[1] : NULL;
        if (ax) {
            if (ax->dtype != DT_I64 && ax->dtype != DT_I32)
                return diag_error(d, n, "input 1 (axes) must be int64, not %s", dtype_name(ax->dtype));
            if (ax->rank > 1)
                return diag_error(d, n, "input 1 (axes) must be 1-D, not rank %d", ax->rank);
            cnt = const_ints(n, 1, raw, KILN_MAX_RANK, d);
            if (cnt < 0)
                return -1;
        }
    } else if (cnt > 0) {
        memcpy(raw, a->axes, (size_t)cnt * sizeof raw[0]);
    }

    unsigned mask = 0;
    if (cnt <= 0) {
        /* no axes: reduce everything, unless noop_with_empty_axes */
        if (!a->noop_with_empty_axes)
            mask = rank > 0 ? (1u << rank) - 1u : 0u;
    } else {
        for (int i = 0; i < cnt; i++) {
            int ax;
            if (norm_axis(n, raw[i], rank, &ax, d))
                return -1;
            if (mask & (1u << ax))
                return diag_error(d, n, "axis %d appears twice in axes", ax);
            mask |= 1u << ax;
        }
    }
    a->mask = mask;
    a->naxes = 0;
    for (int k = 0; k < rank; k++)
        if (mask & (1u << k))
            a->axes[a->naxes++] = k;
    return 0;
}

int reduce_infer(Graph *g, Node *n, Diag *d)
{
    const RedInfo *ri = red_lookup(n->op);
    ReduceAttrs *a = &n->a.reduce;
    const Value *x = n->ninputs >= 1 ? n->inputs[0] : NULL;
    int64_t dims[KILN_MAX_RANK];
    int rank = 0;

    (void)g;
    if (!ri)
        return diag_internal(d, "reduce_infer called for op %s", op_name(n->op));
    if (!x)
        return diag_error(d, n, "input 0 is missing");
    if (x->rank < 0)
        return diag_internal(d, "input 0 of node '%s' has no shape", n->name);
    if (check_dtype(n, ri, x->dtype, d))
        return -1;

    if (ri->shape != RS_AXES && x->rank < 1)
        return diag_error(d, n, "input 0 must have rank >= 1, not a scalar");
    switch (ri->shape) {
    case RS_SOFTMAX:
        if (norm_axis(n, a->axis, x->rank, &a->axis, d))
            return -1;
        return set_output(n, 0, x->dtype, x->rank, x->dims, d);
    case RS_ARG:
        if (norm_axis(n, a->axis, x->rank, &a->axis, d))
            return -1;
        if (x->dims[a->axis] == 0)
            return diag_error(d, n, "%s over axis %d of size 0 has no result",
                              op_name(n->op), a->axis);
        for (int k = 0; k < x->rank; k++) {
            if (k != a->axis)
                dims[rank++] = x->dims[k];
            else if (a->keepdims)
                dims[rank++] = 1;
        }
        return set_output(n, 0, DT_I64, rank, dims, d);
    case RS_AXES:
        break;
    }
    if (resolve_axes(n, x->rank, d))
        return -1;
    for (int k = 0; k < x->rank; k++) {
        if (!(a->mask & (1u << k)))
            dims[rank++] = x->dims[k];
        else if (a->keepdims)
            dims[rank++] = 1;
    }
    return set_output(n, 0, x->dtype, rank, dims, d);
}

/* ------------------------------------------------------- exec and emit */

/* x viewed as [outer, mid, inner] around the node's axis. */
typedef struct Split3 { int64_t outer, mid, inner; } Split3;

static Split3 split_at_axis(const Node *n)
{
    const Value *x = n->inputs[0];
    const ReduceAttrs *a = &n->a.reduce;
    Split3 s = {1, 1, 1};
    for (int k = 0; k < x->rank; k++) {
        if (k < a->axis)
            s.outer *= x->dims[k];
        else if (k == a->axis || a->coerce_2d)
            s.mid *= x->dims[k];
        else
            s.inner *= x->dims[k];
    }
    return s;
}

int reduce_exec(const Node *n, const void *const *in, void *const *out, Diag *d)
{
    const RedInfo *ri = red_lookup(n->op);
    const Value *x = n->inputs[0];
    int rc;

    if (!ri)
        return diag_internal(d, "reduce_exec called for op %s", op_name(n->op));
    if (ri->shape == RS_AXES) {
        rc = kk_reduce(ri->kk, (int)x->dtype, in[0], out[0], x->rank, x->dims, n->a.reduce.mask);
    } else {
        Split3 s = split_at_axis(n);
        if (ri->shape == RS_ARG)
            rc = kk_argreduce((int)x->dtype, ri->kk, n->a.reduce.select_last_index, in[0],
                              (int64_t *)out[0], s.outer, s.mid, s.inner);
        else
            rc = kk_softmax((int)x->dtype, ri->kk, in[0], out[0], s.outer, s.mid, s.inner);
    }
    if (rc)
        return diag_internal(d, "reduce kernel rejected node '%s' (%s, dtype %s)",
                             n->name, op_name(n->op), dtype_name(x->dtype));
    return 0;
}

int reduce_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out, Diag *d)
{
    const RedInfo *ri = red_lookup(n->op);
    const Value *x = n->inputs[0];
    const char *dt = dtype_kk_const(x->dtype, true);

    if (!ri || !dt)
        return diag_internal(d, "reduce_emit: cannot emit node '%s' (%s)", n->name, op_name(n->op));
    emit_use(e, KKF_REDUCE);
    emit_use(e, KKF_UNARY); /* kk_softmax's vector exp (kk_act_vec_f32) */
    if (ri->shape == RS_AXES) {
        emit(e, "kk_reduce(%s, %s, %s, %s, %d, ", ri->kk_name, dt, in[0], out[0], x->rank);
        if (x->rank > 0) {
            emit(e, "(const int64_t[])");
            emit_i64s(e, x->dims, x->rank);
        } else {
            emit(e, "NULL");
        }
        emit(e, ", 0x%xu);\n", n->a.reduce.mask);
        return 0;
    }
    Split3 s = split_at_axis(n);
    if (ri->shape == RS_ARG)
        emit(e, "kk_argreduce(%s, %s, %d, %s, %s, %" PRId64 ", %" PRId64 ", %" PRId64 ");\n",
             dt, ri->kk_name, n->a.reduce.select_last_index, in[0], out[0], s.outer, s.mid, s.inner);
    else
        emit(e, "kk_softmax(%s, %s, %s, %s, %" PRId64 ", %" PRId64 ", %" PRId64 ");\n",
             dt, ri->kk_name, in[0], out[0], s.outer, s.mid, s.inner);
    return 0;
}
