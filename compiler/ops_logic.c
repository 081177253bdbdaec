/*
 * ops_logic.c - the logic family of the ops table: Where, the comparisons
 * (Equal, Greater, GreaterOrEqual, Less, LessOrEqual), boolean Not, And, Or,
 * Xor, IsNaN, IsInf, Mod, BitShift and Hardmax.
 *
 * Pipeline position: parse and infer run in ir_infer (raw attributes ->
 * LogicAttrs; output shape = numpy broadcast of the inputs, or the input's
 * shape); exec is called by constant folding; emit by the C backend. exec and
 * the generated code call the same kernels (kernels/ref/logic.c), with the
 * arguments worked out once by lg_call(), so folded constants equal run-time
 * results.
 *
 * The broadcasting kernels reuse the binary family's iterator (kk_bcast in
 * kernels/ref/binary.c), so generated code that uses this family also pastes
 * binary.c. Opset 1's Equal/Greater/Less/And/Or/Xor carried the old
 * `broadcast`/`axis` attributes (B matched against a run of A's dims); that
 * form is turned into numpy-style padded dims here, so the kernels see one
 * convention only.
 */
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

/* ------------------------------------------------------ op descriptions */

static const DType T_NUMERIC[] = {DT_F32, DT_F64, DT_I8, DT_I16, DT_I32, DT_I64,
                                  DT_U8,  DT_U16, DT_U32, DT_U64, DT_UNDEF};
static const DType T_EQUAL[] = {DT_F32, DT_F64, DT_I8,  DT_I16, DT_I32, DT_I64,
                                DT_U8,  DT_U16, DT_U32, DT_U64, DT_BOOL, DT_UNDEF};
static const DType T_FLOAT[] = {DT_F32, DT_F64, DT_UNDEF};
static const DType T_INT[] = {DT_I8, DT_I16, DT_I32, DT_I64, DT_U8, DT_U16, DT_U32, DT_U64, DT_UNDEF};
static const DType T_BOOL[] = {DT_BOOL, DT_UNDEF};

/* Which kernel computes an op. */
typedef enum LgKind {
    LK_COMPARE,     /* kk_compare: comparisons and And/Or/Xor, bool output */
    LK_WHERE,       /* kk_where */
    LK_NOT,         /* kk_not */
    LK_ISNAN,       /* kk_isnan */
    LK_ISINF,       /* kk_isinf */
    LK_MOD,         /* kk_mod */
    LK_SHIFT,       /* kk_bitshift */
    LK_HARDMAX,     /* kk_hardmax */
} LgKind;

typedef struct LgInfo {
    OpKind op;
    LgKind kind;
    int kk;                 /* KK_CMP_* code (LK_COMPARE), else 0 */
    const char *kk_name;    /* the same constant as it appears in generated code */
    const DType *types;     /* accepted dtypes of the data input (ONNX's lists, minus f16/bf16/string) */
    int legacy_attrs;       /* opset 1 form has `broadcast` and `axis` attributes */
} LgInfo;

#define CMP(op, code, types, legacy) {OP_##op, LK_COMPARE, code, #code, types, legacy}
static const LgInfo lg_info[] = {
    {OP_WHERE, LK_WHERE, 0, NULL, T_EQUAL, 0},
    CMP(EQUAL, KK_CMP_EQ, T_EQUAL, 1),
    CMP(GREATER, KK_CMP_GT, T_NUMERIC, 1),
    CMP(GREATER_OR_EQUAL, KK_CMP_GE, T_NUMERIC, 0),
    CMP(LESS, KK_CMP_LT, T_NUMERIC, 1),
    CMP(LESS_OR_EQUAL, KK_CMP_LE, T_NUMERIC, 0),
    CMP(AND, KK_CMP_AND, T_BOOL, 1),
    CMP(OR, KK_CMP_OR, T_BOOL, 1),
    CMP(XOR, KK_CMP_XOR, T_BOOL, 1),
    {OP_NOT, LK_NOT, 0, NULL, T_BOOL, 0},
    {OP_IS_NAN, LK_ISNAN, 0, NULL, T_FLOAT, 0},
    {OP_IS_INF, LK_ISINF, 0, NULL, T_FLOAT, 0},
    {OP_MOD, LK_MOD, 0, NULL, T_NUMERIC, 0},
    {OP_BIT_SHIFT, LK_SHIFT, 0, NULL, T_INT, 0},
    {OP_HARDMAX, LK_HARDMAX, 0, NULL, T_FLOAT, 0},
};
#undef CMP

static const LgInfo *lg_lookup(OpKind op) {
    for (size_t i = 0; i < sizeof lg_info / sizeof lg_info[0]; i++)
        if (lg_info[i].op == op) return &lg_info[i];
    return NULL;
}

/* Kernel type constant of a dtype, as generated code spells it. */
static const char *kk_type_name(DType t) {
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
    default: return "0";
    }
}

/* --------------------------------------------------------------- parse */

int logic_parse(Graph *g, Node *n, Diag *d) {
    const LgInfo *info = lg_lookup(n->op);
    LogicAttrs *a = &n->a.logic;
    const int opset = n->opset;
    int err = 0;
    if (!info) return diag_internal(d, "logic_parse called for %s", op_name(n->op));
    memset(a, 0, sizeof *a);
    if (info->legacy_attrs && opset < 7) {
        a->legacy = attr_int(g, n, "broadcast", 0, d, &err) ? 2 : 1;
        a->legacy_has_axis = ir_attr_find(n, "axis") != NULL;
        int64_t axis = attr_int(g, n, "axis", 0, d, &err);
        if (err) return -1;
        if (axis < -KILN_MAX_RANK || axis > KILN_MAX_RANK)
            return diag_error(d, n, "attribute axis=%lld is out of range", (long long)axis);
        a->legacy_axis = (int)axis;
    }
    switch (info->kind) {
    case LK_MOD: {
        int64_t fmod = attr_int(g, n, "fmod", 0, d, &err);
        if (err) return -1;
        if (fmod != 0 && fmod != 1)
            return diag_error(d, n, "unsupported attribute value fmod=%lld (expected 0 or 1)", (long long)fmod);
        a->truncated = (int)fmod;
        break;
    }
    case LK_SHIFT: {
        const char *dir = attr_string(g, n, "direction", NULL, d, &err);
        if (err) return -1;
        if (!dir) return diag_error(d, n, "missing required attribute 'direction'");
        if (!strcmp(dir, "LEFT")) a->shift_left = 1;
        else if (strcmp(dir, "RIGHT") != 0)
            return diag_error(d, n, "unsupported attribute value direction='%s' (expected 'LEFT' or 'RIGHT')", dir);
        break;
    }
    case LK_ISINF:
        a->detect_negative = attr_int(g, n, "detect_negative", 1, d, &err) != 0;
        a->detect_positive = attr_int(g, n, "detect_positive", 1, d, &err) != 0;
        break;
    case LK_HARDMAX: {
        /* Before opset 13 the input is coerced to 2-D at axis (default 1);
         * from 13 on the op works along one axis (default -1). */
        a->coerce_2d = opset < 13;
        int64_t axis = attr_int(g, n, "axis", a->coerce_2d ? 1 : -1, d, &err);
        if (err) return -1;
        if (axis < -KILN_MAX_RANK || axis > KILN_MAX_RANK)
            return diag_error(d, n, "attribute axis=%lld is out of range", (long long)axis);
        a->axis = (int)axis;
        break;
    }
    default: break;
    }
    return err ? -1 : 0;
}

/* --------------------------------------------------------------- infer */

/* Opset 1's broadcast=1: B's dims must equal a contiguous run of A's dims
 * starting at `axis` (default: the trailing run), or be 1 there. */
static int legacy_infer(Node *n, Diag *d) {
    LogicAttrs *a = &n->a.logic;
    const Value *x = n->inputs[0], *b = n->inputs[1];
    if (a->legacy == 1) {
        if (b->rank != x->rank || memcmp(b->dims, x->dims, (size_t)x->rank * sizeof x->dims[0]) != 0)
            return diag_error(d, n, "input 1 ('%s') must have the shape of input 0 ('%s') when broadcast=0",
                              b->name, x->name);
        return 0;
    }
    if (b->rank > x->rank)
        return diag_error(d, n, "input 1 ('%s', rank %d) has a higher rank than input 0 ('%s', rank %d)", b->name,
                          b->rank, x->name, x->rank);
    int axis = a->legacy_axis;
    if (!a->legacy_has_axis) axis = x->rank - b->rank;
    else if (axis < 0) axis += x->rank;
    if (axis < 0 || axis + b->rank > x->rank)
        return diag_error(d, n, "attribute axis=%d does not place input 1 ('%s', rank %d) inside input 0 (rank %d)",
                          a->legacy_axis, b->name, b->rank, x->rank);
    for (int i = 0; i < b->rank; i++)
        if (b->dims[i] != 1 && b->dims[i] != x->dims[axis + i])
            return diag_error(d, n, "input 1 ('%s') dimension %d is %lld, input 0 has %lld at axis %d", b->name, i,
                              (long long)b->dims[i], (long long)x->dims[axis + i], axis + i);
    a->legacy_axis = axis;
    a->legacy_has_axis = 1;
    return 0;
}

/* Input k's dims padded to the output rank: right-aligned with leading 1s,
 * or for opset 1's broadcast=1 placed at legacy_axis with 1s around. */
static void operand_dims(const Node *n, int k, int rank, int64_t *out) {
    const Value *v = n->inputs[k];
    int lead = rank - v->rank;
    if (k == 1 && n->a.logic.legacy == 2) lead = n->a.logic.legacy_axis;
    for (int i = 0; i < rank; i++) out[i] = i >= lead && i < lead + v->rank ? v->dims[i - lead] : 1;
}

/* [outer, mid, inner] view of Hardmax's input (axis normalized by infer). */
static void hardmax_view(const Node *n, int64_t *outer, int64_t *mid, int64_t *inner) {
    const Value *x = n->inputs[0];
    const int axis = n->a.logic.axis;
    *outer = *mid = *inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < axis) *outer *= x->dims[i];
        else if (i == axis || n->a.logic.coerce_2d) *mid *= x->dims[i];
        else *inner *= x->dims[i];
    }
}

int logic_infer(Graph *g, Node *n, Diag *d) {
    (void)g;
    const LgInfo *info = lg_lookup(n->op);
    if (!info) return diag_internal(d, "logic_infer called for %s", op_name(n->op));
    for (int k = 0; k < n->ninputs; k++)
        if (!n->inputs[k]) return diag_error(d, n, "input %d is required", k);
    /* The data inputs: Where's x and y (after the condition), else all. */
    const int first = info->kind == LK_WHERE ? 1 : 0;
    if (info->kind == LK_WHERE && require_dtype(n, 0, T_BOOL, d)) return -1;
    if (require_dtype(n, first, info->types, d)) return -1;
    const Value *x = n->inputs[first];
    for (int k = first + 1; k < n->ninputs; k++)
        if (n->inputs[k]->dtype != x->dtype)
            return diag_error(d, n, "input %d ('%s') has dtype %s, but input %d ('%s') has %s", k, n->inputs[k]->name,
                              dtype_name(n->inputs[k]->dtype), first, x->name, dtype_name(x->dtype));

    DType out_type = x->dtype;
    if (info->kind == LK_COMPARE || info->kind == LK_ISNAN || info->kind == LK_ISINF) out_type = DT_BOOL;

    if (info->kind == LK_HARDMAX) {
        int axis;
        /* opset < 13 allows axis == rank (an empty 2-D tail) as well */
        if (n->a.logic.coerce_2d && n->a.logic.axis == x->rank) axis = x->rank;
        else if (norm_axis(n, n->a.logic.axis, x->rank, &axis, d)) return -1;
        n->a.logic.axis = axis;
    }
    if (n->a.logic.legacy) {
        if (legacy_infer(n, d)) return -1;
        return set_output(n, 0, out_type, x->rank, x->dims, d);
    }
    int rank = n->inputs[0]->rank;
    int64_t dims[KILN_MAX_RANK];
    memcpy(dims, n->inputs[0]->dims, sizeof dims);
    for (int k = 1; k < n->ninputs; k++) {
        const Value *v = n->inputs[k];
        int64_t next[KILN_MAX_RANK];
        if (broadcast_shapes(n, rank, dims, v->rank, v->dims, &rank, next, d)) return -1;
        memcpy(dims, next, sizeof dims);
    }
    return set_output(n, 0, out_type, rank, dims, d);
}

/* ----------------------------------------------------------- exec, emit */

/*
 * Everything a kernel call needs, worked out once for exec and emit: the
 * element type, the output rank and dims, each input's padded dims, and the
 * scalar arguments. The call itself is spelled twice (a C call in exec, its
 * text in emit) from these same fields.
 */
typedef struct LgCall {
    const LgInfo *info;
    DType type;                              /* element type of the data input */
    int rank;                                /* output rank */
    const int64_t *ydims;                    /* output dims */
    int64_t dims[3][KILN_MAX_RANK];          /* inputs' dims padded to rank */
    int64_t numel;                           /* output elements (unary kernels) */
    int64_t outer, mid, inner;               /* Hardmax view */
    int arg0, arg1;                          /* Mod: truncated; BitShift: left; IsInf: neg, pos */
} LgCall;

static int lg_call(const Node *n, LgCall *c, Diag *d) {
    memset(c, 0, sizeof *c);
    c->info = lg_lookup(n->op);
    if (!c->info) return diag_internal(d, "logic family called for %s", op_name(n->op));
    const Value *y = n->outputs[0];
    c->type = n->inputs[c->info->kind == LK_WHERE ? 1 : 0]->dtype;
    c->rank = y->rank;
    c->ydims = y->dims;
    c->numel = value_numel(y);
    for (int k = 0; k < n->ninputs && k < 3; k++) operand_dims(n, k, c->rank, c->dims[k]);
    switch (c->info->kind) {
    case LK_MOD: c->arg0 = n->a.logic.truncated; break;
    case LK_SHIFT: c->arg0 = n->a.logic.shift_left; break;
    case LK_ISINF:
        c->arg0 = n->a.logic.detect_negative;
        c->arg1 = n->a.logic.detect_positive;
        break;
    case LK_HARDMAX: hardmax_view(n, &c->outer, &c->mid, &c->inner); break;
    default: break;
    }
    return 0;
}

int logic_exec(const Node *n, const void *const *in, void *const *out, Diag *d) {
    LgCall c;
    int rc = -1;
    if (lg_call(n, &c, d)) return -1;
    const int t = (int)c.type;
    switch (c.info->kind) {
    case LK_COMPARE:
        rc = kk_compare(c.info->kk, t, in[0], in[1], out[0], c.rank, c.ydims, c.dims[0], c.dims[1]);
        break;
    case LK_WHERE:
        rc = kk_where(dtype_size(c.type), in[0], in[1], in[2], out[0], c.rank, c.ydims, c.dims[0], c.dims[1],
                      c.dims[2]);
        break;
    case LK_NOT: rc = kk_not(in[0], out[0], c.numel); break;
    case LK_ISNAN: rc = kk_isnan(t, in[0], out[0], c.numel); break;
    case LK_ISINF: rc = kk_isinf(t, c.arg0, c.arg1, in[0], out[0], c.numel); break;
    case LK_MOD: rc = kk_mod(t, c.arg0, in[0], in[1], out[0], c.rank, c.ydims, c.dims[0], c.dims[1]); break;
    case LK_SHIFT: rc = kk_bitshift(t, c.arg0, in[0], in[1], out[0], c.rank, c.ydims, c.dims[0], c.dims[1]); break;
    case LK_HARDMAX: rc = kk_hardmax(t, in[0], out[0], c.outer, c.mid, c.inner); break;
    }
    if (rc) return diag_internal(d, "node '%s' (%s): kernel rejected dtype %s or the shapes", n->name,
                                 op_name(n->op), dtype_name(c.type));
    return 0;
}

/* ", rank, (const int64_t[]){ydims}, (const int64_t[]){dims0}, ..." for the
 * first `count` inputs. */
static void emit_shapes(Emitter *e, const LgCall *c, int count) {
    emit(e, ", %d, (const int64_t[])", c->rank);
    emit_i64s(e, c->ydims, c->rank);
    for (int k = 0; k < count; k++) {
        emit(e, ", (const int64_t[])");
        emit_i64s(e, c->dims[k], c->rank);
    }
    emit(e, ");\n");
}

int logic_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out, Diag *d) {
    LgCall c;
    if (lg_call(n, &c, d)) return -1;
    const char *t = kk_type_name(c.type);
    /* logic.c calls binary.c's broadcast iterator, so both are pasted */
    emit_use(e, KKF_LOGIC);
    emit_use(e, KKF_BINARY);
    switch (c.info->kind) {
    case LK_COMPARE:
        emit(e, "kk_compare(%s, %s, %s, %s, %s", c.info->kk_name, t, in[0], in[1], out[0]);
        emit_shapes(e, &c, 2);
        break;
    case LK_WHERE:
        emit(e, "kk_where(%zu, %s, %s, %s, %s", dtype_size(c.type), in[0], in[1], in[2], out[0]);
        emit_shapes(e, &c, 3);
        break;
    case LK_NOT: emit(e, "kk_not(%s, %s, %lld);\n", in[0], out[0], (long long)c.numel); break;
    case LK_ISNAN: emit(e, "kk_isnan(%s, %s, %s, %lld);\n", t, in[0], out[0], (long long)c.numel); break;
    case LK_ISINF:
        emit(e, "kk_isinf(%s, %d, %d, %s, %s, %lld);\n", t, c.arg0, c.arg1, in[0], out[0], (long long)c.numel);
        break;
    case LK_MOD:
        emit(e, "kk_mod(%s, %d, %s, %s, %s", t, c.arg0, in[0], in[1], out[0]);
        emit_shapes(e, &c, 2);
        break;
    case LK_SHIFT:
        emit(e, "kk_bitshift(%s, %d, %s, %s, %s", t, c.arg0, in[0], in[1], out[0]);
        emit_shapes(e, &c, 2);
        break;
    case LK_HARDMAX:
        emit(e, "kk_hardmax(%s, %s, %s, %lld, %lld, %lld);\n", t, in[0], out[0], (long long)c.outer,
             (long long)c.mid, (long long)c.inner);
        break;
    }
    return 0;
}
