/*
 * test_kk_pool.c - the generated code's thread pool (kernels/fast/pool.c):
 * every task of a job runs exactly once, on a worker below the job's task
 * count, for task counts below, at and above the thread count; jobs run
 * back to back on one pool; a worker that stalls inside its first task
 * does not hold up its range (the others take it over).
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "fast/kk_fast.h"
#include "fast/kk_pool.h"

typedef struct Job {
    atomic_int *runs;     /* per task: times run */
    atomic_int bad_worker;
    int64_t ntasks;
    int stall_worker;     /* this worker sleeps in its first task (-1: none) */
    atomic_int stalled;
    atomic_int by[KK_POOL_MAX]; /* tasks run per worker */
} Job;

static void job_task(void *arg, int64_t task, int worker) {
    Job *j = (Job *)arg;
    if (worker < 0 || worker >= KK_POOL_MAX || worker >= j->ntasks) {
        atomic_fetch_add(&j->bad_worker, 1);
        return;
    }
    if (worker == j->stall_worker && atomic_exchange(&j->stalled, 1) == 0) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_fetch_add(&j->runs[task], 1);
    atomic_fetch_add(&j->by[worker], 1);
}

static void run_job(kk_pool *p, int64_t ntasks, int stall_worker) {
    Job j = {0};
    j.runs = calloc((size_t)(ntasks > 0 ? ntasks : 1), sizeof *j.runs);
    j.ntasks = ntasks;
    j.stall_worker = stall_worker;
    kk_fast_run(p, job_task, &j, ntasks);
    cr_assert_eq(atomic_load(&j.bad_worker), 0, "%lld tasks: a worker at or above the task count ran one",
                 (long long)ntasks);
    int64_t total = 0;
    for (int64_t t = 0; t < ntasks; t++)
        cr_assert_eq(atomic_load(&j.runs[t]), 1, "%lld tasks: task %lld ran %d times", (long long)ntasks,
                     (long long)t, atomic_load(&j.runs[t]));
    for (int w = 0; w < KK_POOL_MAX; w++) total += atomic_load(&j.by[w]);
    cr_assert_eq(total, ntasks);
    free(j.runs);
}

Test(kk_pool, every_task_once) {
    const int64_t counts[] = {0, 1, 2, 3, 4, 5, 7, 64, 100, 1001};
    for (int threads = 1; threads <= 4; threads++) {
        kk_pool *p = malloc(sizeof *p);
        cr_assert_eq(kk_pool_start(p, threads, threads), 0);
        cr_assert_eq(p->par.nthreads, threads);
        for (int rep = 0; rep < 3; rep++)
            for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) run_job(p, counts[i], -1);
        kk_pool_stop(p);
        free(p);
    }
}

Test(kk_pool, stalled_worker) {
    /* worker 1 sleeps in its first task: the caller finishes worker 1's
     * range (and a third worker's), each task still exactly once */
    for (int threads = 2; threads <= 3; threads++) {
        kk_pool *p = malloc(sizeof *p);
        cr_assert_eq(kk_pool_start(p, threads, threads), 0);
        for (int rep = 0; rep < 3; rep++) {
            run_job(p, 200, 1);
            run_job(p, 2, 1);
            run_job(p, 200, 0);
        }
        kk_pool_stop(p);
        free(p);
    }
}
