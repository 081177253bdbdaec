/*
 * part.h - splitting a node into equal parts for the generated code's
 * thread pool (part.c). Elementwise nodes (OPF_ELEMENTWISE, any
 * broadcasting), Transpose, LayerNormalization over trailing axes and
 * Softmax / LogSoftmax over their axis compute every slice along an outer
 * axis of their output independently; LRN every band of rows. Such a node, when it is big enough and the
 * model has a pool, runs as `parts` tasks: the op's own emitter writes the
 * call for one part (the node seen with that axis cut to its part's
 * extent, a compile-time constant), and each tensor's expression moves by
 * the part's byte offset at run time (0 for an input broadcast along that
 * axis). Every element is computed by the same code as in one call, so
 * results are identical for every thread count.
 */
#ifndef KILN_CG_PART_H
#define KILN_CG_PART_H

#include "emit.h"
#include "ir.h"

/* Fewest output elements for a node to be split. */
#define CG_PART_MIN_ELEMS 32768

typedef struct PartPlan {
    int axis;              /* output axis cut into parts; every output dim before it is 1 (LRN: but C) */
    int64_t parts;         /* equal parts (a divisor of the axis' extent) */
    Node view;             /* the node as one part sees it: values below */
    Value vals[KILN_MAX_IN + KILN_MAX_OUT];
    int64_t in_step[KILN_MAX_IN];   /* bytes between parts (0: broadcast along the axis) */
    int64_t out_step[KILN_MAX_OUT];
} PartPlan;

/* Whether n runs split on g's pool; fills p (the view's values point into
 * p, so p must stay where it is while the view is used). */
bool cg_part_plan(const Graph *g, const Node *n, PartPlan *p);

#endif
