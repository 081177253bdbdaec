/*
 * attrs/index.h - typed attributes of the index family (ops_index.c): Tile,
 * GatherElements, GatherND, ScatterND, ScatterElements (and the older
 * Scatter), CumSum, OneHot, Trilu, Size, NonZero.
 *
 * "parse" fields hold the raw attributes (filled once by index_parse);
 * "infer" fields hold arguments resolved against the input shapes and the
 * constant inputs (filled by index_infer each time it runs), which is all
 * exec and the emitter read.
 */
#ifndef KILN_ATTRS_INDEX_H
#define KILN_ATTRS_INDEX_H
#include <stdint.h>

typedef struct IndexAttrs {
    int64_t axis_attr;      /* parse: raw axis (GatherElements, Scatter, OneHot), may be negative */
    int64_t batch_dims;     /* parse: GatherND batch_dims (opset 12), default 0 */
    int reduction;          /* parse: ScatterND/ScatterElements reduction, KK_SCATTER_NONE/ADD/MUL/MAX/MIN */
    int exclusive;          /* parse: CumSum exclusive (0/1) */
    int reverse;            /* parse: CumSum reverse (0/1) */
    int upper;              /* parse: Trilu upper (0/1), default 1 */
    int axis;               /* infer: axis normalized into [0, rank) (CumSum from its input;
                             * OneHot: into [0, rank of the output)) */
    int64_t depth;          /* infer: OneHot depth, from the constant input 1 */
    int64_t repeats[8];     /* infer: Tile repeats per input dim (KILN_MAX_RANK entries) */
} IndexAttrs;
#endif
