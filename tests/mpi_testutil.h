/* mpi_testutil.h — main() of a cmocka test that runs on every rank of
 * MPI_COMM_WORLD (cmocka does not fork, so it works inside MPI programs):
 * MPI_Init, the group, the ranks' failures combined, MPI_Finalize.  The
 * tests themselves must keep every rank in step (compute on rank 0 and
 * broadcast before asserting), so no rank leaves a collective behind. */
#ifndef DLNSWEEP_MPI_TESTUTIL_H
#define DLNSWEEP_MPI_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <mpi.h>

/* Run tests[0..n) between MPI_Init and MPI_Finalize, *rank set to the
 * world rank before the first test; before_finalize (may be NULL) runs
 * after the last one on every rank (e.g. dln_pmodel_finalize).  Returns
 * the exit code: 1 if a test failed on any rank, else 0.  Collective. */
static inline int dln_mpi_test_main(int *argc, char ***argv,
                                    const char *name,
                                    const struct CMUnitTest *tests,
                                    size_t n, int *rank,
                                    void (*before_finalize)(void))
{
    int failed;
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (before_finalize)
        before_finalize();
    MPI_Finalize();
    return failed ? 1 : 0;
}

/* dln_mpi_test_main for an array of tests, named like cmocka's groups. */
#define dln_mpi_run_tests(argc, argv, tests, rank, before_finalize)        \
    dln_mpi_test_main(&(argc), &(argv), #tests, (tests),                  \
                      sizeof(tests) / sizeof((tests)[0]), (rank),           \
                      (before_finalize))

#endif
