/* logic.c - reference kernels of the logic family (Where, comparisons, Not/And/Or/Xor). */
#include "kk.h"

typedef int kk_logic_unused_; /* (an empty file is not valid ISO C) */
