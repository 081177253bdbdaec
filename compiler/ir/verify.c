/*
 * verify.c - structural invariants of the IR, run after the frontend and,
 * with --verify-each, between passes. A failure here is a compiler bug (or a
 * pass bug), reported as an internal error naming the node.
 */
#include "ir.h"

int ir_verify(Graph *g, Diag *d) {
    for (int i = 0; i < g->nvalues; i++) g->values[i]->producer = NULL;
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (n->dead) return diag_internal(d, "dead node '%s' left in the graph", n->name);
        const OpInfo *info = &op_table[n->op];
        if (n->ninputs < info->min_in || n->ninputs > info->max_in)
            return diag_internal(d, "node '%s' has %d inputs", n->name, n->ninputs);
        for (int k = 0; k < n->ninputs; k++) {
            Value *v = n->inputs[k];
            if (!v) continue;
            if (v->kind == VK_INTER && !v->producer)
                return diag_internal(d, "node '%s' reads '%s' before it is produced", n->name, v->name);
            if (v->rank < 0 || v->rank > KILN_MAX_RANK || dtype_size(v->dtype) == 0)
                return diag_internal(d, "node '%s' input '%s' has no valid type", n->name, v->name);
            if (v->kind == VK_CONST && !v->data)
                return diag_internal(d, "constant '%s' has no data", v->name);
        }
        for (int k = 0; k < n->noutputs; k++) {
            Value *v = n->outputs[k];
            if (!v) continue;
            if (v->producer) return diag_internal(d, "'%s' is produced twice", v->name);
            if (v->kind != VK_INTER) return diag_internal(d, "node '%s' writes constant '%s'", n->name, v->name);
            v->producer = n;
        }
    }
    for (int k = 0; k < g->noutputs; k++) {
        Value *v = g->outputs[k];
        if (v->kind == VK_INTER && !v->producer)
            return diag_internal(d, "graph output '%s' has no producer", v->name);
    }
    ir_recount(g);
    return 0;
}
