/* attrs/conv.h - typed attributes of conv / pool / norm / gemm (ops_conv.c). */
#ifndef KILN_ATTRS_CONV_H
#define KILN_ATTRS_CONV_H
#include <stdint.h>
typedef struct ConvAttrs {
    int nsp;                 /* spatial rank (1..3); set by infer from X's rank */
    int nkernel_attr;        /* kernel_shape count from the attribute, 0 if absent (set by parse) */
    int nstrides_attr;       /* strides / dilations / pads counts from the attributes, 0 if */
    int ndilations_attr;     /*   absent; infer checks them against nsp (set by parse) */
    int npads_attr;
    int64_t kernel[3];       /* kernel_shape; Conv takes W's when the attribute is absent (infer) */
    int64_t strides[3];      /* >= 1; all 1 when absent (infer) */
    int64_t dilations[3];    /* >= 1; all 1 when absent (infer) */
    int64_t pads[6];         /* begin[0..nsp), end[0..nsp); resolved from auto_pad by infer */
    int auto_pad;            /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
    int64_t group;           /* Conv groups (>= 1) */
    int ceil_mode;           /* MaxPool / AveragePool */
    int count_include_pad;   /* AveragePool */
    int storage_order;       /* MaxPool Indices layout: 0 row major, 1 column major */
    double epsilon;          /* BatchNormalization */
    int64_t size;            /* LRN channel window */
    double alpha, beta, bias;/* LRN alpha/beta/bias; Gemm alpha/beta */
    int trans_a, trans_b;    /* Gemm */
    /* Fused epilogue (set by passes/fuse_epilogue.c through raw attributes
     * kiln_act / kiln_alpha / kiln_beta; Conv and Gemm only):
     *   y = act(op(...) + residual), residual being the optional input 3. */
    int act;                 /* KK_UN_* activation code, 0 for none */
    double act_alpha, act_beta;
    /* Fast kernels (kernels/fast/), chosen by passes/pack.c through raw
     * attributes kiln_fast / kiln_pack / kiln_slots (Conv, Gemm, MatMul, f32):
     * fast: KK_ISA_* panel geometry the node runs on, 0: reference kernels;
     * pack: 1 when the constant operand (Conv W, Gemm/MatMul B) holds the
     *       geometry's panel layout (same shape and bytes, other order);
     * slots: worker scratch slots reserved in the arena (node->scratch). */
    int fast, pack, slots;
    /* wino (raw attribute kiln_wino, Conv only; passes/pack.c): Winograd
     * F(wino x wino, 3x3), wino = 2 or 4; W then holds the filter transform
     * (M, C, wino + 2, wino + 2) in kk_fwino_weights_f32's order. 0: none. */
    int wino;
    /* direct (raw attribute kiln_direct, Conv only; passes/pack.c): 1 runs
     * the direct kernel with output channels in the vector lanes
     * (kernels/fast/kk_direct.h); W then holds kk_fdirect_pack_f32's block
     * order (same shape). 0: none. */
    int direct;
    int flat;      /* Gemm kiln_flat: A of any rank >= 2, its leading dims flattened into rows */
} ConvAttrs;
#endif
