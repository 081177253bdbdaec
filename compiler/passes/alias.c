/*
 * alias.c - which tensors share bytes, decided before arena offsets are
 * planned (memplan.c then places only root buffers):
 *
 *   views       Reshape, Flatten, Squeeze, Unsqueeze move no data: the output
 *               is the input's bytes (never when the output is a graph
 *               output, which has its own buffer).
 *   zero-copy   a Concat whose inputs are contiguous slices of the output
 *   Concat      (everything before the axis has extent 1) gets its inputs
 *               written straight into those slices by their producers
 *               (each input at most one Concat's slice).
 *   in-place    an elementwise op (OPF_INPLACE) writes over an input of the
 *               output's exact size when that input's bytes die there.
 *
 * Every alias is (alias_of, alias_offset); chains resolve to a root value
 * with a total byte offset. Nodes that move no bytes are marked elided.
 */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

const Value *alias_root(const Graph *g, const Value *v, int64_t *offset) {
    int64_t off = 0;
    int guard = 0;
    while (v->alias_of >= 0 && guard++ < g->nvalues) {
        off += v->alias_offset;
        v = g->values[v->alias_of];
    }
    if (offset) *offset = off;
    return v;
}

static bool is_view_op(OpKind op) {
    return op == OP_RESHAPE || op == OP_FLATTEN || op == OP_SQUEEZE || op == OP_UNSQUEEZE;
}

/* Concat along `axis` is a sequence of contiguous slices when every dim
 * before the axis is 1. */
static bool concat_contiguous(const Node *n) {
    const Value *y = n->outputs[0];
    int axis = n->a.shape.axis;
    for (int i = 0; i < axis; i++)
        if (y->dims[i] != 1) return false;
    return true;
}

/* x can live inside the Concat's output: produced by a real node into its
 * own buffer, and appearing once in this Concat. Other readers are fine (a
 * U-Net skip is also read by its MaxPool): they read the slice, which lives
 * as long as the Concat's output, and nothing writes over it in place since
 * the root outlives them. */
static bool zero_copy_input(const Value *x, const Node *concat) {
    if (!x || x->kind != VK_INTER || x->output_index >= 0 || x->alias_of >= 0) return false;
    if (!x->producer || x->producer->elided) return false;
    int seen = 0;
    for (int k = 0; k < concat->ninputs; k++) seen += concat->inputs[k] == x;
    return seen == 1;
}

/* last step reading any value aliasing root r (or r itself) */
static int root_last_use(const Graph *g, const Value *r, const int *last) {
    int m = last[r->id];
    for (int i = 0; i < g->nvalues; i++) {
        const Value *v = g->values[i];
        if (v->alias_of >= 0 && alias_root(g, v, NULL) == r && last[i] > m) m = last[i];
    }
    return m;
}

int plan_aliases(Graph *g, int opt_level, Diag *d) {
    for (int i = 0; i < g->nvalues; i++) {
        g->values[i]->alias_of = -1;
        g->values[i]->alias_offset = 0;
    }
    for (int s = 0; s < g->nnodes; s++) g->nodes[s]->elided = false;
    if (opt_level < 1) return 0;
    ir_recount(g);
    int *last = malloc(sizeof(int) * ((size_t)g->nvalues + 1));
    if (!last) return diag_error(d, NULL, "out of memory in the planner");
    for (int i = 0; i < g->nvalues; i++) last[i] = -1;
    for (int s = 0; s < g->nnodes; s++)
        for (int k = 0; k < g->nodes[s]->ninputs; k++)
            if (g->nodes[s]->inputs[k]) last[g->nodes[s]->inputs[k]->id] = s;

    /* zero-copy Concat first (latest first, so nested Concats chain outward) */
    for (int s = g->nnodes - 1; s >= 0; s--) {
        Node *n = g->nodes[s];
        if (n->op != OP_CONCAT || !concat_contiguous(n) || n->outputs[0]->alias_of >= 0) continue;
        bool ok = true;
        for (int k = 0; k < n->ninputs && ok; k++) ok = zero_copy_input(n->inputs[k], n);
        if (!ok) continue;
        int64_t off = 0;
        for (int k = 0; k < n->ninputs; k++) {
            Value *x = n->inputs[k];
            x->alias_of = n->outputs[0]->id;
            x->alias_offset = off;
            off += (int64_t)value_bytes(x);
        }
        n->elided = true;
    }
    /* views and in-place, in schedule order */
    for (int s = 0; s < g->nnodes; s++) {
        Node *n = g->nodes[s];
        Value *y = n->noutputs ? n->outputs[0] : NULL;
        if (!y || y->output_index >= 0 || y->alias_of >= 0 || y->kind != VK_INTER) continue;
        if (is_view_op(n->op)) {
            Value *x = n->inputs[0];
            if (x->output_index >= 0) continue; /* keep graph outputs' buffers write-only */
            y->alias_of = x->id;
            y->alias_offset = 0;
            n->elided = true;
            continue;
        }
        if (!(op_table[n->op].flags & OPF_INPLACE) || n->noutputs != 1) continue;
        for (int k = 0; k < n->ninputs; k++) {
            Value *x = n->inputs[k];
            if (!x || x->dtype != y->dtype || x->rank != y->rank ||
                memcmp(x->dims, y->dims, sizeof(int64_t) * (size_t)y->rank))
                continue;
            int64_t off;
            const Value *r = alias_root(g, x, &off);
            bool writable = r->kind == VK_INTER || (g->inplace_io && r->kind == VK_INPUT);
            if (!writable || root_last_use(g, r, last) != s) continue;
            if (r->kind == VK_INTER && r->output_index >= 0) continue;
            bool twice = false; /* both operands the same tensor: still fine, but keep it simple */
            for (int j = 0; j < n->ninputs; j++)
                if (j != k && n->inputs[j] == x) twice = true;
            if (twice) continue;
            y->alias_of = x->id;
            y->alias_offset = 0;
            break;
        }
    }
    free(last);
    return 0;
}
