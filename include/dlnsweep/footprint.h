/* footprint.h — the memory one run needs, predicted from its parameters
 * alone, so that `check` and `run` refuse a cell that cannot fit before
 * any work starts (instead of a failed malloc, or the OOM killer, hours
 * into a sweep).
 *
 * It counts the engine's allocations (src/engine/): the weights with
 * their gradient, prefix and back-propagated products; the SVD and Gram
 * scratch of the diagnostics; the end-of-run dynamics (the Lyapunov
 * spectrum's lyapunov_k tangent vectors, Floquet multipliers, the SVS
 * split's tables); the Lanczos basis (lanczos_iters x nparams); the dense
 * Hessian and its
 * eigensolver workspace when full_spectrum; the orbit ring; and the
 * recorded trajectory, held three times while a worker sends it (the
 * result, its packed copy, the MPI message; a worker's outbox may keep the
 * messages of up to 7 earlier results a little longer).  Checked against
 * the measured peak resident size of runs where each part dominates
 * (tests/reliability_test.py, memory case). */
#ifndef DLNSWEEP_FOOTPRINT_H
#define DLNSWEEP_FOOTPRINT_H

#include "dlnsweep/params.h"

/* Bytes per rank, by part (doubles: a width of 1e6 does not overflow). */
typedef struct dln_footprint {
    double base;         /* the process itself: libraries, MPI, BLAS buffers */
    double model;        /* weights, products, target, diagnostics scratch   */
    double lanczos;      /* Krylov basis and vectors                         */
    double tangent;      /* end-of-run dynamics: Lyapunov, Floquet, SVS      */
    double hessian;      /* dense Hessian and eigensolver (full_spectrum)    */
    double trajectory;   /* recorded points and the late orbit               */
    double newton;       /* a continuation's Newton-Krylov (GMRES) workspace */
    double total;        /* the peak of one run: the sum, but a serial run
                            holds only the largest of lanczos, tangent and
                            hessian at a time (each made and freed in turn) */
} dln_footprint;

/* Predicted peak bytes of one run of p on one rank (group <= 1), or on
 * each rank of a ScaLAPACK group of `group` ranks (whose rank 0 also holds
 * the serial model it scatters).  Fills *f when not NULL.  Pure. */
double dln_footprint_estimate(const dln_params *p, int group,
                              dln_footprint *f);

/* Predicted peak bytes of one continuation task of p's cell (refine:
 * {method: continuation}, on one rank): the serial model and the
 * Newton-Krylov workspace (GMRES basis of 61 vectors); fills *f when not
 * NULL.  Pure. */
double dln_footprint_continuation(const dln_params *p, dln_footprint *f);

/* Name of f's largest part ("Lanczos basis", "dense Hessian", ...), for
 * messages, and its bytes into *bytes (may be NULL).  Pure. */
const char *dln_footprint_largest(const dln_footprint *f, double *bytes);

#endif
