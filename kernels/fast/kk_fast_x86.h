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

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* For the x86 kernel files (fast_x86.c, maxpool_x86.c, dw_x86.c): target attributes
 * instead of -m flags, and vector helpers inlined into their callers (a
 * call would make the caller spill every live vector register, all of
 * them caller-saved). */
#define KK_X512 __attribute__((target("avx512f,avx2,fma")))
#define KK_X256 __attribute__((target("avx2,fma")))
#define KK_FX_INLINE static inline __attribute__((always_inline))

/* Lanes [0, n) of 16 (n clamped to 0..16). */
KK_X512 KK_FX_INLINE __mmask16 kk_fx_mask512(int64_t n) {
    return (__mmask16)(n >= 16 ? 0xFFFFu : n <= 0 ? 0u : (1u << n) - 1u);
}

/* Lanes [0, n) of a vector of 8 (n clamped to 0..8). */
KK_X256 KK_FX_INLINE __m256i kk_fx_mask256(int64_t n) {
    const int k = n >= 8 ? 8 : n <= 0 ? 0 : (int)n;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

#endif
