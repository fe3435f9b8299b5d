/* refine.c — lattice and bisection rule of adaptive boundary refinement. */
#include <math.h>
#include <stdlib.h>
#include "dlnsweep/refine.h"

long dln_refine_lattice(double lo, double hi, int g, double tol)
{
    long n = g > 1 ? g - 1 : 1;
    double span = fabs(hi - lo);
    for (int k = 0; k < 40 && span / (double)n > tol; k++)
        n *= 2;
    return n;
}

double dln_refine_coord(double lo, double hi, long n, long i)
{
    if (i == n)
        return hi;   /* the grid's end points are exactly the user's */
    return lo + (hi - lo) * ((double)i / (double)n);
}

long dln_refine_index(double lo, double hi, long n, double x)
{
    if (hi == lo)
        return 0;
    double t = (x - lo) / (hi - lo) * (double)n;
    long i = lround(t);
    if (i < 0 || i > n || dln_refine_coord(lo, hi, n, i) != x)
        return -1;
    return i;
}

int dln_refine_same_label(const dln_refine_point *a,
                          const dln_refine_point *b)
{
    if (a->regime != b->regime)
        return 0;
    return a->regime != DLN_REGIME_PERIODIC || a->period == b->period;
}

static int by_index(const void *pa, const void *pb)
{
    const dln_refine_point *a = pa, *b = pb;
    return (a->index > b->index) - (a->index < b->index);
}

int dln_refine_propose(dln_refine_point *pts, int n, long *out, int maxout)
{
    int count = 0;
    qsort(pts, (size_t)n, sizeof *pts, by_index);
    for (int k = 0; k + 1 < n && count < maxout; k++) {
        long gap = pts[k + 1].index - pts[k].index;
        if (gap > 1 && !dln_refine_same_label(&pts[k], &pts[k + 1]))
            out[count++] = pts[k].index + gap / 2;
    }
    return count;
}

const char *dln_located_kind_name(int kind)
{
    switch (kind) {
    case DLN_LOCATED_FLIP: return "flip";
    case DLN_LOCATED_FOLD: return "fold";
    case DLN_LOCATED_MODE_FLIP: return "mode-flip";
    }
    return "unknown";
}
