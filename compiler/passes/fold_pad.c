/*
 * fold_pad.c - folds a zero constant Pad into the Conv (or AveragePool with
 * count_include_pad=1) that reads it: the Pad's spatial pads are added to the
 * consumer's own, and the padded copy disappears. Legal only when the Pad
 * pads spatial axes alone, by non-negative amounts, with the value 0, and
 * its output has no other use.
 */
#include <string.h>

#include "rewrite.h"

static bool zero_pad_value(const Node *pad) {
    if (pad->opset < 11) return pad->a.shape.pad.value == 0.0;
    const Value *cv = pad->ninputs > 2 ? pad->inputs[2] : NULL;
    if (!cv) return true;
    if (cv->kind != VK_CONST || value_numel(cv) != 1) return false;
    switch (cv->dtype) {
    case DT_F32: return ((const float *)cv->data)[0] == 0.0f;
    case DT_F64: return ((const double *)cv->data)[0] == 0.0;
    default: return false;
    }
}

int pass_fold_pad(Graph *g, Diag *d) {
    ir_recount(g);
    bool changed = false;
    for (int i = 0; i < g->nnodes; i++) {
        Node *pad = g->nodes[i];
        if (pad->dead || pad->op != OP_PAD || pad->a.shape.pad.mode != 0 || !zero_pad_value(pad)) continue;
        const Value *x = pad->inputs[0];
        Node *c = rw_sole_consumer(g, pad->outputs[0]);
        if (!c || c->inputs[0] != pad->outputs[0] || x->rank < 3) continue;
        if (c->op == OP_CONV) {
            if (c->a.conv.auto_pad) continue;
        } else if (c->op == OP_AVG_POOL) {
            if (c->a.conv.auto_pad || !c->a.conv.count_include_pad) continue;
        } else {
            continue;
        }
        const int64_t *rp = pad->a.shape.pad.rpads;
        int r = x->rank, nsp = r - 2;
        bool ok = rp[0] == 0 && rp[1] == 0 && rp[r] == 0 && rp[r + 1] == 0;
        for (int k = 2; k < r && ok; k++) ok = rp[k] >= 0 && rp[r + k] >= 0;
        if (!ok) continue;
        /* new explicit pads = the consumer's resolved pads + the Pad's */
        Attr *a = ir_attr_set(g, c, "pads", AT_INTS);
        if (!a || !(a->ints = arena_alloc(&g->arena, sizeof(int64_t) * (size_t)(2 * nsp))))
            return diag_error(d, c, "out of memory");
        a->n = 2 * nsp;
        for (int k = 0; k < nsp; k++) {
            a->ints[k] = c->a.conv.pads[k] + rp[2 + k];
            a->ints[nsp + k] = c->a.conv.pads[nsp + k] + rp[r + 2 + k];
        }
        c->inputs[0] = pad->inputs[0];
        pad->dead = true;
        if (ir_infer_node(g, c, d)) return -1;
        ir_recount(g);
        changed = true;
    }
    if (changed) ir_compact(g);
    return 0;
}
