/*
 * kk_fast.h - kiln's fast CPU kernels (kernels/fast/fast.c): packed SGEMM
 * for convolutions (1x1 directly, any other geometry through an im2col
 * that writes straight into the micro-kernel's panel layout), for Gemm and
 * MatMul with a constant B, a direct depthwise convolution and a 2-D
 * MaxPool. float32 only; everything else stays on the reference kernels
 * (kernels/ref/).
 *
 * Layout of the work. C (M x N) += A (M x K) * B (K x N) is cut into tiles
 * of MR rows by NR columns computed by a register-blocked micro-kernel that
 * reads A as panels of MR rows ([k][MR], MR values per k) and B as panels
 * of NR columns ([k][NR]). The constant operand is packed into its panels
 * by the compiler (kk_fpack_rows / kk_fpack_cols, at compile time) and
 * stored in the weights blob with exactly the bytes of the original tensor:
 * full panels first, then a narrower tail panel ([k][M % MR] or
 * [k][N % NR]) that the kernel widens with zeros in scratch at run time.
 * The run-time operand is packed per task into a per-worker scratch area
 * (a block of up to KK_FCONV_NCP im2col panels, or the A panels of a chunk
 * of Gemm rows), or, when a single-image conv has too few column blocks
 * for the threads, once into shared scratch by a first round of tasks.
 * Where packing costs more than it saves it is skipped: a 1x1 conv with a
 * short K reads its full B panels in place (kk_fisa.ukrs), a Gemm reads
 * full rows of a non-transposed A in place (kk_fisa.ukra), and a Gemm of
 * one row is a matrix-vector product (kk_fisa.gemv). K is cut into blocks of
 * KC; the epilogue (bias, residual, activation) is applied to each tile
 * after its last K block, while it is still in registers.
 *
 * Instruction sets: a kk_fisa value names the micro-kernels for one panel
 * geometry. kk_fisa_portable gives plain C ones (any compiler, any CPU);
 * kk_fisa_x86 (kernels/fast/fast_x86.c) gives AVX2+FMA (6x16) or AVX-512
 * (8x32) ones and falls back to plain C kernels for the same panel geometry
 * when the CPU running the code lacks the instruction set, so packed
 * weights are valid everywhere.
 *
 * Threads: every kernel is split into independent tasks (output channel
 * blocks x spatial blocks, or planes); kk_fast_run runs them serially or on
 * a pool (kernels/fast/pool.c) whose first member is a kk_par. No task
 * reduces across another and K blocking never depends on the thread
 * count, so results are bit-identical for every thread count. A task uses
 * scratch slot `worker` only; a job of n tasks involves workers < n only.
 *
 * The x86 kernels never call plain C (non-VEX) code with the upper vector
 * state dirty: on some machines that costs a state transition per call,
 * which once made a depthwise layer 20x slower.
 */
#ifndef KK_FAST_H
#define KK_FAST_H
#include <stddef.h>
#include <stdint.h>

#include "kk.h"

/* Panel geometries (also the --cpu choices that use the fast kernels). */
enum { KK_ISA_PORTABLE = 1, KK_ISA_AVX2 = 2, KK_ISA_AVX512 = 3 };

/* MR, NR and KC of a panel geometry; 0 for an unknown code. */
KK_API int kk_fisa_mr(int isa);
KK_API int kk_fisa_nr(int isa);
KK_API int kk_fisa_kc(int isa);

/* ------------------------------------------------------------- parallel */

/* One task of a kernel; worker < the pool's thread count picks the scratch slot. */
typedef void kk_task_fn(void *arg, int64_t task, int worker);

/* What a thread pool exposes to the kernels (the pool's first member). */
typedef struct kk_par {
    void (*run)(struct kk_par *par, kk_task_fn *fn, void *arg, int64_t ntasks);
    int nthreads;
} kk_par;

/* Runs tasks 0..ntasks-1 of fn: on par (a kk_par *) when not NULL, else in order here. */
KK_API void kk_fast_run(void *par, kk_task_fn *fn, void *arg, int64_t ntasks);
/* Threads par runs on (1 for NULL). */
KK_API int kk_fast_threads(const void *par);

/* -------------------------------------------------------- micro-kernels */

/* One MR x NR output tile. c points at its first element (row stride ldc);
 * rows >= mr and columns >= nr are computed but never read or written.
 * accum: add to c's current values (a later K block) instead of storing.
 * last: the final K block: add bias_row[i] (per row), bias_col[j] (per
 * column), res[i * ldc + j] (each NULL when absent), then apply act.
 * pfa: 0, or how many floats ahead of the A row being read the x86 kernels
 * prefetch A (weights too big to stay cached between runs, read once). */
typedef struct kk_ftile {
    float *c;
    int64_t ldc;
    const float *bias_row, *bias_col, *res;
    int mr, nr;
    int accum, last;
    int act;
    float alpha, beta;
    int pfa;
} kk_ftile;

/* c (+)= a-panel (kc x MR) times b-panel (kc x NR), then the epilogue. */
typedef void kk_fukr_fn(int64_t kc, const float *a, const float *b, const kk_ftile *t);

/* kk_fukr_fn with B rows ldb floats apart (a full-width panel read in
 * place, e.g. a 1x1 convolution's input rows): reads NR columns of each row. */
typedef void kk_fukrs_fn(int64_t kc, const float *a, const float *b, int64_t ldb, const kk_ftile *t);

/* kk_fukr_fn with an unpacked A: row i at a + i * lda, k contiguous (a
 * row-major matrix read in place); reads MR full rows. */
typedef void kk_fukra_fn(int64_t kc, const float *a, int64_t lda, const float *b, const kk_ftile *t);

/* One output row (t->mr == 1): c[j] (+)= sum over k < kc of a[k] * b[k * ldb + j]
 * for j < t->nr (<= NR; only those columns are read), then the epilogue.
 * A Gemm with one row (a matrix-vector product) runs on it. */
typedef void kk_fgemv_fn(int64_t kc, const float *a, const float *b, int64_t ldb, const kk_ftile *t);

/* One tile of the direct convolution (kk_direct.h): mv (1..KK_FD_MB /
 * KK_FD_VL) vectors of output channels by np (1..KK_FD_NP) positions,
 * over one block of taps; the last vector holds tail (1..KK_FD_VL)
 * channels, so the tile has mc = (mv - 1) * KK_FD_VL + tail. For tap
 * k < kn, w holds the channels' weights at w + k * mc and position j's
 * input element is xp[j][koff[k]].
 * The sums start at zero (first) or at the partial sums in acc (channel i
 * of position j at acc[j * KK_FD_MB + i]); unless last they are stored
 * back there. When last, output channel i of position j goes to
 * o[i * ldo + j] after the epilogue: bias[i], then res[i * ldo + j] (each
 * NULL when absent), then act. pf: prefetch w (it streams from memory). */
#define KK_FD_VL 16 /* output channels per vector */
#define KK_FD_MB 64 /* output channels per block (4 vectors) */
#define KK_FD_NP 6  /* output positions per tile */
#define KK_FD_PF 1024 /* floats ahead the x86 tile prefetches w */
typedef struct kk_fdtile {
    int64_t kn;
    const float *w;
    const int32_t *koff;
    const float *xp[KK_FD_NP];
    float *o;
    int64_t ldo;
    const float *bias, *res;
    float *acc;
    int mv, tail, np, pf, first, last;
    int act;
    float alpha, beta;
} kk_fdtile;
typedef void kk_fdtile_fn(const kk_fdtile *t);

struct kk_fdirect_f32;
/* The direct convolution's row mode (kk_direct.h): output row oy of image
 * img, every output channel, positions in the vector lanes. */
typedef void kk_fdrow_fn(const struct kk_fdirect_f32 *p, int64_t img, int64_t oy);

struct kk_fdw_f32;
/* Depthwise: computes plane `plane` (image * channels + channel); when
 * p->cblk > 0 (x86 kernels only), the block of planes [plane, plane +
 * cblk) of one image, clipped to its channels. */
typedef void kk_fdw_fn(const struct kk_fdw_f32 *p, int64_t plane);

/* dst[i] = src[i * stride] for i < n, or zeros when src is NULL (panel
 * packing's short rows; stride >= 1). */
typedef void kk_fcopy_fn(float *dst, const float *src, int64_t n, int64_t stride);

struct kk_fconv_f32;
/* im2col of rows [k0, k0 + kc) for output positions [j0, j0 + ncols) of
 * group data xg into panels (see kk_fconv_pack_b in fast.c); returns 0 when
 * it does not handle this geometry (the caller packs then). */
typedef int kk_fpack_fn(const struct kk_fconv_f32 *p, const float *xg, int64_t k0, int64_t kc, int64_t j0,
                        int64_t ncols, float *dst);

/* The kernels of one panel geometry. */
typedef struct kk_fisa {
    int isa, mr, nr, kc;
    kk_fukr_fn *ukr;
    kk_fdw_fn *dw;
    kk_fdw_fn *maxpool;             /* a MaxPool plane (kk_fdw_f32 without weights) */
    kk_fcopy_fn *copy;
    kk_fpack_fn *pack;              /* NULL: the plain C im2col only */
    kk_fukrs_fn *ukrs;              /* ukr on an unpacked full-width B */
    kk_fukra_fn *ukra;              /* ukr on an unpacked A of MR full rows */
    kk_fgemv_fn *gemv;              /* one-row tiles */
    kk_fdtile_fn *dtile;            /* NULL: the plain C tile of kernels/fast/direct.c */
    kk_fdrow_fn *drow;              /* NULL: the plain C row of kernels/fast/direct.c */
} kk_fisa;

/* The plain C copy (memcpy / zero loop). */
KK_API void kk_fcopy_c(float *dst, const float *src, int64_t n, int64_t stride);
/* Plain C kernels for the panel geometry of isa. */
KK_API kk_fisa kk_fisa_portable(int isa);

/* Applies the activation of t to its valid region (after the store). */
KK_API void kk_ftile_act(const kk_ftile *t);

/* -------------------------------------------------- compile-time packing */

/* Conv weights: groups blocks of mg rows x kg columns (row major, W as
 * (M, C/group * kernel)) into row panels of mr: per group, panel p holds
 * rows p*mr.. as [kg][mr]; the last (mg % mr rows) as [kg][mg % mr]. */
KK_API void kk_fpack_rows_f32(const float *w, float *dst, int64_t groups, int64_t mg, int64_t kg, int mr);
/* Gemm / MatMul B (k x n; stored (n, k) when trans) into column panels of
 * nr: panel q holds columns q*nr.. as [k][nr]; the last as [k][n % nr]. */
KK_API void kk_fpack_cols_f32(const float *b, float *dst, int64_t k, int64_t n, int trans, int nr);

/* Scratch bytes (a 64-byte multiple) of a packed conv (n images, group
 * groups of mg output channels, kg = C/group * prod(kernel) columns, osz
 * output positions) or gemm (m x n, inner kd) run by up to `slots` threads:
 * one slot per thread that can have a task, each as large as the node's K
 * block and column block need (so small layers reserve little). */
KK_API int64_t kk_fconv_scratch_bytes(int isa, int slots, int64_t n, int64_t group, int64_t mg, int64_t kg,
                                      int64_t osz);
KK_API int64_t kk_fgemm_scratch_bytes(int isa, int slots, int64_t m, int64_t n, int64_t kd);

/* ------------------------------------------------------------ Conv (GEMM) */

/* Conv with weights packed by kk_fpack_rows_f32 (rows = output channels,
 * columns = C/group * prod(kernel)), NCHW with 1..3 spatial dims, any
 * group, stride, dilation and padding. b, res: NULL when absent. scratch:
 * kk_fconv_scratch_bytes(isa, threads, ...) bytes, 64-byte aligned. */
#define KK_FCONV_TAPS 32 /* last-axis kernel taps whose column ranges a plan caches */
#define KK_FCONV_NCP 4   /* B panels one conv task packs and sweeps (its columns) */
#define KK_FCONV_A_L2 (256 * 1024) /* A bytes of a task's K block above which each A panel is held in L1 */
#define KK_FCONV_PF_A (512 * 1024) /* weight bytes from which the x86 kernels prefetch them (kk_ftile.pfa) */
#define KK_FCONV_PF_DIST 512       /* how far ahead, in floats: 64 k steps of an 8-row panel */
typedef struct kk_fconv_f32 {
    kk_fisa k;
    const float *x, *w, *b, *res;
    float *y, *scratch;
    int64_t n, c, m, group, cg, mg, kg;
    int64_t in[3], ks[3], out[3], s[3], d[3], pb[3];
    int64_t isz, osz, ksz;
    int pointwise;                  /* 1x1, stride 1, no padding: B is x itself */
    int64_t npm, npn, nmc, mchunk;  /* row panels, column blocks, row chunks, panels per chunk */
    int64_t lo2[KK_FCONV_TAPS], hi2[KK_FCONV_TAPS]; /* per last-axis tap: outputs reading inside */
    int64_t ntasks;
    int64_t wfloats;                /* scratch floats per worker */
    int shared;                     /* B packed once into shared scratch (npacks tasks first) */
    int64_t nkb, npacks;            /* K blocks; pack tasks (0 unless shared) */
    int act;
    float alpha, beta;
} kk_fconv_f32;

KK_API void kk_fconv_init_f32(kk_fconv_f32 *p, kk_fisa k, const float *x, const float *wpacked,
                              const float *b, const float *res, float *y, void *scratch, int64_t n,
                              int64_t c, int64_t m, int64_t group, int nsp, const int64_t *in_sp,
                              const int64_t *k_sp, const int64_t *out_sp, const int64_t *strides,
                              const int64_t *dilations, const int64_t *pads, int act, float alpha,
                              float beta, int nthreads);
/* Run p.npacks tasks of kk_fconv_pack_task_f32 (B into shared scratch;
 * none unless p.shared), then p.ntasks of kk_fconv_task_f32. */
KK_API void kk_fconv_pack_task_f32(void *plan, int64_t task, int worker);
KK_API void kk_fconv_task_f32(void *plan, int64_t task, int worker);

/* ----------------------------------------------------- Gemm, constant B */

/* y (m x n) = A' * B + bias_col + res, then act. A' is a (m x k, or k x m
 * stored when trans_a); B packed by kk_fpack_cols_f32. scratch:
 * kk_fgemm_scratch_bytes(isa, threads, ...) bytes, 64-byte aligned. */
typedef struct kk_fgemm_f32 {
    kk_fisa k;
    const float *a, *b, *bias, *res;
    float *y, *scratch;
    int64_t m, n, kd;
    int trans_a;
    int64_t npm, npn, ntasks;       /* row panels, column panels, tasks */
    int64_t jchunk, njb;            /* column panels per task, column blocks */
    int64_t mchunk, nmc;            /* row panels per task, row chunks */
    int64_t wfloats;                /* scratch floats per worker */
    int act;
    float alpha, beta;
} kk_fgemm_f32;

KK_API void kk_fgemm_init_f32(kk_fgemm_f32 *p, kk_fisa k, const float *a, int trans_a, const float *bpacked,
                              const float *bias, const float *res, float *y, void *scratch, int64_t m,
                              int64_t n, int64_t kd, int act, float alpha, float beta, int nthreads);
KK_API void kk_fgemm_task_f32(void *plan, int64_t task, int worker);

/* ------------------------------------------------------------- Depthwise */

/* 2-D depthwise conv (group == C, M = C * mult output channels), w (M, 1,
 * kh, kw) as in ONNX: output channel m reads input channel m / mult (a
 * one-channel input, group 1, is the case mult = M). Vectorized along the
 * output row for stride 1 and 2; any other geometry runs the same loops
 * without vectors. One task per (image, output channel), or, with mult 1 on
 * small planes with an x86 kernel, per (image, block of cblk channels):
 * the vectors then run across channels (kk_dw_x86.h). */
#define KK_FDW_CB_PLANE 400 /* largest output plane (oh * ow) computed in channel blocks */
#define KK_FDW_CB_BUF 20480 /* floats of a channel block's padded input and output planes (stack, 80 KiB) */
#define KK_FDW_CB_TAPS 81   /* most filter taps of a channel block */
typedef struct kk_fdw_f32 {
    kk_fisa k;
    const float *x, *w, *b, *res;
    float *y;
    int64_t c;                      /* output channels */
    int64_t mult;                   /* output channels per input channel */
    int64_t ih, iw, kh, kw, oh, ow, sh, sw, dh, dw, ph, pw;
    int64_t cblk;                   /* channels per task (0: one plane per task) */
    int64_t ntasks;
    int act;
    float alpha, beta;
} kk_fdw_f32;

KK_API void kk_fdw_init_f32(kk_fdw_f32 *p, kk_fisa k, const float *x, const float *w, const float *b,
                            const float *res, float *y, int64_t n, int64_t c, int64_t mult,
                            const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                            const int64_t *strides, const int64_t *dilations, const int64_t *pads, int act,
                            float alpha, float beta);
KK_API void kk_fdw_task_f32(void *plan, int64_t task, int worker);
/* 1 when a 2-D Conv of c input channels in `group` groups to m outputs
 * with wc input channels per filter is the kernel's case: one input
 * channel per group (group == c, wc == 1), m a multiple of c. */
KK_API int kk_fdw_ok(int64_t c, int64_t group, int64_t m, int64_t wc);
/* Channels per task of a depthwise conv (kk_fdw_f32.cblk) for kernels k:
 * the vector width across channels when k's depthwise kernel is an x86
 * one and the plane is small (oh * ow <= KK_FDW_CB_PLANE) with padded
 * planes that fit KK_FDW_CB_BUF; else 0. */
KK_API int64_t kk_fdw_cblock(kk_fisa k, int64_t c, int64_t ih, int64_t iw, int64_t kh, int64_t kw, int64_t oh,
                             int64_t ow, int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t ph, int64_t pw);
/* The plain C plane loop (the x86 kernels use it for strides above 2). */
KK_API void kk_fdw_plane_c(const kk_fdw_f32 *p, int64_t plane);

/* 2-D MaxPool of float32 without the Indices output, on the depthwise
 * plan (w, b, res NULL, act 0): the maximum of the window's input elements,
 * bit-identical to kk_maxpool_f32 (padding never wins; a NaN never wins
 * against a number, the result is NaN only for an all-NaN window). One
 * task per (image, channel). */
KK_API void kk_fmaxpool_init_f32(kk_fdw_f32 *p, kk_fisa k, const float *x, float *y, int64_t n, int64_t c,
                                 const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                                 const int64_t *strides, const int64_t *dilations, const int64_t *pads);
KK_API void kk_fmaxpool_task_f32(void *plan, int64_t task, int worker);
KK_API void kk_fmaxpool_plane_c(const kk_fdw_f32 *p, int64_t plane);
/* Output (oy, ox) of plane xp as kk_fmaxpool_plane_c computes it (the
 * vector kernels' redo of a window that came out as -inf). */
KK_API float kk_fmaxpool_point_c(const kk_fdw_f32 *p, const float *xp, int64_t oy, int64_t ox);
/* 1 when every one of `out` windows along an axis (input in, kernel k,
 * stride s, dilation d, begin pad pb) holds an input element: the fast
 * MaxPool's precondition (an all-padding window is the reference kernel's
 * lowest value, not -inf). */
KK_API int kk_fmaxpool_windows_ok(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t out);
/* ACC = the taps of output (OY, OX) of plane XP with filter WP, in (kh, kw)
 * order, without the epilogue. A macro so that each instruction set's
 * kernel compiles it itself (no call into code of another vector width,
 * which costs a state transition on x86). */
#define KK_FDW_POINT(P, XP, WP, OY, OX, ACC)                                         \
    do {                                                                             \
        (ACC) = 0.0f;                                                                \
        for (int64_t ka_ = 0; ka_ < (P)->kh; ka_++) {                                \
            const int64_t iy_ = (OY) * (P)->sh + ka_ * (P)->dh - (P)->ph;            \
            if (iy_ < 0 || iy_ >= (P)->ih) continue;                                 \
            for (int64_t kb_ = 0; kb_ < (P)->kw; kb_++) {                            \
                const int64_t ix_ = (OX) * (P)->sw + kb_ * (P)->dw - (P)->pw;        \
                if (ix_ < 0 || ix_ >= (P)->iw) continue;                             \
                (ACC) += (WP)[ka_ * (P)->kw + kb_] * (XP)[iy_ * (P)->iw + ix_];      \
            }                                                                        \
        }                                                                            \
    } while (0)
/* Columns [*lo, *hi) of an output row whose taps all lie inside the input
 * row (empty when the filter is wider than the padded row allows). */
KK_API void kk_fdw_interior(const kk_fdw_f32 *p, int64_t *lo, int64_t *hi);

#endif
