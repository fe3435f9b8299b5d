/* pmodel.h — the wide-network engine: one run spread over a group of ranks,
 * weights 2D block-cyclic on a BLACS grid, products by PDGEMM, singular
 * values by PDGESVD, sharpness by Lanczos on distributed HVPs. */
#ifndef DLNSWEEP_PMODEL_H
#define DLNSWEEP_PMODEL_H

#include <mpi.h>
#include "dlnsweep/params.h"
#include "dlnsweep/result.h"

/* Same contract and same numbers (to rounding) as dln_run, computed by all
 * ranks of comm together. Collective over comm (duplicated internally);
 * the full result is valid on rank 0 of comm, others get regime/period only.
 * Returns 0, 2 for invalid p, 1 on failure (same value on every rank). */
int dln_prun(const dln_params *p, MPI_Comm comm, dln_result *r);

#endif
