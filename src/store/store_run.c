/* store_run.c — writing results: sweeps, runs with their trajectory, late
 * orbit and Hessian spectrum, and the is-done lookup. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dlnsweep/theory.h"
#include "store_internal.h"

#ifndef DLN_VERSION
#define DLN_VERSION "unknown"
#endif
#ifndef DLN_GIT_HASH
#define DLN_GIT_HASH "unknown"
#endif

/* ---- sweeps ----------------------------------------------------------- */

int dln_store_register_sweep(dln_store *s, const char *name,
                             const char *spec_text, uint64_t spec_hash,
                             long ntasks, int allow_change, long *sweep_id,
                             char *err, size_t errlen)
{
    char hash[DLN_HASH_HEX], now[32];
    int own, ok = 0, rc = 1;
    sqlite3_stmt *st;
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)spec_hash);
    dln_store_iso_time(dln_store_now(), now);
    *sweep_id = 0;
    if (dln_store_txn_begin(s, &own)) {
        snprintf(err, errlen, "%s", s->msg);
        return 1;
    }
    st = dln_store_stmt(s, DLN_ST_SWEEP_GET,
                        "SELECT id, spec_hash FROM sweeps WHERE name = ?1");
    if (!st)
        goto done;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        long id = (long)sqlite3_column_int64(st, 0);
        const char *old = (const char *)sqlite3_column_text(st, 1);
        int same = old && !strcmp(old, hash);
        if (!same && !allow_change) {
            snprintf(s->msg, sizeof s->msg, "database %s: sweep '%s' was "
                     "registered from a different job file (spec hash %s, "
                     "now %s); use --force to continue it with the changed "
                     "file", s->path, name, old ? old : "?", hash);
            sqlite3_reset(st);
            rc = 2;
            goto done;
        }
        sqlite3_reset(st);
        st = dln_store_stmt(s, DLN_ST_SWEEP_UPDATE,
                            "UPDATE sweeps SET spec_hash = ?2, spec_text = "
                            "?3, ntasks = ?4, updated_at = ?5 WHERE id = ?1");
        if (!st)
            goto done;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, spec_text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, ntasks);
        sqlite3_bind_text(st, 5, now, -1, SQLITE_TRANSIENT);
        if (dln_store_step_done(s, st))
            goto done;
        *sweep_id = id;
    } else if (step == SQLITE_DONE) {
        sqlite3_reset(st);
        st = dln_store_stmt(s, DLN_ST_SWEEP_INSERT,
                            "INSERT INTO sweeps(name, spec_hash, spec_text, "
                            "ntasks, created_at, updated_at) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
        if (!st)
            goto done;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, spec_text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, ntasks);
        sqlite3_bind_text(st, 5, now, -1, SQLITE_TRANSIENT);
        if (dln_store_step_done(s, st))
            goto done;
        *sweep_id = (long)sqlite3_last_insert_rowid(s->db);
    } else {
        dln_store_fail(s, "read sweeps");
        sqlite3_reset(st);
        goto done;
    }
    ok = 1;
done:
    if (dln_store_txn_end(s, own, ok) || !ok) {
        snprintf(err, errlen, "%s", s->msg);
        return ok ? 1 : rc;
    }
    return 0;
}

int dln_store_is_done(dln_store *s, const char *cell_hash, int seed_index)
{
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_IS_DONE,
                                      "SELECT 1 FROM runs WHERE cell_hash = "
                                      "?1 AND seed_index = ?2");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, cell_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, seed_index);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    dln_store_fail(s, "is_done");
    return -1;
}

int dln_store_label(dln_store *s, const char *cell_hash, int seed_index,
                    dln_regime *regime, int *period)
{
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_LABEL,
                                      "SELECT regime, period FROM runs WHERE "
                                      "cell_hash = ?1 AND seed_index = ?2");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, cell_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, seed_index);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        *regime = DLN_REGIME_ERROR;
        for (int g = DLN_REGIME_CONVERGED; name && g <= DLN_REGIME_ERROR; g++)
            if (!strcmp(name, dln_regime_name((dln_regime)g)))
                *regime = (dln_regime)g;
        *period = sqlite3_column_int(st, 1);
        found = 1;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return found;
    dln_store_fail(s, "label");
    return -1;
}

/* ---- JSON arrays ------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *text)
{
    size_t k = strlen(text);
    if (b->oom)
        return;
    if (b->n + k + 1 > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        while (cap < b->n + k + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, text, k + 1);
    b->n += k;
}

/* "[v0,v1,...]" with %.17g, null for non-finite values. */
static void sb_array(sbuf *b, const double *v, int n)
{
    char num[32];
    sb_put(b, "[");
    for (int i = 0; i < n; i++) {
        if (isfinite(v[i]))
            snprintf(num, sizeof num, "%s%.17g", i ? "," : "", v[i]);
        else
            snprintf(num, sizeof num, "%snull", i ? "," : "");
        sb_put(b, num);
    }
    sb_put(b, "]");
}

static int imin(int a, int b) { return a < b ? a : b; }

/* sv_layers as [[layer 1 svs], [layer 2 svs], ...], each row trimmed to
 * min(rows, cols, DLN_MAX_SV) of that layer. */
static void sb_layers(sbuf *b, const dln_params *p, const dln_result *r)
{
    int L = r->n_sv_layers;
    sb_put(b, "[");
    for (int l = 0; l < L; l++) {
        int rows = l == p->depth - 1 ? dln_params_d_out(p) : p->width;
        int cols = l == 0 ? dln_params_d_in(p) : p->width;
        int k = imin(imin(rows, cols), DLN_MAX_SV);
        if (k < 1)
            k = DLN_MAX_SV;
        if (l)
            sb_put(b, ",");
        sb_array(b, r->sv_layers + (size_t)l * DLN_MAX_SV, k);
    }
    sb_put(b, "]");
}

/* ---- binding helpers -------------------------------------------------- */

typedef struct binder {
    sqlite3_stmt *st;
    int i;
} binder;

static void b_real(binder *b, double v)
{
    ++b->i;
    if (isfinite(v))
        sqlite3_bind_double(b->st, b->i, v);
    else
        sqlite3_bind_null(b->st, b->i);
}
static void b_int(binder *b, long long v) { sqlite3_bind_int64(b->st, ++b->i, v); }
static void b_null(binder *b) { sqlite3_bind_null(b->st, ++b->i); }
static void b_text(binder *b, const char *t)
{
    ++b->i;
    if (t)
        sqlite3_bind_text(b->st, b->i, t, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(b->st, b->i);
}

static const char *insert_run_sql(void)
{
    static char sql[4096];
    if (!sql[0]) {
        size_t n = (size_t)snprintf(sql, sizeof sql, "INSERT INTO runs(");
        for (int i = 0; i < dln_store_n_run_columns; i++)
            n += (size_t)snprintf(sql + n, sizeof sql - n, "%s%s", i ? "," : "",
                                  dln_store_run_columns[i]);
        n += (size_t)snprintf(sql + n, sizeof sql - n, ") VALUES (");
        for (int i = 0; i < dln_store_n_run_columns; i++)
            n += (size_t)snprintf(sql + n, sizeof sql - n, "%s?", i ? "," : "");
        snprintf(sql + n, sizeof sql - n, ") ON CONFLICT(cell_hash, "
                 "seed_index) DO NOTHING");
    }
    return sql;
}

/* Bind every runs column of (t, r, prov) in dln_store_run_columns order. */
static int bind_run(dln_store *s, sqlite3_stmt *st, const dln_task *t,
                    const dln_result *r, const dln_provenance *prov)
{
    const dln_params *p = &t->params;
    char spec[DLN_MAX_SPECTRUM * 26], now[32], host[64];
    sbuf jp = {0}, jl = {0}, jh = {0}, jg = {0};
    binder b = {st, 0};
    int rc = 1;

    dln_params_spectrum_text(p, spec, sizeof spec);
    dln_store_iso_time(dln_store_now(), now);
    if (prov && prov->host[0])
        snprintf(host, sizeof host, "%s", prov->host);
    else if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    if (r->n_sv_product > 0)
        sb_array(&jp, r->sv_product, imin(r->n_sv_product, DLN_MAX_SV));
    if (r->n_sv_layers > 0 && r->sv_layers)
        sb_layers(&jl, p, r);
    if (r->n_hessian_top > 0)
        sb_array(&jh, r->hessian_top, imin(r->n_hessian_top, DLN_MAX_SV));
    if (r->n_balance_gaps > 0 && r->balance_gaps)
        sb_array(&jg, r->balance_gaps, r->n_balance_gaps);
    if (jp.oom || jl.oom || jh.oom || jg.oom) {
        snprintf(s->msg, sizeof s->msg, "%s: out of memory", s->path);
        goto cleanup;
    }

    if (prov && prov->sweep_id > 0) b_int(&b, prov->sweep_id); else b_null(&b);
    b_text(&b, t->cell_hash);
    b_int(&b, t->seed_index);
    b_real(&b, p->eta);
    b_int(&b, p->depth);
    b_int(&b, p->width);
    b_int(&b, dln_params_d_in(p));
    b_int(&b, dln_params_d_out(p));
    b_int(&b, p->rank);
    b_text(&b, spec);
    if (p->rank >= 1) b_real(&b, p->spectrum[0]); else b_null(&b);
    if (p->rank >= 2) b_real(&b, p->spectrum[1]); else b_null(&b);
    b_int(&b, p->rotate);
    b_text(&b, dln_init_name(p->init));
    b_real(&b, p->alpha);
    b_int(&b, p->steps);
    b_int(&b, (long long)p->seed);     /* two's complement: signed 64-bit */
    b_int(&b, p->record_every);
    b_int(&b, p->sharpness_every);
    b_int(&b, p->max_period);
    b_int(&b, p->lanczos_iters);
    b_int(&b, p->top_k);
    b_int(&b, p->tail);
    b_real(&b, p->period_tol);
    b_real(&b, p->diverge_bound);
    b_int(&b, p->lyapunov_steps);
    b_int(&b, p->full_spectrum);
    b_text(&b, dln_regime_name(r->regime));
    b_int(&b, r->period);
    b_real(&b, r->final_loss);
    b_real(&b, r->sharpness);
    b_real(&b, r->sharpness * p->eta / 2.0);
    b_real(&b, r->lyapunov);
    if (r->diverge_step >= 0) b_int(&b, r->diverge_step); else b_null(&b);
    b_int(&b, r->steps_done);
    b_real(&b, r->balance_gap);
    b_text(&b, jg.p);
    b_real(&b, r->offdiag_mass);
    b_int(&b, r->n_oscillating);
    b_int(&b, dln_theory_oscillating_modes(p));
    b_text(&b, jp.p);
    b_text(&b, jl.p);
    b_text(&b, jh.p);
    if (r->n_hessian_above_eos >= 0) b_int(&b, r->n_hessian_above_eos);
    else b_null(&b);
    if (r->regime == DLN_REGIME_ERROR)
        b_text(&b, r->error[0] ? r->error : "unknown error");
    else
        b_null(&b);
    b_real(&b, r->wall_s);
    b_text(&b, prov && prov->git_hash[0] ? prov->git_hash : DLN_GIT_HASH);
    b_text(&b, host);
    b_int(&b, prov ? prov->mpi_rank : 0);
    b_int(&b, prov && prov->attempt > 0 ? prov->attempt : 1);
    b_text(&b, now);
    b_text(&b, DLN_VERSION);
    if (b.i != dln_store_n_run_columns) {
        snprintf(s->msg, sizeof s->msg, "%s: internal: bound %d of %d run "
                 "columns", s->path, b.i, dln_store_n_run_columns);
        goto cleanup;
    }
    rc = 0;
cleanup:
    free(jp.p);
    free(jl.p);
    free(jh.p);
    free(jg.p);
    return rc;
}

/* ---- children of a run: trajectory, late orbit, Hessian spectrum ------ */

/* Rows per multi-row INSERT: one statement binding CHILD_CHUNK tuples costs
 * ~30% less per row than as many single-row statements (the per-statement
 * VDBE setup); the rest of a run's rows go one by one. */
#define CHILD_CHUNK 32

/* A child table: its INSERT head, the columns each row binds (run_id
 * first), the statement slots for the single-row and chunked forms, and
 * the binder of row i of a result. */
typedef struct child_table {
    const char *head;         /* "INSERT INTO t(run_id, ...) VALUES "     */
    int ncols;
    int slot_one, slot_chunk;
    void (*bind_row)(binder *b, const dln_result *r, int i);
} child_table;

static void bind_traj(binder *b, const dln_result *r, int i)
{
    const dln_traj_point *q = &r->traj[i];
    b_int(b, q->step);
    b_real(b, q->loss);
    b_real(b, q->sharpness);
    b_real(b, q->sv1);
    b_real(b, q->sv2);
    b_real(b, q->balance_gap);
    b_real(b, q->offdiag_mass);
    b_int(b, q->n_oscillating);
}

static void bind_orbit(binder *b, const dln_result *r, int k)
{
    b_int(b, k);
    if (r->orbit_sv1) b_real(b, r->orbit_sv1[k]); else b_null(b);
    if (r->orbit_loss) b_real(b, r->orbit_loss[k]); else b_null(b);
}

static void bind_spectrum(binder *b, const dln_result *r, int k)
{
    b_int(b, k);
    b_real(b, r->hessian_spectrum[k]);
}

static const child_table child_traj = {
    "INSERT INTO trajectories(run_id, step, loss, sharpness, sv1, sv2, "
    "balance_gap, offdiag_mass, n_oscillating) VALUES ", 9,
    DLN_ST_INSERT_TRAJ, DLN_ST_INSERT_TRAJ_CHUNK, bind_traj};
static const child_table child_orbit = {
    "INSERT INTO orbits(run_id, k, sv1, loss) VALUES ", 4,
    DLN_ST_INSERT_ORBIT, DLN_ST_INSERT_ORBIT_CHUNK, bind_orbit};
static const child_table child_spectrum = {
    "INSERT INTO hessian_spectra(run_id, k, value) VALUES ", 3,
    DLN_ST_INSERT_SPEC, DLN_ST_INSERT_SPEC_CHUNK, bind_spectrum};

/* c's INSERT of `rows` tuples (cached in its slot; the text is built only
 * for the first prepare).  NULL with s->msg set on failure. */
static sqlite3_stmt *child_stmt(dln_store *s, const child_table *c, int rows)
{
    int slot = rows == 1 ? c->slot_one : c->slot_chunk;
    char sql[8192];
    size_t n = 0;
    if (!s->st[slot]) {
        n = (size_t)snprintf(sql, sizeof sql, "%s", c->head);
        for (int r = 0; r < rows && n < sizeof sql; r++)
            for (int k = 0; k < c->ncols && n < sizeof sql; k++)
                n += (size_t)snprintf(sql + n, sizeof sql - n, "%s%s%s",
                                      k ? "," : r ? ",(" : "(", "?",
                                      k == c->ncols - 1 ? ")" : "");
    }
    return dln_store_stmt(s, slot, sql);
}

/* Insert rows 0..n-1 of c for run_id: CHILD_CHUNK at a time, then one by
 * one.  Returns 0 or 1. */
static int insert_child_rows(dln_store *s, const child_table *c,
                             sqlite3_int64 run_id, const dln_result *r, int n)
{
    static const int sizes[2] = {CHILD_CHUNK, 1};
    int i = 0;
    for (int z = 0; z < 2; z++) {
        int rows = sizes[z];
        if (n - i < rows)
            continue;
        sqlite3_stmt *st = child_stmt(s, c, rows);
        if (!st)
            return 1;
        for (; n - i >= rows; i += rows) {
            binder b = {st, 0};
            for (int k = 0; k < rows; k++) {
                b_int(&b, run_id);
                c->bind_row(&b, r, i + k);
            }
            if (dln_store_step_done(s, st))
                return 1;
        }
    }
    return 0;
}

/* Children of run_id.  run_id was just inserted (a replaced run's children
 * went with it, ON DELETE CASCADE), so plain INSERTs: OR REPLACE would run
 * SQLite's delete path with its foreign-key checks for every row (~1.6x
 * the cost per row). */
static int insert_children(dln_store *s, sqlite3_int64 run_id,
                           const dln_result *r)
{
    if (r->n_traj > 0 && r->traj &&
        insert_child_rows(s, &child_traj, run_id, r, r->n_traj))
        return 1;
    if (r->n_orbit > 0 && (r->orbit_sv1 || r->orbit_loss) &&
        insert_child_rows(s, &child_orbit, run_id, r, r->n_orbit))
        return 1;
    if (r->n_hessian_spectrum > 0 && r->hessian_spectrum &&
        insert_child_rows(s, &child_spectrum, run_id, r,
                          r->n_hessian_spectrum))
        return 1;
    return 0;
}

int dln_store_put_run(dln_store *s, const dln_task *t, const dln_result *r,
                      const dln_provenance *prov, int replace)
{
    sqlite3_stmt *st;
    int own = 0, in_savepoint = 0, ok = 0;
    if (s->readonly) {
        snprintf(s->msg, sizeof s->msg, "%s: opened read-only", s->path);
        return 1;
    }
    if (dln_store_txn_begin(s, &own))
        return 1;
    if (!own) {   /* inside a batch: all or nothing via a savepoint */
        st = dln_store_stmt(s, DLN_ST_SAVEPOINT, "SAVEPOINT put_run");
        if (!st || dln_store_step_done(s, st))
            return 1;
        in_savepoint = 1;
    }
    if (replace) {
        st = dln_store_stmt(s, DLN_ST_DELETE_RUN,
                            "DELETE FROM runs WHERE cell_hash = ?1 AND "
                            "seed_index = ?2");
        if (!st)
            goto done;
        sqlite3_bind_text(st, 1, t->cell_hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, t->seed_index);
        if (dln_store_step_done(s, st))
            goto done;
    }
    st = dln_store_stmt(s, DLN_ST_INSERT_RUN, insert_run_sql());
    if (!st || bind_run(s, st, t, r, prov) || dln_store_step_done(s, st))
        goto done;
    if (sqlite3_changes(s->db) > 0 &&
        insert_children(s, sqlite3_last_insert_rowid(s->db), r))
        goto done;
    ok = 1;
done:
    if (in_savepoint) {
        if (!ok) {
            st = dln_store_stmt(s, DLN_ST_ROLLBACK_TO,
                                "ROLLBACK TO put_run");
            if (st)
                sqlite3_step(st), sqlite3_reset(st);
        }
        st = dln_store_stmt(s, DLN_ST_RELEASE, "RELEASE put_run");
        if (st)
            sqlite3_step(st), sqlite3_reset(st);
        return ok ? 0 : 1;
    }
    return dln_store_txn_end(s, own, ok);
}
