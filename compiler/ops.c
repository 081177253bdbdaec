/*
 * ops.c - the op table expanded from ops.def, name lookup, dtype facts, and
 * the small helpers every op family's parse/infer functions share (attribute
 * readers, output setting, constant-input reading, broadcasting).
 */
#include <math.h>
#include <string.h>

#include "ir.h"

const OpInfo op_table[OP_COUNT_] = {
#define X(kind, onnx_name, min_in, max_in, min_out, max_out, flags, parse, infer, exec, emit_c, emit_cuda, grad) \
    {OP_##kind, onnx_name, min_in, max_in, min_out, max_out, flags, parse, infer, exec, emit_c, emit_cuda, grad},
#include "ops.def"
#undef X
};

const OpInfo *op_lookup(const char *onnx_name) {
    for (int i = 0; i < OP_COUNT_; i++)
        if (strcmp(op_table[i].onnx_name, onnx_name) == 0) return &op_table[i];
    return NULL;
}

const char *op_name(OpKind k) { return (unsigned)k < OP_COUNT_ ? op_table[k].onnx_name : "?"; }

/* ------------------------------------------------------------------ dtypes */

static const struct { const char *name, *ctype; size_t size; } dtype_facts[DT_COUNT_] = {
    [DT_F32] = {"f32", "float", 4},     [DT_U8] = {"u8", "uint8_t", 1},
    [DT_I8] = {"i8", "int8_t", 1},      [DT_U16] = {"u16", "uint16_t", 2},
    [DT_I16] = {"i16", "int16_t", 2},   [DT_I32] = {"i32", "int32_t", 4},
    [DT_I64] = {"i64", "int64_t", 8},   [DT_STRING] = {"string", NULL, 0},
    [DT_BOOL] = {"bool", "uint8_t", 1}, [DT_F16] = {"f16", "uint16_t", 2},
    [DT_F64] = {"f64", "double", 8},    [DT_U32] = {"u32", "uint32_t", 4},
    [DT_U64] = {"u64", "uint64_t", 8},  [DT_BF16] = {"bf16", "uint16_t", 2},
};

size_t dtype_size(DType t) { return (unsigned)t < DT_COUNT_ ? dtype_facts[t].size : 0; }

const char *dtype_name(DType t) {
    return (unsigned)t < DT_COUNT_ && dtype_facts[t].name ? dtype_facts[t].name : "undefined";
}

const char *dtype_ctype(DType t) {
    return (unsigned)t < DT_COUNT_ && dtype_facts[t].ctype ? dtype_facts[t].ctype : "void";
}

DType dtype_from_name(const char *s) {
    for (int t = 1; t < DT_COUNT_; t++)
        if (dtype_facts[t].name && strcmp(dtype_facts[t].name, s) == 0) return (DType)t;
    return DT_UNDEF;
}

const char *dtype_kk_const(DType t, bool with_bool) {
    switch (t) {
    case DT_F32: return "KK_F32";
    case DT_F64: return "KK_F64";
    case DT_I8: return "KK_I8";
    case DT_U8: return "KK_U8";
    case DT_I16: return "KK_I16";
    case DT_U16: return "KK_U16";
    case DT_I32: return "KK_I32";
    case DT_U32: return "KK_U32";
    case DT_I64: return "KK_I64";
    case DT_U64: return "KK_U64";
    case DT_BOOL: return with_bool ? "KK_BOOL" : NULL;
    default: return NULL;
    }
}

bool dtype_is_float(DType t) { return t == DT_F32 || t == DT_F64 || t == DT_F16 || t == DT_BF16; }

bool dtype_is_int(DType t) {
    return t == DT_I8 || t == DT_I16 || t == DT_I32 || t == DT_I64 || t == DT_U8 || t == DT_U16 ||
           t == DT_U32 || t == DT_U64;
}

/* ------------------------------------------------------------- attributes */

static const char *attr_type_name(AttrType t) {
    static const char *names[] = {"none", "float", "int", "string", "tensor",
                                  "graph", "floats", "ints", "strings"};
    return (unsigned)t <= AT_STRINGS ? names[t] : "unknown";
}

static Attr *attr_typed(Node *n, const char *name, AttrType want, Diag *d, int *err) {
    Attr *a = ir_attr_find(n, name);
    if (!a) return NULL;
    if (a->type != want) {
        diag_error(d, n, "attribute '%s' has type %s, expected %s", name, attr_type_name(a->type),
                   attr_type_name(want));
        if (err) *err = 1;
        return NULL;
    }
    return a;
}

int64_t attr_int(Graph *g, Node *n, const char *name, int64_t dflt, Diag *d, int *err) {
    (void)g;
    Attr *a = attr_typed(n, name, AT_INT, d, err);
    return a ? a->i : dflt;
}

double attr_float(Graph *g, Node *n, const char *name, double dflt, Diag *d, int *err) {
    (void)g;
    Attr *a = ir_attr_find(n, name);
    if (a && a->type == AT_INT) return (double)a->i; /* some exporters write 0 for 0.0 */
    a = attr_typed(n, name, AT_FLOAT, d, err);
    return a ? a->f : dflt;
}

const char *attr_string(Graph *g, Node *n, const char *name, const char *dflt, Diag *d, int *err) {
    (void)g;
    Attr *a = attr_typed(n, name, AT_STRING, d, err);
    return a ? a->s : dflt;
}

int attr_ints(Graph *g, Node *n, const char *name, int64_t *out, int max, Diag *d, int *err) {
    (void)g;
    Attr *a = attr_typed(n, name, AT_INTS, d, err);
    if (!a) return -1;
    if (a->n > max) {
        diag_error(d, n, "unsupported: attribute '%s' has %d values, at most %d supported", name, a->n, max);
        if (err) *err = 1;
        return -1;
    }
    for (int i = 0; i < a->n; i++) out[i] = a->ints[i];
    return a->n;
}

int attr_floats(Graph *g, Node *n, const char *name, double *out, int max, Diag *d, int *err) {
    (void)g;
    Attr *a = attr_typed(n, name, AT_FLOATS, d, err);
    if (!a) return -1;
    if (a->n > max) {
        diag_error(d, n, "unsupported: attribute '%s' has %d values, at most %d supported", name, a->n, max);
        if (err) *err = 1;
        return -1;
    }
    for (int i = 0; i < a->n; i++) out[i] = a->floats[i];
    return a->n;
}

/* ------------------------------------------------------ shapes and values */

int64_t value_numel(const Value *v) {
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++) n *= v->dims[i];
    return n;
}

size_t value_bytes(const Value *v) { return (size_t)value_numel(v) * dtype_size(v->dtype); }

/* Largest tensor kiln accepts: 2^40 bytes keeps every offset computation in
 * int64 far from overflow while allowing any real model. */
#define KILN_MAX_TENSOR_BYTES ((int64_t)1 << 40)

int set_output(Node *n, int k, DType t, int rank, const int64_t *dims, Diag *d) {
    if (k >= n->noutputs || !n->outputs[k]) return 0; /* omitted optional output */
    if (rank < 0 || rank > KILN_MAX_RANK)
        return diag_error(d, n, "unsupported: output %d has rank %d (max %d)", k, rank, KILN_MAX_RANK);
    size_t es = dtype_size(t);
    if (es == 0) return diag_error(d, n, "unsupported dtype %s for output %d", dtype_name(t), k);
    int64_t total = (int64_t)es;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return diag_error(d, n, "output %d: negative dimension %lld", k, (long long)dims[i]);
        if (dims[i] > 0 && total > KILN_MAX_TENSOR_BYTES / dims[i])
            return diag_error(d, n, "output %d: tensor larger than %lld bytes", k,
                              (long long)KILN_MAX_TENSOR_BYTES);
        total *= dims[i];
    }
    Value *v = n->outputs[k];
    v->dtype = t;
    v->rank = rank;
    for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
    return 0;
}

static int const_input(const Node *n, int k, Diag *d, const Value **out) {
    const Value *v = k < n->ninputs ? n->inputs[k] : NULL;
    if (!v) return diag_error(d, n, "input %d is required", k);
    if (v->kind != VK_CONST || !v->data)
        return diag_error(d, n, "input %d ('%s') must be a compile-time constant (it determines an output shape);"
                          " bind it with --freeze '%s'=FILE", k, v->name, v->name);
    *out = v;
    return 0;
}

int const_ints(const Node *n, int k, int64_t *out, int max, Diag *d) {
    const Value *v = NULL;
    if (const_input(n, k, d, &v)) return -1;
    int64_t cnt = value_numel(v);
    if (cnt > max)
        return diag_error(d, n, "unsupported: input %d ('%s') has %lld values, at most %d supported", k, v->name,
                          (long long)cnt, max);
    for (int64_t i = 0; i < cnt; i++) {
        switch (v->dtype) {
        case DT_I64: out[i] = ((const int64_t *)v->data)[i]; break;
        case DT_I32: out[i] = ((const int32_t *)v->data)[i]; break;
        case DT_U8: case DT_BOOL: out[i] = ((const uint8_t *)v->data)[i]; break;
        default:
            return diag_error(d, n, "input %d ('%s') has dtype %s, expected an integer type", k, v->name,
                              dtype_name(v->dtype));
        }
    }
    return (int)cnt;
}

int const_floats(const Node *n, int k, double *out, int max, Diag *d) {
    const Value *v = NULL;
    if (const_input(n, k, d, &v)) return -1;
    int64_t cnt = value_numel(v);
    if (cnt > max)
        return diag_error(d, n, "unsupported: input %d ('%s') has %lld values, at most %d supported", k, v->name,
                          (long long)cnt, max);
    for (int64_t i = 0; i < cnt; i++) {
        switch (v->dtype) {
        case DT_F32: out[i] = ((const float *)v->data)[i]; break;
        case DT_F64: out[i] = ((const double *)v->data)[i]; break;
        case DT_I64: out[i] = (double)((const int64_t *)v->data)[i]; break;
        case DT_I32: out[i] = ((const int32_t *)v->data)[i]; break;
        default:
            return diag_error(d, n, "unsupported dtype %s for input %d ('%s')", dtype_name(v->dtype), k, v->name);
        }
    }
    return (int)cnt;
}

int broadcast_shapes(const Node *n, int ra, const int64_t *a, int rb, const int64_t *b, int *rout,
                     int64_t *out, Diag *d) {
    int r = ra > rb ? ra : rb;
    for (int i = 0; i < r; i++) {
        int64_t x = i < r - ra ? 1 : a[i - (r - ra)];
        int64_t y = i < r - rb ? 1 : b[i - (r - rb)];
        if (x != y && x != 1 && y != 1)
            return diag_error(d, n, "shapes cannot be broadcast: dimension %d is %lld vs %lld", i, (long long)x,
                              (long long)y);
        out[i] = x == 1 ? y : x;
    }
    *rout = r;
    return 0;
}

int norm_axis(const Node *n, int64_t axis, int rank, int *out, Diag *d) {
    if (axis < -rank || axis >= (rank > 0 ? rank : 1))
        return diag_error(d, n, "axis %lld out of range for rank %d", (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return 0;
}

int require_dtype(const Node *n, int k, const DType *allowed, Diag *d) {
    const Value *v = k < n->ninputs ? n->inputs[k] : NULL;
    if (!v) return diag_error(d, n, "input %d is required", k);
    for (const DType *t = allowed; *t; t++)
        if (v->dtype == *t) return 0;
    return diag_error(d, n, "unsupported dtype %s for input %d ('%s')", dtype_name(v->dtype), k, v->name);
}
