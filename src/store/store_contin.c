/* store_contin.c — continuations (refine: {method: continuation}) and the
 * bifurcation points they located: tables continuations and
 * located_points (schema in store_schema.c, docs/schema.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "dlnsweep/refine.h"
#include "store_internal.h"

int dln_store_has_continuation(dln_store *s, const char *cell_hash,
                               int seed_index)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM continuations WHERE "
                           "cell_hash = ?1 AND seed_index = ?2", -1, &st,
                           NULL) != SQLITE_OK) {
        dln_store_fail(s, "query continuations");
        return -1;
    }
    sqlite3_bind_text(st, 1, cell_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, seed_index);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = 1;
    else if (step == SQLITE_DONE)
        rc = 0;
    else
        dln_store_fail(s, "query continuations");
    sqlite3_finalize(st);
    return rc;
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* The located points of continuation `id`. Returns 0 or 1. */
static int put_points(dln_store *s, sqlite3_int64 id, const dln_result *r)
{
    sqlite3_stmt *st = NULL;
    int rc = 1;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO located_points(continuation_id,"
                           " k, kind, eta, period_from, period_to, subperiod,"
                           " multiplier, residual, test) VALUES (?1, ?2, ?3,"
                           " ?4, ?5, ?6, ?7, ?8, ?9, ?10)", -1, &st, NULL) !=
        SQLITE_OK) {
        dln_store_fail(s, "insert located_points");
        return 1;
    }
    for (int k = 0; k < r->n_located; k++) {
        const dln_located *p = &r->located[k];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, k);
        sqlite3_bind_text(st, 3, dln_located_kind_name(p->kind), -1,
                          SQLITE_STATIC);
        bind_real(st, 4, p->eta);
        sqlite3_bind_int(st, 5, p->period);
        sqlite3_bind_int(st, 6, p->period_after);
        sqlite3_bind_int(st, 7, p->subperiod);
        bind_real(st, 8, p->multiplier);
        bind_real(st, 9, p->residual);
        bind_real(st, 10, p->test);
        if (dln_store_step_done(s, st))
            goto cleanup;
    }
    rc = 0;
cleanup:
    sqlite3_finalize(st);
    return rc;
}

int dln_store_put_continuation(dln_store *s, const dln_task *t,
                               const dln_store_contin_info *c,
                               const dln_result *r,
                               const dln_provenance *prov)
{
    sqlite3_stmt *st = NULL;
    int own = 0, ok = 0;
    char now[32];
    if (s->readonly) {
        snprintf(s->msg, sizeof s->msg, "%s: opened read-only", s->path);
        return 1;
    }
    if (dln_store_txn_begin(s, &own))
        return 1;
    dln_store_iso_time(dln_store_now(), now);
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO continuations("
                           "sweep_id, cell_hash, seed_index, eta, period, "
                           "direction, eta_lo, eta_hi, max_period, status, "
                           "steps, n_points, error, wall_s, git_hash, host, "
                           "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                           "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                           -1, &st, NULL) != SQLITE_OK) {
        dln_store_fail(s, "insert continuations");
        goto done;
    }
    if (prov->sweep_id > 0)
        sqlite3_bind_int64(st, 1, prov->sweep_id);
    sqlite3_bind_text(st, 2, t->cell_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, t->seed_index);
    bind_real(st, 4, t->params.eta);
    sqlite3_bind_int(st, 5, c->period);
    sqlite3_bind_int(st, 6, c->direction);
    bind_real(st, 7, c->eta_lo);
    bind_real(st, 8, c->eta_hi);
    sqlite3_bind_int(st, 9, c->max_period);
    sqlite3_bind_text(st, 10, c->status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 11, r->contin_steps);
    sqlite3_bind_int(st, 12, r->n_located);
    if (r->error[0])
        sqlite3_bind_text(st, 13, r->error, -1, SQLITE_TRANSIENT);
    bind_real(st, 14, r->wall_s);
    sqlite3_bind_text(st, 15, prov->git_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 16, prov->host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 17, now, -1, SQLITE_TRANSIENT);
    if (dln_store_step_done(s, st))
        goto done;
    if (sqlite3_changes(s->db) > 0 &&
        put_points(s, sqlite3_last_insert_rowid(s->db), r))
        goto done;
    ok = 1;
done:
    sqlite3_finalize(st);
    return dln_store_txn_end(s, own, ok);
}

int dln_store_merge_continuations(dln_store *s)
{
    sqlite3_stmt *st = NULL;
    int has = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM src.sqlite_master "
                           "WHERE type = 'table' AND name = 'continuations'",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        has = sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    if (!has)   /* an input older than the continuation tables */
        return 0;
    return dln_store_exec(s,
        "INSERT INTO main.continuations(sweep_id, cell_hash, seed_index, eta,"
        " period, direction, eta_lo, eta_hi, max_period, status, steps,"
        " n_points, error, wall_s, git_hash, host, created_at)"
        " SELECT (SELECT new FROM temp.merge_sweeps WHERE old = c.sweep_id),"
        " c.cell_hash, c.seed_index, c.eta, c.period, c.direction, c.eta_lo,"
        " c.eta_hi, c.max_period, c.status, c.steps, c.n_points, c.error,"
        " c.wall_s, c.git_hash, c.host, c.created_at FROM src.continuations c"
        " WHERE NOT EXISTS (SELECT 1 FROM main.continuations m WHERE"
        " m.cell_hash = c.cell_hash AND m.seed_index = c.seed_index)"
        " ORDER BY c.id;"
        "INSERT OR IGNORE INTO main.located_points SELECT m.id, p.k, p.kind,"
        " p.eta, p.period_from, p.period_to, p.subperiod, p.multiplier,"
        " p.residual, p.test FROM src.located_points p"
        " JOIN src.continuations c ON c.id = p.continuation_id"
        " JOIN main.continuations m ON m.cell_hash = c.cell_hash AND"
        " m.seed_index = c.seed_index");
}
