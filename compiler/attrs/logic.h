/* attrs/logic.h - typed attributes of the logic family (ops_logic.c). */
#ifndef KILN_ATTRS_LOGIC_H
#define KILN_ATTRS_LOGIC_H
#include <stdint.h>
typedef struct LogicAttrs {
    int legacy;            /* Equal/Greater/Less/And/Or/Xor before opset 7 (parse): 0 = numpy broadcasting
                              (opset >= 7 and every other op), 1 = broadcast=0: B has A's shape,
                              2 = broadcast=1: B's dims match a contiguous run of A's (or are 1) */
    int legacy_axis;       /* legacy == 2: where B's run starts in A; parse: the `axis` attribute
                              as written (0 when absent: suffix matching); infer: in [0, rank(A)] */
    int legacy_has_axis;   /* legacy == 2: the `axis` attribute was given (parse) */
    int truncated;         /* Mod: fmod attribute (1: C fmod, 0: floored, the sign of the divisor) */
    int shift_left;        /* BitShift: direction "LEFT" (1) or "RIGHT" (0) */
    int detect_negative;   /* IsInf: default 1 */
    int detect_positive;   /* IsInf: default 1 */
    int axis;              /* Hardmax: as written (parse), normalized by infer */
    int coerce_2d;         /* Hardmax opset < 13: view input as 2-D [prod(:axis), prod(axis:)] */
} LogicAttrs;
#endif
