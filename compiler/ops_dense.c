/*
 * ops_dense.c - the dense family of the ops table: ConvTranspose, Resize,
 * Upsample, DepthToSpace and SpaceToDepth. The four entry points named in
 * ops_dense.def switch on n->op.
 *
 *   dense_parse  raw attributes -> n->a.dense (DenseAttrs), checked once;
 *   dense_infer  output dtypes and shapes; resolves ConvTranspose's pads
 *                (from pads, auto_pad or output_shape) and Resize's per-axis
 *                scales (from scales or sizes, axes and the aspect policy),
 *                so exec and emit only ever see explicit geometry;
 *   dense_exec   constant folding: calls the kernels of kernels/ref/dense.c;
 *   dense_emit   one call of the same kernel with constant arguments.
 *
 * Upsample (opsets 7, 9, 10) and Resize-10 are Resize with the asymmetric
 * coordinate transform and their own nearest rounding (KK_RESIZE_NEAREST_SIMPLE:
 * floor when upsampling, ceil when downsampling, as onnxruntime does).
 * Resize's scales and sizes determine the output shape, so they must be
 * compile-time constants; roi only moves sample positions and is read by the
 * kernel at run time.
 *
 * ConvTranspose's kernel calls the conv family's window helper
 * (kk_conv_range); the C backend's kernel dependency table pastes
 * ref/conv.c along with ref/dense.c.
 *
 * ConvTranspose also reads kiln's raw attributes: kiln_act / kiln_alpha /
 * kiln_beta (an activation applied to the output, through kk_epilogue on
 * the reference path) and kiln_fast / kiln_pack / kiln_slots, which
 * passes/pack.c sets on float32 nodes with constant weights: W then holds
 * kk_fdeconv_pack_f32's layout, infer gives the node arena scratch, exec
 * runs the fast kernel's plain C micro-kernels, and emit calls the fast
 * kernel (kernels/fast/deconv.c) through kk_fast_run on the thread pool.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "fast/kk_deconv.h"
#include "fast/kk_fast.h"
#include "ir.h"
#include "kk.h"

_Static_assert(DENSE_MAX_RANK == KILN_MAX_RANK, "DenseAttrs arrays are per axis of a tensor");

/* Kernel sizes, strides, dilations, pads and output sizes above this are
 * rejected: it keeps every window computation far from int64 overflow. */
#define WINDOW_ATTR_MAX ((int64_t)1 << 31)

enum { AUTO_PAD_NOTSET = 0, AUTO_PAD_SAME_UPPER, AUTO_PAD_SAME_LOWER, AUTO_PAD_VALID };
enum { ASPECT_STRETCH = 0, ASPECT_NOT_LARGER, ASPECT_NOT_SMALLER };

static const DType float_types[] = {DT_F32, DT_F64, DT_UNDEF};
/* interpolating Resize: the kernels kk_resize_<type> */
static const DType interp_types[] = {DT_F32, DT_F64, DT_U8, DT_I8, DT_I32, DT_UNDEF};
/* data movement (nearest Resize, DepthToSpace, SpaceToDepth): any fixed-size
 * type kiln can hold; f16/bf16 are refused like everywhere else */
static const DType move_types[] = {DT_F32, DT_F64, DT_U8, DT_I8, DT_U16, DT_I16, DT_I32,
                                   DT_I64, DT_U32, DT_U64, DT_BOOL, DT_UNDEF};

/* A string attribute's value as an index into names (NULL-terminated);
 * anything else is reported as unsupported. */
static int attr_choice(Graph *g, Node *n, const char *name, const char *dflt, const char *const *names, Diag *d,
                       int *err) {
    const char *s = attr_string(g, n, name, dflt, d, err);
    for (int i = 0; names[i]; i++)
        if (!strcmp(s, names[i])) return i;
    diag_error(d, n, "unsupported attribute value %s='%s'", name, s);
    *err = 1;
    return 0;
}

/* 0/1 flag attribute; any other value is reported. */
static int attr_flag(Graph *g, Node *n, const char *name, Diag *d, int *err) {
    int64_t v = attr_int(g, n, name, 0, d, err);
    if (v != 0 && v != 1) {
        diag_error(d, n, "unsupported attribute value %s=%lld (expected 0 or 1)", name, (long long)v);
        *err = 1;
    }
    return v == 1;
}

/* Reads an ints attribute into out[max]; its count (0 if absent), after
 * checking every value lies in [lo, WINDOW_ATTR_MAX]. */
static int window_ints(Graph *g, Node *n, const char *name, int64_t *out, int max, int64_t lo, Diag *d, int *err) {
    int cnt = attr_ints(g, n, name, out, max, d, err);
    if (cnt < 0) return 0;
    for (int i = 0; i < cnt; i++)
        if (out[i] < lo || out[i] > WINDOW_ATTR_MAX) {
            if (out[i] < 0 && lo == 0)
                diag_error(d, n, "unsupported: negative %s[%d] = %lld", name, i, (long long)out[i]);
            else
                diag_error(d, n, "%s[%d] = %lld is out of range", name, i, (long long)out[i]);
            *err = 1;
        }
    return cnt;
}

/* ------------------------------------------------------------------ parse */

static void parse_conv_transpose(Graph *g, Node *n, DenseAttrs *a, Diag *d, int *err) {
    static const char *const pads[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "", NULL};
    a->nkernel_attr = window_ints(g, n, "kernel_shape", a->kernel_attr, 3, 1, d, err);
    a->nstrides_attr = window_ints(g, n, "strides", a->strides, 3, 1, d, err);
    a->ndilations_attr = window_ints(g, n, "dilations", a->dilations, 3, 1, d, err);
    a->npads_attr = window_ints(g, n, "pads", a->pads_attr, 6, 0, d, err);
    a->nout_pad_attr = window_ints(g, n, "output_padding", a->out_pad, 3, 0, d, err);
    a->nout_shape_attr = window_ints(g, n, "output_shape", a->out_shape_attr, 5, 0, d, err);
    a->auto_pad = attr_choice(g, n, "auto_pad", "NOTSET", pads, d, err);
    if (a->auto_pad == 4) a->auto_pad = AUTO_PAD_NOTSET;
    a->group = attr_int(g, n, "group", 1, d, err);
    if (a->group < 1 || a->group > WINDOW_ATTR_MAX) {
        diag_error(d, n, "group = %lld is out of range", (long long)a->group);
        *err = 1;
    }
    /* kiln's own attributes: a fused activation, and the fast kernel (passes/pack.c) */
    a->act = (int)attr_int(g, n, "kiln_act", 0, d, err);
    if (a->act < 0 || a->act >= KK_UN_COUNT_) {
        diag_error(d, n, "kiln_act = %d is not an activation code", a->act);
        *err = 1;
    }
    a->act_alpha = attr_float(g, n, "kiln_alpha", 0.0, d, err);
    a->act_beta = attr_float(g, n, "kiln_beta", 0.0, d, err);
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

static void parse_depth_space(Graph *g, Node *n, DenseAttrs *a, Diag *d, int *err) {
    static const char *const modes[] = {"DCR", "CRD", NULL};
    if (!ir_attr_find(n, "blocksize")) {
        diag_error(d, n, "required attribute 'blocksize' is missing");
        *err = 1;
        return;
    }
    a->blocksize = attr_int(g, n, "blocksize", 1, d, err);
    if (a->blocksize < 1 || a->blocksize > WINDOW_ATTR_MAX) {
        diag_error(d, n, "blocksize = %lld is out of range", (long long)a->blocksize);
        *err = 1;
    }
    a->crd = attr_choice(g, n, "mode", "DCR", modes, d, err);
}

/* Resize (every opset) and Upsample. Before Resize-11 there is only `mode`:
 * the asymmetric transform with SIMPLE nearest rounding. */
static void parse_resize(Graph *g, Node *n, DenseAttrs *a, Diag *d, int *err) {
    static const char *const modes[] = {"nearest", "linear", "cubic", "bilinear", NULL};
    static const char *const ctms[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                                       "align_corners", "asymmetric", "tf_half_pixel_for_nn",
                                       "tf_crop_and_resize", NULL};
    static const char *const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", NULL};
    static const char *const aspect[] = {"stretch", "not_larger", "not_smaller", NULL};
    const int legacy = n->op == OP_UPSAMPLE || n->opset < 11;
    if (n->op == OP_UPSAMPLE && n->opset < 7) {
        diag_error(d, n, "unsupported: Upsample opset %d (experimental height_scale/width_scale form)", n->opset);
        *err = 1;
        return;
    }
    a->mode = attr_choice(g, n, "mode", "nearest", modes, d, err);
    if (a->mode == 3) { /* Upsample-1's name for 2-D linear */
        if (n->op != OP_UPSAMPLE) {
            diag_error(d, n, "unsupported attribute value mode='bilinear'");
            *err = 1;
        }
        a->mode = KK_RESIZE_LINEAR;
    }
    if (legacy && a->mode == KK_RESIZE_CUBIC) {
        diag_error(d, n, "unsupported attribute value mode='cubic' before Resize-11");
        *err = 1;
    }
    a->cubic_a = -0.75;
    if (legacy) {
        a->ctm = KK_RESIZE_CTM_ASYMMETRIC;
        a->nearest_mode = KK_RESIZE_NEAREST_SIMPLE;
    } else {
        a->ctm = attr_choice(g, n, "coordinate_transformation_mode", "half_pixel", ctms, d, err);
        a->nearest_mode = attr_choice(g, n, "nearest_mode", "round_prefer_floor", nearest, d, err);
        a->cubic_a = attr_float(g, n, "cubic_coeff_a", -0.75, d, err);
        a->exclude_outside = attr_flag(g, n, "exclude_outside", d, err);
        a->extrapolation = attr_float(g, n, "extrapolation_value", 0.0, d, err);
        a->antialias = attr_flag(g, n, "antialias", d, err);
        a->keep_aspect = attr_choice(g, n, "keep_aspect_ratio_policy", "stretch", aspect, d, err);
        int cnt = attr_ints(g, n, "axes", a->axes_attr, DENSE_MAX_RANK, d, err);
        a->naxes_attr = cnt < 0 ? 0 : cnt;
    }
    if (n->op == OP_UPSAMPLE && n->opset < 9) {
        int cnt = attr_floats(g, n, "scales", a->scales_attr, DENSE_MAX_RANK, d, err);
        if (cnt < 0 && !*err) {
            diag_error(d, n, "required attribute 'scales' is missing");
            *err = 1;
        }
        a->nscales_attr = cnt < 0 ? 0 : cnt;
    }
}

int dense_parse(Graph *g, Node *n, Diag *d) {
    DenseAttrs *a = &n->a.dense;
    int err = 0;
    memset(a, 0, sizeof *a);
    a->group = 1;
    switch (n->op) {
    case OP_CONV_TRANSPOSE: parse_conv_transpose(g, n, a, d, &err); break;
    case OP_DEPTH_TO_SPACE:
    case OP_SPACE_TO_DEPTH: parse_depth_space(g, n, a, d, &err); break;
    case OP_RESIZE:
    case OP_UPSAMPLE: parse_resize(g, n, a, d, &err); break;
    default: return diag_internal(d, "dense_parse called for %s", op_name(n->op));
    }
    return err ? -1 : 0;
}

/* ----------------------------------------------------------------- checks */

/* Input k, when present, must have input 0's dtype. */
static int same_dtype(const Node *n, int k, Diag *d) {
    const Value *v = k < n->ninputs ? n->inputs[k] : NULL;
    if (v && v->dtype != n->inputs[0]->dtype)
        return diag_error(d, n, "unsupported: input %d ('%s') has dtype %s, input 0 has %s", k, v->name,
                          dtype_name(v->dtype), dtype_name(n->inputs[0]->dtype));
    return 0;
}

/* Input k, or NULL when omitted. */
static const Value *opt_input(const Node *n, int k) { return k < n->ninputs ? n->inputs[k] : NULL; }

/* ----------------------------------------------------- ConvTranspose infer */

/* Output size and pads of one spatial axis. The full output of the
 * transposed convolution is full = stride*(in-1) + output_padding + eff;
 * pads crop it. With output_shape (or SAME_*: output in*stride) the pads
 * are what crops full down to that size: the odd one goes to the end for
 * SAME_UPPER and to the start otherwise (the spec's rule). A requested size
 * beyond full crops nothing and leaves bias-only positions at the end. */
static int convt_axis(const Node *n, DenseAttrs *a, int i, int64_t in, int64_t *out, Diag *d) {
    const int nsp = a->nsp;
    const int64_t s = a->strides[i], eff = (a->kernel[i] - 1) * a->dilations[i] + 1;
    if (in < 1 || in > WINDOW_ATTR_MAX || eff > WINDOW_ATTR_MAX || s * (in - 1) > WINDOW_ATTR_MAX)
        return diag_error(d, n, "spatial axis %d: input size %lld, stride %lld, dilated kernel %lld are out of range",
                          i, (long long)in, (long long)s, (long long)eff);
    const int64_t full = s * (in - 1) + a->out_pad[i] + eff;
    int64_t want = -1;
    if (a->nout_shape_attr) want = a->out_shape_attr[a->nout_shape_attr - nsp + i];
    else if (a->auto_pad == AUTO_PAD_SAME_UPPER || a->auto_pad == AUTO_PAD_SAME_LOWER) want = in * s;
    if (want >= 0) {
        int64_t total = full - want;
        if (total < 0) total = 0;
        a->pads[i] = a->auto_pad == AUTO_PAD_SAME_UPPER ? total / 2 : total - total / 2;
        a->pads[nsp + i] = total - a->pads[i];
        *out = want;
    } else {
        const int explicit_pads = a->npads_attr && a->auto_pad == AUTO_PAD_NOTSET;
        a->pads[i] = explicit_pads ? a->pads_attr[i] : 0;
        a->pads[nsp + i] = explicit_pads ? a->pads_attr[nsp + i] : 0;
        *out = full - a->pads[i] - a->pads[nsp + i];
    }
    if (*out < 0 || *out > WINDOW_ATTR_MAX)
        return diag_error(d, n, "output size %lld on spatial axis %d is out of range (pads exceed the output)",
                          (long long)*out, i);
    return 0;
}

static int infer_conv_transpose(Node *n, DenseAttrs *a, Diag *d) {
    if (require_dtype(n, 0, float_types, d) || require_dtype(n, 1, float_types, d) || same_dtype(n, 1, d) ||
        same_dtype(n, 2, d))
        return -1;
    const Value *x = n->inputs[0], *w = n->inputs[1], *b = opt_input(n, 2);
    if (x->rank < 3)
        return diag_error(d, n, "input 0 ('%s') has rank %d, expected at least 3 (N, C, spatial...)", x->name,
                          x->rank);
    if (x->rank > 5)
        return diag_error(d, n, "unsupported: input 0 ('%s') has %d spatial dimensions (at most 3)", x->name,
                          x->rank - 2);
    const int nsp = x->rank - 2;
    a->nsp = nsp;
    if (w->rank != x->rank)
        return diag_error(d, n, "input 1 ('%s') has rank %d, expected %d like input 0", w->name, w->rank, x->rank);
    const int64_t c = x->dims[1];
    if (w->dims[0] != c || c % a->group)
        return diag_error(d, n, "channels do not match: input has %lld, weights (%lld, %lld, ...) with group %lld",
                          (long long)c, (long long)w->dims[0], (long long)w->dims[1], (long long)a->group);
    const int64_t m = w->dims[1] * a->group;
    if (b && (b->rank != 1 || b->dims[0] != m))
        return diag_error(d, n, "input 2 ('%s') must be a vector of %lld elements", b->name, (long long)m);
    if (a->nkernel_attr && a->nkernel_attr != nsp)
        return diag_error(d, n, "kernel_shape has %d values, expected %d", a->nkernel_attr, nsp);
    if (a->nstrides_attr && a->nstrides_attr != nsp)
        return diag_error(d, n, "strides has %d values, expected %d", a->nstrides_attr, nsp);
    if (a->ndilations_attr && a->ndilations_attr != nsp)
        return diag_error(d, n, "dilations has %d values, expected %d", a->ndilations_attr, nsp);
    if (a->npads_attr && a->npads_attr != 2 * nsp)
        return diag_error(d, n, "pads has %d values, expected %d", a->npads_attr, 2 * nsp);
    if (a->nout_pad_attr && a->nout_pad_attr != nsp)
        return diag_error(d, n, "output_padding has %d values, expected %d", a->nout_pad_attr, nsp);
    if (a->nout_shape_attr && a->nout_shape_attr != nsp && a->nout_shape_attr != nsp + 2)
        return diag_error(d, n, "output_shape has %d values, expected %d", a->nout_shape_attr, nsp);
    int64_t dims[5] = {x->dims[0], m};
    for (int i = 0; i < nsp; i++) {
        const int64_t k = w->dims[2 + i];
        if (a->nkernel_attr && a->kernel_attr[i] != k)
            return diag_error(d, n, "kernel_shape[%d] = %lld differs from the weights' %lld", i,
                              (long long)a->kernel_attr[i], (long long)k);
        if (k < 1 || k > WINDOW_ATTR_MAX)
            return diag_error(d, n, "weights have kernel size %lld on spatial axis %d", (long long)k, i);
        a->kernel[i] = k;
        if (!a->nstrides_attr) a->strides[i] = 1;
        if (!a->ndilations_attr) a->dilations[i] = 1;
        if (!a->nout_pad_attr) a->out_pad[i] = 0;
        if (convt_axis(n, a, i, x->dims[2 + i], &dims[2 + i], d)) return -1;
    }
    return set_output(n, 0, x->dtype, x->rank, dims, d);
}

/* The fast kernel's needs (passes/pack.c only marks nodes that meet them;
 * a hand-written .kg might not), and the node's arena scratch. */
static int infer_conv_transpose_fast(Graph *g, Node *n, const DenseAttrs *a, Diag *d) {
    if (!a->fast) {
        n->scratch = NULL;
        return 0;
    }
    const Value *x = n->inputs[0], *y = n->outputs[0];
    if (x->dtype != DT_F32)
        return diag_error(d, n, "unsupported: kiln_fast needs float32, input 0 is %s", dtype_name(x->dtype));
    if (!a->pack || !a->slots)
        return diag_error(d, n, "unsupported: kiln_fast ConvTranspose needs kiln_pack and kiln_slots");
    if (x->dims[1] < a->group)
        return diag_error(d, n, "unsupported: kiln_fast ConvTranspose needs at least one input channel per group");
    if (!n->scratch) {
        const char *name = NULL;
        for (int i = 0; !name || ir_value_find(g, name); i++)
            name = arena_printf(&g->arena, i ? "%s:scratch%d" : "%s:scratch", y->name, i);
        n->scratch = ir_value_new(g, name);
        if (!n->scratch) return diag_error(d, n, "out of memory");
    }
    int64_t in[3] = {0}, out[3] = {0};
    for (int i = 0; i < a->nsp; i++) {
        in[i] = x->dims[2 + i];
        out[i] = y->dims[2 + i];
    }
    n->scratch->dtype = DT_U8;
    n->scratch->rank = 1;
    n->scratch->dims[0] = kk_fdeconv_scratch_bytes(a->fast, a->slots, x->dims[0], x->dims[1], y->dims[1], a->group,
                                                   a->nsp, in, a->kernel, out, a->strides, a->dilations, a->pads);
    return 0;
}

/* ---------------------------------------------- DepthToSpace / SpaceToDepth */

static int infer_depth_space(Node *n, DenseAttrs *a, Diag *d) {
    if (require_dtype(n, 0, move_types, d)) return -1;
    const Value *x = n->inputs[0];
    const int64_t bs = a->blocksize;
    if (x->rank != 4)
        return diag_error(d, n, "input 0 ('%s') has rank %d, expected 4 (N, C, H, W)", x->name, x->rank);
    int64_t dims[4] = {x->dims[0], x->dims[1], x->dims[2], x->dims[3]};
    if (n->op == OP_DEPTH_TO_SPACE) {
        if (dims[1] % (bs * bs))
            return diag_error(d, n, "channels (%lld) are not a multiple of blocksize^2 (%lld)", (long long)dims[1],
                              (long long)(bs * bs));
        dims[1] /= bs * bs;
        dims[2] *= bs;
        dims[3] *= bs;
    } else {
        if (dims[2] % bs || dims[3] % bs)
            return diag_error(d, n, "spatial size %lldx%lld is not a multiple of blocksize %lld", (long long)dims[2],
                              (long long)dims[3], (long long)bs);
        dims[1] *= bs * bs;
        dims[2] /= bs;
        dims[3] /= bs;
    }
    return set_output(n, 0, x->dtype, 4, dims, d);
}

/* ------------------------------------------------------------ Resize infer */

/* The scales or sizes of a Resize / Upsample, as given (naxes values). */
typedef struct ResizeTarget {
    int nscales, nsizes;                 /* exactly one is nonzero (or both 0: error) */
    double scales[DENSE_MAX_RANK];
    int64_t sizes[DENSE_MAX_RANK];
} ResizeTarget;

/* Collects the target from the attribute or inputs of each form:
 * Upsample-7 attribute, Upsample-9 / Resize-10 input 1, Resize-11+ input 2
 * (scales) or 3 (sizes), an empty tensor standing for an omitted one. */
static int resize_target(const Node *n, const DenseAttrs *a, ResizeTarget *t, Diag *d) {
    memset(t, 0, sizeof *t);
    if (n->op == OP_UPSAMPLE && n->opset < 9) {
        t->nscales = a->nscales_attr;
        memcpy(t->scales, a->scales_attr, sizeof t->scales);
        return 0;
    }
    if (n->op == OP_UPSAMPLE || n->opset < 11) {
        if (!opt_input(n, 1)) return diag_error(d, n, "input 1 (scales) is required");
        t->nscales = const_floats(n, 1, t->scales, DENSE_MAX_RANK, d);
        return t->nscales < 0 ? -1 : 0;
    }
    const Value *sc = opt_input(n, 2), *sz = opt_input(n, 3);
    if (sc && value_numel(sc) > 0) {
        t->nscales = const_floats(n, 2, t->scales, DENSE_MAX_RANK, d);
        if (t->nscales < 0) return -1;
    }
    if (sz && value_numel(sz) > 0) {
        t->nsizes = const_ints(n, 3, t->sizes, DENSE_MAX_RANK, d);
        if (t->nsizes < 0) return -1;
    }
    if (t->nscales && t->nsizes) return diag_error(d, n, "scales and sizes are both given (only one may be)");
    if (!t->nscales && !t->nsizes) return diag_error(d, n, "neither scales nor sizes is given");
    return 0;
}

/* Fills a->scales[] and the output dims from the target. */
static int resize_shape(const Node *n, DenseAttrs *a, const int *axes, int naxes, const ResizeTarget *t,
                        int64_t *out, Diag *d) {
    const Value *x = n->inputs[0];
    const int r = x->rank;
    for (int i = 0; i < r; i++) {
        a->scales[i] = 1.0;
        out[i] = x->dims[i];
    }
    const int cnt = t->nscales ? t->nscales : t->nsizes;
    if (cnt != naxes)
        return diag_error(d, n, "%s has %d values, expected %d", t->nscales ? "scales" : "sizes", cnt, naxes);
    if (t->nscales) {
        for (int i = 0; i < naxes; i++) {
            const int ax = axes[i];
            const double s = t->scales[i], o = floor(s * (double)x->dims[ax]);
            if (!(s > 0) || !(o <= (double)WINDOW_ATTR_MAX))
                return diag_error(d, n, "scales[%d] = %g is out of range", i, s);
            a->scales[ax] = s;
            out[ax] = (int64_t)o;
        }
        return 0;
    }
    for (int i = 0; i < naxes; i++) {
        if (t->sizes[i] < 0 || t->sizes[i] > WINDOW_ATTR_MAX)
            return diag_error(d, n, "sizes[%d] = %lld is out of range", i, (long long)t->sizes[i]);
        if (x->dims[axes[i]] == 0)
            return diag_error(d, n, "cannot resize axis %d of input 0 ('%s'): it is empty", axes[i], x->name);
    }
    if (a->keep_aspect == ASPECT_STRETCH) {
        for (int i = 0; i < naxes; i++) {
            a->scales[axes[i]] = (double)t->sizes[i] / (double)x->dims[axes[i]];
            out[axes[i]] = t->sizes[i];
        }
        return 0;
    }
    double sc = 0;
    for (int i = 0; i < naxes; i++) {
        const double s = (double)t->sizes[i] / (double)x->dims[axes[i]];
        if (i == 0 || (a->keep_aspect == ASPECT_NOT_LARGER ? s < sc : s > sc)) sc = s;
    }
    for (int i = 0; i < naxes; i++) {
        const double o = sc * (double)x->dims[axes[i]] + 0.5;
        if (!(o <= (double)WINDOW_ATTR_MAX))
            return diag_error(d, n, "output size %g on axis %d is out of range", o, axes[i]);
        a->scales[axes[i]] = sc;
        out[axes[i]] = (int64_t)o;
    }
    return 0;
}

static int infer_resize(Node *n, DenseAttrs *a, Diag *d) {
    if (require_dtype(n, 0, a->mode == KK_RESIZE_NEAREST ? move_types : interp_types, d)) return -1;
    const Value *x = n->inputs[0];
    const int r = x->rank;
    if (r < 1) return diag_error(d, n, "input 0 ('%s') is a scalar; Resize needs rank 1 or more", x->name);
    int axes[DENSE_MAX_RANK], naxes = r;
    for (int i = 0; i < r; i++) axes[i] = i;
    if (a->naxes_attr) {
        naxes = a->naxes_attr;
        unsigned seen = 0;
        for (int i = 0; i < naxes; i++) {
            if (norm_axis(n, a->axes_attr[i], r, &axes[i], d)) return -1;
            if (seen & (1u << axes[i])) return diag_error(d, n, "axes repeats axis %d", axes[i]);
            seen |= 1u << axes[i];
        }
    }
    ResizeTarget t;
    int64_t out[DENSE_MAX_RANK];
    if (resize_target(n, a, &t, d) || resize_shape(n, a, axes, naxes, &t, out, d)) return -1;

    /* roi: only tf_crop_and_resize reads it; 2 * naxes values, starts first */
    a->roi_half = 0;
    for (int i = 0; i < r; i++) a->roi_index[i] = -1;
    if (a->ctm == KK_RESIZE_CTM_TF_CROP_AND_RESIZE) {
        const Value *roi = opt_input(n, 1);
        if (!roi || value_numel(roi) == 0)
            return diag_error(d, n, "coordinate_transformation_mode 'tf_crop_and_resize' needs input 1 (roi)");
        if (require_dtype(n, 1, float_types, d)) return -1;
        if (value_numel(roi) != 2 * naxes)
            return diag_error(d, n, "input 1 ('%s') has %lld values, expected %d (start and end per axis)", roi->name,
                              (long long)value_numel(roi), 2 * naxes);
        a->roi_half = naxes;
        for (int i = 0; i < naxes; i++) a->roi_index[axes[i]] = i;
    }

    if (a->mode != KK_RESIZE_NEAREST && a->antialias) {
        kk_resize_params p = {.mode = a->mode, .antialias = 1};
        for (int i = 0; i < r; i++)
            if (kk_resize_ntaps(&p, a->scales[i]) > KK_RESIZE_MAX_TAPS)
                return diag_error(d, n, "unsupported: antialiased downscale by %g on axis %d (filter wider than %d"
                                  " taps)", a->scales[i], i, KK_RESIZE_MAX_TAPS);
    }
    return set_output(n, 0, x->dtype, r, out, d);
}

/* ------------------------------------------------------------------ infer */

int dense_infer(Graph *g, Node *n, Diag *d) {
    DenseAttrs *a = &n->a.dense;
    if (n->ninputs < 1 || !n->inputs[0]) return diag_error(d, n, "input 0 is required");
    switch (n->op) {
    case OP_CONV_TRANSPOSE: return infer_conv_transpose(n, a, d) || infer_conv_transpose_fast(g, n, a, d) ? -1 : 0;
    case OP_DEPTH_TO_SPACE:
    case OP_SPACE_TO_DEPTH: return infer_depth_space(n, a, d);
    case OP_RESIZE:
    case OP_UPSAMPLE: return infer_resize(n, a, d);
    default: return diag_internal(d, "dense_infer called for %s", op_name(n->op));
    }
}

/* ------------------------------------------------------- shared arguments */

/* Kernel arguments derived from the inferred node, shared by exec and emit. */
typedef struct DenseArgs {
    int64_t n, c, m;                 /* ConvTranspose: batch, channels in / out */
    int64_t in[3], out[3];           /* ConvTranspose spatial sizes */
    int64_t dn, dc, dh, dw;          /* DepthToSpace / SpaceToDepth: n, small c, h, w */
    kk_resize_params rp;             /* Resize */
    int roi_slot;                    /* Resize: input slot of roi, -1 when not read */
    union {                          /* Resize: the extrapolation value in X's type */
        float f32; double f64; uint8_t u8; int8_t i8; uint16_t u16; int16_t i16;
        int32_t i32; int64_t i64; uint32_t u32; uint64_t u64;
    } fill;
} DenseArgs;

/* v rounded half to even and clamped to [lo, hi] (integer fill values). */
static double round_clamp(double v, double lo, double hi) {
    if (v != v) return 0;
    v = nearbyint(v);
    return v < lo ? lo : v > hi ? hi : v;
}

static void dense_args(const Node *n, DenseArgs *s) {
    const DenseAttrs *a = &n->a.dense;
    const Value *x = n->inputs[0], *y = n->outputs[0];
    memset(s, 0, sizeof *s);
    s->roi_slot = -1;
    switch (n->op) {
    case OP_CONV_TRANSPOSE:
        s->n = x->dims[0];
        s->c = x->dims[1];
        s->m = y->dims[1];
        for (int i = 0; i < a->nsp; i++) {
            s->in[i] = x->dims[2 + i];
            s->out[i] = y->dims[2 + i];
        }
        break;
    case OP_DEPTH_TO_SPACE:
    case OP_SPACE_TO_DEPTH: {
        const Value *big = n->op == OP_DEPTH_TO_SPACE ? y : x; /* the space layout */
        s->dn = x->dims[0];
        s->dc = big->dims[1];
        s->dh = big->dims[2] / a->blocksize;
        s->dw = big->dims[3] / a->blocksize;
        break;
    }
    case OP_RESIZE:
    case OP_UPSAMPLE: {
        const double v = a->extrapolation;
        s->rp.mode = a->mode;
        s->rp.ctm = a->ctm;
        s->rp.nearest_mode = a->nearest_mode;
        s->rp.antialias = a->mode == KK_RESIZE_NEAREST ? 0 : a->antialias;
        s->rp.exclude_outside = a->mode == KK_RESIZE_NEAREST ? 0 : a->exclude_outside;
        s->rp.cubic_a = a->cubic_a;
        s->rp.extrapolation = v;
        if (a->roi_half) {
            s->roi_slot = 1;
            s->rp.roi_type = n->inputs[1]->dtype == DT_F32 ? KK_F32 : KK_F64;
            s->rp.roi_half = a->roi_half;
        }
        switch (x->dtype) {
        case DT_F32: s->fill.f32 = (float)v; break;
        case DT_F64: s->fill.f64 = v; break;
        case DT_BOOL: s->fill.u8 = v != 0; break;
        case DT_U8: s->fill.u8 = (uint8_t)round_clamp(v, 0, 255); break;
        case DT_I8: s->fill.i8 = (int8_t)round_clamp(v, -128, 127); break;
        case DT_U16: s->fill.u16 = (uint16_t)round_clamp(v, 0, 65535); break;
        case DT_I16: s->fill.i16 = (int16_t)round_clamp(v, -32768, 32767); break;
        case DT_I32: s->fill.i32 = (int32_t)round_clamp(v, -2147483648.0, 2147483647.0); break;
        case DT_U32: s->fill.u32 = (uint32_t)round_clamp(v, 0, 4294967295.0); break;
        case DT_I64: s->fill.i64 = (int64_t)round_clamp(v, -9223372036854775808.0, 9223372036854774784.0); break;
        case DT_U64: s->fill.u64 = (uint64_t)round_clamp(v, 0, 18446744073709549568.0); break;
        default: break;
        }
        break;
    }
    default:
        break;
    }
}

/* ------------------------------------------------------------------- exec */

static int bad_dtype(const Node *n, Diag *d) {
    return diag_internal(d, "node '%s' (%s): no kernel for dtype %s", n->name, op_name(n->op),
                         dtype_name(n->inputs[0]->dtype));
}

int dense_exec(const Node *n, const void *const *in, void *const *out, Diag *d) {
    const DenseAttrs *a = &n->a.dense;
    const Value *x = n->inputs[0], *y = n->outputs[0];
    const DType t = x->dtype;
    DenseArgs s;
    dense_args(n, &s);
    switch (n->op) {
    case OP_CONV_TRANSPOSE: {
        const void *b = n->ninputs > 2 ? in[2] : NULL;
        if (a->pack) {
            /* W in kk_fdeconv_pack_f32's layout: the fast kernel's plain C micro-kernels, serially */
            kk_fdeconv_f32 p;
            void *scratch = malloc((size_t)kk_fdeconv_scratch_bytes(a->fast, 1, s.n, s.c, s.m, a->group, a->nsp, s.in,
                                                                    a->kernel, s.out, a->strides, a->dilations,
                                                                    a->pads) + 64);
            if (!scratch) return diag_error(d, n, "out of memory");
            kk_fdeconv_init_f32(&p, kk_fisa_portable(a->fast), in[0], in[1], b, out[0], scratch, s.n, s.c, s.m,
                                a->group, a->nsp, s.in, a->kernel, s.out, a->strides, a->dilations, a->pads, a->act,
                                (float)a->act_alpha, (float)a->act_beta);
            kk_fast_run(NULL, kk_fdeconv_task_f32, &p, p.ntasks);
            free(scratch);
            return 0;
        }
        if (t == DT_F32)
            kk_conv_transpose_f32(in[0], in[1], b, out[0], s.n, s.c, s.m, a->group, a->nsp, s.in, a->kernel, s.out,
                                  a->strides, a->dilations, a->pads);
        else if (t == DT_F64)
            kk_conv_transpose_f64(in[0], in[1], b, out[0], s.n, s.c, s.m, a->group, a->nsp, s.in, a->kernel, s.out,
                                  a->strides, a->dilations, a->pads);
        else
            return bad_dtype(n, d);
        if (a->act) {
            const int64_t cnt = value_numel(y);
            if (t == DT_F64) kk_epilogue_f64(out[0], NULL, cnt, a->act, a->act_alpha, a->act_beta);
            else kk_epilogue_f32(out[0], NULL, cnt, a->act, (float)a->act_alpha, (float)a->act_beta);
        }
        return 0;
    }
    case OP_DEPTH_TO_SPACE:
        kk_depth_to_space(in[0], out[0], dtype_size(t), s.dn, s.dc, s.dh, s.dw, a->blocksize, a->crd);
        return 0;
    case OP_SPACE_TO_DEPTH:
        kk_space_to_depth(in[0], out[0], dtype_size(t), s.dn, s.dc, s.dh, s.dw, a->blocksize, a->crd);
        return 0;
    case OP_RESIZE:
    case OP_UPSAMPLE: {
        const void *roi = s.roi_slot >= 0 ? in[s.roi_slot] : NULL;
        const int r = x->rank;
        if (a->mode == KK_RESIZE_NEAREST) {
            kk_resize_nearest(in[0], out[0], dtype_size(t), r, x->dims, y->dims, a->scales, a->roi_index, roi, &s.rp,
                              &s.fill);
            return 0;
        }
        switch (t) {
        case DT_F32: kk_resize_f32(in[0], out[0], r, x->dims, y->dims, a->scales, a->roi_index, roi, &s.rp); break;
        case DT_F64: kk_resize_f64(in[0], out[0], r, x->dims, y->dims, a->scales, a->roi_index, roi, &s.rp); break;
        case DT_U8: kk_resize_u8(in[0], out[0], r, x->dims, y->dims, a->scales, a->roi_index, roi, &s.rp); break;
        case DT_I8: kk_resize_i8(in[0], out[0], r, x->dims, y->dims, a->scales, a->roi_index, roi, &s.rp); break;
        case DT_I32: kk_resize_i32(in[0], out[0], r, x->dims, y->dims, a->scales, a->roi_index, roi, &s.rp); break;
        default: return bad_dtype(n, d);
        }
        return 0;
    }
    default:
        return diag_internal(d, "dense_exec called for %s", op_name(n->op));
    }
}

/* ------------------------------------------------------------------- emit */

/* ", (const int64_t[]){...}" */
static void emit_dims(Emitter *e, const int64_t *v, int n) {
    emit(e, ", (const int64_t[])");
    emit_i64s(e, v, n);
}

/* ", (const double[]){...}" */
static void emit_doubles(Emitter *e, const double *v, int n) {
    emit(e, ", (const double[]){");
    for (int i = 0; i < n; i++) {
        if (i) emit(e, ", ");
        emit_double(e, v[i]);
    }
    emit(e, "}");
}

/* ", &(const kk_resize_params){...}" */
static void emit_resize_params(Emitter *e, const kk_resize_params *p) {
    emit(e, ", &(const kk_resize_params){.mode = %d, .ctm = %d, .nearest_mode = %d, .antialias = %d, "
            ".exclude_outside = %d, .cubic_a = ",
         p->mode, p->ctm, p->nearest_mode, p->antialias, p->exclude_outside);
    emit_double(e, p->cubic_a);
    emit(e, ", .extrapolation = ");
    emit_double(e, p->extrapolation);
    emit(e, ", .roi_type = %d, .roi_half = %lld}", p->roi_type, (long long)p->roi_half);
}

/* ", &(const T){v}": the fill element of nearest Resize, NULL when unused. */
static void emit_fill(Emitter *e, DType t, const DenseArgs *s) {
    if (s->rp.ctm != KK_RESIZE_CTM_TF_CROP_AND_RESIZE) {
        emit(e, ", NULL");
        return;
    }
    emit(e, ", &(const %s){", dtype_ctype(t));
    switch (t) {
    case DT_F32: emit_float(e, s->fill.f32); break;
    case DT_F64: emit_double(e, s->fill.f64); break;
    case DT_U8: case DT_BOOL: emit(e, "%u", (unsigned)s->fill.u8); break;
    case DT_I8: emit(e, "%d", (int)s->fill.i8); break;
    case DT_U16: emit(e, "%u", (unsigned)s->fill.u16); break;
    case DT_I16: emit(e, "%d", (int)s->fill.i16); break;
    case DT_I32: emit(e, "%ld", (long)s->fill.i32); break;
    case DT_U32: emit(e, "%luu", (unsigned long)s->fill.u32); break;
    case DT_I64:
        if (s->fill.i64 == INT64_MIN) emit(e, "INT64_MIN");
        else emit(e, "%lld", (long long)s->fill.i64);
        break;
    case DT_U64: emit(e, "%lluu", (unsigned long long)s->fill.u64); break;
    default: emit(e, "0"); break;
    }
    emit(e, "}");
}

static const char *or_null(const char *expr) { return expr ? expr : "NULL"; }

/* A fast ConvTranspose: one kernel plan on the stack, its tasks run by
 * kk_fast_run on the node function's thread pool `tp` (NULL: this thread);
 * bias and activation are inside the kernel. */
static int emit_conv_transpose_fast(Emitter *e, const Node *n, const char *const *in, const char *const *out,
                                    const DenseArgs *s, Diag *d) {
    const DenseAttrs *a = &n->a.dense;
    char scratch[64] = "NULL";
    if (n->scratch) {
        if (n->scratch->offset < 0) return diag_internal(d, "node '%s': scratch was not planned", n->name);
        snprintf(scratch, sizeof scratch, "(void *)(a + %lld)", (long long)n->scratch->offset);
    }
    emit_use(e, KKF_FAST);
    emit_use(e, KKF_DECONV);
    if (a->fast != KK_ISA_PORTABLE) emit_use(e, KKF_FAST_X86);
    emit(e, "{\n");
    e->indent++;
    emit(e, "kk_fdeconv_f32 p;\nkk_fdeconv_init_f32(&p, %s(%d), %s, %s, %s, %s, %s, %lld, %lld, %lld, %lld, %d",
         a->fast == KK_ISA_PORTABLE ? "kk_fisa_portable" : "kk_fisa_x86", a->fast, in[0], in[1],
         or_null(n->ninputs > 2 ? in[2] : NULL), out[0], scratch, (long long)s->n, (long long)s->c, (long long)s->m,
         (long long)a->group, a->nsp);
    emit_dims(e, s->in, a->nsp);
    emit_dims(e, a->kernel, a->nsp);
    emit_dims(e, s->out, a->nsp);
    emit_dims(e, a->strides, a->nsp);
    emit_dims(e, a->dilations, a->nsp);
    emit_dims(e, a->pads, 2 * a->nsp);
    emit(e, ", %d, ", a->act);
    emit_float(e, a->act_alpha);
    emit(e, ", ");
    emit_float(e, a->act_beta);
    emit(e, ");\nkk_fast_run(tp, kk_fdeconv_task_f32, &p, p.ntasks);\n");
    e->indent--;
    emit(e, "}\n");
    return 0;
}

int dense_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out, Diag *d) {
    const DenseAttrs *a = &n->a.dense;
    const Value *x = n->inputs[0], *y = n->outputs[0];
    const DType t = x->dtype;
    DenseArgs s;
    dense_args(n, &s);
    if (n->op == OP_CONV_TRANSPOSE && a->fast) return emit_conv_transpose_fast(e, n, in, out, &s, d);
    emit_use(e, KKF_DENSE); /* the backend pastes ref/conv.c with it (kk_conv_range) */
    switch (n->op) {
    case OP_CONV_TRANSPOSE:
        emit(e, "kk_conv_transpose_%s(%s, %s, %s, %s, %lld, %lld, %lld, %lld, %d", dtype_name(t), in[0], in[1],
             or_null(n->ninputs > 2 ? in[2] : NULL), out[0], (long long)s.n, (long long)s.c, (long long)s.m,
             (long long)a->group, a->nsp);
        emit_dims(e, s.in, a->nsp);
        emit_dims(e, a->kernel, a->nsp);
        emit_dims(e, s.out, a->nsp);
        emit_dims(e, a->strides, a->nsp);
        emit_dims(e, a->dilations, a->nsp);
        emit_dims(e, a->pads, 2 * a->nsp);
        if (a->act) {
            /* the fused activation, in place on the output (kk_epilogue: ref/conv.c) */
            emit_use(e, KKF_UNARY);
            emit(e, ");\nkk_epilogue_%s(%s, NULL, %lld, %d, ", dtype_name(t), out[0],
                 (long long)value_numel(y), a->act);
            if (t == DT_F64) emit_double(e, a->act_alpha);
            else emit_float(e, a->act_alpha);
            emit(e, ", ");
            if (t == DT_F64) emit_double(e, a->act_beta);
            else emit_float(e, a->act_beta);
        }
        break;
    case OP_DEPTH_TO_SPACE:
    case OP_SPACE_TO_DEPTH:
        emit(e, "kk_%s(%s, %s, %zu, %lld, %lld, %lld, %lld, %lld, %d",
             n->op == OP_DEPTH_TO_SPACE ? "depth_to_space" : "space_to_depth", in[0], out[0], dtype_size(t),
             (long long)s.dn, (long long)s.dc, (long long)s.dh, (long long)s.dw, (long long)a->blocksize, a->crd);
        break;
    case OP_RESIZE:
    case OP_UPSAMPLE: {
        const int r = x->rank;
        const char *roi = s.roi_slot >= 0 ? in[s.roi_slot] : NULL;
        if (a->mode == KK_RESIZE_NEAREST)
            emit(e, "kk_resize_nearest(%s, %s, %zu, %d", in[0], out[0], dtype_size(t), r);
        else
            emit(e, "kk_resize_%s(%s, %s, %d", dtype_name(t), in[0], out[0], r);
        emit_dims(e, x->dims, r);
        emit_dims(e, y->dims, r);
        emit_doubles(e, a->scales, r);
        emit_dims(e, a->roi_index, r);
        emit(e, ", %s", or_null(roi));
        emit_resize_params(e, &s.rp);
        if (a->mode == KK_RESIZE_NEAREST) emit_fill(e, t, &s);
        break;
    }
    default:
        return diag_internal(d, "dense_emit called for %s", op_name(n->op));
    }
    emit(e, ");\n");
    return 0;
}
