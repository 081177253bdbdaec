/*
 * memplan.c - the memory planner: weights-blob offsets for constants, and
 * arena offsets for intermediates from their live ranges over the schedule.
 *
 * Liveness: a tensor is live from the step of its producer to the step of
 * its last consumer (inclusive), so a node's inputs and outputs never share
 * bytes. Placement: tensors in decreasing size order, each at the lowest
 * 64-byte-aligned offset that overlaps no already placed tensor with an
 * intersecting live range (best fit among the gaps). Graph inputs and
 * outputs live in the caller's buffers, never in the arena.
 *
 * Views, zero-copy Concat and in-place ops (alias.c) share a root buffer:
 * only roots are placed, each live over the union of its aliases' ranges.
 *
 * Reports: arena size, weights size, the lower bound (largest total of live
 * bytes at one step) and the sum of all intermediates.
 */
#include <stdlib.h>

#include "ir.h"

#define ALIGN 64
static int64_t align_up(int64_t x) { return (x + ALIGN - 1) & ~(int64_t)(ALIGN - 1); }

typedef struct Interval {
    Value *v;
    int first, last;     /* schedule steps */
    int64_t size;        /* aligned bytes */
} Interval;

static int by_size_desc(const void *pa, const void *pb) {
    const Interval *a = pa, *b = pb;
    if (a->size != b->size) return a->size < b->size ? 1 : -1;
    return a->v->id - b->v->id; /* deterministic tie-break */
}

static int by_offset(const void *pa, const void *pb) {
    const Interval *a = *(Interval *const *)pa, *b = *(Interval *const *)pb;
    if (a->v->offset != b->v->offset) return a->v->offset < b->v->offset ? -1 : 1;
    return a->v->id - b->v->id;
}

static int by_first_then_size(const void *pa, const void *pb) {
    const Interval *a = pa, *b = pb;
    if (a->first != b->first) return a->first - b->first;
    return by_size_desc(pa, pb);
}

static int by_lifetime_desc(const void *pa, const void *pb) {
    const Interval *a = pa, *b = pb;
    int la = a->last - a->first, lb = b->last - b->first;
    if (la != lb) return lb - la;
    return by_size_desc(pa, pb);
}

/* Place intervals in array order: each at the lowest-waste gap (best fit)
 * among those already placed whose live ranges intersect its own. */
static int64_t place_all(Interval *iv, int count, Interval **placed, Interval **conf) {
    int nplaced = 0;
    int64_t arena = 0;
    for (int i = 0; i < count; i++) {
        Interval *t = &iv[i];
        int nc = 0;
        for (int j = 0; j < nplaced; j++)
            if (placed[j]->first <= t->last && t->first <= placed[j]->last) conf[nc++] = placed[j];
        qsort(conf, (size_t)nc, sizeof *conf, by_offset);
        int64_t best = -1, best_gap = INT64_MAX, cur = 0;
        for (int j = 0; j < nc; j++) {
            int64_t gap = conf[j]->v->offset - cur;
            if (gap >= t->size && gap < best_gap) {
                best = cur;
                best_gap = gap;
            }
            int64_t e = conf[j]->v->offset + conf[j]->size;
            if (e > cur) cur = e;
        }
        if (best < 0) best = cur; /* no gap fits: above everything it conflicts with */
        t->v->offset = best;
        if (best + t->size > arena) arena = best + t->size;
        placed[nplaced++] = t;
    }
    return arena;
}

static bool in_arena(const Value *v) { return v->kind == VK_INTER && v->output_index < 0; }

/* A graph output whose extent is dynamic reports its count to the caller
 * through outputs[NUM_OUTPUTS + j]: its count value is a graph-visible slot. */
static void assign_count_slots(Graph *g) {
    g->ncounts = 0;
    for (int k = 0; k < g->noutputs; k++) {
        Value *v = g->outputs[k];
        v->count_slot = -1;
        if (v->dyn_axis < 0 || !v->count) continue;
        v->count_slot = g->noutputs + g->ncounts++;
        v->count->output_index = v->count_slot;
    }
}

int pass_memplan_level(Graph *g, int opt_level, Diag *d) {
    ir_recount(g);
    assign_count_slots(g);
    if (plan_aliases(g, opt_level, d)) return -1;
    /* weights: every constant something reads, or a graph output */
    int64_t woff = 0;
    for (int i = 0; i < g->nvalues; i++) {
        Value *v = g->values[i];
        v->offset = -1;
        if (v->kind != VK_CONST || (v->nuses == 0 && v->output_index < 0)) continue;
        v->offset = woff;
        woff = align_up(woff + (int64_t)value_bytes(v));
    }
    g->weights_size = woff;

    Interval *iv = calloc((size_t)g->nvalues + 1, sizeof *iv);
    Interval **placed = calloc((size_t)g->nvalues + 1, sizeof *placed);
    int64_t *live = calloc((size_t)g->nnodes + 1, sizeof *live);
    if (!iv || !placed || !live) {
        free(iv); free(placed); free(live);
        return diag_error(d, NULL, "out of memory in the memory planner");
    }
    int *first = malloc(sizeof(int) * ((size_t)g->nvalues + 1));
    int *last = malloc(sizeof(int) * ((size_t)g->nvalues + 1));
    if (!first || !last) {
        free(iv); free(placed); free(live); free(first); free(last);
        return diag_error(d, NULL, "out of memory in the memory planner");
    }
    for (int i = 0; i < g->nvalues; i++) first[i] = last[i] = -1;
    for (int s = 0; s < g->nnodes; s++) {
        Node *n = g->nodes[s];
        for (int k = 0; k < n->noutputs; k++)
            if (n->outputs[k]) first[n->outputs[k]->id] = last[n->outputs[k]->id] = s;
        for (int k = 0; k < n->ninputs; k++)
            if (n->inputs[k]) last[n->inputs[k]->id] = s;
        if (n->scratch) first[n->scratch->id] = last[n->scratch->id] = s; /* live at its node only */
    }
    /* fold every alias's range into its root's */
    g->sum_intermediates = 0;
    for (int i = 0; i < g->nvalues; i++) {
        Value *v = g->values[i];
        if (in_arena(v) && first[i] >= 0) g->sum_intermediates += align_up((int64_t)value_bytes(v));
        if (v->alias_of < 0 || first[i] < 0) continue;
        const Value *r = alias_root(g, v, NULL);
        int ri = r->id;
        if (first[ri] < 0 || first[i] < first[ri]) first[ri] = first[i];
        if (last[i] > last[ri]) last[ri] = last[i];
    }
    int count = 0;
    for (int i = 0; i < g->nvalues; i++) {
        Value *v = g->values[i];
        if (!in_arena(v) || v->alias_of >= 0 || first[i] < 0) continue;
        Interval *t = &iv[count++];
        t->v = v;
        t->first = first[i];
        t->last = last[i];
        t->size = align_up((int64_t)value_bytes(v));
        for (int s = t->first; s <= t->last; s++) live[s] += t->size;
    }
    g->lower_bound = 0;
    for (int s = 0; s < g->nnodes; s++)
        if (live[s] > g->lower_bound) g->lower_bound = live[s];

    /* best fit under several orders; keep the smallest arena */
    Interval **conf = calloc((size_t)count + 1, sizeof *conf);
    if (!conf) {
        free(iv); free(placed); free(live); free(first); free(last);
        return diag_error(d, NULL, "out of memory in the memory planner");
    }
    int (*const orders[])(const void *, const void *) = {by_size_desc, by_first_then_size, by_lifetime_desc};
    int best_order = 0;
    int64_t arena = INT64_MAX;
    for (int o = 0; o < 3; o++) {
        qsort(iv, (size_t)count, sizeof *iv, orders[o]);
        int64_t a = place_all(iv, count, placed, conf);
        if (a < arena) {
            arena = a;
            best_order = o;
        }
    }
    qsort(iv, (size_t)count, sizeof *iv, orders[best_order]);
    arena = place_all(iv, count, placed, conf);
    g->arena_size = arena;
    /* aliases: their root's offset plus their own */
    for (int i = 0; i < g->nvalues; i++) {
        Value *v = g->values[i];
        if (v->alias_of < 0) continue;
        int64_t off;
        const Value *r = alias_root(g, v, &off);
        v->offset = in_arena(r) && r->offset >= 0 ? r->offset + off : -1;
    }
    free(conf);
    free(iv);
    free(placed);
    free(live);
    free(first);
    free(last);
    return 0;
}

int pass_memplan(Graph *g, Diag *d) { return pass_memplan_level(g, 1, d); }
