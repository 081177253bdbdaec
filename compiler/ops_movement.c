/*
 * ops_movement.c - the data movement half of the shape family: Transpose,
 * Concat, Split, Slice, Pad, Gather and Expand (inference, host execution
 * for constant folding, C emission). Reached through the shape_* entry
 * points of ops_shape.c, which own attribute parsing.
 *
 * Every argument that decides an output shape (Slice starts/ends/axes/steps,
 * Pad pads/axes, Split sizes, Expand shape) is resolved here at compile time
 * into ShapeAttrs' "infer" fields, so exec and emit only replay them: the
 * generated code calls one kernel per node with constant arguments. Values
 * that do not shape the output stay runtime data: Gather indices (the kernel
 * bounds-checks them) and Pad's constant_value input (read by the kernel).
 */
#include <inttypes.h>
#include <string.h>

#include "kk.h"
#include "ops_shape.h"

/* ------------------------------------------------------------ Transpose */

static int infer_transpose(Node *n, Diag *d)
{
    ShapeAttrs *a = &n->a.shape;
    const Value *x = n->inputs[0];
    int64_t out[KILN_MAX_RANK];
    int seen[KILN_MAX_RANK] = { 0 }, r = x->rank;
    if (a->transpose.nperm_attr < 0) {
        for (int k = 0; k < r; k++)
            a->transpose.perm[k] = r - 1 - k;
    } else {
        if (a->transpose.nperm_attr != r)
            return diag_error(d, n, "perm has %d entries, input has rank %d",
                              a->transpose.nperm_attr, r);
        for (int k = 0; k < r; k++) {
            int64_t p = a->transpose.perm_attr[k];
            if (p < 0 || p >= r || seen[p])
                return diag_error(d, n, "perm is not a permutation of 0..%d", r - 1);
            seen[p] = 1;
            a->transpose.perm[k] = p;
        }
    }
    for (int k = 0; k < r; k++)
        out[k] = x->dims[a->transpose.perm[k]];
    return set_output(n, 0, x->dtype, r, out, d);
}

/* --------------------------------------------------------- Concat / Split */

static int infer_concat(Node *n, Diag *d)
{
    const Value *x = n->inputs[0];
    int64_t out[KILN_MAX_RANK];
    int ax;
    for (int i = 0; i < n->ninputs; i++)
        if (shape_check_data(n, i, d))
            return -1;
    if (x->rank == 0)
        return diag_error(d, n, "cannot concatenate scalars (inputs have rank 0)");
    if (norm_axis(n, n->a.shape.axis_attr, x->rank, &ax, d))
        return -1;
    n->a.shape.axis = ax;
    memcpy(out, x->dims, sizeof out);
    for (int i = 1; i < n->ninputs; i++) {
        const Value *v = n->inputs[i];
        if (v->dtype != x->dtype)
            return diag_error(d, n, "input %d has dtype %s, input 0 has %s", i,
                              dtype_name(v->dtype), dtype_name(x->dtype));
        if (v->rank != x->rank)
            return diag_error(d, n, "input %d has rank %d, input 0 has rank %d", i,
                              v->rank, x->rank);
        for (int k = 0; k < x->rank; k++)
            if (k != ax && v->dims[k] != x->dims[k])
                return diag_error(d, n, "input %d has dim %d = %" PRId64 ", input 0 has %"
                                  PRId64, i, k, v->dims[k], x->dims[k]);
        out[ax] += v->dims[ax];
    }
    return set_output(n, 0, x->dtype, x->rank, out, d);
}

/* Split sizes: the `split` input (opset >= 13, or Split-1's optional
 * input), the `split` attribute (opset < 13), or equal parts. */
static int split_sizes(Node *n, int64_t dim, int64_t *sizes, Diag *d)
{
    ShapeAttrs *a = &n->a.shape;
    int nout = n->noutputs, cnt;
    if (n->ninputs > 1 && n->inputs[1] != NULL) {
        cnt = const_ints(n, 1, sizes, KILN_MAX_OUT, d);
    } else if (a->split.nsplit >= 0) {
        cnt = a->split.nsplit;
        memcpy(sizes, a->split.split, sizeof a->split.split);
    } else {
        /* Equal parts; when uneven (opset 18 num_outputs) every part gets
         * ceil(dim / parts) and the last one what remains. */
        int parts = a->split.num_outputs > 0 ? a->split.num_outputs : nout;
        if (a->split.num_outputs > 0 && a->split.num_outputs != nout)
            return diag_error(d, n, "num_outputs=%d but the node has %d outputs",
                              a->split.num_outputs, nout);
        int64_t chunk = dim / parts + (dim % parts != 0);
        for (int i = 0; i < parts; i++)
            sizes[i] = chunk;
        sizes[parts - 1] = dim - chunk * (parts - 1);
        if (sizes[parts - 1] < 0)
            return diag_error(d, n, "cannot split a dim of %" PRId64 " into %d parts of %"
                              PRId64, dim, parts, chunk);
        cnt = parts;
    }
    if (cnt < 0)
        return -1;
    if (cnt != nout)
        return diag_error(d, n, "split has %d sizes but the node has %d outputs", cnt, nout);
    return 0;
}

static int infer_split(Node *n, Diag *d)
{
    ShapeAttrs *a = &n->a.shape;
    const Value *x = n->inputs[0];
    int64_t sum = 0, out[KILN_MAX_RANK];
    int ax;
    if (x->rank == 0)
        return diag_error(d, n, "cannot split a scalar");
    if (norm_axis(n, a->axis_attr, x->rank, &ax, d))
        return -1;
    a->axis = ax;
    if (split_sizes(n, x->dims[ax], a->split.sizes, d))
        return -1;
    for (int i = 0; i < n->noutputs; i++) {
        if (a->split.sizes[i] < 0)
            return diag_error(d, n, "split size %d is negative (%" PRId64 ")", i,
                              a->split.sizes[i]);
        sum += a->split.sizes[i];
    }
    if (sum != x->dims[ax])
        return diag_error(d, n, "split sizes add up to %" PRId64 ", axis %d has %" PRId64,
                          sum, ax, x->dims[ax]);
    memcpy(out, x->dims, sizeof out);
    for (int i = 0; i < n->noutputs; i++) {
        if (n->outputs[i] == NULL)
            continue;
        out[ax] = a->split.sizes[i];
        if (set_output(n, i, x->dtype, x->rank, out, d))
            return -1;
    }
    return 0;
}

/* Concat and Split as `outer` rows (kk_concat / kk_split): returns the
 * product of the dims before ax; *inner_bytes gets the bytes of one index
 * step along ax (element size times the dims after ax). */
static int64_t concat_rows(const Value *v, int ax, int64_t *inner_bytes)
{
    int64_t outer = 1, inner = (int64_t)dtype_size(v->dtype);
    for (int k = 0; k < v->rank; k++) {
        if (k < ax)
            outer *= v->dims[k];
        else if (k > ax)
            inner *= v->dims[k];
    }
    *inner_bytes = inner;
    return outer;
}

/* Chunk bytes per row of every Concat input; returns the row count. */
static int64_t concat_chunks(const Node *n, int64_t *chunks)
{
    int64_t outer = 1, inner;
    for (int i = 0; i < n->ninputs; i++) {
        outer = concat_rows(n->inputs[i], n->a.shape.axis, &inner);
        chunks[i] = inner * n->inputs[i]->dims[n->a.shape.axis];
    }
    return outer;
}

/* Chunk bytes per row of every Split output; returns the row count. */
static int64_t split_chunks(const Node *n, int64_t *chunks)
{
    int64_t inner, outer = concat_rows(n->inputs[0], n->a.shape.axis, &inner);
    for (int i = 0; i < n->noutputs; i++)
        chunks[i] = inner * n->a.shape.split.sizes[i];
    return outer;
}

/* ------------------------------------------------------------------ Slice */

/* Clamps one (start, end, step) the way the Slice spec says and returns
 * the output size; start becomes the first index read. */
static int64_t slice_dim(int64_t dim, int64_t *start, int64_t end, int64_t step)
{
    int64_t s = *start, e = end;
    uint64_t diff, mag;
    if (s < 0)
        s += dim;
    if (e < 0)
        e += dim;
    if (step > 0) {
        s = s < 0 ? 0 : s > dim ? dim : s;
        e = e < 0 ? 0 : e > dim ? dim : e;
        if (e <= s)
            return 0;
        diff = (uint64_t)(e - s);
        mag = (uint64_t)step;
    } else {
        s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
        e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
        if (s <= e)
            return 0;
        diff = (uint64_t)(s - e);
        mag = (uint64_t)0 - (uint64_t)step;   /* also right for INT64_MIN */
    }
    *start = s;
    return (int64_t)(diff / mag + (diff % mag != 0));
}

static int infer_slice(Node *n, Diag *d)
{
    ShapeAttrs *a = &n->a.shape;
    const Value *x = n->inputs[0];
    int64_t starts[KILN_MAX_RANK], ends[KILN_MAX_RANK], axes[KILN_MAX_RANK];
    int64_t steps[KILN_MAX_RANK], out[KILN_MAX_RANK];
    int ns, ne, na = -1, nst = -1, r = x->rank, seen[KILN_MAX_RANK] = { 0 };

    if (n->opset < 10) {
        ns = a->slice.nstarts;
        ne = a->slice.nends;
        na = a->slice.naxes;
        if (ns < 0 || ne < 0)
            return diag_error(d, n, "missing required attribute '%s'", ns < 0 ? "starts" : "ends");
        memcpy(starts, a->slice.starts, sizeof starts);
        memcpy(ends, a->slice.ends, sizeof ends);
        memcpy(axes, a->slice.axes, sizeof axes);
    } else {
        if (n->ninputs < 3 || n->inputs[1] == NULL || n->inputs[2] == NULL)
            return diag_error(d, n, "inputs 1 (starts) and 2 (ends) are required");
        if ((ns = const_ints(n, 1, starts, KILN_MAX_RANK, d)) < 0 ||
            (ne = const_ints(n, 2, ends, KILN_MAX_RANK, d)) < 0)
            return -1;
        if (n->ninputs > 3 && n->inputs[3] != NULL &&
            (na = const_ints(n, 3, axes, KILN_MAX_RANK, d)) < 0)
            return -1;
        if (n->ninputs > 4 && n->inputs[4] != NULL &&
            (nst = const_ints(n, 4, steps, KILN_MAX_RANK, d)) < 0)
            return -1;
    }
    if (ne != ns)
        return diag_error(d, n, "starts has %d values, ends has %d", ns, ne);
    if (na >= 0 && na != ns)
        return diag_error(d, n, "axes has %d values, starts has %d", na, ns);
    if (nst >= 0 && nst != ns)
        return diag_error(d, n, "steps has %d values, starts has %d", nst, ns);
    if (na < 0 && ns > r)
        return diag_error(d, n, "starts has %d values for an input of rank %d", ns, r);
    for (int k = 0; k < r; k++) {
        a->slice.rstart[k] = 0;
        a->slice.rstep[k] = 1;
        out[k] = x->dims[k];
    }
    for (int i = 0; i < ns; i++) {
        int ax = i;
        int64_t step = nst >= 0 ? steps[i] : 1;
        if (na >= 0 && norm_axis(n, axes[i], r, &ax, d))
            return -1;
        if (seen[ax])
            return diag_error(d, n, "axis %d is sliced twice", ax);
        seen[ax] = 1;
        if (step == 0)
            return diag_error(d, n, "step for axis %d is 0", ax);
        int64_t s = starts[i];
        out[ax] = slice_dim(x->dims[ax], &s, ends[i], step);
        /* An empty or single-element slice reads with step 1: keeps the
         * kernel's stride arithmetic far from overflow for huge steps. */
        a->slice.rstart[ax] = out[ax] > 0 ? s : 0;
        a->slice.rstep[ax] = out[ax] > 1 ? step : 1;
    }
    return set_output(n, 0, x->dtype, r, out, d);
}

/* -------------------------------------------------------------------- Pad */

static int infer_pad(Node *n, Diag *d)
{
    static const char *const mode_names[] = { "constant", "reflect", "edge", "wrap" };
    ShapeAttrs *a = &n->a.shape;
    const Value *x = n->inputs[0];
    int64_t pads[2 * KILN_MAX_RANK], axes[KILN_MAX_RANK], out[KILN_MAX_RANK];
    int np, na, r = x->rank, seen[KILN_MAX_RANK] = { 0 };

    if (n->opset < 11) {
        if ((np = a->pad.npads) < 0)
            return diag_error(d, n, "missing required attribute 'pads'");
        memcpy(pads, a->pad.pads, sizeof pads);
    } else {
        if (n->ninputs < 2 || n->inputs[1] == NULL)
            return diag_error(d, n, "input 1 (pads) is required");
        if ((np = const_ints(n, 1, pads, 2 * KILN_MAX_RANK, d)) < 0)
            return -1;
    }
    na = r;
    for (int k = 0; k < r; k++)
        axes[k] = k;
    if (n->opset >= 18 && n->ninputs > 3 && n->inputs[3] != NULL &&
        (na = const_ints(n, 3, axes, KILN_MAX_RANK, d)) < 0)
        return -1;
    if (np != 2 * na)
        return diag_error(d, n, "pads has %d values, expected %d (2 per padded axis)", np, 2 * na);
    if (n->opset >= 11 && n->ninputs > 2 && n->inputs[2] != NULL) {
        const Value *cv = n->inputs[2];
        if (cv->dtype != x->dtype)
            return diag_error(d, n, "constant_value has dtype %s, data has %s",
                              dtype_name(cv->dtype), dtype_name(x->dtype));
        if (value_numel(cv) > 1)
            return diag_error(d, n, "constant_value must be a scalar, has %" PRId64 " elements",
                              value_numel(cv));
    }
    if (n->opset < 11 && a->pad.value != 0) {
        unsigned char buf[8];
        if (shape_scalar_from_double(x->dtype, a->pad.value, buf))
            return diag_error(d, n, "unsupported dtype %s for a nonzero pad value",
                              dtype_name(x->dtype));
    }
    memset(a->pad.rpads, 0, sizeof a->pad.rpads);
    for (int i = 0; i < na; i++) {
        int ax;
        if (norm_axis(n, axes[i], r, &ax, d))
            return -1;
        if (seen[ax])
            return diag_error(d, n, "axis %d is padded twice", ax);
        seen[ax] = 1;
        a->pad.rpads[ax] = pads[i];
        a->pad.rpads[r + ax] = pads[na + i];
    }
    for (int k = 0; k < r; k++) {
        const int64_t b = a->pad.rpads[k], e = a->pad.rpads[r + k];
        const int64_t lim = (int64_t)1 << 40; /* no real pad is near this; keeps the sums exact */
        if (b > lim || b < -lim || e > lim || e < -lim)
            return diag_error(d, n, "pads %" PRId64 ", %" PRId64 " on axis %d are out of range", b, e, k);
        out[k] = x->dims[k] + b + e;
        if (out[k] < 0)
            return diag_error(d, n, "pads %" PRId64 ", %" PRId64 " remove more than the %"
                              PRId64 " elements of axis %d", b, e, x->dims[k], k);
        /* Non-constant modes copy from the kept input; there must be one. */
        int64_t kept = x->dims[k] - (b < 0 ? -b : 0) - (e < 0 ? -e : 0);
        if (a->pad.mode != KK_PAD_CONSTANT && out[k] > 0 && kept <= 0 && (b > 0 || e > 0))
            return diag_error(d, n, "mode '%s' cannot pad axis %d: no input elements left",
                              mode_names[a->pad.mode], k);
    }
    return set_output(n, 0, x->dtype, r, out, d);
}

/* ----------------------------------------------------------------- Gather */

/* Constant indices are checked at compile time; the kernel zero-fills
 * out-of-range runtime ones instead of reading outside the data. */
static int check_indices(const Node *n, const void *idx, Diag *d)
{
    const Value *iv = n->inputs[1];
    const int64_t dim = n->inputs[0]->dims[n->a.shape.axis];
    for (int64_t j = 0; j < value_numel(iv); j++) {
        int64_t i = iv->dtype == DT_I32 ? ((const int32_t *)idx)[j] : ((const int64_t *)idx)[j];
        if (i < -dim || i >= dim)
            return diag_error(d, n, "index %" PRId64 " out of range [%" PRId64 ", %" PRId64
                              ") for axis %d", i, -dim, dim, n->a.shape.axis);
    }
    return 0;
}

static int infer_gather(Node *n, Diag *d)
{
    static const DType idx_types[] = { DT_I32, DT_I64, DT_UNDEF };
    const Value *x = n->inputs[0], *iv = n->inputs[1];
    int64_t out[KILN_MAX_RANK];
    int ax, r;
    if (require_dtype(n, 1, idx_types, d))
        return -1;
    if (x->rank == 0)
        return diag_error(d, n, "cannot gather from a scalar");
    if (norm_axis(n, n->a.shape.axis_attr, x->rank, &ax, d))
        return -1;
    n->a.shape.axis = ax;
    r = x->rank - 1 + iv->rank;
    if (r > KILN_MAX_RANK)
        return diag_error(d, n, "unsupported: output rank %d (kiln handles at most %d)",
                          r, KILN_MAX_RANK);
    for (int k = 0; k < ax; k++)
        out[k] = x->dims[k];
    for (int k = 0; k < iv->rank; k++)
        out[ax + k] = iv->dims[k];
    for (int k = ax + 1; k < x->rank; k++)
        out[iv->rank + k - 1] = x->dims[k];
    if (iv->kind == VK_CONST && iv->data != NULL && check_indices(n, iv->data, d))
        return -1;
    return set_output(n, 0, x->dtype, r, out, d);
}

/* Gather as x[outer][axis_dim][inner] (kk_gather's arguments). */
static void gather_geometry(const Node *n, int64_t *outer, int64_t *inner_bytes)
{
    const Value *x = n->inputs[0];
    *outer = 1;
    *inner_bytes = (int64_t)dtype_size(x->dtype);
    for (int k = 0; k < x->rank; k++) {
        if (k < n->a.shape.axis)
            *outer *= x->dims[k];
        else if (k > n->a.shape.axis)
            *inner_bytes *= x->dims[k];
    }
}

/* ----------------------------------------------------------------- Expand */

static int infer_expand(Node *n, Diag *d)
{
    const Value *x = n->inputs[0];
    int64_t shape[KILN_MAX_RANK], out[KILN_MAX_RANK];
    int ns = const_ints(n, 1, shape, KILN_MAX_RANK, d), r;
    if (ns < 0)
        return -1;
    for (int k = 0; k < ns; k++)
        if (shape[k] < 0)
            return diag_error(d, n, "shape[%d] = %" PRId64 " is negative", k, shape[k]);
    if (broadcast_shapes(n, x->rank, x->dims, ns, shape, &r, out, d))
        return -1;
    return set_output(n, 0, x->dtype, r, out, d);
}

/* x's dims left-padded with 1s to the output rank (kk_expand's in_dims). */
static void expand_in_dims(const Node *n, int64_t *dims)
{
    const Value *x = n->inputs[0], *y = n->outputs[0];
    int lead = y->rank - x->rank;
    for (int k = 0; k < y->rank; k++)
        dims[k] = k < lead ? 1 : x->dims[k - lead];
}

/* ------------------------------------------------------- entry points */

int movement_infer(Graph *g, Node *n, Diag *d)
{
    (void)g;
    if (shape_check_data(n, 0, d))
        return -1;
    switch (n->op) {
    case OP_TRANSPOSE: return infer_transpose(n, d);
    case OP_CONCAT: return infer_concat(n, d);
    case OP_SPLIT: return infer_split(n, d);
    case OP_SLICE: return infer_slice(n, d);
    case OP_PAD: return infer_pad(n, d);
    case OP_GATHER: return infer_gather(n, d);
    case OP_EXPAND: return infer_expand(n, d);
    default: return diag_internal(d, "shape_infer called for %s", op_name(n->op));
    }
}

/* Where Pad's constant comes from: the constant_value input (opset >= 11,
 * read at run time), the `value` attribute (opset < 11, converted into
 * buf), or nowhere (zero). */
enum { PADV_ZERO, PADV_INPUT, PADV_ATTR };

static int pad_value_src(const Node *n, unsigned char *buf)
{
    if (n->opset >= 11) {
        const Value *cv = n->ninputs > 2 ? n->inputs[2] : NULL;
        return cv != NULL && value_numel(cv) == 1 ? PADV_INPUT : PADV_ZERO;
    }
    if (n->a.shape.pad.value == 0 ||
        shape_scalar_from_double(n->inputs[0]->dtype, n->a.shape.pad.value, buf))
        return PADV_ZERO;
    return PADV_ATTR;
}

int movement_exec(const Node *n, const void *const *in, void *const *out, Diag *d)
{
    const ShapeAttrs *a = &n->a.shape;
    const Value *x = n->inputs[0], *y = n->outputs[0];
    const size_t es = dtype_size(x->dtype);
    switch (n->op) {
    case OP_TRANSPOSE:
        kk_transpose(in[0], out[0], x->rank, x->dims, a->transpose.perm, es);
        return 0;
    case OP_CONCAT: {
        int64_t chunks[KILN_MAX_IN], outer = concat_chunks(n, chunks);
        kk_concat(in, n->ninputs, out[0], outer, chunks);
        return 0;
    }
    case OP_SPLIT: {
        int64_t chunks[KILN_MAX_OUT], outer = split_chunks(n, chunks);
        kk_split(in[0], out, n->noutputs, outer, chunks);
        return 0;
    }
    case OP_SLICE:
        kk_slice(in[0], out[0], x->rank, x->dims, y->dims, a->slice.rstart, a->slice.rstep, es);
        return 0;
    case OP_PAD: {
        unsigned char buf[8];
        int src = pad_value_src(n, buf);
        kk_pad(in[0], out[0], x->rank, x->dims, a->pad.rpads, a->pad.mode,
               src == PADV_INPUT ? in[2] : src == PADV_ATTR ? buf : NULL, es);
        return 0;
    }
    case OP_GATHER: {
        int64_t outer, inner;
        if (check_indices(n, in[1], d))
            return -1;
        gather_geometry(n, &outer, &inner);
        kk_gather(in[0], in[1], (int)n->inputs[1]->dtype, out[0], outer, x->dims[a->axis],
                  value_numel(n->inputs[1]), (size_t)inner);
        return 0;
    }
    case OP_EXPAND: {
        int64_t dims[KILN_MAX_RANK];
        expand_in_dims(n, dims);
        kk_expand(in[0], out[0], y->rank, dims, y->dims, es);
        return 0;
    }
    default:
        return diag_internal(d, "shape_exec called for %s", op_name(n->op));
    }
}

int movement_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out,
                  Diag *d)
{
    const ShapeAttrs *a = &n->a.shape;
    const Value *x = n->inputs[0], *y = n->outputs[0];
    const size_t es = dtype_size(x->dtype);
    switch (n->op) {
    case OP_TRANSPOSE: {
        /* kk_transpose's strided copy, written out: y's dims and x's
         * strides, so a part of y (backend/c/part.c) reads the right x */
        int64_t st[KILN_MAX_RANK], ps[KILN_MAX_RANK], run = 1;
        for (int k = x->rank - 1; k >= 0; k--) {
            st[k] = run;
            run *= x->dims[k];
        }
        for (int k = 0; k < x->rank; k++)
            ps[k] = st[a->transpose.perm[k]];
        emit(e, "kk_strided_copy(%s, %s, %d, ", in[0], out[0], x->rank);
        shape_emit_dims(e, y->dims, y->rank);
        emit(e, ", ");
        shape_emit_dims(e, ps, x->rank);
        emit(e, ", 0, %zu);\n", es);
        return 0;
    }
    case OP_CONCAT: {
        int64_t chunks[KILN_MAX_IN], outer = concat_chunks(n, chunks);
        emit(e, "kk_concat((const void *const[]){");
        for (int i = 0; i < n->ninputs; i++)
            emit(e, "%s%s", i ? ", " : "", in[i]);
        emit(e, "}, %d, %s, %" PRId64 ", ", n->ninputs, out[0], outer);
        shape_emit_dims(e, chunks, n->ninputs);
        emit(e, ");\n");
        return 0;
    }
    case OP_SPLIT: {
        int64_t chunks[KILN_MAX_OUT], outer = split_chunks(n, chunks);
        emit(e, "kk_split(%s, (void *const[]){", in[0]);
        for (int i = 0; i < n->noutputs; i++)
            emit(e, "%s%s", i ? ", " : "", out[i] ? out[i] : "NULL");
        emit(e, "}, %d, %" PRId64 ", ", n->noutputs, outer);
        shape_emit_dims(e, chunks, n->noutputs);
        emit(e, ");\n");
        return 0;
    }
    case OP_SLICE:
        emit(e, "kk_slice(%s, %s, %d, ", in[0], out[0], x->rank);
        shape_emit_dims(e, x->dims, x->rank);
        emit(e, ", ");
        shape_emit_dims(e, y->dims, x->rank);
        emit(e, ", ");
        shape_emit_dims(e, a->slice.rstart, x->rank);
        emit(e, ", ");
        shape_emit_dims(e, a->slice.rstep, x->rank);
        emit(e, ", %zu);\n", es);
        return 0;
    case OP_PAD: {
        static const char *const modes[] = { "KK_PAD_CONSTANT", "KK_PAD_REFLECT", "KK_PAD_EDGE",
                                             "KK_PAD_WRAP" };
        unsigned char buf[8];
        int src = pad_value_src(n, buf);
        emit(e, "kk_pad(%s, %s, %d, ", in[0], out[0], x->rank);
        shape_emit_dims(e, x->dims, x->rank);
        emit(e, ", ");
        shape_emit_dims(e, a->pad.rpads, 2 * x->rank);   /* all begins, then all ends */
        emit(e, ", %s, ", modes[a->pad.mode]);
        if (src == PADV_INPUT)
            emit(e, "%s", in[2]);
        else if (src == PADV_ATTR)
            shape_emit_scalar(e, x->dtype, buf);
        else
            emit(e, "NULL");
        emit(e, ", %zu);\n", es);
        return 0;
    }
    case OP_GATHER: {
        int64_t outer, inner;
        gather_geometry(n, &outer, &inner);
        emit(e, "kk_gather(%s, %s, %s, %s, %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
             ");\n", in[0], in[1], shape_kk_code(n->inputs[1]->dtype), out[0], outer,
             x->dims[a->axis], value_numel(n->inputs[1]), inner);
        return 0;
    }
    case OP_EXPAND: {
        int64_t dims[KILN_MAX_RANK];
        expand_in_dims(n, dims);
        emit(e, "kk_expand(%s, %s, %d, ", in[0], out[0], y->rank);
        shape_emit_dims(e, dims, y->rank);
        emit(e, ", ");
        shape_emit_dims(e, y->dims, y->rank);
        emit(e, ", %zu);\n", es);
        return 0;
    }
    default:
        return diag_internal(d, "shape_emit called for %s", op_name(n->op));
    }
}
