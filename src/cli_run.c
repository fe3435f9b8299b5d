/* cli_run.c — `dlnsweep run` (placeholder until its module lands). */
#include <stdio.h>
#include "dlnsweep/cli.h"

int dln_cli_run(MPI_Comm comm, int argc, char **argv)
{
    fputs("dlnsweep run: not implemented yet\n", stderr);
    return 2;
}
