/* bench_pmodel.c — time per GD step of the distributed model for wide
 * square networks (L = 3, d_in = d_out = width) on the ranks it runs with.
 *
 *   mpirun -n P bench_pmodel [d ...]        (default d = 256 512 1024 2048)
 *
 * One line per width on rank 0: ranks, grid, block, width, steps timed,
 * ms per step and GFLOP/s, counting the 6 (L-1) d^3 flops of a step
 * (forward L-1 products, backward L-1 gradient and L-1 back-propagation
 * GEMMs of 2 d^3 each).  Each width is timed for about a second after one
 * warm-up step.  Not a test: numbers depend on the machine and its load. */
#include <stdio.h>
#include <stdlib.h>
#include <mpi.h>
#include "dlnsweep/pmodel.h"

/* One width: returns 0, or the create error. */
static int bench_width(int d, int depth, double budget_s, int rank)
{
    dln_params p;
    dln_pmodel *m = NULL;
    dln_params_defaults(&p);
    p.depth = depth;
    p.width = d;
    p.rank = 2;
    p.spectrum[0] = 2.0;
    p.spectrum[1] = 1.0;
    p.rotate = 1;
    p.init = DLN_INIT_GAUSSIAN;
    p.alpha = 1.0;
    p.eta = 1e-3;
    p.seed = 42;
    p.lanczos_iters = 1;   /* no Krylov basis: this times steps only */
    p.top_k = 1;
    int rc = dln_pmodel_create(&p, MPI_COMM_WORLD, 0, &m);
    if (rc)
        return rc;
    MPI_Comm comm = dln_pmodel_comm(m);
    dln_pmodel_step(m);                      /* warm-up */
    MPI_Barrier(comm);
    double t0 = MPI_Wtime();
    dln_pmodel_step(m);
    double once = MPI_Wtime() - t0;
    MPI_Bcast(&once, 1, MPI_DOUBLE, 0, comm);
    int steps = once > 0.0 ? (int)(budget_s / once) : 50;
    steps = steps < 2 ? 2 : steps > 200 ? 200 : steps;
    MPI_Barrier(comm);
    t0 = MPI_Wtime();
    for (int s = 0; s < steps; s++)
        dln_pmodel_step(m);
    MPI_Barrier(comm);
    double per = (MPI_Wtime() - t0) / steps;
    int nprow, npcol, nb, size;
    dln_pmodel_grid(m, &nprow, &npcol, &nb);
    MPI_Comm_size(comm, &size);
    double flops = 6.0 * (depth - 1) * (double)d * d * d;
    if (rank == 0)
        printf("ranks %d grid %dx%d nb %d d %d steps %d ms/step %.3f "
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
    int n = argc > 1 ? argc - 1 : 4;
    for (int i = 0; i < n && rc == 0; i++) {
        int d = argc > 1 ? atoi(argv[i + 1]) : defaults[i];
        if (d < 1) {
            if (rank == 0)
                fprintf(stderr, "bench_pmodel: width '%s' must be a "
                        "positive integer\n", argv[i + 1]);
            rc = 2;
            break;
        }
        rc = bench_width(d, 3, 1.0, rank);
        if (rc && rank == 0)
            fprintf(stderr, "bench_pmodel: d=%d failed (%d)\n", d, rc);
    }
    dln_pmodel_finalize();
    MPI_Finalize();
    return rc;
}
