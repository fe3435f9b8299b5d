/* main.c — the dlnsweep program: dispatch to a subcommand.  The only file
 * that names MPI_COMM_WORLD or calls MPI_Init/MPI_Finalize/MPI_Abort. */
#include <stdio.h>
#include <string.h>
#include <mpi.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/sweep.h"
#include "dlnsweep/testhook.h"
#include "cli_internal.h"

static void usage(FILE *out)
{
    fputs("usage: dlnsweep COMMAND [options]\n"
          "\n"
          "Maps gradient-descent dynamics of deep linear networks beyond the\n"
          "edge of stability into an SQLite database.\n"
          "\n"
          "commands:\n"
          "  run JOB.yaml --db FILE    run a sweep (under mpirun/srun; rank 0 writes)\n"
          "  single [--eta E ...] --db FILE\n"
          "                            one training run, no MPI launcher needed\n"
          "  status --db FILE          progress and regime counts of a database\n"
          "  snapshot --db FILE OUT    consistent copy of a live database\n"
          "  merge --db OUT IN.db ...  gather shard databases (Slurm arrays)\n"
          "  forget --db FILE --where EXPR  delete chosen runs to redo them\n"
          "  check JOB.yaml            validate a job file and print its size\n"
          "  params [--markdown]       the run parameters: keys, values, defaults\n"
          "\n"
          "`dlnsweep COMMAND --help` describes each command.\n", out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("dlnsweep %s\n", DLN_VERSION_STRING);
        return 0;
    }
    if (!strcmp(cmd, "single"))
        return dln_cli_single(argc - 1, argv + 1);
    if (!strcmp(cmd, "status"))
        return dln_cli_status(argc - 1, argv + 1);
    if (!strcmp(cmd, "snapshot"))
        return dln_cli_snapshot(argc - 1, argv + 1);
    if (!strcmp(cmd, "merge"))
        return dln_cli_merge(argc - 1, argv + 1);
    if (!strcmp(cmd, "forget"))
        return dln_cli_forget(argc - 1, argv + 1);
    if (!strcmp(cmd, "check"))
        return dln_cli_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "params"))
        return dln_cli_params(argc - 1, argv + 1);
    if (!strcmp(cmd, "run")) {
        int provided = 0;
        /* A stop signal at any moment, even before MPI_Init or during
         * MPI_Finalize, drains the sweep (exit 0) instead of killing a
         * rank and leaving its peers and the launcher waiting. */
        dln_sweep_catch_stop_signals();
        dln_test_hook("run-start");
        if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided)
            != MPI_SUCCESS) {
            fputs("dlnsweep: MPI_Init failed\n", stderr);
            return 1;
        }
        dln_sweep_catch_stop_signals();   /* in case MPI_Init took them */
        dln_test_hook("run-init");
        int rc = dln_cli_run(MPI_COMM_WORLD, argc - 1, argv + 1);
        if (rc == 1)
            MPI_Abort(MPI_COMM_WORLD, 1);   /* an internal failure on any rank */
        dln_test_hook("run-finalize");
        MPI_Finalize();
        return rc;
    }
    dln_cli_error("dlnsweep", "unknown command '%s' (try --help)", cmd);
    return 2;
}
