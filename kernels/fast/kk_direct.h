/*
 * kk_direct.h - direct 2-D float32 convolution with output channels in the
 * vector lanes (kernels/fast/direct.c), for the layers where the packed
 * GEMM's im2col panels of 32 output positions waste work: strided
 * convolutions (whose im2col is a strided gather) and small maps (a 7x7
 * map fills 49 of 64 panel columns).
 *
 * Weights (M, C, kh, kw), any M, are packed at compile time
 * (kk_fdirect_pack_f32, same bytes) into blocks of up to KK_FD_MB output
 * channels, each [k][block width] with k = (c, ky, kx): one tap's weights
 * for the block are 1..4 contiguous vectors, the last of a narrower block
 * partial (masked loads; only its channels are stored). A tile is one block
 * of channels by up to KK_FD_NP consecutive output positions (numbered
 * row by row, so a tile may span output rows): per tap it loads the
 * block's weight vectors, broadcasts each position's input element (read
 * straight from the NCHW input through a table of tap offsets, so any
 * stride or dilation costs nothing extra) and accumulates 4 x 6 vectors in
 * registers over all of K; the epilogue (bias, residual, activation)
 * follows, and the tile is transposed into the NCHW output rows.
 *
 * Padding: a first round of tasks copies the input into scratch with zero
 * borders (none when the pads are all zero). Work: tasks are (image,
 * group of channel blocks, chunk of tiles); a group is as many blocks as
 * keep their weights within KK_FD_L2W bytes (at least one; a block has at
 * most KK_FD_KMAX taps), so the weights stay in L2 for every tile of the
 * chunk, and the chunk's input for every block of the group. Within a
 * chunk, groups of up to KK_FD_TG tiles run K in blocks of KK_FD_KC taps,
 * each block's weights read from L1 by every tile of the group, the tiles'
 * partial sums kept on the stack (exact: a float stored and reloaded).
 * Each output element is one ordered sum over K, so results are
 * bit-identical for every thread count.
 *
 * Row mode (kk_fdirect_rows: few taps and channels, a kernel above 1x1
 * (a 1x1 conv's GEMM reads its input in place), stride 1 or 2 across, no
 * dilation, m a multiple of KK_FD_RC): a network's first layer, 3 input
 * channels to 32 or 64 at stride 2, has too few taps (27) to pay for the
 * tile's transposing store, and its im2col is a strided gather (the
 * packed GEMM amortizes that only over more channels: KK_FD_RWORK, the
 * measurements at direct_wins in compiler/passes/pack.c). Positions go in
 * the vector lanes instead: per output row, blocks of KK_FD_RC channels
 * by up to KK_FD_RV vectors of consecutive output columns, each tap one
 * input vector per column vector (stride 2: two loads and a permute) used
 * by all KK_FD_RC channels against broadcast weights (the same packed
 * layout), the epilogue on the accumulators and plain row stores into the
 * NCHW output. Tasks are (image, chunk of output rows); each output is
 * one ordered sum over (c, ky, kx) from zero, then the bias, residual and
 * activation, so results do not depend on the thread count either.
 */
#ifndef KK_DIRECT_H
#define KK_DIRECT_H
#include <stddef.h>
#include <stdint.h>

#include "kk.h"
#include "kk_fast.h"

#define KK_FD_CHUNK 48      /* most tiles per task */
#define KK_FD_KMAX 8192     /* most taps (C * kh * kw): a block's weights, 2 MiB, stay in L2 */
#define KK_FD_L2W (1 << 20) /* weight bytes of the channel blocks one task sweeps */
#define KK_FD_KC 96         /* taps per block of K (its weights stay in L1 for a group of tiles) */
#define KK_FD_TG 12         /* most tiles sharing a K block (their partial sums on the stack) */
#define KK_FD_RC 8          /* row mode: output channels per block */
#define KK_FD_RV 3          /* row mode: most vectors of output columns per block */
#define KK_FD_RKMAX 128     /* row mode: most taps (beyond, the tiles amortize their stores) */
#define KK_FD_RWORK 4800    /* row mode: most taps x channels (beyond, the GEMM amortizes its im2col) */

typedef struct kk_fdirect_f32 {
    kk_fisa k;
    const float *x, *w, *b, *res;
    float *y, *xpad;                 /* xpad: the padded input in scratch (NULL without pads) */
    const float *xp;                 /* the input the tiles read: xpad or x */
    int32_t *koff;                   /* per tap: its offset in a padded image */
    int64_t n, c, m, ih, iw, oh, ow, sh, sw, pt, pl, hp, wp;
    int64_t kn, npos, ntile, nmb, gmb, ngrp, nch, tchunk, ntasks; /* taps, positions, tiles, channel
                                      blocks (gmb per task: ngrp groups), tile chunks (tchunk tiles) */
    int64_t npads, ppt;              /* pad tasks, planes per pad task */
    int pf;                          /* prefetch the weights in a task's first tile */
    int rows;                        /* row mode; tasks are (image, chunk of rchunk output rows) */
    int64_t kh, kw, rchunk, nrch;
    int act;
    float alpha, beta;
} kk_fdirect_f32;

/* 1 when the direct kernel takes m output channels. */
KK_API int kk_fdirect_ok(int64_t m);

/* 1 when row mode computes this geometry (the plan then uses it). */
KK_API int kk_fdirect_rows(int64_t c, int64_t m, const int64_t *k_sp, const int64_t *strides,
                           const int64_t *dilations);

/* w (m, k) row major (k = C * kh * kw) into the block layout above. */
KK_API void kk_fdirect_pack_f32(const float *w, float *dst, int64_t m, int64_t k);

/* Scratch bytes (a 64-byte multiple): the tap table and, with padding,
 * the padded input of all n images. */
KK_API int64_t kk_fdirect_scratch_bytes(int64_t n, int64_t c, const int64_t *in_sp, const int64_t *k_sp,
                                        const int64_t *pads);

/* x (n, c, ih, iw), w from kk_fdirect_pack_f32, b and res NULL when
 * absent, y (n, m, oh, ow); scratch: kk_fdirect_scratch_bytes, 64-byte
 * aligned. Run p.npads tasks of kk_fdirect_pad_task_f32, then p.ntasks of
 * kk_fdirect_task_f32. */
KK_API void kk_fdirect_init_f32(kk_fdirect_f32 *p, kk_fisa k, const float *x, const float *w, const float *b,
                                const float *res, float *y, void *scratch, int64_t n, int64_t c, int64_t m,
                                const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                                const int64_t *strides, const int64_t *dilations, const int64_t *pads, int act,
                                float alpha, float beta, int nthreads);
KK_API void kk_fdirect_pad_task_f32(void *plan, int64_t task, int worker);
KK_API void kk_fdirect_task_f32(void *plan, int64_t task, int worker);

#endif
