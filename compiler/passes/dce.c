/*
 * dce.c - dead-code elimination: drops nodes none of whose outputs is used
 * or is a graph output, walking backwards so whole dead chains go at once.
 */
#include "ir.h"

int pass_dce(Graph *g, Diag *d) {
    (void)d;
    ir_recount(g);
    for (int i = g->nnodes - 1; i >= 0; i--) {
        Node *n = g->nodes[i];
        if (n->dead) continue;
        bool live = false;
        for (int k = 0; k < n->noutputs; k++) {
            Value *v = n->outputs[k];
            if (v && (v->nuses > 0 || v->output_index >= 0)) live = true;
        }
        if (live) continue;
        n->dead = true;
        for (int k = 0; k < n->ninputs; k++)
            if (n->inputs[k]) n->inputs[k]->nuses--;
    }
    ir_compact(g);
    return 0;
}
