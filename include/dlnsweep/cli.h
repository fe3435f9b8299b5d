/* cli.h — the subcommands of the dlnsweep program.  Each returns the
 * process exit code: 0 success, 2 usage/input error, 1 internal failure. */
#ifndef DLNSWEEP_CLI_H
#define DLNSWEEP_CLI_H

#include <mpi.h>

/* `dlnsweep single ...`: one run into a DB (no MPI launcher needed). */
int dln_cli_single(int argc, char **argv);
/* `dlnsweep run JOB.yaml --db FILE`: collective over comm. */
int dln_cli_run(MPI_Comm comm, int argc, char **argv);
/* `dlnsweep status --db FILE`. */
int dln_cli_status(int argc, char **argv);
/* `dlnsweep snapshot --db FILE OUT`: consistent copy for readers. */
int dln_cli_snapshot(int argc, char **argv);
/* `dlnsweep forget --db FILE [--sweep NAME] --where EXPR [--dry-run]`:
 * delete chosen runs (README "Redoing cells"). */
int dln_cli_forget(int argc, char **argv);

/* `dlnsweep merge --db OUT IN.db ...`: gather shard databases. */
int dln_cli_merge(int argc, char **argv);
/* `dlnsweep check JOB.yaml`: validate a job file and print its size. */
int dln_cli_check(int argc, char **argv);
/* `dlnsweep params [--markdown]`: the run parameters (docs/job-files.md's
 * tables). */
int dln_cli_params(int argc, char **argv);

#endif
