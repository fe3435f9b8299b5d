/* json.c — the one JSON writer (json.h): json-c objects, printed
 * compactly, and the stored numbers' "%.17g" texts. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "dlnsweep/json.h"

#define DLN_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int dln_json_number_text(double v, char buf[DLN_JSON_NUMBER_MAX])
{
    if (!isfinite(v)) {
        memcpy(buf, "null", 5);
        return 4;
    }
    return snprintf(buf, DLN_JSON_NUMBER_MAX, "%.17g", v);
}

json_object *dln_json_exact(double v)
{
    char text[DLN_JSON_NUMBER_MAX];
    if (!isfinite(v))
        return NULL;
    dln_json_number_text(v, text);
    return json_object_new_double_s(v, text);
}

json_object *dln_json_exacts(const double *v, int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; a && i < n; i++)
        json_object_array_add(a, dln_json_exact(v[i]));
    return a;
}

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

int dln_json_append(dln_strbuf *b, json_object *o)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(o, DLN_JSON_FLAGS,
                                                         &len);
    return !text || dln_strbuf_appendn(b, text, len);
}

int dln_json_append_numbers(dln_strbuf *b, const double *v, int n,
                            int group)
{
    /* One reservation for the whole text: a number is at most 24 bytes
     * ("-2.2250738585072014e-308") and its comma, a group two brackets
     * and its comma. */
    size_t groups = group > 0 ? (size_t)(n / group + 1) : 0;
    if (dln_strbuf_reserve(b, (size_t)n * 26 + groups * 3 + 2))
        return 1;
    char *w = b->p + b->n;
    *w++ = '[';
    for (int i = 0; i < n; i++) {
        if (group > 0 && i % group == 0) {
            if (i) {
                *w++ = ']';
                *w++ = ',';
            }
            *w++ = '[';
        } else if (i) {
            *w++ = ',';
        }
        w += dln_json_number_text(v[i], w);
    }
    if (group > 0 && n > 0)
        *w++ = ']';
    *w++ = ']';
    *w = '\0';
    b->n = (size_t)(w - b->p);
    return 0;
}

int dln_json_print(FILE *out, json_object *o)
{
    const char *text = json_object_to_json_string_ext(o, DLN_JSON_FLAGS);
    if (!text)
        return 1;
    return fprintf(out, "%s\n", text) < 0;
}
