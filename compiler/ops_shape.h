/*
 * ops_shape.h - private interface between the two files of the shape family:
 * ops_shape.c (the four entry points of ops.def, attribute parsing, and the
 * shape arithmetic ops: Flatten, Reshape, Squeeze, Unsqueeze, Shape,
 * Constant, ConstantOfShape, Range) and ops_movement.c (the ops that move
 * data around: Transpose, Concat, Split, Slice, Pad, Gather, Expand).
 * Nothing outside these two files includes it.
 */
#ifndef KILN_OPS_SHAPE_H
#define KILN_OPS_SHAPE_H

#include "ir.h"
#include "emit.h"

/* Input k exists and has a dtype data movement handles (any fixed-size type). */
int shape_check_data(const Node *n, int k, Diag *d);
/* `(const int64_t[]){a, b}` or `NULL` when n is 0 (C has no empty arrays). */
void shape_emit_dims(Emitter *e, const int64_t *v, int n);
/* A pointer to one element of type t holding *p: `(const float[]){1.5f}`. */
void shape_emit_scalar(Emitter *e, DType t, const void *p);
/* The kernel library's name of an element type: "KK_F32", "KK_I64", ... */
const char *shape_kk_code(DType t);
/* Stores v converted to type t in buf (8 bytes); -1 if t has no conversion. */
int shape_scalar_from_double(DType t, double v, void *buf);

/* ops_movement.c: per-op inference, host execution and C emission. */
int movement_infer(Graph *g, Node *n, Diag *d);
int movement_exec(const Node *n, const void *const *in, void *const *out, Diag *d);
int movement_emit(Emitter *e, const Node *n, const char *const *in, const char *const *out,
                  Diag *d);

#endif
