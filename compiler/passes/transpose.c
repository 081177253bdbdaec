/*
 * transpose.c - cancels and merges Transposes: Transpose(Transpose(x, p), q)
 * is Transpose(x, p∘q), and nothing at all when that composition is the
 * identity (ConvNeXt's NCHW -> NHWC -> NCHW round trips). The inner
 * Transpose must have no other use.
 */
#include "rewrite.h"

int pass_cancel_transpose(Graph *g, Diag *d) {
    ir_recount(g);
    bool changed = false;
    for (int i = 0; i < g->nnodes; i++) {
        Node *outer = g->nodes[i];
        if (outer->dead || outer->op != OP_TRANSPOSE) continue;
        Value *mid = outer->inputs[0];
        Node *inner = mid->producer;
        if (!inner || inner->dead || inner->op != OP_TRANSPOSE || mid->nuses != 1 || mid->output_index >= 0)
            continue;
        int r = mid->rank;
        const int64_t *p = inner->a.shape.transpose.perm, *q = outer->a.shape.transpose.perm;
        int64_t comp[KILN_MAX_RANK];
        bool identity = true;
        for (int k = 0; k < r; k++) {
            comp[k] = p[q[k]];           /* out[k] = mid[q[k]] = x[p[q[k]]] */
            identity &= comp[k] == k;
        }
        Value *x = inner->inputs[0];
        Value *y = outer->outputs[0];
        inner->dead = true;
        if (identity && y->output_index < 0) {
            outer->dead = true;
            ir_replace_uses(g, y, x);
        } else {
            Attr *a = ir_attr_set(g, outer, "perm", AT_INTS);
            if (!a || !(a->ints = arena_alloc(&g->arena, sizeof(int64_t) * (size_t)r)))
                return diag_error(d, outer, "out of memory");
            a->n = r;
            for (int k = 0; k < r; k++) a->ints[k] = comp[k];
            outer->inputs[0] = x;
            if (ir_infer_node(g, outer, d)) return -1;
        }
        ir_recount(g);
        changed = true;
    }
    if (changed) ir_compact(g);
    return 0;
}
