/* lanes_internal.h — the engine's fixed-order small-network kernels over
 * lanes (lanes.c, lanes_kernel.h), shared by the one-cell model (model.c,
 * one lane) and the lock-step batch (batch.c, tiles of DLN_LANES_TILE lanes).
 *
 * A lane is one network.  Entry e of lane b of an operand with lane stride
 * s lives at ptr[e * s + b]: the parameters and the target use the batch's
 * stride (1 for the model, whose vectors are then the flat vectors of
 * model.h), the workspaces the tile width.  Every lane of every call does
 * the same IEEE operations in the same order (no contraction, no
 * reassociation; lanes_kernel.h lists the order), so a lane's bits depend
 * neither on its neighbours, nor on the lane count, nor on the instruction
 * set the dispatcher picked. */
#ifndef DLNSWEEP_LANES_INTERNAL_H
#define DLNSWEEP_LANES_INTERNAL_H

#include <stddef.h>
#include "dlnsweep/lanes.h"

#define DLN_LANES_TILE 32    /* lanes per tile of the batched step */

/* Layers 1..L: d_0 = d_in, d_1..d_{L-1} = width, d_L = d_out. */
typedef struct dln_lanes_shape {
    int L, d_in, width, d_out;
} dln_lanes_shape;

/* One tile of the batched step: DLN_LANES_TILE lanes starting at lane b0
 * of the batch's arrays (x and target at lane stride xs; eta, bound and
 * loss indexed by lane; live[t] != 0 for lanes whose loss counts). */
typedef struct dln_lanes_tile {
    double *x;              /* parameters, lane stride xs             */
    const double *target;   /* M*, lane stride xs                     */
    size_t xs;
    const double *eta, *bound;
    const unsigned char *live;
    double *loss;           /* f(x) of every lane on return           */
    double *ws;             /* dln_lanes_tile_ws(shape) doubles       */
} dln_lanes_tile;

/* One instruction set's kernels.  The _one functions work on a single lane
 * with lane stride 1 and the model's layouts (prefixes P_l at
 * (l-1) width d_in, back products B_l likewise). */
typedef struct dln_lanes_isa {
    const char *name;
    /* P_1..P_L, E = P_L - M* and f = 1/2 ||E||^2 into *loss. */
    void (*forward_one)(dln_lanes_shape s, const double *x,
                        const double *target, double *prefix, double *resid,
                        double *loss);
    /* B_{L-1}..B_1 into back and the gradient into g, from forward_one's
     * prefix and resid at the same x. */
    void (*gradient_one)(dln_lanes_shape s, const double *x,
                         const double *prefix, const double *resid,
                         double *back, double *g);
    /* x <- x - eta g over n entries. */
    void (*descend_one)(size_t n, double *x, double eta, const double *g);
    /* Up to k GD steps of a tile: f(x) into loss before every step and
     * after the last; stops early, before the step, when a live lane's
     * loss is non-finite or above its bound.  Returns the steps taken. */
    long (*tile_steps)(dln_lanes_shape s, const dln_lanes_tile *tile, long k);
} dln_lanes_isa;

/* The kernels of each build (NULL where the compiler or CPU lacks it). */
const dln_lanes_isa *dln_lanes_isa_generic(void);
const dln_lanes_isa *dln_lanes_isa_avx2(void);
const dln_lanes_isa *dln_lanes_isa_avx512(void);

/* The kernels in force (dln_lanes_isa_force, DLN_LANES_ISA, or the best
 * the CPU runs). Not thread-safe against a concurrent force. */
const dln_lanes_isa *dln_lanes_isa_current(void);

/* The shape of p (pure). */
dln_lanes_shape dln_lanes_shape_of(const dln_params *p);

/* Number of parameters, of prefix entries (P_1..P_L) and of target entries
 * of one lane (pure). */
static inline size_t dln_lanes_nparams(dln_lanes_shape s)
{
    if (s.L == 1)
        return (size_t)s.d_out * s.d_in;
    return (size_t)s.width * s.d_in + (size_t)(s.L - 2) * s.width * s.width +
           (size_t)s.d_out * s.width;
}

static inline size_t dln_lanes_nprefix(dln_lanes_shape s)
{
    return ((size_t)(s.L - 1) * s.width + (size_t)s.d_out) * s.d_in;
}

static inline size_t dln_lanes_ntarget(dln_lanes_shape s)
{
    return (size_t)s.d_out * s.d_in;
}

/* Doubles of workspace one tile needs (pure). */
size_t dln_lanes_tile_ws(dln_lanes_shape s);

#endif
