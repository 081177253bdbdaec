/*
 * kk.h - kiln's kernel library: the reference kernels every generated model
 * calls, also linked into the compiler for constant folding.
 *
 * Kernels are plain C11, take only pointers and scalars (no allocation, no
 * global state), and are compiled two ways:
 *   - as an ordinary library (kernels/ref/NAME.c) for the compiler and the tests;
 *   - copied into each generated NAME.c with KK_API defined as a static
 *     function attribute, so two models link into one program without clashes.
 * Every declaration and definition carries KK_API.
 *
 * One header per family (kk_<family>.h) keeps the families independent.
 */
#ifndef KK_H
#define KK_H

#include <stddef.h>
#include <stdint.h>

#ifndef KK_API
#define KK_API
#endif

/* Element types, equal to ONNX TensorProto.DataType codes (and DType). */
enum {
    KK_F32 = 1, KK_U8 = 2, KK_I8 = 3, KK_U16 = 4, KK_I16 = 5, KK_I32 = 6,
    KK_I64 = 7, KK_BOOL = 9, KK_F16 = 10, KK_F64 = 11, KK_U32 = 12, KK_U64 = 13,
    KK_BF16 = 16
};

#define KK_MAX_RANK 8

/* The vector sigmoids (kernels/ref/unary.c, the fast kernels' epilogues)
 * give 0 below this, and so SiLU / Swish give (signed) 0 for inputs under
 * about -69; the error is below 1e-28. The true values only fill tensors
 * with denormals, each of which costs a microcode assist in every later
 * operation on many x86 cores (an EfficientNet-B0 with random weights ran
 * 5 % slower for it). NaN stays NaN. */
#define KK_SIGMOID_TINY 1e-30f

#include "kk_unary.h"
#include "kk_binary.h"
#include "kk_conv.h"
#include "kk_reduce.h"
#include "kk_shape.h"
#include "kk_dense.h"
#include "kk_norm.h"
#include "kk_index.h"
#include "kk_detect.h"
#include "kk_logic.h"

#endif
