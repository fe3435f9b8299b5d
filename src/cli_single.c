/* cli_single.c — `dlnsweep single` (placeholder until its module lands). */
#include <stdio.h>
#include "dlnsweep/cli.h"

int dln_cli_single(int argc, char **argv)
{
    fputs("dlnsweep single: not implemented yet\n", stderr);
    return 2;
}
