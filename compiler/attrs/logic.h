/* attrs/logic.h - typed attributes of the logic family (ops_logic.c). */
#ifndef KILN_ATTRS_LOGIC_H
#define KILN_ATTRS_LOGIC_H
#include <stdint.h>
typedef struct LogicAttrs {
    int unused_; /* replaced by the family's fields */
} LogicAttrs;
#endif
