/*
 * kk_maxpool_x86.h - AVX2 and AVX-512 MaxPool planes of the fast kernels
 * (kernels/fast/maxpool_x86.c), the kk_fisa `maxpool` entry that
 * kk_fisa_x86 returns. Generated code carries this file only for a model
 * with a fast MaxPool node; without it (KK_MAXPOOL_X86_H undefined)
 * kk_fisa_x86 keeps the plain C plane, and the compiler is spared the
 * unrolled window loops.
 */
#ifndef KK_MAXPOOL_X86_H
#define KK_MAXPOOL_X86_H

#include "kk.h"
#include "kk_fast.h"

/* One MaxPool plane (kk_fdw_f32 without weights), as kk_fmaxpool_plane_c. */
KK_API void kk_fmaxpool_plane_avx512(const kk_fdw_f32 *p, int64_t plane);
KK_API void kk_fmaxpool_plane_avx2(const kk_fdw_f32 *p, int64_t plane);

#endif
