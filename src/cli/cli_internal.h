/* cli_internal.h — what the cli_*.c commands share: the parameter table
 * printed for people (`single --help`, `dlnsweep params`), --shard I/N,
 * the JSON writer (cli_json.c, json-c) and one-line errors.  Private. */
#ifndef DLNSWEEP_CLI_INTERNAL_H
#define DLNSWEEP_CLI_INTERNAL_H

#include <stdio.h>
#include <json-c/json.h>
#include "dlnsweep/paramdefs.h"

/* Column where a parameter's description starts. */
#define DLN_CLI_DOC_COL 26

/* Print the rows of section sec, in table order, as an aligned list:
 * "  NAME  doc (values: ...; default ...)" wrapped at 79 columns; NAME is
 * the `single` option ("--d-in N") when as_options, else the job-file
 * key. Not collective, cannot fail. */
void dln_cli_print_params(FILE *out, dln_param_section sec, int as_options);

/* `single`'s option name of row d ("d-in"), into buf. */
void dln_cli_option_name(const dln_param_def *d, char *buf, size_t len);

/* "I/N" (--shard of run and check) into *index, *count; 0, or 2 with
 * msg. Pure. */
int dln_cli_parse_shard(const char *text, int *index, int *count,
                        char *msg, size_t len);

/* A JSON number of v, NULL (JSON null) when not finite; an array of
 * v[0..n) likewise.  Caller owns the object (json_object_put). */
json_object *dln_json_real(double v);
json_object *dln_json_reals(const double *v, int n);

/* o as one line of compact JSON and a newline; 0, or 1 on a write or
 * allocation failure. */
int dln_json_print(FILE *out, json_object *o);

/* "PROG: MESSAGE" on one line of stderr (PROG NULL: MESSAGE alone), with
 * the control characters of the formatted message (a newline in a job
 * file's key, an option's value or a path) escaped as \n, \t or \xHH, so
 * an error stays one line. */
void dln_cli_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
