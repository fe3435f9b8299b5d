/* number.c — decimal literals (number.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/number.h"

int dln_parse_real(const char *text, double *out)
{
    int digits = 0;
    for (const char *c = text; *c; c++) {
        if (isdigit((unsigned char)*c))
            digits = 1;
        else if (!strchr("+-.eE", *c))
            return 2;
    }
    if (!digits)
        return 2;
    char *end;
    double v = strtod(text, &end);   /* ERANGE: subnormal, 0 or +-inf */
    if (end == text || *end)
        return 2;
    *out = v == 0.0 ? 0.0 : v;
    return 0;
}
