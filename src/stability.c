/* stability.c — amplitude-equation fit of a slow orbit transient. */
#include <math.h>
#include <stdlib.h>
#include <lapacke.h>
#include "dlnsweep/stability.h"

int dln_stability_growth_rate(const double *a, int n, double *mu, double *c)
{
    int rc = 2, m = 0;
    double *design = NULL, *rhs = NULL;
    if (n < 9)
        goto cleanup;
    rc = 1;
    design = malloc(sizeof(double) * 2 * (size_t)(n - 1));
    rhs = malloc(sizeof(double) * (size_t)(n - 1));
    if (!design || !rhs)
        goto cleanup;
    rc = 2;
    double lo = INFINITY, hi = 0.0;
    for (int k = 0; k + 1 < n; k++) {
        if (!(a[k] > 0.0) || !(a[k + 1] > 0.0) || !isfinite(a[k]) ||
            !isfinite(a[k + 1]))
            continue;
        rhs[m] = log(a[k + 1] / a[k]);
        design[m] = a[k] * a[k];      /* column 2 filled below */
        lo = fmin(lo, a[k]);
        hi = fmax(hi, a[k]);
        m++;
    }
    /* A settled orbit (constant amplitude) carries no information on mu. */
    if (m < 8 || hi - lo <= 1e-9 * hi)
        goto cleanup;
    for (int k = 0; k < m; k++) {      /* column-major m x 2: [1, -a^2] */
        design[m + k] = -design[k];
        design[k] = 1.0;
    }
    if (LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', m, 2, 1, design, m, rhs, m) != 0)
        goto cleanup;
    *mu = rhs[0];
    if (c)
        *c = rhs[1];
    rc = 0;
cleanup:
    free(design);
    free(rhs);
    return rc;
}
