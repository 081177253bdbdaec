/*
 * kk_dw_x86.h - depthwise convolution and average pooling planes of kiln's
 * fast path (kernels/fast/dw_x86.c): AVX-512 and AVX2+FMA kernels selected
 * at run time, with plain C fallbacks for other CPUs.
 *
 * Depthwise (kk_fdw_f32 plans, kk_fast.h): the input rows an output row
 * block reads are copied once into a ring of zero-padded rows on the stack,
 * split into `stride` phases (row[i * s + q] goes to phase q), so every tap
 * of stride 1 or 2 is a unit-stride load and no bounds are checked. Square
 * 3x3 and 5x5 filters (stride 1 or 2) and 7x7 ones (stride 1, AVX-512)
 * without dilation, on planes of at least 4 output rows, run
 * register-blocked code: 4 output rows by 2 vectors of columns per step
 * (1 vector when a row fits one; AVX-512 hands rows of at most 8 columns
 * to the AVX2 kernel), each input vector loaded once per block and used by
 * every output row that reads it, the weights broadcast once per plane,
 * bias, residual and Relu / Clip applied on the accumulators (other
 * activations over the block's rows right after, in L1). Other geometries
 * run one vector at a time; strides above 2 run the plain C plane.
 *
 * Small planes (kk_fdw_f32.cblk, kk_fdw_cblock: at most KK_FDW_CB_PLANE
 * outputs, column stride 1 or 2) run in blocks of 16 (AVX-512) or 8
 * (AVX2) channels, one per vector lane, where the per-plane row set-up
 * would dominate: the block's input planes are transposed (16x16 / 8x8 in
 * registers) into a zero-padded channel-interleaved plane on the stack,
 * every output is one vector FMA per tap (taps transposed across the
 * lanes the same way; square 3x3 / 5x5 / 7x7 filters without column
 * dilation keep a filter row's taps in registers and compute 2 (AVX-512)
 * or 1 (AVX2) rows of 7 or 8 outputs per step, other filters one row of up
 * to 8), the bias and Relu / Clip are applied on the accumulators, and the
 * outputs are transposed back, with the residual added and the clamp
 * applied after it when there is one. Other activations run over the
 * interleaved outputs (or, after a residual, over each finished plane).
 * The taps are summed in (kh, kw) order from zero with one FMA each, as in
 * the row kernels, so both give the same bits (with the same vector width
 * for the exp-based activations, whose AVX-512 and AVX2 forms may differ
 * in the last bit). Lanes past the
 * last channel compute zeros that are never stored.
 *
 * AveragePool (2-D, any kernel, stride, dilation, padding, ceil_mode,
 * count_include_pad): the same padded rows, a sum of the window's taps in
 * (kh, kw) order from zero and one division by the window's count, which
 * is bit-identical to the reference kernel (kk_avgpool_f32). An all-padding
 * window (possible without count_include_pad) sends the node to the plain
 * C loop. GlobalAveragePool: vector partial sums in a fixed order (not the
 * reference's serial order), divided by the plane size. Tasks are groups
 * of whole planes, so results never depend on the thread count.
 */
#ifndef KK_DW_X86_H
#define KK_DW_X86_H
#include <stdint.h>

#include "kk.h"
#include "kk_fast.h"

/* Depthwise planes (kk_fdw_fn) with the instruction set, falling back to
 * kk_fdw_plane_c for strides above 2 or rows too wide for the stack ring.
 * Callers check the CPU (kk_fisa_x86 does). */
KK_API void kk_dwx_plane_avx512(const kk_fdw_f32 *p, int64_t plane);
KK_API void kk_dwx_plane_avx2(const kk_fdw_f32 *p, int64_t plane);

/* An average pooling plan: AveragePool (global 0) or GlobalAveragePool. */
typedef struct kk_favg_f32 {
    const float *x;
    float *y;
    int64_t ih, iw, kh, kw, oh, ow, sh, sw, dh, dw, ph, pw, peh, pew;
    int64_t plane;                  /* input elements per (image, channel) */
    int64_t nplanes, per_task, ntasks;
    int cip, global;                /* count_include_pad; GlobalAveragePool */
    int level;                      /* KK_ISA_AVX512 / KK_ISA_AVX2 kernels, else plain C */
    int plain;                      /* some window holds no element to count: plain C */
    int k22;                        /* 2x2 stride 2, every window inside: no ring */
} kk_favg_f32;

/* 2-D AveragePool of n x c planes (pads: begin h, w, end h, w). isa: the
 * node's panel geometry (KK_ISA_*); the vector kernels run when it names
 * an instruction set the CPU has. */
KK_API void kk_favgpool_init_f32(kk_favg_f32 *p, int isa, const float *x, float *y, int64_t n, int64_t c,
                                 const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                                 const int64_t *strides, const int64_t *dilations, const int64_t *pads,
                                 int count_include_pad);
/* GlobalAveragePool of nc planes of `plane` elements. */
KK_API void kk_fgavgpool_init_f32(kk_favg_f32 *p, int isa, const float *x, float *y, int64_t nc, int64_t plane);
KK_API void kk_favg_task_f32(void *plan, int64_t task, int worker);

#endif
