/* cli_forget.c — `dlnsweep forget --db FILE [--sweep NAME] --where EXPR
 * [--dry-run]`: delete chosen runs (with their children, memberships and
 * attempt counts) so that the next `run` computes them again. */
#define _POSIX_C_SOURCE 200809L   /* gethostname */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/store.h"
#include "cli_internal.h"

#define PROG "dlnsweep forget"
/* A writer silent this long is taken over (as `run`'s default). */
#define LEASE_STALE_S 600.0

static const char forget_usage[] =
    "usage: dlnsweep forget --db FILE [--sweep NAME] --where EXPR "
    "[--dry-run]\n"
    "\n"
    "Deletes the runs matching EXPR, an SQL expression on the columns of\n"
    "runs (e.g. \"regime = 'error'\", \"eta > 0.5 AND depth = 3\"), and with\n"
    "--sweep only those that sweep contains: their rows, trajectories,\n"
    "orbits, spectra, sweep memberships and attempt counts, in one\n"
    "transaction under the writer lease. The next `dlnsweep run` of a\n"
    "sweep containing them computes them again. Prints what it removed.\n"
    "  --dry-run     only print what would be removed (read-only)\n"
    "Exit status: 0 done, 2 bad expression / unknown sweep / database in\n"
    "use (nothing written), 1 internal failure.\n";

static void print_info(const dln_store_forget_info *f, int dry_run)
{
    const char *sep = " (";
    printf("%s %ld runs", dry_run ? "would forget" : "forgot", f->runs);
    for (int k = 0; k <= DLN_REGIME_ERROR; k++)
        if (f->per_regime[k] > 0) {
            printf("%s%s %ld", sep, dln_regime_name((dln_regime)k),
                   f->per_regime[k]);
            sep = ", ";
        }
    printf("%s\n", f->runs > 0 ? ")" : "");
    for (int i = 0; i < f->nsweeps; i++)
        printf("  sweep %s: %ld of them\n", f->sweep[i], f->sweep_runs[i]);
}

/* 2 with err if another writer's lease on s is live (heartbeat younger
 * than LEASE_STALE_S), 1 if it cannot be read, else 0. Read-only. */
static int writer_busy(dln_store *s, char *err, size_t len)
{
    dln_store_lease_info l;
    if (dln_store_lease_get(s, &l)) {
        snprintf(err, len, "%s", dln_store_errmsg(s));
        return 1;
    }
    double age = (double)time(NULL) - l.heartbeat;
    if (!l.held || age >= LEASE_STALE_S)
        return 0;
    snprintf(err, len, "database %s is being written by %s (host %s, pid "
             "%ld, slurm job %s), last heartbeat %.0fs ago; wait for it to "
             "finish or stop it", dln_store_path(s), l.owner,
             l.host[0] ? l.host : "?", l.pid,
             l.slurm_job_id[0] ? l.slurm_job_id : "none", age);
    return 2;
}

int dln_cli_forget(int argc, char **argv)
{
    const char *db = NULL, *sweep = NULL, *where = NULL;
    int dry_run = 0, rc = 1, leased = 0;
    dln_store *s = NULL;
    dln_store_forget_info info;
    char err[1024], host[64], owner[160];

    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},
        {"sweep", required_argument, NULL, 's'},
        {"where", required_argument, NULL, 'w'},
        {"dry-run", no_argument, NULL, 'n'}, DLN_OPT_HELP_ENTRY, {0}};
    dln_cli_opts o = dln_cli_opts_begin(argc, argv, "", longs);
    int c;
    while ((c = dln_cli_next_option(&o)) > 0) {
        if (c == 'd')
            db = optarg;
        else if (c == 's')
            sweep = optarg;
        else if (c == 'w')
            where = optarg;
        else if (c == 'n')
            dry_run = 1;
        else {
            dln_cli_error(PROG, "unexpected argument '%s' (try --help)",
                          optarg);
            return 2;
        }
    }
    if (c == DLN_OPT_HELP) {
        fputs(forget_usage, stdout);
        return 0;
    }
    if (c == DLN_OPT_BAD) {
        dln_cli_error(PROG, "%s", o.msg);
        return 2;
    }
    if (!db || !where) {
        fputs(PROG ": needs --db FILE and --where EXPR (try --help)\n",
              stderr);
        return 2;
    }
    /* Check the expression on a read-only handle first: a refused
     * command leaves the file byte-identical. */
    if ((rc = dln_store_create(db, DLN_STORE_READONLY, &s, err, sizeof err))) {
        dln_cli_error(PROG, "%s", err);
        return rc;
    }
    rc = dln_store_forget(s, sweep, where, 1, &info);
    if (rc || dry_run)
        goto report;
    /* A live writer refuses us here, before the writable open (which
     * reinstalls views and would migrate an old file). */
    if ((rc = writer_busy(s, err, sizeof err))) {
        dln_cli_error(PROG, "%s", err);
        goto cleanup;
    }
    dln_store_destroy(&s);
    if ((rc = dln_store_create(db, 0, &s, err, sizeof err))) {
        dln_cli_error(PROG, "%s", err);
        return rc;
    }
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    snprintf(owner, sizeof owner, "forget:%s:%ld", host, (long)getpid());
    if (dln_store_lease_acquire(s, owner, LEASE_STALE_S, err, sizeof err)) {
        dln_cli_error(PROG, "%s", err);
        rc = 2;
        goto cleanup;
    }
    leased = 1;
    rc = dln_store_forget(s, sweep, where, 0, &info);
report:
    if (rc)
        dln_cli_error(PROG, "%s", dln_store_errmsg(s));
    else
        print_info(&info, dry_run);
cleanup:
    if (leased && dln_store_lease_release(s, owner) && rc == 0)
        rc = 1;
    dln_store_destroy(&s);
    return rc;
}
