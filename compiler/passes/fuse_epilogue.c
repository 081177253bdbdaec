/*
 * fuse_epilogue.c - epilogue fusion: a residual Add and then an activation
 * that follow a Conv or Gemm become part of it,
 *   y = act(conv(x) + b + residual)
 * so a ResNet unit is two fused convolutions and nothing else. The fused
 * node keeps the last fused node's output value (and so its name), takes
 * the residual as its input 3, and records the activation in kiln's raw
 * attributes kiln_act / kiln_alpha / kiln_beta (so .kg dumps round-trip).
 * A residual is fused only when it needs no broadcasting and does not
 * itself depend on the Conv (which would close a cycle); the pass then
 * re-sorts the graph so the residual is computed first.
 */
#include <math.h>
#include <string.h>

#include "kk.h"
#include "rewrite.h"

/* The KK_UN_* code and parameters of an activation node, or 0. */
static int activation_of(const Node *c, double *alpha, double *beta) {
    const UnaryAttrs *u = &c->a.unary;
    *alpha = *beta = 0.0;
    switch (c->op) {
    case OP_RELU: return KK_UN_RELU;
    case OP_SIGMOID: return KK_UN_SIGMOID;
    case OP_TANH: return KK_UN_TANH;
    case OP_SOFTPLUS: return KK_UN_SOFTPLUS;
    case OP_LEAKY_RELU: *alpha = u->alpha; return KK_UN_LEAKY_RELU;
    case OP_ELU: *alpha = u->alpha; return KK_UN_ELU;
    case OP_HARD_SIGMOID: *alpha = u->alpha; *beta = u->beta; return KK_UN_HARD_SIGMOID;
    case OP_HARD_SWISH: *alpha = u->alpha; *beta = u->beta; return KK_UN_HARD_SWISH;
    case OP_GELU: return u->approx_tanh ? KK_UN_GELU_TANH : KK_UN_GELU;
    case OP_SILU: return KK_UN_SILU;
    case OP_MISH: return KK_UN_MISH;
    case OP_SOFTSIGN: return KK_UN_SOFTSIGN;
    case OP_CLIP:
        if (u->bounds_runtime) return 0;
        *alpha = u->lo;
        *beta = u->hi;
        return KK_UN_CLIP;
    default: return 0;
    }
}

static int set_act(Graph *g, Node *n, int act, double alpha, double beta, Diag *d) {
    Attr *a = ir_attr_set(g, n, "kiln_act", AT_INT);
    Attr *b = a ? ir_attr_set(g, n, "kiln_alpha", AT_FLOAT) : NULL;
    Attr *c = b ? ir_attr_set(g, n, "kiln_beta", AT_FLOAT) : NULL;
    if (!c) return diag_error(d, n, "out of memory");
    /* ir_attr_set may move the array: look the first two up again */
    ir_attr_find(n, "kiln_act")->i = act;
    ir_attr_find(n, "kiln_alpha")->f = alpha;
    c->f = beta;
    return 0;
}

/* Fuse what follows n; returns 1 if something was fused, 0 if not, -1 on error. */
static int fuse_one(Graph *g, Node *n, Diag *d) {
    Value *y = n->outputs[0];
    if (y->dtype != DT_F32 && y->dtype != DT_F64) return 0;
    if (n->a.conv.act) return 0;
    Node *c = rw_sole_consumer(g, y);
    if (!c) return 0;
    bool has_res = n->ninputs > 3 && n->inputs[3];
    if (c->op == OP_ADD && !has_res) {
        Value *other = c->inputs[0] == y ? c->inputs[1] : c->inputs[0];
        if (other == y || other->dtype != y->dtype || other->rank != y->rank ||
            memcmp(other->dims, y->dims, sizeof(int64_t) * (size_t)y->rank) || rw_depends_on(g, other, n))
            return 0;
        for (int k = n->ninputs; k < 3; k++) n->inputs[k] = NULL;
        n->ninputs = 4;
        n->inputs[3] = other;
    } else {
        double alpha, beta;
        int act = activation_of(c, &alpha, &beta);
        if (!act || c->inputs[0] != y) return 0;
        if (set_act(g, n, act, alpha, beta, d)) return -1;
    }
    n->outputs[0] = c->outputs[0];
    c->dead = true;
    if (ir_infer_node(g, n, d)) return -1;
    ir_recount(g);
    return 1;
}

int pass_fuse_epilogue(Graph *g, Diag *d) {
    ir_recount(g);
    int fused = 0;
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (n->dead || (n->op != OP_CONV && n->op != OP_GEMM)) continue;
        int r;
        while ((r = fuse_one(g, n, d)) > 0) fused++;
        if (r < 0) return -1;
    }
    ir_compact(g);
    return fused ? ir_toposort(g, d) : 0;
}
