/* index.c - reference kernels of the index family (Tile, GatherElements, GatherND, ScatterND, ScatterElements, CumSum, OneHot, Trilu, Size, NonZero). */
#include "kk.h"

typedef int kk_index_unused_; /* (an empty file is not valid ISO C) */
