/* refine.h — adaptive bisection of regime boundaries along one axis, and
 * the bifurcation points a continuation locates exactly (continuation.h).
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

/* A bifurcation located by continuation (refine: {method: continuation}):
 * plain data, travels inside a dln_result between ranks. */
typedef enum dln_located_kind {
    DLN_LOCATED_FLIP = 1,     /* a multiplier through -1: period p -> 2p      */
    DLN_LOCATED_FOLD,         /* through +1 where the branch turns (a window
                                 opens: period p appears)                    */
    DLN_LOCATED_MODE_FLIP     /* a period-q sub-orbit flips; p stays          */
} dln_located_kind;

typedef struct dln_located {
    int kind;                 /* dln_located_kind                            */
    double eta;               /* located                                     */
    int period;               /* the cycle followed into the point           */
    int period_after;         /* the branch taken after it                   */
    int subperiod;            /* the sub-orbit that flips (p for a flip)     */
    double multiplier;        /* the critical multiplier there (~ -1 / +1)   */
    double residual;          /* |G^p(x) - x| / |x| of the orbit there        */
    double test;              /* |mu -+ 1| left at the located point          */
} dln_located;

/* "flip", "fold", "mode-flip" ("unknown" otherwise; pure). */
const char *dln_located_kind_name(int kind);

#endif
