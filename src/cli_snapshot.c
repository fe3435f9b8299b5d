/* cli_snapshot.c — `dlnsweep snapshot` (placeholder until its module lands). */
#include <stdio.h>
#include "dlnsweep/cli.h"

int dln_cli_snapshot(int argc, char **argv)
{
    fputs("dlnsweep snapshot: not implemented yet\n", stderr);
    return 2;
}
