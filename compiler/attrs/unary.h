/* attrs/unary.h - typed attributes of the elementwise unary family (ops_unary.c). */
#ifndef KILN_ATTRS_UNARY_H
#define KILN_ATTRS_UNARY_H
typedef struct UnaryAttrs {
    double alpha;       /* LeakyRelu/Elu/HardSigmoid alpha (op's default when absent); HardSwish 1/6 */
    double beta;        /* HardSigmoid beta; HardSwish 1/2 */
    double lo, hi;      /* Clip bounds (-inf/+inf when absent; from attrs or const inputs) */
    int bounds_runtime; /* Clip: min or max is a run-time input, so lo/hi do not hold it (set by infer) */
    int to;             /* Cast: target DType */
    int approx_tanh;    /* Gelu approximate="tanh" */
} UnaryAttrs;
#endif
