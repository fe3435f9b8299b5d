/* cli_snapshot.c — `dlnsweep snapshot --db FILE OUT`: a consistent,
 * self-contained copy of a (possibly live) database for readers. */
#include <stdio.h>
#include <string.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/store.h"
#include "cli_internal.h"

static const char snapshot_usage[] =
    "usage: dlnsweep snapshot --db FILE OUT\n"
    "\n"
    "Copies the database FILE to OUT with SQLite's backup API: one\n"
    "consistent state, safe while a sweep writes FILE. OUT is one file\n"
    "(rollback journal), checked (a damaged FILE is refused), written\n"
    "beside OUT and renamed into place; an existing OUT is replaced only if\n"
    "it is an earlier snapshot (never FILE itself or a working database).\n";

int dln_cli_snapshot(int argc, char **argv)
{
    const char *db = NULL, *out = NULL;
    dln_store *s = NULL;
    char err[1024];
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'}, DLN_OPT_HELP_ENTRY, {0}};
    dln_cli_opts o = dln_cli_opts_begin(argc, argv, "", longs);
    int c;
    while ((c = dln_cli_next_option(&o)) > 0) {
        if (c == 'd') {
            db = optarg;
        } else if (c == DLN_OPT_OPERAND && !out) {
            out = optarg;
        } else {
            dln_cli_error("dlnsweep snapshot", "unexpected argument '%s' "
                          "(try --help)", optarg);
            return 2;
        }
    }
    if (c == DLN_OPT_HELP) {
        fputs(snapshot_usage, stdout);
        return 0;
    }
    if (c == DLN_OPT_BAD) {
        dln_cli_error("dlnsweep snapshot", "%s", o.msg);
        return 2;
    }
    if (!db || !out) {
        fputs("dlnsweep snapshot: needs --db FILE and OUT (try --help)\n",
              stderr);
        return 2;
    }
    int rc = dln_store_create(db, DLN_STORE_READONLY, &s, err, sizeof err);
    if (rc == 0)
        rc = dln_store_snapshot(s, out, err, sizeof err);
    dln_store_destroy(&s);
    if (rc) {
        dln_cli_error("dlnsweep snapshot", "%s", err);
        return rc;
    }
    printf("snapshot of %s written to %s\n", db, out);
    return 0;
}
