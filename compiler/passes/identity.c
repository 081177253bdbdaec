/*
 * identity.c - removes Identity and inference-mode Dropout: every use of the
 * node's output reads the node's input instead. A node whose output is a
 * graph output stays (the output keeps its name and its own buffer), as does
 * a Dropout whose mask output is used.
 */
#include "ir.h"

int pass_remove_identity(Graph *g, Diag *d) {
    (void)d;
    ir_recount(g);
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (n->dead || !(op_table[n->op].flags & OPF_REMOVABLE)) continue;
        Value *out = n->outputs[0];
        if (!out || out->output_index >= 0) continue;
        if (n->noutputs > 1 && n->outputs[1] && (n->outputs[1]->nuses > 0 || n->outputs[1]->output_index >= 0))
            continue;
        ir_replace_uses(g, out, n->inputs[0]);
        n->dead = true;
    }
    ir_compact(g);
    return 0;
}
