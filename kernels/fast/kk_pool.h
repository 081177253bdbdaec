/*
 * kk_pool.h - the persistent thread pool of generated code
 * (kernels/fast/pool.c): pthreads, created once (NAME_init_threads), reused
 * by every run, stopped by NAME_free_threads. Only pasted into a model
 * compiled with --threads other than 1; single-threaded models never
 * include <pthread.h>.
 *
 * kk_pool_start creates nthreads - 1 workers; the calling thread is worker
 * 0 of every job and never waits for a worker that has not joined the job
 * by the time it ran out of tasks itself (on a busy machine a worker may
 * not get a CPU for milliseconds; the job then simply runs on fewer
 * threads). A job's tasks are cut into one contiguous range per thread,
 * each handed out through its own atomic counter: a worker runs its own
 * range first, then helps with the others' (so a late or slow worker's
 * share is taken over). Kernels number tasks along the output (column
 * panels run top to bottom of the image), so while all threads run, worker
 * w computes about the same part of every layer's output and reads the
 * part of the next layer's input that it wrote itself, from its own L2.
 * Which thread runs which task still varies, but no task depends on
 * another's result: the output is the same for every thread count. A job of n tasks
 * only involves workers 0..n-1 (kernels size per-worker scratch by that).
 * Between jobs a worker first spins briefly (KK_POOL_SPIN), then sleeps.
 * On x86 every worker runs a job's tasks under the caller's MXCSR (so a
 * model compiled with --ftz, or a caller that set flush-to-zero itself,
 * gets the same bits for every thread count).
 */
#ifndef KK_POOL_H
#define KK_POOL_H
#include <pthread.h>
#include <stdatomic.h>

#include "kk.h"
#include "kk_fast.h"

#define KK_POOL_MAX 64   /* most threads a pool runs */
/* Pause steps (tens of microseconds in all) an idle worker watches for the
 * next job, and the caller for the last worker, before sleeping: a model's
 * next node usually follows within microseconds, and a condition variable
 * wake-up costs about as much as a small node. */
#define KK_POOL_SPIN 2000

struct kk_pool;
/* One thread's range of a job's tasks: the next to hand out, and the end. */
typedef struct kk_pool_range {
    atomic_llong next;
    int64_t end;
    char pad[48]; /* the counters 64 bytes apart: each on its own cache line */
} kk_pool_range;

typedef struct kk_pool_slot {
    struct kk_pool *pool;
    int id;                     /* worker index, 1..nthreads-1 */
} kk_pool_slot;

typedef struct kk_pool {
    kk_par par;                 /* first: what the kernels see (kk_fast_run) */
    pthread_mutex_t mu;
    pthread_cond_t wake;        /* a new job or stop */
    pthread_cond_t done;        /* the last worker finished its share */
    kk_task_fn *fn;             /* the current job */
    void *arg;
    int64_t ntasks;
    int nrange;                 /* ranges of the current job: min(threads, ntasks) */
    kk_pool_range range[KK_POOL_MAX];
    unsigned long gen;          /* job generation, bumped per job */
    atomic_ulong agen;          /* gen, for a spinning worker to watch without the mutex */
    int open;                   /* the current job still admits workers */
    atomic_int inside;          /* workers inside the current job (changed under mu) */
    int stop;
    unsigned int csr;           /* x86: the caller's MXCSR for the current job (FTZ/DAZ, rounding) */
    int started;                /* workers created */
    pthread_t th[KK_POOL_MAX];
    kk_pool_slot slot[KK_POOL_MAX];
} kk_pool;

/* Workers for nthreads threads in all (0: the online cores), at most
 * min(max_threads, KK_POOL_MAX). Returns 0, or -1 when threads could not be
 * created (the pool then runs everything on the caller, and is still valid). */
KK_API int kk_pool_start(kk_pool *p, int nthreads, int max_threads);
/* Stops and joins the workers. */
KK_API void kk_pool_stop(kk_pool *p);

#endif
