/*
 * kiln.h - the compiler's public API: what main.c (and any embedder of the
 * compiler library) calls. One call compiles one model file into a folder.
 */
#ifndef KILN_H
#define KILN_H

#include <stdint.h>

#include "ir.h"

#define KILN_MAX_BINDINGS 64
#define KILN_MAX_OPSET 28   /* newest default-domain opset kiln knows (onnx 1.23) */

typedef struct KilnShape {      /* --shape NAME=1x3x224x224 */
    const char *name;
    int rank;
    int64_t dims[KILN_MAX_RANK];
} KilnShape;

typedef struct KilnFreeze {     /* --freeze NAME=FILE (.npy or .pb): input becomes a constant */
    const char *name;
    const char *file;
} KilnFreeze;

/* --cpu: the kernels generated code calls (passes/pack.c). generic: the
 * reference kernels only (plain C11); the others: the fast kernels of
 * kernels/fast/ with AVX-512, AVX2+FMA or plain C micro-kernels; native:
 * the best of those for the CPU kiln runs on. */
enum { KILN_CPU_GENERIC = 0, KILN_CPU_NATIVE, KILN_CPU_PORTABLE, KILN_CPU_AVX2, KILN_CPU_AVX512 };

typedef struct KilnOptions {
    const char *name;           /* C identifier prefix; default from the file name */
    const char *outdir;         /* output folder (created; written only on success) */
    int exe;                    /* also write main.c, runtime, Makefile, CMakeLists.txt */
    int opt_level;              /* 0: no optional passes; 1 (default): all */
    const char *dump_after;     /* pass name or "all": print IR after it (to dump_file) */
    FILE *dump_file;            /* where dumps go (main.c passes stdout) */
    int verify_each;            /* run ir_verify between passes */
    int inplace_io;             /* in-place ops may overwrite graph inputs (--inplace-io) */
    int cpu;                    /* --cpu: KILN_CPU_* (default native) */
    int threads;                /* --threads: generated code's threads; 0 every online core (default) */
    int ftz;                    /* --ftz: NAME_run flushes denormals to zero (x86 MXCSR FTZ|DAZ) */
    const char *dump_kg;        /* write the final IR as .kg (+ .bin weights) to this path */
    /* kiln inspect: pictures (NULL: not written) and the report's form */
    const char *svg;            /* optimized graph, SVG via Graphviz's dot */
    const char *png;            /* optimized graph, PNG via Graphviz's dot */
    const char *dot;            /* optimized graph as DOT text (no Graphviz needed) */
    const char *memory_svg;     /* memory plan timeline, SVG written by kiln */
    int json;                   /* print the report as JSON instead of text */
    int nshapes;
    KilnShape shapes[KILN_MAX_BINDINGS];
    int nfreeze;
    KilnFreeze freeze[KILN_MAX_BINDINGS];
} KilnOptions;

void kiln_options_init(KilnOptions *o);

/* Load (ONNX or .kg by extension), bind, infer and fold. NULL on error. */
Graph *kiln_load(const char *path, const KilnOptions *o, Diag *d);
/* Run the pass pipeline (honours opt_level, dump_after, verify_each). */
int kiln_optimize(Graph *g, const KilnOptions *o, Diag *d);
/* Whole compile: load, optimize, plan, emit, write o->outdir. */
int kiln_compile(const char *path, const KilnOptions *o, Diag *d);
/* Print the `kiln inspect` report. */
int kiln_inspect(const char *path, const KilnOptions *o, FILE *out, Diag *d);

/* `kiln run`: compile with --exe into a temporary folder, build, run on the
 * inputs writing outputs to outdir (may be NULL), clean up. */
int kiln_run(const char *model, int ninputs, char **inputs, const char *outdir, const KilnOptions *o, Diag *d);

/* The frontends. */
Graph *onnx_load(const char *path, const KilnOptions *o, Diag *d);
/* The same from a model already in memory (the fuzzer's entry point): path
 * names the model in messages and anchors external data files. */
Graph *onnx_load_bytes(const void *buf, size_t len, const char *path, const KilnOptions *o, Diag *d);

#endif
