/* orbit.h — period detection on the late orbit of a trajectory.
 *
 * The orbit is observed through a short fingerprint vector per step (for
 * instance loss, the top singular values and a few fixed projections of the
 * parameters); a ring buffer keeps the last 2*max_period+1 fingerprints.
 *
 * Period test: p is a period when every fingerprint of the last p+1 steps
 * equals the one p steps earlier, |f_{t-k} - f_{t-k-p}|_inf <= tol * scale
 * for k = 0..p (2p+1 samples, two full periods), where scale is the largest
 * |f| entry in those samples.  One scale for the whole vector (not one per
 * entry), so an entry that tends to 0 (the loss at a minimum) cannot turn
 * rounding noise into a spurious "no period".  A non-finite entry in the
 * window means no period. */
#ifndef DLNSWEEP_ORBIT_H
#define DLNSWEEP_ORBIT_H

#include <stddef.h>

typedef struct dln_orbit dln_orbit;

/* Ring buffer for fingerprints of dim doubles, periods up to max_period.
 * Returns 0, 1 on allocation failure, 2 if dim < 1 or max_period < 1;
 * caller owns *out. */
int dln_orbit_create(int dim, int max_period, dln_orbit **out);
/* Free o and set *o = NULL; accepts NULL. */
void dln_orbit_destroy(dln_orbit **o);

/* Forget every pushed fingerprint (keeps the buffer). */
void dln_orbit_reset(dln_orbit *o);

/* Append one fingerprint (dim doubles, copied; never allocates). */
void dln_orbit_push(dln_orbit *o, const double *fingerprint);

/* Fingerprints pushed since create/reset (pure). */
long dln_orbit_count(const dln_orbit *o);

/* The fingerprint pushed lag steps ago (0 = latest), borrowed; NULL when
 * lag is beyond what was pushed or what the buffer holds (pure). */
const double *dln_orbit_get(const dln_orbit *o, int lag);

/* Smallest p in 1..max_period such that the last 2p+1 fingerprints repeat
 * with period p to relative tolerance tol (see above); 0 if none or too few
 * fingerprints. Pure apart from reading o. */
int dln_orbit_period(const dln_orbit *o, double tol);

/* Relative period-p defect of the window, max_k |f_{t-k} - f_{t-k-p}|_inf /
 * scale over k = 0..p: the number dln_orbit_period compares with tol.
 * NaN when fewer than 2p+1 fingerprints or a non-finite entry; 0 for an
 * all-zero window. Pure. */
double dln_orbit_defect(const dln_orbit *o, int p);

#endif
