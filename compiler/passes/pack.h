/*
 * pack.h - lowering to the fast kernels (pack.c): the last step before the
 * memory planner, run by the driver (kiln_optimize) at -O1, not a named
 * pass of the pipeline: it depends on the target (--cpu, --threads), and
 * the IR golden tests print the pipeline's target-independent result.
 */
#ifndef KILN_PACK_H
#define KILN_PACK_H

#include "ir.h"

/* Scratch slots (threads) reserved when --threads asks for every core:
 * the pool of the generated code runs at most this many threads. */
#define KILN_THREADS_DEFAULT_MAX 16

/* The KK_ISA_* panel geometry of a --cpu choice (KILN_CPU_*, kiln.h) on
 * this machine; 0 for the reference kernels. */
int pack_isa(int cpu);
/* Marks float32 Conv / Gemm / MatMul nodes with a constant weight operand
 * for the fast kernels of pack_isa(cpu), packs that operand into a new
 * constant in panel order, and gives packed nodes threads' worth of
 * scratch (threads: 0 every online core, N). Sets g->threads. */
int pass_pack(Graph *g, int cpu, int threads, Diag *d);

#endif
