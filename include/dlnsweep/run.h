/* run.h — one complete training run: GD for p->steps steps, diagnostics
 * every record_every steps, then the late-orbit classification
 * (converged / periodic(p) / chaotic / divergent / collapsed).
 * Numerics only: no I/O, no MPI; NaN/Inf never crash it. */
#ifndef DLNSWEEP_RUN_H
#define DLNSWEEP_RUN_H

#include "dlnsweep/params.h"
#include "dlnsweep/result.h"

/* Train and diagnose p into the inited result r (caller clears it).
 * Returns 0 when a result (divergent included) was produced; 2 for invalid
 * p and 1 for allocation failure, with r->error set and regime ERROR.
 * Not collective; r->wall_s is filled. */
int dln_run(const dln_params *p, dln_result *r);

#endif
