/*
 * attrs/shape.h - typed attributes of the data movement / shape family
 * (ops_shape.c, ops_movement.c).
 *
 * Two kinds of fields: "parse" fields hold the raw attributes as given
 * (filled once by shape_parse); "infer" fields hold arguments resolved
 * against the input shapes and constant inputs (filled by shape_infer,
 * recomputed whenever it runs), which is all exec and the emitter read.
 * Per-op parts share storage through an anonymous union; array bounds are
 * KILN_MAX_RANK (8) dims, 2*8 pads, KILN_MAX_OUT (8) split outputs.
 */
#ifndef KILN_ATTRS_SHAPE_H
#define KILN_ATTRS_SHAPE_H
#include <stdint.h>

struct Value;

typedef struct ShapeAttrs {
    int64_t axis_attr;        /* parse: raw axis (Flatten/Concat/Split/Gather), may be negative */
    int axis;                 /* infer: axis normalized into [0, rank) ([0, rank] for Flatten) */
    union {
        struct {
            int allowzero;            /* parse: Reshape allowzero (opset 14) */
        } reshape;
        struct {
            int naxes;                /* parse: axes attribute (opset < 13), -1 if absent */
            int64_t axes[8];
        } squeeze;                    /* Squeeze and Unsqueeze */
        struct {
            int nperm_attr;           /* parse: perm attribute length, -1 if absent */
            int64_t perm_attr[8];
            int64_t perm[8];          /* infer: resolved perm (default reversed), rank entries */
        } transpose;
        struct {
            int nsplit;               /* parse: split attribute (opset < 13), -1 if absent */
            int64_t split[8];
            int num_outputs;          /* parse: opset 18 num_outputs, 0 if absent */
            int64_t sizes[8];         /* infer: size of each output along axis */
        } split;
        struct {
            int nstarts, nends, naxes;      /* parse: opset 1 attributes, -1 if absent */
            int64_t starts[8], ends[8], axes[8];
            int64_t rstart[8];              /* infer: clamped start per input dim */
            int64_t rstep[8];               /* infer: step per input dim */
        } slice;
        struct {
            int mode;                 /* parse: KK_PAD_CONSTANT/REFLECT/EDGE/WRAP (0..3) */
            int npads;                /* parse: pads attribute (opset < 11), -1 if absent */
            int64_t pads[16];
            double value;             /* parse: value attribute (opset < 11), default 0 */
            int64_t rpads[16];        /* infer: begins then ends for every input dim */
        } pad;
        struct {
            int64_t start, end;       /* parse: opset 15 start/end; end INT64_MAX if absent */
            int64_t rstart, rend;     /* infer: clamped into [0, rank] */
        } shapeop;                    /* the Shape op */
        struct {
            struct Value *value;      /* parse: Constant's tensor / ConstantOfShape's value
                                       * (detached VK_CONST value); NULL: f32 zero */
        } constant;
    };
} ShapeAttrs;
#endif
