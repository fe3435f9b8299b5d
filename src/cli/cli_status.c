/* cli_status.c — `dlnsweep status --db FILE [--json] [--sweep NAME]`:
 * progress, rate, ETA and regime counts per sweep, read-only (works while a
 * sweep writes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/store.h"
#include "cli_internal.h"

static const char status_usage[] =
    "usage: dlnsweep status --db FILE [--json] [--sweep NAME]\n"
    "\n"
    "Prints, per sweep of the database: runs done/total, rate over the last\n"
    "rows, ETA, mean wall time per run and counts per regime; then runs of\n"
    "no sweep (`single`) and the current writer's lease. Read-only: safe\n"
    "while a sweep writes.\n"
    "  --json        one JSON object instead of text (README: status --json)\n"
    "  --sweep NAME  only that sweep (exit 2 if absent)\n";

/* The counts of one group as JSON members of o (README "status --json"). */
static void json_counts(json_object *o, const dln_store_counts *c)
{
    double rate = dln_store_counts_rate(c);
    long left = c->total > c->done ? c->total - c->done : 0;
    json_object *g = json_object_new_object();
    json_object_object_add(o, "done", json_object_new_int64(c->done));
    json_object_object_add(o, "total", json_object_new_int64(c->total));
    json_object_object_add(o, "left", json_object_new_int64(left));
    json_object_object_add(o, "complete", json_object_new_boolean(
                                              c->total > 0 && left == 0));
    json_object_object_add(o, "fraction", c->total > 0
                           ? dln_json_real(dln_store_counts_fraction(c))
                           : NULL);
    json_object_object_add(o, "rate_per_s", rate > 0.0 ? dln_json_real(rate)
                                                       : NULL);
    json_object_object_add(o, "eta_s", c->total > 0 && (left == 0 ||
                                                        rate > 0.0)
                           ? dln_json_real(left > 0 ? left / rate : 0.0)
                           : NULL);
    json_object_object_add(o, "mean_wall_s", c->done > 0
                           ? dln_json_real(c->wall_s_sum / c->done) : NULL);
    for (int k = 0; k <= DLN_REGIME_ERROR; k++)
        json_object_object_add(g, dln_regime_name((dln_regime)k),
                               json_object_new_int64(c->per_regime[k]));
    json_object_object_add(o, "regimes", g);
}

static json_object *json_lease(const dln_store_lease_info *l, double age)
{
    if (!l->held)
        return NULL;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "owner", json_object_new_string(l->owner));
    json_object_object_add(o, "host", json_object_new_string(l->host));
    json_object_object_add(o, "pid", json_object_new_int64(l->pid));
    json_object_object_add(o, "slurm_job_id",
                           json_object_new_string(l->slurm_job_id));
    json_object_object_add(o, "heartbeat_age_s", dln_json_real(age));
    return o;
}

int dln_cli_status(int argc, char **argv)
{
    const char *db = NULL, *only = NULL;
    int json = 0, rc = 1, n = 0, shown = 0;
    json_object *doc = NULL, *list = NULL;
    dln_store *s = NULL;
    dln_store_sweep_info *sw = NULL;
    dln_store_lease_info lease;
    dln_store_counts c;
    char err[1024], line[1024];

    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},
        {"sweep", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'}, DLN_OPT_HELP_ENTRY, {0}};
    dln_cli_opts o = dln_cli_opts_begin(argc, argv, "", longs);
    int k;
    while ((k = dln_cli_next_option(&o)) > 0) {
        if (k == 'd')
            db = optarg;
        else if (k == 's')
            only = optarg;
        else if (k == 'j')
            json = 1;
        else {
            dln_cli_error("dlnsweep status", "unexpected argument '%s' "
                          "(try --help)", optarg);
            return 2;
        }
    }
    if (k == DLN_OPT_HELP) {
        fputs(status_usage, stdout);
        return 0;
    }
    if (k == DLN_OPT_BAD) {
        dln_cli_error("dlnsweep status", "%s", o.msg);
        return 2;
    }
    if (!db) {
        fputs("dlnsweep status: --db FILE is required (try --help)\n", stderr);
        return 2;
    }
    int orc = dln_store_create(db, DLN_STORE_READONLY, &s, err, sizeof err);
    if (orc) {
        dln_cli_error("dlnsweep status", "%s", err);
        return orc;
    }
    if (dln_store_sweeps_list(s, &sw, &n) || dln_store_lease_get(s, &lease))
        goto fail;
    if (only) {
        int found = 0;
        for (int i = 0; i < n; i++)
            found |= !strcmp(sw[i].name, only);
        if (!found) {
            dln_cli_error("dlnsweep status", "no sweep named '%s' in %s",
                          only, db);
            rc = 2;
            goto cleanup;
        }
    }
    if (json) {
        doc = json_object_new_object();
        list = json_object_new_array();
        json_object_object_add(doc, "db", json_object_new_string(db));
        json_object_object_add(doc, "sweeps", list);
    }
    for (int i = 0; i < n; i++) {
        if (only && strcmp(sw[i].name, only))
            continue;
        if (dln_store_counts_get(s, sw[i].id, &c))
            goto fail;
        if (json) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "id", json_object_new_int64(sw[i].id));
            json_object_object_add(o, "name",
                                   json_object_new_string(sw[i].name));
            json_object_object_add(o, "spec_hash",
                                   json_object_new_string(sw[i].spec_hash));
            json_counts(o, &c);
            json_object_array_add(list, o);
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
        json_object *o = json_object_new_object();
        json_counts(o, &c);
        json_object_object_add(doc, "single", o);
    } else if (!only && c.done > 0) {
        c.total = 0;
        dln_store_counts_format(&c, "single runs", line,
                                sizeof line);
        puts(line);
    } else if (!only && shown == 0) {
        printf("%s: no sweeps and no runs yet\n", db);
    }
    double age = lease.held ? (double)time(NULL) - lease.heartbeat : 0.0;
    if (json) {
        json_object_object_add(doc, "writer", json_lease(&lease, age));
        if (dln_json_print(stdout, doc))
            goto fail;
    } else if (lease.held) {
        printf("writer: %s (host %s, pid %ld, slurm job %s), last heartbeat "
               "%.0fs ago\n", lease.owner, lease.host, lease.pid,
               lease.slurm_job_id[0] ? lease.slurm_job_id : "none", age);
    }
    rc = 0;
    goto cleanup;
fail:
    /* A damaged file is the user's to restore (2), not an internal error. */
    dln_cli_error("dlnsweep status", "%s", dln_store_errmsg(s));
    rc = dln_store_damaged(s) ? 2 : 1;
cleanup:
    json_object_put(doc);
    free(sw);
    dln_store_destroy(&s);
    return rc;
}
