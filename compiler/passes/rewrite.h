/*
 * rewrite.h - small helpers the graph-rewriting passes share: the single
 * consumer of a value, reachability (a rewrite must never create a cycle),
 * fresh constants, and per-channel constants.
 */
#ifndef KILN_REWRITE_H
#define KILN_REWRITE_H

#include "ir.h"

/* The one live node reading v, when v has exactly one use, is not a graph
 * output, and that node reads it once; else NULL. */
Node *rw_sole_consumer(Graph *g, const Value *v);
/* Whether `target`'s producer chain reaches node `from` (so making `from`
 * read `target` would close a cycle). */
bool rw_depends_on(Graph *g, const Value *target, const Node *from);
/* A new constant value named after `base` with the given type and shape. */
Value *rw_new_const(Graph *g, const char *base, DType t, int rank, const int64_t *dims);
/* If c is a float constant broadcasting along only `axis` of a rank-`rank`
 * tensor with `channels` channels (or a scalar), fill per[channels] with its
 * value per channel (as double) and return true. */
bool rw_per_channel(const Value *c, int rank, int axis, int64_t channels, double *per);
/* Read element i of a float constant as double / write one. */
double rw_get(const Value *v, int64_t i);
void rw_set(Value *v, int64_t i, double x);

#endif
