/* kk_detect.h - reference kernels of the detect family (kernels/ref/detect.c). Included by kk.h. */
#ifndef KK_DETECT_H
#define KK_DETECT_H
#include <stddef.h>
#include <stdint.h>

#endif
