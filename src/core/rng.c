/* rng.c — seeded streams over LAPACK's dlarnv. */
#include <limits.h>
#include <lapacke.h>
#include "dlnsweep/rng.h"

/* dlarnv's ISEED: four integers in 0..4095, the last odd. */
static void iseed_of(uint64_t seed, uint64_t stream, lapack_int iseed[4])
{
    uint64_t z = seed ^ (stream * 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (int i = 0; i < 4; i++)
        iseed[i] = (lapack_int)((z >> (12 * i)) & 0xfff);
    iseed[3] |= 1;
}

/* Fill x with dlarnv distribution idist, in chunks that fit lapack_int. */
static void fill(int idist, uint64_t seed, uint64_t stream, double *x,
                 size_t n)
{
    lapack_int iseed[4];
    iseed_of(seed, stream, iseed);
    while (n > 0) {
        lapack_int chunk = n > (size_t)INT_MAX ? INT_MAX : (lapack_int)n;
        LAPACKE_dlarnv(idist, iseed, chunk, x);
        x += chunk;
        n -= (size_t)chunk;
    }
}

void dln_rng_normal(uint64_t seed, uint64_t stream, double *x, size_t n)
{
    fill(3, seed, stream, x, n);
}

void dln_rng_uniform(uint64_t seed, uint64_t stream, double *x, size_t n)
{
    fill(1, seed, stream, x, n);
}
