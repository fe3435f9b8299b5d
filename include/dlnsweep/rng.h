/* rng.h — reproducible random numbers: LAPACK's dlarnv generator seeded
 * from a 64-bit seed and a stream number, so every random object of a run
 * (target rotation, each layer's init, Lanczos start) has its own stream. */
#ifndef DLNSWEEP_RNG_H
#define DLNSWEEP_RNG_H

#include <stddef.h>
#include <stdint.h>

enum {
    DLN_STREAM_TARGET_U = 1,
    DLN_STREAM_TARGET_V = 2,
    DLN_STREAM_LANCZOS = 3,
    DLN_STREAM_PROJECTION = 4,   /* fixed projections for orbit fingerprints */
    DLN_STREAM_LYAPUNOV = 5,
    DLN_STREAM_RITZ = 6,         /* + (j << 32): tracker start vector j    */
    DLN_STREAM_LAYER = 100       /* + layer index                          */
};

/* n standard normal deviates for (seed, stream) into x (pure, deterministic). */
void dln_rng_normal(uint64_t seed, uint64_t stream, double *x, size_t n);

/* n uniform (0,1) deviates for (seed, stream) into x (pure, deterministic). */
void dln_rng_uniform(uint64_t seed, uint64_t stream, double *x, size_t n);

#endif
