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
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(snapshot_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strncmp(argv[i], "--db=", 5)) {
            db = argv[i] + 5;
        } else if (argv[i][0] != '-' && !out) {
            out = argv[i];
        } else {
            dln_cli_error("dlnsweep snapshot", "unexpected argument '%s' "
                          "(try --help)", argv[i]);
            return 2;
        }
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
