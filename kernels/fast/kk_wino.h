/*
 * kk_wino.h - Winograd convolution F(m x m, 3 x 3) (kernels/fast/wino.c) for
 * 2-D float32 Conv with a 3x3 kernel, stride 1, dilation 1, one group, any
 * padding; m = 2 (4x4 input tiles) or m = 4 (6x6 tiles). The output is cut
 * into m x m tiles; with T = m + 2, each of the T*T transform points xi is
 * one GEMM
 *     Y[xi] (M x tiles) = U[xi] (M x C) * V[xi] (C x tiles)
 * where U = G g G^T is the filter transform (done at compile time by
 * kk_fwino_weights_f32, in the row panel layout of kk_fpack_rows_f32 with
 * one group per point), V = B^T d B the transform of each tile's T x T input
 * patch d, and the output tile is A^T Y A. The GEMMs run on the micro-kernel
 * of the panel geometry (kk_fisa.ukr), so every --cpu geometry works.
 *
 * Work: the tiles of all images are numbered image by image, row by row,
 * and cut into panels of NR tiles, the panels into groups (one panel, or
 * several when U is too big for L2 and would otherwise be streamed once
 * per panel). A task takes one group and a chunk of output-channel panels:
 * it transforms the group's input into its worker scratch (V: T*T x C x NR
 * per panel), then, per block of KK_WINO_MP row panels, runs the T*T GEMMs
 * into scratch (Y: T*T x MP*MR x NR per panel; each A panel of U is used
 * for every panel of the group while in L1) and writes the output tiles
 * with the epilogue (bias, residual, activation). Every
 * output element is computed the same way whatever the chunking (K blocks
 * of KC are fixed), so results are bit-identical for every thread count.
 *
 * The transforms use GCC/Clang vector extensions (16 floats, any target;
 * AVX-512 / AVX2 copies through target attributes when the running CPU has
 * them) and plain loops on other compilers.
 */
#ifndef KK_WINO_H
#define KK_WINO_H
#include <stddef.h>
#include <stdint.h>

#include "kk.h"
#include "kk_fast.h"

#define KK_WINO_MP 4 /* MR row panels of one GEMM block (Y scratch) */

typedef struct kk_fwino_f32 {
    kk_fisa k;
    const float *x, *u, *b, *res;
    float *y, *scratch;
    int64_t n, c, m, ih, iw, oh, ow, pt, pl;
    int tm, tt;                      /* output tile m (2 or 4), input tile T = m + 2 */
    int64_t th, tw, ntiles, npn;     /* tile rows / columns per image, tiles, tile panels */
    int64_t grp, ngrp;               /* tile panels per task (sharing each U panel), groups */
    int64_t npm, mchunk, nmc, ntasks; /* row panels, panels per chunk, chunks, tasks */
    int64_t wfloats;                 /* scratch floats per worker */
    int xf;                          /* transform code: 0 plain, KK_ISA_AVX2, KK_ISA_AVX512 */
    int act;
    float alpha, beta;
} kk_fwino_f32;

/* 1 when kk_fwino handles this tile size (m = 2 or 4). */
KK_API int kk_fwino_tile_ok(int tm);

/* Filter transform of w (M, C, 3, 3) for tile m into dst: (m + 2)^2 blocks
 * of M x C, each in row panels of mr (kk_fpack_rows_f32's layout), computed
 * in double. dst holds (m + 2)^2 * M * C floats. */
KK_API void kk_fwino_weights_f32(const float *w, float *dst, int64_t m, int64_t c, int tm, int mr);

/* Scratch bytes (a 64-byte multiple) of a Winograd conv run by up to
 * `slots` threads. */
KK_API int64_t kk_fwino_scratch_bytes(int isa, int slots, int tm, int64_t n, int64_t c, int64_t m, int64_t oh,
                                      int64_t ow);

/* x (n, c, ih, iw), u from kk_fwino_weights_f32 with k.mr, b and res NULL
 * when absent, y (n, m, oh, ow) with oh = ih + pads[0] + pads[2] - 2 and
 * ow = iw + pads[1] + pads[3] - 2. scratch: kk_fwino_scratch_bytes(isa,
 * threads, ...) bytes, 64-byte aligned. */
KK_API void kk_fwino_init_f32(kk_fwino_f32 *p, kk_fisa k, int tm, const float *x, const float *u, const float *b,
                              const float *res, float *y, void *scratch, int64_t n, int64_t c, int64_t m,
                              const int64_t *in_sp, const int64_t *out_sp, const int64_t *pads, int act,
                              float alpha, float beta, int nthreads);
KK_API void kk_fwino_task_f32(void *plan, int64_t task, int worker);

#endif
