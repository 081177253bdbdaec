/*
 * fold.c - constant folding after other rewrites: any node whose inputs have
 * all become constant is evaluated on the host (ir_infer_node folds it, with
 * the size cap of infer.c that keeps ConstantOfShape/Expand from bloating
 * the weights). One exception to the cap: a constant that feeds a weight or
 * parameter slot (Conv/Gemm/MatMul weights and bias, BatchNormalization's
 * statistics) is folded whatever its size — it is a weight, and later passes
 * (BatchNorm folding) need it constant. Models that build their weights with
 * ConstantOfShape (the ONNX zoo's "light" graphs) compile like real ones.
 */
#include "ir.h"

static bool all_inputs_const(const Node *n) {
    for (int k = 0; k < n->ninputs; k++)
        if (n->inputs[k] && (n->inputs[k]->kind != VK_CONST || !n->inputs[k]->data)) return false;
    return true;
}

static bool is_param_slot(const Node *c, int k) {
    switch (c->op) {
    case OP_CONV: case OP_GEMM: return k == 1 || k == 2;
    case OP_MATMUL: return k == 1;
    case OP_BATCH_NORM: return k >= 1;
    default: return false;
    }
}

static bool feeds_param(const Graph *g, const Value *v) {
    for (int i = 0; i < g->nnodes; i++) {
        const Node *c = g->nodes[i];
        if (c->dead) continue;
        for (int k = 0; k < c->ninputs; k++)
            if (c->inputs[k] == v && is_param_slot(c, k)) return true;
    }
    return false;
}

int pass_fold_constants(Graph *g, Diag *d) {
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (n->dead) continue;
        if (ir_infer_node(g, n, d)) return -1;
        if (!n->dead && n->noutputs == 1 && all_inputs_const(n) && n->op != OP_SHAPE &&
            feeds_param(g, n->outputs[0]) && ir_fold_node(g, n, d))
            return -1;
    }
    ir_compact(g);
    return 0;
}
