/*
 * pack.c - lowering to kiln's fast CPU kernels (kernels/fast/), the last
 * step before memory planning (see pack.h for why it is not a named pass).
 *
 * For --cpu other than generic, every float32 node of these forms leaves
 * the reference kernels:
 *   - Conv with constant weights: a packed SGEMM (1x1 directly, any other
 *     geometry through im2col panels). W is replaced by a new constant of
 *     the same shape holding the panel order of the chosen geometry
 *     (kk_fpack_rows_f32), so the weights blob does not grow; a 2-D 3x3
 *     stride-1 one-group Conv where it wins (wino_tile) instead runs
 *     Winograd F(4x4 or 2x2, 3x3) with W replaced by its filter transform
 *     (kiln_wino; pack_wino); on AVX-512, one where the direct kernel with
 *     output channels in the vector lanes wins (direct_wins: strided,
 *     small maps, kernels above 1x1) runs that, W in its block order
 *     (kiln_direct; pack_direct);
 *   - 2-D depthwise Conv (group == C, M a multiple of C; with a
 *     one-channel input 3x3 / 5x5 stride 1 only, such as LeNet's 6<-1 5x5:
 *     depthwise_wins): the direct depthwise kernel, one plane per output
 *     channel, weights unchanged;
 *   - Gemm with a constant B, alpha 1 and C absent or a per-column vector
 *     with beta 1, and MatMul with a constant 2-D B: packed SGEMM with B in
 *     column panels (kk_fpack_cols_f32);
 *   - ConvTranspose with constant weights (1 to 3 spatial dims): a packed
 *     SGEMM on W^T plus col2im (kernels/fast/deconv.c), W rearranged into
 *     row panels by kk_fdeconv_pack_f32 (same shape and bytes);
 *   - 2-D MaxPool without the Indices output whose windows all hold an
 *     input element: the vectorized pooling kernel.
 *   - 2-D AveragePool and GlobalAveragePool: the vectorized averaging
 *     kernels (kernels/fast/dw_x86.c).
 * The choice is recorded in raw attributes (kiln_fast, kiln_pack,
 * kiln_slots) so the node's own parse/infer see it, .kg dumps round-trip,
 * and infer gives packed nodes their arena scratch (node->scratch, sized
 * for `slots` threads). The unpacked constant loses its last use and so
 * never reaches the weights blob.
 */
#include <string.h>

#include "fast/kk_deconv.h"
#include "fast/kk_direct.h"
#include "fast/kk_fast.h"
#include "fast/kk_wino.h"
#include "kiln.h"
#include "pack.h"
#include "rewrite.h"

int pack_isa(int cpu) {
    switch (cpu) {
    case KILN_CPU_PORTABLE: return KK_ISA_PORTABLE;
    case KILN_CPU_AVX2: return KK_ISA_AVX2;
    case KILN_CPU_AVX512: return KK_ISA_AVX512;
    case KILN_CPU_NATIVE:
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) return KK_ISA_AVX512;
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return KK_ISA_AVX2;
#endif
        return KK_ISA_PORTABLE;
    default: return 0;
    }
}

static int set_int_attr(Graph *g, Node *n, const char *name, int64_t v, Diag *d) {
    Attr *a = ir_attr_set(g, n, name, AT_INT);
    if (!a) return diag_error(d, n, "out of memory");
    a->i = v;
    return 0;
}

/* Input k replaced by a constant of the same shape, filled by the caller. */
static float *fresh_copy(Graph *g, Node *n, int k, Diag *d) {
    const Value *w = n->inputs[k];
    Value *p = rw_new_const(g, w->name, DT_F32, w->rank, w->dims);
    if (!p) {
        diag_error(d, n, "out of memory");
        return NULL;
    }
    n->inputs[k] = p;
    return p->data;
}

static bool const_f32(const Value *v) { return v && v->kind == VK_CONST && v->dtype == DT_F32 && v->data; }

/* 2-D float32 MaxPool without Indices whose windows all hold an input element. */
static int pack_maxpool(Graph *g, Node *n, int isa, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    const Value *x = n->inputs[0], *y = n->outputs[0];
    if (a->fast || x->dtype != DT_F32 || x->rank != 4 || (n->noutputs > 1 && n->outputs[1])) return 0;
    for (int i = 0; i < 2; i++)
        if (!kk_fmaxpool_windows_ok(x->dims[2 + i], a->kernel[i], a->strides[i], a->dilations[i], a->pads[i],
                                    y->dims[2 + i]))
            return 0;
    if (set_int_attr(g, n, "kiln_fast", isa, d)) return -1;
    return ir_infer_node(g, n, d) ? -1 : 1;
}

/* Float32 AveragePool (2-D) and GlobalAveragePool (any spatial rank): the
 * vectorized pooling kernels (kernels/fast/dw_x86.c), no scratch. */
static int pack_avgpool(Graph *g, Node *n, int isa, Diag *d) {
    const Value *x = n->inputs[0];
    if (n->a.conv.fast || !x || x->dtype != DT_F32 || (n->op == OP_AVG_POOL ? x->rank != 4 : x->rank < 3)) return 0;
    if (set_int_attr(g, n, "kiln_fast", isa, d)) return -1;
    return ir_infer_node(g, n, d) ? -1 : 1;
}

/* Float32 ConvTranspose with constant weights (and at least one input
 * channel per group): GEMM on W^T, W rearranged and packed into row panels
 * by kk_fdeconv_pack_f32 (same shape and bytes). */
static int pack_deconv(Graph *g, Node *n, int isa, int slots, Diag *d) {
    const DenseAttrs *a = &n->a.dense;
    const Value *x = n->inputs[0], *w = n->ninputs > 1 ? n->inputs[1] : NULL, *y = n->outputs[0];
    const Value *b = n->ninputs > 2 ? n->inputs[2] : NULL;
    if (a->fast || !x || x->dtype != DT_F32 || !y || y->dtype != DT_F32 || !const_f32(w) || (b && b->dtype != DT_F32))
        return 0;
    if (x->rank < 3 || x->rank > 5 || x->dims[1] < a->group || value_numel(x) == 0 || value_numel(y) == 0) return 0;
    int64_t ksz = 1;
    for (int i = 2; i < w->rank; i++) ksz *= w->dims[i];
    const float *src = w->data;
    float *dst = fresh_copy(g, n, 1, d);
    if (!dst) return -1;
    kk_fdeconv_pack_f32(src, dst, isa, a->group, x->dims[1] / a->group, w->dims[1], ksz);
    if (set_int_attr(g, n, "kiln_fast", isa, d) || set_int_attr(g, n, "kiln_pack", 1, d) ||
        set_int_attr(g, n, "kiln_slots", slots, d))
        return -1;
    return ir_infer_node(g, n, d) ? -1 : 1;
}

/* Winograd tile size for a 3x3 stride-1 Conv of c -> m channels with an
 * oh x ow output, 0 for the packed direct GEMM (see pack_wino). Measured
 * one thread, AVX-512, one image (ms, direct / F(4x4) / F(2x2)):
 *   64->64 56x56 2.02/0.91/1.39   128->128 28x28 1.62/0.73/1.08
 *   256->256 14x14 1.84/2.15/1.42 512->512 7x7 2.88/8.02/3.89
 *   256->256 28x28 6.36/4.29/4.12 128->128 14x14 0.42/0.34/0.30
 *   16->16 256x256 8.70/7.18/8.49 8->8 64x64 0.117/0.075/0.133
 *   3->16 128x128 0.216/0.241/0.527
 * So: the direct GEMM below 8 channels or below 10 output rows/columns
 * (a 7x7 map fills few tiles and the transformed weights, 16/9 or 4 times
 * larger, dominate); F(4x4) from 20x20 while its transformed weights
 * (36 C M floats) fit a 4 MiB L2; F(2x2) otherwise (fewer wasted tile
 * columns at 10..19 px, a quarter of the weight traffic for wide layers). */
static int wino_tile(int64_t c, int64_t m, int64_t oh, int64_t ow) {
    if (c < 8 || m < 8 || oh < 10 || ow < 10) return 0;
    const bool small_u = c * m * 36 * (int64_t)sizeof(float) <= ((int64_t)4 << 20);
    if (oh >= 20 && ow >= 20) return small_u ? 4 : 2;
    return c * m >= 8192 ? 2 : 4;
}

/* Float32 2-D Conv, 3x3 kernel, stride 1, dilation 1, one group, constant
 * W, where Winograd beats the direct GEMM (wino_tile): W is replaced by its
 * filter transform (M, C, T, T), T = m + 2, computed here in double and
 * stored in the row panels the micro-kernel reads (kk_fwino_weights_f32),
 * so these weights grow T*T/9 times. Marked kiln_wino = m besides
 * kiln_fast / kiln_pack / kiln_slots. 0 unchanged, 1 marked, -1 error. */
static int pack_wino(Graph *g, Node *n, int isa, int slots, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    const Value *x = n->inputs[0], *w = n->inputs[1], *y = n->outputs[0];
    const Value *b = n->ninputs > 2 ? n->inputs[2] : NULL;
    if (x->rank != 4 || w->rank != 4 || a->group != 1 || w->dims[2] != 3 || w->dims[3] != 3 || (b && b->dtype != DT_F32))
        return 0;
    for (int i = 0; i < 2; i++)
        if (a->strides[i] != 1 || a->dilations[i] != 1) return 0;
    const int64_t m = w->dims[0], c = w->dims[1];
    const int tm = wino_tile(c, m, y->dims[2], y->dims[3]);
    if (!tm || value_numel(y) == 0) return 0;
    const int64_t dims[4] = {m, c, tm + 2, tm + 2};
    Value *u = rw_new_const(g, w->name, DT_F32, 4, dims);
    if (!u) return diag_error(d, n, "out of memory");
    kk_fwino_weights_f32(w->data, u->data, m, c, tm, kk_fisa_mr(isa));
    n->inputs[1] = u;
    if (set_int_attr(g, n, "kiln_fast", isa, d) || set_int_attr(g, n, "kiln_pack", 1, d) ||
        set_int_attr(g, n, "kiln_slots", slots, d) || set_int_attr(g, n, "kiln_wino", tm, d))
        return -1;
    return ir_infer_node(g, n, d) ? -1 : 1;
}

/* Whether the direct kernel (kernels/fast/kk_direct.h, AVX-512 geometry)
 * beats the packed GEMM for a 2-D one-group Conv of kn = C kh kw taps to m
 * channels, output oh x ow, padded input of `in_bytes` per image. Measured
 * one thread, AVX-512, weights cold (bench/gemm_bench.c --direct, ms,
 * GEMM / direct):
 *   3x3 512<-512 7x7 1.65/1.39     3x3/2 256<-128 28x28 0.71/0.60
 *   7x7/2 64<-3 224x224 1.66/1.27  3x3/2 128<-64 56x56 0.69/0.64
 *   1x1 512<-2048 7x7 0.69/0.61    1x1 512<-1024 14x14 1.27/1.16
 *   5x5 32<-16 28x28 0.18/0.11     5x5 128<-32 14x14 0.27/0.20
 *   1x1/2 1024<-512 28x28 1.30/1.52  1x1/2 128<-64 56x56 0.10/0.13
 *   1x1 672<-112 14x14 0.163/0.155   1x1 384<-64 14x14 0.067/0.067
 * So: a stride-1 1x1 conv only on small maps (up to 14x14, where 32-wide
 * GEMM panels waste columns) and with at least 64 taps; otherwise at
 * least 128 taps (the tile's transposing store is paid per tile), and a
 * kernel above 1x1 (the GEMM's im2col) or a strided 1x1 conv while one
 * image's input fits L2 (2 MiB, 1 MiB for 1x1: each tap of a tile reads
 * another channel plane). Row mode (rows: kk_fdirect_rows, few taps),
 * measured the same way (ms, GEMM / rows): the stems 3x3/2 32<-3 224x224
 * 0.40/0.27 and 64<-3 0.62/0.52, 3x3 16<-3 256x256 1.04/0.62, 5x5 64<-3
 * 64x64 0.44/0.38; even at 128<-3 3x3/2 (1.05/1.03), 64<-8 3x3/2 112x112
 * (0.37/0.37) and 64<-12 3x3 56x56 (0.31/0.32); the GEMM ahead at 256<-3
 * 3x3/2 (2.02/2.26). So row mode up to m * kn = KK_FD_RWORK. */
static bool direct_wins(int64_t kn, int64_t m, int64_t kh, int64_t kw, const int64_t *strides, int64_t oh,
                        int64_t ow, int64_t in_bytes, bool rows) {
    if (!kk_fdirect_ok(m) || kn > KK_FD_KMAX) return false;
    if (rows) return true;
    if (kn < 64) return false;
    /* whole vectors of channels only: the kernel takes any m (a masked last
     * vector), but measured in the models a partial one does not pay:
     * SqueezeNet's 1000<-512 13x13 (1008 lanes) 1.08 -> 0.97 ms alone
     * (gemm_bench --cold=256), the model 1 % faster at one thread, 2 %
     * slower at two; EfficientNet's 20<-480 / 28<-672 squeeze-excite convs
     * (a third of the lanes idle) lose outright */
    if (m % KK_FD_VL) return false;
    const bool pointwise = kh == 1 && kw == 1;
    if (pointwise && strides[0] == 1 && strides[1] == 1) return oh * ow <= 196;
    if (kn < 128) return false;
    return in_bytes <= ((int64_t)(pointwise ? 1 : 2) << 20);
}

/* Float32 2-D one-group Conv with constant W where the direct kernel wins
 * (direct_wins, AVX-512 only): W repacked by kk_fdirect_pack_f32 (same
 * shape and bytes), marked kiln_direct besides kiln_fast / kiln_pack /
 * kiln_slots. 0 unchanged, 1 marked, -1 error. */
static int pack_direct(Graph *g, Node *n, int isa, int slots, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    const Value *x = n->inputs[0], *w = n->inputs[1], *y = n->outputs[0];
    const Value *b = n->ninputs > 2 ? n->inputs[2] : NULL;
    if (isa != KK_ISA_AVX512 || x->rank != 4 || w->rank != 4 || a->group != 1 || (b && b->dtype != DT_F32) ||
        value_numel(y) == 0)
        return 0;
    const int64_t kn = w->dims[1] * w->dims[2] * w->dims[3];
    const int64_t hp = x->dims[2] + a->pads[0] + a->pads[2], wp = x->dims[3] + a->pads[1] + a->pads[3];
    const int64_t plane = w->dims[1] * hp * wp;
    if (plane > INT32_MAX ||
        !direct_wins(kn, w->dims[0], w->dims[2], w->dims[3], a->strides, y->dims[2], y->dims[3], plane * 4,
                     kk_fdirect_rows(w->dims[1], w->dims[0], w->dims + 2, a->strides, a->dilations)))
        return 0;
    const float *src = w->data;
    float *dst = fresh_copy(g, n, 1, d);
    if (!dst) return -1;
    kk_fdirect_pack_f32(src, dst, w->dims[0], kn);
    if (set_int_attr(g, n, "kiln_fast", isa, d) || set_int_attr(g, n, "kiln_pack", 1, d) ||
        set_int_attr(g, n, "kiln_slots", slots, d) || set_int_attr(g, n, "kiln_direct", 1, d))
        return -1;
    return ir_infer_node(g, n, d) ? -1 : 1;
}

/* Whether a 2-D Conv runs on the depthwise kernel: one input channel per
 * group, M a multiple of the groups. With M > C (a channel multiplier) the
 * GEMM it replaces is a grouped one of mult rows (32<-16 3x3 groups of 2
 * at 56x56: 0.43 -> 0.07 ms), except for a one-channel input (group 1),
 * a full GEMM; measured one thread (ms, GEMM / depthwise): 64<-1 3x3
 * 224x224 1.07/0.91, 16<-1 3x3 96x96 0.045/0.039, LeNet's 6<-1 5x5 at
 * 32x32 in the model 0.0097/0.0061, but 24<-1 3x3/2 112x112 0.022/0.047,
 * 16<-1 5x5/2 0.037/0.055, 32<-1 7x7 64x64 0.127/0.148: so that case only
 * for square 3x3 / 5x5 filters at stride 1 without dilation. */
static bool depthwise_wins(const Value *x, const Value *w, const ConvAttrs *a) {
    if (x->rank != 4 || !kk_fdw_ok(x->dims[1], a->group, w->dims[0], w->dims[1])) return false;
    if (a->group > 1 || w->dims[0] == 1) return true;
    return w->dims[2] == w->dims[3] && (w->dims[2] == 3 || w->dims[2] == 5) && a->strides[0] == 1 &&
           a->strides[1] == 1 && a->dilations[0] == 1 && a->dilations[1] == 1;
}

/* 0 unchanged, 1 marked, -1 error. */
static int pack_node(Graph *g, Node *n, int isa, int slots, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    if (n->op == OP_MAX_POOL) return pack_maxpool(g, n, isa, d);
    if (n->op == OP_AVG_POOL || n->op == OP_GLOBAL_AVG_POOL) return pack_avgpool(g, n, isa, d);
    if (n->op == OP_CONV_TRANSPOSE) return pack_deconv(g, n, isa, slots, d);
    if (a->fast || !n->outputs[0] || n->outputs[0]->dtype != DT_F32 || n->ninputs < 2) return 0;
    const Value *x = n->inputs[0], *w = n->inputs[1];
    if (!x || x->dtype != DT_F32 || !const_f32(w)) return 0;
    int pack = 1;
    switch (n->op) {
    case OP_CONV: {
        const int wr = pack_wino(g, n, isa, slots, d);
        if (wr) return wr;
        const int dr = pack_direct(g, n, isa, slots, d);
        if (dr) return dr;
        if (x->rank < 3 || x->rank > 5) return 0;
        if (depthwise_wins(x, w, a)) {
            pack = 0; /* depthwise: direct kernel on the ONNX layout */
            break;
        }
        const int64_t mg = w->dims[0] / a->group, kg = value_numel(w) / (w->dims[0] ? w->dims[0] : 1);
        const float *src = w->data;
        float *dst = fresh_copy(g, n, 1, d);
        if (!dst) return -1;
        kk_fpack_rows_f32(src, dst, a->group, mg, kg, kk_fisa_mr(isa));
        break;
    }
    case OP_GEMM: {
        const Value *c = n->ninputs > 2 ? n->inputs[2] : NULL;
        const int64_t nn = n->outputs[0]->dims[n->outputs[0]->rank - 1];
        if (a->alpha != 1.0) return 0;
        if (c && !(a->beta == 1.0 && c->rank >= 1 && c->dims[c->rank - 1] == nn && (c->rank == 1 || c->dims[0] == 1)))
            return 0;
        const int64_t kd = w->dims[a->trans_b ? 1 : 0];
        const float *src = w->data;
        float *dst = fresh_copy(g, n, 1, d);
        if (!dst) return -1;
        kk_fpack_cols_f32(src, dst, kd, nn, a->trans_b, kk_fisa_nr(isa));
        break;
    }
    case OP_MATMUL: {
        if (w->rank != 2 || x->rank < 1) return 0;
        const float *src = w->data;
        float *dst = fresh_copy(g, n, 1, d);
        if (!dst) return -1;
        kk_fpack_cols_f32(src, dst, w->dims[0], w->dims[1], 0, kk_fisa_nr(isa));
        break;
    }
    default:
        return 0;
    }
    if (set_int_attr(g, n, "kiln_fast", isa, d) || (pack && set_int_attr(g, n, "kiln_pack", 1, d)) ||
        (pack && set_int_attr(g, n, "kiln_slots", slots, d)))
        return -1;
    return ir_infer_node(g, n, d) ? -1 : 1;
}

int pass_pack(Graph *g, int cpu, int threads, Diag *d) {
    const int isa = pack_isa(cpu);
    g->threads = 1;
    if (!isa) return 0;
    const int slots = threads == 1 ? 1 : threads > 1 ? threads : KILN_THREADS_DEFAULT_MAX;
    ir_recount(g);
    int marked = 0;
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = g->nodes[i];
        if (n->dead || (n->op != OP_CONV && n->op != OP_GEMM && n->op != OP_MATMUL && n->op != OP_MAX_POOL &&
                          n->op != OP_CONV_TRANSPOSE && n->op != OP_AVG_POOL && n->op != OP_GLOBAL_AVG_POOL))
            continue;
        int r = pack_node(g, n, isa, slots, d);
        if (r < 0) return -1;
        marked += r;
    }
    ir_recount(g);
    if (marked && threads != 1) g->threads = threads > 1 ? threads : -1;
    return 0;
}
