/* attrs/unary.h - typed attributes of the elementwise unary family (ops_unary.c). */
#ifndef KILN_ATTRS_UNARY_H
#define KILN_ATTRS_UNARY_H
typedef struct UnaryAttrs {
    double alpha;       /* LeakyRelu/Elu/HardSigmoid/Celu/Selu/ThresholdedRelu/Swish alpha (op's default
                           when absent); HardSwish 1/6; Shrink lambd */
    double beta;        /* HardSigmoid beta; HardSwish 1/2; Selu gamma; Shrink bias */
    double lo, hi;      /* Clip bounds (-inf/+inf when absent; from attrs or const inputs) */
    int bounds_runtime; /* Clip: min or max is a run-time input, so lo/hi do not hold it (set by infer) */
    int to;             /* Cast: target DType; CastLike: input 1's DType (set by infer) */
    int approx_tanh;    /* Gelu approximate="tanh" */
} UnaryAttrs;
#endif
