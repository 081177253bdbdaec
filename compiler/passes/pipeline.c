/*
 * pipeline.c - the named pass list, in order. kiln_optimize (driver.c) runs
 * each pass whose min_level <= -O level, optionally dumping the IR after a
 * pass (--dump-after) and verifying between passes (--verify-each).
 * The memory planner is not in this list: it runs once, last, in the driver.
 */
#include "ir.h"

const Pass pass_pipeline[] = {
    {"identity", pass_remove_identity, 1},
    {"fold", pass_fold_constants, 1},
    {"dce", pass_dce, 0},
    {"canonicalize", pass_canonicalize, 1},
    {"fold-pad", pass_fold_pad, 1},
    {"transpose", pass_cancel_transpose, 1},
    {"fold-affine", pass_fold_affine, 1},
    {"fuse-epilogue", pass_fuse_epilogue, 1},
    {"schedule", pass_schedule, 1},
};
const int pass_count = (int)(sizeof pass_pipeline / sizeof pass_pipeline[0]);
