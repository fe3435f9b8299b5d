/* refine.h — adaptive bisection of regime boundaries along one axis.
 *
 * Points live on an integer lattice: index i in 0..n maps to
 * lo + (hi - lo) * (i / n) (evaluated exactly so, i / n first; i = n gives
 * hi), so a bisection midpoint (i + j) / 2 is an exact,
 * reproducible coordinate that a resumed sweep regenerates bit for bit.
 * The initial grid of g points sits at multiples of n / (g - 1). Pure logic:
 * no I/O, no MPI. */
#ifndef DLNSWEEP_REFINE_H
#define DLNSWEEP_REFINE_H

#include "dlnsweep/result.h"

/* One evaluated point of a line (cells equal except along the axis). */
typedef struct dln_refine_point {
    long index;          /* lattice index                          */
    dln_regime regime;   /* label: regime and, if periodic, period */
    int period;
} dln_refine_point;

/* Lattice size for a grid of g points refined down to a spacing <= tol:
 * (g - 1) * 2^k with the smallest such k (at most 2^40 per cell). Pure. */
long dln_refine_lattice(double lo, double hi, int g, double tol);

/* Coordinate of lattice index i (pure; the one formula every caller uses). */
double dln_refine_coord(double lo, double hi, long n, long i);

/* Nearest lattice index of x, or -1 if x is not a lattice coordinate. */
long dln_refine_index(double lo, double hi, long n, double x);

/* 1 if two points carry the same label (regime, and period if periodic). */
int dln_refine_same_label(const dln_refine_point *a,
                          const dln_refine_point *b);

/* Sort pts by index (in place), then write into out the midpoint of every
 * adjacent pair whose labels differ and whose gap exceeds 1 lattice step;
 * returns how many (at most maxout). Pure apart from the sort. */
int dln_refine_propose(dln_refine_point *pts, int n, long *out, int maxout);

#endif
