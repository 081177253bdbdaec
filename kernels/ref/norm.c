/* norm.c - reference kernels of the norm family (LayerNormalization, GroupNormalization, InstanceNormalization, LpNormalization, Einsum). */
#include "kk.h"

typedef int kk_norm_unused_; /* (an empty file is not valid ISO C) */
