/* json.h — the program's one JSON writer, on json-c (libjson-c-dev): the
 * documents the commands print and the JSON-valued columns the store
 * writes.  Two kinds of number:
 *   stored ("exact"): "%.17g" (round-trips every double; "1", not "1.0"),
 *                     null when not finite -- the database's texts;
 *   printed:          json-c's own "%.17g" with ".0" on integral values,
 *                     null when not finite -- the commands' documents.
 * Long lists of stored numbers (the per-step detail columns) go through
 * dln_json_append_numbers, which skips the objects. */
#ifndef DLNSWEEP_JSON_H
#define DLNSWEEP_JSON_H

#include <stdio.h>
#include <json-c/json.h>
#include "dlnsweep/strbuf.h"

/* Longest text of one stored number, with its NUL. */
#define DLN_JSON_NUMBER_MAX 32

/* The stored text of v ("%.17g"; "null" when not finite) into buf; its
 * length.  Pure. */
int dln_json_number_text(double v, char buf[DLN_JSON_NUMBER_MAX]);

/* A stored number of v (prints as dln_json_number_text), NULL (JSON null)
 * when not finite; an array of v[0..n) likewise.  Caller owns the object
 * (json_object_put); NULL also when out of memory. */
json_object *dln_json_exact(double v);
json_object *dln_json_exacts(const double *v, int n);

/* A printed number of v, NULL (JSON null) when not finite; an array of
 * v[0..n) likewise.  Caller owns the object (json_object_put). */
json_object *dln_json_real(double v);
json_object *dln_json_reals(const double *v, int n);

/* o as compact JSON (no spaces, "/" not escaped) appended to b; 0, or 1
 * when out of memory. */
int dln_json_append(dln_strbuf *b, json_object *o);

/* "[v0,v1,...]" of stored numbers appended to b, or with group > 0 an
 * array of arrays of group values each ("[[v0,v1],[v2,v3]]"); the same
 * text as dln_json_append of dln_json_exacts.  0, or 1 when out of
 * memory. */
int dln_json_append_numbers(dln_strbuf *b, const double *v, int n,
                            int group);

/* o as one line of compact JSON and a newline; 0, or 1 on a write or
 * allocation failure. */
int dln_json_print(FILE *out, json_object *o);

#endif
