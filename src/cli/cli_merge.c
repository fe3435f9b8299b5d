/* cli_merge.c — `dlnsweep merge --db OUT IN.db ...`: gather the shard
 * databases of a Slurm array job into one (runs already in OUT are kept). */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/store.h"

#define MERGE_STALE_S 120.0   /* a writer silent this long is gone */

static const char merge_usage[] =
    "usage: dlnsweep merge --db OUT IN.db [IN.db ...]\n"
    "\n"
    "Copies sweeps and runs (with trajectories, orbits and Hessian spectra)\n"
    "of each IN into OUT (created if missing), skipping (cell, seed) pairs\n"
    "OUT already has. Each input is one transaction: rerunning is safe.\n"
    "Refuses while another process holds OUT's writer lease.\n";

/* 1 if a and b name the same existing file. */
static int same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

int dln_cli_merge(int argc, char **argv)
{
    const char *db = NULL;
    const char **in = NULL;
    int nin = 0, rc = 0, leased = 0;
    dln_store *s = NULL;
    char err[1024], owner[128], host[64] = "unknown";

    if (!(in = calloc((size_t)argc + 1, sizeof *in)))
        return 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(merge_usage, stdout);
            goto cleanup;
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strncmp(argv[i], "--db=", 5)) {
            db = argv[i] + 5;
        } else if (argv[i][0] != '-') {
            in[nin++] = argv[i];
        } else {
            fprintf(stderr, "dlnsweep merge: unexpected argument '%s' (try "
                    "--help)\n", argv[i]);
            rc = 2;
            goto cleanup;
        }
    }
    if (!db || nin == 0) {
        fputs("dlnsweep merge: needs --db OUT and at least one input "
              "database (try --help)\n", stderr);
        rc = 2;
        goto cleanup;
    }
    for (int i = 0; i < nin; i++)
        if (same_file(in[i], db)) {
            fprintf(stderr, "dlnsweep merge: input %s is the output "
                    "database\n", in[i]);
            rc = 2;
            goto cleanup;
        }
    if ((rc = dln_store_create(db, 0, &s, err, sizeof err)))
        goto report;
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    snprintf(owner, sizeof owner, "merge@%s:%ld", host, (long)getpid());
    if ((rc = dln_store_lease_acquire(s, owner, MERGE_STALE_S, err,
                                      sizeof err)))
        goto report;
    leased = 1;
    for (int i = 0; i < nin; i++) {
        long copied, skipped;
        if ((rc = dln_store_merge(s, in[i], &copied, &skipped, err,
                                  sizeof err)))
            goto report;
        printf("merged %s: %ld runs copied, %ld already present\n", in[i],
               copied, skipped);
        dln_store_lease_heartbeat(s, owner);
    }
    goto cleanup;
report:
    fprintf(stderr, "dlnsweep merge: %s\n", err);
cleanup:
    if (leased)
        dln_store_lease_release(s, owner);
    dln_store_destroy(&s);
    free(in);
    return rc;
}
