/* store_members.c — sweep membership (table sweep_tasks: which sweeps
 * contain which task, so one run row serves every sweep that contains it),
 * the history of accepted specs (sweep_specs), the guard against cell-hash
 * collisions, and `forget`: deleting chosen runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/paramdefs.h"
#include "dlnsweep/strbuf.h"
#include "store_internal.h"

/* ---- membership -------------------------------------------------------- */

int dln_store_member_add(dln_store *s, long sweep_id, const char *cell_hash,
                         int seed_index)
{
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_MEMBER_ADD,
                                      "INSERT OR IGNORE INTO sweep_tasks("
                                      "sweep_id, cell_hash, seed_index) "
                                      "VALUES (?1, ?2, ?3)");
    if (!st)
        return 1;
    sqlite3_bind_int64(st, 1, sweep_id);
    sqlite3_bind_text(st, 2, cell_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, seed_index);
    return dln_store_step_done(s, st);
}

int dln_store_spec_history_add(dln_store *s, long sweep_id,
                               const char *spec_hash, const char *spec_text,
                               long ntasks, const char *now)
{
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_SPEC_ADD,
                                      "INSERT INTO sweep_specs(sweep_id, "
                                      "spec_hash, spec_text, ntasks, "
                                      "accepted_at) VALUES (?1,?2,?3,?4,?5)");
    if (!st)
        return 1;
    sqlite3_bind_int64(st, 1, sweep_id);
    sqlite3_bind_text(st, 2, spec_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, spec_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, ntasks);
    sqlite3_bind_text(st, 5, now, -1, SQLITE_TRANSIENT);
    return dln_store_step_done(s, st);
}

int dln_store_members_drop(dln_store *s, long sweep_id)
{
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_MEMBER_DROP,
                                      "DELETE FROM sweep_tasks WHERE "
                                      "sweep_id = ?1");
    if (!st)
        return 1;
    sqlite3_bind_int64(st, 1, sweep_id);
    return dln_store_step_done(s, st);
}

/* The count sql returns, or -1. */
static int count_of(dln_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

int dln_store_members_compat(dln_store *s)
{
    /* A read-only handle on a file from before sweep_tasks: the membership
     * its runs.sweep_id says, as TEMP tables (the file is not touched). */
    int has = count_of(s, "SELECT count(*) FROM sqlite_master WHERE name "
                          "IN ('sweep_tasks', 'sweep_specs')");
    if (has < 0)
        return dln_store_fail(s, "read schema");
    if (has == 2)
        return 0;
    return dln_store_exec(
        s, "CREATE TEMP TABLE sweep_tasks AS SELECT sweep_id, cell_hash, "
           "seed_index FROM runs WHERE sweep_id IS NOT NULL;"
           "CREATE INDEX temp.sweep_tasks_task ON sweep_tasks(cell_hash, "
           "seed_index);"
           "CREATE INDEX temp.sweep_tasks_sweep ON sweep_tasks(sweep_id);"
           "CREATE TEMP TABLE sweep_specs AS SELECT NULL AS id, id AS "
           "sweep_id, spec_hash, spec_text, ntasks, updated_at AS "
           "accepted_at FROM sweeps");
}

int dln_store_merge_members(dln_store *s)
{
    /* src is attached, temp.merge_sweeps maps its sweep ids to main's. */
    int has = count_of(s, "SELECT count(*) FROM src.sqlite_master WHERE "
                          "name = 'sweep_tasks'");
    if (has < 0)
        return dln_store_fail(s, "merge memberships");
    if (dln_store_exec(
            s, has ? "INSERT OR IGNORE INTO main.sweep_tasks SELECT k.new, "
                     "t.cell_hash, t.seed_index FROM src.sweep_tasks t JOIN "
                     "temp.merge_sweeps k ON k.old = t.sweep_id"
                   : "INSERT OR IGNORE INTO main.sweep_tasks SELECT k.new, "
                     "r.cell_hash, r.seed_index FROM src.runs r JOIN "
                     "temp.merge_sweeps k ON k.old = r.sweep_id"))
        return 1;
    return dln_store_exec(s, "INSERT INTO main.sweep_specs(sweep_id, "
                             "spec_hash, spec_text, ntasks, accepted_at) "
                             "SELECT id, spec_hash, spec_text, ntasks, "
                             "updated_at FROM main.sweeps WHERE id NOT IN "
                             "(SELECT sweep_id FROM main.sweep_specs)");
}

/* ---- finding a sweep's task done --------------------------------------- */

/* "SELECT id, regime, same FROM runs WHERE key" where same says whether
 * every parameter column equals the bound task's (a NULL column, written
 * before its parameter existed, counts as equal; so does a column an
 * older file read as is does not have yet). */
static sqlite3_stmt *lookup_stmt(dln_store *s)
{
    dln_strbuf sql = DLN_STRBUF_INIT;
    if (!s->st[DLN_ST_LOOKUP_RUN]) {
        dln_strbuf_append(&sql, "SELECT id, regime, (1");
        for (int i = 0; i < dln_param_count(); i++) {
            const char *name = dln_param_at(i)->name;
            int has = dln_store_has_column(s, "runs", name);
            if (has < 0) {
                dln_strbuf_free(&sql);
                return NULL;
            }
            if (has)
                dln_strbuf_appendf(&sql, " AND (%s IS ?%d OR %s IS NULL)",
                                   name, i + 3, name);
        }
        dln_strbuf_append(&sql, ") FROM runs WHERE cell_hash = ?1 AND "
                          "seed_index = ?2");
    }
    sqlite3_stmt *st = dln_store_stmt_rebind(s, DLN_ST_LOOKUP_RUN,
                                             dln_strbuf_text(&sql));
    dln_strbuf_free(&sql);
    return st;
}

int dln_store_lookup_run(dln_store *s, const dln_task *t, long long *id,
                         dln_regime *regime)
{
    sqlite3_stmt *st = lookup_stmt(s);
    int rc, found = 0;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, t->cell_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, t->seed_index);
    dln_store_bind_params(st, 3, t);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        *id = sqlite3_column_int64(st, 0);
        *regime = DLN_REGIME_ERROR;
        for (int g = 0; name && g <= DLN_REGIME_ERROR; g++)
            if (!strcmp(name, dln_regime_name((dln_regime)g)))
                *regime = (dln_regime)g;
        found = sqlite3_column_int(st, 2) ? 1 : 2;
        if (found == 2)
            snprintf(s->msg, sizeof s->msg, "database %s: cell hash "
                     "collision: task %s seed %d matches stored run %lld, "
                     "whose parameters differ; refusing to treat it as "
                     "done (forget run %lld, or change the job's seed)",
                     s->path, t->cell_hash, t->seed_index, *id, *id);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return found;
    dln_store_fail(s, "look up run");
    return -1;
}

int dln_store_claim(dln_store *s, long sweep_id, const dln_task *t,
                    unsigned retry, int max_attempts, dln_claim *out)
{
    long long id = 0;
    dln_regime g = DLN_REGIME_ERROR;
    int n = 0, found = dln_store_lookup_run(s, t, &id, &g);
    *out = DLN_CLAIM_TODO;
    if (found < 0)
        return 1;
    if (found == 2)
        return 2;
    if (found && sweep_id > 0 &&
        dln_store_member_add(s, sweep_id, t->cell_hash, t->seed_index))
        return 1;
    if (found && !(retry & (1u << g))) {
        *out = DLN_CLAIM_DONE;
        return 0;
    }
    if (max_attempts > 0) {
        if (dln_store_attempt_count(s, t->cell_hash, t->seed_index, &n))
            return 1;
        if (n >= max_attempts) {
            *out = DLN_CLAIM_EXHAUSTED;
            return 0;
        }
    }
    *out = found ? DLN_CLAIM_RETRY : DLN_CLAIM_TODO;
    return 0;
}

int dln_store_has_foreign_runs(dln_store *s, long sweep_id)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT EXISTS (SELECT 1 FROM runs r "
                           "WHERE NOT EXISTS (SELECT 1 FROM sweep_tasks m "
                           "WHERE m.sweep_id = ?1 AND m.cell_hash = "
                           "r.cell_hash AND m.seed_index = r.seed_index))",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, sweep_id);
        if (sqlite3_step(st) == SQLITE_ROW)
            rc = sqlite3_column_int(st, 0);
    }
    if (rc < 0)
        dln_store_fail(s, "foreign runs");
    sqlite3_finalize(st);
    return rc;
}

/* ---- forget ------------------------------------------------------------ */

/* Only reading: the --where expression may not write, attach, pragma ... */
static int read_only_authorizer(void *arg, int action, const char *a,
                                const char *b, const char *c, const char *d)
{
    (void)arg, (void)a, (void)b, (void)c, (void)d;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    default:
        return SQLITE_DENY;
    }
}

/* The runs of sweep (NULL: any) matching where into temp.forget_ids.
 * 0, 2 with s->msg (bad expression, unknown sweep), 1. */
static int select_runs(dln_store *s, const char *sweep, const char *where)
{
    char *sql = NULL;
    const char *tail = NULL;
    sqlite3_stmt *q = NULL, *ins = NULL;
    int rc = 1, step;
    if (sweep) {
        sqlite3_stmt *f = NULL;
        int found = 0;
        if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sweeps WHERE name = ?1",
                               -1, &f, NULL) != SQLITE_OK)
            return dln_store_fail(s, "read sweeps");
        sqlite3_bind_text(f, 1, sweep, -1, SQLITE_TRANSIENT);
        found = sqlite3_step(f) == SQLITE_ROW;
        sqlite3_finalize(f);
        if (!found) {
            snprintf(s->msg, sizeof s->msg, "database %s: no sweep named "
                     "'%.200s'", s->path, sweep);
            return 2;
        }
    }
    sql = sqlite3_mprintf(
        "SELECT id FROM runs WHERE %s (%s)",
        sweep ? "EXISTS (SELECT 1 FROM sweep_tasks m JOIN sweeps w ON w.id = "
                "m.sweep_id WHERE w.name = ?1 AND m.cell_hash = "
                "runs.cell_hash AND m.seed_index = runs.seed_index) AND"
              : "",
        where);
    if (!sql)
        return 1;
    sqlite3_set_authorizer(s->db, read_only_authorizer, NULL);
    step = sqlite3_prepare_v2(s->db, sql, -1, &q, &tail);
    sqlite3_set_authorizer(s->db, NULL, NULL);
    if (step != SQLITE_OK || !q) {
        snprintf(s->msg, sizeof s->msg, "--where \"%.200s\": %s", where,
                 q || step != SQLITE_OK ? sqlite3_errmsg(s->db)
                                        : "empty expression");
        rc = 2;
        goto cleanup;
    }
    while (tail && (*tail == ' ' || *tail == '\t' || *tail == '\n'))
        tail++;
    if (tail && *tail) {
        snprintf(s->msg, sizeof s->msg, "--where \"%.200s\": one SQL "
                 "expression on runs, not several statements", where);
        rc = 2;
        goto cleanup;
    }
    if (sweep)
        sqlite3_bind_text(q, 1, sweep, -1, SQLITE_TRANSIENT);
    if (dln_store_exec(s, "DROP TABLE IF EXISTS temp.forget_ids;"
                          "CREATE TEMP TABLE forget_ids(id INTEGER PRIMARY "
                          "KEY)") ||
        sqlite3_prepare_v2(s->db, "INSERT INTO temp.forget_ids VALUES (?1)",
                           -1, &ins, NULL) != SQLITE_OK) {
        dln_store_fail(s, "forget");
        goto cleanup;
    }
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        sqlite3_bind_int64(ins, 1, sqlite3_column_int64(q, 0));
        if (dln_store_step_done(s, ins))
            goto cleanup;
    }
    if (step != SQLITE_DONE) {
        snprintf(s->msg, sizeof s->msg, "--where \"%.200s\": %s", where,
                 sqlite3_errmsg(s->db));
        rc = 2;
        goto cleanup;
    }
    rc = 0;
cleanup:
    sqlite3_finalize(q);
    sqlite3_finalize(ins);
    sqlite3_free(sql);
    return rc;
}

/* What temp.forget_ids holds: runs per regime and per sweep. */
static int summarize(dln_store *s, dln_store_forget_info *info)
{
    sqlite3_stmt *st = NULL;
    int rc = 1, step;
    if (sqlite3_prepare_v2(s->db, "SELECT r.regime, count(*) FROM runs r "
                           "JOIN temp.forget_ids f ON f.id = r.id GROUP BY "
                           "r.regime", -1, &st, NULL) != SQLITE_OK)
        return dln_store_fail(s, "forget");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *g = (const char *)sqlite3_column_text(st, 0);
        long n = (long)sqlite3_column_int64(st, 1);
        info->runs += n;
        for (int k = 0; k <= DLN_REGIME_ERROR; k++)
            if (g && !strcmp(g, dln_regime_name((dln_regime)k)))
                info->per_regime[k] = n;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return dln_store_fail(s, "forget");
    if (sqlite3_prepare_v2(s->db, "SELECT w.name, count(*) FROM runs r JOIN "
                           "temp.forget_ids f ON f.id = r.id JOIN sweep_tasks "
                           "m ON m.cell_hash = r.cell_hash AND m.seed_index "
                           "= r.seed_index JOIN sweeps w ON w.id = m.sweep_id "
                           "GROUP BY w.id ORDER BY w.id", -1, &st,
                           NULL) != SQLITE_OK)
        return dln_store_fail(s, "forget");
    while ((step = sqlite3_step(st)) == SQLITE_ROW &&
           info->nsweeps < DLN_FORGET_MAX_SWEEPS) {
        int k = info->nsweeps++;
        snprintf(info->sweep[k], sizeof info->sweep[k], "%s",
                 (const char *)sqlite3_column_text(st, 0));
        info->sweep_runs[k] = (long)sqlite3_column_int64(st, 1);
    }
    if (step == SQLITE_DONE || step == SQLITE_ROW)
        rc = 0;
    else
        dln_store_fail(s, "forget");
    sqlite3_finalize(st);
    return rc;
}

int dln_store_forget(dln_store *s, const char *sweep, const char *where,
                     int dry_run, dln_store_forget_info *info)
{
    int own = 0, ok = 0, rc;
    memset(info, 0, sizeof *info);
    if (!dry_run && s->readonly) {
        snprintf(s->msg, sizeof s->msg, "%s: opened read-only", s->path);
        return 1;
    }
    if (!dry_run && dln_store_txn_begin(s, &own))
        return 1;
    if ((rc = select_runs(s, sweep, where)) || (rc = summarize(s, info)))
        goto done;
    rc = 1;
    /* The tasks as if never run: their memberships, attempt counts and
     * rows (children go with the rows: ON DELETE CASCADE). */
    if (!dry_run &&
        dln_store_exec(s, "DELETE FROM sweep_tasks WHERE (cell_hash, "
                          "seed_index) IN (SELECT cell_hash, seed_index FROM "
                          "runs WHERE id IN temp.forget_ids);"
                          "DELETE FROM attempts WHERE (cell_hash, "
                          "seed_index) IN (SELECT cell_hash, seed_index FROM "
                          "runs WHERE id IN temp.forget_ids);"
                          "DELETE FROM runs WHERE id IN temp.forget_ids"))
        goto done;
    ok = 1;
    rc = 0;
done:
    if (rc == 2 && !strstr(s->msg, s->path)) {
        char m[sizeof s->msg];
        snprintf(m, sizeof m, "%s", s->msg);
        snprintf(s->msg, sizeof s->msg, "database %.200s: %.300s", s->path,
                 m);
    }
    if (!dry_run && dln_store_txn_end(s, own, ok) && rc == 0)
        rc = 1;
    sqlite3_exec(s->db, "DROP TABLE IF EXISTS temp.forget_ids", NULL, NULL,
                 NULL);
    return rc;
}
