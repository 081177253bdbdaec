/*
 * inspect.c - `kiln inspect`: what a model is made of and what kiln makes of
 * it: inputs and outputs, op histogram before and after optimization,
 * parameters, FLOPs, and the memory plan (arena, weights, lower bound, sum
 * of intermediates), as text or as JSON (--json). Optionally pictures of
 * the optimized graph (--dot, --svg, --png; backend/viz_graph.c) and of the
 * memory plan (--memory-svg; backend/viz_memory.c). Unsupported ops are
 * reported by the loader, all at once, each naming its node.
 */
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "viz.h"

static int64_t node_flops(const Node *n) {
    const Value *y = n->outputs[0];
    if (!y) return 0;
    int64_t out = value_numel(y);
    switch (n->op) {
    case OP_CONV: {
        const Value *w = n->inputs[1];
        int64_t k = 1;
        for (int i = 1; i < w->rank; i++) k *= w->dims[i];
        return 2 * out * k;
    }
    case OP_GEMM: case OP_MATMUL: {
        const Value *a = n->inputs[0];
        int64_t kdim = a->rank ? a->dims[a->rank - 1] : 1;
        if (n->op == OP_GEMM && n->a.conv.trans_a && a->rank == 2) kdim = a->dims[0];
        return 2 * out * kdim;
    }
    default:
        break;
    }
    /* ConvTranspose (by name: its family may be absent from a build): every
     * input element meets W[c] of shape [Cout/group, k...] once */
    if (!strcmp(op_name(n->op), "ConvTranspose") && n->ninputs >= 2 && n->inputs[1]) {
        const Value *w = n->inputs[1];
        int64_t k = 1;
        for (int i = 1; i < w->rank; i++) k *= w->dims[i];
        return 2 * value_numel(n->inputs[0]) * k;
    }
    return out;
}

/* Nodes counted by op before optimization, and by fused label after. */
typedef struct LabelCount {
    const char *label;
    int count;
} LabelCount;

typedef struct Census {
    int nnodes;
    int hist[OP_COUNT_];
    int64_t flops;
} Census;

static void census(const Graph *g, Census *c) {
    memset(c, 0, sizeof *c);
    c->nnodes = g->nnodes;
    for (int i = 0; i < g->nnodes; i++) {
        c->hist[g->nodes[i]->op]++;
        c->flops += node_flops(g->nodes[i]);
    }
}

/* Fused labels ("Conv + Add + Relu") in order of first appearance; the
 * array is malloc'd, *n set; NULL when out of memory. */
static LabelCount *fused_labels(Graph *g, int *n) {
    LabelCount *l = calloc((size_t)g->nnodes + 1, sizeof *l);
    *n = 0;
    if (!l) return NULL;
    char buf[160];
    for (int s = 0; s < g->nnodes; s++) {
        viz_op_label(g->nodes[s], buf, sizeof buf);
        int k = 0;
        while (k < *n && strcmp(l[k].label, buf)) k++;
        if (k == *n) {
            l[k].label = arena_strdup(&g->arena, buf);
            if (!l[k].label) {
                free(l);
                return NULL;
            }
            (*n)++;
        }
        l[k].count++;
    }
    return l;
}

static void print_value(FILE *f, const Value *v) {
    char shape[160];
    viz_shape(v, shape, sizeof shape);
    fprintf(f, "  %-24s %s\n", v->name, shape);
}

/* --------------------------------------------------------------- JSON */

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void json_values(FILE *f, const char *key, Value *const *vs, int n) {
    fprintf(f, "  \"%s\": [", key);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
        json_string(f, vs[i]->name);
        fprintf(f, ", \"dtype\": \"%s\", \"shape\": [", dtype_name(vs[i]->dtype));
        for (int k = 0; k < vs[i]->rank; k++) fprintf(f, "%s%lld", k ? ", " : "", (long long)vs[i]->dims[k]);
        fprintf(f, "]}");
    }
    fprintf(f, "%s],\n", n ? "\n  " : "");
}

static void print_json(FILE *f, const char *path, const Graph *g, const Census *before, const LabelCount *after,
                       int nafter, int64_t params, int nbuffers, int elided) {
    fprintf(f, "{\n  \"model\": ");
    json_string(f, path);
    fprintf(f, ",\n  \"name\": ");
    json_string(f, g->name);
    fprintf(f, ",\n  \"opset\": %d,\n", g->opset);
    json_values(f, "inputs", g->inputs, g->ninputs);
    json_values(f, "outputs", g->outputs, g->noutputs);
    fprintf(f, "  \"nodes_before\": %d,\n  \"nodes_after\": %d,\n  \"ops_before\": {", before->nnodes, g->nnodes);
    int first = 1;
    for (int k = 0; k < OP_COUNT_; k++)
        if (before->hist[k]) {
            fprintf(f, "%s\"%s\": %d", first ? "" : ", ", op_name((OpKind)k), before->hist[k]);
            first = 0;
        }
    fprintf(f, "},\n  \"ops_after\": {");
    for (int k = 0; k < nafter; k++) {
        fprintf(f, "%s", k ? ", " : "");
        json_string(f, after[k].label);
        fprintf(f, ": %d", after[k].count);
    }
    fprintf(f, "},\n");
    fprintf(f, "  \"elided_nodes\": %d,\n  \"arena_buffers\": %d,\n", elided, nbuffers);
    fprintf(f, "  \"parameters\": %lld,\n  \"flops\": %lld,\n", (long long)params, (long long)before->flops);
    fprintf(f, "  \"weights_bytes\": %lld,\n  \"arena_bytes\": %lld,\n", (long long)g->weights_size,
            (long long)g->arena_size);
    fprintf(f, "  \"lower_bound_bytes\": %lld,\n  \"sum_intermediates_bytes\": %lld,\n", (long long)g->lower_bound,
            (long long)g->sum_intermediates);
    fprintf(f, "  \"unsupported_ops\": []\n}\n");
}

/* ----------------------------------------------------------- pictures */

static int write_pictures(const Graph *g, const KilnOptions *o, Diag *d) {
    int rc = 0;
    if (o->dot || o->svg || o->png) {
        Emitter e;
        emit_init(&e, g->name);
        rc = viz_graph_dot(g, &e, d);
        if (!rc && o->dot) rc = viz_write_file(o->dot, e.buf, e.len, d);
        if (!rc && o->svg) rc = viz_render_dot(e.buf, e.len, "svg", o->svg, d);
        if (!rc && o->png) rc = viz_render_dot(e.buf, e.len, "png", o->png, d);
        emit_free(&e);
    }
    if (!rc && o->memory_svg) {
        Emitter e;
        emit_init(&e, g->name);
        rc = viz_memory_svg(g, &e, d);
        if (!rc) rc = viz_write_file(o->memory_svg, e.buf, e.len, d);
        emit_free(&e);
    }
    return rc;
}

int kiln_inspect(const char *path, const KilnOptions *o, FILE *f, Diag *d) {
    Graph *g = kiln_load(path, o, d);
    if (!g) return -1;
    Census before;
    census(g, &before);
    if (!o->json) {
        fprintf(f, "model: %s (opset %d)\n", path, g->opset);
        fprintf(f, "inputs:\n");
        for (int i = 0; i < g->ninputs; i++) print_value(f, g->inputs[i]);
        fprintf(f, "outputs:\n");
        for (int i = 0; i < g->noutputs; i++) print_value(f, g->outputs[i]);
        fprintf(f, "ops (%d nodes after constant folding):\n", g->nnodes);
        for (int k = 0; k < OP_COUNT_; k++)
            if (before.hist[k]) fprintf(f, "  %-24s %d\n", op_name((OpKind)k), before.hist[k]);
    }
    int rc = kiln_optimize(g, o, d);
    LabelCount *after = NULL;
    int nafter = 0, nbuffers = 0, elided = 0;
    if (!rc) {
        after = fused_labels(g, &nafter);
        VizBuffer *b;
        if (!after) rc = diag_error(d, NULL, "out of memory");
        else if (!(rc = viz_buffers(g, &b, &nbuffers, NULL, d))) free(b);
    }
    if (!rc) {
        int64_t params = 0;
        for (int i = 0; i < g->nvalues; i++)
            if (g->values[i]->kind == VK_CONST && g->values[i]->offset >= 0) params += value_numel(g->values[i]);
        for (int s = 0; s < g->nnodes; s++) elided += g->nodes[s]->elided;
        if (o->json) {
            print_json(f, path, g, &before, after, nafter, params, nbuffers, elided);
        } else {
            fprintf(f, "nodes after optimization: %d\n", g->nnodes);
            for (int k = 0; k < nafter; k++) fprintf(f, "  %-24s %d\n", after[k].label, after[k].count);
            fprintf(f, "parameters: %lld\n", (long long)params);
            fprintf(f, "FLOPs: %lld (%.3f GFLOP)\n", (long long)before.flops, (double)before.flops / 1e9);
            fprintf(f, "weights: %lld bytes\n", (long long)g->weights_size);
            fprintf(f, "arena: %lld bytes (lower bound %lld, sum of intermediates %lld)\n", (long long)g->arena_size,
                    (long long)g->lower_bound, (long long)g->sum_intermediates);
            fprintf(f, "arena buffers: %d; nodes that move no bytes (views, zero-copy Concat): %d\n", nbuffers, elided);
            fprintf(f, "unsupported ops: none\n");
        }
        rc = write_pictures(g, o, d);
    }
    free(after);
    ir_graph_free(g);
    return rc;
}
