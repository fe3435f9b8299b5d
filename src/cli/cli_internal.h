/* cli_internal.h — what the cli_*.c commands share: the parameter table
 * printed for people (`single --help`, `dlnsweep params`), --shard I/N,
 * one-line errors, and the memory check of `check` and `run` (JSON:
 * dlnsweep/json.h).  Private. */
#ifndef DLNSWEEP_CLI_INTERNAL_H
#define DLNSWEEP_CLI_INTERNAL_H

#include <stddef.h>
#include <stdio.h>
#include "dlnsweep/json.h"
#include "dlnsweep/jobspec.h"
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

/* "PROG: MESSAGE" on one line of stderr (PROG NULL: MESSAGE alone), with
 * the control characters of the formatted message (a newline in a job
 * file's key, an option's value or a path) escaped as \n, \t or \xHH, so
 * an error stays one line. */
void dln_cli_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "512M", "4G", "1.5T" (powers of 1024; a bare number is bytes) into
 * *bytes; 0, or 2 when text is not a positive size.  Pure. */
int dln_cli_parse_size(const char *text, double *bytes);

/* bytes as "312 MB", "1.5 GB" (powers of 1024) into buf.  Pure. */
void dln_cli_format_size(double bytes, char *buf, size_t len);

/* This node's memory: physical memory, or the cgroup's limit when lower;
 * 0 when unknown. */
double dln_cli_node_memory(void);

/* The memory check of a job: every cell's dln_footprint_estimate (wide
 * cells on groups of `group` ranks when group > 1) against limit bytes
 * per rank.  0 with *peak the largest estimate, or 2 with one line naming
 * the first cell over the limit, its estimate and largest part, the
 * limit and where it came from (`why`, e.g. "node memory / 4 ranks per
 * node; --mem-limit to change it") in msg.  Not collective. */
int dln_cli_check_memory(const dln_jobspec *j, int group, double limit,
                         const char *why, double *peak, char *msg,
                         size_t len);

#endif
