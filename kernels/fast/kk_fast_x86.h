/*
 * kk_fast_x86.h - x86 micro-kernels of the fast kernels (kernels/fast/fast_x86.c):
 * AVX2+FMA (6x16 tiles, 8-wide depthwise rows) and AVX-512 (8x32 tiles,
 * 16-wide depthwise rows), compiled through function target attributes so
 * the generated file needs no -m flags. See kk_fast.h for the layouts.
 */
#ifndef KK_FAST_X86_H
#define KK_FAST_X86_H

#include "kk.h"
#include "kk_fast.h"

/* The kernels of panel geometry isa (KK_ISA_AVX2 or KK_ISA_AVX512) when the
 * CPU running this has the instruction set, else plain C kernels for the
 * same geometry (kk_fisa_portable). */
KK_API kk_fisa kk_fisa_x86(int isa);

#endif
