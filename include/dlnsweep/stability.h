/* stability.h — which side of a period-doubling bifurcation an orbit is on,
 * from its slow transient (critical slowing down).
 *
 * Near a flip bifurcation of a p-cycle the deviation from p-periodicity,
 * a_k = ||x_t - x_{t-p}|| sampled every 2p steps, obeys the amplitude
 * equation a_{k+1} = a_k (1 + mu - c a_k^2 + ...). Brute-force period tests
 * need ~1/|mu| steps to decide; fitting ln(a_{k+1}/a_k) = mu - c a_k^2 by
 * least squares recovers the sign of mu from a window far shorter than
 * that: mu < 0 means the p-cycle is stable (the deviation dies out), mu > 0
 * that it has given way to a 2p-cycle. Pure numerics: no I/O. */
#ifndef DLNSWEEP_STABILITY_H
#define DLNSWEEP_STABILITY_H

/* Fit mu (and c if non-NULL) to n samples a[0..n-1]. Returns 0, or 2 when
 * the fit is not determined (fewer than 8 positive finite samples, or a
 * amplitude that no longer changes, i.e. the orbit has settled).
 * Not collective; allocates O(n). */
int dln_stability_growth_rate(const double *a, int n, double *mu, double *c);

#endif
