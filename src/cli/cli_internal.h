/* cli_internal.h — what the cli_*.c commands share: the parameter table
 * printed for people (`single --help`, `dlnsweep params`), --shard I/N,
 * one-line errors, and the memory check of `check` and `run` (JSON:
 * dlnsweep/json.h).  Private. */
#ifndef DLNSWEEP_CLI_INTERNAL_H
#define DLNSWEEP_CLI_INTERNAL_H

#include <getopt.h>
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

/* The options of one command, read one at a time with getopt_long in
 * argument order (operands where they stand, as DLN_OPT_OPERAND):
 *
 *     static const struct option longs[] = {
 *         {"db", required_argument, NULL, 'd'}, DLN_OPT_HELP_ENTRY, {0}};
 *     dln_cli_opts o = dln_cli_opts_begin(argc, argv, "", longs);
 *     while ((c = dln_cli_next_option(&o)) > 0) switch (c) ...
 *     c is DLN_OPT_HELP (-h, --help: print usage on stdout, exit 0),
 *     DLN_OPT_BAD (o.msg: print it as one line, exit 2) or DLN_OPT_END.
 *
 * Values: optarg.  A value may be joined (--db=FILE) or the next word;
 * "--" ends the options (the words after it are operands). */
enum { DLN_OPT_END = 0, DLN_OPT_OPERAND = 1, DLN_OPT_HELP = -1,
       DLN_OPT_BAD = -2 };
#define DLN_OPT_HELP_ENTRY {"help", no_argument, NULL, 'h'}

typedef struct dln_cli_opts {
    int argc;
    char **argv;
    const struct option *longs;   /* ends with {0}; has DLN_OPT_HELP_ENTRY */
    char shorts[32];              /* "-:h" and the command's short options */
    int state;                    /* 0 new, 1 options, 2 operands after -- */
    char msg[256];                /* DLN_OPT_BAD: what was wrong          */
} dln_cli_opts;

/* A reader of argv[1..argc) (argv[0] the command's name) for the short
 * options shorts (getopt letters, "q" or "" for none) and longs.  Pure. */
dln_cli_opts dln_cli_opts_begin(int argc, char **argv, const char *shorts,
                                const struct option *longs);

/* The next option's val (optarg its value, or the operand for
 * DLN_OPT_OPERAND), DLN_OPT_END after the last word, DLN_OPT_HELP, or
 * DLN_OPT_BAD with o->msg ("unknown option '--x' (try --help)", "option
 * --db needs a value (try --help)").  Uses getopt's globals: one reader
 * at a time.  Not thread-safe. */
int dln_cli_next_option(dln_cli_opts *o);

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
