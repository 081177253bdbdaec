/*
 * fast_test.h - helpers the fast-kernel unit tests share (test_kk_fast.c,
 * test_kk_wino.c, test_kk_deconv.c, test_kk_dw.c, test_kk_nan.c): the
 * panel geometries to test, a seeded xorshift generator (each file its own
 * stream; define FT_SEED first for another seed), random buffers, the
 * kernels of a geometry, and running a kernel's tasks on a pool.
 */
#ifndef KILN_FAST_TEST_H
#define KILN_FAST_TEST_H
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "fast/kk_fast.h"
#include "fast/kk_fast_x86.h"
#include "fast/kk_pool.h"

#ifndef FT_SEED
#define FT_SEED 0x9e3779b97f4a7c15ull
#endif

#define FT_UNUSED __attribute__((unused))

FT_UNUSED static const int ISAS[3] = {KK_ISA_PORTABLE, KK_ISA_AVX2, KK_ISA_AVX512};

static uint64_t rng_state = FT_SEED;
FT_UNUSED static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}
FT_UNUSED static int64_t rint_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1)); }
FT_UNUSED static float rfloat(void) { return (float)(rnd() % 20001) / 10000.0f - 1.0f; }

/* n floats in [-1, 1] (one for n == 0, so never NULL in a test). */
FT_UNUSED static float *rand_buf(int64_t n) {
    float *p = malloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) p[i] = rfloat();
    return p;
}

/* The kernels of geometry isa: the x86 ones fall back to plain C kernels
 * of the same geometry on a CPU without the instruction set. */
FT_UNUSED static kk_fisa get_isa(int isa) {
    return isa == KK_ISA_PORTABLE ? kk_fisa_portable(isa) : kk_fisa_x86(isa);
}

/* Runs fn's tasks on a pool of `threads` (serially for 1). */
FT_UNUSED static void run_tasks(int threads, kk_task_fn *fn, void *arg, int64_t ntasks) {
    if (threads <= 1) {
        kk_fast_run(NULL, fn, arg, ntasks);
        return;
    }
    kk_pool *pool = malloc(sizeof *pool);
    cr_assert(kk_pool_start(pool, threads, threads) == 0);
    kk_fast_run(pool, fn, arg, ntasks);
    kk_pool_stop(pool);
    free(pool);
}

#endif
