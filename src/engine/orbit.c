/* orbit.c — ring buffer of orbit fingerprints and period detection. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/orbit.h"

struct dln_orbit {
    int dim;
    int max_period;
    int cap;          /* 2*max_period + 1 fingerprints       */
    int head;         /* slot of the next push                */
    long count;       /* pushed since create/reset            */
    double *ring;     /* cap x dim, slot-major                */
};

int dln_orbit_create(int dim, int max_period, dln_orbit **out)
{
    int rc = 2;
    dln_orbit *o = NULL;
    *out = NULL;
    if (dim < 1 || max_period < 1 || max_period > (1 << 20))
        goto cleanup;
    rc = 1;
    o = calloc(1, sizeof *o);
    if (!o)
        goto cleanup;
    o->dim = dim;
    o->max_period = max_period;
    o->cap = 2 * max_period + 1;
    o->ring = malloc(sizeof(double) * (size_t)o->cap * (size_t)dim);
    if (!o->ring)
        goto cleanup;
    *out = o;
    o = NULL;
    rc = 0;
cleanup:
    dln_orbit_destroy(&o);
    return rc;
}

void dln_orbit_destroy(dln_orbit **o)
{
    if (!o || !*o)
        return;
    free((*o)->ring);
    free(*o);
    *o = NULL;
}

void dln_orbit_reset(dln_orbit *o)
{
    o->head = 0;
    o->count = 0;
}

void dln_orbit_push(dln_orbit *o, const double *fingerprint)
{
    memcpy(o->ring + (size_t)o->head * o->dim, fingerprint,
           sizeof(double) * (size_t)o->dim);
    o->head = (o->head + 1) % o->cap;
    o->count++;
}

long dln_orbit_count(const dln_orbit *o)
{
    return o->count;
}

const double *dln_orbit_get(const dln_orbit *o, int lag)
{
    if (lag < 0 || lag >= o->cap || (long)lag >= o->count)
        return NULL;
    int slot = ((o->head - 1 - lag) % o->cap + o->cap) % o->cap;
    return o->ring + (size_t)slot * o->dim;
}

double dln_orbit_defect(const dln_orbit *o, int p)
{
    if (p < 1 || p > o->max_period || o->count < 2L * p + 1)
        return NAN;
    double scale = 0.0, worst = 0.0;
    for (int k = 0; k <= 2 * p; k++) {
        const double *f = dln_orbit_get(o, k);
        for (int j = 0; j < o->dim; j++) {
            if (!isfinite(f[j]))
                return NAN;
            if (fabs(f[j]) > scale)
                scale = fabs(f[j]);
        }
    }
    for (int k = 0; k <= p; k++) {
        const double *a = dln_orbit_get(o, k), *b = dln_orbit_get(o, k + p);
        for (int j = 0; j < o->dim; j++) {
            double diff = fabs(a[j] - b[j]);
            if (diff > worst)
                worst = diff;
        }
    }
    return scale > 0.0 ? worst / scale : 0.0;
}

int dln_orbit_period(const dln_orbit *o, double tol)
{
    for (int p = 1; p <= o->max_period; p++) {
        double defect = dln_orbit_defect(o, p);
        if (isnan(defect))
            return 0;   /* too few samples for p (and any larger p) or NaN */
        if (defect <= tol)
            return p;
    }
    return 0;
}
