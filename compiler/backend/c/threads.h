/*
 * threads.h - the generated code's optional thread pool API (threads.c):
 * what emit_c.c adds to NAME.h and NAME.c when the model was compiled with
 * a --threads other than 1 and some node runs a fast kernel (Graph.threads
 * set by passes/pack.c). Single-threaded models get none of it, and never
 * include <pthread.h>.
 */
#ifndef KILN_CG_THREADS_H
#define KILN_CG_THREADS_H

#include "emit.h"
#include "ir.h"

/* Whether g's generated code has a thread pool. */
bool cg_threads_enabled(const Graph *g);
/* The most threads the pool may run (the scratch slots the planner reserved). */
int cg_threads_max(const Graph *g);
/* NAME.h: NAME_THREADS, NAME_MAX_THREADS, NAME_ERR_THREADS, init/free prototypes. */
void cg_threads_header(Emitter *e, const Graph *g);
/* NAME.c: NAME_init_threads / NAME_free_threads (after the pasted pool). */
void cg_threads_source(Emitter *e, const Graph *g);
/* NAME_strerror's case for NAME_ERR_THREADS. */
void cg_threads_strerror(Emitter *e, const Graph *g);

#endif
