/* kk_norm.h - reference kernels of the norm family (kernels/ref/norm.c). Included by kk.h. */
#ifndef KK_NORM_H
#define KK_NORM_H
#include <stddef.h>
#include <stdint.h>

#endif
