/*
 * ops_conv.c - the conv family of the ops table: Conv, BatchNormalization
 * (inference), MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, LRN,
 * Gemm and MatMul. The four entry points named in ops.def switch on n->op.
 *
 *   conv_parse  raw attributes -> n->a.conv (ConvAttrs), checked once;
 *   conv_infer  output dtypes and shapes; resolves auto_pad into explicit
 *               pads and Conv's kernel_shape from W, so later stages only
 *               ever see explicit geometry;
 *   conv_exec   constant folding: calls the kernels of kernels/ref/conv.c;
 *   conv_emit   one call of the same kernel with constant arguments.
 *
 * exec and emit derive their arguments from the same helpers (window_geom,
 * gemm_c_shape, matmul_plan), so folded constants and generated code agree.
 *
 * Fast kernels (kernels/fast/): passes/pack.c marks float32 Conv, Gemm and
 * MatMul nodes with kiln_fast (panel geometry), kiln_pack (the constant
 * operand is stored in panel order) and kiln_slots (per-thread scratch);
 * infer then gives the node its arena scratch (node->scratch), exec runs
 * the packed layout through the plain C micro-kernels, and emit calls the
 * fast kernels through kk_fast_run, which spreads their tasks over the
 * generated code's thread pool (`tp`, NULL when single-threaded).
 *
 * Spatial ops accept 1 to 3 spatial dimensions (NCW, NCHW, NCDHW).
 * Floating point ops take f32 and f64; MaxPool also i8/u8; MatMul also
 * i32/i64. Everything else is reported as "unsupported dtype".
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "fast/kk_fast.h"
#include "fast/kk_direct.h"
#include "fast/kk_wino.h"
#include "ir.h"
#include "kk.h"

/* Kernel sizes, strides, dilations and pads above this are rejected: it
 * keeps every window computation far from int64 overflow. */
#define WINDOW_ATTR_MAX ((int64_t)1 << 31)

enum { AUTO_PAD_NOTSET = 0, AUTO_PAD_SAME_UPPER, AUTO_PAD_SAME_LOWER, AUTO_PAD_VALID };

static const DType float_types[] = {DT_F32, DT_F64, DT_UNDEF};
static const DType maxpool_types[] = {DT_F32, DT_F64, DT_I8, DT_U8, DT_UNDEF};
static const DType matmul_types[] = {DT_F32, DT_F64, DT_I32, DT_I64, DT_UNDEF};

/* ------------------------------------------------------------------ parse */

static int is_window_op(OpKind op) { return op == OP_CONV || op == OP_MAX_POOL || op == OP_AVG_POOL; }

/* 0/1 flag attribute; any other value is reported. */
static int attr_flag(Graph *g, Node *n, const char *name, Diag *d, int *err) {
    int64_t v = attr_int(g, n, name, 0, d, err);
    if (v != 0 && v != 1) {
        diag_error(d, n, "unsupported attribute value %s=%lld (expected 0 or 1)", name, (long long)v);
        *err = 1;
    }
    return v == 1;
}

/* kernel_shape, strides, dilations, pads, auto_pad: the counts are checked
 * against the spatial rank by infer, once the input's rank is known. */
static void parse_window(Graph *g, Node *n, ConvAttrs *a, Diag *d, int *err) {
    int cnt;
    cnt = attr_ints(g, n, "kernel_shape", a->kernel, 3, d, err);
    a->nkernel_attr = cnt < 0 ? 0 : cnt;
    cnt = attr_ints(g, n, "strides", a->strides, 3, d, err);
    a->nstrides_attr = cnt < 0 ? 0 : cnt;
    cnt = attr_ints(g, n, "dilations", a->dilations, 3, d, err);
    a->ndilations_attr = cnt < 0 ? 0 : cnt;
    cnt = attr_ints(g, n, "pads", a->pads, 6, d, err);
    a->npads_attr = cnt < 0 ? 0 : cnt;

    const char *ap = attr_string(g, n, "auto_pad", "NOTSET", d, err);
    if (!strcmp(ap, "NOTSET") || !strcmp(ap, "")) a->auto_pad = AUTO_PAD_NOTSET;
    else if (!strcmp(ap, "SAME_UPPER")) a->auto_pad = AUTO_PAD_SAME_UPPER;
    else if (!strcmp(ap, "SAME_LOWER")) a->auto_pad = AUTO_PAD_SAME_LOWER;
    else if (!strcmp(ap, "VALID")) a->auto_pad = AUTO_PAD_VALID;
    else {
        diag_error(d, n, "unsupported attribute value auto_pad='%s'", ap);
        *err = 1;
    }

    for (int i = 0; i < a->nkernel_attr; i++)
        if (a->kernel[i] < 1 || a->kernel[i] > WINDOW_ATTR_MAX) {
            diag_error(d, n, "kernel_shape[%d] = %lld is out of range", i, (long long)a->kernel[i]);
            *err = 1;
        }
    for (int i = 0; i < a->nstrides_attr; i++)
        if (a->strides[i] < 1 || a->strides[i] > WINDOW_ATTR_MAX) {
            diag_error(d, n, "strides[%d] = %lld is out of range", i, (long long)a->strides[i]);
            *err = 1;
        }
    for (int i = 0; i < a->ndilations_attr; i++)
        if (a->dilations[i] < 1 || a->dilations[i] > WINDOW_ATTR_MAX) {
            diag_error(d, n, "dilations[%d] = %lld is out of range", i, (long long)a->dilations[i]);
            *err = 1;
        }
    for (int i = 0; i < a->npads_attr; i++)
        if (a->pads[i] < 0 || a->pads[i] > WINDOW_ATTR_MAX) {
            diag_error(d, n, "%s pads[%d] = %lld", a->pads[i] < 0 ? "unsupported: negative" : "out of range",
                       i, (long long)a->pads[i]);
            *err = 1;
        }
}

/* BatchNormalization is inference only: every way a model can ask for
 * training statistics is refused here. */
static void parse_batchnorm(Graph *g, Node *n, ConvAttrs *a, Diag *d, int *err) {
    a->epsilon = attr_float(g, n, "epsilon", 1e-5, d, err);
    if (attr_int(g, n, "training_mode", 0, d, err) != 0) {
        diag_error(d, n, "unsupported: BatchNormalization in training mode (training_mode=1)");
        *err = 1;
    }
    if (n->opset < 7 && attr_int(g, n, "is_test", 0, d, err) == 0) {
        diag_error(d, n, "unsupported: BatchNormalization in training mode (opset %d, is_test=0)", n->opset);
        *err = 1;
    }
    if (n->opset < 9 && attr_int(g, n, "spatial", 1, d, err) == 0) {
        diag_error(d, n, "unsupported attribute value spatial=0 (per-activation BatchNormalization)");
        *err = 1;
    }
    for (int k = 1; k < n->noutputs; k++)
        if (n->outputs[k]) {
            diag_error(d, n, "unsupported: output %d ('%s') exists only in training mode", k,
                       n->outputs[k]->name);
            *err = 1;
        }
}

/* The fused epilogue of Conv/Gemm (kiln's own attributes, written by the
 * fusion pass): an activation code from the unary family and its two
 * parameters; a residual comes as input 3. */
static void parse_epilogue(Graph *g, Node *n, ConvAttrs *a, Diag *d, int *err) {
    a->act = (int)attr_int(g, n, "kiln_act", 0, d, err);
    if (a->act < 0 || a->act >= KK_UN_COUNT_) {
        diag_error(d, n, "kiln_act = %d is not an activation code", a->act);
        *err = 1;
    }
    a->act_alpha = attr_float(g, n, "kiln_alpha", 0.0, d, err);
    a->act_beta = attr_float(g, n, "kiln_beta", 0.0, d, err);
}

/* kiln_fast / kiln_pack / kiln_slots (passes/pack.c). */
static void parse_fast(Graph *g, Node *n, ConvAttrs *a, Diag *d, int *err) {
    a->fast = (int)attr_int(g, n, "kiln_fast", 0, d, err);
    a->pack = attr_flag(g, n, "kiln_pack", d, err);
    int64_t slots = attr_int(g, n, "kiln_slots", 0, d, err);
    if (a->fast < 0 || a->fast > KK_ISA_AVX512) {
        diag_error(d, n, "unsupported attribute value kiln_fast=%d", a->fast);
        *err = 1;
    }
    if (slots < 0 || slots > 1024 || (slots && !a->fast) || (a->pack && !a->fast)) {
        diag_error(d, n, "kiln_slots=%lld / kiln_pack=%d need kiln_fast and at most 1024 slots", (long long)slots,
                   a->pack);
        *err = 1;
    }
    a->slots = (int)slots;
}

/* kiln_wino (passes/pack.c): Winograd tile size, on a packed fast Conv;
 * kiln_direct: the direct kernel, on a packed fast Conv. */
static void parse_wino(Graph *g, Node *n, ConvAttrs *a, Diag *d, int *err) {
    a->wino = (int)attr_int(g, n, "kiln_wino", 0, d, err);
    if (a->wino && (!kk_fwino_tile_ok(a->wino) || !a->fast || !a->pack)) {
        diag_error(d, n, "unsupported attribute value kiln_wino=%d (2 or 4, with kiln_fast and kiln_pack)", a->wino);
        *err = 1;
    }
    a->direct = attr_flag(g, n, "kiln_direct", d, err);
    if (a->direct && (a->wino || !a->fast || !a->pack)) {
        diag_error(d, n, "kiln_direct needs kiln_fast and kiln_pack, and no kiln_wino");
        *err = 1;
    }
}

int conv_parse(Graph *g, Node *n, Diag *d) {
    ConvAttrs *a = &n->a.conv;
    int err = 0;
    memset(a, 0, sizeof *a);
    a->group = 1;
    if (is_window_op(n->op)) parse_window(g, n, a, d, &err);
    switch (n->op) {
    case OP_CONV:
        parse_epilogue(g, n, a, d, &err);
        a->group = attr_int(g, n, "group", 1, d, &err);
        if (a->group < 1) {
            diag_error(d, n, "group = %lld must be at least 1", (long long)a->group);
            err = 1;
        }
        break;
    case OP_MAX_POOL:
        a->ceil_mode = attr_flag(g, n, "ceil_mode", d, &err);
        a->storage_order = attr_flag(g, n, "storage_order", d, &err);
        break;
    case OP_AVG_POOL:
        a->ceil_mode = attr_flag(g, n, "ceil_mode", d, &err);
        a->count_include_pad = attr_flag(g, n, "count_include_pad", d, &err);
        break;
    case OP_BATCH_NORM:
        parse_batchnorm(g, n, a, d, &err);
        break;
    case OP_LRN:
        a->size = attr_int(g, n, "size", 0, d, &err);
        if (!err && !ir_attr_find(n, "size")) {
            diag_error(d, n, "required attribute 'size' is missing");
            err = 1;
        } else if (a->size < 1 || a->size > WINDOW_ATTR_MAX) {
            diag_error(d, n, "size = %lld is out of range", (long long)a->size);
            err = 1;
        }
        a->alpha = attr_float(g, n, "alpha", 1e-4, d, &err);
        a->beta = attr_float(g, n, "beta", 0.75, d, &err);
        a->bias = attr_float(g, n, "bias", 1.0, d, &err);
        break;
    case OP_GEMM:
        a->alpha = attr_float(g, n, "alpha", 1.0, d, &err);
        parse_epilogue(g, n, a, d, &err);
        a->beta = attr_float(g, n, "beta", 1.0, d, &err);
        a->trans_a = attr_flag(g, n, "transA", d, &err);
        a->trans_b = attr_flag(g, n, "transB", d, &err);
        a->flat = attr_flag(g, n, "kiln_flat", d, &err);
        if (a->flat && a->trans_a) {
            diag_error(d, n, "unsupported: kiln_flat with transA=1");
            err = 1;
        }
        break;
    case OP_GLOBAL_AVG_POOL:
    case OP_GLOBAL_MAX_POOL:
    case OP_MATMUL:
        break;
    default:
        return diag_internal(d, "conv_parse called for %s", op_name(n->op));
    }
    if (n->op == OP_CONV || n->op == OP_GEMM || n->op == OP_MATMUL || n->op == OP_MAX_POOL || n->op == OP_AVG_POOL ||
        n->op == OP_GLOBAL_AVG_POOL)
        parse_fast(g, n, a, d, &err);
    if (n->op == OP_CONV && !err) parse_wino(g, n, a, d, &err);
    return err ? -1 : 0;
}

/* ----------------------------------------------------------------- checks */

/* Input k must be present with one of the dtypes in ok (DT_UNDEF ends it). */
static int want_dtype(const Node *n, int k, const DType *ok, Diag *d) {
    const Value *v = k < n->ninputs ? n->inputs[k] : NULL;
    if (!v) return diag_error(d, n, "input %d is required", k);
    for (; *ok != DT_UNDEF; ok++)
        if (v->dtype == *ok) return 0;
    return diag_error(d, n, "unsupported dtype %s for input %d ('%s')", dtype_name(v->dtype), k, v->name);
}

/* Input k, when present, must have input 0's dtype (kiln has no mixed-type
 * variants of these kernels). */
static int same_dtype(const Node *n, int k, Diag *d) {
    const Value *v = k < n->ninputs ? n->inputs[k] : NULL;
    if (v && v->dtype != n->inputs[0]->dtype)
        return diag_error(d, n, "unsupported: input %d ('%s') has dtype %s, input 0 has %s", k, v->name,
                          dtype_name(v->dtype), dtype_name(n->inputs[0]->dtype));
    return 0;
}

/* Input 0 is (N, C, spatial...) with 1..3 spatial dims. */
static int want_spatial(const Node *n, Diag *d) {
    const Value *x = n->inputs[0];
    if (x->rank < 3)
        return diag_error(d, n, "input 0 ('%s') has rank %d, expected at least 3 (N, C, spatial...)", x->name,
                          x->rank);
    if (x->rank > 5)
        return diag_error(d, n, "unsupported: input 0 ('%s') has %d spatial dimensions (at most 3)", x->name,
                          x->rank - 2);
    return 0;
}

/* Vector input k must be 1-D with `len` elements. */
static int want_vector(const Node *n, int k, int64_t len, Diag *d) {
    const Value *v = n->inputs[k];
    if (v && (v->rank != 1 || v->dims[0] != len))
        return diag_error(d, n, "input %d ('%s') must be a vector of %lld elements", k, v->name, (long long)len);
    return 0;
}

/* ---------------------------------------------------------- window infer */

/* Fills the defaults, checks the attribute counts against the spatial rank,
 * resolves auto_pad into pads and computes the output spatial sizes. The
 * kernel must be known (attribute, or W for Conv). */
static int infer_window(Node *n, ConvAttrs *a, int64_t *out, Diag *d) {
    const Value *x = n->inputs[0];
    const int nsp = x->rank - 2;
    a->nsp = nsp;
    if (a->nstrides_attr && a->nstrides_attr != nsp)
        return diag_error(d, n, "strides has %d values, expected %d", a->nstrides_attr, nsp);
    if (a->ndilations_attr && a->ndilations_attr != nsp)
        return diag_error(d, n, "dilations has %d values, expected %d", a->ndilations_attr, nsp);
    if (a->npads_attr && a->npads_attr != 2 * nsp)
        return diag_error(d, n, "pads has %d values, expected %d", a->npads_attr, 2 * nsp);
    for (int i = 0; i < nsp; i++) {
        if (!a->nstrides_attr) a->strides[i] = 1;
        if (!a->ndilations_attr) a->dilations[i] = 1;
    }
    if (!a->npads_attr || a->auto_pad != AUTO_PAD_NOTSET)
        for (int i = 0; i < 2 * nsp; i++) a->pads[i] = 0;

    for (int i = 0; i < nsp; i++) {
        const int64_t in = x->dims[2 + i], k = a->kernel[i], s = a->strides[i];
        const int64_t eff = (k - 1) * a->dilations[i] + 1; /* dilated kernel extent */
        if (a->auto_pad == AUTO_PAD_SAME_UPPER || a->auto_pad == AUTO_PAD_SAME_LOWER) {
            /* output ceil(in / stride); the odd pad goes to the end (UPPER)
             * or the beginning (LOWER) */
            int64_t o = (in + s - 1) / s;
            int64_t total = (o - 1) * s + eff - in;
            if (total < 0) total = 0;
            int64_t half = total / 2;
            a->pads[i] = a->auto_pad == AUTO_PAD_SAME_UPPER ? half : total - half;
            a->pads[nsp + i] = total - a->pads[i];
        }
        const int64_t span = in + a->pads[i] + a->pads[nsp + i] - eff;
        if (span < 0)
            return diag_error(d, n, "window of %lld (kernel %lld, dilation %lld) exceeds the padded input (%lld)"
                              " on spatial axis %d", (long long)eff, (long long)k, (long long)a->dilations[i],
                              (long long)(in + a->pads[i] + a->pads[nsp + i]), i);
        int64_t o = span / s + 1;
        if (a->ceil_mode) {
            o = (span + s - 1) / s + 1;
            /* the last window must start inside the input or the begin
             * padding, never entirely in the end padding */
            if ((o - 1) * s >= in + a->pads[i]) o--;
        }
        out[i] = o;
    }
    return 0;
}

static int infer_conv(Node *n, ConvAttrs *a, Diag *d) {
    if (want_dtype(n, 0, float_types, d) || want_dtype(n, 1, float_types, d) || same_dtype(n, 1, d) ||
        same_dtype(n, 2, d) || want_spatial(n, d))
        return -1;
    const Value *x = n->inputs[0], *w = n->inputs[1];
    const int nsp = x->rank - 2;
    if (w->rank != x->rank)
        return diag_error(d, n, "input 1 ('%s') has rank %d, expected %d like input 0", w->name, w->rank,
                          x->rank);
    const int64_t c = x->dims[1], m = w->dims[0];
    if (c % a->group || m % a->group || w->dims[1] * a->group != c)
        return diag_error(d, n, "channels do not match: input has %lld, weights (%lld, %lld, ...) with group %lld",
                          (long long)c, (long long)m, (long long)w->dims[1], (long long)a->group);
    if (a->nkernel_attr && a->nkernel_attr != nsp)
        return diag_error(d, n, "kernel_shape has %d values, expected %d", a->nkernel_attr, nsp);
    for (int i = 0; i < nsp; i++) {
        if (a->nkernel_attr && a->kernel[i] != w->dims[2 + i])
            return diag_error(d, n, "kernel_shape[%d] = %lld differs from the weights' %lld", i,
                              (long long)a->kernel[i], (long long)w->dims[2 + i]);
        if (w->dims[2 + i] < 1 || w->dims[2 + i] > WINDOW_ATTR_MAX)
            return diag_error(d, n, "weights have kernel size %lld on spatial axis %d", (long long)w->dims[2 + i], i);
        a->kernel[i] = w->dims[2 + i];
    }
    if (want_vector(n, 2, m, d)) return -1;
    int64_t dims[5] = {x->dims[0], m};
    if (infer_window(n, a, dims + 2, d)) return -1;
    return set_output(n, 0, x->dtype, x->rank, dims, d);
}

static int infer_pool(Node *n, ConvAttrs *a, Diag *d) {
    if (want_dtype(n, 0, n->op == OP_MAX_POOL ? maxpool_types : float_types, d) || want_spatial(n, d)) return -1;
    const Value *x = n->inputs[0];
    const int nsp = x->rank - 2;
    if (a->nkernel_attr != nsp)
        return a->nkernel_attr ? diag_error(d, n, "kernel_shape has %d values, expected %d", a->nkernel_attr, nsp)
                               : diag_error(d, n, "required attribute 'kernel_shape' is missing");
    int64_t dims[5] = {x->dims[0], x->dims[1]};
    if (infer_window(n, a, dims + 2, d)) return -1;
    if (set_output(n, 0, x->dtype, x->rank, dims, d)) return -1;
    return n->op == OP_MAX_POOL ? set_output(n, 1, DT_I64, x->rank, dims, d) : 0;
}

/* ------------------------------------------------------------ Gemm/MatMul */

/* C's (rows, cols) broadcast to (m, n): a scalar is 1x1, a vector 1xlen. */
static int gemm_c_shape(const Node *n, int64_t m, int64_t nn, int64_t *rows, int64_t *cols, Diag *d) {
    const Value *c = n->inputs[2];
    *rows = *cols = 1;
    if (c->rank > 2) return diag_error(d, n, "input 2 ('%s') has rank %d, expected at most 2", c->name, c->rank);
    if (c->rank == 2) *rows = c->dims[0];
    if (c->rank >= 1) *cols = c->dims[c->rank - 1];
    if ((*rows != 1 && *rows != m) || (*cols != 1 && *cols != nn))
        return diag_error(d, n, "input 2 ('%s') cannot be broadcast to (%lld, %lld)", c->name, (long long)m,
                          (long long)nn);
    return 0;
}

/* A (M, K) after transA, B (K, N) after transB. kiln_flat (from a MatMul
 * of any-rank A by a 2-D B, passes/fold_affine.c): A's leading dims are
 * the rows, its last dim is K. */
static void gemm_dims(const Node *n, int64_t *m, int64_t *k, int64_t *k2, int64_t *nn) {
    const ConvAttrs *a = &n->a.conv;
    const Value *av = n->inputs[0], *bv = n->inputs[1];
    if (a->flat) {
        *k = av->dims[av->rank - 1];
        *m = 1;
        for (int i = 0; i < av->rank - 1; i++) *m *= av->dims[i];
    } else {
        *m = av->dims[a->trans_a ? 1 : 0];
        *k = av->dims[a->trans_a ? 0 : 1];
    }
    *k2 = bv->dims[a->trans_b ? 1 : 0];
    *nn = bv->dims[a->trans_b ? 0 : 1];
}

static int infer_gemm(Node *n, Diag *d) {
    if (want_dtype(n, 0, float_types, d) || want_dtype(n, 1, float_types, d) || same_dtype(n, 1, d) ||
        same_dtype(n, 2, d))
        return -1;
    for (int k = 0; k < 2; k++)
        if (n->inputs[k]->rank != 2 && !(k == 0 && n->a.conv.flat && n->inputs[0]->rank > 2))
            return diag_error(d, n, "input %d ('%s') has rank %d, expected 2", k, n->inputs[k]->name,
                              n->inputs[k]->rank);
    int64_t m, k, k2, nn, rows, cols;
    gemm_dims(n, &m, &k, &k2, &nn);
    if (k != k2)
        return diag_error(d, n, "inner dimensions differ: A gives K=%lld, B gives K=%lld", (long long)k,
                          (long long)k2);
    if (n->ninputs > 2 && n->inputs[2] && gemm_c_shape(n, m, nn, &rows, &cols, d)) return -1;
    const Value *av = n->inputs[0];
    int64_t dims[KILN_MAX_RANK] = {m, nn};
    if (n->a.conv.flat) {
        memcpy(dims, av->dims, sizeof(int64_t) * (size_t)av->rank);
        dims[av->rank - 1] = nn;
    }
    return set_output(n, 0, av->dtype, n->a.conv.flat ? av->rank : 2, dims, d);
}

/* MatMul with numpy broadcasting resolved into the kernel's arguments. */
typedef struct MatmulPlan {
    int nb;                        /* batch rank (>= 1: {1} when there is none) */
    int64_t bdims[KILN_MAX_RANK];  /* broadcast batch shape */
    int64_t astr[KILN_MAX_RANK];   /* A's batch strides in matrices (0: broadcast) */
    int64_t bstr[KILN_MAX_RANK];   /* B's likewise */
    int64_t m, k, n;
    int out_rank;
    int64_t out[KILN_MAX_RANK];
} MatmulPlan;

/* One operand's batch strides (in matrices) against the broadcast shape. */
static void matmul_strides(const Value *v, int nbv, int nb, int64_t *str) {
    int64_t run = 1;
    for (int i = nb - 1; i >= 0; i--) {
        int j = i - (nb - nbv);
        int64_t dim = j >= 0 ? v->dims[j] : 1;
        str[i] = dim == 1 ? 0 : run;
        run *= dim;
    }
}

static int matmul_plan(const Node *n, MatmulPlan *p, Diag *d) {
    const Value *a = n->inputs[0], *b = n->inputs[1];
    memset(p, 0, sizeof *p);
    if (a->rank < 1 || b->rank < 1)
        return diag_error(d, n, "MatMul inputs must have rank at least 1 (got %d and %d)", a->rank, b->rank);
    /* 1-D operands: A is promoted to (1, K), B to (K, 1) */
    const int nba = a->rank > 1 ? a->rank - 2 : 0, nbb = b->rank > 1 ? b->rank - 2 : 0;
    p->m = a->rank > 1 ? a->dims[a->rank - 2] : 1;
    p->k = a->dims[a->rank - 1];
    const int64_t k2 = b->rank > 1 ? b->dims[b->rank - 2] : b->dims[0];
    p->n = b->rank > 1 ? b->dims[b->rank - 1] : 1;
    if (p->k != k2)
        return diag_error(d, n, "inner dimensions differ: %lld (input 0 '%s') vs %lld (input 1 '%s')",
                          (long long)p->k, a->name, (long long)k2, b->name);
    p->nb = nba > nbb ? nba : nbb;
    for (int i = 0; i < p->nb; i++) {
        int ja = i - (p->nb - nba), jb = i - (p->nb - nbb);
        int64_t da = ja >= 0 ? a->dims[ja] : 1, db = jb >= 0 ? b->dims[jb] : 1;
        if (da != db && da != 1 && db != 1)
            return diag_error(d, n, "batch dimensions cannot be broadcast: %lld vs %lld", (long long)da,
                              (long long)db);
        p->bdims[i] = da == 1 ? db : da;
        p->out[p->out_rank++] = p->bdims[i];
    }
    matmul_strides(a, nba, p->nb, p->astr);
    matmul_strides(b, nbb, p->nb, p->bstr);
    if (a->rank > 1) p->out[p->out_rank++] = p->m;
    if (b->rank > 1) p->out[p->out_rank++] = p->n;
    if (p->nb == 0) {
        p->nb = 1;
        p->bdims[0] = 1;
        p->astr[0] = p->bstr[0] = 0;
    }
    return 0;
}

static int infer_matmul(Node *n, Diag *d) {
    if (want_dtype(n, 0, matmul_types, d) || want_dtype(n, 1, matmul_types, d) || same_dtype(n, 1, d)) return -1;
    MatmulPlan p;
    if (matmul_plan(n, &p, d)) return -1;
    return set_output(n, 0, n->inputs[0]->dtype, p.out_rank, p.out, d);
}

/* ------------------------------------------------------------------ infer */

/* A fused residual (input 3) must have the output's exact type and shape. */
static int check_residual(const Node *n, Diag *d) {
    const Value *r = n->ninputs > 3 ? n->inputs[3] : NULL, *y = n->outputs[0];
    if (!r) return 0;
    if (r->dtype != y->dtype || r->rank != y->rank || memcmp(r->dims, y->dims, sizeof(int64_t) * (size_t)r->rank))
        return diag_error(d, n, "fused residual '%s' differs from the output in type or shape", r->name);
    return 0;
}

/* 2-D convolution with one input channel per group (output channels a
 * multiple of the groups): the depthwise kernel's case. */
static bool is_depthwise(const Node *n) {
    const Value *x = n->inputs[0], *w = n->inputs[1];
    const ConvAttrs *a = &n->a.conv;
    return x->rank == 4 && kk_fdw_ok(x->dims[1], a->group, w->dims[0], w->dims[1]);
}

/* Gemm in the form the fast kernel computes: alpha 1, and C absent or a
 * per-column vector (1 x N) with beta 1. */
static bool gemm_fast_form(const Node *n) {
    const ConvAttrs *a = &n->a.conv;
    const Value *c = n->ninputs > 2 ? n->inputs[2] : NULL;
    if (a->alpha != 1.0) return false;
    if (!c) return true;
    const int64_t nn = n->outputs[0]->dims[n->outputs[0]->rank - 1];
    return a->beta == 1.0 && c->rank >= 1 && c->dims[c->rank - 1] == nn && (c->rank == 1 || c->dims[0] == 1);
}

/* A Conv whose W holds the Winograd filter transform (kiln_wino = m):
 * float32 NCHW, W (M, C, m + 2, m + 2), a 3x3 kernel, stride 1, dilation
 * 1, one group; infers like infer_conv with the kernel fixed at 3x3. */
static int infer_wino(Node *n, ConvAttrs *a, Diag *d) {
    const Value *x = n->inputs[0], *w = n->ninputs > 1 ? n->inputs[1] : NULL;
    if (!w) return diag_error(d, n, "input 1 is required");
    if (x->dtype != DT_F32 || w->dtype != DT_F32 || same_dtype(n, 2, d))
        return diag_error(d, n, "unsupported: kiln_wino needs float32 inputs");
    const int64_t t = a->wino + 2;
    if (x->rank != 4 || w->rank != 4 || w->dims[1] != x->dims[1] || w->dims[2] != t || w->dims[3] != t ||
        a->group != 1)
        return diag_error(d, n, "unsupported: kiln_wino=%d needs 2-D input, one group and weights (M, C, %lld, %lld)",
                          a->wino, (long long)t, (long long)t);
    if (a->nkernel_attr && (a->nkernel_attr != 2 || a->kernel[0] != 3 || a->kernel[1] != 3))
        return diag_error(d, n, "unsupported: kiln_wino needs kernel_shape 3x3");
    a->kernel[0] = a->kernel[1] = 3;
    if (n->ninputs > 2 && want_vector(n, 2, w->dims[0], d)) return -1;
    int64_t dims[4] = {x->dims[0], w->dims[0]};
    if (infer_window(n, a, dims + 2, d)) return -1;
    for (int i = 0; i < 2; i++)
        if (a->strides[i] != 1 || a->dilations[i] != 1)
            return diag_error(d, n, "unsupported: kiln_wino needs stride 1 and dilation 1");
    return set_output(n, 0, DT_F32, 4, dims, d);
}

/* A Conv on the direct kernel (kiln_direct): float32 NCHW with 2 spatial
 * dims, one group, at most KK_FD_KMAX taps, a padded image plane
 * addressable by int32. */
static int check_direct(const Node *n, const ConvAttrs *a, Diag *d) {
    const Value *x = n->inputs[0], *w = n->inputs[1];
    if (x->dtype != DT_F32 || x->rank != 4 || w->rank != 4 || a->group != 1 || !kk_fdirect_ok(w->dims[0]))
        return diag_error(d, n, "unsupported: kiln_direct needs float32 2-D input and one group");
    const int64_t taps = w->dims[1] * w->dims[2] * w->dims[3];
    const int64_t plane = w->dims[1] * (x->dims[2] + a->pads[0] + a->pads[2]) * (x->dims[3] + a->pads[1] + a->pads[3]);
    if (taps > KK_FD_KMAX || plane > INT32_MAX)
        return diag_error(d, n, "unsupported: kiln_direct with %lld taps (at most %d) or a padded image of %lld "
                          "elements", (long long)taps, KK_FD_KMAX, (long long)plane);
    return 0;
}

static int64_t direct_scratch_bytes(const Node *n) {
    const Value *x = n->inputs[0];
    return kk_fdirect_scratch_bytes(x->dims[0], x->dims[1], x->dims + 2, n->a.conv.kernel, n->a.conv.pads);
}

static int64_t wino_scratch_bytes(const Node *n, int slots) {
    const Value *x = n->inputs[0], *y = n->outputs[0];
    return kk_fwino_scratch_bytes(n->a.conv.fast, slots, n->a.conv.wino, x->dims[0], x->dims[1], y->dims[1],
                                  y->dims[2], y->dims[3]);
}

/* Arena scratch of a packed node run by up to `slots` threads. */
static int64_t fast_scratch_bytes(const Node *n, int slots) {
    const ConvAttrs *a = &n->a.conv;
    const Value *x = n->inputs[0], *w = n->inputs[1], *y = n->outputs[0];
    if (n->op == OP_CONV && a->wino) return wino_scratch_bytes(n, slots);
    if (n->op == OP_CONV && a->direct) return direct_scratch_bytes(n);
    if (n->op == OP_CONV) {
        int64_t osz = 1;
        for (int i = 2; i < y->rank; i++) osz *= y->dims[i];
        return kk_fconv_scratch_bytes(a->fast, slots, x->dims[0], a->group, w->dims[0] / a->group,
                                      value_numel(w) / (w->dims[0] ? w->dims[0] : 1), osz);
    }
    const int64_t kd = n->op == OP_GEMM ? w->dims[a->trans_b ? 1 : 0] : w->dims[0];
    const int64_t nn = y->dims[y->rank - 1];
    return kk_fgemm_scratch_bytes(a->fast, slots, value_numel(y) / (nn ? nn : 1), nn, kd);
}

/* What the fast kernels need (passes/pack.c only marks nodes that have it;
 * a hand-written .kg might not), and the node's arena scratch. */
static int infer_fast(Graph *g, Node *n, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    if (!a->fast) {
        n->scratch = NULL;
        return 0;
    }
    if (n->inputs[0]->dtype != DT_F32)
        return diag_error(d, n, "unsupported: kiln_fast needs float32, input 0 is %s", dtype_name(n->inputs[0]->dtype));
    if (n->op == OP_MAX_POOL && (a->pack || a->slots || n->inputs[0]->rank != 4 || (n->noutputs > 1 && n->outputs[1])))
        return diag_error(d, n, "unsupported: kiln_fast MaxPool is 2-D, without Indices, packing or scratch");
    if ((n->op == OP_AVG_POOL || n->op == OP_GLOBAL_AVG_POOL) &&
        (a->pack || a->slots || (n->op == OP_AVG_POOL && n->inputs[0]->rank != 4)))
        return diag_error(d, n, "unsupported: kiln_fast AveragePool is 2-D, without packing or scratch");
    if (n->op == OP_CONV && !a->pack && !is_depthwise(n))
        return diag_error(d, n, "unsupported: kiln_fast without kiln_pack is for 2-D depthwise convolutions only");
    if ((n->op == OP_GEMM || n->op == OP_MATMUL) && !a->pack)
        return diag_error(d, n, "unsupported: kiln_fast needs kiln_pack here");
    if (n->op == OP_GEMM && !gemm_fast_form(n))
        return diag_error(d, n, "unsupported: kiln_fast Gemm needs alpha 1 and C absent or per column with beta 1");
    if (n->op == OP_MATMUL && n->inputs[1]->rank != 2)
        return diag_error(d, n, "unsupported: kiln_fast MatMul needs a 2-D B");
    if (a->pack && !a->slots) return diag_error(d, n, "kiln_pack needs kiln_slots (scratch) of at least 1");
    if (!a->slots) {
        n->scratch = NULL;
        return 0;
    }
    if (!n->scratch) {
        const char *name = NULL;
        for (int i = 0; !name || ir_value_find(g, name); i++)
            name = arena_printf(&g->arena, i ? "%s:scratch%d" : "%s:scratch", n->outputs[0]->name, i);
        n->scratch = ir_value_new(g, name);
        if (!n->scratch) return diag_error(d, n, "out of memory");
    }
    n->scratch->dtype = DT_U8;
    n->scratch->rank = 1;
    n->scratch->dims[0] = fast_scratch_bytes(n, a->slots);
    return 0;
}

int conv_infer(Graph *g, Node *n, Diag *d) {
    ConvAttrs *a = &n->a.conv;
    const Value *x = n->ninputs > 0 ? n->inputs[0] : NULL;
    if (!x) return diag_error(d, n, "input 0 is required");
    switch (n->op) {
    case OP_CONV:
        return (a->wino ? infer_wino(n, a, d) : infer_conv(n, a, d)) || (a->direct && check_direct(n, a, d)) ||
                       check_residual(n, d) || infer_fast(g, n, d)
                   ? -1
                   : 0;
    case OP_MAX_POOL:
        return infer_pool(n, a, d) || infer_fast(g, n, d) ? -1 : 0;
    case OP_AVG_POOL:
        return infer_pool(n, a, d) || infer_fast(g, n, d) ? -1 : 0;
    case OP_GLOBAL_AVG_POOL:
    case OP_GLOBAL_MAX_POOL: {
        if (want_dtype(n, 0, float_types, d)) return -1;
        if (x->rank < 3)
            return diag_error(d, n, "input 0 ('%s') has rank %d, expected at least 3 (N, C, spatial...)",
                              x->name, x->rank);
        int64_t dims[KILN_MAX_RANK];
        for (int i = 0; i < x->rank; i++) {
            if (i >= 2 && x->dims[i] == 0)
                return diag_error(d, n, "input 0 ('%s') has an empty spatial dimension %d", x->name, i);
            dims[i] = i < 2 ? x->dims[i] : 1;
        }
        return set_output(n, 0, x->dtype, x->rank, dims, d) || infer_fast(g, n, d) ? -1 : 0;
    }
    case OP_BATCH_NORM:
    case OP_LRN:
        if (want_dtype(n, 0, float_types, d)) return -1;
        if (x->rank < 2)
            return diag_error(d, n, "input 0 ('%s') has rank %d, expected at least 2 (N, C, ...)", x->name,
                              x->rank);
        for (int k = 1; k < n->ninputs; k++)
            if (want_dtype(n, k, float_types, d) || same_dtype(n, k, d) || want_vector(n, k, x->dims[1], d))
                return -1;
        return set_output(n, 0, x->dtype, x->rank, x->dims, d);
    case OP_GEMM:
        return infer_gemm(n, d) || check_residual(n, d) || infer_fast(g, n, d) ? -1 : 0;
    case OP_MATMUL:
        return infer_matmul(n, d) || infer_fast(g, n, d) ? -1 : 0;
    default:
        return diag_internal(d, "conv_infer called for %s", op_name(n->op));
    }
}

/* ------------------------------------------------------- shared geometry */

/* Sizes every kernel call of the family takes, read from the inferred node. */
typedef struct Geom {
    int nsp;                /* spatial rank (0 for rank-2 inputs) */
    int64_t n, c, m;        /* batch, input channels, output channels */
    int64_t in[3], out[3];  /* spatial sizes of input 0 and output 0 */
    int64_t plane;          /* prod(in[]): elements per (n, c) */
} Geom;

static void node_geom(const Node *n, Geom *g) {
    const Value *x = n->inputs[0], *y = n->outputs[0];
    memset(g, 0, sizeof *g);
    g->nsp = x->rank - 2 < 3 ? x->rank - 2 : 3;
    g->n = x->dims[0];
    g->c = x->dims[1];
    g->m = y->dims[1];
    g->plane = 1;
    for (int i = 2; i < x->rank; i++) g->plane *= x->dims[i];
    for (int i = 0; i < g->nsp; i++) {
        g->in[i] = x->dims[2 + i];
        g->out[i] = y->dims[2 + i];
    }
}

/* ------------------------------------------------------------------- exec */

/* Calls fn_f32 or fn_f64 by dtype; the void pointers convert implicitly. */
#define CALL_FLOAT(t, fn, ...)                                  \
    do {                                                        \
        if ((t) == DT_F32) fn##_f32(__VA_ARGS__);               \
        else if ((t) == DT_F64) fn##_f64(__VA_ARGS__);          \
        else return bad_dtype(n, d);                            \
    } while (0)

static int bad_dtype(const Node *n, Diag *d) {
    return diag_internal(d, "node '%s' (%s): no kernel for dtype %s", n->name, op_name(n->op),
                         dtype_name(n->inputs[0]->dtype));
}

static int conv_exec_op(const Node *n, const void *const *in, void *const *out, Diag *d);

static bool has_epilogue(const Node *n) {
    return (n->op == OP_CONV || n->op == OP_GEMM) && (n->a.conv.act || (n->ninputs > 3 && n->inputs[3]));
}

/* A Winograd Conv (kiln_wino) on the plain C micro-kernels, serially. */
static int exec_wino(const Node *n, const void *const *in, void *const *out, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    void *scratch = malloc((size_t)wino_scratch_bytes(n, 1) + 64);
    if (!scratch) return diag_error(d, n, "out of memory");
    Geom g;
    node_geom(n, &g);
    kk_fwino_f32 p;
    kk_fwino_init_f32(&p, kk_fisa_portable(a->fast), a->wino, in[0], in[1], n->ninputs > 2 ? in[2] : NULL,
                      n->ninputs > 3 ? in[3] : NULL, out[0], scratch, g.n, g.c, g.m, g.in, g.out, a->pads, a->act,
                      (float)a->act_alpha, (float)a->act_beta, 1);
    kk_fast_run(NULL, kk_fwino_task_f32, &p, p.ntasks);
    free(scratch);
    return 0;
}

/* A direct Conv (kiln_direct) on the plain C tile, serially. */
static int exec_direct(const Node *n, const void *const *in, void *const *out, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    void *scratch = malloc((size_t)direct_scratch_bytes(n) + 64);
    if (!scratch) return diag_error(d, n, "out of memory");
    Geom g;
    node_geom(n, &g);
    kk_fdirect_f32 p;
    kk_fdirect_init_f32(&p, kk_fisa_portable(a->fast), in[0], in[1], n->ninputs > 2 ? in[2] : NULL,
                        n->ninputs > 3 ? in[3] : NULL, out[0], scratch, g.n, g.c, g.m, g.in, a->kernel, g.out,
                        a->strides, a->dilations, a->pads, a->act, (float)a->act_alpha, (float)a->act_beta, 1);
    kk_fast_run(NULL, kk_fdirect_pad_task_f32, &p, p.npads);
    kk_fast_run(NULL, kk_fdirect_task_f32, &p, p.ntasks);
    free(scratch);
    return 0;
}

/* A node whose constant operand is in panel order (kiln_pack): the fast
 * kernels' plain C micro-kernels, serially, with malloc'd scratch. */
static int exec_packed(const Node *n, const void *const *in, void *const *out, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    if (n->op == OP_CONV && a->wino) return exec_wino(n, in, out, d);
    if (n->op == OP_CONV && a->direct) return exec_direct(n, in, out, d);
    const kk_fisa k = kk_fisa_portable(a->fast);
    void *scratch = malloc((size_t)fast_scratch_bytes(n, 1) + 64);
    if (!scratch) return diag_error(d, n, "out of memory");
    const float *bias = n->ninputs > 2 ? in[2] : NULL, *res = n->ninputs > 3 ? in[3] : NULL;
    Geom g;
    node_geom(n, &g);
    if (n->op == OP_CONV) {
        kk_fconv_f32 p;
        kk_fconv_init_f32(&p, k, in[0], in[1], bias, res, out[0], scratch, g.n, g.c, g.m, a->group, a->nsp, g.in,
                          a->kernel, g.out, a->strides, a->dilations, a->pads, a->act, (float)a->act_alpha,
                          (float)a->act_beta, 1);
        kk_fast_run(NULL, kk_fconv_pack_task_f32, &p, p.npacks);
        kk_fast_run(NULL, kk_fconv_task_f32, &p, p.ntasks);
    } else {
        int64_t m, kd, k2, nn;
        int trans_a = 0;
        if (n->op == OP_GEMM) {
            gemm_dims(n, &m, &kd, &k2, &nn);
            trans_a = a->trans_a;
        } else {
            kd = n->inputs[1]->dims[0];
            nn = n->inputs[1]->dims[1];
            m = value_numel(n->inputs[0]) / (kd ? kd : 1);
            bias = res = NULL;
        }
        kk_fgemm_f32 p;
        kk_fgemm_init_f32(&p, k, in[0], trans_a, in[1], bias, res, out[0], scratch, m, nn, kd,
                          n->op == OP_GEMM ? a->act : 0, (float)a->act_alpha, (float)a->act_beta, 1);
        kk_fast_run(NULL, kk_fgemm_task_f32, &p, p.ntasks);
    }
    free(scratch);
    return 0;
}

int conv_exec(const Node *n, const void *const *in, void *const *out, Diag *d) {
    if (n->a.conv.pack) return exec_packed(n, in, out, d);
    if (conv_exec_op(n, in, out, d)) return -1;
    if (has_epilogue(n)) {
        const ConvAttrs *a = &n->a.conv;
        const void *res = n->ninputs > 3 ? in[3] : NULL;
        int64_t cnt = value_numel(n->outputs[0]);
        if (n->outputs[0]->dtype == DT_F64)
            kk_epilogue_f64(out[0], res, cnt, a->act, a->act_alpha, a->act_beta);
        else
            kk_epilogue_f32(out[0], res, cnt, a->act, (float)a->act_alpha, (float)a->act_beta);
    }
    return 0;
}

static int conv_exec_op(const Node *n, const void *const *in, void *const *out, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    const DType t = n->inputs[0]->dtype;
    const void *in2 = n->ninputs > 2 ? in[2] : NULL;
    Geom g;
    node_geom(n, &g);
    switch (n->op) {
    case OP_CONV:
        CALL_FLOAT(t, kk_conv, in[0], in[1], in2, out[0], g.n, g.c, g.m, a->group, a->nsp, g.in, a->kernel,
                   g.out, a->strides, a->dilations, a->pads);
        return 0;
    case OP_BATCH_NORM:
        CALL_FLOAT(t, kk_batchnorm, in[0], in[1], in[2], in[3], in[4], out[0], g.n, g.c, g.plane, a->epsilon);
        return 0;
    case OP_MAX_POOL: {
        int64_t *ind = n->noutputs > 1 ? out[1] : NULL;
        if (t == DT_I8)
            kk_maxpool_i8(in[0], out[0], ind, g.n * g.c, a->nsp, g.in, a->kernel, g.out, a->strides,
                          a->dilations, a->pads, a->storage_order);
        else if (t == DT_U8)
            kk_maxpool_u8(in[0], out[0], ind, g.n * g.c, a->nsp, g.in, a->kernel, g.out, a->strides,
                          a->dilations, a->pads, a->storage_order);
        else
            CALL_FLOAT(t, kk_maxpool, in[0], out[0], ind, g.n * g.c, a->nsp, g.in, a->kernel, g.out, a->strides,
                       a->dilations, a->pads, a->storage_order);
        return 0;
    }
    case OP_AVG_POOL:
        CALL_FLOAT(t, kk_avgpool, in[0], out[0], g.n * g.c, a->nsp, g.in, a->kernel, g.out, a->strides,
                   a->dilations, a->pads, a->count_include_pad);
        return 0;
    case OP_GLOBAL_AVG_POOL:
        CALL_FLOAT(t, kk_global_avgpool, in[0], out[0], g.n * g.c, g.plane);
        return 0;
    case OP_GLOBAL_MAX_POOL:
        CALL_FLOAT(t, kk_global_maxpool, in[0], out[0], g.n * g.c, g.plane);
        return 0;
    case OP_LRN:
        CALL_FLOAT(t, kk_lrn, in[0], out[0], g.n, g.c, g.plane, g.plane, a->size, a->alpha, a->beta, a->bias);
        return 0;
    case OP_GEMM: {
        int64_t m, k, k2, nn, rows = 1, cols = 1;
        gemm_dims(n, &m, &k, &k2, &nn);
        if (in2 && gemm_c_shape(n, m, nn, &rows, &cols, d)) return -1;
        CALL_FLOAT(t, kk_gemm, in[0], in[1], in2, out[0], m, nn, k, a->trans_a, a->trans_b, a->alpha, a->beta,
                   rows, cols);
        return 0;
    }
    case OP_MATMUL: {
        MatmulPlan p;
        if (matmul_plan(n, &p, d)) return -1;
        if (t == DT_I32)
            kk_matmul_i32(in[0], in[1], out[0], p.nb, p.bdims, p.astr, p.bstr, p.m, p.k, p.n);
        else if (t == DT_I64)
            kk_matmul_i64(in[0], in[1], out[0], p.nb, p.bdims, p.astr, p.bstr, p.m, p.k, p.n);
        else
            CALL_FLOAT(t, kk_matmul, in[0], in[1], out[0], p.nb, p.bdims, p.astr, p.bstr, p.m, p.k, p.n);
        return 0;
    }
    default:
        return diag_internal(d, "conv_exec called for %s", op_name(n->op));
    }
}

/* ------------------------------------------------------------------- emit */

static const char *or_null(const char *expr) { return expr ? expr : "NULL"; }

/* ", (const int64_t[]){...}" */
static void emit_dims(Emitter *e, const int64_t *v, int n) {
    emit(e, ", (const int64_t[])");
    emit_i64s(e, v, n);
}

/* ", <literal>" of the kernel's scalar type. */
static void emit_scalar(Emitter *e, DType t, double v) {
    emit(e, ", ");
    if (t == DT_F32) emit_float(e, v);
    else emit_double(e, v);
}

/* The window arguments shared by Conv and the pools:
 * nsp, in_sp, k_sp, out_sp, strides, dilations, pads. */
static void emit_window(Emitter *e, const ConvAttrs *a, const Geom *g) {
    emit(e, ", %d", a->nsp);
    emit_dims(e, g->in, a->nsp);
    emit_dims(e, a->kernel, a->nsp);
    emit_dims(e, g->out, a->nsp);
    emit_dims(e, a->strides, a->nsp);
    emit_dims(e, a->dilations, a->nsp);
    emit_dims(e, a->pads, 2 * a->nsp);
}

/* A Winograd Conv (kiln_wino): kk_fwino's plan and tasks, like emit_fast. */
static void emit_wino(Emitter *e, const Node *n, const char *const *in, const char *const *out, const char *isa,
                      const char *scratch) {
    const ConvAttrs *a = &n->a.conv;
    Geom g;
    node_geom(n, &g);
    emit_use(e, KKF_WINO);
    emit(e, "{\n");
    e->indent++;
    emit(e, "kk_fwino_f32 p;\nkk_fwino_init_f32(&p, %s, %d, %s, %s, %s, %s, %s, %s, %lld, %lld, %lld", isa, a->wino,
         in[0], in[1], or_null(n->ninputs > 2 ? in[2] : NULL), or_null(n->ninputs > 3 ? in[3] : NULL), out[0],
         scratch, (long long)g.n, (long long)g.c, (long long)g.m);
    emit_dims(e, g.in, 2);
    emit_dims(e, g.out, 2);
    emit_dims(e, a->pads, 4);
    emit(e, ", %d, ", a->act);
    emit_float(e, a->act_alpha);
    emit(e, ", ");
    emit_float(e, a->act_beta);
    emit(e, ", kk_fast_threads(tp));\nkk_fast_run(tp, kk_fwino_task_f32, &p, p.ntasks);\n");
    e->indent--;
    emit(e, "}\n");
}

/* A direct Conv (kiln_direct): kk_fdirect's plan, pad tasks and tasks. */
static void emit_direct(Emitter *e, const Node *n, const char *const *in, const char *const *out, const char *isa,
                        const char *scratch) {
    const ConvAttrs *a = &n->a.conv;
    Geom g;
    node_geom(n, &g);
    emit_use(e, KKF_DIRECT);
    emit(e, "{\n");
    e->indent++;
    emit(e, "kk_fdirect_f32 p;\nkk_fdirect_init_f32(&p, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %lld", isa, in[0],
         in[1], or_null(n->ninputs > 2 ? in[2] : NULL), or_null(n->ninputs > 3 ? in[3] : NULL), out[0], scratch,
         (long long)g.n, (long long)g.c, (long long)g.m);
    emit_dims(e, g.in, 2);
    emit_dims(e, a->kernel, 2);
    emit_dims(e, g.out, 2);
    emit_dims(e, a->strides, 2);
    emit_dims(e, a->dilations, 2);
    emit_dims(e, a->pads, 4);
    emit(e, ", %d, ", a->act);
    emit_float(e, a->act_alpha);
    emit(e, ", ");
    emit_float(e, a->act_beta);
    emit(e, ", kk_fast_threads(tp));\nkk_fast_run(tp, kk_fdirect_pad_task_f32, &p, p.npads);\n"
            "kk_fast_run(tp, kk_fdirect_task_f32, &p, p.ntasks);\n");
    e->indent--;
    emit(e, "}\n");
}

/* A fast node: one kernel plan on the stack, its tasks run by kk_fast_run
 * on the node function's thread pool `tp` (NULL: this thread). The
 * epilogue is inside the kernel. */
static int emit_fast(Emitter *e, const Node *n, const char *const *in, const char *const *out, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    const char *in2 = n->ninputs > 2 ? in[2] : NULL, *res = n->ninputs > 3 ? in[3] : NULL;
    char scratch[64] = "NULL", isa[40];
    if (n->scratch) {
        if (n->scratch->offset < 0) return diag_internal(d, "node '%s': scratch was not planned", n->name);
        snprintf(scratch, sizeof scratch, "(void *)(a + %lld)", (long long)n->scratch->offset);
    }
    snprintf(isa, sizeof isa, a->fast == KK_ISA_PORTABLE ? "kk_fisa_portable(%d)" : "kk_fisa_x86(%d)", a->fast);
    emit_use(e, KKF_FAST);
    if (a->fast != KK_ISA_PORTABLE) emit_use(e, KKF_FAST_X86);
    if (n->op == OP_CONV && a->wino) {
        emit_wino(e, n, in, out, isa, scratch);
        return 0;
    }
    if (n->op == OP_CONV && a->direct) {
        emit_direct(e, n, in, out, isa, scratch);
        return 0;
    }
    Geom g;
    node_geom(n, &g);
    const char *kind;
    emit(e, "{\n");
    e->indent++;
    /* kk_fisa_x86 hands out the x86 planes only where their files came with it */
    const bool x86 = a->fast != KK_ISA_PORTABLE;
    if (n->op == OP_MAX_POOL) {
        kind = "fmaxpool";
        if (x86) emit_use(e, KKF_MAXPOOL_X86);
        emit(e, "kk_fdw_f32 p;\nkk_fmaxpool_init_f32(&p, %s, %s, %s, %lld, %lld", isa, in[0], out[0],
             (long long)g.n, (long long)g.c);
        emit_dims(e, g.in, 2);
        emit_dims(e, a->kernel, 2);
        emit_dims(e, g.out, 2);
        emit_dims(e, a->strides, 2);
        emit_dims(e, a->dilations, 2);
        emit_dims(e, a->pads, 4);
        emit(e, ");\nkk_fast_run(tp, kk_fmaxpool_task_f32, &p, p.ntasks);\n");
        e->indent--;
        emit(e, "}\n");
        return 0;
    } else if (n->op == OP_CONV && !a->pack) {
        kind = "fdw";
        if (x86) emit_use(e, KKF_DW_X86);
        emit(e, "kk_fdw_f32 p;\nkk_fdw_init_f32(&p, %s, %s, %s, %s, %s, %s, %lld, %lld, %lld", isa, in[0], in[1],
             or_null(in2), or_null(res), out[0], (long long)g.n, (long long)g.c, (long long)(g.m / g.c));
        emit_dims(e, g.in, 2);
        emit_dims(e, a->kernel, 2);
        emit_dims(e, g.out, 2);
        emit_dims(e, a->strides, 2);
        emit_dims(e, a->dilations, 2);
        emit_dims(e, a->pads, 4);
    } else if (n->op == OP_CONV) {
        kind = "fconv";
        emit(e, "kk_fconv_f32 p;\nkk_fconv_init_f32(&p, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %lld, %lld", isa,
             in[0], in[1], or_null(in2), or_null(res), out[0], scratch, (long long)g.n, (long long)g.c,
             (long long)g.m, (long long)a->group);
        emit_window(e, a, &g);
    } else {
        int64_t m, kd, k2, nn;
        int trans_a = 0;
        if (n->op == OP_GEMM) {
            gemm_dims(n, &m, &kd, &k2, &nn);
            trans_a = a->trans_a;
        } else {
            kd = n->inputs[1]->dims[0];
            nn = n->inputs[1]->dims[1];
            m = value_numel(n->inputs[0]) / (kd ? kd : 1);
            in2 = res = NULL;
        }
        kind = "fgemm";
        emit(e, "kk_fgemm_f32 p;\nkk_fgemm_init_f32(&p, %s, %s, %d, %s, %s, %s, %s, %s, %lld, %lld, %lld", isa, in[0],
             trans_a, in[1], or_null(in2), or_null(res), out[0], scratch, (long long)m, (long long)nn, (long long)kd);
    }
    emit(e, ", %d, ", n->op == OP_MATMUL ? 0 : a->act);
    emit_float(e, a->act_alpha);
    emit(e, ", ");
    emit_float(e, a->act_beta);
    emit(e, "%s);\n", a->pack ? ", kk_fast_threads(tp)" : "");
    if (n->op == OP_CONV && a->pack) emit(e, "kk_fast_run(tp, kk_fconv_pack_task_f32, &p, p.npacks);\n");
    emit(e, "kk_fast_run(tp, kk_%s_task_f32, &p, p.ntasks);\n", kind);
    e->indent--;
    emit(e, "}\n");
    return 0;
}

/* A fast AveragePool / GlobalAveragePool (kernels/fast/dw_x86.c): tasks
 * of whole planes on the node function's pool `tp`. */
static int emit_fast_avgpool(Emitter *e, const Node *n, const char *const *in, const char *const *out) {
    const ConvAttrs *a = &n->a.conv;
    Geom g;
    node_geom(n, &g);
    emit_use(e, KKF_DW_X86);
    emit(e, "{\n");
    e->indent++;
    /* a 2-D window over the whole unpadded plane is a global average: one
     * sum per plane instead of the windowed kernel's per-plane set-up */
    const bool whole = n->op == OP_AVG_POOL && g.nsp == 2 && a->kernel[0] == g.in[0] && a->kernel[1] == g.in[1] &&
                       g.out[0] == 1 && g.out[1] == 1 && a->dilations[0] == 1 && a->dilations[1] == 1 &&
                       !a->pads[0] && !a->pads[1] && !a->pads[2] && !a->pads[3];
    if (n->op == OP_AVG_POOL && !whole) {
        emit(e, "kk_favg_f32 p;\nkk_favgpool_init_f32(&p, %d, %s, %s, %lld, %lld", a->fast, in[0], out[0],
             (long long)g.n, (long long)g.c);
        emit_dims(e, g.in, 2);
        emit_dims(e, a->kernel, 2);
        emit_dims(e, g.out, 2);
        emit_dims(e, a->strides, 2);
        emit_dims(e, a->dilations, 2);
        emit_dims(e, a->pads, 4);
        emit(e, ", %d);\n", a->count_include_pad);
    } else {
        emit(e, "kk_favg_f32 p;\nkk_fgavgpool_init_f32(&p, %d, %s, %s, %lld, %lld);\n", a->fast, in[0], out[0],
             (long long)(g.n * g.c), (long long)g.plane);
    }
    emit(e, "kk_fast_run(tp, kk_favg_task_f32, &p, p.ntasks);\n");
    e->indent--;
    emit(e, "}\n");
    return 0;
}

int conv_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    const DType t = n->inputs[0]->dtype;
    const char *sfx = dtype_name(t);
    const char *in2 = n->ninputs > 2 ? in[2] : NULL;
    if ((n->op == OP_CONV || n->op == OP_GEMM || n->op == OP_MATMUL || n->op == OP_MAX_POOL) && a->fast)
        return emit_fast(e, n, in, out, d);
    if ((n->op == OP_AVG_POOL || n->op == OP_GLOBAL_AVG_POOL) && a->fast) return emit_fast_avgpool(e, n, in, out);
    Geom g;
    node_geom(n, &g);
    emit_use(e, KKF_CONV);
    switch (n->op) {
    case OP_CONV:
        emit(e, "kk_conv_%s(%s, %s, %s, %s, %lld, %lld, %lld, %lld", sfx, in[0], in[1], or_null(in2), out[0],
             (long long)g.n, (long long)g.c, (long long)g.m, (long long)a->group);
        emit_window(e, a, &g);
        break;
    case OP_BATCH_NORM:
        emit(e, "kk_batchnorm_%s(%s, %s, %s, %s, %s, %s, %lld, %lld, %lld", sfx, in[0], in[1], in[2], in[3],
             in[4], out[0], (long long)g.n, (long long)g.c, (long long)g.plane);
        emit_scalar(e, t, a->epsilon);
        break;
    case OP_MAX_POOL:
        emit(e, "kk_maxpool_%s(%s, %s, %s, %lld", sfx, in[0], out[0], or_null(n->noutputs > 1 ? out[1] : NULL),
             (long long)(g.n * g.c));
        emit_window(e, a, &g);
        emit(e, ", %d", a->storage_order);
        break;
    case OP_AVG_POOL:
        emit(e, "kk_avgpool_%s(%s, %s, %lld", sfx, in[0], out[0], (long long)(g.n * g.c));
        emit_window(e, a, &g);
        emit(e, ", %d", a->count_include_pad);
        break;
    case OP_GLOBAL_AVG_POOL:
    case OP_GLOBAL_MAX_POOL:
        emit(e, "kk_global_%s_%s(%s, %s, %lld, %lld", n->op == OP_GLOBAL_AVG_POOL ? "avgpool" : "maxpool", sfx,
             in[0], out[0], (long long)(g.n * g.c), (long long)g.plane);
        break;
    case OP_LRN: {
        /* planes pstride (x's) apart, the output's `plane` of each computed:
         * the same on a whole node, a band of rows on a part of a split one */
        int64_t plane = 1, pstride = 1;
        for (int k = 2; k < n->outputs[0]->rank; k++) plane *= n->outputs[0]->dims[k];
        for (int k = 2; k < n->inputs[0]->rank; k++) pstride *= n->inputs[0]->dims[k];
        emit(e, "kk_lrn_%s(%s, %s, %lld, %lld, %lld, %lld, %lld", sfx, in[0], out[0], (long long)g.n,
             (long long)g.c, (long long)plane, (long long)pstride, (long long)a->size);
        emit_scalar(e, t, a->alpha);
        emit_scalar(e, t, a->beta);
        emit_scalar(e, t, a->bias);
        break;
    }
    case OP_GEMM: {
        int64_t m, k, k2, nn, rows = 1, cols = 1;
        gemm_dims(n, &m, &k, &k2, &nn);
        if (in2 && gemm_c_shape(n, m, nn, &rows, &cols, d)) return -1;
        emit(e, "kk_gemm_%s(%s, %s, %s, %s, %lld, %lld, %lld, %d, %d", sfx, in[0], in[1], or_null(in2), out[0],
             (long long)m, (long long)nn, (long long)k, a->trans_a, a->trans_b);
        emit_scalar(e, t, a->alpha);
        emit_scalar(e, t, a->beta);
        emit(e, ", %lld, %lld", (long long)rows, (long long)cols);
        break;
    }
    case OP_MATMUL: {
        MatmulPlan p;
        if (matmul_plan(n, &p, d)) return -1;
        emit(e, "kk_matmul_%s(%s, %s, %s, %d", sfx, in[0], in[1], out[0], p.nb);
        emit_dims(e, p.bdims, p.nb);
        emit_dims(e, p.astr, p.nb);
        emit_dims(e, p.bstr, p.nb);
        emit(e, ", %lld, %lld, %lld", (long long)p.m, (long long)p.k, (long long)p.n);
        break;
    }
    default:
        return diag_internal(d, "conv_emit called for %s", op_name(n->op));
    }
    emit(e, ");\n");
    if (has_epilogue(n)) {
        /* the fused bias/residual/activation epilogue, in place on the output */
        emit_use(e, KKF_UNARY);
        emit(e, "kk_epilogue_%s(%s, %s, %lld, %d, ", sfx, out[0], or_null(n->ninputs > 3 ? in[3] : NULL),
             (long long)value_numel(n->outputs[0]), a->act);
        if (t == DT_F64) {
            emit_double(e, a->act_alpha);
            emit(e, ", ");
            emit_double(e, a->act_beta);
        } else {
            emit_float(e, a->act_alpha);
            emit(e, ", ");
            emit_float(e, a->act_beta);
        }
        emit(e, ");\n");
    }
    return 0;
}
