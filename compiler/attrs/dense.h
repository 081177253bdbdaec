/* attrs/dense.h - typed attributes of the dense family (ops_dense.c). */
#ifndef KILN_ATTRS_DENSE_H
#define KILN_ATTRS_DENSE_H
#include <stdint.h>
typedef struct DenseAttrs {
    int unused_; /* replaced by the family's fields */
} DenseAttrs;
#endif
