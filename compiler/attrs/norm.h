/* attrs/norm.h - typed attributes of the norm family (ops_norm.c):
 * LayerNormalization, GroupNormalization, InstanceNormalization,
 * LpNormalization and Einsum. */
#ifndef KILN_ATTRS_NORM_H
#define KILN_ATTRS_NORM_H
#include <stdint.h>
typedef struct NormAttrs {
    int axis;               /* LayerNorm (default -1), LpNorm (default -1): as written (parse),
                               normalized into [0, rank) by infer */
    double epsilon;         /* Layer/Group/InstanceNorm: added to the variance (default 1e-5) */
    int stat_dtype;         /* Layer/GroupNorm: stash_type as a DType (DT_F32 or DT_F64), the
                               type statistics are rounded to and LayerNorm's Mean/InvStdDev
                               dtype; InstanceNorm: X's dtype (set by infer) */
    int64_t num_groups;     /* GroupNorm: groups of channels (required, >= 1) */
    int per_channel;        /* GroupNorm: scale/bias hold one value per channel (opset >= 21)
                               rather than per group (opset 18) */
    int p;                  /* LpNorm: 1 or 2 (default 2) */
    const char *equation;   /* Einsum: the equation as written (graph arena) */
} NormAttrs;
#endif
