/*
 * fast/direct.c - the direct convolution with output channels in the
 * vector lanes (kk_direct.h): weight packing, the plan, the pad and conv
 * tasks, and the plain C tile (the x86 one is kk_fdtile_avx512 in
 * fast_x86.c).
 */
#include <string.h>

#include "kk.h"
#include "kk_fast.h"
#include "kk_direct.h"

KK_API int kk_fdirect_ok(int64_t m) { return m > 0; }

KK_API void kk_fdirect_pack_f32(const float *w, float *dst, int64_t m, int64_t k) {
    for (int64_t m0 = 0; m0 < m; m0 += KK_FD_MB) {
        const int64_t mb = m - m0 < KK_FD_MB ? m - m0 : KK_FD_MB;
        float *d = dst + m0 * k;
        for (int64_t kk = 0; kk < k; kk++)
            for (int64_t j = 0; j < mb; j++) d[kk * mb + j] = w[(m0 + j) * k + kk];
    }
}

KK_API int kk_fdirect_rows(int64_t c, int64_t m, const int64_t *k_sp, const int64_t *strides,
                           const int64_t *dilations) {
    return m > 0 && m % KK_FD_RC == 0 && k_sp[0] * k_sp[1] > 1 && strides[0] >= 1 &&
           (strides[1] == 1 || strides[1] == 2) &&
           dilations[0] == 1 && dilations[1] == 1 && c * k_sp[0] * k_sp[1] <= KK_FD_RKMAX &&
           c * k_sp[0] * k_sp[1] * m <= KK_FD_RWORK;
}

static int kk_fd_padded(const int64_t *pads) { return pads[0] || pads[1] || pads[2] || pads[3]; }

static int64_t kk_fd_koff_bytes(int64_t c, const int64_t *k_sp) {
    return (c * k_sp[0] * k_sp[1] * (int64_t)sizeof(int32_t) + 63) / 64 * 64;
}

KK_API int64_t kk_fdirect_scratch_bytes(int64_t n, int64_t c, const int64_t *in_sp, const int64_t *k_sp,
                                        const int64_t *pads) {
    int64_t bytes = kk_fd_koff_bytes(c, k_sp);
    if (kk_fd_padded(pads))
        bytes += (n * c * (in_sp[0] + pads[0] + pads[2]) * (in_sp[1] + pads[1] + pads[3]) * 4 + 63) / 64 * 64;
    return bytes;
}

KK_API void kk_fdirect_init_f32(kk_fdirect_f32 *p, kk_fisa k, const float *x, const float *w, const float *b,
                                const float *res, float *y, void *scratch, int64_t n, int64_t c, int64_t m,
                                const int64_t *in_sp, const int64_t *k_sp, const int64_t *out_sp,
                                const int64_t *strides, const int64_t *dilations, const int64_t *pads, int act,
                                float alpha, float beta, int nthreads) {
    memset(p, 0, sizeof *p);
    p->k = k;
    p->x = x;
    p->w = w;
    p->b = b;
    p->res = res;
    p->y = y;
    p->n = n;
    p->c = c;
    p->m = m;
    p->ih = in_sp[0];
    p->iw = in_sp[1];
    p->oh = out_sp[0];
    p->ow = out_sp[1];
    p->sh = strides[0];
    p->sw = strides[1];
    p->pt = pads[0];
    p->pl = pads[1];
    p->hp = p->ih + pads[0] + pads[2];
    p->wp = p->iw + pads[1] + pads[3];
    p->act = act;
    p->alpha = alpha;
    p->beta = beta;
    p->kn = c * k_sp[0] * k_sp[1];
    p->koff = scratch;
    int32_t *ko = p->koff;
    for (int64_t ci = 0; ci < c; ci++)
        for (int64_t ky = 0; ky < k_sp[0]; ky++)
            for (int64_t kx = 0; kx < k_sp[1]; kx++)
                *ko++ = (int32_t)((ci * p->hp + ky * dilations[0]) * p->wp + kx * dilations[1]);
    if (kk_fd_padded(pads)) {
        p->xpad = (float *)((char *)scratch + kk_fd_koff_bytes(c, k_sp));
        p->xp = p->xpad;
        const int64_t planes = n * c;
        p->npads = planes < 16 ? planes : 16;
        p->ppt = (planes + p->npads - 1) / p->npads;
        p->npads = (planes + p->ppt - 1) / p->ppt;
    } else {
        p->xp = x;
    }
    p->npos = p->oh * p->ow;
    p->ntile = (p->npos + KK_FD_NP - 1) / KK_FD_NP;
    p->nmb = (m + KK_FD_MB - 1) / KK_FD_MB;
    /* channel blocks per task: as many as keep their weights in L2 (the
     * input of a chunk of tiles is then read once for all of them); with
     * threads, about four tasks per thread, found by splitting the blocks
     * first (each weight read by one thread: weights usually outweigh a
     * layer's input), then the tiles */
    const int64_t bbytes = KK_FD_MB * p->kn * (int64_t)sizeof(float), want = nthreads > 1 ? 4 * (int64_t)nthreads : 1;
    int64_t gmax = KK_FD_L2W / (bbytes ? bbytes : 1), ngrp;
    if (gmax < 1) gmax = 1;
    ngrp = (p->nmb + gmax - 1) / gmax;
    /* unless the input is more than a quarter of the weights: its tiles
     * are split instead, so that each thread reads only its share (the
     * share it wrote in the layer before) and streams all the weights
     * (EfficientNet's 112<-672 14x14; ResNet-50's 256<-1024 1x1 14x14 at
     * two threads 0.47 -> 0.40 ms, 512<-1024 0.79 -> 0.76: reading the
     * other core's half of the input cost more than the weights) */
    const int64_t xbytes = c * p->hp * p->wp * (int64_t)sizeof(float);
    if (ngrp * n < want && 4 * xbytes <= m * p->kn * (int64_t)sizeof(float))
        ngrp = (want + n - 1) / n < p->nmb ? (want + n - 1) / n : p->nmb;
    p->gmb = ngrp ? (p->nmb + ngrp - 1) / ngrp : 1;
    p->ngrp = (p->nmb + p->gmb - 1) / p->gmb;
    int64_t nch = (p->ntile + KK_FD_CHUNK - 1) / KK_FD_CHUNK;
    const int64_t groups = n * p->ngrp;
    if (groups * nch < want) nch = (want + groups - 1) / groups;
    if (nch > p->ntile) nch = p->ntile;
    if (nch < 1) nch = 1;
    p->tchunk = (p->ntile + nch - 1) / nch;
    p->nch = p->tchunk ? (p->ntile + p->tchunk - 1) / p->tchunk : 0;
    p->ntasks = p->npos ? groups * p->nch : 0;
    p->pf = m * p->kn * (int64_t)sizeof(float) >= KK_FCONV_PF_A;
    p->kh = k_sp[0];
    p->kw = k_sp[1];
    p->rows = kk_fdirect_rows(c, m, k_sp, strides, dilations);
    if (p->rows) { /* about four chunks of rows per thread */
        int64_t per = nthreads > 1 ? (4 * (int64_t)nthreads + n - 1) / n : 1;
        if (per > p->oh) per = p->oh;
        p->rchunk = per > 0 ? (p->oh + per - 1) / per : 0;
        p->nrch = p->rchunk ? (p->oh + p->rchunk - 1) / p->rchunk : 0;
        p->ntasks = n * p->nrch;
    }
}

KK_API void kk_fdirect_pad_task_f32(void *plan, int64_t task, int worker) {
    const kk_fdirect_f32 *p = plan;
    (void)worker;
    const int64_t planes = p->n * p->c, q1 = (task + 1) * p->ppt < planes ? (task + 1) * p->ppt : planes;
    const int64_t right = p->wp - p->iw - p->pl;
    for (int64_t q = task * p->ppt; q < q1; q++) {
        const float *src = p->x + q * p->ih * p->iw;
        float *dst = p->xpad + q * p->hp * p->wp;
        memset(dst, 0, (size_t)(p->pt * p->wp) * sizeof(float));
        dst += p->pt * p->wp;
        for (int64_t r = 0; r < p->ih; r++, dst += p->wp, src += p->iw) {
            memset(dst, 0, (size_t)p->pl * sizeof(float));
            memcpy(dst + p->pl, src, (size_t)p->iw * sizeof(float));
            memset(dst + p->pl + p->iw, 0, (size_t)right * sizeof(float));
        }
        memset(dst, 0, (size_t)((p->hp - p->pt - p->ih) * p->wp) * sizeof(float));
    }
}

/* The plain C tile: the same sums in the same order as the vector one
 * (up to FMA rounding), accumulated in t->acc. */
static void kk_fdtile_c(const kk_fdtile *t) {
    const int mb = (t->mv - 1) * KK_FD_VL + t->tail;
    float *acc = t->acc;
    if (t->first) memset(acc, 0, sizeof(float) * KK_FD_NP * KK_FD_MB);
    const float *w = t->w;
    for (int64_t k = 0; k < t->kn; k++, w += mb) {
        const int32_t off = t->koff[k];
        for (int j = 0; j < t->np; j++) {
            const float xv = t->xp[j][off];
            for (int i = 0; i < mb; i++) acc[j * KK_FD_MB + i] += w[i] * xv;
        }
    }
    if (!t->last) return;
    for (int i = 0; i < mb; i++)
        for (int j = 0; j < t->np; j++) {
            float v = acc[j * KK_FD_MB + i];
            if (t->bias) v += t->bias[i];
            if (t->res) v += t->res[i * t->ldo + j];
            t->o[i * t->ldo + j] = v;
        }
    if (t->act) {
        const kk_ftile ft = {.c = t->o, .ldc = t->ldo, .mr = mb, .nr = t->np, .act = t->act, .alpha = t->alpha,
                             .beta = t->beta};
        kk_ftile_act(&ft);
    }
}

/* Tiles [t0, t1) (at most KK_FD_TG) of channel block mb of image img. */
static void kk_fdirect_tiles(const kk_fdirect_f32 *p, kk_fdtile_fn *fn, int64_t img, int64_t mb, int64_t t0,
                             int64_t t1) {
    _Alignas(64) float part[KK_FD_TG][KK_FD_NP * KK_FD_MB];
    const float *xp[KK_FD_TG][KK_FD_NP];
    const float *xi = p->xp + img * p->c * p->hp * p->wp;
    for (int64_t tile = t0; tile < t1; tile++) {
        const int64_t pos0 = tile * KK_FD_NP;
        for (int j = 0; j < KK_FD_NP; j++) {
            const int64_t pos = pos0 + j < p->npos ? pos0 + j : pos0, oy = pos / p->ow, ox = pos % p->ow;
            xp[tile - t0][j] = xi + oy * p->sh * p->wp + ox * p->sw;
        }
    }
    const int64_t m0 = mb * KK_FD_MB, mw = p->m - m0 < KK_FD_MB ? p->m - m0 : KK_FD_MB;
    float *yi = p->y + (img * p->m + m0) * p->npos;
    const float *ri = p->res ? p->res + (img * p->m + m0) * p->npos : NULL;
    kk_fdtile t;
    memset(&t, 0, sizeof t);
    t.ldo = p->npos;
    t.bias = p->b ? p->b + m0 : NULL;
    t.mv = (int)((mw + KK_FD_VL - 1) / KK_FD_VL);
    t.tail = (int)(mw - (t.mv - 1) * KK_FD_VL);
    t.act = p->act;
    t.alpha = p->alpha;
    t.beta = p->beta;
    for (int64_t k0 = 0; k0 < p->kn; k0 += KK_FD_KC) {
        t.kn = p->kn - k0 < KK_FD_KC ? p->kn - k0 : KK_FD_KC;
        t.w = p->w + m0 * p->kn + k0 * mw;
        t.koff = p->koff + k0;
        t.first = k0 == 0;
        t.last = k0 + t.kn == p->kn;
        for (int64_t tile = t0; tile < t1; tile++) {
            const int64_t pos0 = tile * KK_FD_NP;
            t.np = (int)(p->npos - pos0 < KK_FD_NP ? p->npos - pos0 : KK_FD_NP);
            memcpy(t.xp, xp[tile - t0], sizeof t.xp);
            t.o = yi + pos0;
            t.res = ri ? ri + pos0 : NULL;
            t.acc = part[tile - t0];
            t.pf = p->pf && tile == t0;
            fn(&t);
        }
    }
}

/* The plain C row: the same sums in the same order as the vector one (up
 * to FMA rounding). */
static void kk_fdrow_c(const kk_fdirect_f32 *p, int64_t img, int64_t oy) {
    const float *xi = p->xp + img * p->c * p->hp * p->wp;
    float *yr = p->y + img * p->m * p->npos + oy * p->ow;
    const float *rr = p->res ? p->res + img * p->m * p->npos + oy * p->ow : NULL;
    for (int64_t co = 0; co < p->m; co++) {
        const int64_t b0 = co / KK_FD_MB * KK_FD_MB, bw = p->m - b0 < KK_FD_MB ? p->m - b0 : KK_FD_MB;
        for (int64_t ox = 0; ox < p->ow; ox++) {
            const float *w = p->w + b0 * p->kn + (co - b0);
            float acc = 0.0f;
            for (int64_t ci = 0; ci < p->c; ci++)
                for (int64_t ky = 0; ky < p->kh; ky++) {
                    const float *xr = xi + (ci * p->hp + oy * p->sh + ky) * p->wp + ox * p->sw;
                    for (int64_t kx = 0; kx < p->kw; kx++, w += bw) acc += *w * xr[kx];
                }
            if (p->b) acc += p->b[co];
            if (rr) acc += rr[co * p->npos + ox];
            yr[co * p->npos + ox] = acc;
        }
    }
    if (p->act) {
        const kk_ftile ft = {.c = yr, .ldc = p->npos, .mr = (int)p->m, .nr = (int)p->ow, .act = p->act,
                             .alpha = p->alpha, .beta = p->beta};
        kk_ftile_act(&ft);
    }
}

KK_API void kk_fdirect_task_f32(void *plan, int64_t task, int worker) {
    const kk_fdirect_f32 *p = plan;
    (void)worker;
    if (p->rows) {
        kk_fdrow_fn *row = p->k.drow ? p->k.drow : kk_fdrow_c;
        const int64_t img = task / p->nrch, r0 = task % p->nrch * p->rchunk;
        const int64_t r1 = r0 + p->rchunk < p->oh ? r0 + p->rchunk : p->oh;
        for (int64_t oy = r0; oy < r1; oy++) row(p, img, oy);
        return;
    }
    kk_fdtile_fn *fn = p->k.dtile ? p->k.dtile : kk_fdtile_c;
    const int64_t img = task / (p->ngrp * p->nch), r = task % (p->ngrp * p->nch), grp = r / p->nch;
    const int64_t t0 = (r % p->nch) * p->tchunk, t1 = t0 + p->tchunk < p->ntile ? t0 + p->tchunk : p->ntile;
    const int64_t mb1 = (grp + 1) * p->gmb < p->nmb ? (grp + 1) * p->gmb : p->nmb;
    /* groups of at most KK_FD_TG tiles, as even as the chunk allows */
    const int64_t ng = (t1 - t0 + KK_FD_TG - 1) / KK_FD_TG, gs = ng ? (t1 - t0 + ng - 1) / ng : 0;
    for (int64_t mb = grp * p->gmb; mb < mb1; mb++)
        for (int64_t g0 = t0; g0 < t1; g0 += gs) kk_fdirect_tiles(p, fn, img, mb, g0, g0 + gs < t1 ? g0 + gs : t1);
}
