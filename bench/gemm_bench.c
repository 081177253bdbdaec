/*
 * gemm_bench.c - GFLOP/s of kiln's packed SGEMM kernels alone (the fast
 * path's Conv and Gemm drivers of kernels/fast/), on the 1x1-convolution
 * and Gemm shapes of ResNet-50 and a few others, as a share of the
 * machine's FMA peak (bench/fma_peak.c).
 *
 *   cmake --build BUILD --target kk
 *   cc -O2 -std=c11 -pthread -Ikernels -Ikernels/fast bench/gemm_bench.c BUILD/libkk.a -lm -o gemm_bench
 *   ./gemm_bench [--isa=avx512|avx2|portable] [--threads=T] [--peak=GFLOPS] [--ms=MS] [--cold[=MIB]]
 *                [--wino=2|4] [--direct] [--res] [--only=SUBSTRING]
 *
 * Each shape runs for about MS milliseconds (default 300) after a warm-up;
 * the best run is reported. --cold evicts the caches below the last level
 * before each run (a 16 MiB sweep, not timed; --cold=256 also pushes the
 * weights out of a shared last level, as a model's other weights do), as
 * in a model where a layer's weights were last read one inference ago. "%peak" divides by --peak (default 239, the
 * 1-thread AVX-512 peak bench/fma_peak.c measures on the reference
 * machine) times the thread count.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kk.h"
#include "kk_fast.h"
#include "kk_fast_x86.h"
#include "kk_pool.h"
#include "kk_direct.h"
#include "kk_wino.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *randf(int64_t n) {
    float *p = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64));
    for (int64_t i = 0; i < n; i++) p[i] = (float)((i * 7919 % 1000) - 500) / 1000.0f;
    return p;
}

typedef struct Shape {
    const char *name;
    int conv;                   /* 1: NCHW conv (m out, c in, h x w, kernel ks, stride s); 0: gemm m x n x k */
    int64_t m, c, h, w, ks, s;  /* gemm: m rows, c = k inner, h = n columns */
} Shape;

static const Shape shapes[] = {
    /* ResNet-50 1x1 convolutions (out, in, spatial) */
    {"r50 conv1x1 64<-64 56x56", 1, 64, 64, 56, 56, 1, 1},
    {"r50 conv1x1 256<-64 56x56", 1, 256, 64, 56, 56, 1, 1},
    {"r50 conv1x1 64<-256 56x56", 1, 64, 256, 56, 56, 1, 1},
    {"r50 conv1x1 128<-256 56x56", 1, 128, 256, 56, 56, 1, 1},
    {"r50 conv1x1 512<-128 28x28", 1, 512, 128, 28, 28, 1, 1},
    {"r50 conv1x1 128<-512 28x28", 1, 128, 512, 28, 28, 1, 1},
    {"r50 conv1x1 256<-512 28x28", 1, 256, 512, 28, 28, 1, 1},
    {"r50 conv1x1 1024<-256 14x14", 1, 1024, 256, 14, 14, 1, 1},
    {"r50 conv1x1 256<-1024 14x14", 1, 256, 1024, 14, 14, 1, 1},
    {"r50 conv1x1 512<-1024 14x14", 1, 512, 1024, 14, 14, 1, 1},
    {"r50 conv1x1 2048<-512 7x7", 1, 2048, 512, 7, 7, 1, 1},
    {"r50 conv1x1 512<-2048 7x7", 1, 512, 2048, 7, 7, 1, 1},
    /* MobileNetV2 1x1 convolutions: short K */
    {"mbv2 conv1x1 16<-32 112x112", 1, 16, 32, 112, 112, 1, 1},
    {"mbv2 conv1x1 96<-16 112x112", 1, 96, 16, 112, 112, 1, 1},
    {"mbv2 conv1x1 24<-96 56x56", 1, 24, 96, 56, 56, 1, 1},
    {"mbv2 conv1x1 24<-144 56x56", 1, 24, 144, 56, 56, 1, 1},
    {"mbv2 conv1x1 144<-24 56x56", 1, 144, 24, 56, 56, 1, 1},
    {"mbv2 conv1x1 384<-64 14x14", 1, 384, 64, 14, 14, 1, 1},
    {"mbv2 conv1x1 64<-384 14x14", 1, 64, 384, 14, 14, 1, 1},
    {"mbv2 conv1x1 160<-576 7x7", 1, 160, 576, 7, 7, 1, 1},
    /* EfficientNet-B0's last project convolution: long K, 7x7 */
    {"effnet conv1x1 320<-1152 7x7", 1, 320, 1152, 7, 7, 1, 1},
    {"effnet conv1x1 672<-112 14x14", 1, 672, 112, 14, 14, 1, 1},
    {"effnet conv1x1 112<-672 14x14", 1, 112, 672, 14, 14, 1, 1},
    {"effnet conv1x1 480<-80 14x14", 1, 480, 80, 14, 14, 1, 1},
    {"effnet conv1x1 1152<-192 7x7", 1, 1152, 192, 7, 7, 1, 1},
    /* SqueezeNet's squeeze 1x1 convolutions: few output channels, small maps */
    {"sq conv1x1 16<-64 55x55", 1, 16, 64, 55, 55, 1, 1},
    {"sq conv1x1 1000<-512 13x13", 1, 1000, 512, 13, 13, 1, 1},
    {"sq conv1x1 32<-128 27x27", 1, 32, 128, 27, 27, 1, 1},
    {"sq conv1x1 64<-512 13x13", 1, 64, 512, 13, 13, 1, 1},
    /* 3x3 convolutions (ResNet-18/50) */
    {"r18 conv3x3 64<-64 56x56", 1, 64, 64, 56, 56, 3, 1},
    {"r18 conv3x3 128<-128 28x28", 1, 128, 128, 28, 28, 3, 1},
    {"r18 conv3x3 256<-256 14x14", 1, 256, 256, 14, 14, 3, 1},
    {"r18 conv3x3 512<-512 7x7", 1, 512, 512, 7, 7, 3, 1},
    {"r18 conv7x7/2 64<-3 224x224", 1, 64, 3, 224, 224, 7, 2},
    {"mbv2 conv3x3/2 32<-3 224x224", 1, 32, 3, 224, 224, 3, 2},
    {"sq conv3x3/2 64<-3 224x224", 1, 64, 3, 224, 224, 3, 2},
    {"r18 conv3x3/2 128<-64 56x56", 1, 128, 64, 56, 56, 3, 2},
    {"r18 conv3x3/2 256<-128 28x28", 1, 256, 128, 28, 28, 3, 2},
    {"r18 conv3x3/2 512<-256 14x14", 1, 512, 256, 14, 14, 3, 2},
    {"r18 conv1x1/2 128<-64 56x56", 1, 128, 64, 56, 56, 1, 2},
    {"r18 conv1x1/2 512<-256 14x14", 1, 512, 256, 14, 14, 1, 2},
    {"r50 conv1x1/2 512<-256 56x56", 1, 512, 256, 56, 56, 1, 2},
    {"r50 conv1x1/2 1024<-512 28x28", 1, 1024, 512, 28, 28, 1, 2},
    {"r50 conv1x1/2 2048<-1024 14x14", 1, 2048, 1024, 14, 14, 1, 2},
    {"inc conv5x5 32<-16 28x28", 1, 32, 16, 28, 28, 5, 1},
    {"inc conv5x5 128<-32 14x14", 1, 128, 32, 14, 14, 5, 1},
    {"inc conv5x5 128<-48 7x7", 1, 128, 48, 7, 7, 5, 1},
    {"lenet conv5x5 6<-1 28x28", 1, 6, 1, 28, 28, 5, 1},
    /* Gemm: ResNet-50's classifier at batch 1 and 64, LeNet-5's layers */
    {"r50 fc m=1 n=1000 k=2048", 0, 1, 2048, 1000, 0, 0, 0},
    {"r50 fc m=64 n=1000 k=2048", 0, 64, 2048, 1000, 0, 0, 0},
    {"gemm m=256 n=1024 k=1024", 0, 256, 1024, 1024, 0, 0, 0},
    /* ConvNeXt-T MLPs (MatMul on NHWC rows) */
    {"cnxt mm m=3136 n=384 k=96", 0, 3136, 96, 384, 0, 0, 0},
    {"cnxt mm m=3136 n=96 k=384", 0, 3136, 384, 96, 0, 0, 0},
    {"cnxt mm m=196 n=1536 k=384", 0, 196, 384, 1536, 0, 0, 0},
    {"cnxt mm m=196 n=384 k=1536", 0, 196, 1536, 384, 0, 0, 0},
    {"cnxt mm m=49 n=3072 k=768", 0, 49, 768, 3072, 0, 0, 0},
    {"lenet fc m=1 n=120 k=400", 0, 1, 400, 120, 0, 0, 0},
};

typedef struct Run {
    int conv, wino, direct;
    kk_fconv_f32 cp;
    kk_fdirect_f32 dp;
    kk_fwino_f32 wp;
    kk_fgemm_f32 gp;
    void *par;
} Run;

static void run_once(Run *r) {
    if (r->direct) {
        kk_fast_run(r->par, kk_fdirect_pad_task_f32, &r->dp, r->dp.npads);
        kk_fast_run(r->par, kk_fdirect_task_f32, &r->dp, r->dp.ntasks);
    } else if (r->wino) {
        kk_fast_run(r->par, kk_fwino_task_f32, &r->wp, r->wp.ntasks);
    } else if (r->conv) {
        kk_fast_run(r->par, kk_fconv_pack_task_f32, &r->cp, r->cp.npacks);
        kk_fast_run(r->par, kk_fconv_task_f32, &r->cp, r->cp.ntasks);
    } else {
        kk_fast_run(r->par, kk_fgemm_task_f32, &r->gp, r->gp.ntasks);
    }
}

int main(int argc, char **argv) {
    int isa = KK_ISA_AVX512, threads = 1;
    double peak = 239.0, ms = 300.0;
    const char *only = NULL;
    int cold = 0, wino = 0, res = 0, direct = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--isa=avx2")) isa = KK_ISA_AVX2;
        else if (!strcmp(argv[i], "--isa=portable")) isa = KK_ISA_PORTABLE;
        else if (!strcmp(argv[i], "--isa=avx512")) isa = KK_ISA_AVX512;
        else if (!strncmp(argv[i], "--threads=", 10)) threads = atoi(argv[i] + 10);
        else if (!strncmp(argv[i], "--peak=", 7)) peak = atof(argv[i] + 7);
        else if (!strncmp(argv[i], "--ms=", 5)) ms = atof(argv[i] + 5);
        else if (!strncmp(argv[i], "--only=", 7)) only = argv[i] + 7;
        else if (!strcmp(argv[i], "--cold")) cold = 16;
        else if (!strncmp(argv[i], "--cold=", 7)) cold = atoi(argv[i] + 7);
        else if (!strcmp(argv[i], "--res")) res = 1;
        else if (!strcmp(argv[i], "--direct")) direct = 1;
        else if (!strncmp(argv[i], "--wino=", 7)) wino = atoi(argv[i] + 7);
        else {
            fprintf(stderr, "usage: %s [--isa=avx512|avx2|portable] [--threads=T] [--peak=GFLOPS] [--ms=MS] "
                            "[--cold[=MIB]] [--wino=2|4] [--direct] [--res] [--only=SUBSTRING]\n", argv[0]);
            return 2;
        }
    }
    if (threads < 1) threads = 1;
    kk_fisa k = isa == KK_ISA_PORTABLE ? kk_fisa_portable(isa) : kk_fisa_x86(isa);
    static kk_pool pool;
    void *par = NULL;
    if (threads > 1) {
        if (kk_pool_start(&pool, threads, threads)) {
            fprintf(stderr, "cannot start %d threads\n", threads);
            return 1;
        }
        par = &pool;
    }
    const int64_t sweepn = (int64_t)(cold > 0 ? cold : 1) << 18; /* floats: cold MiB */
    float *sweep = randf(sweepn);
    printf("%-32s %10s %10s %8s\n", "shape", "ms", "GFLOP/s", "%peak");
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const Shape *s = &shapes[si];
        if (only && !strstr(s->name, only)) continue;
        Run r;
        memset(&r, 0, sizeof r);
        r.conv = s->conv;
        r.par = par;
        double flops;
        float *x, *w, *wp, *b, *y, *scratch, *rs = NULL;
        if (s->conv) {
            const int64_t pad = s->ks / 2, oh = (s->h + 2 * pad - s->ks) / s->s + 1, ow = (s->w + 2 * pad - s->ks) / s->s + 1;
            const int64_t kg = s->c * s->ks * s->ks;
            x = randf(s->c * s->h * s->w);
            w = randf(s->m * kg);
            wp = randf(s->m * kg);
            b = randf(s->m);
            y = randf(s->m * oh * ow);
            kk_fpack_rows_f32(w, wp, 1, s->m, kg, k.mr);
            scratch = randf(kk_fconv_scratch_bytes(isa, threads, 1, 1, s->m, kg, oh * ow) / 4 + 16);
            const int64_t in[2] = {s->h, s->w}, ks[2] = {s->ks, s->ks}, out[2] = {oh, ow}, st[2] = {s->s, s->s};
            const int64_t dl[2] = {1, 1}, pads[4] = {pad, pad, pad, pad};
            rs = res ? randf(s->m * oh * ow) : NULL;
            if (wino && s->ks == 3 && s->s == 1 && s->m == s->c) { /* residual of the same shape as x */
                free(wp);
                wp = randf((wino + 2) * (wino + 2) * s->m * s->c);
                kk_fwino_weights_f32(w, wp, s->m, s->c, wino, k.mr);
                free(scratch);
                scratch = randf(kk_fwino_scratch_bytes(isa, threads, wino, 1, s->c, s->m, oh, ow) / 4 + 16);
                kk_fwino_init_f32(&r.wp, k, wino, x, wp, b, rs, y, scratch, 1, s->c, s->m, in, out, pads, KK_UN_RELU,
                                  0.0f, 0.0f, threads);
                r.wino = 1;
            } else if (direct && kk_fdirect_ok(s->m)) {
                kk_fdirect_pack_f32(w, wp, s->m, kg);
                free(scratch);
                scratch = randf(kk_fdirect_scratch_bytes(1, s->c, in, ks, pads) / 4 + 16);
                kk_fdirect_init_f32(&r.dp, k, x, wp, b, rs, y, scratch, 1, s->c, s->m, in, ks, out, st, dl, pads,
                                    KK_UN_RELU, 0.0f, 0.0f, threads);
                r.direct = 1;
            } else if (wino || direct) {
                free(x);
                free(w);
                free(wp);
                free(b);
                free(y);
                free(scratch);
                free(rs);
                continue;
            } else {
                kk_fconv_init_f32(&r.cp, k, x, wp, b, rs, y, scratch, 1, s->c, s->m, 1, 2, in, ks, out, st, dl,
                                  pads, KK_UN_RELU, 0.0f, 0.0f, threads);
            }
            flops = 2.0 * (double)s->m * (double)kg * (double)(oh * ow);
        } else {
            const int64_t m = s->m, kd = s->c, n = s->h;
            x = randf(m * kd);
            w = randf(kd * n);
            wp = randf(kd * n);
            b = randf(n);
            y = randf(m * n);
            kk_fpack_cols_f32(w, wp, kd, n, 0, k.nr);
            scratch = randf(kk_fgemm_scratch_bytes(isa, threads, m, n, kd) / 4 + 16);
            kk_fgemm_init_f32(&r.gp, k, x, 0, wp, b, NULL, y, scratch, m, n, kd, 0, 0.0f, 0.0f, threads);
            flops = 2.0 * (double)m * (double)kd * (double)n;
        }
        run_once(&r);
        double best = 1e30, t0 = now();
        int reps = 0;
        while ((now() - t0) * 1e3 < ms || reps < 3) {
            if (cold)
                for (int64_t i = 0; i < sweepn; i += 16) sweep[i] += 1.0f;
            double a = now();
            run_once(&r);
            double e = now() - a;
            if (e < best) best = e;
            reps++;
        }
        const double gf = flops / best * 1e-9;
        printf("%-32s %10.4f %10.1f %7.1f%%\n", s->name, best * 1e3, gf, 100.0 * gf / (peak * threads));
        free(x);
        free(w);
        free(wp);
        free(b);
        free(y);
        free(scratch);
        free(rs);
    }
    free(sweep);
    if (par) kk_pool_stop(&pool);
    return 0;
}
