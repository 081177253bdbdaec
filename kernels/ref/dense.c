/* dense.c - reference kernels of the dense family (ConvTranspose, Resize, Upsample, DepthToSpace, SpaceToDepth). */
#include "kk.h"

typedef int kk_dense_unused_; /* (an empty file is not valid ISO C) */
