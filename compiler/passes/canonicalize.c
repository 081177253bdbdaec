/*
 * canonicalize.c - rewrites the patterns exporters emit into the ops kiln
 * fuses and runs fast:
 *   Sum(a, b)                         -> Add(a, b)        (Caffe2-era ResNets)
 *   Mul(x, Sigmoid(x))                -> kiln.Silu(x)      (PyTorch SiLU/Swish)
 *   Mul(x, HardSigmoid(x; 1/6, 1/2))  -> HardSwish(x)
 *   0.5 * x * (1 + Erf(x / sqrt 2))   -> Gelu(x)          (nn.GELU before opset 20)
 *   0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 x^3)))  -> Gelu(x, tanh)
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

int pass_canonicalize(Graph *g, Diag *d) {
    ir_recount(g);
    int changed = 0;
    for (int i = 0; i < g->nnodes; i++) {
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
