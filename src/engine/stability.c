/* stability.c — amplitude-equation fit of a slow orbit transient, and the
 * sampler that feeds it from the run's fingerprint ring. */
#include <math.h>
#include <stdlib.h>
#include <lapacke.h>
#include "dlnsweep/stability.h"

int dln_stability_growth_rate(const double *a, int n, double floor,
                              double *mu, double *c)
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
        if (!(a[k] > floor) || !(a[k + 1] > floor) || !isfinite(a[k]) ||
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

struct dln_transient {
    int max_period;
    long window;
    long next_k;      /* the k a countdown expects next (-1: none)    */
    int *due;         /* due[q]: pushes until q's next sample         */
    double **amp;     /* amp[q] holds a_q samples, q = 1..max_period */
    int *count;       /* samples taken per q                          */
};

int dln_transient_create(int max_period, long window, dln_transient **out)
{
    int rc = 2;
    dln_transient *t = NULL;
    *out = NULL;
    if (max_period < 1 || window < 1)
        goto cleanup;
    rc = 1;
    t = calloc(1, sizeof *t);
    if (!t)
        goto cleanup;
    t->max_period = max_period;
    t->window = window;
    t->amp = calloc((size_t)max_period + 1, sizeof *t->amp);
    t->count = calloc((size_t)max_period + 1, sizeof *t->count);
    t->due = calloc((size_t)max_period + 1, sizeof *t->due);
    t->next_k = -1;
    if (!t->amp || !t->count || !t->due)
        goto cleanup;
    for (int q = 1; q <= max_period; q++)
        if (!(t->amp[q] = malloc(sizeof(double) * (size_t)(window / (2 * q) + 1))))
            goto cleanup;
    *out = t;
    t = NULL;
    rc = 0;
cleanup:
    dln_transient_destroy(&t);
    return rc;
}

void dln_transient_destroy(dln_transient **pt)
{
    if (!pt || !*pt)
        return;
    dln_transient *t = *pt;
    if (t->amp)
        for (int q = 1; q <= t->max_period; q++)
            free(t->amp[q]);
    free(t->amp);
    free(t->count);
    free(t->due);
    free(t);
    *pt = NULL;
}

void dln_transient_push(dln_transient *t, const dln_orbit *o, long k)
{
    /* q samples when 2q divides k; consecutive pushes count down to it
     * instead of taking max_period remainders at every step. */
    if (k != t->next_k)
        for (int q = 1; q <= t->max_period; q++)
            t->due[q] = (int)((2L * q - k % (2L * q)) % (2L * q));
    t->next_k = k + 1;
    for (int q = 1; q <= t->max_period; q++) {
        if (t->due[q]-- != 0)
            continue;
        t->due[q] = 2 * q - 1;
        if (t->count[q] > t->window / (2 * q))
            continue;
        double d = dln_orbit_defect(o, q);
        if (!isnan(d))
            t->amp[q][t->count[q]++] = d;
    }
}

/* 1 if the deviation from q-periodicity is dying out. */
static int dying(const dln_transient *t, int q, double floor)
{
    double mu;
    if (q < 1 || q > t->max_period)
        return 0;
    return dln_stability_growth_rate(t->amp[q], t->count[q], floor, &mu,
                                     NULL) == 0 && mu < 0.0;
}

int dln_transient_period(const dln_transient *t, int p0, int search,
                         double floor)
{
    if (p0 >= 1) {
        while (p0 % 2 == 0 && dying(t, p0 / 2, floor))
            p0 /= 2;
        return p0;
    }
    for (int q = 1; search && q <= t->max_period; q++)
        if (dying(t, q, floor))
            return q;
    return 0;
}
