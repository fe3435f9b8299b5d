/* cli_merge.c — `dlnsweep merge --db OUT IN.db ...`: gather the shard
 * databases of a Slurm array job into one (runs already in OUT are kept). */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/store.h"
#include "dlnsweep/testhook.h"
#include "cli_internal.h"

static const char merge_usage[] =
    "usage: dlnsweep merge --db OUT IN.db [IN.db ...]\n"
    "\n"
    "Copies sweeps and runs (with trajectories, orbits and Hessian spectra)\n"
    "of each IN into OUT (created if missing), skipping (cell, seed) pairs\n"
    "OUT already has. Each input is one transaction: rerunning is safe.\n"
    "Every input is checked first (a dlnsweep database, intact, no sweep\n"
    "that differs from OUT's or another input's); any refusal, or another\n"
    "process holding OUT's writer lease, leaves OUT untouched.\n";

/* The sweeps seen so far (name -> spec hash), to find conflicts. */
typedef struct seen_sweeps {
    dln_store_sweep_info *v;
    int n;
} seen_sweeps;

/* Add the sweeps of s (read from path) to seen; 2 with err when a name is
 * already there with another spec hash, 1 on failure. */
static int add_sweeps(seen_sweeps *seen, dln_store *s, const char *path,
                      char *err, size_t errlen)
{
    dln_store_sweep_info *sw = NULL;
    int n = 0, rc = 0;
    if (dln_store_sweeps_list(s, &sw, &n)) {
        snprintf(err, errlen, "%s", dln_store_errmsg(s));
        return dln_store_damaged(s) ? 2 : 1;
    }
    for (int i = 0; i < n && !rc; i++) {
        int known = 0;
        for (int k = 0; k < seen->n && !known; k++)
            if (!strcmp(seen->v[k].name, sw[i].name)) {
                known = 1;
                if (strcmp(seen->v[k].spec_hash, sw[i].spec_hash)) {
                    snprintf(err, errlen, "sweep '%s' differs between the "
                             "databases (spec hash %s, and %s in %s)",
                             sw[i].name, seen->v[k].spec_hash,
                             sw[i].spec_hash, path);
                    rc = 2;
                }
            }
        if (!known) {
            dln_store_sweep_info *v = realloc(seen->v, (size_t)(seen->n + 1) *
                                                           sizeof *v);
            if (!v) {
                rc = 1;
                break;
            }
            seen->v = v;
            seen->v[seen->n++] = sw[i];
        }
    }
    free(sw);
    return rc;
}

/* Everything that can refuse the merge, before OUT is created or written:
 * each input is another file than OUT, a readable, intact dlnsweep DB,
 * and no sweep name has two spec hashes among OUT and the inputs.
 * 0, or 1/2 with err. */
static int check_inputs(const char *db, const char **in, int nin, char *err,
                        size_t errlen)
{
    seen_sweeps seen = {NULL, 0};
    dln_store *s = NULL;
    struct stat sb;
    int rc = 0;
    if (stat(db, &sb) == 0 &&
        ((rc = dln_store_create(db, DLN_STORE_READONLY, &s, err, errlen)) ||
         (rc = add_sweeps(&seen, s, db, err, errlen))))
        goto cleanup;
    dln_store_destroy(&s);
    for (int i = 0; i < nin && !rc; i++) {
        if (dln_store_same_file(in[i], db)) {
            snprintf(err, errlen, "input %s is the output database %s", in[i],
                     db);
            rc = 2;
            break;
        }
        if ((rc = dln_store_create(in[i], DLN_STORE_READONLY, &s, err,
                                   errlen)) ||
            (rc = dln_store_verify(s, err, errlen)) ||
            (rc = add_sweeps(&seen, s, in[i], err, errlen)))
            break;
        dln_store_destroy(&s);
    }
cleanup:
    dln_store_destroy(&s);
    free(seen.v);
    return rc;
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
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'}, DLN_OPT_HELP_ENTRY, {0}};
    dln_cli_opts o = dln_cli_opts_begin(argc, argv, "", longs);
    int c;
    while ((c = dln_cli_next_option(&o)) > 0) {
        if (c == 'd')
            db = optarg;
        else   /* DLN_OPT_OPERAND */
            in[nin++] = optarg;
    }
    if (c == DLN_OPT_HELP) {
        fputs(merge_usage, stdout);
        goto cleanup;
    }
    if (c == DLN_OPT_BAD) {
        dln_cli_error("dlnsweep merge", "%s", o.msg);
        rc = 2;
        goto cleanup;
    }
    if (!db || nin == 0) {
        fputs("dlnsweep merge: needs --db OUT and at least one input "
              "database (try --help)\n", stderr);
        rc = 2;
        goto cleanup;
    }
    if ((rc = check_inputs(db, in, nin, err, sizeof err)) ||
        (rc = dln_store_create(db, 0, &s, err, sizeof err)))
        goto report;
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    snprintf(owner, sizeof owner, "merge@%s:%ld", host, (long)getpid());
    if ((rc = dln_store_lease_acquire(s, owner, DLN_STORE_LEASE_STALE_S, err,
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
        fflush(stdout);
        dln_test_hook("merge-input");
        dln_store_lease_heartbeat(s, owner);
    }
    goto cleanup;
report:
    dln_cli_error("dlnsweep merge", "%s", err);
cleanup:
    if (leased)
        dln_store_lease_release(s, owner);
    dln_store_destroy(&s);
    free(in);
    return rc;
}
