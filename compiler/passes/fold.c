/*
 * fold.c - constant folding after other rewrites: any node whose inputs have
 * all become constant is evaluated on the host (ir_infer_node folds it).
 * The frontend's inference already folds what the model computes from
 * constants; this pass catches what later passes expose.
 */
#include "ir.h"

int pass_fold_constants(Graph *g, Diag *d) {
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (n->dead) continue;
        if (ir_infer_node(g, n, d)) return -1;
    }
    ir_compact(g);
    return 0;
}
