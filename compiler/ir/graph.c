/*
 * graph.c - building and maintaining the IR: values (with a name index),
 * nodes, raw attributes, topological order, use counts and compaction.
 * Everything lives in the Graph's arena.
 */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* Open-addressing hash from value name to Value, grown by doubling. The
 * table itself is malloc'd (it is rebuilt as it grows), everything else is
 * arena memory. */
typedef struct NameIndex {
    Value **slots;
    size_t cap, count;
} NameIndex;

static uint64_t name_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int index_put(NameIndex *ix, Value *v) {
    if ((ix->count + 1) * 2 > ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 256;
        Value **slots = calloc(cap, sizeof *slots);
        if (!slots) return -1;
        for (size_t i = 0; i < ix->cap; i++) {
            Value *w = ix->slots[i];
            if (!w) continue;
            size_t j = name_hash(w->name) & (cap - 1);
            while (slots[j]) j = (j + 1) & (cap - 1);
            slots[j] = w;
        }
        free(ix->slots);
        ix->slots = slots;
        ix->cap = cap;
    }
    size_t j = name_hash(v->name) & (ix->cap - 1);
    while (ix->slots[j]) j = (j + 1) & (ix->cap - 1);
    ix->slots[j] = v;
    ix->count++;
    return 0;
}

Graph *ir_graph_new(const char *name, const char *path) {
    Graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->index = calloc(1, sizeof *g->index);
    if (!g->index) {
        free(g);
        return NULL;
    }
    g->name = arena_strdup(&g->arena, name ? name : "model");
    g->path = arena_strdup(&g->arena, path ? path : "");
    g->opset = 13;
    return g;
}

void ir_graph_free(Graph *g) {
    if (!g) return;
    free(g->index->slots);
    free(g->index);
    free(g->values);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    arena_free(&g->arena);
    free(g);
}

Value *ir_value_find(Graph *g, const char *name) {
    NameIndex *ix = g->index;
    if (!ix->cap) return NULL;
    size_t j = name_hash(name) & (ix->cap - 1);
    for (; ix->slots[j]; j = (j + 1) & (ix->cap - 1))
        if (strcmp(ix->slots[j]->name, name) == 0) return ix->slots[j];
    return NULL;
}

static int grow(void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap) return 0;
    int c = *cap ? *cap * 2 : 64;
    while (c < need) c *= 2;
    void *p = realloc(*arr, (size_t)c * elem);
    if (!p) return -1;
    *arr = p;
    *cap = c;
    return 0;
}

Value *ir_value_new(Graph *g, const char *name) {
    if (grow((void **)&g->values, &g->cap_values, g->nvalues + 1, sizeof(Value *))) return NULL;
    Value *v = arena_alloc(&g->arena, sizeof *v);
    if (!v) return NULL;
    v->id = g->nvalues;
    v->name = name && *name ? arena_strdup(&g->arena, name) : arena_printf(&g->arena, "_v%d", v->id);
    if (!v->name) return NULL;
    v->rank = -1;
    v->output_index = v->input_index = -1;
    v->offset = -1;
    v->alias_of = -1;
    v->dyn_axis = -1;
    v->count_slot = -1;
    if (index_put(g->index, v)) return NULL;
    g->values[g->nvalues++] = v;
    return v;
}

Node *ir_node_new(Graph *g, OpKind op, const char *name, int ninputs, int noutputs) {
    if (ninputs > KILN_MAX_IN || noutputs > KILN_MAX_OUT || ninputs < 0 || noutputs < 0) return NULL;
    if (grow((void **)&g->nodes, &g->cap_nodes, g->nnodes + 1, sizeof(Node *))) return NULL;
    Node *n = arena_alloc(&g->arena, sizeof *n);
    if (!n) return NULL;
    n->id = g->next_node_id++;
    n->op = op;
    n->name = name && *name ? arena_strdup(&g->arena, name)
                            : arena_printf(&g->arena, "%s_%d", op_name(op), n->id);
    if (!n->name) return NULL;
    n->opset = g->opset;
    n->ninputs = ninputs;
    n->noutputs = noutputs;
    g->nodes[g->nnodes++] = n;
    return n;
}

Attr *ir_attr_find(const Node *n, const char *name) {
    for (int i = 0; i < n->nattrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

Attr *ir_attr_set(Graph *g, Node *n, const char *name, AttrType type) {
    Attr *a = ir_attr_find(n, name);
    if (!a) {
        Attr *na = arena_alloc(&g->arena, sizeof(Attr) * (size_t)(n->nattrs + 1));
        if (!na) return NULL;
        if (n->nattrs) memcpy(na, n->attrs, sizeof(Attr) * (size_t)n->nattrs);
        n->attrs = na;
        a = &na[n->nattrs++];
        a->name = arena_strdup(&g->arena, name);
    } else {
        const char *keep = a->name;
        memset(a, 0, sizeof *a);
        a->name = keep;
    }
    a->type = type;
    return a;
}

int ir_add_count_output(Graph *g, Node *n, int k, int axis, Diag *d) {
    Value *v = k < n->noutputs ? n->outputs[k] : NULL;
    if (!v) return 0; /* omitted optional output */
    if (axis < 0 || axis >= v->rank) return diag_internal(d, "node '%s': bad dynamic axis %d", n->name, axis);
    v->dyn_axis = axis;
    if (v->count) {
        for (int j = 0; j < n->noutputs; j++)
            if (n->outputs[j] == v->count) return 0;
    }
    if (n->noutputs >= KILN_MAX_OUT) return diag_error(d, n, "unsupported: too many outputs");
    Value *c = v->count ? v->count : ir_value_new(g, arena_printf(&g->arena, "%s:count", v->name));
    if (!c) return diag_error(d, n, "out of memory");
    c->dtype = DT_I64;
    c->rank = 0;
    c->producer = n;
    v->count = c;
    n->outputs[n->noutputs++] = c;
    return 0;
}

void *ir_make_const(Graph *g, Value *v, DType t, int rank, const int64_t *dims) {
    v->kind = VK_CONST;
    v->dtype = t;
    v->rank = rank;
    for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
    size_t bytes = value_bytes(v);
    v->data = arena_alloc(&g->arena, bytes ? bytes : 1);
    return v->data;
}

/* Producers and use counts from scratch; dead nodes are ignored. */
void ir_recount(Graph *g) {
    for (int i = 0; i < g->nvalues; i++) {
        g->values[i]->nuses = 0;
        g->values[i]->producer = NULL;
    }
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->noutputs; k++)
            if (n->outputs[k]) n->outputs[k]->producer = n;
        for (int k = 0; k < n->ninputs; k++)
            if (n->inputs[k]) n->inputs[k]->nuses++;
    }
}

void ir_compact(Graph *g) {
    int j = 0;
    for (int i = 0; i < g->nnodes; i++)
        if (!g->nodes[i]->dead) g->nodes[j++] = g->nodes[i];
    g->nnodes = j;
    ir_recount(g);
}

void ir_replace_uses(Graph *g, Value *from, Value *to) {
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->ninputs; k++)
            if (n->inputs[k] == from) n->inputs[k] = to;
    }
    for (int k = 0; k < g->noutputs; k++)
        if (g->outputs[k] == from) g->outputs[k] = to;
}

/* Stable topological sort: repeatedly place, in current order, every node
 * whose inputs are all available. Reports unproduced inputs, values produced
 * twice, and cycles, each naming a node. */
int ir_toposort(Graph *g, Diag *d) {
    int n = g->nnodes;
    unsigned char *ready = calloc((size_t)g->nvalues + 1, 1);
    Node **order = malloc(sizeof(Node *) * (size_t)(n ? n : 1));
    unsigned char *placed = calloc((size_t)(n ? n : 1), 1);
    int rc = 0;
    if (!ready || !order || !placed) {
        rc = diag_error(d, NULL, "out of memory");
        goto out;
    }
    for (int i = 0; i < g->nvalues; i++) {
        Value *v = g->values[i];
        v->producer = NULL;
        if (v->kind != VK_INTER) ready[v->id] = 1;
    }
    for (int i = 0; i < n && !rc; i++) {
        Node *nd = g->nodes[i];
        for (int k = 0; k < nd->noutputs; k++) {
            Value *v = nd->outputs[k];
            if (!v) continue;
            if (v->kind != VK_INTER)
                rc = diag_error(d, nd, "output '%s' is also a graph input or initializer", v->name);
            else if (v->producer)
                rc = diag_error(d, nd, "output '%s' is already produced by node '%s'", v->name, v->producer->name);
            else
                v->producer = nd;
        }
    }
    for (int i = 0; i < n && !rc; i++) {
        Node *nd = g->nodes[i];
        for (int k = 0; k < nd->ninputs; k++) {
            Value *v = nd->inputs[k];
            if (v && v->kind == VK_INTER && !v->producer)
                rc = diag_error(d, nd, "input '%s' is not produced by any node, nor a graph input or initializer",
                                v->name);
        }
    }
    for (int k = 0; k < g->noutputs && !rc; k++) {
        Value *v = g->outputs[k];
        if (v->kind == VK_INTER && !v->producer)
            rc = diag_error(d, NULL, "graph output '%s' is not produced by any node", v->name);
    }
    if (rc) goto out;
    int count = 0, progress = 1;
    while (count < n && progress) {
        progress = 0;
        for (int i = 0; i < n; i++) {
            if (placed[i]) continue;
            Node *nd = g->nodes[i];
            int ok = 1;
            for (int k = 0; k < nd->ninputs && ok; k++)
                if (nd->inputs[k] && !ready[nd->inputs[k]->id]) ok = 0;
            if (!ok) continue;
            placed[i] = 1;
            order[count++] = nd;
            progress = 1;
            for (int k = 0; k < nd->noutputs; k++)
                if (nd->outputs[k]) ready[nd->outputs[k]->id] = 1;
        }
    }
    if (count < n) {
        for (int i = 0; i < n; i++)
            if (!placed[i]) {
                rc = diag_error(d, g->nodes[i], "the graph has a cycle through this node");
                break;
            }
        goto out;
    }
    if (n) memcpy(g->nodes, order, sizeof(Node *) * (size_t)n);
    ir_recount(g);
out:
    free(ready);
    free(order);
    free(placed);
    return rc;
}
