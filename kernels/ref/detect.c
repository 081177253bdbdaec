/* detect.c - reference kernels of the detect family (TopK, NonMaxSuppression, RoiAlign, MaxRoiPool). */
#include "kk.h"

typedef int kk_detect_unused_; /* (an empty file is not valid ISO C) */
