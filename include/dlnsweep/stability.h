/* stability.h — which side of a period-doubling bifurcation an orbit is on,
 * from its slow transient (critical slowing down).
 *
 * Near a flip bifurcation of a q-cycle the deviation from q-periodicity,
 * a_k = ||x_t - x_{t-q}|| sampled every 2q steps, obeys the amplitude
 * equation a_{k+1} = a_k (1 + mu - c a_k^2 + ...). Brute-force period tests
 * need ~1/|mu| steps to decide; fitting ln(a_{k+1}/a_k) = mu - c a_k^2 by
 * least squares recovers the sign of mu from a window far shorter than
 * that: mu < 0 means the q-cycle is stable (the deviation dies out), mu > 0
 * that it has given way to a 2q-cycle. Pure numerics: no I/O. */
#ifndef DLNSWEEP_STABILITY_H
#define DLNSWEEP_STABILITY_H

#include "dlnsweep/orbit.h"

/* Fit mu (and c if non-NULL) to the samples a[0..n-1] above floor. Returns
 * 0, or 2 when the fit is not determined (fewer than 8 usable samples, or
 * an amplitude that no longer changes: the orbit has settled).
 * Not collective; allocates O(n). */
int dln_stability_growth_rate(const double *a, int n, double floor,
                              double *mu, double *c);

/* Deviation samples a_q for every q in 1..max_period over a window of
 * `window` steps, fed from the fingerprints of an orbit ring. */
typedef struct dln_transient dln_transient;

/* Sampler for periods up to max_period over window steps (window >= 1).
 * Returns 0, 1 on allocation failure, 2 on bad arguments; caller owns. */
int dln_transient_create(int max_period, long window, dln_transient **out);
/* Free t and set *t = NULL; accepts NULL. */
void dln_transient_destroy(dln_transient **t);

/* Record step k (0 = first step of the window) from ring o, whose newest
 * fingerprint is that step's; o must hold max_period older ones. */
void dln_transient_push(dln_transient *t, const dln_orbit *o, long k);

/* The period the orbit is settling to, given the brute-force period p0
 * (0 if none). If p0 > 1, halve it while the deviation from half the period
 * is dying out (mu < 0); if p0 == 0 and search is set, the smallest q whose
 * deviation dies out, else 0. floor: amplitude below which samples are
 * rounding noise. Pure. */
int dln_transient_period(const dln_transient *t, int p0, int search,
                         double floor);

#endif
