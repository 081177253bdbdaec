/* attrs/index.h - typed attributes of the index family (ops_index.c). */
#ifndef KILN_ATTRS_INDEX_H
#define KILN_ATTRS_INDEX_H
#include <stdint.h>
typedef struct IndexAttrs {
    int unused_; /* replaced by the family's fields */
} IndexAttrs;
#endif
