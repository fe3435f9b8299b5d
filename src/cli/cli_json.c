/* cli_json.c — the commands' one JSON writer (json-c): numbers that are
 * not finite become null, every document is printed the same way.  The
 * shapes the commands print are documented in README ("Command line"). */
#include <math.h>
#include <stdio.h>
#include "cli_internal.h"

json_object *dln_json_real(double v)
{
    return isfinite(v) ? json_object_new_double(v) : NULL;
}

json_object *dln_json_reals(const double *v, int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; a && i < n; i++)
        json_object_array_add(a, dln_json_real(v[i]));
    return a;
}

int dln_json_print(FILE *out, json_object *o)
{
    const char *text = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!text)
        return 1;
    return fprintf(out, "%s\n", text) < 0;
}
