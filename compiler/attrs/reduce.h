/* attrs/reduce.h - typed attributes of reductions and softmax (ops_reduce.c). */
#ifndef KILN_ATTRS_REDUCE_H
#define KILN_ATTRS_REDUCE_H
#include <stdint.h>
typedef struct ReduceAttrs {
    int naxes;                /* Reduce*: parse: count of the `axes` attribute, -1 when absent;
                                 infer: count of the reduced axes (0: nothing reduced) */
    int64_t axes[8];          /* parse: as written (may be negative); infer: normalized, sorted */
    unsigned mask;            /* Reduce*: bit k set when axis k is reduced (infer) */
    int axes_input;           /* Reduce*: opset takes axes as optional input 1 (parse) */
    int keepdims;             /* Reduce*, ArgMax: default 1 */
    int noop_with_empty_axes; /* Reduce*: empty axes leave the tensor as is instead of reducing all */
    int axis;                 /* Softmax/LogSoftmax/ArgMax axis as written (parse), normalized by infer */
    int coerce_2d;            /* Softmax/LogSoftmax opset < 13: view input as 2-D [prod(:axis), prod(axis:)] */
    int select_last_index;    /* ArgMax: ties pick the last index */
} ReduceAttrs;
#endif
