/* lanczos.h — top eigenvalues of the Hessian by Lanczos on exact HVPs. */
#ifndef DLNSWEEP_LANCZOS_H
#define DLNSWEEP_LANCZOS_H

#include <stdint.h>
#include "dlnsweep/model.h"

/* Top k eigenvalues (descending) of H at m's current parameters into top[k],
 * using at most iters Krylov steps with full reorthogonalisation and a start
 * vector drawn from seed. Returns 0, 1 on allocation failure, 2 on bad args.
 * Not collective; allocates its Krylov basis (iters x nparams). */
int dln_lanczos_top(dln_model *m, int iters, int k, uint64_t seed,
                    double *top);

#endif
