/* cli_status.c — `dlnsweep status --db FILE [--json] [--sweep NAME]`:
 * progress, rate, ETA and regime counts per sweep, read-only (works while a
 * sweep writes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/store.h"

static const char status_usage[] =
    "usage: dlnsweep status --db FILE [--json] [--sweep NAME]\n"
    "\n"
    "Prints, per sweep of the database: runs done/total, rate over the last\n"
    "rows, ETA, mean wall time per run and counts per regime; then runs of\n"
    "no sweep (`single`) and the current writer's lease. Read-only: safe\n"
    "while a sweep writes.\n"
    "  --json        one JSON object instead of text\n"
    "  --sweep NAME  only that sweep (exit 2 if absent)\n";

/* s as a JSON string literal. */
static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void json_number(FILE *out, double v, int known)
{
    if (known)
        fprintf(out, "%.6g", v);
    else
        fputs("null", out);
}

static void json_counts(FILE *out, const dln_store_counts *c)
{
    double rate = dln_store_counts_rate(c);
    long left = c->total - c->done;
    fprintf(out, "\"done\": %ld, \"total\": %ld, \"fraction\": ", c->done,
            c->total);
    json_number(out, c->total > 0 ? (double)c->done / c->total : 0.0,
                c->total > 0);
    fputs(", \"rate_per_s\": ", out);
    json_number(out, rate, rate > 0.0);
    fputs(", \"eta_s\": ", out);
    json_number(out, left > 0 && rate > 0.0 ? left / rate : 0.0,
                c->total > 0 && (left <= 0 || rate > 0.0));
    fputs(", \"mean_wall_s\": ", out);
    json_number(out, c->done ? c->wall_s_sum / c->done : 0.0, c->done > 0);
    fputs(", \"regimes\": {", out);
    for (int k = 0; k <= DLN_REGIME_ERROR; k++)
        fprintf(out, "%s\"%s\": %ld", k ? ", " : "",
                dln_regime_name((dln_regime)k), c->per_regime[k]);
    fputs("}", out);
}

int dln_cli_status(int argc, char **argv)
{
    const char *db = NULL, *only = NULL;
    int json = 0, rc = 1, n = 0, shown = 0;
    dln_store *s = NULL;
    dln_store_sweep_info *sw = NULL;
    dln_store_lease_info lease;
    dln_store_counts c;
    char err[1024], line[1024];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(status_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strncmp(argv[i], "--db=", 5)) {
            db = argv[i] + 5;
        } else if (!strcmp(argv[i], "--sweep") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else {
            fprintf(stderr, "dlnsweep status: unexpected argument '%s' "
                    "(try --help)\n", argv[i]);
            return 2;
        }
    }
    if (!db) {
        fputs("dlnsweep status: --db FILE is required (try --help)\n", stderr);
        return 2;
    }
    int orc = dln_store_create(db, DLN_STORE_READONLY, &s, err, sizeof err);
    if (orc) {
        fprintf(stderr, "dlnsweep status: %s\n", err);
        return orc;
    }
    if (dln_store_sweeps_list(s, &sw, &n) || dln_store_lease_get(s, &lease))
        goto fail;
    if (only) {
        int found = 0;
        for (int i = 0; i < n; i++)
            found |= !strcmp(sw[i].name, only);
        if (!found) {
            fprintf(stderr, "dlnsweep status: no sweep named '%s' in %s\n",
                    only, db);
            rc = 2;
            goto cleanup;
        }
    }
    if (json) {
        fputs("{\"db\": ", stdout);
        json_string(stdout, db);
        fputs(", \"sweeps\": [", stdout);
    }
    for (int i = 0; i < n; i++) {
        if (only && strcmp(sw[i].name, only))
            continue;
        if (dln_store_counts_get(s, sw[i].id, &c))
            goto fail;
        if (json) {
            printf("%s{\"id\": %ld, \"name\": ", shown ? ", " : "", sw[i].id);
            json_string(stdout, sw[i].name);
            printf(", \"spec_hash\": \"%s\", ", sw[i].spec_hash);
            json_counts(stdout, &c);
            fputs("}", stdout);
        } else {
            char name[300];
            snprintf(name, sizeof name, "sweep %s", sw[i].name);
            dln_store_counts_format(&c, name, line, sizeof line);
            puts(line);
        }
        shown++;
    }
    if (dln_store_counts_get(s, -1, &c))
        goto fail;
    if (json) {
        fputs("], \"single\": {", stdout);
        json_counts(stdout, &c);
        fputs("}, \"writer\": ", stdout);
    } else if (!only && c.done > 0) {
        c.total = 0;
        dln_store_counts_format(&c, "single runs", line, sizeof line);
        puts(line);
    } else if (!only && shown == 0) {
        printf("%s: no sweeps and no runs yet\n", db);
    }
    double age = lease.held ? (double)time(NULL) - lease.heartbeat : 0.0;
    if (json) {
        if (lease.held) {
            fputs("{\"owner\": ", stdout);
            json_string(stdout, lease.owner);
            fputs(", \"host\": ", stdout);
            json_string(stdout, lease.host);
            printf(", \"pid\": %ld, \"slurm_job_id\": ", lease.pid);
            json_string(stdout, lease.slurm_job_id);
            printf(", \"heartbeat_age_s\": %.1f}", age);
        } else {
            fputs("null", stdout);
        }
        fputs("}\n", stdout);
    } else if (lease.held) {
        printf("writer: %s (host %s, pid %ld, slurm job %s), last heartbeat "
               "%.0fs ago\n", lease.owner, lease.host, lease.pid,
               lease.slurm_job_id[0] ? lease.slurm_job_id : "none", age);
    }
    rc = 0;
    goto cleanup;
fail:
    fprintf(stderr, "dlnsweep status: %s\n", dln_store_errmsg(s));
    rc = 1;
cleanup:
    free(sw);
    dln_store_destroy(&s);
    return rc;
}
