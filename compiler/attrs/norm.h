/* attrs/norm.h - typed attributes of the norm family (ops_norm.c). */
#ifndef KILN_ATTRS_NORM_H
#define KILN_ATTRS_NORM_H
#include <stdint.h>
typedef struct NormAttrs {
    int unused_; /* replaced by the family's fields */
} NormAttrs;
#endif
