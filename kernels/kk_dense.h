/* kk_dense.h - reference kernels of the dense family (kernels/ref/dense.c). Included by kk.h. */
#ifndef KK_DENSE_H
#define KK_DENSE_H
#include <stddef.h>
#include <stdint.h>

#endif
