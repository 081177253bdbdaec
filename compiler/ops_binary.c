/*
 * ops_binary.c - the broadcasting binary family of the ops table: Add, Sub,
 * Mul, Div, Pow, PRelu, BitwiseAnd, BitwiseOr, BitwiseXor, and the variadic
 * Min, Max, Sum, Mean.
 *
 * Pipeline position: parse and infer run in ir_infer (output shape = numpy
 * broadcast of all inputs; PRelu's slope broadcasts to X only); exec is
 * called by constant folding; emit by the C backend. exec and the generated
 * code call the same kernels (kernels/ref/binary.c), chosen by one function
 * (bin_kernel), so folded constants equal run-time results.
 *
 * Kernels take each input's dims right-aligned to the output rank (leading
 * 1s); the kernel's broadcast iterator does the rest at run time, in a few
 * integer operations per row.
 */
#include <string.h>

#include "emit.h"
#include "ir.h"
#include "kk.h"

/* ------------------------------------------------------ op descriptions */

static const DType T_FLOAT[] = {DT_F32, DT_F64, DT_UNDEF};
static const DType T_NUMERIC[] = {DT_F32, DT_F64, DT_I8, DT_I16, DT_I32, DT_I64,
                                  DT_U8,  DT_U16, DT_U32, DT_U64, DT_UNDEF};
static const DType T_INT[] = {DT_I8, DT_I16, DT_I32, DT_I64, DT_U8, DT_U16, DT_U32, DT_U64, DT_UNDEF};
static const DType T_POW_BASE[] = {DT_F32, DT_F64, DT_I32, DT_I64, DT_UNDEF};

typedef struct BinInfo {
    OpKind op;
    int kk;                 /* KK_BIN_* code (Pow: 0, it has its own kernel) */
    const char *kk_name;    /* the same constant as it appears in generated code */
    const DType *types;     /* accepted dtypes of input 0 (ONNX's lists, minus f16/bf16) */
    int variadic;           /* 1..N inputs, all broadcast together */
} BinInfo;

#define BIN(op, code, types, variadic) {OP_##op, code, #code, types, variadic}
static const BinInfo bin_info[] = {
    BIN(ADD, KK_BIN_ADD, T_NUMERIC, 0),
    BIN(SUB, KK_BIN_SUB, T_NUMERIC, 0),
    BIN(MUL, KK_BIN_MUL, T_NUMERIC, 0),
    BIN(DIV, KK_BIN_DIV, T_NUMERIC, 0),
    BIN(PRELU, KK_BIN_PRELU, T_NUMERIC, 0),
    BIN(BITWISE_AND, KK_BIN_BITAND, T_INT, 0),
    BIN(BITWISE_OR, KK_BIN_BITOR, T_INT, 0),
    BIN(BITWISE_XOR, KK_BIN_BITXOR, T_INT, 0),
    {OP_POW, 0, NULL, T_POW_BASE, 0},
    BIN(MIN, KK_BIN_MIN, T_NUMERIC, 1),
    BIN(MAX, KK_BIN_MAX, T_NUMERIC, 1),
    BIN(SUM, KK_BIN_ADD, T_FLOAT, 1),
    BIN(MEAN, KK_BIN_MEAN, T_FLOAT, 1),
};
#undef BIN

static const BinInfo *bin_lookup(OpKind op) {
    for (size_t i = 0; i < sizeof bin_info / sizeof bin_info[0]; i++)
        if (bin_info[i].op == op) return &bin_info[i];
    return NULL;
}

/* The types the kernels are instantiated for:
 * X(dtype, kernel suffix, C type, kernel type constant). */
#define BIN_TYPES(X) \
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

static const char *kk_type_name(DType t) {
    switch (t) {
#define X(dt, sfx, ctype, kk) \
    case dt: return #kk;
        BIN_TYPES(X)
#undef X
    default: return "0";
    }
}

/* Which kernel runs a node: exec and emit both ask this. */
typedef enum BinKernel {
    BK_BINARY,      /* kk_binary_<t>: two inputs */
    BK_VARIADIC,    /* kk_variadic_<t>: Sum/Min/Max/Mean of 1 or 3+ inputs, any Mean */
    BK_POW,         /* kk_pow_<t>: mixed base / exponent types */
} BinKernel;

static BinKernel bin_kernel(const Node *n, const BinInfo *info) {
    if (n->op == OP_POW) return BK_POW;
    if (info->variadic && (n->ninputs != 2 || info->kk == KK_BIN_MEAN)) return BK_VARIADIC;
    return BK_BINARY;
}

/* v's dims right-aligned to rank, with leading 1s. */
static void pad_dims(const Value *v, int rank, int64_t *out) {
    int lead = rank - v->rank;
    for (int i = 0; i < rank; i++) out[i] = i < lead ? 1 : v->dims[i - lead];
}

/* --------------------------------------------------------------- parse */

int binary_parse(Graph *g, Node *n, Diag *d) {
    (void)g;
    (void)d;
    memset(&n->a.binary, 0, sizeof n->a.binary); /* no attributes in this family */
    return 0;
}

/* --------------------------------------------------------------- infer */

int binary_infer(Graph *g, Node *n, Diag *d) {
    (void)g;
    const BinInfo *info = bin_lookup(n->op);
    if (!info) return diag_internal(d, "binary_infer called for %s", op_name(n->op));
    for (int k = 0; k < n->ninputs; k++)
        if (!n->inputs[k]) return diag_error(d, n, "input %d is required", k);
    if (require_dtype(n, 0, info->types, d)) return -1;
    const Value *x = n->inputs[0];
    if (n->op == OP_POW) {
        if (require_dtype(n, 1, T_NUMERIC, d)) return -1;
    } else {
        for (int k = 1; k < n->ninputs; k++)
            if (n->inputs[k]->dtype != x->dtype)
                return diag_error(d, n, "input %d ('%s') has dtype %s, but input 0 ('%s') has %s", k,
                                  n->inputs[k]->name, dtype_name(n->inputs[k]->dtype), x->name,
                                  dtype_name(x->dtype));
    }
    int rank = x->rank;
    int64_t dims[KILN_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    for (int k = 1; k < n->ninputs; k++) {
        const Value *v = n->inputs[k];
        int64_t next[KILN_MAX_RANK];
        if (broadcast_shapes(n, rank, dims, v->rank, v->dims, &rank, next, d)) return -1;
        memcpy(dims, next, sizeof dims);
    }
    if (n->op == OP_PRELU && (rank != x->rank || memcmp(dims, x->dims, (size_t)rank * sizeof dims[0]) != 0))
        return diag_error(d, n, "slope ('%s', rank %d) does not broadcast to the shape of X ('%s', rank %d)",
                          n->inputs[1]->name, n->inputs[1]->rank, x->name, x->rank);
    return set_output(n, 0, x->dtype, rank, dims, d);
}

/* ---------------------------------------------------------------- exec */

static int run_binary(DType t, int code, const void *a, const void *b, void *y, int rank, const int64_t *yd,
                      const int64_t *ad, const int64_t *bd) {
    switch (t) {
#define X(dt, sfx, ctype, kk) \
    case dt: return kk_binary_##sfx(code, (const ctype *)a, (const ctype *)b, (ctype *)y, rank, yd, ad, bd);
        BIN_TYPES(X)
#undef X
    default: return -1;
    }
}

static int run_variadic(DType t, int code, int cnt, const void *const *in, void *y, int rank, const int64_t *yd,
                        const int64_t *ind) {
    switch (t) {
#define X(dt, sfx, ctype, kk) \
    case dt: return kk_variadic_##sfx(code, cnt, in, (ctype *)y, rank, yd, ind);
        BIN_TYPES(X)
#undef X
    default: return -1;
    }
}

static int run_pow(DType t, DType et, const void *x, const void *e, void *y, int rank, const int64_t *yd,
                   const int64_t *xd, const int64_t *ed) {
    switch (t) {
    case DT_F32: return kk_pow_f32((int)et, x, e, y, rank, yd, xd, ed);
    case DT_F64: return kk_pow_f64((int)et, x, e, y, rank, yd, xd, ed);
    case DT_I32: return kk_pow_i32((int)et, x, e, y, rank, yd, xd, ed);
    case DT_I64: return kk_pow_i64((int)et, x, e, y, rank, yd, xd, ed);
    default: return -1;
    }
}

int binary_exec(const Node *n, const void *const *in, void *const *out, Diag *d) {
    const BinInfo *info = bin_lookup(n->op);
    const Value *y = n->outputs[0];
    const DType t = n->inputs[0]->dtype;
    const int rank = y->rank;
    int64_t dims[KILN_MAX_IN * KILN_MAX_RANK];
    int rc;
    if (!info) return diag_internal(d, "binary_exec called for %s", op_name(n->op));
    for (int k = 0; k < n->ninputs; k++) pad_dims(n->inputs[k], rank, dims + k * rank);
    switch (bin_kernel(n, info)) {
    case BK_POW:
        rc = run_pow(t, n->inputs[1]->dtype, in[0], in[1], out[0], rank, y->dims, dims, dims + rank);
        break;
    case BK_VARIADIC: rc = run_variadic(t, info->kk, n->ninputs, in, out[0], rank, y->dims, dims); break;
    default: rc = run_binary(t, info->kk, in[0], in[1], out[0], rank, y->dims, dims, dims + rank); break;
    }
    if (rc) return diag_internal(d, "node '%s' (%s): kernel rejected dtype %s or the shapes", n->name,
                                 op_name(n->op), dtype_name(t));
    return 0;
}

/* ---------------------------------------------------------------- emit */

int binary_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out, Diag *d) {
    const BinInfo *info = bin_lookup(n->op);
    const Value *y = n->outputs[0];
    const char *sfx = dtype_name(n->inputs[0]->dtype);
    const int rank = y->rank;
    int64_t dims[KILN_MAX_IN * KILN_MAX_RANK];
    if (!info) return diag_internal(d, "binary_emit called for %s", op_name(n->op));
    for (int k = 0; k < n->ninputs; k++) pad_dims(n->inputs[k], rank, dims + k * rank);
    emit_use(e, KKF_BINARY);
    switch (bin_kernel(n, info)) {
    case BK_POW:
        emit(e, "kk_pow_%s(%s, %s, %s, %s, %d, (const int64_t[])", sfx, kk_type_name(n->inputs[1]->dtype), in[0],
             in[1], out[0], rank);
        break;
    case BK_VARIADIC:
        emit(e, "kk_variadic_%s(%s, %d, (const void *const[]){", sfx, info->kk_name, n->ninputs);
        for (int k = 0; k < n->ninputs; k++) emit(e, k ? ", %s" : "%s", in[k]);
        emit(e, "}, %s, %d, (const int64_t[])", out[0], rank);
        emit_i64s(e, y->dims, rank);
        emit(e, ", (const int64_t[])");
        emit_i64s(e, dims, n->ninputs * rank);
        emit(e, ");\n");
        return 0;
    default:
        emit(e, "kk_binary_%s(%s, %s, %s, %s, %d, (const int64_t[])", sfx, info->kk_name, in[0], in[1], out[0],
             rank);
        break;
    }
    emit_i64s(e, y->dims, rank);
    emit(e, ", (const int64_t[])");
    emit_i64s(e, dims, rank);
    emit(e, ", (const int64_t[])");
    emit_i64s(e, dims + rank, rank);
    emit(e, ");\n");
    return 0;
}
