/*
 * ops_shape.c - the shape family of ops.def: the four entry points
 * (shape_parse / shape_infer / shape_exec / shape_emit, switching on n->op),
 * the parsing of every attribute of the family, and the ops that only do
 * shape arithmetic or produce constants: Flatten, Reshape, Squeeze,
 * Unsqueeze, Shape, Constant, ConstantOfShape and Range. The ops that move
 * data around (Transpose, Concat, Split, Slice, Pad, Gather, Expand) live in
 * ops_movement.c.
 *
 * Pipeline position: parse runs once per node (frontend), infer whenever
 * shapes are (re)computed, exec when constant folding evaluates a node whose
 * inputs are all constant (calling the same kernels as the generated code),
 * emit when the C backend writes the node's statements.
 *
 * Inputs that decide output shapes (Reshape's shape, Squeeze/Unsqueeze axes
 * from opset 13, ConstantOfShape's shape, Range's scalars) must be
 * compile-time constants. Reshape, Flatten, Squeeze and Unsqueeze are plain
 * copies at run time; Shape and Constant always fold (Shape reads only the
 * static shape of its input, never its data).
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "kk.h"
#include "ops_shape.h"

/* ------------------------------------------------------ shared helpers */

int shape_check_data(const Node *n, int k, Diag *d)
{
    const Value *v = k < n->ninputs ? n->inputs[k] : NULL;
    if (v == NULL)
        return diag_error(d, n, "input %d is required", k);
    if (v->dtype == DT_STRING || dtype_size(v->dtype) == 0)
        return diag_error(d, n, "unsupported dtype %s for input %d", dtype_name(v->dtype), k);
    if (v->rank < 0)
        return diag_internal(d, "input %d of node '%s' has no shape", k, n->name);
    return 0;
}

void shape_emit_dims(Emitter *e, const int64_t *v, int n)
{
    if (n == 0) {
        emit(e, "NULL");
        return;
    }
    emit(e, "(const int64_t[])");
    emit_i64s(e, v, n);
}

void shape_emit_scalar(Emitter *e, DType t, const void *p)
{
    union { float f; double g; int8_t i8; int16_t i16; int32_t i32; int64_t i64;
            uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64; } s;
    size_t es = dtype_size(t);
    memcpy(&s, p, es < sizeof s ? es : sizeof s);
    switch (t) {
    case DT_F32: emit(e, "(const float[]){"); emit_float(e, (double)s.f); emit(e, "}"); break;
    case DT_F64: emit(e, "(const double[]){"); emit_double(e, s.g); emit(e, "}"); break;
    case DT_I8: emit(e, "(const int8_t[]){%d}", (int)s.i8); break;
    case DT_I16: emit(e, "(const int16_t[]){%d}", (int)s.i16); break;
    case DT_I32: emit(e, "(const int32_t[]){%" PRId32 "}", s.i32); break;
    case DT_I64: emit(e, "(const int64_t[])"); emit_i64s(e, &s.i64, 1); break;
    case DT_U8: case DT_BOOL: emit(e, "(const uint8_t[]){%u}", (unsigned)s.u8); break;
    case DT_U16: emit(e, "(const uint16_t[]){%u}", (unsigned)s.u16); break;
    case DT_U32: emit(e, "(const uint32_t[]){%" PRIu32 "u}", s.u32); break;
    case DT_U64: emit(e, "(const uint64_t[]){%" PRIu64 "u}", s.u64); break;
    default: {
        /* Other types (f16, bf16): the element's bytes as stored. */
        const unsigned char *b = (const unsigned char *)p;
        emit(e, "(const unsigned char[]){");
        for (size_t i = 0; i < es; i++)
            emit(e, "%s0x%02x", i ? ", " : "", (unsigned)b[i]);
        emit(e, "}");
        break;
    }
    }
}

const char *shape_kk_code(DType t)
{
    switch (t) {
    case DT_F32: return "KK_F32";
    case DT_F64: return "KK_F64";
    case DT_I8: return "KK_I8";
    case DT_I16: return "KK_I16";
    case DT_I32: return "KK_I32";
    case DT_I64: return "KK_I64";
    case DT_U8: return "KK_U8";
    case DT_U16: return "KK_U16";
    case DT_U32: return "KK_U32";
    case DT_U64: return "KK_U64";
    case DT_BOOL: return "KK_BOOL";
    case DT_F16: return "KK_F16";
    case DT_BF16: return "KK_BF16";
    default: return "0";
    }
}

int shape_scalar_from_double(DType t, double v, void *buf)
{
    switch (t) {
    case DT_F32: { float x = (float)v; memcpy(buf, &x, sizeof x); return 0; }
    case DT_F64: memcpy(buf, &v, sizeof v); return 0;
    case DT_I8: { int8_t x = (int8_t)v; memcpy(buf, &x, sizeof x); return 0; }
    case DT_I16: { int16_t x = (int16_t)v; memcpy(buf, &x, sizeof x); return 0; }
    case DT_I32: { int32_t x = (int32_t)v; memcpy(buf, &x, sizeof x); return 0; }
    case DT_I64: { int64_t x = (int64_t)v; memcpy(buf, &x, sizeof x); return 0; }
    case DT_U8: { uint8_t x = (uint8_t)v; memcpy(buf, &x, sizeof x); return 0; }
    case DT_U16: { uint16_t x = (uint16_t)v; memcpy(buf, &x, sizeof x); return 0; }
    case DT_U32: { uint32_t x = (uint32_t)v; memcpy(buf, &x, sizeof x); return 0; }
    case DT_U64: { uint64_t x = (uint64_t)v; memcpy(buf, &x, sizeof x); return 0; }
    case DT_BOOL: { uint8_t x = v != 0; memcpy(buf, &x, sizeof x); return 0; }
    default: return -1;
    }
}

/* An ints attribute of at most max values; -1 when absent. */
static int ints_attr(Graph *g, Node *n, const char *name, int64_t *out, int max, Diag *d,
                     int *err)
{
    const Attr *at = ir_attr_find(n, name);
    if (at != NULL && at->type == AT_INTS && at->n > max) {
        *err = 1;
        diag_error(d, n, "unsupported: attribute '%s' has %d values, kiln handles at most %d",
                   name, at->n, max);
        return -1;
    }
    return attr_ints(g, n, name, out, max, d, err);
}

/* A constant Value outside the graph (like an AT_TENSOR attribute's). */
static Value *detached_const(Graph *g, DType t, int rank, const int64_t *dims)
{
    Value *v = arena_alloc(&g->arena, sizeof *v);
    if (v == NULL)
        return NULL;
    v->id = -1;
    v->name = "value";
    v->kind = VK_CONST;
    v->dtype = t;
    v->rank = rank;
    for (int k = 0; k < rank; k++)
        v->dims[k] = dims[k];
    v->output_index = v->input_index = -1;
    v->offset = -1;
    v->alias_of = -1;
    size_t bytes = value_bytes(v);
    v->data = arena_alloc(&g->arena, bytes ? bytes : 1);
    return v->data ? v : NULL;
}

/* ------------------------------------------------------------- parsing */

/* Constant: exactly one of value, value_float(s), value_int(s). */
static int parse_constant(Graph *g, Node *n, Diag *d)
{
    static const char *const unsupported[] = { "sparse_value", "value_string", "value_strings" };
    ShapeAttrs *a = &n->a.shape;
    int found = 0;
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
        if (ir_attr_find(n, unsupported[i]) != NULL)
            return diag_error(d, n, "unsupported attribute '%s'", unsupported[i]);
    for (int i = 0; i < n->nattrs; i++) {
        const Attr *at = &n->attrs[i];
        Value *v = NULL;
        int64_t len = at->n;
        if (strcmp(at->name, "value") == 0) {
            if (at->type != AT_TENSOR || at->t == NULL)
                return diag_error(d, n, "attribute 'value' must be a tensor");
            v = at->t;
            if (v->dtype == DT_STRING || dtype_size(v->dtype) == 0)
                return diag_error(d, n, "unsupported dtype %s for attribute 'value'",
                                  dtype_name(v->dtype));
        } else if (strcmp(at->name, "value_float") == 0 && at->type == AT_FLOAT) {
            if ((v = detached_const(g, DT_F32, 0, NULL)) != NULL)
                *(float *)v->data = (float)at->f;
        } else if (strcmp(at->name, "value_floats") == 0 && at->type == AT_FLOATS) {
            if ((v = detached_const(g, DT_F32, 1, &len)) != NULL)
                for (int j = 0; j < at->n; j++)
                    ((float *)v->data)[j] = (float)at->floats[j];
        } else if (strcmp(at->name, "value_int") == 0 && at->type == AT_INT) {
            if ((v = detached_const(g, DT_I64, 0, NULL)) != NULL)
                *(int64_t *)v->data = at->i;
        } else if (strcmp(at->name, "value_ints") == 0 && at->type == AT_INTS) {
            if ((v = detached_const(g, DT_I64, 1, &len)) != NULL && at->n > 0)
                memcpy(v->data, at->ints, (size_t)at->n * sizeof(int64_t));
        } else if (strncmp(at->name, "value_", 6) == 0) {
            return diag_error(d, n, "attribute '%s' has the wrong type", at->name);
        } else {
            continue;
        }
        if (v == NULL)
            return diag_internal(d, "out of memory");
        a->constant.value = v;
        found++;
    }
    if (found != 1)
        return diag_error(d, n, "needs exactly one of the attributes value, value_float, "
                          "value_floats, value_int, value_ints (found %d)", found);
    return 0;
}

static int parse_pad(Graph *g, Node *n, Diag *d, int *err)
{
    ShapeAttrs *a = &n->a.shape;
    const char *mode = attr_string(g, n, "mode", "constant", d, err);
    if (*err)
        return -1;
    if (strcmp(mode, "constant") == 0)
        a->pad.mode = KK_PAD_CONSTANT;
    else if (strcmp(mode, "reflect") == 0)
        a->pad.mode = KK_PAD_REFLECT;
    else if (strcmp(mode, "edge") == 0)
        a->pad.mode = KK_PAD_EDGE;
    else if (strcmp(mode, "wrap") == 0)
        a->pad.mode = KK_PAD_WRAP;
    else
        return diag_error(d, n, "unsupported attribute value mode='%s'", mode);
    a->pad.npads = -1;
    if (n->opset < 11) {
        /* Pad-1 called the attribute `paddings`; Pad-2 `pads`. */
        const char *name = ir_attr_find(n, "paddings") != NULL ? "paddings" : "pads";
        a->pad.npads = ints_attr(g, n, name, a->pad.pads, 16, d, err);
        a->pad.value = attr_float(g, n, "value", 0.0, d, err);
    }
    return *err ? -1 : 0;
}

int shape_parse(Graph *g, Node *n, Diag *d)
{
    ShapeAttrs *a = &n->a.shape;
    int err = 0;
    memset(a, 0, sizeof *a);
    switch (n->op) {
    case OP_FLATTEN:
        a->axis_attr = attr_int(g, n, "axis", 1, d, &err);
        break;
    case OP_RESHAPE:
        if (ir_attr_find(n, "shape") != NULL)
            return diag_error(d, n, "unsupported attribute 'shape' (Reshape-1); "
                              "use opset 5 or later");
        a->reshape.allowzero = attr_int(g, n, "allowzero", 0, d, &err) != 0;
        break;
    case OP_SQUEEZE:
    case OP_UNSQUEEZE:
        a->squeeze.naxes = -1;
        if (n->opset < 13)
            a->squeeze.naxes = ints_attr(g, n, "axes", a->squeeze.axes, 8, d, &err);
        break;
    case OP_TRANSPOSE:
        a->transpose.nperm_attr = ints_attr(g, n, "perm", a->transpose.perm_attr, 8, d, &err);
        break;
    case OP_CONCAT:
        /* Concat-1 defaulted axis to 1; from opset 4 it is required. */
        if (n->opset >= 4 && ir_attr_find(n, "axis") == NULL)
            return diag_error(d, n, "missing required attribute 'axis'");
        a->axis_attr = attr_int(g, n, "axis", 1, d, &err);
        break;
    case OP_SPLIT:
        a->axis_attr = attr_int(g, n, "axis", 0, d, &err);
        a->split.nsplit = -1;
        if (n->opset < 13)
            a->split.nsplit = ints_attr(g, n, "split", a->split.split, 8, d, &err);
        a->split.num_outputs = (int)attr_int(g, n, "num_outputs", 0, d, &err);
        if (!err && a->split.num_outputs < 0)
            return diag_error(d, n, "attribute num_outputs=%d must be positive",
                              a->split.num_outputs);
        break;
    case OP_SLICE:
        a->slice.nstarts = a->slice.nends = a->slice.naxes = -1;
        if (n->opset < 10) {
            a->slice.nstarts = ints_attr(g, n, "starts", a->slice.starts, 8, d, &err);
            a->slice.nends = ints_attr(g, n, "ends", a->slice.ends, 8, d, &err);
            a->slice.naxes = ints_attr(g, n, "axes", a->slice.axes, 8, d, &err);
        }
        break;
    case OP_PAD:
        return parse_pad(g, n, d, &err);
    case OP_GATHER:
        a->axis_attr = attr_int(g, n, "axis", 0, d, &err);
        break;
    case OP_SHAPE:
        a->shapeop.start = attr_int(g, n, "start", 0, d, &err);
        a->shapeop.end = attr_int(g, n, "end", INT64_MAX, d, &err);
        break;
    case OP_CONSTANT:
        return parse_constant(g, n, d);
    case OP_CONSTANT_OF_SHAPE: {
        const Attr *at = ir_attr_find(n, "value");
        if (at == NULL)
            break;  /* default: float32 zero */
        if (at->type != AT_TENSOR || at->t == NULL)
            return diag_error(d, n, "attribute 'value' must be a tensor");
        if (value_numel(at->t) != 1)
            return diag_error(d, n, "attribute 'value' must have exactly one element, has %"
                              PRId64, value_numel(at->t));
        if (at->t->dtype == DT_STRING || dtype_size(at->t->dtype) == 0)
            return diag_error(d, n, "unsupported dtype %s for attribute 'value'",
                              dtype_name(at->t->dtype));
        a->constant.value = at->t;
        break;
    }
    case OP_EXPAND:
    case OP_RANGE:
        break;
    default:
        return diag_internal(d, "shape_parse called for %s", op_name(n->op));
    }
    return err ? -1 : 0;
}

/* ------------------------------------------------------------ inference */

static int infer_flatten(Node *n, Diag *d)
{
    const Value *x = n->inputs[0];
    int64_t ax = n->a.shape.axis_attr, out[2] = { 1, 1 };
    if (ax < 0)
        ax += x->rank;
    if (ax < 0 || ax > x->rank)
        return diag_error(d, n, "axis %" PRId64 " out of range for rank %d",
                          n->a.shape.axis_attr, x->rank);
    n->a.shape.axis = (int)ax;
    for (int k = 0; k < x->rank; k++)
        out[k < ax ? 0 : 1] *= x->dims[k];
    return set_output(n, 0, x->dtype, 2, out, d);
}

static int infer_reshape(Node *n, Diag *d)
{
    const Value *x = n->inputs[0];
    int64_t s[KILN_MAX_RANK], known = 1;
    int ns = const_ints(n, 1, s, KILN_MAX_RANK, d), infer_at = -1, has_zero = 0;
    if (ns < 0)
        return -1;
    for (int k = 0; k < ns; k++) {
        if (s[k] == -1) {
            if (infer_at >= 0)
                return diag_error(d, n, "shape has more than one -1");
            infer_at = k;
            continue;
        }
        if (s[k] < -1)
            return diag_error(d, n, "shape[%d] = %" PRId64 " is invalid", k, s[k]);
        if (s[k] == 0) {
            has_zero = 1;
            if (!n->a.shape.reshape.allowzero) {
                /* 0 copies the input dim at the same index. */
                if (k >= x->rank)
                    return diag_error(d, n, "shape[%d] = 0 but the input has rank %d",
                                      k, x->rank);
                s[k] = x->dims[k];
            }
        }
        if (s[k] > 0 && known > ((int64_t)1 << 40) / s[k])
            return diag_error(d, n, "shape[%d] = %" PRId64 " makes the tensor too large", k, s[k]);
        if (s[k] >= 0) known *= s[k];
    }
    if (infer_at >= 0) {
        if (has_zero && n->a.shape.reshape.allowzero)
            return diag_error(d, n, "shape has both 0 and -1 while allowzero=1");
        if (known == 0 || value_numel(x) % known != 0)
            return diag_error(d, n, "cannot infer the -1 in the shape: %" PRId64
                              " elements do not divide into %" PRId64, value_numel(x), known);
        s[infer_at] = value_numel(x) / known;
        known *= s[infer_at];
    }
    if (known != value_numel(x))
        return diag_error(d, n, "cannot reshape %" PRId64 " elements into %" PRId64,
                          value_numel(x), known);
    return set_output(n, 0, x->dtype, ns, s, d);
}

/* Axes of Squeeze/Unsqueeze: the attribute before opset 13, input 1 from
 * 13. Returns the count, -1 on error, -2 when there are none. */
static int squeeze_axes(const Node *n, int64_t *axes, Diag *d)
{
    if (n->opset < 13) {
        if (n->a.shape.squeeze.naxes < 0)
            return -2;
        memcpy(axes, n->a.shape.squeeze.axes, sizeof n->a.shape.squeeze.axes);
        return n->a.shape.squeeze.naxes;
    }
    if (n->ninputs < 2 || n->inputs[1] == NULL)
        return -2;
    return const_ints(n, 1, axes, KILN_MAX_RANK, d);
}

static int infer_squeeze(Node *n, Diag *d)
{
    const Value *x = n->inputs[0];
    int64_t axes[KILN_MAX_RANK], out[KILN_MAX_RANK];
    int drop[KILN_MAX_RANK] = { 0 }, r = 0;
    int na = squeeze_axes(n, axes, d);
    if (na == -1)
        return -1;
    if (na == -2 || na == 0) {
        /* No axes (or an empty list, as onnxruntime reads it): every 1 goes. */
        for (int k = 0; k < x->rank; k++)
            drop[k] = x->dims[k] == 1;
        na = 0;
    }
    for (int i = 0; i < na; i++) {
        int ax;
        if (norm_axis(n, axes[i], x->rank, &ax, d))
            return -1;
        if (x->dims[ax] != 1)
            return diag_error(d, n, "cannot squeeze axis %d of size %" PRId64, ax, x->dims[ax]);
        if (drop[ax])
            return diag_error(d, n, "axis %d is listed twice", ax);
        drop[ax] = 1;
    }
    for (int k = 0; k < x->rank; k++)
        if (!drop[k])
            out[r++] = x->dims[k];
    return set_output(n, 0, x->dtype, r, out, d);
}

static int infer_unsqueeze(Node *n, Diag *d)
{
    const Value *x = n->inputs[0];
    int64_t axes[KILN_MAX_RANK], out[KILN_MAX_RANK];
    int added[KILN_MAX_RANK] = { 0 };
    int na = squeeze_axes(n, axes, d);
    if (na == -1)
        return -1;
    if (na == -2)
        return diag_error(d, n, n->opset < 13 ? "missing required attribute 'axes'"
                                              : "missing required input 1 (axes)");
    int r = x->rank + na;
    if (r > KILN_MAX_RANK)
        return diag_error(d, n, "unsupported: output rank %d (kiln handles at most %d)",
                          r, KILN_MAX_RANK);
    for (int i = 0; i < na; i++) {
        int ax;
        if (norm_axis(n, axes[i], r, &ax, d))
            return -1;
        if (added[ax])
            return diag_error(d, n, "axis %d is listed twice", ax);
        added[ax] = 1;
    }
    for (int k = 0, j = 0; k < r; k++)
        out[k] = added[k] ? 1 : x->dims[j++];
    return set_output(n, 0, x->dtype, r, out, d);
}

static int infer_shape(Node *n, Diag *d)
{
    ShapeAttrs *a = &n->a.shape;
    const Value *x = n->inputs[0];
    int64_t r = x->rank, s = a->shapeop.start, e = a->shapeop.end, len;
    if (x->rank < 0)
        return diag_internal(d, "input of node '%s' has no shape", n->name);
    /* Negative counts from the back; both are then clamped into [0, rank]. */
    if (s < 0)
        s += r;
    if (e < 0)
        e += r;
    s = s < 0 ? 0 : s > r ? r : s;
    e = e < 0 ? 0 : e > r ? r : e;
    a->shapeop.rstart = s;
    a->shapeop.rend = e < s ? s : e;
    len = a->shapeop.rend - s;
    return set_output(n, 0, DT_I64, 1, &len, d);
}

static int infer_constant_of_shape(Node *n, Diag *d)
{
    const Value *val = n->a.shape.constant.value;
    int64_t dims[KILN_MAX_RANK];
    int r = const_ints(n, 0, dims, KILN_MAX_RANK, d);
    if (r < 0)
        return -1;
    for (int k = 0; k < r; k++)
        if (dims[k] < 0)
            return diag_error(d, n, "shape[%d] = %" PRId64 " is negative", k, dims[k]);
    return set_output(n, 0, val ? val->dtype : DT_F32, r, dims, d);
}

/* Range's scalar input k, which must be constant, as int64 or double. */
static int range_scalar(const Node *n, int k, int64_t *iv, double *fv, Diag *d)
{
    const Value *v = n->inputs[k];
    if (v->kind != VK_CONST || v->data == NULL)
        return diag_error(d, n, "input %d ('%s') must be a compile-time constant", k, v->name);
    if (value_numel(v) != 1)
        return diag_error(d, n, "input %d ('%s') must be a scalar, has %" PRId64 " elements",
                          k, v->name, value_numel(v));
    switch (v->dtype) {
    case DT_F32: *fv = *(const float *)v->data; break;
    case DT_F64: *fv = *(const double *)v->data; break;
    case DT_I16: *iv = *(const int16_t *)v->data; break;
    case DT_I32: *iv = *(const int32_t *)v->data; break;
    case DT_I64: *iv = *(const int64_t *)v->data; break;
    default: return diag_internal(d, "range_scalar: dtype %d", (int)v->dtype);
    }
    *fv = dtype_is_float(v->dtype) ? *fv : (double)*iv;
    return 0;
}

static int infer_range(Node *n, Diag *d)
{
    static const DType ok[] = { DT_F32, DT_F64, DT_I16, DT_I32, DT_I64, DT_UNDEF };
    int64_t is[3] = { 0, 0, 0 }, cnt;
    double fs[3] = { 0, 0, 0 };
    DType t = n->inputs[0]->dtype;
    for (int k = 0; k < 3; k++) {
        if (require_dtype(n, k, ok, d))
            return -1;
        if (n->inputs[k]->dtype != t)
            return diag_error(d, n, "input %d has dtype %s, input 0 has %s", k,
                              dtype_name(n->inputs[k]->dtype), dtype_name(t));
    }
    for (int k = 0; k < 3; k++)
        if (range_scalar(n, k, &is[k], &fs[k], d))
            return -1;
    if (dtype_is_float(t)) {
        if (fs[2] == 0 || !isfinite(fs[0]) || !isfinite(fs[1]) || !isfinite(fs[2]))
            return diag_error(d, n, "start, limit and delta must be finite and delta nonzero");
        double c = ceil((fs[1] - fs[0]) / fs[2]);
        if (c > (double)((int64_t)1 << 40))
            return diag_error(d, n, "unsupported: %.0f elements", c);
        cnt = c > 0 ? (int64_t)c : 0;
    } else {
        /* ceil((limit - start) / delta) exactly, in unsigned arithmetic so
         * that extreme int64 values cannot overflow. */
        if (is[2] == 0)
            return diag_error(d, n, "delta must not be 0");
        uint64_t diff, step;
        if (is[2] > 0 && is[1] > is[0]) {
            diff = (uint64_t)is[1] - (uint64_t)is[0];
            step = (uint64_t)is[2];
        } else if (is[2] < 0 && is[1] < is[0]) {
            diff = (uint64_t)is[0] - (uint64_t)is[1];
            step = (uint64_t)0 - (uint64_t)is[2];
        } else {
            diff = 0;
            step = 1;
        }
        uint64_t c = diff / step + (diff % step != 0);
        if (c > ((uint64_t)1 << 40))
            return diag_error(d, n, "unsupported: %" PRIu64 " elements", c);
        cnt = (int64_t)c;
    }
    return set_output(n, 0, t, 1, &cnt, d);
}

int shape_infer(Graph *g, Node *n, Diag *d)
{
    switch (n->op) {
    case OP_FLATTEN:
    case OP_RESHAPE:
    case OP_SQUEEZE:
    case OP_UNSQUEEZE:
        if (shape_check_data(n, 0, d))
            return -1;
        return n->op == OP_FLATTEN ? infer_flatten(n, d)
             : n->op == OP_RESHAPE ? infer_reshape(n, d)
             : n->op == OP_SQUEEZE ? infer_squeeze(n, d)
             : infer_unsqueeze(n, d);
    case OP_SHAPE:
        return infer_shape(n, d);   /* any dtype: only the shape is read */
    case OP_CONSTANT: {
        const Value *v = n->a.shape.constant.value;
        if (v == NULL)
            return diag_internal(d, "Constant '%s' was not parsed", n->name);
        return set_output(n, 0, v->dtype, v->rank, v->dims, d);
    }
    case OP_CONSTANT_OF_SHAPE:
        return infer_constant_of_shape(n, d);
    case OP_RANGE:
        return infer_range(n, d);
    default:
        return movement_infer(g, n, d);
    }
}

/* ------------------------------------------------------------- host exec */

int shape_exec(const Node *n, const void *const *in, void *const *out, Diag *d)
{
    const Value *y = n->outputs[0];
    switch (n->op) {
    case OP_FLATTEN:
    case OP_RESHAPE:
    case OP_SQUEEZE:
    case OP_UNSQUEEZE:
        kk_copy(in[0], out[0], value_bytes(y));
        return 0;
    case OP_SHAPE: {
        /* From the static shape; in[0] may be NULL (its data never exists). */
        const Value *x = n->inputs[0];
        int64_t *o = out[0];
        for (int64_t k = n->a.shape.shapeop.rstart; k < n->a.shape.shapeop.rend; k++)
            *o++ = x->dims[k];
        return 0;
    }
    case OP_CONSTANT: {
        const Value *v = n->a.shape.constant.value;
        if (value_bytes(v) > 0)
            memcpy(out[0], v->data, value_bytes(v));
        return 0;
    }
    case OP_CONSTANT_OF_SHAPE: {
        const Value *v = n->a.shape.constant.value;
        kk_fill(out[0], value_numel(y), v ? v->data : NULL, dtype_size(y->dtype));
        return 0;
    }
    case OP_RANGE:
        kk_range(out[0], (int)y->dtype, value_numel(y), in[0], in[2]);
        return 0;
    default:
        return movement_exec(n, in, out, d);
    }
}

/* ------------------------------------------------------------ C emission */

/* Constants that did not fold are emitted as literals up to this size. */
#define SHAPE_INLINE_MAX 4096

static int emit_literal_copy(Emitter *e, const Node *n, const Value *v, const char *dst,
                             Diag *d)
{
    size_t bytes = value_bytes(v);
    const unsigned char *b = v->data;
    if (bytes == 0) {
        emit(e, "(void)(%s); /* empty tensor */\n", dst);
        return 0;
    }
    if (bytes > SHAPE_INLINE_MAX)
        return diag_error(d, n, "unsupported: %zu-byte constant cannot be emitted inline "
                          "(constant folding moves it into the weights)", bytes);
    emit(e, "kk_copy((const unsigned char[]){");
    for (size_t i = 0; i < bytes; i++)
        emit(e, "%s0x%02x", i == 0 ? "" : i % 16 == 0 ? ",\n    " : ", ", (unsigned)b[i]);
    emit(e, "}, %s, %zu);\n", dst, bytes);
    return 0;
}

int shape_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out,
               Diag *d)
{
    const Value *y = n->outputs[0];
    emit_use(e, KKF_SHAPE);
    switch (n->op) {
    case OP_FLATTEN:
    case OP_RESHAPE:
    case OP_SQUEEZE:
    case OP_UNSQUEEZE:
        emit(e, "kk_copy(%s, %s, %zu);\n", in[0], out[0], value_bytes(y));
        return 0;
    case OP_SHAPE: {
        const Value *x = n->inputs[0];
        int64_t len = n->a.shape.shapeop.rend - n->a.shape.shapeop.rstart;
        if (len == 0) {
            emit(e, "(void)(%s); /* empty shape */\n", out[0]);
            return 0;
        }
        emit(e, "kk_copy(");
        shape_emit_dims(e, x->dims + n->a.shape.shapeop.rstart, (int)len);
        emit(e, ", %s, %zu);\n", out[0], (size_t)len * sizeof(int64_t));
        return 0;
    }
    case OP_CONSTANT:
        return emit_literal_copy(e, n, n->a.shape.constant.value, out[0], d);
    case OP_CONSTANT_OF_SHAPE: {
        const Value *v = n->a.shape.constant.value;
        emit(e, "kk_fill(%s, %" PRId64 ", ", out[0], value_numel(y));
        if (v != NULL)
            shape_emit_scalar(e, v->dtype, v->data);
        else
            emit(e, "NULL");
        emit(e, ", %zu);\n", dtype_size(y->dtype));
        return 0;
    }
    case OP_RANGE:
        /* start and delta are read at run time (they are constants here). */
        emit(e, "kk_range(%s, %s, %" PRId64 ", %s, %s);\n", out[0], shape_kk_code(y->dtype),
             value_numel(y), in[0], in[2]);
        return 0;
    default:
        return movement_emit(e, n, in, out, d);
    }
}
