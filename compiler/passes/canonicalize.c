/*
 * canonicalize.c - rewrites the patterns exporters emit into the ops kiln
 * fuses and runs fast:
 *   Sum(a, b)                         -> Add(a, b)        (Caffe2-era ResNets)
 *   Mul(x, Sigmoid(x))                -> kiln.Silu(x)      (PyTorch SiLU/Swish)
 *   Mul(x, HardSigmoid(x; 1/6, 1/2))  -> HardSwish(x)
 *   0.5 * x * (1 + Erf(x / sqrt 2))   -> Gelu(x)          (nn.GELU before opset 20)
 *   0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 x^3)))  -> Gelu(x, tanh)
 *   (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) [* gamma] [+ beta]
 *                                     -> LayerNormalization(x, gamma, beta)
 *     (decomposed LayerNorm of exports before opset 17; the trailing Mul/Add
 *     by constants become its scale and bias). With the means over one axis
 *     that is not the last (ConvNeXt's channels-first LayerNorm, gamma
 *     [C, 1, 1]) the node gets the raw attribute kiln_axis_only = 1: it
 *     normalizes over that axis alone (ops_norm.c, kk_normalize_mid).
 *   LayerNormalization(x, s, b) * c + e -> LayerNormalization(x, s*c, b*c + e)
 *   x * Clip(x + 3, 0, 6) / 6         -> HardSwish(x)     (older PyTorch exports)
 * Each rewrite keeps the pattern's final output value (and name); the
 * nodes it replaces must have no other consumers. SiLU and friends then fuse
 * into a preceding Conv's epilogue like any activation.
 */
#include <math.h>
#include <string.h>

#include "rewrite.h"

/* v is a float scalar constant within 1e-4 relative of want */
static bool is_scalar(const Value *v, double want) {
    if (!v || v->kind != VK_CONST || value_numel(v) != 1) return false;
    if (v->dtype != DT_F32 && v->dtype != DT_F64) return false;
    double x = rw_get(v, 0);
    return fabs(x - want) <= 1e-4 * fabs(want) + 1e-7;
}

static Value *other_input(const Node *n, const Value *v) {
    if (n->ninputs != 2) return NULL;
    if (n->inputs[0] == v) return n->inputs[1];
    if (n->inputs[1] == v) return n->inputs[0];
    return NULL;
}

static bool same_shape(const Value *a, const Value *b) {
    return a->dtype == b->dtype && a->rank == b->rank && !memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank);
}

/* Replace the pattern ending at `last` by a one-input node `op`(x). */
static int replace_with(Graph *g, Node *last, OpKind op, Value *x, Node **dead, int ndead, Diag *d) {
    Node *r = ir_node_new(g, op, last->name, 1, 1);
    if (!r) return diag_error(d, last, "out of memory");
    r->opset = last->opset;
    r->inputs[0] = x;
    r->outputs[0] = last->outputs[0];
    for (int i = 0; i < ndead; i++) dead[i]->dead = true;
    return 0;
}

/* Mul(x, F(x)) with F a Sigmoid or a HardSigmoid(1/6, 1/2) */
static int gated(Graph *g, Node *f, Diag *d) {
    Value *x = f->inputs[0];
    Node *mul = rw_sole_consumer(g, f->outputs[0]);
    if (!mul || mul->op != OP_MUL || other_input(mul, f->outputs[0]) != x) return 0;
    if (!same_shape(mul->outputs[0], x)) return 0;
    OpKind op;
    if (f->op == OP_SIGMOID) op = OP_SILU;
    else if (f->op == OP_HARD_SIGMOID && fabs(f->a.unary.alpha - 1.0 / 6) < 1e-6 && fabs(f->a.unary.beta - 0.5) < 1e-6)
        op = OP_HARD_SWISH;
    else return 0;
    Node *dead[2] = {f, mul};
    return replace_with(g, mul, op, x, dead, 2, d) ? -1 : 1;
}

/* From the value `inner` = 1 + Erf/Tanh(...), find Mul(x, inner) and the 0.5
 * factor on either side; returns the last node and fills the dead list. */
static Node *half_x_times(Graph *g, Value *inner, Value *x, Node **dead, int *nd) {
    Node *m1 = rw_sole_consumer(g, inner);
    if (!m1 || m1->op != OP_MUL) return NULL;
    Value *o = other_input(m1, inner);
    dead[(*nd)++] = m1;
    if (o == x) { /* (x * inner) * 0.5 */
        Node *m2 = rw_sole_consumer(g, m1->outputs[0]);
        if (!m2 || m2->op != OP_MUL || !is_scalar(other_input(m2, m1->outputs[0]), 0.5)) return NULL;
        dead[(*nd)++] = m2;
        return m2;
    }
    /* (x * 0.5) * inner */
    if (!o || !o->producer || o->producer->op != OP_MUL || o->nuses != 1) return NULL;
    Node *h = o->producer;
    if (other_input(h, x) == NULL || !is_scalar(other_input(h, x), 0.5)) return NULL;
    dead[(*nd)++] = h;
    return m1;
}

static int gelu_erf(Graph *g, Node *erf, Diag *d) {
    Node *dead[8];
    int nd = 0;
    Value *e1 = erf->inputs[0];
    Node *sc = e1->producer;
    if (!sc || e1->nuses != 1) return 0;
    Value *x = NULL;
    if (sc->op == OP_DIV && is_scalar(sc->inputs[1], sqrt(2.0))) x = sc->inputs[0];
    else if (sc->op == OP_MUL && is_scalar(sc->inputs[1], sqrt(0.5))) x = sc->inputs[0];
    else if (sc->op == OP_MUL && is_scalar(sc->inputs[0], sqrt(0.5))) x = sc->inputs[1];
    if (!x) return 0;
    dead[nd++] = sc;
    dead[nd++] = erf;
    Node *add = rw_sole_consumer(g, erf->outputs[0]);
    if (!add || add->op != OP_ADD || !is_scalar(other_input(add, erf->outputs[0]), 1.0)) return 0;
    dead[nd++] = add;
    Node *last = half_x_times(g, add->outputs[0], x, dead, &nd);
    if (!last || !same_shape(last->outputs[0], x)) return 0;
    return replace_with(g, last, OP_GELU, x, dead, nd, d) ? -1 : 1;
}

/* sqrt(2/pi) * (x + 0.044715 * x^3): match from the Tanh input backwards */
static int gelu_tanh(Graph *g, Node *th, Diag *d) {
    Node *dead[12];
    int nd = 0;
    Node *s = th->inputs[0]->producer;      /* Mul(sum, sqrt(2/pi)) */
    if (!s || s->op != OP_MUL || th->inputs[0]->nuses != 1) return 0;
    Value *sum = NULL;
    if (is_scalar(s->inputs[1], sqrt(2.0 / M_PI))) sum = s->inputs[0];
    else if (is_scalar(s->inputs[0], sqrt(2.0 / M_PI))) sum = s->inputs[1];
    if (!sum || !sum->producer || sum->producer->op != OP_ADD || sum->nuses != 1) return 0;
    Node *add = sum->producer;             /* Add(x, Mul(x^3, 0.044715)) */
    for (int k = 0; k < 2; k++) {
        Value *x = add->inputs[k], *c = add->inputs[1 - k];
        Node *m = c->producer;
        if (!m || m->op != OP_MUL || c->nuses != 1) continue;
        Value *cube = is_scalar(m->inputs[1], 0.044715) ? m->inputs[0]
                      : is_scalar(m->inputs[0], 0.044715) ? m->inputs[1] : NULL;
        Node *p = cube ? cube->producer : NULL;
        if (!p || cube->nuses != 1 || p->op != OP_POW || p->inputs[0] != x || !is_scalar(p->inputs[1], 3.0))
            continue;
        nd = 0;
        dead[nd++] = p; dead[nd++] = m; dead[nd++] = add; dead[nd++] = s; dead[nd++] = th;
        Node *one = rw_sole_consumer(g, th->outputs[0]);
        if (!one || one->op != OP_ADD || !is_scalar(other_input(one, th->outputs[0]), 1.0)) return 0;
        dead[nd++] = one;
        Node *last = half_x_times(g, one->outputs[0], x, dead, &nd);
        if (!last || !same_shape(last->outputs[0], x)) return 0;
        if (replace_with(g, last, OP_GELU, x, dead, nd, d)) return -1;
        Node *r = g->nodes[g->nnodes - 1];
        Attr *a = ir_attr_set(g, r, "approximate", AT_STRING);
        if (!a) return diag_error(d, r, "out of memory");
        a->s = "tanh";
        return 1;
    }
    return 0;
}

/* ReduceMean over the trailing axes [first, rank) with keepdims: first, or -1 */
static int trailing_mean(const Node *n, const Value *x) {
    if (!n || n->op != OP_REDUCE_MEAN || n->inputs[0] != x || !n->a.reduce.keepdims) return -1;
    int k = n->a.reduce.naxes, r = x->rank;
    if (k < 1 || k > r) return -1;
    for (int i = 0; i < k; i++)
        if (n->a.reduce.axes[i] != r - k + i) return -1;
    return r - k;
}

/* A constant that broadcasts like x's trailing dims from `axis`: its
 * elements in the normalized shape (numel == prod(dims[axis:])). */
static bool trailing_const(const Value *c, const Value *x, int axis) {
    if (!c || c->kind != VK_CONST || c->dtype != x->dtype) return false;
    int64_t want = 1;
    for (int i = axis; i < x->rank; i++) want *= x->dims[i];
    if (value_numel(c) != want || c->rank > x->rank) return false;
    for (int i = 0; i < c->rank; i++) {
        int xa = x->rank - c->rank + i;
        if (xa < axis ? c->dims[i] != 1 : c->dims[i] != x->dims[xa]) return false;
    }
    return true;
}

/* ReduceMean over the single non-trailing axis of x with keepdims: that
 * axis, or -1 */
static int single_mean(const Node *n, const Value *x) {
    if (!n || n->op != OP_REDUCE_MEAN || n->inputs[0] != x || !n->a.reduce.keepdims) return -1;
    if (n->a.reduce.naxes != 1 || n->a.reduce.axes[0] < 0 || n->a.reduce.axes[0] >= x->rank - 1) return -1;
    return (int)n->a.reduce.axes[0];
}

/* A constant with one element per element of x's `axis`, broadcasting
 * along every other dim of x (gamma [C, 1, 1] against [N, C, H, W]). */
static bool axis_const(const Value *c, const Value *x, int axis) {
    if (!c || c->kind != VK_CONST || c->dtype != x->dtype || c->rank > x->rank) return false;
    if (value_numel(c) != x->dims[axis]) return false;
    for (int i = 0; i < c->rank; i++) {
        int xa = x->rank - c->rank + i;
        if (xa == axis ? c->dims[i] != x->dims[axis] : c->dims[i] != 1) return false;
    }
    return true;
}

static bool param_const(const Value *c, const Value *x, int axis, bool mid) {
    return mid ? axis_const(c, x, axis) : trailing_const(c, x, axis);
}

static int layer_norm(Graph *g, Node *div, Diag *d) {
    Node *dead[10];
    int nd = 0;
    Value *dv = div->inputs[0], *den = div->inputs[1];
    Node *sub = dv->producer, *sq = den->producer;
    if (!sub || sub->op != OP_SUB || !sq || sq->op != OP_SQRT || den->nuses != 1) return 0;
    Value *x = sub->inputs[0], *mean = sub->inputs[1];
    int axis = trailing_mean(mean->producer, x);
    bool mid = false; /* channels-first: over one axis that is not the last */
    if (axis < 0 && (axis = single_mean(mean->producer, x)) >= 0) mid = true;
    if (axis < 0 || mean->nuses != 1 || (x->dtype != DT_F32 && x->dtype != DT_F64)) return 0;
    Node *add = sq->inputs[0]->producer;
    if (!add || add->op != OP_ADD || sq->inputs[0]->nuses != 1) return 0;
    Value *var = add->inputs[0], *epsv = add->inputs[1];
    if (!var->producer || var->producer->op != OP_REDUCE_MEAN) { var = add->inputs[1]; epsv = add->inputs[0]; }
    if (!epsv || epsv->kind != VK_CONST || value_numel(epsv) != 1 || var->nuses != 1) return 0;
    Node *vm = var->producer;
    if (!vm || vm->op != OP_REDUCE_MEAN) return 0;
    Value *p = vm->inputs[0];
    Node *pw = p->producer;
    if (!pw || p->nuses != 1 || (mid ? single_mean(vm, p) : trailing_mean(vm, p)) != axis) return 0;
    bool square = (pw->op == OP_POW && pw->inputs[0] == dv && is_scalar(pw->inputs[1], 2.0)) ||
                  (pw->op == OP_MUL && pw->inputs[0] == dv && pw->inputs[1] == dv);
    if (!square || dv->nuses != (pw->op == OP_MUL ? 3 : 2)) return 0;
    dead[nd++] = mean->producer; dead[nd++] = sub; dead[nd++] = pw; dead[nd++] = vm;
    dead[nd++] = add; dead[nd++] = sq; dead[nd++] = div;
    Node *last = div;
    Value *gamma = NULL, *beta = NULL;
    Node *m = rw_sole_consumer(g, div->outputs[0]);
    if (m && m->op == OP_MUL && param_const(other_input(m, div->outputs[0]), x, axis, mid)) {
        gamma = other_input(m, div->outputs[0]);
        dead[nd++] = m;
        last = m;
        Node *b = rw_sole_consumer(g, m->outputs[0]);
        if (b && b->op == OP_ADD && param_const(other_input(b, m->outputs[0]), x, axis, mid)) {
            beta = other_input(b, m->outputs[0]);
            dead[nd++] = b;
            last = b;
        }
    }
    if (!same_shape(last->outputs[0], x)) return 0;
    int64_t nshape[KILN_MAX_RANK];
    int nr = mid ? 1 : x->rank - axis;
    for (int i = 0; i < nr; i++) nshape[i] = x->dims[axis + i];
    Value *sc = rw_new_const(g, gamma ? gamma->name : "ln.scale", x->dtype, nr, nshape);
    Value *bi = beta ? rw_new_const(g, beta->name, x->dtype, nr, nshape) : NULL;
    if (!sc || (beta && !bi)) return diag_error(d, div, "out of memory");
    for (int64_t i = 0; i < value_numel(sc); i++) {
        rw_set(sc, i, gamma ? rw_get(gamma, i) : 1.0);
        if (bi) rw_set(bi, i, rw_get(beta, i));
    }
    Node *ln = ir_node_new(g, OP_LAYER_NORM, last->name, bi ? 3 : 2, 1);
    Attr *aa = ln ? ir_attr_set(g, ln, "axis", AT_INT) : NULL;
    if (aa) aa->i = axis;
    Attr *ae = aa ? ir_attr_set(g, ln, "epsilon", AT_FLOAT) : NULL;
    if (!ae) return diag_error(d, div, "out of memory");
    ae->f = rw_get(epsv, 0);
    Attr *am = mid ? ir_attr_set(g, ln, "kiln_axis_only", AT_INT) : NULL;
    if (mid && !am) return diag_error(d, div, "out of memory");
    if (am) am->i = 1; /* over `axis` alone (ops_norm.c) */
    ln->opset = 17 > last->opset ? 17 : last->opset; /* LayerNormalization exists from 17 */
    ln->inputs[0] = x;
    ln->inputs[1] = sc;
    if (bi) ln->inputs[2] = bi;
    ln->outputs[0] = last->outputs[0];
    for (int i = 0; i < nd; i++) dead[i]->dead = true;
    return 1;
}

/* Mul / Add by constants after a LayerNormalization fold into its scale and
 * bias (new constants: the old ones may be shared). */
static int ln_affine(Graph *g, Node *ln, Diag *d) {
    if (ln->noutputs > 1 && ((ln->outputs[1] && ln->outputs[1]->nuses) || (ln->noutputs > 2 && ln->outputs[2] &&
                                                                            ln->outputs[2]->nuses)))
        return 0;
    const Attr *ao = ir_attr_find(ln, "kiln_axis_only");
    if (ao && ao->i) return 0;
    Value *x = ln->inputs[0], *y = ln->outputs[0];
    int axis = ln->a.norm.axis;
    Value *s = ln->inputs[1], *b = ln->ninputs > 2 ? ln->inputs[2] : NULL;
    if (s->kind != VK_CONST || (b && b->kind != VK_CONST) || axis < 0 || axis >= x->rank) return 0;
    Node *c = rw_sole_consumer(g, y);
    if (!c || (c->op != OP_MUL && c->op != OP_ADD)) return 0;
    Value *k = other_input(c, y);
    if (!trailing_const(k, x, axis) || !trailing_const(s, x, axis) || (b && !trailing_const(b, x, axis)) ||
        !same_shape(c->outputs[0], y))
        return 0;
    Value *ns = rw_new_const(g, s->name, s->dtype, s->rank, s->dims);
    Value *nb = rw_new_const(g, b ? b->name : "ln.bias", s->dtype, s->rank, s->dims);
    if (!ns || !nb) return diag_error(d, ln, "out of memory");
    for (int64_t i = 0; i < value_numel(s); i++) {
        double sv = rw_get(s, i), bv = b ? rw_get(b, i) : 0.0, kv = rw_get(k, i);
        rw_set(ns, i, c->op == OP_MUL ? sv * kv : sv);
        rw_set(nb, i, c->op == OP_MUL ? bv * kv : bv + kv);
    }
    ln->inputs[1] = ns;
    if (ln->ninputs < 3) ln->ninputs = 3;
    ln->inputs[2] = nb;
    ln->outputs[0] = c->outputs[0];
    c->dead = true;
    return 1;
}

/* x * Clip(x + 3, 0, 6) / 6 (or * (1/6)), the HardSwish of older exports */
static int hardswish_relu6(Graph *g, Node *add, Diag *d) {
    Value *x = NULL;
    if (is_scalar(add->inputs[1], 3.0)) x = add->inputs[0];
    else if (is_scalar(add->inputs[0], 3.0)) x = add->inputs[1];
    Node *clip = x ? rw_sole_consumer(g, add->outputs[0]) : NULL;
    if (!clip || clip->op != OP_CLIP || clip->a.unary.bounds_runtime || clip->a.unary.lo != 0.0 ||
        clip->a.unary.hi != 6.0)
        return 0;
    Node *mul = rw_sole_consumer(g, clip->outputs[0]);
    if (!mul || mul->op != OP_MUL || other_input(mul, clip->outputs[0]) != x) return 0;
    Node *div = rw_sole_consumer(g, mul->outputs[0]);
    if (!div || !((div->op == OP_DIV && div->inputs[0] == mul->outputs[0] && is_scalar(div->inputs[1], 6.0)) ||
                  (div->op == OP_MUL && is_scalar(other_input(div, mul->outputs[0]), 1.0 / 6))))
        return 0;
    if (!same_shape(div->outputs[0], x)) return 0;
    Node *dead[4] = {add, clip, mul, div};
    return replace_with(g, div, OP_HARD_SWISH, x, dead, 4, d) ? -1 : 1;
}

int pass_canonicalize(Graph *g, Diag *d) {
    ir_recount(g);
    int changed = 0;
    int n0 = g->nnodes; /* nodes this pass creates are not inferred yet: not revisited */
    for (int i = 0; i < n0; i++) {
        Node *n = g->nodes[i];
        if (n->dead) continue;
        int r = 0;
        if (n->op == OP_SUM && n->ninputs == 2 && n->inputs[0] && n->inputs[1]) {
            n->op = OP_ADD;   /* same semantics for two operands, incl. broadcasting */
            r = 1;
        } else if (n->op == OP_SIGMOID || n->op == OP_HARD_SIGMOID) {
            r = gated(g, n, d);
        } else if (n->op == OP_ERF) {
            r = gelu_erf(g, n, d);
        } else if (n->op == OP_TANH) {
            r = gelu_tanh(g, n, d);
        } else if (n->op == OP_DIV) {
            r = layer_norm(g, n, d);
        } else if (n->op == OP_LAYER_NORM) {
            int k; /* a Mul then an Add: fold both */
            while ((k = ln_affine(g, n, d)) > 0) {
                r = 1;
                ir_recount(g);
            }
            if (k < 0) r = -1;
        } else if (n->op == OP_ADD) {
            r = hardswish_relu6(g, n, d);
        }
        if (r < 0) return -1;
        if (r > 0) {
            changed++;
            ir_recount(g);
        }
    }
    if (!changed) return 0;
    ir_compact(g);
    return ir_infer(g, d); /* new nodes: sort, parse and infer them */
}
