/*
 * viz.h - pictures of a compiled model, for `kiln inspect`:
 *
 *   viz_graph.c   the optimized graph as Graphviz DOT (one box per node,
 *                 fused epilogues, shapes on the edges), rendered to SVG or
 *                 PNG by running Graphviz's `dot`;
 *   viz_memory.c  the memory plan as an SVG timeline written by kiln itself:
 *                 schedule steps across, arena offsets up, one rectangle per
 *                 root buffer over its live range.
 *
 * Both read a Graph after kiln_optimize (so after the memory planner) and
 * build their text in an Emitter: nothing is written unless it is complete,
 * and the text depends on nothing but the graph (no pointers, no time).
 */
#ifndef KILN_VIZ_H
#define KILN_VIZ_H

#include <stddef.h>
#include <stdint.h>

#include "emit.h"
#include "ir.h"

/* Op families for colours and legends, shared by both pictures. */
typedef enum VizCategory {
    VC_COMPUTE = 0,   /* Conv, ConvTranspose, Gemm, MatMul, Einsum */
    VC_POOL,          /* MaxPool, AveragePool, global pools, RoI pools */
    VC_NORM,          /* BatchNormalization, LayerNorm, ..., Softmax, LRN */
    VC_ELEMENTWISE,   /* activations, arithmetic, comparisons */
    VC_MOVEMENT,      /* Concat, Split, Slice, Pad, Transpose, views, Resize, Gather, ... */
    VC_REDUCE,        /* Reduce*, ArgMax/ArgMin, TopK, CumSum */
    VC_OTHER,
    VC_COUNT_
} VizCategory;

VizCategory viz_category(OpKind op);
const char *viz_category_name(VizCategory c);   /* "conv / matmul", ... */
const char *viz_category_fill(VizCategory c);   /* pale colour for graph boxes */
const char *viz_category_color(VizCategory c);  /* stronger colour for memory buffers */

/* The node's op with its fused epilogue, e.g. "Conv + Add + Relu". */
void viz_op_label(const Node *n, char *buf, size_t cap);
/* "f32[1x64x56x56]" ("f32[]" for a scalar). */
void viz_shape(const Value *v, char *buf, size_t cap);
/* 12345678 -> "11.8 MiB"; below 1 KiB plain bytes ("576 B"). */
void viz_bytes(int64_t bytes, char *buf, size_t cap);
/* Text with &, <, >, " and ' escaped for XML (SVG, and Graphviz HTML labels). */
void viz_xml_text(Emitter *e, const char *s);

/* One root arena buffer of the memory plan: a value the planner placed
 * itself (aliases share their root's bytes), live over the union of its
 * aliases' ranges, exactly as memplan.c computes them. */
typedef struct VizBuffer {
    const Value *v;   /* root value: VK_INTER, not a graph output, alias_of < 0 */
    int first, last;  /* schedule steps (indices into g->nodes), inclusive */
    int64_t size;     /* bytes reserved: value_bytes rounded up to the planner's 64 */
} VizBuffer;

/* The root buffers in schedule order of their first step (ties: value id).
 * *out is malloc'd (free it); NULL with *n = 0 when there are none.
 * live_bytes, when not NULL, receives g->nnodes per-step totals (malloc'd). */
int viz_buffers(const Graph *g, VizBuffer **out, int *n, int64_t **live_bytes, Diag *d);

/* The optimized graph as Graphviz DOT. */
int viz_graph_dot(const Graph *g, Emitter *e, Diag *d);
/* Runs `dot -T<format> -o <out>` on the DOT text (format "svg" or "png").
 * When Graphviz is missing the error says to install it. */
int viz_render_dot(const char *dot_text, size_t len, const char *format, const char *out, Diag *d);
/* The memory plan timeline as a standalone SVG document. */
int viz_memory_svg(const Graph *g, Emitter *e, Diag *d);
/* Write len bytes to path (created or truncated); error names the path. */
int viz_write_file(const char *path, const char *text, size_t len, Diag *d);

#endif
