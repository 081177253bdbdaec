/*
 * ops_attrs.h - the typed per-op attribute structs, one header per op family,
 * gathered into the OpAttrs union stored in every Node. Each family's parse
 * function (ops_<family>.c) fills its struct once from the raw attributes;
 * no pass or emitter looks an attribute up by string.
 */
#ifndef KILN_OPS_ATTRS_H
#define KILN_OPS_ATTRS_H

#include "attrs/unary.h"
#include "attrs/binary.h"
#include "attrs/conv.h"
#include "attrs/reduce.h"
#include "attrs/shape.h"
#include "attrs/dense.h"
#include "attrs/norm.h"
#include "attrs/index.h"
#include "attrs/detect.h"
#include "attrs/logic.h"

typedef union OpAttrs {
    UnaryAttrs unary;     /* ops_unary.c */
    BinaryAttrs binary;   /* ops_binary.c */
    ConvAttrs conv;       /* ops_conv.c */
    ReduceAttrs reduce;   /* ops_reduce.c */
    ShapeAttrs shape;     /* ops_shape.c */
    DenseAttrs dense;     /* ops_dense.c */
    NormAttrs norm;      /* ops_norm.c */
    IndexAttrs index;     /* ops_index.c */
    DetectAttrs detect;    /* ops_detect.c */
    LogicAttrs logic;     /* ops_logic.c */
} OpAttrs;

#endif
