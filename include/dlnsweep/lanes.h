/* lanes.h — the engine's small-network kernels: which networks use them and
 * which instruction set they run on.
 *
 * A network whose every dimension (d_in, width, d_out) is at most
 * dln_lanes_max_dim() takes its loss, gradient and GD step through
 * fixed-order loops over lanes (one lane for dln_model, many for dln_batch)
 * instead of BLAS, whose per-call overhead dominates at these sizes.  The
 * loops do the same IEEE operations in the same order on every lane, in
 * every batch, on every instruction set, so a cell's trajectory is bitwise
 * the same whichever runs it.  Numerics only: no I/O. */
#ifndef DLNSWEEP_LANES_H
#define DLNSWEEP_LANES_H

#include "dlnsweep/params.h"

/* Largest dimension run on lanes (measured: bench/bench_lanes.c). */
#define DLN_LANES_MAX_DIM 8

/* DLN_LANES_MAX_DIM, or the environment's DLN_LANES_MAX_DIM (an integer
 * >= 0; 0 sends every network to BLAS) for benchmarks (not collective). */
int dln_lanes_max_dim(void);

/* 1 when every dimension of p is at most dln_lanes_max_dim(), else 0. */
int dln_lanes_fits(const dln_params *p);

/* Name of the instruction set in force: "generic" (baseline x86-64 or any
 * CPU), "avx2" or "avx512" (not collective). */
const char *dln_lanes_isa_name(void);

/* 1 when this build and CPU can run the named instruction set, else 0. */
int dln_lanes_isa_available(const char *name);

/* Use the named instruction set from now on (NULL: the best available, or
 * the environment's DLN_LANES_ISA when set); returns 0, or 2 when it is
 * unknown or unavailable.  For tests and benchmarks: objects keep the set
 * they were created with; not thread-safe. */
int dln_lanes_isa_force(const char *name);

#endif
