/* bench_pmodel.c — time per GD step of the distributed model for wide
 * square networks (L = 3, d_in = d_out = width) on the ranks it runs with.
 *
 *   mpirun -n P bench_pmodel [d ...]        (default d = 256 512 1024 2048)
 *   mpirun -n P bench_pmodel --spectrum d ...
 *   DLN_BENCH_NB=128 mpirun ...             (block size; default: the model's)
 *
 * One line per width on rank 0: ranks, grid, block, width, steps timed,
 * ms per step and GFLOP/s, counting the 6 (L-1) d^3 flops of a step
 * (forward L-1 products, backward L-1 gradient and L-1 back-propagation
 * GEMMs of 2 d^3 each).  Each width runs one warm-up step, then three
 * blocks of steps (about budget/3 seconds each); the fastest block is
 * reported, which filters out the machine's other load.  With --spectrum, the time of one full Hessian spectrum
 * (n = 3 d^2 HVPs of unit vectors, then PDSYEVD) instead.  Not a test:
 * numbers depend on the machine and its load. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mpi.h>
#include "dlnsweep/pmodel.h"

static void cell(dln_params *p, int d, int depth)
{
    dln_params_defaults(p);
    p->depth = depth;
    p->width = d;
    p->rank = 2;
    p->spectrum[0] = 2.0;
    p->spectrum[1] = 1.0;
    p->rotate = 1;
    p->init = DLN_INIT_GAUSSIAN;
    p->alpha = 1.0;
    p->eta = 1e-3;
    p->seed = 42;
    p->lanczos_iters = 1;   /* no Krylov basis: this times steps only */
    p->top_k = 1;
}

/* One full spectrum at width d: returns 0, or an error code. */
static int bench_spectrum(int d, int depth, int rank)
{
    dln_params p;
    dln_pmodel *m = NULL;
    cell(&p, d, depth);
    int rc = dln_pmodel_create(&p, MPI_COMM_WORLD, 0, &m);
    if (rc)
        return rc;
    size_t n = dln_pmodel_nparams(m);
    double *eig = malloc(sizeof(double) * n);
    if (!eig) {
        dln_pmodel_destroy(&m);
        return 1;
    }
    MPI_Comm comm = dln_pmodel_comm(m);
    int size;
    MPI_Comm_size(comm, &size);
    MPI_Barrier(comm);
    double t0 = MPI_Wtime();
    rc = dln_pmodel_hessian_spectrum(m, eig);
    MPI_Barrier(comm);
    double t = MPI_Wtime() - t0;
    if (rank == 0 && rc == 0)
        printf("spectrum ranks %d d %d n %zu s %.2f top %.6g\n", size, d, n,
               t, eig[n - 1]);
    fflush(stdout);
    free(eig);
    dln_pmodel_destroy(&m);
    return rc;
}

/* One width: returns 0, or the create error. */
static int bench_width(int d, int depth, double budget_s, int rank)
{
    dln_params p;
    dln_pmodel *m = NULL;
    const char *nb_env = getenv("DLN_BENCH_NB");
    cell(&p, d, depth);
    int rc = dln_pmodel_create(&p, MPI_COMM_WORLD, nb_env ? atoi(nb_env) : 0,
                               &m);
    if (rc)
        return rc;
    MPI_Comm comm = dln_pmodel_comm(m);
    dln_pmodel_step(m);                      /* warm-up */
    MPI_Barrier(comm);
    double t0 = MPI_Wtime();
    dln_pmodel_step(m);
    double once = MPI_Wtime() - t0;
    MPI_Bcast(&once, 1, MPI_DOUBLE, 0, comm);
    /* Three timed blocks of ~budget/3 each; the fastest block counts (the
     * machine's other load only ever slows a block down). */
    int steps = once > 0.0 ? (int)(budget_s / 3.0 / once) : 50;
    steps = steps < 1 ? 1 : steps > 200 ? 200 : steps;
    double per = INFINITY;
    for (int rep = 0; rep < 3; rep++) {
        MPI_Barrier(comm);
        t0 = MPI_Wtime();
        for (int s = 0; s < steps; s++)
            dln_pmodel_step(m);
        MPI_Barrier(comm);
        double t = (MPI_Wtime() - t0) / steps;
        MPI_Bcast(&t, 1, MPI_DOUBLE, 0, comm);
        per = t < per ? t : per;
    }
    int nprow, npcol, nb, size;
    dln_pmodel_grid(m, &nprow, &npcol, &nb);
    MPI_Comm_size(comm, &size);
    double flops = 6.0 * (depth - 1) * (double)d * d * d;
    if (rank == 0)
        printf("ranks %d grid %dx%d nb %d d %d steps 3x%d ms/step %.3f "
               "GFLOP/s %.2f\n", size, nprow, npcol, nb, d, steps, 1e3 * per,
               flops / per * 1e-9);
    fflush(stdout);
    dln_pmodel_destroy(&m);
    return 0;
}

int main(int argc, char **argv)
{
    static const int defaults[] = {256, 512, 1024, 2048};
    int rank, rc = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int spectrum = argc > 1 && !strcmp(argv[1], "--spectrum");
    int first = 1 + spectrum;
    int n = argc > first ? argc - first : 4;
    for (int i = 0; i < n && rc == 0; i++) {
        int d = argc > first ? atoi(argv[i + first]) : defaults[i];
        if (d < 1 || (spectrum && 3.0 * d * d > DLN_PRUN_FULL_SPECTRUM_MAX)) {
            if (rank == 0)
                fprintf(stderr, "bench_pmodel: width '%s' must be a "
                        "positive integer (3 d^2 <= %d with --spectrum)\n",
                        argc > first ? argv[i + first] : "(default)",
                        DLN_PRUN_FULL_SPECTRUM_MAX);
            rc = 2;
            break;
        }
        rc = spectrum ? bench_spectrum(d, 3, rank)
                      : bench_width(d, 3, 3.0, rank);
        if (rc && rank == 0)
            fprintf(stderr, "bench_pmodel: d=%d failed (%d)\n", d, rc);
    }
    dln_pmodel_finalize();
    MPI_Finalize();
    return rc;
}
