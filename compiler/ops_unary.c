/*
 * ops_unary.c - the elementwise unary family of the ops table: activations
 * (Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, Softplus, Elu,
 * Gelu, Mish, Celu, Selu, Softsign, ThresholdedRelu, Shrink, Swish and the
 * internal kiln.Silu), math functions (Erf, Exp, Log, Sqrt, Neg, Abs,
 * Reciprocal, Floor, Ceil, Round, Sign, trigonometric and hyperbolic
 * functions and their inverses), BitwiseNot, Clip, Cast, CastLike, Identity
 * and inference-mode Dropout.
 *
 * Pipeline position: parse and infer run in ir_infer (raw attributes ->
 * UnaryAttrs, output dtype and shape = the input's); exec is called by
 * constant folding; emit by the C backend. exec and the generated code call
 * the same kernels (kernels/ref/unary.c), so folded constants equal run-time
 * results.
 *
 * One row of un_info[] describes each op: its kernel op code and the input
 * dtypes it accepts. Clip, Cast (and CastLike), Identity and Dropout have
 * kernels of their own; every other op is one kk_unary_<type> call.
 */
#include <math.h>
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

/* ------------------------------------------------------ op descriptions */

static const DType T_FLOAT[] = {DT_F32, DT_F64, DT_UNDEF};
static const DType T_SIGNED[] = {DT_F32, DT_F64, DT_I8, DT_I16, DT_I32, DT_I64, DT_UNDEF};
static const DType T_INT[] = {DT_I8, DT_I16, DT_I32, DT_I64, DT_U8, DT_U16, DT_U32, DT_U64, DT_UNDEF};
static const DType T_NUMERIC[] = {DT_F32, DT_F64, DT_I8, DT_I16, DT_I32, DT_I64,
                                  DT_U8,  DT_U16, DT_U32, DT_U64, DT_UNDEF};
static const DType T_ALL[] = {DT_F32, DT_F64, DT_I8,  DT_I16, DT_I32, DT_I64,
                              DT_U8,  DT_U16, DT_U32, DT_U64, DT_BOOL, DT_UNDEF};

typedef struct UnInfo {
    OpKind op;
    int kk;                 /* KK_UN_* code; 0: the op has its own kernel */
    const char *kk_name;    /* the same constant as it appears in generated code */
    const DType *types;     /* accepted dtypes of input 0 (ONNX's lists, minus f16/bf16) */
} UnInfo;

#define UN(op, code, types) {OP_##op, code, #code, types}
static const UnInfo un_info[] = {
    UN(RELU, KK_UN_RELU, T_SIGNED),
    UN(LEAKY_RELU, KK_UN_LEAKY_RELU, T_FLOAT),
    UN(SIGMOID, KK_UN_SIGMOID, T_FLOAT),
    UN(TANH, KK_UN_TANH, T_FLOAT),
    UN(HARD_SIGMOID, KK_UN_HARD_SIGMOID, T_FLOAT),
    UN(HARD_SWISH, KK_UN_HARD_SWISH, T_FLOAT),
    UN(SOFTPLUS, KK_UN_SOFTPLUS, T_FLOAT),
    UN(ELU, KK_UN_ELU, T_FLOAT),
    UN(GELU, KK_UN_GELU, T_FLOAT),        /* KK_UN_GELU_TANH when approximate="tanh" */
    UN(ERF, KK_UN_ERF, T_FLOAT),
    UN(EXP, KK_UN_EXP, T_FLOAT),
    UN(LOG, KK_UN_LOG, T_FLOAT),
    UN(SQRT, KK_UN_SQRT, T_FLOAT),
    UN(NEG, KK_UN_NEG, T_SIGNED),
    UN(ABS, KK_UN_ABS, T_NUMERIC),
    UN(RECIPROCAL, KK_UN_RECIPROCAL, T_FLOAT),
    UN(FLOOR, KK_UN_FLOOR, T_FLOAT),
    UN(CEIL, KK_UN_CEIL, T_FLOAT),
    UN(ROUND, KK_UN_ROUND, T_FLOAT),
    UN(SIGN, KK_UN_SIGN, T_NUMERIC),
    UN(SIN, KK_UN_SIN, T_FLOAT),
    UN(COS, KK_UN_COS, T_FLOAT),
    UN(TAN, KK_UN_TAN, T_FLOAT),
    UN(ASIN, KK_UN_ASIN, T_FLOAT),
    UN(ACOS, KK_UN_ACOS, T_FLOAT),
    UN(ATAN, KK_UN_ATAN, T_FLOAT),
    UN(SINH, KK_UN_SINH, T_FLOAT),
    UN(COSH, KK_UN_COSH, T_FLOAT),
    UN(ASINH, KK_UN_ASINH, T_FLOAT),
    UN(ACOSH, KK_UN_ACOSH, T_FLOAT),
    UN(ATANH, KK_UN_ATANH, T_FLOAT),
    UN(MISH, KK_UN_MISH, T_FLOAT),
    UN(CELU, KK_UN_CELU, T_FLOAT),
    UN(SELU, KK_UN_SELU, T_FLOAT),
    UN(SOFTSIGN, KK_UN_SOFTSIGN, T_FLOAT),
    UN(THRESHOLDED_RELU, KK_UN_THRESHOLDED_RELU, T_FLOAT),
    UN(SHRINK, KK_UN_SHRINK, T_FLOAT),    /* ONNX also allows integers: not supported */
    UN(SWISH, KK_UN_SWISH, T_FLOAT),
    UN(SILU, KK_UN_SILU, T_FLOAT),
    UN(BITWISE_NOT, KK_UN_BITWISE_NOT, T_INT),
    {OP_CLIP, 0, NULL, T_NUMERIC},
    {OP_CAST, 0, NULL, T_ALL},
    {OP_CAST_LIKE, 0, NULL, T_ALL},       /* target: input 1's dtype (set by infer) */
    {OP_IDENTITY, 0, NULL, T_ALL},
    {OP_DROPOUT, 0, NULL, T_FLOAT},
};
#undef UN

static const UnInfo *un_lookup(OpKind op) {
    for (size_t i = 0; i < sizeof un_info / sizeof un_info[0]; i++)
        if (un_info[i].op == op) return &un_info[i];
    return NULL;
}

/* The numeric types the typed kernels are instantiated for:
 * X(dtype, kernel suffix, C type, kernel type constant). */
#define UN_TYPES(X) \
    X(DT_F32, f32, float, KK_F32) \
    X(DT_F64, f64, double, KK_F64) \
    X(DT_I8, i8, int8_t, KK_I8) \
    X(DT_I16, i16, int16_t, KK_I16) \
    X(DT_I32, i32, int32_t, KK_I32) \
    X(DT_I64, i64, int64_t, KK_I64) \
    X(DT_U8, u8, uint8_t, KK_U8) \
    X(DT_U16, u16, uint16_t, KK_U16) \
    X(DT_U32, u32, uint32_t, KK_U32) \
    X(DT_U64, u64, uint64_t, KK_U64)

/* Kernel type constant in generated code (Cast); NULL outside T_ALL. */
static const char *kk_type_name(DType t) {
    switch (t) {
#define X(dt, sfx, ctype, kk) \
    case dt: return #kk;
        UN_TYPES(X)
#undef X
    case DT_BOOL: return "KK_BOOL";
    default: return NULL;
    }
}

static int is_in(DType t, const DType *list) {
    for (; *list; list++)
        if (*list == t) return 1;
    return 0;
}

/* Name of an ONNX type code, including those outside DType (float8, int4,
 * ...), for messages; NULL if unknown. */
static const char *any_type_name(int64_t t) {
    static const char *const onnx_only[] = {
        [DT_STRING] = "string", [14] = "complex64", [15] = "complex128", [17] = "float8e4m3fn",
        [18] = "float8e4m3fnuz", [19] = "float8e5m2", [20] = "float8e5m2fnuz", [21] = "uint4",
        [22] = "int4", [23] = "float4e2m1", [24] = "float8e8m0", [25] = "uint2", [26] = "int2",
    };
    if (t > 0 && t < DT_COUNT_ && dtype_size((DType)t)) return dtype_name((DType)t);
    if (t > 0 && t < (int64_t)(sizeof onnx_only / sizeof onnx_only[0])) return onnx_only[t];
    return NULL;
}

/* --------------------------------------------------------------- parse */

int unary_parse(Graph *g, Node *n, Diag *d) {
    UnaryAttrs *a = &n->a.unary;
    int err = 0;
    memset(a, 0, sizeof *a);
    a->lo = -INFINITY;
    a->hi = INFINITY;
    switch (n->op) {
    case OP_LEAKY_RELU: a->alpha = attr_float(g, n, "alpha", 0.01, d, &err); break;
    case OP_ELU:
    case OP_CELU:
    case OP_THRESHOLDED_RELU:
    case OP_SWISH: a->alpha = attr_float(g, n, "alpha", 1.0, d, &err); break;
    case OP_SELU: /* beta carries gamma */
        a->alpha = attr_float(g, n, "alpha", 1.67326319217681884765625, d, &err);
        a->beta = attr_float(g, n, "gamma", 1.05070102214813232421875, d, &err);
        break;
    case OP_SHRINK: /* alpha carries lambd, beta bias */
        a->alpha = attr_float(g, n, "lambd", 0.5, d, &err);
        a->beta = attr_float(g, n, "bias", 0.0, d, &err);
        break;
    case OP_HARD_SIGMOID:
        a->alpha = attr_float(g, n, "alpha", 0.2, d, &err);
        a->beta = attr_float(g, n, "beta", 0.5, d, &err);
        break;
    case OP_HARD_SWISH: /* HardSigmoid with fixed alpha 1/6, beta 1/2, times x */
        a->alpha = 1.0 / 6.0;
        a->beta = 0.5;
        break;
    case OP_GELU: {
        const char *s = attr_string(g, n, "approximate", "none", d, &err);
        if (err) break;
        if (!strcmp(s, "tanh")) a->approx_tanh = 1;
        else if (strcmp(s, "none") != 0)
            return diag_error(d, n, "unsupported attribute value approximate='%s' (expected 'none' or 'tanh')", s);
        break;
    }
    case OP_CLIP: /* before opset 11 the bounds are attributes; later, inputs (read in infer) */
        if (n->opset > 0 && n->opset < 11) {
            a->lo = attr_float(g, n, "min", -INFINITY, d, &err);
            a->hi = attr_float(g, n, "max", INFINITY, d, &err);
        }
        break;
    case OP_CAST: {
        int64_t to = attr_int(g, n, "to", -1, d, &err);
        if (err) break;
        if (to < 0) return diag_error(d, n, "missing required attribute 'to'");
        const char *name = any_type_name(to);
        if (to >= DT_COUNT_ || !is_in((DType)to, T_ALL))
            return diag_error(d, n, "unsupported Cast target dtype %s (ONNX type %lld)", name ? name : "unknown",
                              (long long)to);
        a->to = (int)to;
        break;
    }
    default: break; /* no attributes (Dropout's ratio/seed do not matter at inference; CastLike's
                     * saturate and round_mode only affect float8/float4 targets, unsupported) */
    }
    return err ? -1 : 0;
}

/* --------------------------------------------------------------- infer */

/* One element of a numeric constant as a double. */
static double scalar_value(const Value *v) {
    switch (v->dtype) {
#define X(dt, sfx, ctype, kk) \
    case dt: return (double)*(const ctype *)v->data;
        UN_TYPES(X)
#undef X
    default: return 0;
    }
}

/* Clip's optional min (k = 1) / max (k = 2) inputs: scalars of x's dtype.
 * Constant ones are recorded in lo/hi for passes that fuse Clip. */
static int clip_bound(Node *n, int k, double *out, Diag *d) {
    const Value *b = k < n->ninputs ? n->inputs[k] : NULL;
    if (!b) return 0;
    if (b->dtype != n->inputs[0]->dtype)
        return diag_error(d, n, "input %d ('%s') has dtype %s, but input 0 has %s", k, b->name,
                          dtype_name(b->dtype), dtype_name(n->inputs[0]->dtype));
    if (value_numel(b) != 1)
        return diag_error(d, n, "input %d ('%s') must be a scalar, has %lld elements", k, b->name,
                          (long long)value_numel(b));
    if (b->kind == VK_CONST && b->data) *out = scalar_value(b);
    else n->a.unary.bounds_runtime = 1;
    return 0;
}

static int dropout_infer(Node *n, Diag *d) {
    const Value *tm = n->ninputs > 2 ? n->inputs[2] : NULL;
    if (tm) {
        if (tm->kind != VK_CONST || !tm->data)
            return diag_error(d, n, "input 2 (training_mode, '%s') must be a compile-time constant", tm->name);
        if (tm->dtype != DT_BOOL || value_numel(tm) != 1)
            return diag_error(d, n, "input 2 (training_mode, '%s') must be a bool scalar", tm->name);
        if (*(const uint8_t *)tm->data)
            return diag_error(d, n, "unsupported: Dropout in training mode (training_mode is true)");
    }
    if (n->noutputs > 1 && n->outputs[1]) {
        const Value *x = n->inputs[0];
        if (n->opset > 0 && n->opset < 10) {
            /* before opset 10 the mask is typed like the input; an unread one is simply dropped */
            if (n->outputs[1]->nuses == 0 && n->outputs[1]->output_index < 0) {
                n->outputs[1] = NULL;
                n->noutputs = 1;
                return 0;
            }
            return diag_error(d, n, "unsupported: Dropout mask output before opset 10 (opset %d)", n->opset);
        }
        return set_output(n, 1, DT_BOOL, x->rank, x->dims, d);
    }
    return 0;
}

int unary_infer(Graph *g, Node *n, Diag *d) {
    (void)g;
    const UnInfo *info = un_lookup(n->op);
    if (!info) return diag_internal(d, "unary_infer called for %s", op_name(n->op));
    if (require_dtype(n, 0, info->types, d)) return -1;
    const Value *x = n->inputs[0];
    DType out = x->dtype;
    switch (n->op) {
    case OP_CLIP:
        if (n->opset > 0 && n->opset < 12 && !dtype_is_float(x->dtype))
            return diag_error(d, n, "unsupported dtype %s for input 0 ('%s'): Clip before opset 12 takes floats",
                              dtype_name(x->dtype), x->name);
        if (n->opset > 0 && n->opset < 11) {
            if (n->ninputs > 1) return diag_error(d, n, "Clip before opset 11 takes one input, got %d", n->ninputs);
            break;
        }
        n->a.unary.bounds_runtime = 0;
        if (clip_bound(n, 1, &n->a.unary.lo, d) || clip_bound(n, 2, &n->a.unary.hi, d)) return -1;
        break;
    case OP_CAST: out = (DType)n->a.unary.to; break;
    case OP_CAST_LIKE: {
        const Value *like = n->inputs[1];
        if (!like) return diag_error(d, n, "input 1 is required");
        if (!is_in(like->dtype, T_ALL))
            return diag_error(d, n, "unsupported CastLike target dtype %s (input 1, '%s')", dtype_name(like->dtype),
                              like->name);
        n->a.unary.to = (int)like->dtype;
        out = like->dtype;
        break;
    }
    case OP_DROPOUT:
        if (dropout_infer(n, d)) return -1;
        break;
    default: break;
    }
    return set_output(n, 0, out, x->rank, x->dims, d);
}

/* ---------------------------------------------------------------- exec */

static int run_unary(DType t, int code, const void *x, void *y, int64_t cnt, double alpha, double beta) {
    switch (t) {
#define X(dt, sfx, ctype, kk) \
    case dt: return kk_unary_##sfx(code, (const ctype *)x, (ctype *)y, cnt, (ctype)alpha, (ctype)beta);
        UN_TYPES(X)
#undef X
    default: return -1;
    }
}

static int run_clip(DType t, const void *x, const void *lo, const void *hi, void *y, int64_t cnt) {
    switch (t) {
#define X(dt, sfx, ctype, kk) \
    case dt: kk_clip_##sfx((const ctype *)x, (const ctype *)lo, (const ctype *)hi, (ctype *)y, cnt); return 0;
        UN_TYPES(X)
#undef X
    default: return -1;
    }
}

/* The node's kernel op code (Gelu's approximation folded in) and its name. */
static int op_code(const Node *n, const UnInfo *info, const char **name) {
    if (n->op == OP_GELU && n->a.unary.approx_tanh) {
        *name = "KK_UN_GELU_TANH";
        return KK_UN_GELU_TANH;
    }
    *name = info->kk_name;
    return info->kk;
}

/* Opset < 11 Clip: attribute bounds as one element of x's float type, in
 * *buf; NULL for an absent (infinite) bound. */
typedef union ClipScalar { float f; double d; } ClipScalar;
static const void *clip_attr_bound(DType t, double v, ClipScalar *buf) {
    if (isinf(v)) return NULL;
    if (t == DT_F32) buf->f = (float)v;
    else buf->d = v;
    return buf;
}

static int clip_from_attrs(const Node *n) { return n->opset > 0 && n->opset < 11; }

int unary_exec(const Node *n, const void *const *in, void *const *out, Diag *d) {
    const UnInfo *info = un_lookup(n->op);
    const Value *x = n->inputs[0];
    const UnaryAttrs *a = &n->a.unary;
    const int64_t cnt = value_numel(x);
    int rc = 0;
    if (!info) return diag_internal(d, "unary_exec called for %s", op_name(n->op));
    switch (n->op) {
    case OP_CAST:
    case OP_CAST_LIKE: rc = kk_cast((int)x->dtype, a->to, in[0], out[0], cnt); break;
    case OP_IDENTITY: kk_identity(in[0], out[0], value_bytes(x)); break;
    case OP_DROPOUT:
        kk_dropout(in[0], out[0], n->noutputs > 1 ? (uint8_t *)out[1] : NULL, value_bytes(x), cnt);
        break;
    case OP_CLIP:
        if (clip_from_attrs(n)) {
            ClipScalar lb, hb;
            rc = run_clip(x->dtype, in[0], clip_attr_bound(x->dtype, a->lo, &lb),
                          clip_attr_bound(x->dtype, a->hi, &hb), out[0], cnt);
        } else {
            rc = run_clip(x->dtype, in[0], n->ninputs > 1 ? in[1] : NULL, n->ninputs > 2 ? in[2] : NULL, out[0],
                          cnt);
        }
        break;
    default: {
        const char *name;
        rc = run_unary(x->dtype, op_code(n, info, &name), in[0], out[0], cnt, a->alpha, a->beta);
        break;
    }
    }
    if (rc) return diag_internal(d, "node '%s' (%s): no kernel for dtype %s", n->name, op_name(n->op),
                                 dtype_name(x->dtype));
    return 0;
}

/* ---------------------------------------------------------------- emit */

/* An alpha/beta argument: a literal of the kernel's element type. */
static void emit_scalar(Emitter *e, DType t, double v) {
    if (t == DT_F32) emit_float(e, v);
    else if (t == DT_F64) emit_double(e, v);
    else emit(e, "%lld", (long long)v);
}

int unary_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out, Diag *d) {
    const UnInfo *info = un_lookup(n->op);
    const Value *x = n->inputs[0];
    const UnaryAttrs *a = &n->a.unary;
    const long long cnt = (long long)value_numel(x);
    const char *sfx = dtype_name(x->dtype);
    if (!info) return diag_internal(d, "unary_emit called for %s", op_name(n->op));
    emit_use(e, KKF_UNARY);
    switch (n->op) {
    case OP_CAST:
    case OP_CAST_LIKE:
        emit(e, "kk_cast(%s, %s, %s, %s, %lld);\n", kk_type_name(x->dtype), kk_type_name((DType)a->to), in[0],
             out[0], cnt);
        break;
    case OP_IDENTITY: emit(e, "kk_identity(%s, %s, %zu);\n", in[0], out[0], value_bytes(x)); break;
    case OP_DROPOUT:
        emit(e, "kk_dropout(%s, %s, %s, %zu, %lld);\n", in[0], out[0],
             n->noutputs > 1 && out[1] ? out[1] : "NULL", value_bytes(x), cnt);
        break;
    case OP_CLIP:
        emit(e, "kk_clip_%s(%s, ", sfx, in[0]);
        for (int k = 1; k <= 2; k++) {
            if (!clip_from_attrs(n)) {
                emit(e, "%s, ", k < n->ninputs && in[k] ? in[k] : "NULL");
                continue;
            }
            double v = k == 1 ? a->lo : a->hi;
            if (isinf(v)) {
                emit(e, "NULL, ");
                continue;
            }
            emit(e, "(const %s[]){", dtype_ctype(x->dtype));
            emit_scalar(e, x->dtype, v);
            emit(e, "}, ");
        }
        emit(e, "%s, %lld);\n", out[0], cnt);
        break;
    default: {
        const char *name;
        op_code(n, info, &name);
        emit(e, "kk_unary_%s(%s, %s, %s, %lld, ", sfx, name, in[0], out[0], cnt);
        emit_scalar(e, x->dtype, a->alpha);
        emit(e, ", ");
        emit_scalar(e, x->dtype, a->beta);
        emit(e, ");\n");
        break;
    }
    }
    return 0;
}
