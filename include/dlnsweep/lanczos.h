/* lanczos.h — top eigenvalues of the Hessian by Lanczos on exact HVPs. */
#ifndef DLNSWEEP_LANCZOS_H
#define DLNSWEEP_LANCZOS_H

#include <stdint.h>
#include "dlnsweep/model.h"

/* Top k eigenvalues (descending) of H at m's current parameters into top[k],
 * using at most min(iters, nparams) Krylov steps with full
 * reorthogonalisation and a start vector drawn from seed (deterministic:
 * same model, iters and seed give bit-identical output).  Invariant
 * subspaces restart from fresh seeded vectors, so repeated eigenvalues are
 * found with their multiplicity; with iters >= nparams the result is exact.
 * Entries that cannot be filled (k > nparams) and all entries at non-finite
 * parameters are NaN.  Returns 0, 1 on allocation/LAPACK failure, 2 on bad
 * args (k < 1, k > iters).  Not collective; allocates its Krylov basis
 * (min(iters, nparams) x nparams). */
int dln_lanczos_top(dln_model *m, int iters, int k, uint64_t seed,
                    double *top);

#endif
