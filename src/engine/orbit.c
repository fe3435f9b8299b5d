/* orbit.c — ring buffer of orbit fingerprints and period detection. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/orbit.h"

/* Each fingerprint is stored twice, at slot h and h + cap of a ring of
 * 2 cap slots, so the newest w <= cap of them are always one contiguous
 * block (oldest first) and the period test reads plain arrays.  Each
 * slot also keeps max_j |f_j| of its fingerprint and whether every entry
 * is finite: the test's scale over 2p+1 fingerprints is then a max over
 * 2p+1 numbers.  A max does not depend on the order it is taken in, so
 * every number is the one the entry-by-entry definition (orbit.h) gives. */
struct dln_orbit {
    int dim;
    int max_period;
    int cap;          /* 2*max_period + 1 fingerprints       */
    int head;         /* slot (0..cap-1) of the next push     */
    long count;       /* pushed since create/reset            */
    double *ring;     /* 2 cap x dim, slot-major              */
    double *amax;     /* 2 cap: max_j |f_j| per slot          */
    unsigned char *finite;   /* 2 cap: every entry finite     */
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
    o->ring = malloc(sizeof(double) * 2 * (size_t)o->cap * (size_t)dim);
    o->amax = malloc(sizeof(double) * 2 * (size_t)o->cap);
    o->finite = malloc(2 * (size_t)o->cap);
    if (!o->ring || !o->amax || !o->finite)
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
    free((*o)->amax);
    free((*o)->finite);
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
    size_t dim = (size_t)o->dim, h = (size_t)o->head, c = (size_t)o->cap;
    double big = 0.0, bad = 0.0;
    for (size_t j = 0; j < dim; j++) {
        double f = fingerprint[j];
        bad += f - f;            /* NaN for a NaN or infinite entry */
        if (fabs(f) > big)
            big = fabs(f);
    }
    memcpy(o->ring + h * dim, fingerprint, sizeof(double) * dim);
    memcpy(o->ring + (h + c) * dim, fingerprint, sizeof(double) * dim);
    o->amax[h] = o->amax[h + c] = big;
    o->finite[h] = o->finite[h + c] = bad == 0.0;
    o->head = (o->head + 1) % o->cap;
    o->count++;
}

long dln_orbit_count(const dln_orbit *o)
{
    return o->count;
}

/* Slot (in 0..2 cap-1) of the fingerprint lag steps ago such that the
 * lags 0..w-1 (w <= cap) lie at slot, slot-1, ..., all inside the ring. */
static size_t slot_of(const dln_orbit *o, int lag)
{
    return (size_t)(o->head + o->cap - 1 - lag);
}

const double *dln_orbit_get(const dln_orbit *o, int lag)
{
    if (lag < 0 || lag >= o->cap || (long)lag >= o->count)
        return NULL;
    return o->ring + slot_of(o, lag) * (size_t)o->dim;
}

double dln_orbit_defect(const dln_orbit *o, int p)
{
    if (p < 1 || p > o->max_period || o->count < 2L * p + 1)
        return NAN;
    size_t dim = (size_t)o->dim, newest = slot_of(o, 0);
    size_t oldest = slot_of(o, 2 * p);   /* newest - 2p, contiguous */
    double scale = 0.0, worst = 0.0;
    for (size_t sl = oldest; sl <= newest; sl++) {
        if (!o->finite[sl])
            return NAN;
        if (o->amax[sl] > scale)
            scale = o->amax[sl];
    }
    /* f_{t-k} - f_{t-k-p} for k = 0..p: the last p+1 slots against the
     * p+1 slots p earlier, one contiguous run each. */
    const double *a = o->ring + slot_of(o, p) * dim;
    const double *b = o->ring + oldest * dim;
    size_t cnt = ((size_t)p + 1) * dim;
    for (size_t e = 0; e < cnt; e++) {
        double diff = fabs(a[e] - b[e]);
        if (diff > worst)
            worst = diff;
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
