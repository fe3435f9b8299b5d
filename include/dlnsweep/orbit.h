/* orbit.h — period detection on the late orbit of a trajectory.
 *
 * The orbit is observed through a short fingerprint vector per step (for
 * instance loss, the top singular values and a few fixed projections of the
 * parameters); a ring buffer keeps the last 2*max_period+1 fingerprints. */
#ifndef DLNSWEEP_ORBIT_H
#define DLNSWEEP_ORBIT_H

#include <stddef.h>

typedef struct dln_orbit dln_orbit;

/* Ring buffer for fingerprints of dim doubles, periods up to max_period.
 * Returns 0 or 1 on allocation failure; caller owns *out. */
int dln_orbit_create(int dim, int max_period, dln_orbit **out);
/* Free o and set *o = NULL; accepts NULL. */
void dln_orbit_destroy(dln_orbit **o);

/* Append one fingerprint (dim doubles, copied). */
void dln_orbit_push(dln_orbit *o, const double *fingerprint);

/* Smallest p in 1..max_period such that the last p+... fingerprints repeat
 * with period p to relative tolerance tol (checked over two full periods);
 * 0 if none. Pure apart from reading o. */
int dln_orbit_period(const dln_orbit *o, double tol);

#endif
