/*
 * schedule.c - reorders independent branches (Inception, U-Net skips,
 * DenseNet) to lower the peak of live intermediate bytes.
 *
 * Greedy list scheduling: of the nodes whose inputs are ready, run the one
 * whose execution grows the live set least (its outputs' bytes minus the
 * bytes of inputs it reads for the last time), ties going to the earlier
 * node of the current order. The new order is kept only when its simulated
 * peak is lower, so the pass never makes a schedule worse.
 *
 * Each step scans every node, so the pass is quadratic: graphs of more
 * than SCHED_MAX_NODES nodes (far beyond any CNN; reached by nested
 * function calls that inline to 10^5 nodes) keep their topological order.
 */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

static int64_t tensor_bytes(const Value *v) {
    return v && v->kind == VK_INTER && v->output_index < 0 ? (int64_t)((value_bytes(v) + 63) & ~(size_t)63) : 0;
}

/* Peak of live intermediate bytes for an order (inputs and outputs of the
 * running node both count: reference kernels do not work in place). */
static int64_t simulate(Graph *g, Node **order, int *remaining) {
    for (int i = 0; i < g->nvalues; i++) remaining[i] = g->values[i]->nuses;
    int64_t live = 0, peak = 0;
    for (int s = 0; s < g->nnodes; s++) {
        Node *n = order[s];
        for (int k = 0; k < n->noutputs; k++) live += tensor_bytes(n->outputs[k]);
        if (live > peak) peak = live;
        for (int k = 0; k < n->ninputs; k++) {
            Value *v = n->inputs[k];
            if (v && --remaining[v->id] == 0) live -= tensor_bytes(v);
        }
        for (int k = 0; k < n->noutputs; k++)
            if (n->outputs[k] && n->outputs[k]->nuses == 0) live -= tensor_bytes(n->outputs[k]);
    }
    return peak;
}

/* true for the first input slot of nd that holds the same value as slot k */
static bool j_first(const Node *nd, int k) {
    for (int j = 0; j < k; j++)
        if (nd->inputs[j] == nd->inputs[k]) return false;
    return true;
}

#define SCHED_MAX_NODES 8192

int pass_schedule(Graph *g, Diag *d) {
    ir_recount(g);
    int n = g->nnodes;
    if (n < 3 || n > SCHED_MAX_NODES) return 0;
    Node **order = malloc(sizeof(Node *) * (size_t)n);
    int *remaining = malloc(sizeof(int) * ((size_t)g->nvalues + 1));
    int *missing = malloc(sizeof(int) * (size_t)n);         /* inputs not yet produced */
    unsigned char *done = calloc((size_t)n, 1);
    if (!order || !remaining || !missing || !done ) {
        free(order); free(remaining); free(missing); free(done);
        return diag_error(d, NULL, "out of memory in the scheduler");
    }
    for (int i = 0; i < g->nvalues; i++) remaining[i] = g->values[i]->nuses;
    for (int i = 0; i < n; i++) {
        Node *nd = g->nodes[i];
        missing[i] = 0;
        for (int k = 0; k < nd->ninputs; k++)
            if (nd->inputs[k] && nd->inputs[k]->producer) missing[i]++;
    }
    for (int s = 0; s < n; s++) {
        int best = -1;
        int64_t best_delta = 0;
        for (int i = 0; i < n; i++) {
            if (done[i] || missing[i]) continue;
            Node *nd = g->nodes[i];
            int64_t delta = 0;
            for (int k = 0; k < nd->noutputs; k++) delta += tensor_bytes(nd->outputs[k]);
            for (int k = 0; k < nd->ninputs; k++) {
                Value *v = nd->inputs[k];
                if (!v) continue;
                int reads = 0; /* a node may read the same value twice */
                for (int j = 0; j < nd->ninputs; j++) reads += nd->inputs[j] == v;
                if (remaining[v->id] == reads && j_first(nd, k)) delta -= tensor_bytes(v);
            }
            if (best < 0 || delta < best_delta) {
                best = i;
                best_delta = delta;
            }
        }
        if (best < 0) { /* cannot happen on a sorted graph */
            free(order); free(remaining); free(missing); free(done);
            return diag_internal(d, "scheduler found no ready node");
        }
        Node *nd = g->nodes[best];
        done[best] = 1;
        order[s] = nd;
        for (int k = 0; k < nd->ninputs; k++)
            if (nd->inputs[k]) remaining[nd->inputs[k]->id]--;
        for (int k = 0; k < nd->noutputs; k++) {
            Value *v = nd->outputs[k];
            if (!v) continue;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < g->nodes[i]->ninputs; j++)
                    if (g->nodes[i]->inputs[j] == v) missing[i]--;
        }
    }
    int64_t before = simulate(g, g->nodes, remaining);
    int64_t after = simulate(g, order, remaining);
    if (after < before) memcpy(g->nodes, order, sizeof(Node *) * (size_t)n);
    free(order); free(remaining); free(missing); free(done);
    return 0;
}
