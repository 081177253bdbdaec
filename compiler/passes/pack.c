/*
 * pack.c - lowering to kiln's fast CPU kernels (kernels/fast/), the last
 * step before memory planning (see pack.h for why it is not a named pass).
 *
 * For --cpu other than generic, every float32 node of these forms leaves
 * the reference kernels:
 *   - Conv with constant weights: a packed SGEMM (1x1 directly, any other
 *     geometry through im2col panels). W is replaced by a new constant of
 *     the same shape holding the panel order of the chosen geometry
 *     (kk_fpack_rows_f32), so the weights blob does not grow;
 *   - 2-D depthwise Conv (group == C == M): the direct depthwise kernel,
 *     weights unchanged;
 *   - Gemm with a constant B, alpha 1 and C absent or a per-column vector
 *     with beta 1, and MatMul with a constant 2-D B: packed SGEMM with B in
 *     column panels (kk_fpack_cols_f32);
 *   - 2-D MaxPool without the Indices output whose windows all hold an
 *     input element: the vectorized pooling kernel.
 * The choice is recorded in raw attributes (kiln_fast, kiln_pack,
 * kiln_slots) so the node's own parse/infer see it, .kg dumps round-trip,
 * and infer gives packed nodes their arena scratch (node->scratch, sized
 * for `slots` threads). The unpacked constant loses its last use and so
 * never reaches the weights blob.
 */
#include <string.h>

#include "fast/kk_fast.h"
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

/* 0 unchanged, 1 marked, -1 error. */
static int pack_node(Graph *g, Node *n, int isa, int slots, Diag *d) {
    const ConvAttrs *a = &n->a.conv;
    if (n->op == OP_MAX_POOL) return pack_maxpool(g, n, isa, d);
    if (a->fast || !n->outputs[0] || n->outputs[0]->dtype != DT_F32 || n->ninputs < 2) return 0;
    const Value *x = n->inputs[0], *w = n->inputs[1];
    if (!x || x->dtype != DT_F32 || !const_f32(w)) return 0;
    int pack = 1;
    switch (n->op) {
    case OP_CONV: {
        if (x->rank < 3 || x->rank > 5) return 0;
        if (x->rank == 4 && a->group == x->dims[1] && w->dims[0] == a->group && w->dims[1] == 1) {
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
        const int64_t nn = n->outputs[0]->dims[1];
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
        if (n->dead || (n->op != OP_CONV && n->op != OP_GEMM && n->op != OP_MATMUL && n->op != OP_MAX_POOL)) continue;
        int r = pack_node(g, n, isa, slots, d);
        if (r < 0) return -1;
        marked += r;
    }
    ir_recount(g);
    if (marked && threads != 1) g->threads = threads > 1 ? threads : -1;
    return 0;
}
