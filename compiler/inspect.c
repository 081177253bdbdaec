/*
 * inspect.c - `kiln inspect`: what a model is made of and what kiln makes of
 * it: inputs and outputs, op histogram, parameters, FLOPs, and the memory
 * plan (arena, weights, lower bound, sum of intermediates). Unsupported ops
 * are reported by the loader, all at once, each naming its node.
 */
#include <string.h>

#include "kiln.h"

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
        return out;
    }
}

static void print_value(FILE *f, const Value *v) {
    fprintf(f, "  %-24s %s[", v->name, dtype_name(v->dtype));
    for (int i = 0; i < v->rank; i++) fprintf(f, i ? "x%lld" : "%lld", (long long)v->dims[i]);
    fprintf(f, "]\n");
}

int kiln_inspect(const char *path, const KilnOptions *o, FILE *f, Diag *d) {
    Graph *g = kiln_load(path, o, d);
    if (!g) return -1;
    fprintf(f, "model: %s (opset %d)\n", path, g->opset);
    fprintf(f, "inputs:\n");
    for (int i = 0; i < g->ninputs; i++) print_value(f, g->inputs[i]);
    fprintf(f, "outputs:\n");
    for (int i = 0; i < g->noutputs; i++) print_value(f, g->outputs[i]);
    int hist[OP_COUNT_] = {0};
    int64_t flops = 0;
    for (int i = 0; i < g->nnodes; i++) {
        hist[g->nodes[i]->op]++;
        flops += node_flops(g->nodes[i]);
    }
    fprintf(f, "ops (%d nodes after constant folding):\n", g->nnodes);
    for (int k = 0; k < OP_COUNT_; k++)
        if (hist[k]) fprintf(f, "  %-24s %d\n", op_name((OpKind)k), hist[k]);
    int rc = kiln_optimize(g, o, d);
    if (!rc) {
        int64_t params = 0;
        for (int i = 0; i < g->nvalues; i++)
            if (g->values[i]->kind == VK_CONST && g->values[i]->offset >= 0) params += value_numel(g->values[i]);
        fprintf(f, "nodes after optimization: %d\n", g->nnodes);
        fprintf(f, "parameters: %lld\n", (long long)params);
        fprintf(f, "FLOPs: %lld (%.3f GFLOP)\n", (long long)flops, (double)flops / 1e9);
        fprintf(f, "weights: %lld bytes\n", (long long)g->weights_size);
        fprintf(f, "arena: %lld bytes (lower bound %lld, sum of intermediates %lld)\n", (long long)g->arena_size,
                (long long)g->lower_bound, (long long)g->sum_intermediates);
        fprintf(f, "unsupported ops: none\n");
    }
    ir_graph_free(g);
    return rc;
}
