/*
 * part.c - which nodes the generated code splits into parts for its thread
 * pool, and how one part sees the node (part.h).
 */
#include <string.h>

#include "c/part.h"
#include "c/threads.h"

/* Outer axes (below the returned bound) along which n's output slices are
 * independent; 0 when n is not splittable. A Transpose's part reads its
 * input in place through the whole input's strides (its emitter writes the
 * strided copy from y's dims); so does an LRN's, a band of rows of every
 * channel (its emitter takes the plane stride from x, the band from y). */
static int free_axes(const Node *n) {
    const Value *y = n->outputs[0];
    if (op_table[n->op].flags & OPF_ELEMENTWISE || n->op == OP_TRANSPOSE) return y->rank;
    if (n->op == OP_LAYER_NORM && !ir_attr_find(n, "kiln_axis_only")) return n->a.norm.axis;
    if (n->op == OP_SOFTMAX || n->op == OP_LOG_SOFTMAX) return n->a.reduce.axis;
    return 0;
}

/* The smallest divisor of e that is at least want, else e itself. */
static int64_t parts_of(int64_t e, int64_t want) {
    for (int64_t d = want; d < e; d++)
        if (e % d == 0) return d;
    return e;
}

/* v's view for one part (axis ax of an output of rank r, extent per part
 * `per`) and the bytes between parts; false when v does not fit the cut. */
static bool cut_value(const Value *v, int r, int ax, int64_t full, int64_t per, Value *view, int64_t *step,
                      bool is_output, bool band) {
    *view = *v;
    *step = 0;
    const int va = ax - (r - v->rank); /* v's axis aligned with ax (numpy broadcasting) */
    if (is_output && (v->rank != r || v->dims[ax] != full)) return false;
    if (va < 0 || v->dims[va] == 1) return !is_output;
    if (v->dims[va] != full) return false;
    for (int k = 0; k < va && !band; k++)
        if (v->dims[k] != 1) return false;
    int64_t inner = (int64_t)dtype_size(v->dtype);
    for (int k = va + 1; k < v->rank; k++) inner *= v->dims[k];
    view->dims[va] = per;
    *step = per * inner;
    return true;
}

bool cg_part_plan(const Graph *g, const Node *n, PartPlan *p) {
    if (!cg_threads_enabled(g) || n->elided || n->noutputs < 1 || !n->outputs[0]) return false;
    const Value *y = n->outputs[0];
    if (y->dyn_axis >= 0 || value_numel(y) < CG_PART_MIN_ELEMS) return false;
    /* LRN mixes channels: it is cut into bands of rows (one image) */
    const bool band = n->op == OP_LRN;
    int ax = 0;
    if (band) ax = y->rank >= 3 && y->dims[0] == 1 ? 2 : y->rank;
    else
        while (ax < y->rank && y->dims[ax] == 1) ax++;
    if (ax >= (band ? y->rank : free_axes(n)) || y->dims[ax] < 2) return false;
    memset(p, 0, sizeof *p);
    p->axis = ax;
    p->parts = parts_of(y->dims[ax], 2 * (int64_t)cg_threads_max(g));
    const int64_t per = y->dims[ax] / p->parts;
    p->view = *n;
    if (n->op == OP_TRANSPOSE || band) { /* x is read whole: the part starts at its axis perm[ax] (ax) */
        const Value *x = n->inputs[0];
        const int xa = band ? ax : (int)n->a.shape.transpose.perm[ax];
        int64_t inner = (int64_t)dtype_size(x->dtype);
        for (int k = xa + 1; k < x->rank; k++) inner *= x->dims[k];
        p->vals[0] = *x;
        p->view.inputs[0] = &p->vals[0];
        p->in_step[0] = per * inner;
    }
    for (int k = 0; k < n->ninputs && n->op != OP_TRANSPOSE && !band; k++) {
        const Value *v = n->inputs[k];
        if (!v) continue;
        if (v->dyn_axis >= 0 ||
            !cut_value(v, y->rank, ax, y->dims[ax], per, &p->vals[k], &p->in_step[k], false, false))
            return false;
        p->view.inputs[k] = &p->vals[k];
    }
    for (int k = 0; k < n->noutputs; k++) {
        const Value *v = n->outputs[k];
        if (!v) continue;
        Value *view = &p->vals[KILN_MAX_IN + k];
        if (!cut_value(v, y->rank, ax, y->dims[ax], per, view, &p->out_step[k], true, band)) return false;
        p->view.outputs[k] = view;
    }
    return true;
}
