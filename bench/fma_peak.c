/*
 * fma_peak.c - the machine's measured peak float32 FMA rate, the yardstick
 * bench/speed.py divides kiln's GFLOP/s by.
 *
 *   cc -O2 -std=c11 -pthread bench/fma_peak.c -o fma_peak && ./fma_peak [THREADS...]
 *
 * Each thread runs 16 independent FMA chains on the widest vectors the CPU
 * has (AVX-512, else AVX2+FMA, else scalar C), enough to cover the FMA
 * latency on two FMA ports. Counts 2 flops per lane per FMA. Prints one
 * line per thread count: "threads T isa NAME gflops G" (best of 5 trials).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define X86 1
#endif

#define ITERS 20000000L   /* per thread per trial */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct Job {
    int isa;          /* 3 AVX-512, 2 AVX2, 1 scalar */
    float sink;       /* keeps the chains alive */
} Job;

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

#ifdef X86
__attribute__((target("avx512f"))) static float run512(long iters) {
    const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
#define D(i) __m512 c##i = _mm512_set1_ps((float)(i));
    CHAINS(D)
#undef D
    for (long k = 0; k < iters; k++) {
#define F(i) c##i = _mm512_fmadd_ps(c##i, m, a);
        CHAINS(F)
#undef F
    }
    __m512 s = _mm512_setzero_ps();
#define S(i) s = _mm512_add_ps(s, c##i);
    CHAINS(S)
#undef S
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float run256(long iters) {
    const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
#define D(i) __m256 c##i = _mm256_set1_ps((float)(i));
    CHAINS(D)
#undef D
    for (long k = 0; k < iters; k++) {
#define F(i) c##i = _mm256_fmadd_ps(c##i, m, a);
        CHAINS(F)
#undef F
    }
    __m256 s = _mm256_setzero_ps();
#define S(i) s = _mm256_add_ps(s, c##i);
    CHAINS(S)
#undef S
    float t[8];
    _mm256_storeu_ps(t, s);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#endif

static float run_scalar(long iters) {
    volatile float mv = 0.999999f;
    const float m = mv, a = 1e-7f;
#define D(i) float c##i = (float)(i);
    CHAINS(D)
#undef D
    for (long k = 0; k < iters; k++) {
#define F(i) c##i = c##i * m + a;
        CHAINS(F)
#undef F
    }
    return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15;
}

static void *worker(void *arg) {
    Job *j = arg;
#ifdef X86
    if (j->isa == 3) j->sink = run512(ITERS);
    else if (j->isa == 2) j->sink = run256(ITERS);
    else
#endif
        j->sink = run_scalar(ITERS / 16);
    return NULL;
}

int main(int argc, char **argv) {
    int isa = 1;
#ifdef X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) isa = 3;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isa = 2;
#endif
    const char *names[] = {"", "scalar", "avx2", "avx512"};
    const double lanes = isa == 3 ? 16 : isa == 2 ? 8 : 1;
    const double iters = isa == 1 ? (double)(ITERS / 16) : (double)ITERS;
    int counts[16] = {1}, nc = 1;
    if (argc > 1) {
        nc = 0;
        for (int i = 1; i < argc && nc < 16; i++) counts[nc++] = atoi(argv[i]);
    }
    for (int c = 0; c < nc; c++) {
        int t = counts[c] < 1 ? 1 : counts[c] > 256 ? 256 : counts[c];
        double best = 0;
        for (int trial = 0; trial < 5; trial++) {
            pthread_t th[256];
            Job jobs[256];
            double t0 = now();
            for (int i = 0; i < t; i++) {
                jobs[i].isa = isa;
                pthread_create(&th[i], NULL, worker, &jobs[i]);
            }
            for (int i = 0; i < t; i++) pthread_join(th[i], NULL);
            double dt = now() - t0;
            double g = (double)t * iters * 16.0 * lanes * 2.0 / dt / 1e9;
            if (g > best) best = g;
            if (jobs[0].sink == 12345.0f) printf(" ");
        }
        printf("threads %d isa %s gflops %.1f\n", t, names[isa], best);
    }
    return 0;
}
