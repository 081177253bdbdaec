/* kk_index.h - reference kernels of the index family (kernels/ref/index.c). Included by kk.h. */
#ifndef KK_INDEX_H
#define KK_INDEX_H
#include <stddef.h>
#include <stdint.h>

#endif
