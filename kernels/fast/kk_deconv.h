/*
 * kk_deconv.h - float32 ConvTranspose on the packed SGEMM of the fast
 * kernels (kernels/fast/deconv.c; micro-kernels and panel layouts in
 * kk_fast.h).
 *
 * Per image and group, the transposed convolution is a GEMM followed by a
 * col2im:  col[(M/g * ksz) x isz] = W_g^T (M/g * ksz x C/g) * X_g (C/g x isz),
 * row (oc, tap) of col, column i (an input position) landing on output
 * position i*stride + tap*dilation - pad_begin of channel oc. W (C, M/g,
 * k...) is rearranged and packed at compile time (kk_fdeconv_pack_f32):
 * the output channels of a group are cut into chunks of
 * kk_fdeconv_chunk(...) channels, and each chunk's rows (its channels x
 * all taps, tap fastest) become row panels of MR ([C/g][MR] each, the
 * narrower tail panel last), so the packed tensor has W's size.
 *
 * Two modes, chosen from the geometry alone:
 *   exact: every output position is reached by exactly one tap of one
 *     input position (kernel == stride on each axis, no dilation, no
 *     padding, no output_padding; e.g. U-Net's k2 s2). A tile leaves the
 *     micro-kernel with bias and activation applied and is scattered
 *     straight into Y. Tasks: image x group x channel chunk x column block;
 *   accumulate: any other geometry. A task owns a channel chunk's output
 *     planes: it fills them with the bias, adds every tile into them
 *     (positions cropped by the pads are dropped), then applies the
 *     activation. Tasks: image x group x channel chunk.
 * The task split and every summation order depend on the geometry only,
 * never on the thread count, so results are bit-identical for any number
 * of threads; a task writes only its own outputs.
 */
#ifndef KK_DECONV_H
#define KK_DECONV_H
#include <stddef.h>
#include <stdint.h>

#include "kk.h"
#include "kk_fast.h"

/* Output channels per chunk (>= 1, <= max(mg, 1)) for panel geometry isa,
 * mg output channels per group and ksz kernel taps. */
KK_API int64_t kk_fdeconv_chunk(int isa, int64_t mg, int64_t ksz);

/* Packs W (c, mg, ksz taps; c = group * cg) into dst (same size) for isa:
 * per group, per chunk of channels, the chunk's (channel, tap) rows of W^T
 * as row panels of MR ([cg][rows of the panel] each). */
KK_API void kk_fdeconv_pack_f32(const float *w, float *dst, int isa, int64_t group, int64_t cg, int64_t mg,
                                int64_t ksz);

typedef struct kk_fdeconv_f32 {
    kk_fisa k;
    const float *x, *w, *b;
    float *y, *scratch;
    int64_t n, c, m, group, cg, mg;
    int64_t in[3], ks[3], out[3], s[3], d[3], pb[3];
    int64_t isz, osz, ksz;
    int64_t cch, nch;               /* output channels per chunk, chunks per group */
    int exact;                      /* see the top comment */
    int64_t bw, ncb;                /* input positions (columns) per block, blocks */
    int64_t kcm, nkb;               /* K block rows (min(KC, cg)), K blocks */
    int64_t colfloats;              /* tile / col buffer floats per worker */
    int64_t wfloats;                /* scratch floats per worker */
    int64_t ntasks;
    int act;
    float alpha, beta;
} kk_fdeconv_f32;

/* A plan for y = act(ConvTranspose(x, w) + b): NCHW with nsp (1..3)
 * spatial dims, any group, stride, dilation, pads (begin[nsp], end[nsp];
 * only the begin pads are read, out_sp already accounts for the rest and
 * for output_padding). w packed by kk_fdeconv_pack_f32 for k.isa; b NULL
 * or (m); act a KK_UN_* code with its alpha / beta. scratch:
 * kk_fdeconv_scratch_bytes(...) bytes, 64-byte aligned. Needs c >= group
 * (at least one input channel per group). */
KK_API void kk_fdeconv_init_f32(kk_fdeconv_f32 *p, kk_fisa k, const float *x, const float *wpacked,
                                const float *b, float *y, void *scratch, int64_t n, int64_t c, int64_t m,
                                int64_t group, int nsp, const int64_t *in_sp, const int64_t *k_sp,
                                const int64_t *out_sp, const int64_t *strides, const int64_t *dilations,
                                const int64_t *pads, int act, float alpha, float beta);
/* Scratch bytes (a 64-byte multiple) for up to `slots` threads. */
KK_API int64_t kk_fdeconv_scratch_bytes(int isa, int slots, int64_t n, int64_t c, int64_t m, int64_t group,
                                        int nsp, const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                                        const int64_t *strides, const int64_t *dilations, const int64_t *pads);
/* Runs task `task` (< p.ntasks) with scratch slot `worker`. */
KK_API void kk_fdeconv_task_f32(void *plan, int64_t task, int worker);

#endif
