/* cli_check.c — `dlnsweep check` (placeholder until its module lands). */
#include <stdio.h>
#include "dlnsweep/cli.h"

int dln_cli_check(int argc, char **argv)
{
    fputs("dlnsweep check: not implemented yet\n", stderr);
    return 2;
}
