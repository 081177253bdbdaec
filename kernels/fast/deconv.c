/*
 * fast/deconv.c - float32 ConvTranspose as a packed SGEMM plus col2im
 * (kk_deconv.h): the compile-time weight packing, the plan and the task.
 *
 * A task sweeps its column blocks; per block and K block it packs the
 * input rows it needs as B panels (a plain copy: B is X itself), then for
 * each B panel runs the micro-kernel over the chunk's A panels. A tile is
 * computed into a small buffer (the K sum stays in a per-worker col buffer
 * across K blocks when C/g exceeds KC) and scattered into Y right after
 * its last K block, while it is still in L1.
 *
 * Pasted into generated code (KK_API static) like the reference kernels:
 * no allocation, no globals, only C library headers and kk*.h.
 */
#include <stdint.h>
#include <string.h>

#include "kk.h"
#include "kk_deconv.h"
#include "kk_fast.h"

static int64_t kk_fdc_min(int64_t a, int64_t b) { return a < b ? a : b; }

KK_API int64_t kk_fdeconv_chunk(int isa, int64_t mg, int64_t ksz) {
    /* about 8 row panels per chunk: A reuse per packed B panel, and tasks */
    int64_t cch = 8 * (int64_t)kk_fisa_mr(isa) / (ksz > 0 ? ksz : 1);
    if (cch > mg) cch = mg;
    return cch < 1 ? 1 : cch;
}

KK_API void kk_fdeconv_pack_f32(const float *w, float *dst, int isa, int64_t group, int64_t cg, int64_t mg,
                                int64_t ksz) {
    const int64_t mr = kk_fisa_mr(isa), cch = kk_fdeconv_chunk(isa, mg, ksz), ld = mg * ksz;
    for (int64_t g = 0; g < group; g++)
        for (int64_t c0 = 0; c0 < mg; c0 += cch) {
            const int64_t rows = kk_fdc_min(cch, mg - c0) * ksz;
            const float *wc = w + g * cg * ld + c0 * ksz; /* W^T row r, column q: wc[q * ld + r] */
            float *dc = dst + (g * mg + c0) * ksz * cg;
            for (int64_t r0 = 0; r0 < rows; r0 += mr) {
                const int64_t pr = kk_fdc_min(mr, rows - r0);
                float *dp = dc + r0 * cg;
                for (int64_t q = 0; q < cg; q++)
                    for (int64_t i = 0; i < pr; i++) dp[q * pr + i] = wc[q * ld + r0 + i];
            }
        }
}

KK_API void kk_fdeconv_init_f32(kk_fdeconv_f32 *p, kk_fisa k, const float *x, const float *wpacked,
                                const float *b, float *y, void *scratch, int64_t n, int64_t c, int64_t m,
                                int64_t group, int nsp, const int64_t *in_sp, const int64_t *k_sp,
                                const int64_t *out_sp, const int64_t *strides, const int64_t *dilations,
                                const int64_t *pads, int act, float alpha, float beta) {
    memset(p, 0, sizeof *p);
    p->k = k;
    p->x = x;
    p->w = wpacked;
    p->b = b;
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
    p->exact = 1;
    const int lead = 3 - nsp;
    for (int i = 0; i < 3; i++) {
        const int j = i - lead;
        p->in[i] = j >= 0 ? in_sp[j] : 1;
        p->ks[i] = j >= 0 ? k_sp[j] : 1;
        p->out[i] = j >= 0 ? out_sp[j] : 1;
        p->s[i] = j >= 0 ? strides[j] : 1;
        p->d[i] = j >= 0 ? dilations[j] : 1;
        p->pb[i] = j >= 0 ? pads[j] : 0;
        if (p->ks[i] != p->s[i] || (p->d[i] != 1 && p->ks[i] != 1) || p->pb[i] != 0 ||
            p->out[i] != p->in[i] * p->s[i])
            p->exact = 0;
    }
    p->isz = p->in[0] * p->in[1] * p->in[2];
    p->osz = p->out[0] * p->out[1] * p->out[2];
    p->ksz = p->ks[0] * p->ks[1] * p->ks[2];
    p->cch = kk_fdeconv_chunk(k.isa, p->mg, p->ksz);
    p->nch = (p->mg + p->cch - 1) / p->cch;
    p->bw = (int64_t)KK_FCONV_NCP * k.nr;
    p->ncb = (p->isz + p->bw - 1) / p->bw;
    p->kcm = kk_fdc_min(k.kc, p->cg);
    p->nkb = (p->cg + k.kc - 1) / k.kc;
    const int64_t rows = p->cch * p->ksz;
    p->colfloats = p->nkb > 1 ? rows * p->bw : (int64_t)k.mr * k.nr;
    p->wfloats = (p->kcm * p->bw + p->colfloats + p->kcm * k.mr + rows + 15) / 16 * 16;
    p->ntasks = n * group * p->nch * (p->exact ? p->ncb : 1);
}

KK_API int64_t kk_fdeconv_scratch_bytes(int isa, int slots, int64_t n, int64_t c, int64_t m, int64_t group,
                                        int nsp, const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                                        const int64_t *strides, const int64_t *dilations, const int64_t *pads) {
    kk_fdeconv_f32 p;
    kk_fdeconv_init_f32(&p, kk_fisa_portable(isa), NULL, NULL, NULL, NULL, NULL, n, c, m, group, nsp, in_sp, k_sp,
                        out_sp, strides, dilations, pads, 0, 0.0f, 0.0f);
    int64_t s = slots < 1 ? 1 : slots;
    if (s > p.ntasks) s = p.ntasks < 1 ? 1 : p.ntasks;
    return s * p.wfloats * (int64_t)sizeof(float);
}

/* Rows [r0, r0 + mr) (chunk-local: channel * ksz + tap) by columns
 * [j, j + ncol) (input positions) of a finished tile (row stride ldc) into
 * the chunk's output planes yc: stored in exact mode, else added where the
 * output position lies inside the output. */
static void kk_fdc_scatter(const kk_fdeconv_f32 *p, const float *tile, int64_t ldc, int64_t r0, int64_t mr,
                           int64_t j, int64_t ncol, float *yc) {
    const int64_t I1 = p->in[1], I2 = p->in[2], K1 = p->ks[1], K2 = p->ks[2];
    const int64_t O0 = p->out[0], O1 = p->out[1], O2 = p->out[2], s2 = p->s[2];
    const int64_t cl0 = r0 / p->ksz, tap0 = r0 % p->ksz;
    const int64_t t20 = tap0 % K2, t10 = (tap0 / K2) % K1, t00 = tap0 / (K2 * K1);
    int64_t i0 = j / (I1 * I2), i1 = (j / I2) % I1, i2 = j % I2;
    for (int64_t jj = 0; jj < ncol;) {
        const int64_t run = kk_fdc_min(ncol - jj, I2 - i2);
        int64_t cl = cl0, t0 = t00, t1 = t10, t2 = t20;
        for (int64_t i = 0; i < mr; i++) {
            const int64_t o0 = i0 * p->s[0] + t0 * p->d[0] - p->pb[0], o1 = i1 * p->s[1] + t1 * p->d[1] - p->pb[1];
            const int64_t off2 = t2 * p->d[2] - p->pb[2];
            const float *restrict src = tile + i * ldc + jj;
            if (p->exact) {
                float *restrict dst = yc + cl * p->osz + (o0 * O1 + o1) * O2 + i2 * s2 + off2;
                if (s2 == 1) {
                    memcpy(dst, src, (size_t)run * sizeof(float));
                } else if (s2 == 2 && t2 == 0 && i + 1 < mr) {
                    /* taps 0 and 1 of the last axis are rows i and i + 1: one
                     * interleaved, contiguous store */
                    const float *restrict src1 = src + ldc;
                    int64_t u = 0;
                    for (; u + 4 <= run; u += 4) { /* written out for the SLP vectorizer */
                        const float a0 = src[u], a1 = src[u + 1], a2 = src[u + 2], a3 = src[u + 3];
                        const float b0 = src1[u], b1 = src1[u + 1], b2 = src1[u + 2], b3 = src1[u + 3];
                        float *restrict dd = dst + 2 * u;
                        dd[0] = a0;
                        dd[1] = b0;
                        dd[2] = a1;
                        dd[3] = b1;
                        dd[4] = a2;
                        dd[5] = b2;
                        dd[6] = a3;
                        dd[7] = b3;
                    }
                    for (; u < run; u++) {
                        dst[2 * u] = src[u];
                        dst[2 * u + 1] = src1[u];
                    }
                    i++;
                    t2++;
                } else {
                    for (int64_t u = 0; u < run; u++) dst[u * s2] = src[u];
                }
            } else if (o0 >= 0 && o0 < O0 && o1 >= 0 && o1 < O1) {
                /* input positions q with 0 <= q * s2 + off2 < O2: [qlo, qhi) */
                const int64_t qlo = off2 >= 0 ? 0 : (-off2 + s2 - 1) / s2;
                const int64_t qhi = O2 - 1 - off2 < 0 ? 0 : (O2 - 1 - off2) / s2 + 1;
                const int64_t ulo = qlo - i2 > 0 ? qlo - i2 : 0, uhi = kk_fdc_min(run, qhi - i2);
                if (uhi > ulo) {
                    float *restrict dst = yc + cl * p->osz + (o0 * O1 + o1) * O2 + (i2 + ulo) * s2 + off2;
                    const float *restrict sp = src + ulo;
                    if (s2 == 1)
                        for (int64_t u = 0; u < uhi - ulo; u++) dst[u] += sp[u];
                    else
                        for (int64_t u = 0; u < uhi - ulo; u++) dst[u * s2] += sp[u];
                }
            }
            /* the next row's (channel, tap) */
            if (++t2 == K2) {
                t2 = 0;
                if (++t1 == K1) {
                    t1 = 0;
                    if (++t0 == p->ks[0]) {
                        t0 = 0;
                        cl++;
                    }
                }
            }
        }
        jj += run;
        i2 += run;
        if (i2 == I2) {
            i2 = 0;
            if (++i1 == I1) {
                i1 = 0;
                i0++;
            }
        }
    }
}

/* Task order: (image, group, chunk, column block), column block fastest. */
KK_API void kk_fdeconv_task_f32(void *plan, int64_t task, int worker) {
    const kk_fdeconv_f32 *p = (const kk_fdeconv_f32 *)plan;
    const kk_fisa *k = &p->k;
    const int64_t MR = k->mr, NR = k->nr;
    int64_t jb0 = 0, jb1 = p->ncb, rest = task;
    if (p->exact) {
        jb0 = task % p->ncb;
        jb1 = jb0 + 1;
        rest = task / p->ncb;
    }
    const int64_t ch = rest % p->nch;
    rest /= p->nch;
    const int64_t g = rest % p->group, img = rest / p->group;
    const int64_t c0 = ch * p->cch, cc = kk_fdc_min(p->cch, p->mg - c0), rows = cc * p->ksz;
    float *bpan = p->scratch + worker * p->wfloats;
    float *col = bpan + p->kcm * p->bw, *atmp = col + p->colfloats, *brow = atmp + p->kcm * MR;
    const float *xg = p->x + (img * p->c + g * p->cg) * p->isz;
    const float *wc = p->w + (g * p->mg + c0) * p->ksz * p->cg;
    float *yc = p->y + (img * p->m + g * p->mg + c0) * p->osz;
    const float *bc = p->b ? p->b + g * p->mg + c0 : NULL;
    const int64_t npr = (rows + MR - 1) / MR, tail = rows % MR;
    kk_ftile t;
    t.pfa = 0;
    t.bias_row = NULL;
    t.bias_col = NULL;
    t.res = NULL;
    t.act = p->exact ? p->act : 0;
    t.alpha = p->alpha;
    t.beta = p->beta;
    if (p->exact) {
        if (bc)
            for (int64_t r = 0; r < rows; r++) brow[r] = bc[r / p->ksz];
    } else {
        for (int64_t i = 0; i < cc; i++) {
            const float v = bc ? bc[i] : 0.0f;
            float *yp = yc + i * p->osz;
            for (int64_t q = 0; q < p->osz; q++) yp[q] = v;
        }
    }
    for (int64_t jb = jb0; jb < jb1; jb++) {
        const int64_t j0 = jb * p->bw, ncols = kk_fdc_min(p->bw, p->isz - j0), np = (ncols + NR - 1) / NR;
        for (int64_t k0 = 0; k0 < p->cg; k0 += k->kc) {
            const int64_t kc = kk_fdc_min(k->kc, p->cg - k0);
            /* B panels: rows k0.. of X for this block's columns, [kc][NR] each */
            for (int64_t jl = 0; jl < np; jl++) {
                const int64_t cw = kk_fdc_min(NR, ncols - jl * NR);
                float *dp = bpan + jl * kc * NR;
                const float *xs = xg + k0 * p->isz + j0 + jl * NR;
                for (int64_t q = 0; q < kc; q++) k->copy(dp + q * NR, xs + q * p->isz, cw, 1);
                if (cw < NR)
                    for (int64_t q = 0; q < kc; q++) k->copy(dp + q * NR + cw, NULL, NR - cw, 1);
            }
            /* the narrower last A panel widened to MR rows once per K block */
            const float *at = NULL;
            if (tail) {
                const float *src = wc + (npr - 1) * MR * p->cg + k0 * tail;
                for (int64_t q = 0; q < kc; q++) {
                    int64_t i = 0;
                    for (; i < tail; i++) atmp[q * MR + i] = src[q * tail + i];
                    for (; i < MR; i++) atmp[q * MR + i] = 0.0f;
                }
                at = atmp;
            }
            t.accum = k0 > 0;
            t.last = k0 + kc == p->cg;
            for (int64_t jl = 0; jl < np; jl++) {
                const int64_t cw = kk_fdc_min(NR, ncols - jl * NR);
                const float *bp = bpan + jl * kc * NR;
                t.nr = (int)cw;
                for (int64_t ip = 0; ip < npr; ip++) {
                    const int64_t r0 = ip * MR, pr = kk_fdc_min(MR, rows - r0);
                    if (p->nkb == 1) {
                        t.c = col;
                        t.ldc = NR;
                    } else {
                        t.c = col + r0 * p->bw + jl * NR;
                        t.ldc = p->bw;
                    }
                    t.mr = (int)pr;
                    t.bias_row = p->exact && bc ? brow + r0 : NULL;
                    k->ukr(kc, pr == MR ? wc + r0 * p->cg + k0 * MR : at, bp, &t);
                    if (t.last) kk_fdc_scatter(p, t.c, t.ldc, r0, pr, j0 + jl * NR, cw, yc);
                }
            }
        }
    }
    if (!p->exact && p->act)
        for (int64_t q = 0; q < cc * p->osz; q++) yc[q] = kk_act_f32(p->act, yc[q], p->alpha, p->beta);
}
