/*
 * fast/fast.c - the portable half of kiln's fast CPU kernels (kk_fast.h):
 * serial task runner, compile-time weight packing, the tile drivers of the
 * packed SGEMM (Conv through im2col panels, Gemm/MatMul with a constant B),
 * the depthwise convolution's plane loop, and plain C micro-kernels.
 *
 * The drivers never depend on the thread count for anything that changes
 * a result: tiles, K blocks and summation order are fixed by the panel
 * geometry, and a task writes only its own tiles. Threads only pick which
 * tasks run where.
 *
 * Pasted into generated code (KK_API static) like the reference kernels:
 * no allocation, no globals, only C library headers and kk*.h.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk.h"
#include "kk_fast.h"

/* ------------------------------------------------------------ geometry */

KK_API int kk_fisa_mr(int isa) {
    return isa == KK_ISA_PORTABLE ? 4 : isa == KK_ISA_AVX2 ? 6 : isa == KK_ISA_AVX512 ? 8 : 0;
}

KK_API int kk_fisa_nr(int isa) {
    return isa == KK_ISA_PORTABLE ? 16 : isa == KK_ISA_AVX2 ? 16 : isa == KK_ISA_AVX512 ? 32 : 0;
}

KK_API int kk_fisa_kc(int isa) { return isa >= KK_ISA_PORTABLE && isa <= KK_ISA_AVX512 ? 256 : 0; }

/* Per conv worker: one A panel (kc x MR) and a block of up to KK_FCONV_NCP
 * B panels (kc x NR each), kc = min(KC, kg). */
static int64_t kk_fconv_wfloats(int isa, int64_t kg, int64_t osz) {
    const int64_t kc = kg < kk_fisa_kc(isa) ? kg : kk_fisa_kc(isa), nr = kk_fisa_nr(isa);
    int64_t ncp = (osz + nr - 1) / nr;
    if (ncp > KK_FCONV_NCP) ncp = KK_FCONV_NCP;
    return (kc * (kk_fisa_mr(isa) + ncp * nr) + 15) / 16 * 16;
}

/* Most row panels of one gemm task: per K block each B panel, held in L1,
 * meets the task's A panels (packed or read in place) streaming from L2. */
#define KK_FGEMM_MCP 32

/* Row panels per gemm task for m rows. */
static int64_t kk_fgemm_mchunk(int isa, int64_t m) {
    const int64_t npm = (m + kk_fisa_mr(isa) - 1) / kk_fisa_mr(isa);
    return npm < KK_FGEMM_MCP ? (npm < 1 ? 1 : npm) : KK_FGEMM_MCP;
}

/* Per gemm worker: the A panels of a row chunk and one B panel (the tail's
 * widened copy), kc = min(KC, kd) rows each. */
static int64_t kk_fgemm_wfloats(int isa, int64_t m, int64_t kd) {
    const int64_t kc = kd < kk_fisa_kc(isa) ? kd : kk_fisa_kc(isa);
    return (kc * (kk_fgemm_mchunk(isa, m) * kk_fisa_mr(isa) + kk_fisa_nr(isa)) + 15) / 16 * 16;
}

/* Slots: no more than the tasks there can be (a worker past the task count
 * gets none: see kk_pool_share). */
static int64_t kk_fast_slots(int slots, int64_t maxtasks) {
    int64_t s = slots < 1 ? 1 : slots;
    return s < maxtasks ? s : maxtasks < 1 ? 1 : maxtasks;
}

/* A pointwise conv whose full B panels the micro-kernel reads in place
 * (rows isz apart): no packing, shared or not. Only for short K (each row
 * of an in-place panel is on its own page: more rows than the TLB holds
 * cost more than packing saves) and rows 64-byte multiples apart (a row
 * split over an extra cache line costs more too). */
#define KK_FCONV_KDIRECT 64
/* (also for K up to 4 * KK_FCONV_KDIRECT when a group has at most 32 output
 * channels: its B panels then meet so few A panels (4 at most) that packing
 * them costs more than it saves; MobileNetV2's 24<-96 56x56 project conv
 * 0.106 -> 0.075 ms) */
static int kk_fconv_direct(const kk_fconv_f32 *p) {
    return p->pointwise && p->k.ukrs != NULL && p->isz % 16 == 0 &&
           (p->kg <= KK_FCONV_KDIRECT || (p->mg <= 32 && p->kg <= 4 * KK_FCONV_KDIRECT));
}

/* Shared mode: one region per (K block, column block), each kc rows of
 * up to KK_FCONV_NCP panels (kc = min(KC, kg)); then one A tail panel per
 * thread. */
static int64_t kk_fconv_region(int isa, int64_t kg, int64_t osz) {
    const int64_t kc = kg < kk_fisa_kc(isa) ? kg : kk_fisa_kc(isa), nr = kk_fisa_nr(isa);
    int64_t ncp = (osz + nr - 1) / nr;
    if (ncp > KK_FCONV_NCP) ncp = KK_FCONV_NCP;
    return kc * ncp * nr;
}

/* Whether a conv with npn column blocks packs B once, shared by all row
 * chunks: one image and one group, and either too few column blocks for
 * the threads, or a single column block (small output planes, deep
 * layers) whose weights outgrow L2 while all of B fits in it. Then each
 * task streams its A panels once, each over all of K (kk_fconv_rows_first),
 * instead of once per K block and B panel. */
#define KK_FCONV_BIG_A (1024 * 1024) /* weight bytes from which A is streamed once */
#define KK_FCONV_B_L2 (1536 * 1024)  /* most bytes of a whole packed B kept in L2 */
static int kk_fconv_shared(int isa, int nthreads, int64_t n, int64_t group, int64_t npn, int64_t mg, int64_t kg,
                           int64_t osz) {
    if (n * group != 1) return 0;
    if (nthreads > 1 && npn < 4 * (int64_t)nthreads) return 1;
    const int64_t kc = kk_fisa_kc(isa), nkb = (kg + kc - 1) / kc;
    return npn == 1 && mg * kg * (int64_t)sizeof(float) > KK_FCONV_BIG_A &&
           nkb * kk_fconv_region(isa, kg, osz) * (int64_t)sizeof(float) <= KK_FCONV_B_L2;
}

static int64_t kk_fconv_shared_floats(int isa, int64_t kg, int64_t osz, int64_t npn, int slots) {
    const int64_t kc = kk_fisa_kc(isa), nkb = (kg + kc - 1) / kc;
    return nkb * npn * kk_fconv_region(isa, kg, osz) + (int64_t)slots * (kg < kc ? kg : kc) * kk_fisa_mr(isa);
}

KK_API int64_t kk_fconv_scratch_bytes(int isa, int slots, int64_t n, int64_t group, int64_t mg, int64_t kg,
                                      int64_t osz) {
    const int64_t nr = kk_fisa_nr(isa), mr = kk_fisa_mr(isa);
    const int64_t npn = (osz + KK_FCONV_NCP * nr - 1) / (KK_FCONV_NCP * nr);
    const int64_t tasks = n * group * npn * ((mg + mr - 1) / mr);
    int64_t bytes = kk_fast_slots(slots, tasks) * kk_fconv_wfloats(isa, kg, osz) * (int64_t)sizeof(float);
    if (kk_fconv_shared(isa, slots, n, group, npn, mg, kg, osz)) {
        /* a run with fewer threads than slots may also share: fewer tails */
        int64_t sh = kk_fconv_shared_floats(isa, kg, osz, npn, slots) * (int64_t)sizeof(float);
        sh = (sh + 63) / 64 * 64;
        if (sh > bytes) bytes = sh;
    }
    return bytes;
}

KK_API int64_t kk_fgemm_scratch_bytes(int isa, int slots, int64_t m, int64_t n, int64_t kd) {
    const int64_t nr = kk_fisa_nr(isa), mr = kk_fisa_mr(isa);
    const int64_t tasks = ((m + mr - 1) / mr) * ((n + nr - 1) / nr);
    return kk_fast_slots(slots, tasks) * kk_fgemm_wfloats(isa, m, kd) * (int64_t)sizeof(float);
}

/* ------------------------------------------------------------- parallel */

KK_API void kk_fast_run(void *par, kk_task_fn *fn, void *arg, int64_t ntasks) {
    kk_par *p = (kk_par *)par;
    if (p && p->nthreads > 1 && ntasks > 1) {
        p->run(p, fn, arg, ntasks);
        return;
    }
    for (int64_t t = 0; t < ntasks; t++) fn(arg, t, 0);
}

KK_API int kk_fast_threads(const void *par) {
    const kk_par *p = (const kk_par *)par;
    return p && p->nthreads > 1 ? p->nthreads : 1;
}

/* ------------------------------------------------------------ packing */

KK_API void kk_fpack_rows_f32(const float *w, float *dst, int64_t groups, int64_t mg, int64_t kg, int mr) {
    for (int64_t g = 0; g < groups; g++) {
        const float *wg = w + g * mg * kg;
        float *dg = dst + g * mg * kg;
        for (int64_t r0 = 0; r0 < mg; r0 += mr) {
            int64_t rows = mg - r0 < mr ? mg - r0 : mr;
            float *dp = dg + r0 * kg;
            for (int64_t k = 0; k < kg; k++)
                for (int64_t i = 0; i < rows; i++) dp[k * rows + i] = wg[(r0 + i) * kg + k];
        }
    }
}

KK_API void kk_fpack_cols_f32(const float *b, float *dst, int64_t k, int64_t n, int trans, int nr) {
    for (int64_t j0 = 0; j0 < n; j0 += nr) {
        int64_t cols = n - j0 < nr ? n - j0 : nr;
        float *dp = dst + j0 * k;
        for (int64_t kk = 0; kk < k; kk++)
            for (int64_t j = 0; j < cols; j++)
                dp[kk * cols + j] = trans ? b[(j0 + j) * k + kk] : b[kk * n + j0 + j];
    }
}

/* ----------------------------------------------------------- epilogue */

KK_API void kk_ftile_act(const kk_ftile *t) {
    kk_act_tile_f32(t->c, t->mr, t->nr, t->ldc, t->act, t->alpha, t->beta);
}

/* ---------------------------------------------- plain C micro-kernels */

/* MR x NR accumulators in a local array; with constant MR and NR the
 * compiler keeps them in vector registers where it can. NAME reads a packed
 * B panel (rows NR apart), SNAME one whose rows are ldb apart. */
#define KK_FUKR_C(NAME, SNAME, ANAME, MR, NR)                                                      \
    KK_API void SNAME(int64_t kc, const float *a, const float *b, int64_t ldb, const kk_ftile *t) { \
        float acc[MR][NR];                                                                         \
        for (int i = 0; i < MR; i++)                                                               \
            for (int j = 0; j < NR; j++)                                                           \
                acc[i][j] = t->accum && i < t->mr && j < t->nr ? t->c[i * t->ldc + j] : 0.0f;      \
        for (int64_t k = 0; k < kc; k++) {                                                         \
            for (int i = 0; i < MR; i++) {                                                         \
                const float av = a[i];                                                             \
                for (int j = 0; j < NR; j++) acc[i][j] += av * b[j];                               \
            }                                                                                      \
            a += MR;                                                                               \
            b += ldb;                                                                              \
        }                                                                                          \
        for (int i = 0; i < t->mr; i++) {                                                          \
            float *c = t->c + i * t->ldc;                                                          \
            for (int j = 0; j < t->nr; j++) {                                                      \
                float v = acc[i][j];                                                               \
                if (t->last) {                                                                     \
                    if (t->bias_row) v += t->bias_row[i];                                          \
                    if (t->bias_col) v += t->bias_col[j];                                          \
                    if (t->res) v += t->res[i * t->ldc + j];                                       \
                    if (t->act) v = kk_act_f32(t->act, v, t->alpha, t->beta);                      \
                }                                                                                  \
                c[j] = v;                                                                          \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    KK_API void NAME(int64_t kc, const float *a, const float *b, const kk_ftile *t) { SNAME(kc, a, b, NR, t); } \
    KK_API void ANAME(int64_t kc, const float *a, int64_t lda, const float *b, const kk_ftile *t) {             \
        float ap[256 * MR]; /* one K block of the rows as a panel, then the packed kernel */                 \
        for (int64_t k0 = 0; k0 < kc; k0 += 256) {                                                           \
            const int64_t n = kc - k0 < 256 ? kc - k0 : 256;                                                 \
            for (int i = 0; i < MR; i++)                                                                     \
                for (int64_t q = 0; q < n; q++) ap[q * MR + i] = a[i * lda + k0 + q];                        \
            kk_ftile h = *t;                                                                                 \
            h.accum = t->accum || k0 > 0;                                                                    \
            h.last = t->last && k0 + n == kc;                                                                \
            SNAME(n, ap, b + k0 * NR, NR, &h);                                                               \
        }                                                                                                    \
    }

KK_FUKR_C(kk_fukr_c4x16, kk_fukrs_c4x16, kk_fukra_c4x16, 4, 16)
KK_FUKR_C(kk_fukr_c6x16, kk_fukrs_c6x16, kk_fukra_c6x16, 6, 16)
KK_FUKR_C(kk_fukr_c8x32, kk_fukrs_c8x32, kk_fukra_c8x32, 8, 32)

/* One row of up to 32 columns (every geometry's NR fits). */
KK_API void kk_fgemv_c(int64_t kc, const float *a, const float *b, int64_t ldb, const kk_ftile *t) {
    float acc[32];
    const int nr = t->nr < 32 ? t->nr : 32;
    for (int j = 0; j < nr; j++) acc[j] = t->accum ? t->c[j] : 0.0f;
    for (int64_t k = 0; k < kc; k++) {
        const float av = a[k], *bk = b + k * ldb;
        for (int j = 0; j < nr; j++) acc[j] += av * bk[j];
    }
    for (int j = 0; j < nr; j++) {
        float v = acc[j];
        if (t->last) {
            if (t->bias_row) v += t->bias_row[0];
            if (t->bias_col) v += t->bias_col[j];
            if (t->res) v += t->res[j];
            if (t->act) v = kk_act_f32(t->act, v, t->alpha, t->beta);
        }
        t->c[j] = v;
    }
}

KK_API void kk_fcopy_c(float *dst, const float *src, int64_t n, int64_t stride) {
    if (src && stride == 1) memcpy(dst, src, (size_t)n * sizeof(float));
    else if (src)
        for (int64_t i = 0; i < n; i++) dst[i] = src[i * stride];
    else
        for (int64_t i = 0; i < n; i++) dst[i] = 0.0f;
}

KK_API kk_fisa kk_fisa_portable(int isa) {
    kk_fisa k;
    k.isa = isa;
    k.mr = kk_fisa_mr(isa);
    k.nr = kk_fisa_nr(isa);
    k.kc = kk_fisa_kc(isa);
    k.ukr = isa == KK_ISA_AVX512 ? kk_fukr_c8x32 : isa == KK_ISA_AVX2 ? kk_fukr_c6x16 : kk_fukr_c4x16;
    k.ukrs = isa == KK_ISA_AVX512 ? kk_fukrs_c8x32 : isa == KK_ISA_AVX2 ? kk_fukrs_c6x16 : kk_fukrs_c4x16;
    k.ukra = isa == KK_ISA_AVX512 ? kk_fukra_c8x32 : isa == KK_ISA_AVX2 ? kk_fukra_c6x16 : kk_fukra_c4x16;
    k.gemv = kk_fgemv_c;
    k.dw = kk_fdw_plane_c;
    k.maxpool = kk_fmaxpool_plane_c;
    k.copy = kk_fcopy_c;
    k.pack = NULL;
    k.dtile = NULL;
    k.drow = NULL;
    return k;
}

/* ------------------------------------------------------ panel helpers */

/* The A panel of rows [r0, r0 + rows) of a matrix packed by
 * kk_fpack_rows_f32 (block of mg x kg), K block [k0, k0 + kc), widened to
 * MR rows in tmp when it is the narrower tail panel. */
static const float *kk_fast_apanel(const kk_fisa *k, const float *wg, int64_t kg, int64_t r0, int64_t rows,
                                   int64_t k0, int64_t kc, float *tmp) {
    const float *src = wg + r0 * kg + k0 * rows;
    if (rows == k->mr) return src;
    for (int64_t q = 0; q < kc; q++) {
        int64_t i = 0;
        for (; i < rows; i++) tmp[q * k->mr + i] = src[q * rows + i];
        for (; i < k->mr; i++) tmp[q * k->mr + i] = 0.0f;
    }
    return tmp;
}

/* Outputs o in [0, out) with o * s + off inside [0, in): [*lo, *hi). */
static void kk_fast_range(int64_t off, int64_t s, int64_t in, int64_t out, int64_t *lo, int64_t *hi) {
    int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
    int64_t lim = in - 1 - off; /* o * s <= lim */
    int64_t b = lim < 0 ? 0 : lim / s + 1;
    if (b > out) b = out;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}

/* ------------------------------------------------------- Conv (GEMM) */

KK_API void kk_fconv_init_f32(kk_fconv_f32 *p, kk_fisa k, const float *x, const float *wpacked,
                              const float *b, const float *res, float *y, void *scratch, int64_t n,
                              int64_t c, int64_t m, int64_t group, int nsp, const int64_t *in_sp,
                              const int64_t *k_sp, const int64_t *out_sp, const int64_t *strides,
                              const int64_t *dilations, const int64_t *pads, int act, float alpha,
                              float beta, int nthreads) {
    memset(p, 0, sizeof *p);
    p->k = k;
    p->x = x;
    p->w = wpacked;
    p->b = b;
    p->res = res;
    p->y = y;
    p->scratch = (float *)scratch;
    p->n = n;
    p->c = c;
    p->m = m;
    p->group = group;
    p->cg = c / group;
    p->mg = m / group;
    p->act = act;
    p->alpha = alpha;
    p->beta = beta;
    int lead = 3 - nsp;
    for (int i = 0; i < 3; i++) {
        int j = i - lead;
        p->in[i] = j >= 0 ? in_sp[j] : 1;
        p->ks[i] = j >= 0 ? k_sp[j] : 1;
        p->out[i] = j >= 0 ? out_sp[j] : 1;
        p->s[i] = j >= 0 ? strides[j] : 1;
        p->d[i] = j >= 0 ? dilations[j] : 1;
        p->pb[i] = j >= 0 ? pads[j] : 0;
    }
    p->isz = p->in[0] * p->in[1] * p->in[2];
    p->osz = p->out[0] * p->out[1] * p->out[2];
    p->ksz = p->ks[0] * p->ks[1] * p->ks[2];
    p->kg = p->cg * p->ksz;
    p->pointwise = p->ksz == 1 && p->isz == p->osz;
    p->wfloats = kk_fconv_wfloats(k.isa, p->kg, p->osz);
    for (int i = 0; i < 3; i++)
        if (p->s[i] != 1 || p->pb[i] != 0) p->pointwise = 0;
    for (int64_t t = 0; t < p->ks[2] && t < KK_FCONV_TAPS; t++)
        kk_fast_range(t * p->d[2] - p->pb[2], p->s[2], p->in[2], p->out[2], &p->lo2[t], &p->hi2[t]);
    p->npm = (p->mg + k.mr - 1) / k.mr;
    p->npn = (p->osz + KK_FCONV_NCP * k.nr - 1) / (KK_FCONV_NCP * k.nr);
    /* enough tasks for the threads: split the output channels only when the
     * column blocks alone are too few. A split either repacks each block per
     * row chunk, or, for one image and one group, packs all of B once into
     * shared scratch first (kk_fconv_pack_task_f32) */
    int64_t cols = n * group * p->npn, want = 2 * (int64_t)(nthreads < 1 ? 1 : nthreads);
    p->shared = kk_fconv_shared(k.isa, nthreads, n, group, p->npn, p->mg, p->kg, p->osz) && !kk_fconv_direct(p);
    p->nkb = (p->kg + k.kc - 1) / k.kc;
    p->npacks = p->shared ? p->nkb * p->npn : 0;
    p->nmc = nthreads <= 1 || cols >= want ? 1 : (want + cols - 1) / cols;
    if (p->nmc > p->npm) p->nmc = p->npm;
    if (p->nmc < 1) p->nmc = 1;
    p->mchunk = (p->npm + p->nmc - 1) / p->nmc;
    p->nmc = (p->npm + p->mchunk - 1) / p->mchunk;
    p->ntasks = cols * p->nmc;
}

/* im2col of rows [k0, k0 + kc) of group g's B (kg x osz) for output
 * positions [j0, j0 + ncols) (ncols <= KK_FCONV_NCP * NR) into dst as
 * panels of NR columns, each [kc][NR], columns past ncols zero. The
 * positions are first cut into runs along the last output axis (never
 * across a panel); each row then copies, per run, the slice of the input
 * row its tap reads. */
static void kk_fconv_pack_b(const kk_fconv_f32 *p, const float *xg, int64_t k0, int64_t kc, int64_t j0,
                            int64_t ncols, float *dst) {
    const int64_t NR = p->k.nr, np = (ncols + NR - 1) / NR;
    kk_fcopy_fn *copy = p->k.copy;
    if (!p->pointwise && p->k.pack && p->k.pack(p, xg, k0, kc, j0, ncols, dst)) return;
    if (p->pointwise) {
        for (int64_t jl = 0; jl < np; jl++) {
            const int64_t w = ncols - jl * NR < NR ? ncols - jl * NR : NR;
            float *dp = dst + jl * kc * NR;
            const float *xs = xg + k0 * p->isz + j0 + jl * NR;
            for (int64_t q = 0; q < kc; q++) copy(dp + q * NR, xs + q * p->isz, w, 1);
            if (w < NR)
                for (int64_t q = 0; q < kc; q++) copy(dp + q * NR + w, NULL, NR - w, 1);
        }
        return;
    }
    const int64_t K1 = p->ks[1], K2 = p->ks[2], O1 = p->out[1], O2 = p->out[2];
    /* runs of rl columns: outputs (r0, r1, r2 ..), written at dst row offset rd */
    enum { MAXRUNS = 2 * KK_FCONV_NCP * 64 };
    int64_t rl[MAXRUNS], r0[MAXRUNS], r1[MAXRUNS], r2[MAXRUNS], rd[MAXRUNS];
    int nruns = 0;
    {
        int64_t o0 = j0 / (O1 * O2), o1 = (j0 / O2) % O1, o2 = j0 % O2, jj = 0;
        while (jj < ncols && nruns < MAXRUNS) {
            int64_t run = ncols - jj < O2 - o2 ? ncols - jj : O2 - o2;
            if (run > NR - jj % NR) run = NR - jj % NR;
            rl[nruns] = run;
            r0[nruns] = o0;
            r1[nruns] = o1;
            r2[nruns] = o2;
            rd[nruns] = (jj / NR) * kc * NR + jj % NR;
            nruns++;
            jj += run;
            o2 += run;
            if (o2 == O2) {
                o2 = 0;
                if (++o1 == O1) {
                    o1 = 0;
                    o0++;
                }
            }
        }
    }
    /* k -> (channel, t0, t1, t2), stepped incrementally */
    int64_t t2 = k0 % K2, t1 = (k0 / K2) % K1, t0 = (k0 / (K2 * K1)) % p->ks[0], ch = k0 / p->ksz;
    const int64_t tail = ncols - (np - 1) * NR; /* columns of the last panel */
    for (int64_t q = 0; q < kc; q++) {
        float *dr = dst + q * NR;
        const float *xc = xg + ch * p->isz;
        const int64_t off0 = t0 * p->d[0] - p->pb[0], off1 = t1 * p->d[1] - p->pb[1];
        const int64_t off2 = t2 * p->d[2] - p->pb[2];
        int64_t lo2, hi2;
        if (t2 < KK_FCONV_TAPS) {
            lo2 = p->lo2[t2];
            hi2 = p->hi2[t2];
        } else {
            kk_fast_range(off2, p->s[2], p->in[2], O2, &lo2, &hi2);
        }
        for (int r = 0; r < nruns; r++) {
            const int64_t o2 = r2[r], run = rl[r];
            const int64_t i0 = r0[r] * p->s[0] + off0, i1 = r1[r] * p->s[1] + off1;
            float *dd = dr + rd[r];
            if (i0 < 0 || i0 >= p->in[0] || i1 < 0 || i1 >= p->in[1]) {
                copy(dd, NULL, run, 1);
                continue;
            }
            const float *xr = xc + (i0 * p->in[1] + i1) * p->in[2];
            int64_t a = lo2 > o2 ? lo2 : o2, bnd = hi2 < o2 + run ? hi2 : o2 + run;
            if (bnd < a) bnd = a;
            int64_t e = a - o2;
            if (e) copy(dd, NULL, e, 1);
            if (bnd > a) copy(dd + e, xr + a * p->s[2] + off2, bnd - a, p->s[2]);
            e += bnd - a;
            if (e < run) copy(dd + e, NULL, run - e, 1);
        }
        if (tail < NR) copy(dr + (np - 1) * kc * NR + tail, NULL, NR - tail, 1);
        if (++t2 == K2) {
            t2 = 0;
            if (++t1 == K1) {
                t1 = 0;
                if (++t0 == p->ks[0]) {
                    t0 = 0;
                    ch++;
                }
            }
        }
    }
}

/* Task order: (image, group, row chunk, column panel), column panel fastest,
 * so consecutive tasks on one thread reuse the same weights from cache. */
KK_API void kk_fconv_pack_task_f32(void *plan, int64_t task, int worker) {
    const kk_fconv_f32 *p = (const kk_fconv_f32 *)plan;
    const kk_fisa *k = &p->k;
    const int64_t kb = task / p->npn, jb = task % p->npn, k0 = kb * k->kc;
    const int64_t kc = p->kg - k0 < k->kc ? p->kg - k0 : k->kc;
    const int64_t bw = (int64_t)KK_FCONV_NCP * k->nr, j0 = jb * bw;
    (void)worker;
    kk_fconv_pack_b(p, p->x, k0, kc, j0, p->osz - j0 < bw ? p->osz - j0 : bw,
                    p->scratch + task * kk_fconv_region(k->isa, p->kg, p->osz));
}

/* Shared B of column block jb, all K blocks packed: each A panel of rows
 * [ip0, ip1) streams once over all of K (one sequential read of its
 * weights) against B panels held in L2. Every tile sums its K blocks in
 * the same order as the K-block-first loop, so results are identical. */
static void kk_fconv_rows_first(const kk_fconv_f32 *p, const float *wg, int64_t jb, int64_t ip0, int64_t ip1,
                                float *atmp, kk_ftile *t, float *yg, const float *rg, int64_t g) {
    const kk_fisa *k = &p->k;
    const int64_t j0 = jb * (int64_t)KK_FCONV_NCP * k->nr;
    const int64_t ncols = p->osz - j0 < KK_FCONV_NCP * k->nr ? p->osz - j0 : KK_FCONV_NCP * k->nr;
    const int64_t np = (ncols + k->nr - 1) / k->nr, region = kk_fconv_region(k->isa, p->kg, p->osz);
    for (int64_t ip = ip0; ip < ip1; ip++) {
        const int64_t r0 = ip * k->mr, rows = p->mg - r0 < k->mr ? p->mg - r0 : k->mr;
        t->mr = (int)rows;
        t->bias_row = p->b ? p->b + g * p->mg + r0 : NULL;
        for (int64_t k0 = 0; k0 < p->kg; k0 += k->kc) {
            const int64_t kc = p->kg - k0 < k->kc ? p->kg - k0 : k->kc;
            const float *bblk = p->scratch + ((k0 / k->kc) * p->npn + jb) * region;
            const float *ap = rows == k->mr ? wg + r0 * p->kg + k0 * k->mr
                                            : kk_fast_apanel(k, wg, p->kg, r0, rows, k0, kc, atmp);
            t->accum = k0 > 0;
            t->last = k0 + kc == p->kg;
            for (int64_t jl = 0; jl < np; jl++) {
                const int64_t c0 = j0 + jl * k->nr;
                t->nr = (int)(p->osz - c0 < k->nr ? p->osz - c0 : k->nr);
                t->c = yg + r0 * p->osz + c0;
                t->res = rg ? rg + r0 * p->osz + c0 : NULL;
                k->ukr(kc, ap, bblk + jl * kc * k->nr, t);
            }
        }
    }
}

KK_API void kk_fconv_task_f32(void *plan, int64_t task, int worker) {
    const kk_fconv_f32 *p = (const kk_fconv_f32 *)plan;
    const kk_fisa *k = &p->k;
    int64_t jb = task % p->npn, rest = task / p->npn;
    int64_t mc = rest % p->nmc;
    rest /= p->nmc;
    int64_t g = rest % p->group, img = rest / p->group;
    const int64_t bw = (int64_t)KK_FCONV_NCP * k->nr, j0 = jb * bw;
    float *bpan, *atmp;
    if (p->shared) { /* B packed by kk_fconv_pack_task_f32; A tails after it */
        bpan = NULL;
        atmp = p->scratch + p->nkb * p->npn * kk_fconv_region(k->isa, p->kg, p->osz) +
               worker * (p->kg < k->kc ? p->kg : k->kc) * k->mr;
    } else {
        bpan = p->scratch + worker * p->wfloats;
        atmp = bpan + p->wfloats - (p->kg < k->kc ? p->kg : k->kc) * k->mr; /* A tail copy: the end */
    }
    const float *xg = p->x + (img * p->c + g * p->cg) * p->isz;
    const float *wg = p->w + g * p->mg * p->kg;
    float *yg = p->y + (img * p->m + g * p->mg) * p->osz;
    const float *rg = p->res ? p->res + (img * p->m + g * p->mg) * p->osz : NULL;
    const int64_t ncols = p->osz - j0 < bw ? p->osz - j0 : bw, np = (ncols + k->nr - 1) / k->nr;
    const int64_t ip0 = mc * p->mchunk, ip1 = ip0 + p->mchunk < p->npm ? ip0 + p->mchunk : p->npm;
    const int direct = kk_fconv_direct(p);
    kk_ftile t;
    /* weights too big to stay cached between runs: prefetched ahead */
    t.pfa = p->mg * p->kg * (int64_t)sizeof(float) >= KK_FCONV_PF_A ? KK_FCONV_PF_DIST : 0;
    t.ldc = p->osz;
    t.bias_col = NULL;
    t.act = p->act;
    t.alpha = p->alpha;
    t.beta = p->beta;
    if (p->shared && p->npn == 1 && (ip1 - ip0) * k->mr * p->kg * (int64_t)sizeof(float) > KK_FCONV_A_L2) {
        kk_fconv_rows_first(p, wg, jb, ip0, ip1, atmp, &t, yg, rg, g);
        return;
    }
    for (int64_t k0 = 0; k0 < p->kg; k0 += k->kc) {
        const int64_t kc = p->kg - k0 < k->kc ? p->kg - k0 : k->kc;
        const float *bblk = bpan;
        if (p->shared) bblk = p->scratch + ((k0 / k->kc) * p->npn + jb) * kk_fconv_region(k->isa, p->kg, p->osz);
        else if (direct) { /* full panels read in place; only a narrower tail is packed */
            if (ncols % k->nr) kk_fconv_pack_b(p, xg, k0, kc, j0 + (np - 1) * k->nr, ncols % k->nr, bpan);
        } else kk_fconv_pack_b(p, xg, k0, kc, j0, ncols, bpan);
        t.accum = k0 > 0;
        t.last = k0 + kc == p->kg;
        /* the narrower last A panel widened once per K block */
        const float *atail = ip1 == p->npm && p->mg % k->mr
                                 ? kk_fast_apanel(k, wg, p->kg, (ip1 - 1) * k->mr, p->mg % k->mr, k0, kc, atmp)
                                 : NULL;
        /* Usually one B panel stays in L1 while the chunk's A panels stream
         * from L2. When those A panels (weights) are too big for L2 they
         * would come from memory once per B panel, so then each A panel
         * stays in L1 while the block's few B panels (at most
         * KK_FCONV_NCP) come from L2. Each tile is computed the same way
         * in either order. */
        const int aouter = (ip1 - ip0) * k->mr * kc * (int64_t)sizeof(float) > KK_FCONV_A_L2;
        const int64_t nouter = aouter ? ip1 - ip0 : np, ninner = aouter ? np : ip1 - ip0;
        for (int64_t lo = 0; lo < nouter; lo++)
            for (int64_t li = 0; li < ninner; li++) {
                const int64_t jl = aouter ? li : lo, ip = ip0 + (aouter ? lo : li);
                const int64_t c0 = j0 + jl * k->nr;
                t.nr = (int)(p->osz - c0 < k->nr ? p->osz - c0 : k->nr);
                const int inplace = direct && t.nr == k->nr;
                const float *bp = inplace ? xg + k0 * p->isz + c0 : direct ? bpan : bblk + jl * kc * k->nr;
                const int64_t r0 = ip * k->mr, rows = p->mg - r0 < k->mr ? p->mg - r0 : k->mr;
                const float *ap = rows == k->mr ? wg + r0 * p->kg + k0 * k->mr : atail;
                t.mr = (int)rows;
                t.bias_row = p->b ? p->b + g * p->mg + r0 : NULL;
                t.c = yg + r0 * p->osz + c0;
                t.res = rg ? rg + r0 * p->osz + c0 : NULL;
                if (inplace) k->ukrs(kc, ap, bp, p->isz, &t);
                else k->ukr(kc, ap, bp, &t);
            }
    }
}

/* ----------------------------------------------------- Gemm, constant B */

KK_API void kk_fgemm_init_f32(kk_fgemm_f32 *p, kk_fisa k, const float *a, int trans_a, const float *bpacked,
                              const float *bias, const float *res, float *y, void *scratch, int64_t m,
                              int64_t n, int64_t kd, int act, float alpha, float beta, int nthreads) {
    memset(p, 0, sizeof *p);
    p->k = k;
    p->a = a;
    p->trans_a = trans_a;
    p->b = bpacked;
    p->bias = bias;
    p->res = res;
    p->y = y;
    p->scratch = (float *)scratch;
    p->m = m;
    p->n = n;
    p->kd = kd;
    p->act = act;
    p->alpha = alpha;
    p->beta = beta;
    p->npm = (m + k.mr - 1) / k.mr;
    p->npn = (n + k.nr - 1) / k.nr;
    /* a task packs the A panels of its row chunk once per K block for a
     * block of column panels; more chunks than the rows need only when
     * the threads want tasks (never a change to any sum) */
    const int64_t want = 4 * (int64_t)(nthreads < 1 ? 1 : nthreads);
    p->mchunk = kk_fgemm_mchunk(k.isa, m);
    p->nmc = (p->npm + p->mchunk - 1) / p->mchunk;
    if (nthreads > 1) {
        /* too few column panels: smaller row chunks; and a multiple of the
         * threads, so that no thread gets one chunk more than another */
        int64_t need = p->nmc * p->npn < want ? (want + p->npn - 1) / p->npn : p->nmc;
        need = (need + nthreads - 1) / nthreads * nthreads;
        const int64_t mc = (p->npm + need - 1) / need;
        if (mc >= 1 && mc < p->mchunk) p->mchunk = mc;
        p->nmc = (p->npm + p->mchunk - 1) / p->mchunk;
    }
    int64_t nb = nthreads <= 1 || p->nmc >= want ? 1 : (want + p->nmc - 1) / p->nmc;
    if (nb > p->npn) nb = p->npn;
    p->jchunk = (p->npn + nb - 1) / nb;
    p->njb = (p->npn + p->jchunk - 1) / p->jchunk;
    p->ntasks = p->nmc * p->njb;
    p->wfloats = kk_fgemm_wfloats(k.isa, m, kd);
}

/* One task: a chunk of row panels x a block of column panels, over all of
 * K. Per K block the chunk's A rows are packed into panels once; then each
 * B panel (in L1) meets every A panel (from L2) of the chunk. A Gemm of
 * one row is a matrix-vector product on k.gemv instead, B read in place. */
KK_API void kk_fgemm_task_f32(void *plan, int64_t task, int worker) {
    const kk_fgemm_f32 *p = (const kk_fgemm_f32 *)plan;
    const kk_fisa *k = &p->k;
    const int64_t mc = task / p->njb, jb = task % p->njb, MR = k->mr, NR = k->nr;
    const int64_t jp0 = jb * p->jchunk, jp1 = jp0 + p->jchunk < p->npn ? jp0 + p->jchunk : p->npn;
    const int64_t ip0 = mc * p->mchunk, ip1 = ip0 + p->mchunk < p->npm ? ip0 + p->mchunk : p->npm;
    const int64_t kcmax = p->kd < k->kc ? p->kd : k->kc;
    float *apan = p->scratch + worker * p->wfloats;
    float *btmp = apan + kcmax * p->mchunk * MR;
    const int inplace = !p->trans_a && k->ukra != NULL;
    kk_ftile t;
    t.pfa = 0;
    t.ldc = p->n;
    t.bias_row = NULL;
    t.act = p->act;
    t.alpha = p->alpha;
    t.beta = p->beta;
    if (p->m == 1 && k->gemv) {
        t.mr = 1;
        t.accum = 0;
        t.last = 1;
        for (int64_t jp = jp0; jp < jp1; jp++) {
            const int64_t j0 = jp * NR, cols = p->n - j0 < NR ? p->n - j0 : NR;
            t.c = p->y + j0;
            t.nr = (int)cols;
            t.bias_col = p->bias ? p->bias + j0 : NULL;
            t.res = p->res ? p->res + j0 : NULL;
            k->gemv(p->kd, p->a, p->b + j0 * p->kd, cols, &t);
        }
        return;
    }
    for (int64_t k0 = 0; k0 < p->kd; k0 += k->kc) {
        const int64_t kc = p->kd - k0 < k->kc ? p->kd - k0 : k->kc;
        /* A rows of the chunk as [kc][MR] panels, rows past m zero (with
         * ukra only the narrower last panel: full ones are read in place) */
        for (int64_t ip = ip0; ip < ip1; ip++) {
            float *ap = apan + (ip - ip0) * kc * MR;
            const int64_t r0 = ip * MR, rows = p->m - r0 < MR ? p->m - r0 : MR;
            if (inplace && rows == MR) continue;
            if (rows < MR)
                for (int64_t q = 0; q < kc; q++)
                    for (int64_t i = rows; i < MR; i++) ap[q * MR + i] = 0.0f;
            if (p->trans_a) {
                for (int64_t q = 0; q < kc; q++) {
                    const float *ac = p->a + (k0 + q) * p->m + r0;
                    for (int64_t i = 0; i < rows; i++) ap[q * MR + i] = ac[i];
                }
            } else {
                for (int64_t i = 0; i < rows; i++) {
                    const float *ar = p->a + (r0 + i) * p->kd + k0;
                    for (int64_t q = 0; q < kc; q++) ap[q * MR + i] = ar[q];
                }
            }
        }
        t.accum = k0 > 0;
        t.last = k0 + kc == p->kd;
        for (int64_t jp = jp0; jp < jp1; jp++) {
            const int64_t j0 = jp * NR, cols = p->n - j0 < NR ? p->n - j0 : NR;
            const float *bp = p->b + j0 * p->kd + k0 * cols;
            if (cols != NR) { /* the narrower tail panel, widened with zeros */
                for (int64_t q = 0; q < kc; q++) {
                    int64_t j = 0;
                    for (; j < cols; j++) btmp[q * NR + j] = bp[q * cols + j];
                    for (; j < NR; j++) btmp[q * NR + j] = 0.0f;
                }
                bp = btmp;
            }
            t.nr = (int)cols;
            t.bias_col = p->bias ? p->bias + j0 : NULL;
            for (int64_t ip = ip0; ip < ip1; ip++) {
                const int64_t r0 = ip * MR, rows = p->m - r0 < MR ? p->m - r0 : MR;
                t.c = p->y + r0 * p->n + j0;
                t.mr = (int)rows;
                t.res = p->res ? p->res + r0 * p->n + j0 : NULL;
                if (inplace && rows == MR) k->ukra(kc, p->a + r0 * p->kd + k0, p->kd, bp, &t);
                else k->ukr(kc, apan + (ip - ip0) * kc * MR, bp, &t);
            }
        }
    }
}

/* ------------------------------------------------------------ Depthwise */

KK_API void kk_fdw_init_f32(kk_fdw_f32 *p, kk_fisa k, const float *x, const float *w, const float *b,
                            const float *res, float *y, int64_t n, int64_t c, int64_t mult,
                            const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                            const int64_t *strides, const int64_t *dilations, const int64_t *pads, int act,
                            float alpha, float beta) {
    memset(p, 0, sizeof *p);
    p->k = k;
    p->x = x;
    p->w = w;
    p->b = b;
    p->res = res;
    p->y = y;
    p->mult = mult > 1 ? mult : 1;
    p->c = c * p->mult;
    p->ih = in_sp[0];
    p->iw = in_sp[1];
    p->kh = k_sp[0];
    p->kw = k_sp[1];
    p->oh = out_sp[0];
    p->ow = out_sp[1];
    p->sh = strides[0];
    p->sw = strides[1];
    p->dh = dilations[0];
    p->dw = dilations[1];
    p->ph = pads[0];
    p->pw = pads[1];
    p->act = act;
    p->alpha = alpha;
    p->beta = beta;
    p->ntasks = n * p->c;
    if (w && p->mult == 1) { /* not a MaxPool plan, one output channel per input channel */
        p->cblk = kk_fdw_cblock(k, p->c, p->ih, p->iw, p->kh, p->kw, p->oh, p->ow, p->sh, p->sw, p->dh, p->dw,
                                p->ph, p->pw);
        if (p->cblk) p->ntasks = n * ((p->c + p->cblk - 1) / p->cblk);
    }
}

KK_API int kk_fdw_ok(int64_t c, int64_t group, int64_t m, int64_t wc) {
    return group > 0 && group == c && wc == 1 && m % group == 0;
}

KK_API int64_t kk_fdw_cblock(kk_fisa k, int64_t c, int64_t ih, int64_t iw, int64_t kh, int64_t kw, int64_t oh,
                             int64_t ow, int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t ph, int64_t pw) {
    const int64_t lanes = k.isa == KK_ISA_AVX512 ? 16 : k.isa == KK_ISA_AVX2 ? 8 : 0;
    if (!lanes || k.dw == kk_fdw_plane_c || c < 2 || sw < 1 || sw > 2 || sh < 1 || oh < 1 || ow < 1 ||
        oh * ow > KK_FDW_CB_PLANE || kh * kw > KK_FDW_CB_TAPS)
        return 0;
    /* the padded input plane (every row and column a tap reads) and the output plane, lanes floats each */
    const int64_t ny = ph + ih > (oh - 1) * sh + (kh - 1) * dh + 1 ? ph + ih : (oh - 1) * sh + (kh - 1) * dh + 1;
    const int64_t nx = pw + iw > (ow - 1) * sw + (kw - 1) * dw + 1 ? pw + iw : (ow - 1) * sw + (kw - 1) * dw + 1;
    const int64_t osz = (oh * ow + lanes - 1) / lanes * lanes;
    return (ny * nx + osz) * lanes <= KK_FDW_CB_BUF ? lanes : 0;
}

KK_API void kk_fdw_task_f32(void *plan, int64_t task, int worker) {
    const kk_fdw_f32 *p = (const kk_fdw_f32 *)plan;
    (void)worker;
    if (p->cblk) { /* task: (image, block of channels) */
        const int64_t nb = (p->c + p->cblk - 1) / p->cblk;
        p->k.dw(p, task / nb * p->c + task % nb * p->cblk);
    } else {
        p->k.dw(p, task);
    }
}

KK_API void kk_fdw_interior(const kk_fdw_f32 *p, int64_t *lo, int64_t *hi) {
    /* first tap inside: ox * sw - pw >= 0; last tap inside:
     * ox * sw + (kw - 1) * dw - pw <= iw - 1 */
    int64_t a = (p->pw + p->sw - 1) / p->sw;
    int64_t lim = p->iw - 1 - (p->kw - 1) * p->dw + p->pw;
    int64_t b = lim < 0 ? 0 : lim / p->sw + 1;
    if (b > p->ow) b = p->ow;
    if (a > p->ow) a = p->ow;
    if (b < a) b = a;
    *lo = a;
    *hi = b;
}

/* Output rows whose taps all lie inside the input sum the interior columns
 * ([lo, hi), kk_fdw_interior) tap by tap over a row of accumulators
 * (KK_FDW_ROWC at a time: loops the compiler can vectorize, no bounds
 * checks), in the same (kh, kw) order as KK_FDW_POINT, which computes the
 * other outputs. */
#define KK_FDW_ROWC 256
KK_API void kk_fdw_plane_c(const kk_fdw_f32 *p, int64_t plane) {
    const int64_t ch = plane % p->c;
    const float *xp = p->x + plane / p->mult * p->ih * p->iw;
    const float *wp = p->w + ch * p->kh * p->kw;
    float *yp = p->y + plane * p->oh * p->ow;
    const float *rp = p->res ? p->res + plane * p->oh * p->ow : NULL;
    const float bias = p->b ? p->b[ch] : 0.0f;
    int64_t lo, hi;
    kk_fdw_interior(p, &lo, &hi);
    float acc[KK_FDW_ROWC];
    for (int64_t oy = 0; oy < p->oh; oy++) {
        const int64_t iy0 = oy * p->sh - p->ph;
        const int inside = iy0 >= 0 && iy0 + (p->kh - 1) * p->dh < p->ih;
        for (int64_t ox = 0; ox < p->ow; ox++) {
            float v;
            if (inside && ox >= lo && ox < hi) {
                const int64_t n = hi - ox < KK_FDW_ROWC ? hi - ox : KK_FDW_ROWC;
                for (int64_t j = 0; j < n; j++) acc[j] = 0.0f;
                for (int64_t a = 0; a < p->kh; a++)
                    for (int64_t b = 0; b < p->kw; b++) {
                        const float wv = wp[a * p->kw + b];
                        const float *xq = xp + (iy0 + a * p->dh) * p->iw + ox * p->sw + b * p->dw - p->pw;
                        if (p->sw == 1)
                            for (int64_t j = 0; j < n; j++) acc[j] += wv * xq[j];
                        else
                            for (int64_t j = 0; j < n; j++) acc[j] += wv * xq[j * p->sw];
                    }
                for (int64_t j = 0; j < n; j++) {
                    v = acc[j] + bias;
                    if (rp) v += rp[oy * p->ow + ox + j];
                    yp[oy * p->ow + ox + j] = v;
                }
                ox += n - 1;
                continue;
            }
            KK_FDW_POINT(p, xp, wp, oy, ox, v);
            v += bias;
            if (rp) v += rp[oy * p->ow + ox];
            yp[oy * p->ow + ox] = v;
        }
        kk_act_row_f32(yp + oy * p->ow, p->ow, p->act, p->alpha, p->beta);
    }
}

/* -------------------------------------------------------------- MaxPool */

KK_API void kk_fmaxpool_init_f32(kk_fdw_f32 *p, kk_fisa k, const float *x, float *y, int64_t n, int64_t c,
                                 const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                                 const int64_t *strides, const int64_t *dilations, const int64_t *pads) {
    kk_fdw_init_f32(p, k, x, NULL, NULL, NULL, y, n, c, 1, in_sp, k_sp, out_sp, strides, dilations, pads, 0, 0.0f,
                    0.0f);
}

KK_API void kk_fmaxpool_task_f32(void *plan, int64_t task, int worker) {
    const kk_fdw_f32 *p = (const kk_fdw_f32 *)plan;
    (void)worker;
    p->k.maxpool(p, task);
}

/* Per output, the taps inside the input only (the window always holds one),
 * in (kh, kw) order from NaN ("nothing yet"): a number replaces NaN, a NaN
 * never replaces a number, so the result is NaN only for an all-NaN window,
 * as kk_maxpool_f32. */
KK_API float kk_fmaxpool_point_c(const kk_fdw_f32 *p, const float *xp, int64_t oy, int64_t ox) {
    float best = NAN;
    for (int64_t a = 0; a < p->kh; a++) {
        const int64_t iy = oy * p->sh + a * p->dh - p->ph;
        if (iy < 0 || iy >= p->ih) continue;
        for (int64_t b = 0; b < p->kw; b++) {
            const int64_t ix = ox * p->sw + b * p->dw - p->pw;
            if (ix < 0 || ix >= p->iw) continue;
            const float v = xp[iy * p->iw + ix];
            if (v > best || isnan(best)) best = v;
        }
    }
    return best;
}

KK_API void kk_fmaxpool_plane_c(const kk_fdw_f32 *p, int64_t plane) {
    const float *xp = p->x + plane * p->ih * p->iw;
    float *yp = p->y + plane * p->oh * p->ow;
    for (int64_t oy = 0; oy < p->oh; oy++)
        for (int64_t ox = 0; ox < p->ow; ox++) yp[oy * p->ow + ox] = kk_fmaxpool_point_c(p, xp, oy, ox);
}

KK_API int kk_fmaxpool_windows_ok(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t out) {
    for (int64_t o = 0; o < out; o++) {
        int any = 0;
        for (int64_t j = 0; j < k && !any; j++) {
            const int64_t i = o * s + j * d - pb;
            any = i >= 0 && i < in;
        }
        if (!any) return 0;
    }
    return 1;
}
