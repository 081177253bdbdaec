/*
 * threads.c - the optional thread pool API of generated code (threads.h).
 *
 * A model compiled with --threads N (N > 1) or --threads 0 (every online
 * core, the default) whose nodes run fast kernels gets, in NAME.h,
 *     #define NAME_THREADS N            (0: every online core)
 *     #define NAME_MAX_THREADS M        (scratch slots the planner reserved)
 *     int NAME_init_threads(NAME_ctx *ctx, int nthreads);
 *     void NAME_free_threads(NAME_ctx *ctx);
 * and in NAME.c the pool (kernels/fast/pool.c) pasted with the kernels.
 * NAME_init leaves ctx single-threaded; NAME_init_threads then starts the
 * workers once (the pool is the one allocation the generated code makes),
 * and every NAME_run on that ctx hands its kernels' tasks to them.
 */
#include "c/threads.h"

#include "passes/pack.h"

bool cg_threads_enabled(const Graph *g) { return g->threads > 1 || g->threads == -1; }

int cg_threads_max(const Graph *g) { return g->threads > 1 ? g->threads : KILN_THREADS_DEFAULT_MAX; }

void cg_threads_header(Emitter *e, const Graph *g) {
    if (!cg_threads_enabled(g)) return;
    const char *P = g->name;
    emit(e, "/* Threads: %s_run spreads its convolutions and matrix products over a pool\n"
            " * started once by %s_init_threads (after %s_init). nthreads 0 takes %s_THREADS\n"
            " * (0: every online core); at most %s_MAX_THREADS run. The pool is the one\n"
            " * allocation this code makes; %s_free_threads stops and frees it. Without it,\n"
            " * %s_run uses the calling thread only. Results do not depend on the thread count. */\n",
         P, P, P, P, P, P, P);
    emit(e, "#define %s_THREADS %d\n#define %s_MAX_THREADS %d\n", P, g->threads > 1 ? g->threads : 0, P,
         cg_threads_max(g));
    emit(e, "#define %s_ERR_THREADS 5   /* threads could not be started: ctx stays single-threaded */\n", P);
    emit(e, "int %s_init_threads(%s_ctx *ctx, int nthreads);\n", P, P);
    emit(e, "void %s_free_threads(%s_ctx *ctx);\n\n", P, P);
}

void cg_threads_source(Emitter *e, const Graph *g) {
    if (!cg_threads_enabled(g)) return;
    const char *P = g->name;
    emit(e, "\nint %s_init_threads(%s_ctx *ctx, int nthreads) {\n", P, P);
    emit(e, "    if (!ctx) return %s_ERR_NULL;\n", P);
    emit(e, "    %s_free_threads(ctx);\n", P);
    emit(e, "    kk_pool *p = (kk_pool *)malloc(sizeof *p);\n");
    emit(e, "    if (!p) return %s_ERR_THREADS;\n", P);
    emit(e, "    if (kk_pool_start(p, nthreads > 0 ? nthreads : %s_THREADS, %s_MAX_THREADS) != 0) {\n", P, P);
    emit(e, "        kk_pool_stop(p);\n        free(p);\n        return %s_ERR_THREADS;\n    }\n", P);
    emit(e, "    ctx->pool = p;\n    return %s_OK;\n}\n\n", P);
    emit(e, "void %s_free_threads(%s_ctx *ctx) {\n", P, P);
    emit(e, "    if (!ctx || !ctx->pool) return;\n");
    emit(e, "    kk_pool_stop((kk_pool *)ctx->pool);\n    free(ctx->pool);\n    ctx->pool = NULL;\n}\n");
}

void cg_threads_strerror(Emitter *e, const Graph *g) {
    if (!cg_threads_enabled(g)) return;
    emit(e, "    case %s_ERR_THREADS: return \"the thread pool could not be started\";\n", g->name);
}
