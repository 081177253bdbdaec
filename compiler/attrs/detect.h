/* attrs/detect.h - typed attributes of the detect family (ops_detect.c). */
#ifndef KILN_ATTRS_DETECT_H
#define KILN_ATTRS_DETECT_H
#include <stdint.h>
typedef struct DetectAttrs {
    int unused_; /* replaced by the family's fields */
} DetectAttrs;
#endif
