/*
 * ir.h - kiln's internal compiler header: arena, diagnostics, dtypes, the IR
 * (Graph / Node / Value), the ops table interface and the pass interface.
 *
 * Pipeline position: everything between a frontend (onnx.c, text.c) and a
 * backend (backend/c) speaks these types. One Graph per compilation; every
 * object in it comes from the Graph's Arena and is never freed one by one.
 *
 * Only compiler/main.c prints or exits. Library code reports problems through
 * a Diag and returns a nonzero status.
 */
#ifndef KILN_IR_H
#define KILN_IR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KILN_MAX_RANK 8     /* highest tensor rank kiln accepts */
#define KILN_MAX_IN   16    /* node inputs (Concat/Sum/Max may have many) */
#define KILN_MAX_OUT  8     /* node outputs (Split) */

/* ------------------------------------------------------------------ arena */

/* Bump allocator: one per compilation, freed whole by arena_free. */
typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head;   /* newest block first */
    size_t total;       /* bytes handed out, for reports */
} Arena;

void *arena_alloc(Arena *a, size_t n);              /* zeroed, 16-byte aligned; NULL on OOM */
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(Arena *a);

/* ------------------------------------------------------------ diagnostics */

/* Collected messages; main.c prints them. The first line of each message
 * leads with the file and (where known) the node. */
typedef struct Diag {
    const char *file;   /* file name messages lead with (model path) */
    char *text;         /* all messages, newline separated (malloc'd) */
    size_t len, cap;
    int nerrors;
    int internal;       /* set by diag_internal: exit code 2 instead of 1 */
} Diag;

struct Node;
void diag_init(Diag *d, const char *file);
void diag_free(Diag *d);
/* "FILE: node 'NAME' (Op): message"; node may be NULL. Returns -1 so callers
 * can `return diag_error(...)`. */
int diag_error(Diag *d, const struct Node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int diag_verror(Diag *d, const struct Node *n, const char *fmt, va_list ap);
/* "FILE: internal error at SRC:LINE: message" */
int diag_internal_at(Diag *d, const char *src, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define diag_internal(d, ...) diag_internal_at((d), __FILE__, __LINE__, __VA_ARGS__)

/* ------------------------------------------------------------------ dtypes */

/* Values equal ONNX TensorProto.DataType so the frontend maps 1:1. */
typedef enum DType {
    DT_UNDEF = 0, DT_F32 = 1, DT_U8 = 2, DT_I8 = 3, DT_U16 = 4, DT_I16 = 5,
    DT_I32 = 6, DT_I64 = 7, DT_STRING = 8, DT_BOOL = 9, DT_F16 = 10,
    DT_F64 = 11, DT_U32 = 12, DT_U64 = 13, DT_BF16 = 16,
    DT_COUNT_ = 17
} DType;

size_t dtype_size(DType t);            /* bytes per element; 0 if unsupported */
const char *dtype_name(DType t);       /* "f32", "i64", "bool", ... (text format) */
const char *dtype_ctype(DType t);      /* "float", "int64_t", "uint8_t" (bool), ... */
DType dtype_from_name(const char *s);  /* DT_UNDEF if unknown */
/* The kernels' element-type constant as generated code spells it ("KK_F32"),
 * or NULL when the reference kernels have no instantiation for t. */
const char *dtype_kk_const(DType t, bool with_bool);
bool dtype_is_float(DType t);
bool dtype_is_int(DType t);            /* signed or unsigned integer, not bool */

/* ----------------------------------------------------------------- values */

typedef enum ValueKind {
    VK_INTER = 0,   /* intermediate, lives in the arena */
    VK_INPUT,       /* graph input (caller's buffer) */
    VK_CONST,       /* initializer or folded constant (weights blob) */
} ValueKind;

typedef struct Value {
    int id;                      /* stable index in Graph.values (dump order) */
    const char *name;            /* ONNX value name (unique in the graph) */
    ValueKind kind;
    DType dtype;                 /* set by frontend (inputs/consts) or shape inference */
    int rank;                    /* -1 until shape inference has run */
    int64_t dims[KILN_MAX_RANK]; /* static shape; all >= 0 after binding */
    void *data;                  /* VK_CONST: numel*dtype_size bytes, row major (arena) */
    struct Node *producer;       /* NULL for inputs and constants */
    int nuses;                   /* number of (node, input slot) uses; recomputed by ir_recount */
    int output_index;            /* >= 0 if this is graph output #k, else -1 */
    int input_index;             /* >= 0 if graph input #k, else -1 */
    int64_t offset;              /* arena (VK_INTER) or weights-blob (VK_CONST) byte offset; -1 unset */
    int alias_of;                /* id of the value whose bytes this one shares (view, in-place,
                                    zero-copy Concat slice), -1 if none; set by the planner */
    int64_t alias_offset;        /* byte offset of this value inside alias_of's bytes */
    const char *seed_spec;       /* text format: "seeded(...)" init spec, kept for dumps; else NULL */
    int dyn_axis;                /* -1, or the axis whose extent is only a capacity (NonZero, NMS) */
    struct Value *count;         /* dyn_axis >= 0: int64 scalar holding the valid extent at run time */
    int count_slot;              /* graph output with dyn_axis: index of its count in outputs[] */
} Value;

int64_t value_numel(const Value *v);   /* product of dims (1 for rank 0) */
size_t value_bytes(const Value *v);    /* numel * dtype_size */

/* ------------------------------------------------------------- attributes */

/* Raw attributes: the serialized form (ONNX AttributeProto / text format).
 * Each op's parse function reads them once into the node's typed struct. */
typedef enum AttrType {
    AT_NONE = 0, AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_TENSOR = 4,
    AT_GRAPH = 5, AT_FLOATS = 6, AT_INTS = 7, AT_STRINGS = 8,
} AttrType;

typedef struct Attr {
    const char *name;
    AttrType type;
    int64_t i;              /* AT_INT */
    double f;               /* AT_FLOAT */
    const char *s;          /* AT_STRING (NUL-terminated) */
    int n;                  /* element count for AT_INTS/AT_FLOATS/AT_STRINGS */
    int64_t *ints;          /* AT_INTS */
    double *floats;         /* AT_FLOATS */
    const char **strings;   /* AT_STRINGS */
    struct Value *t;        /* AT_TENSOR: a detached VK_CONST value (not in Graph.values) */
} Attr;

/* ---------------------------------------------------------------- op kinds */

typedef enum OpKind {
#define X(kind, onnx_name, ...) OP_##kind,
#include "ops.def"
#undef X
    OP_COUNT_
} OpKind;

#include "ops_attrs.h"  /* per-op typed attribute structs (union OpAttrs) */

/* ------------------------------------------------------------------ nodes */

typedef struct Node {
    int id;                          /* stable index at creation (dump, symbol names) */
    OpKind op;
    const char *name;                /* ONNX node name; synthesized "op_N" when empty */
    int opset;                       /* opset version of the node's domain */
    int ninputs, noutputs;
    struct Value *inputs[KILN_MAX_IN];   /* NULL for an omitted optional input ("") */
    struct Value *outputs[KILN_MAX_OUT]; /* NULL for an omitted optional output */
    int nattrs;
    Attr *attrs;                     /* raw attributes (arena) */
    OpAttrs a;                       /* typed attributes, filled by the op's parse */
    bool dead;                       /* removed by a pass; skipped everywhere, compacted by ir_compact */
    bool elided;                     /* planner: a view or zero-copy Concat that moves no bytes */
    struct Value *scratch;           /* arena bytes its kernel uses during its own step only (u8
                                        vector; fast kernels' packing panels), NULL if none; set by
                                        the op's infer, placed by the planner, not a graph edge */
} Node;

/* ------------------------------------------------------------------ graph */

typedef struct Graph {
    Arena arena;
    const char *name;           /* model name (C identifier), from --name or file */
    const char *path;           /* source file path (diagnostics) */
    int nvalues, cap_values;
    Value **values;
    int nnodes, cap_nodes;
    Node **nodes;               /* topological order after ir_toposort */
    int ninputs, noutputs;
    int ncounts;                /* graph outputs with a dynamic extent (count slots after outputs) */
    Value **inputs;             /* graph inputs in order (non-initializer) */
    Value **outputs;            /* graph outputs in order */
    int opset;                  /* default-domain opset version */
    int next_node_id;
    struct NameIndex *index;    /* value name -> Value hash (graph.c) */
    /* filled by the memory planner */
    int64_t arena_size;         /* bytes of intermediates arena */
    int64_t weights_size;       /* bytes of weights blob */
    int64_t lower_bound;        /* largest total live bytes at any step */
    int64_t sum_intermediates;  /* sum of all intermediate tensor bytes */
    bool inplace_io;            /* --inplace-io: in-place ops may overwrite graph inputs */
    int threads;                /* generated code's thread pool: 0 or 1 none (no pthreads), N > 1
                                   up to N threads, -1 every online core (set by passes/pack.c) */
    bool ftz;                   /* --ftz: NAME_run flushes denormals to zero (backend/c/emit_c.c) */
} Graph;

Graph *ir_graph_new(const char *name, const char *path);  /* NULL on OOM */
void ir_graph_free(Graph *g);
Value *ir_value_new(Graph *g, const char *name);          /* kind VK_INTER, rank -1 */
Value *ir_value_find(Graph *g, const char *name);         /* linear map lookup via hash */
Node *ir_node_new(Graph *g, OpKind op, const char *name, int ninputs, int noutputs);
Attr *ir_attr_find(const Node *n, const char *name);
/* Append or replace a raw attribute (used by passes and frontends). */
Attr *ir_attr_set(Graph *g, Node *n, const char *name, AttrType type);
int ir_toposort(Graph *g, Diag *d);     /* orders g->nodes; detects cycles and unproduced inputs */
void ir_recount(Graph *g);              /* recompute producer/nuses, drop dead nodes */
void ir_compact(Graph *g);              /* remove dead nodes and unused values */
/* Replace every use of `from` (node inputs, graph outputs) by `to`. */
void ir_replace_uses(Graph *g, Value *from, Value *to);
int ir_verify(Graph *g, Diag *d);       /* structural + shape invariants */
int ir_infer(Graph *g, Diag *d);        /* parse attrs + shape inference in topological order */
int ir_infer_node(Graph *g, Node *n, Diag *d);
/* Evaluate n (all inputs constant) on the host; its outputs become constants. */
int ir_fold_node(Graph *g, Node *n, Diag *d);
/* Stable text dump (valid .kg input, see frontend/text.h): constants above
 * the inline limit are printed as blob(offset, bytes) against value->offset. */
int ir_dump(Graph *g, FILE *f);
/* Output k of n has a data-dependent extent along `axis`: its dims hold a
 * compile-time capacity, and a hidden int64 scalar output appended to n
 * receives the valid extent at run time. Idempotent across re-inference. */
int ir_add_count_output(Graph *g, Node *n, int k, int axis, Diag *d);
/* Make a value constant with freshly allocated storage (arena). */
void *ir_make_const(Graph *g, Value *v, DType t, int rank, const int64_t *dims);

/* --------------------------------------------------------------- op table */

struct Emitter;

typedef int OpParseFn(Graph *g, Node *n, Diag *d);  /* raw attrs -> n->a; validate */
typedef int OpInferFn(Graph *g, Node *n, Diag *d);  /* outputs' dtype/rank/dims from inputs */
/* Compute outputs on the host from input buffers (used by constant folding).
 * in[i] is NULL for an omitted input; out[i] is preallocated (value_bytes). */
typedef int OpExecFn(const Node *n, const void *const *in, void *const *out, Diag *d);
/* Emit C statements computing n. in[i]/out[i] are C expressions of type
 * (const void *) / (void *) for the tensors (NULL for omitted ones). */
typedef int OpEmitFn(struct Emitter *e, const Node *n, const char *const *in, const char *const *out, Diag *d);
typedef int OpGradFn(Graph *g, Node *n, Diag *d);   /* reserved: training (later issue) */

enum OpFlags {
    OPF_NONE        = 0,
    OPF_ELEMENTWISE = 1 << 0,   /* output[i] depends on input[i] only (after broadcast) */
    OPF_INPLACE     = 1 << 1,   /* may write its output over its first input */
    OPF_ACT_FUSABLE = 1 << 2,   /* activation that can fuse into a conv/gemm epilogue */
    OPF_SHAPE_ONLY  = 1 << 3,   /* output data equals input data (Reshape, Squeeze, ...) */
    OPF_REMOVABLE   = 1 << 4,   /* Identity / Dropout: removed at inference */
    OPF_NO_FOLD     = 1 << 5,   /* never constant-fold (none yet) */
};

typedef struct OpInfo {
    OpKind kind;
    const char *onnx_name;      /* op_type in the default domain */
    int min_in, max_in;         /* arity limits (max_in may be KILN_MAX_IN) */
    int min_out, max_out;
    unsigned flags;
    OpParseFn *parse;
    OpInferFn *infer;
    OpExecFn *exec;
    OpEmitFn *emit_c;
    OpEmitFn *emit_cuda;        /* NULL: not supported on the CUDA backend (later issue) */
    OpGradFn *grad;             /* NULL: no gradient rule (later issue) */
} OpInfo;

extern const OpInfo op_table[OP_COUNT_];
const OpInfo *op_lookup(const char *onnx_name);   /* NULL if unknown */
const char *op_name(OpKind k);

/* Declarations of every function the table names. */
#define X(kind, onnx_name, min_in, max_in, min_out, max_out, flags, parse, infer, exec, emit_c, emit_cuda, grad) \
    OpParseFn parse; OpInferFn infer; OpExecFn exec; OpEmitFn emit_c;
#include "ops.def"
#undef X

/* ----------------------------------------------- helpers for op functions */

/* Attribute readers: return the default when absent; on wrong type they
 * report an error naming the node and set *err (never crash). */
int64_t attr_int(Graph *g, Node *n, const char *name, int64_t dflt, Diag *d, int *err);
double attr_float(Graph *g, Node *n, const char *name, double dflt, Diag *d, int *err);
const char *attr_string(Graph *g, Node *n, const char *name, const char *dflt, Diag *d, int *err);
/* Copies up to max ints into out; returns count, or -1 if absent (out untouched). */
int attr_ints(Graph *g, Node *n, const char *name, int64_t *out, int max, Diag *d, int *err);
int attr_floats(Graph *g, Node *n, const char *name, double *out, int max, Diag *d, int *err);

/* Set output k's type and shape. Checks dims >= 0 and element count fits. */
int set_output(Node *n, int k, DType t, int rank, const int64_t *dims, Diag *d);
/* Input k must exist and be constant; reads int64/int32 data into out
 * (count returned, up to max) or reports "input K ('name') must be a
 * compile-time constant" naming the node. */
int const_ints(const Node *n, int k, int64_t *out, int max, Diag *d);
/* Same for float-ish scalars/vectors (f32/f64/f16 accepted). */
int const_floats(const Node *n, int k, double *out, int max, Diag *d);
/* numpy broadcasting of shapes a and b into out; -1 + error if incompatible. */
int broadcast_shapes(const Node *n, int ra, const int64_t *a, int rb, const int64_t *b,
                     int *rout, int64_t *out, Diag *d);
/* Normalize a possibly negative axis into [0, rank); error if out of range. */
int norm_axis(const Node *n, int64_t axis, int rank, int *out, Diag *d);
/* Require input k present with one of the dtypes in the 0-terminated list. */
int require_dtype(const Node *n, int k, const DType *allowed, Diag *d);

/* ------------------------------------------------------------------ passes */

typedef int PassFn(Graph *g, Diag *d);
typedef struct Pass { const char *name; PassFn *fn; int min_level; } Pass;
extern const Pass pass_pipeline[];
extern const int pass_count;

PassFn pass_remove_identity;    /* passes/identity.c: Identity, Dropout, no-op Cast */
PassFn pass_fold_constants;     /* passes/fold.c: nodes whose inputs are all constant */
PassFn pass_dce;                /* passes/dce.c: unused nodes and values */
PassFn pass_canonicalize;       /* passes/canonicalize.c: exporter patterns -> SiLU, GELU, HardSwish, Add */
PassFn pass_fold_pad;           /* passes/fold_pad.c: zero Pad into the next Conv / AveragePool */
PassFn pass_cancel_transpose;   /* passes/transpose.c: Transpose pairs merged or cancelled */
PassFn pass_fold_affine;        /* passes/fold_affine.c: BN / per-channel Mul, Add into Conv, Gemm */
PassFn pass_fuse_epilogue;      /* passes/fuse_epilogue.c: residual Add + activation into Conv, Gemm */
PassFn pass_schedule;           /* passes/schedule.c: reorder branches to lower the memory peak */
PassFn pass_memplan;            /* passes/memplan.c: arena offsets, weights offsets */
int pass_memplan_level(Graph *g, int opt_level, Diag *d); /* -O0: no aliasing */
/* passes/alias.c: views, zero-copy Concat and in-place ops share bytes (run by
 * the planner first). Follows alias chains: the root value and byte offset. */
int plan_aliases(Graph *g, int opt_level, Diag *d);
const Value *alias_root(const Graph *g, const Value *v, int64_t *offset);

#endif
