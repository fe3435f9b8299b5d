/* cli_opts.c — every command's option reader (cli_internal.h): getopt_long
 * in argument order, one wording for unknown options and missing values. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli_internal.h"

dln_cli_opts dln_cli_opts_begin(int argc, char **argv, const char *shorts,
                                const struct option *longs)
{
    dln_cli_opts o;
    memset(&o, 0, sizeof o);
    o.argc = argc;
    o.argv = argv;
    o.longs = longs;
    /* '-': operands come back in order (val 1); ':': a missing value is
     * told from an unknown option; h: --help's short form. */
    snprintf(o.shorts, sizeof o.shorts, "-:h%s", shorts);
    return o;
}

/* The option getopt just refused, as written: the word of a long option
 * (argv[at], the word the call began on), "-x" for a short one. */
static const char *refused(const dln_cli_opts *o, int at, char *buf,
                           size_t len)
{
    if (at < o->argc && !strncmp(o->argv[at], "--", 2))
        return o->argv[at];
    snprintf(buf, len, "-%c", optopt ? optopt : '?');
    return buf;
}

int dln_cli_next_option(dln_cli_opts *o)
{
    char word[8];
    if (o->state == 0) {
        optind = 0;   /* glibc: start over (a new argv) */
        opterr = 0;
        o->state = 1;
    }
    if (o->state == 2) {
        if (optind >= o->argc)
            return DLN_OPT_END;
        optarg = o->argv[optind++];
        return DLN_OPT_OPERAND;
    }
    int at = optind > 0 ? optind : 1;
    optopt = 0;
    int c = getopt_long(o->argc, o->argv, o->shorts, o->longs, NULL);
    switch (c) {
    case -1:   /* the end, or "--" (operands may follow) */
        o->state = 2;
        return dln_cli_next_option(o);
    case 'h':
        return DLN_OPT_HELP;
    case ':':
        snprintf(o->msg, sizeof o->msg, "option %s needs a value (try "
                 "--help)", refused(o, at, word, sizeof word));
        return DLN_OPT_BAD;
    case '?':
        snprintf(o->msg, sizeof o->msg, "unknown option '%.200s' (try "
                 "--help)", refused(o, at, word, sizeof word));
        return DLN_OPT_BAD;
    default:
        return c;
    }
}
