/*
 * rewrite.c - helpers shared by the rewriting passes (see rewrite.h).
 */
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"

Node *rw_sole_consumer(Graph *g, const Value *v) {
    if (!v || v->nuses != 1 || v->output_index >= 0) return NULL;
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->ninputs; k++)
            if (n->inputs[k] == v) return n;
    }
    return NULL;
}

static bool reaches(const Node *n, const Node *from, unsigned char *seen) {
    if (!n) return false;
    if (n == from) return true;
    if (seen[n->id]) return false;
    seen[n->id] = 1;
    for (int k = 0; k < n->ninputs; k++)
        if (n->inputs[k] && reaches(n->inputs[k]->producer, from, seen)) return true;
    return false;
}

bool rw_depends_on(Graph *g, const Value *target, const Node *from) {
    unsigned char *seen = calloc((size_t)g->next_node_id + 1, 1);
    if (!seen) return true; /* out of memory: refuse the rewrite */
    bool r = reaches(target->producer, from, seen);
    free(seen);
    return r;
}

Value *rw_new_const(Graph *g, const char *base, DType t, int rank, const int64_t *dims) {
    char *name = NULL;
    for (int i = 0; !name || ir_value_find(g, name); i++) name = arena_printf(&g->arena, "%s:folded%d", base, i);
    Value *v = ir_value_new(g, name);
    if (!v || !ir_make_const(g, v, t, rank, dims)) return NULL;
    return v;
}

double rw_get(const Value *v, int64_t i) {
    return v->dtype == DT_F64 ? ((const double *)v->data)[i] : (double)((const float *)v->data)[i];
}

void rw_set(Value *v, int64_t i, double x) {
    if (v->dtype == DT_F64) ((double *)v->data)[i] = x;
    else ((float *)v->data)[i] = (float)x;
}

bool rw_per_channel(const Value *c, int rank, int axis, int64_t channels, double *per) {
    if (!c || c->kind != VK_CONST || (c->dtype != DT_F32 && c->dtype != DT_F64) || c->rank > rank) return false;
    int64_t n = value_numel(c);
    if (n == 1) {
        for (int64_t m = 0; m < channels; m++) per[m] = rw_get(c, 0);
        return true;
    }
    /* right-aligned against the output: every dim 1 except `axis` == channels */
    for (int i = 0; i < c->rank; i++) {
        int oa = rank - c->rank + i;
        if (oa == axis ? c->dims[i] != channels : c->dims[i] != 1) return false;
    }
    if (n != channels) return false;
    for (int64_t m = 0; m < channels; m++) per[m] = rw_get(c, m);
    return true;
}
