/*
 * fold_affine.c - folds a per-channel affine map that follows a Conv,
 * ConvTranspose, Gemm or MatMul by a constant 2-D B (which becomes a Gemm
 * to get a bias; kiln_flat when A has rank > 2, its leading dims then being
 * the rows) into that node's weights and bias, at compile time:
 *   BatchNormalization (inference): s = scale / sqrt(var + eps), t = B - mean*s
 *   Mul by a per-channel constant:  s = c, t = 0
 *   Add of a per-channel constant:  s = 1, t = c
 * giving W'[m,...] = W[m,...] * s[m] and b'[m] = b[m] * s[m] + t[m]. New
 * constants are created (weights may be shared by other nodes); the old ones
 * are dropped by the planner when nothing reads them.
 * Applies when the producer's output has no other use, is not a graph
 * output, and the node has no fused epilogue yet.
 *
 * A BatchNormalization that FEEDS a Conv folds forward into it when the Conv
 * does not pad (zero padding of BN(x) is not BN of zero padding):
 *   W'[m,c,...] = W[m,c,...] * s[c],  b'[m] = b[m] + sum over c,k of W[m,c,k] * t[c]
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"

/* Output channel count and the output axis channels live on. */
static bool channels_of(const Node *n, int64_t *m, int *axis) {
    const Value *y = n->outputs[0];
    if (n->op == OP_CONV || n->op == OP_CONV_TRANSPOSE) {
        *m = y->dims[1];
        *axis = 1;
        return true;
    }
    if (n->op == OP_GEMM || n->op == OP_MATMUL) { /* the columns: the last axis */
        *axis = y->rank - 1;
        *m = y->dims[*axis];
        return true;
    }
    return false;
}

static bool foldable_producer(const Node *n) {
    if (n->op == OP_MATMUL) {   /* A (rank >= 2) x constant B (K x N): folds as a Gemm (kiln_flat when rank > 2) */
        const Value *a = n->inputs[0], *b = n->inputs[1];
        if (a->rank < 2 || b->rank != 2 || b->kind != VK_CONST) return false;
        return b->dtype == DT_F32 || b->dtype == DT_F64;
    }
    if (n->op != OP_CONV && n->op != OP_GEMM && n->op != OP_CONV_TRANSPOSE) return false;
    if (n->op != OP_CONV_TRANSPOSE && (n->a.conv.act || (n->ninputs > 3 && n->inputs[3]))) return false;
    const Value *w = n->inputs[1], *b = n->ninputs > 2 ? n->inputs[2] : NULL;
    if (w->kind != VK_CONST || (b && b->kind != VK_CONST)) return false;
    if (n->outputs[0]->dtype != DT_F32 && n->outputs[0]->dtype != DT_F64) return false;
    if (n->op == OP_GEMM && b && value_numel(b) != 1 &&
        value_numel(b) != n->outputs[0]->dims[n->outputs[0]->rank - 1] &&
        value_numel(b) != value_numel(n->outputs[0]))
        return false;
    return true;
}

/* s and t for the node after the producer, or false if it is not a
 * per-channel affine map. */
static bool affine_of(Graph *g, const Node *prod, const Node *c, int64_t m, int axis, double *s, double *t) {
    (void)g;
    const Value *y = prod->outputs[0];
    if (c->op == OP_BATCH_NORM) {
        if (c->noutputs > 1 && c->outputs[1]) return false;
        if (c->inputs[0] != y) return false;
        for (int k = 1; k < 5; k++)
            if (c->inputs[k]->kind != VK_CONST || value_numel(c->inputs[k]) != m) return false;
        double eps = c->a.conv.epsilon;
        for (int64_t i = 0; i < m; i++) {
            double sc = rw_get(c->inputs[1], i), bb = rw_get(c->inputs[2], i);
            double mean = rw_get(c->inputs[3], i), var = rw_get(c->inputs[4], i);
            s[i] = sc / sqrt(var + eps);
            t[i] = bb - mean * s[i];
        }
        return true;
    }
    if (c->op != OP_MUL && c->op != OP_ADD) return false;
    const Value *other = c->inputs[0] == y ? c->inputs[1] : c->inputs[0];
    if (other == y || c->outputs[0]->rank != y->rank) return false;
    if (memcmp(c->outputs[0]->dims, y->dims, sizeof(int64_t) * (size_t)y->rank)) return false;
    double *per = malloc(sizeof(double) * (size_t)m);
    if (!per) return false;
    bool ok = rw_per_channel(other, y->rank, axis, m, per);
    if (ok)
        for (int64_t i = 0; i < m; i++) {
            s[i] = c->op == OP_MUL ? per[i] : 1.0;
            t[i] = c->op == OP_ADD ? per[i] : 0.0;
        }
    free(per);
    return ok;
}

static int fold(Graph *g, Node *prod, Node *c, const double *s, const double *t, int64_t m, Diag *d) {
    Value *w = prod->inputs[1], *b = prod->ninputs > 2 ? prod->inputs[2] : NULL;
    Value *nw = rw_new_const(g, w->name, w->dtype, w->rank, w->dims);
    int64_t bdim = m;
    Value *nb = rw_new_const(g, b ? b->name : prod->name, w->dtype, 1, &bdim);
    if (!nw || !nb) return diag_error(d, prod, "out of memory folding constants");
    int64_t wn = value_numel(w);
    if (prod->op == OP_CONV) {
        int64_t per = wn / m;   /* W is (M, C/g, k...): channel m is a contiguous block */
        for (int64_t i = 0; i < wn; i++) rw_set(nw, i, rw_get(w, i) * s[i / per]);
    } else if (prod->op == OP_CONV_TRANSPOSE) {
        /* W is (C, M/g, k...): output channel of element i is grp*(M/g) + j */
        int64_t mg = w->dims[1], cin = w->dims[0], grp = prod->a.dense.group, per = wn / (cin * mg);
        for (int64_t i = 0; i < wn; i++) {
            int64_t c = i / (mg * per), j = (i / per) % mg;
            rw_set(nw, i, rw_get(w, i) * s[(c / (cin / grp)) * mg + j]);
        }
    } else if (prod->op == OP_MATMUL) {
        for (int64_t i = 0; i < wn; i++) rw_set(nw, i, rw_get(w, i) * s[i % m]); /* B is K x N */
    } else {
        /* Gemm: output column j is B's column j (transB=0: B is K x N) or row j */
        int64_t k = wn / m;
        for (int64_t i = 0; i < wn; i++) {
            int64_t j = prod->a.conv.trans_b ? i / k : i % m;
            rw_set(nw, i, rw_get(w, i) * s[j]);
        }
    }
    double beta = prod->op == OP_GEMM ? prod->a.conv.beta : 1.0;
    if (b && prod->op == OP_GEMM && value_numel(b) == value_numel(prod->outputs[0]) && value_numel(b) != m) {
        /* a full (M x N) C: keep its shape */
        nb = rw_new_const(g, b->name, b->dtype, b->rank, b->dims);
        if (!nb) return diag_error(d, prod, "out of memory folding constants");
        for (int64_t i = 0; i < value_numel(b); i++) rw_set(nb, i, beta * rw_get(b, i) * s[i % m] + t[i % m]);
    } else {
        for (int64_t i = 0; i < m; i++) {
            double bi = b ? beta * rw_get(b, value_numel(b) == 1 ? 0 : i) : 0.0;
            rw_set(nb, i, bi * s[i] + t[i]);
        }
    }
    prod->inputs[1] = nw;
    if (prod->ninputs < 3) prod->ninputs = 3;
    prod->inputs[2] = nb;
    if (prod->op == OP_MATMUL) { /* A x B' + b: Gemm's defaults are exactly that */
        prod->op = OP_GEMM;
        if (prod->inputs[0]->rank > 2) {
            Attr *f = ir_attr_set(g, prod, "kiln_flat", AT_INT);
            if (!f) return diag_error(d, prod, "out of memory");
            f->i = 1;
            prod->a.conv.flat = 1;
        }
    }
    if (prod->op == OP_GEMM) {
        Attr *a = ir_attr_set(g, prod, "beta", AT_FLOAT);
        if (!a) return diag_error(d, prod, "out of memory");
        a->f = 1.0;
    }
    prod->outputs[0] = c->outputs[0];
    c->dead = true;
    return ir_infer_node(g, prod, d);
}

/* BatchNormalization -> Conv (no padding): fold the BN into the Conv's input side. */
static int fold_forward(Graph *g, Node *bn, Diag *d) {
    if (bn->noutputs > 1 && bn->outputs[1]) return 0;
    Node *c = rw_sole_consumer(g, bn->outputs[0]);
    if (!c || c->op != OP_CONV || c->inputs[0] != bn->outputs[0]) return 0;
    Value *w = c->inputs[1], *b = c->ninputs > 2 ? c->inputs[2] : NULL;
    if (w->kind != VK_CONST || (b && b->kind != VK_CONST) || (w->dtype != DT_F32 && w->dtype != DT_F64)) return 0;
    for (int k = 0; k < 2 * c->a.conv.nsp; k++)
        if (c->a.conv.pads[k]) return 0;
    int64_t cin = bn->inputs[0]->dims[1], m = w->dims[0], cg = w->dims[1], per = value_numel(w) / (m * cg);
    int64_t groups = c->a.conv.group;
    for (int k = 1; k < 5; k++)
        if (bn->inputs[k]->kind != VK_CONST || value_numel(bn->inputs[k]) != cin) return 0;
    Value *nw = rw_new_const(g, w->name, w->dtype, w->rank, w->dims);
    Value *nb = rw_new_const(g, b ? b->name : c->name, w->dtype, 1, &m);
    if (!nw || !nb) return diag_error(d, c, "out of memory folding constants");
    double eps = bn->a.conv.epsilon;
    for (int64_t mm = 0; mm < m; mm++) {
        double acc = b ? rw_get(b, mm) : 0.0;
        int64_t grp = mm / (m / groups);
        for (int64_t cl = 0; cl < cg; cl++) {
            int64_t ch = grp * cg + cl;
            double s = rw_get(bn->inputs[1], ch) / sqrt(rw_get(bn->inputs[4], ch) + eps);
            double t = rw_get(bn->inputs[2], ch) - rw_get(bn->inputs[3], ch) * s;
            for (int64_t k = 0; k < per; k++) {
                int64_t i = (mm * cg + cl) * per + k;
                double wv = rw_get(w, i);
                rw_set(nw, i, wv * s);
                acc += wv * t;
            }
        }
        rw_set(nb, mm, acc);
    }
    c->inputs[0] = bn->inputs[0];
    c->inputs[1] = nw;
    if (c->ninputs < 3) c->ninputs = 3;
    c->inputs[2] = nb;
    bn->dead = true;
    if (ir_infer_node(g, c, d)) return -1;
    ir_recount(g);
    return 1;
}

int pass_fold_affine(Graph *g, Diag *d) {
    ir_recount(g);
    for (int i = 0; i < g->nnodes; i++) {
        Node *prod = g->nodes[i];
        while (!prod->dead && foldable_producer(prod)) {
            int64_t m;
            int axis;
            if (!channels_of(prod, &m, &axis)) break;
            Node *c = rw_sole_consumer(g, prod->outputs[0]);
            if (!c) break;
            double *s = malloc(sizeof(double) * 2 * (size_t)m);
            if (!s) return diag_error(d, prod, "out of memory");
            int rc = 1;
            if (affine_of(g, prod, c, m, axis, s, s + m)) rc = fold(g, prod, c, s, s + m, m, d);
            free(s);
            if (rc < 0) return -1;
            if (rc > 0) break;
            ir_recount(g);
        }
    }
    for (int i = 0; i < g->nnodes; i++) {
        Node *bn = g->nodes[i];
        if (!bn->dead && bn->op == OP_BATCH_NORM && fold_forward(g, bn, d) < 0) return -1;
    }
    ir_compact(g);
    return 0;
}
