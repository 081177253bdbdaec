/*
 * infer.c - attribute parsing, shape inference and constant folding, run
 * together in topological order.
 *
 * Folding happens as inference goes because exporters compute shapes at run
 * time (Shape -> Gather -> Unsqueeze -> Concat -> Reshape): the Reshape can
 * only be inferred once the chain before it has become a constant. A node is
 * folded when all its present inputs are constants (or, for Shape, when its
 * input's static shape is known), by calling the op's exec on the host: the
 * same reference kernel the generated code would call.
 */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* Folding never grows the weights much: a node whose outputs are larger than
 * this many bytes beyond its inputs stays a run-time node (ConstantOfShape,
 * Expand or Tile of a constant would otherwise bloat the blob). */
#define FOLD_SLACK_BYTES ((size_t)1 << 20)

static bool foldable(const Node *n) {
    const OpInfo *info = &op_table[n->op];
    if (info->flags & OPF_NO_FOLD) return false;
    if (n->op == OP_SHAPE || n->op == OP_SIZE) return true;
    size_t in_bytes = 0, out_bytes = 0;
    for (int k = 0; k < n->ninputs; k++) {
        const Value *v = n->inputs[k];
        if (!v) continue;
        if (n->op == OP_CAST_LIKE && k == 1) continue; /* only its dtype matters */
        if (v->kind != VK_CONST || !v->data) return false;
        in_bytes += value_bytes(v);
    }
    for (int k = 0; k < n->noutputs; k++)
        if (n->outputs[k]) out_bytes += value_bytes(n->outputs[k]);
    return n->op == OP_CONSTANT || out_bytes <= 2 * in_bytes + FOLD_SLACK_BYTES;
}

int ir_fold_node(Graph *g, Node *n, Diag *d) {
    const void *in[KILN_MAX_IN] = {0};
    void *out[KILN_MAX_OUT] = {0};
    for (int k = 0; k < n->ninputs; k++)
        in[k] = n->inputs[k] ? n->inputs[k]->data : NULL;
    for (int k = 0; k < n->noutputs; k++) {
        Value *v = n->outputs[k];
        if (!v) continue;
        out[k] = arena_alloc(&g->arena, value_bytes(v) ? value_bytes(v) : 1);
        if (!out[k]) return diag_error(d, n, "out of memory folding a constant");
    }
    if (op_table[n->op].exec(n, in, out, d)) return -1;
    /* a folded dynamic extent is known now: keep only the valid rows */
    for (int k = 0; k < n->noutputs; k++) {
        Value *v = n->outputs[k];
        if (!v || v->dyn_axis < 0 || !v->count) continue;
        int cslot = -1;
        for (int j = 0; j < n->noutputs; j++)
            if (n->outputs[j] == v->count) cslot = j;
        if (cslot < 0) return diag_internal(d, "node '%s': count output missing", n->name);
        int64_t cnt = *(const int64_t *)out[cslot], cap = v->dims[v->dyn_axis];
        if (cnt < 0 || cnt > cap) return diag_error(d, n, "kernel reported %lld valid rows of %lld", (long long)cnt, (long long)cap);
        int64_t outer = 1, inner = (int64_t)dtype_size(v->dtype);
        for (int i = 0; i < v->dyn_axis; i++) outer *= v->dims[i];
        for (int i = v->dyn_axis + 1; i < v->rank; i++) inner *= v->dims[i];
        unsigned char *p = out[k];
        for (int64_t o = 0; o < outer; o++)
            memmove(p + o * cnt * inner, p + o * cap * inner, (size_t)(cnt * inner));
        v->dims[v->dyn_axis] = cnt;
        v->dyn_axis = -1;
        v->count = NULL;
    }
    for (int k = 0; k < n->noutputs; k++) {
        Value *v = n->outputs[k];
        if (!v) continue;
        v->kind = VK_CONST;
        v->data = out[k];
        v->producer = NULL;
    }
    n->dead = true;
    return 0;
}

int ir_infer_node(Graph *g, Node *n, Diag *d) {
    const OpInfo *info = &op_table[n->op];
    for (int k = 0; k < n->ninputs; k++) {
        Value *v = n->inputs[k];
        if (v && v->rank < 0)
            return diag_internal(d, "node '%s': input '%s' has no shape yet", n->name, v->name);
        if (v && v->dtype == DT_STRING)
            return diag_error(d, n, "unsupported dtype string for input %d ('%s')", k, v->name);
    }
    if (info->parse(g, n, d)) return -1;
    if (info->infer(g, n, d)) return -1;
    for (int k = 0; k < n->noutputs; k++) {
        Value *v = n->outputs[k];
        if (v && (v->rank < 0 || v->dtype == DT_UNDEF))
            return diag_internal(d, "node '%s' (%s): shape inference left output %d unset", n->name,
                                 op_name(n->op), k);
    }
    if (foldable(n)) return ir_fold_node(g, n, d);
    return 0;
}

int ir_infer(Graph *g, Diag *d) {
    if (ir_toposort(g, d)) return -1;
    int errors = 0;
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (n->dead) continue;
        if (ir_infer_node(g, n, d)) {
            errors++;
            break; /* later shapes depend on this one: stop at the first */
        }
    }
    ir_compact(g);
    return errors ? -1 : 0;
}
