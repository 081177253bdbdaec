/*
 * fast/pool.c - the persistent pthread pool of generated code (kk_pool.h).
 *
 * One job at a time: the caller publishes (fn, arg, ntasks) under the
 * mutex, bumps the generation and wakes the workers; everybody, the caller
 * included, takes tasks from its own range, then from the others' (one
 * atomic counter per range) until none are left; the
 * caller then closes the job and waits for the workers inside it only (a
 * worker the OS has not run yet is not waited for). Between jobs a worker
 * watches the generation for KK_POOL_SPIN pause steps, then sleeps on a
 * condition variable (a short spin only: the machine may be shared); the
 * caller likewise spins briefly before sleeping until the job's last
 * worker leaves.
 * On x86 the caller's MXCSR (flush-to-zero, denormals-are-zero, rounding)
 * travels with the job: a worker loads it before taking tasks.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h> /* malloc / free in NAME_init_threads, pasted after this file */
#include <string.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "kk.h"
#include "kk_fast.h"
#include "kk_pool.h"

/* One step of a spin-wait. */
static void kk_pool_pause(void) {
#if defined(__SSE2__)
    _mm_pause();
#endif
}

KK_API void kk_pool_share(kk_pool *p, int worker) {
    /* a job of n tasks uses workers 0..n-1 only: kernels size their
     * per-worker scratch by the task count they can have */
    if (worker >= p->ntasks) return;
    /* own range first, then the others' in turn */
    for (int i = 0; i < p->nrange; i++) {
        kk_pool_range *r = &p->range[(worker + i) % p->nrange];
        for (;;) {
            int64_t t = (int64_t)atomic_fetch_add(&r->next, 1);
            if (t >= r->end) break;
            p->fn(p->arg, t, worker);
        }
    }
}

KK_API void *kk_pool_main(void *arg) {
    kk_pool_slot *s = (kk_pool_slot *)arg;
    kk_pool *p = s->pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->gen == seen && !p->stop) {
            pthread_mutex_unlock(&p->mu);
            for (int i = 0; i < KK_POOL_SPIN && atomic_load_explicit(&p->agen, memory_order_acquire) == seen; i++)
                kk_pool_pause();
            pthread_mutex_lock(&p->mu);
        }
        while (p->gen == seen && !p->stop) pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop) break;
        seen = p->gen;
        if (!p->open) continue; /* woke after the caller closed the job: nothing left */
        p->inside++;
#if defined(__SSE2__)
        /* control bits only: the low six are sticky exception flags */
        if ((_mm_getcsr() ^ p->csr) & ~0x3Fu) _mm_setcsr(p->csr & ~0x3Fu);
#endif
        pthread_mutex_unlock(&p->mu);
        kk_pool_share(p, s->id);
        pthread_mutex_lock(&p->mu);
        if (--p->inside == 0 && !p->open) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* The caller publishes the job, runs tasks until none are left, then closes
 * the job (no worker joins any more) and waits only for those inside. */
KK_API void kk_pool_run(kk_par *par, kk_task_fn *fn, void *arg, int64_t ntasks) {
    kk_pool *p = (kk_pool *)par;
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->ntasks = ntasks;
#if defined(__SSE2__)
    p->csr = _mm_getcsr();
#endif
    const int nr = ntasks < p->par.nthreads ? (int)ntasks : p->par.nthreads;
    p->nrange = nr;
    for (int r = 0; r < nr; r++) {
        atomic_store(&p->range[r].next, ntasks * r / nr);
        p->range[r].end = ntasks * (r + 1) / nr;
    }
    p->open = 1;
    p->gen++;
    atomic_store_explicit(&p->agen, p->gen, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    kk_pool_share(p, 0);
    pthread_mutex_lock(&p->mu);
    p->open = 0;
    if (atomic_load(&p->inside) > 0) {
        pthread_mutex_unlock(&p->mu);
        for (int i = 0; i < KK_POOL_SPIN && atomic_load(&p->inside) > 0; i++) kk_pool_pause();
        pthread_mutex_lock(&p->mu);
    }
    while (atomic_load(&p->inside) > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

KK_API int kk_pool_start(kk_pool *p, int nthreads, int max_threads) {
    memset(p, 0, sizeof *p);
    if (nthreads <= 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = online > 0 && online < KK_POOL_MAX ? (int)online : online > 0 ? KK_POOL_MAX : 1;
    }
    if (nthreads > max_threads) nthreads = max_threads;
    if (nthreads > KK_POOL_MAX) nthreads = KK_POOL_MAX;
    if (nthreads < 1) nthreads = 1;
    p->par.run = kk_pool_run;
    p->par.nthreads = 1;
    for (int r = 0; r < KK_POOL_MAX; r++) atomic_init(&p->range[r].next, 0);
    atomic_init(&p->agen, 0);
    atomic_init(&p->inside, 0);
    if (pthread_mutex_init(&p->mu, NULL)) return -1;
    if (pthread_cond_init(&p->wake, NULL)) {
        pthread_mutex_destroy(&p->mu);
        return -1;
    }
    if (pthread_cond_init(&p->done, NULL)) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->mu);
        return -1;
    }
    int rc = 0;
    for (int i = 1; i < nthreads; i++) {
        p->slot[p->started].pool = p;
        p->slot[p->started].id = i;
        if (pthread_create(&p->th[p->started], NULL, kk_pool_main, &p->slot[p->started])) {
            rc = -1;
            break;
        }
        p->started++;
    }
    p->par.nthreads = p->started + 1;
    return rc;
}

KK_API void kk_pool_stop(kk_pool *p) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++) pthread_join(p->th[i], NULL);
    p->started = 0;
    p->par.nthreads = 1;
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
}
