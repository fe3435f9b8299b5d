/* cli_status.c — `dlnsweep status` (placeholder until its module lands). */
#include <stdio.h>
#include "dlnsweep/cli.h"

int dln_cli_status(int argc, char **argv)
{
    fputs("dlnsweep status: not implemented yet\n", stderr);
    return 2;
}
