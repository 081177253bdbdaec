/* kk_logic.h - reference kernels of the logic family (kernels/ref/logic.c). Included by kk.h. */
#ifndef KK_LOGIC_H
#define KK_LOGIC_H
#include <stddef.h>
#include <stdint.h>

#endif
