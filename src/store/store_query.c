/* store_query.c — progress counts and the sweep list. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dlnsweep/strbuf.h"
#include "store_internal.h"

#define RATE_WINDOW 200   /* rows the rate is measured over */
#define DLN_STR_(x) #x
#define DLN_STR(x) DLN_STR_(x)

/* ISO text to unix seconds. */
#define UNIX_TIME(x) "((julianday(" x ") - 2440587.5) * 86400.0)"

/* The three row sources of a counts query: all rows, rows in no sweep,
 * rows in sweep ?1 (through its memberships, table sweep_tasks). */
static const char *const filters[3] = {
    "runs",
    "runs WHERE NOT EXISTS (SELECT 1 FROM sweep_tasks m WHERE m.cell_hash "
    "= runs.cell_hash AND m.seed_index = runs.seed_index)",
    "sweep_tasks m JOIN runs ON runs.cell_hash = m.cell_hash AND "
    "runs.seed_index = m.seed_index WHERE m.sweep_id = ?1"};

/* Cached statement `base + kind` of text sql_fmt with the filter of kind
 * substituted for its one %s. */
static sqlite3_stmt *counts_stmt(dln_store *s, int base, int kind,
                                 const char *sql_fmt, long sweep_id)
{
    char sql[768];
    snprintf(sql, sizeof sql, sql_fmt, filters[kind]);
    sqlite3_stmt *st = dln_store_stmt(s, base + kind, sql);
    if (st && kind == 2)
        sqlite3_bind_int64(st, 1, sweep_id);
    return st;
}

int dln_store_counts_get(dln_store *s, long sweep_id, dln_store_counts *c)
{
    sqlite3_stmt *st;
    int rc, kind = sweep_id == 0 ? 0 : sweep_id < 0 ? 1 : 2;
    int own_read = sqlite3_get_autocommit(s->db);   /* one snapshot */
    memset(c, 0, sizeof *c);
    if (own_read && dln_store_exec(s, "BEGIN"))
        return 1;
    st = counts_stmt(s, DLN_ST_COUNT_TOTAL, kind,
                     "SELECT count(*), coalesce(sum(wall_s), 0), "
                     UNIX_TIME("min(created_at)") ", "
                     UNIX_TIME("max(created_at)") " FROM %s",
                     sweep_id);
    if (!st)
        goto fail;
    if ((rc = sqlite3_step(st)) != SQLITE_ROW)
        goto fail;
    c->done = (long)sqlite3_column_int64(st, 0);
    c->wall_s_sum = sqlite3_column_double(st, 1);
    c->first_at = sqlite3_column_double(st, 2);
    c->last_at = sqlite3_column_double(st, 3);
    sqlite3_reset(st);

    st = counts_stmt(s, DLN_ST_COUNT_REGIME, kind,
                     "SELECT regime, count(*) FROM %s GROUP BY regime", sweep_id);
    if (!st)
        goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *g = (const char *)sqlite3_column_text(st, 0);
        for (int k = 0; k <= DLN_REGIME_ERROR; k++)
            if (g && !strcmp(g, dln_regime_name((dln_regime)k)))
                c->per_regime[k] = (long)sqlite3_column_int64(st, 1);
    }
    if (rc != SQLITE_DONE)
        goto fail;
    sqlite3_reset(st);

    st = counts_stmt(s, DLN_ST_COUNT_RECENT, kind,
                     "SELECT count(*), " UNIX_TIME("min(created_at)")
                     " FROM (SELECT created_at FROM %s "
                     "ORDER BY runs.id DESC LIMIT " DLN_STR(RATE_WINDOW) ")",
                     sweep_id);
    if (!st)
        goto fail;
    if ((rc = sqlite3_step(st)) != SQLITE_ROW)
        goto fail;
    c->recent_n = (long)sqlite3_column_int64(st, 0);
    c->recent_first_at = sqlite3_column_double(st, 1);
    sqlite3_reset(st);

    /* registered tasks: of that sweep, or of all sweeps */
    st = dln_store_stmt(s, DLN_ST_COUNT_TASKS,
                        "SELECT coalesce(sum(ntasks), 0) FROM sweeps "
                        "WHERE ?1 = 0 OR id = ?1");
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, sweep_id);
    if ((rc = sqlite3_step(st)) != SQLITE_ROW)
        goto fail;
    c->total = (long)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (own_read)
        dln_store_exec(s, "COMMIT");
    return 0;
fail:
    if (!strstr(s->msg, "prepare"))
        dln_store_fail(s, "counts");
    if (st)
        sqlite3_reset(st);
    if (own_read)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return 1;
}

double dln_store_counts_rate(const dln_store_counts *c)
{
    double span = c->last_at - c->recent_first_at;
    if (c->recent_n < 2 || !(span > 0.0))
        return 0.0;
    return (double)(c->recent_n - 1) / span;
}

double dln_store_counts_fraction(const dln_store_counts *c)
{
    if (c->total <= 0)
        return 0.0;
    return c->done >= c->total ? 1.0 : (double)c->done / (double)c->total;
}

void dln_store_counts_format(const dln_store_counts *c, const char *name,
                             char *buf, size_t len)
{
    dln_strbuf b = DLN_STRBUF_INIT;
    double rate = dln_store_counts_rate(c);
#define PUT(...) dln_strbuf_appendf(&b, __VA_ARGS__)
    if (c->total > 0)
        PUT("%s: %ld/%ld done (%.1f%%)", name, c->done, c->total,
            100.0 * dln_store_counts_fraction(c));
    else
        PUT("%s: %ld done", name, c->done);
    if (rate > 0.0)
        PUT(", %.3g runs/s", rate);
    if (c->total > 0 && c->done >= c->total)
        PUT(", complete");
    else if (c->total > 0 && rate > 0.0)
        PUT(", ETA %.0fs", (double)(c->total - c->done) / rate);
    if (c->done > 0)
        PUT(", %.3g s/run", c->wall_s_sum / (double)c->done);
    const char *sep = " | ";
    for (int k = 0; k <= DLN_REGIME_ERROR; k++)
        if (c->per_regime[k] > 0) {
            PUT("%s%s %ld", sep, dln_regime_name((dln_regime)k),
                c->per_regime[k]);
            sep = ", ";
        }
#undef PUT
    dln_strbuf_copy(&b, buf, len);
    dln_strbuf_free(&b);
}

int dln_store_sweeps_list(dln_store *s, dln_store_sweep_info **out, int *n)
{
    sqlite3_stmt *st;
    dln_store_sweep_info *v = NULL;
    int cap = 0, rc;
    *out = NULL;
    *n = 0;
    st = dln_store_stmt(s, DLN_ST_SWEEP_LIST,
                        "SELECT id, name, spec_hash, ntasks FROM sweeps "
                        "ORDER BY id");
    if (!st)
        return 1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            dln_store_sweep_info *w = realloc(v, (size_t)cap * sizeof *v);
            if (!w) {
                snprintf(s->msg, sizeof s->msg, "%s: out of memory", s->path);
                goto fail;
            }
            v = w;
        }
        dln_store_sweep_info *e = &v[(*n)++];
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *hash = (const char *)sqlite3_column_text(st, 2);
        e->id = (long)sqlite3_column_int64(st, 0);
        snprintf(e->name, sizeof e->name, "%s", name ? name : "");
        snprintf(e->spec_hash, sizeof e->spec_hash, "%s", hash ? hash : "");
        e->ntasks = (long)sqlite3_column_int64(st, 3);
    }
    if (rc != SQLITE_DONE) {
        dln_store_fail(s, "list sweeps");
        goto fail;
    }
    sqlite3_reset(st);
    *out = v;
    return 0;
fail:
    sqlite3_reset(st);
    free(v);
    *n = 0;
    return 1;
}
