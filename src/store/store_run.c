/* store_run.c — writing results: sweeps, runs with their trajectory, late
 * orbit and Hessian spectrum, and the is-done lookup. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dlnsweep/json.h"
#include "dlnsweep/paramdefs.h"
#include "dlnsweep/strbuf.h"
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
        /* A changed spec: its history keeps the old one, and its tasks
         * are claimed anew (those no longer in it leave the sweep). */
        if (!same && (dln_store_spec_history_add(s, id, hash, spec_text,
                                                 ntasks, now) ||
                      dln_store_members_drop(s, id)))
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
        if (dln_store_spec_history_add(s, *sweep_id, hash, spec_text, ntasks,
                                       now))
            goto done;
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

/* ---- run ids ---------------------------------------------------------- */

int dln_store_next_run_id(dln_store *s, sqlite3_int64 *id)
{
    if (s->next_run_id > 0) {
        *id = s->next_run_id++;
        return 0;
    }
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_NEXT_RUN_ID,
        "SELECT 1 + max(coalesce((SELECT max(id) FROM runs), 0),"
        " coalesce((SELECT max(run_id) FROM trajectories), 0),"
        " coalesce((SELECT max(run_id) FROM orbits), 0),"
        " coalesce((SELECT max(run_id) FROM hessian_spectra), 0),"
        " coalesce((SELECT max(run_id) FROM point_details), 0),"
        " coalesce((SELECT max_id FROM retired_run_ids WHERE id = 1), 0))");
    if (!st)
        return 1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        dln_store_fail(s, "next run id");
        sqlite3_reset(st);
        return 1;
    }
    *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    s->next_run_id = *id + 1;
    return 0;
}

static void next_run_id_sql(sqlite3_context *ctx, int argc,
                            sqlite3_value **argv)
{
    dln_store *s = sqlite3_user_data(ctx);
    sqlite3_int64 id;
    (void)argc;
    (void)argv;
    if (dln_store_next_run_id(s, &id))
        sqlite3_result_error(ctx, s->msg, -1);
    else
        sqlite3_result_int64(ctx, id);
}

int dln_store_register_run_ids(dln_store *s)
{
    /* Not deterministic, and only for statements of this program (never
     * from the schema: a trigger or view of the file cannot call it). */
    return sqlite3_create_function(s->db, "dln_next_run_id", 0,
                                   SQLITE_UTF8 | SQLITE_DIRECTONLY, s,
                                   next_run_id_sql, NULL, NULL) != SQLITE_OK;
}

/* ---- JSON arrays ------------------------------------------------------ */

static int imin(int a, int b) { return a < b ? a : b; }

/* sv_layers as [[layer 1 svs], [layer 2 svs], ...], each row trimmed to
 * min(rows, cols, DLN_MAX_SV) of that layer. */
static int put_layers(dln_strbuf *b, const dln_params *p, const dln_result *r)
{
    json_object *a = json_object_new_array();
    for (int l = 0; a && l < r->n_sv_layers; l++) {
        int rows = l == p->depth - 1 ? dln_params_d_out(p) : p->width;
        int cols = l == 0 ? dln_params_d_in(p) : p->width;
        int k = imin(imin(rows, cols), DLN_MAX_SV);
        if (k < 1)
            k = DLN_MAX_SV;
        json_object *row = dln_json_exacts(
            r->sv_layers + (size_t)l * DLN_MAX_SV, k);
        if (!row || json_object_array_add(a, row)) {
            json_object_put(row);
            json_object_put(a);
            a = NULL;
        }
    }
    int bad = !a || dln_json_append(b, a);
    json_object_put(a);
    return bad;
}

/* o (owned: put here) appended to b; 1 when o is NULL or out of memory. */
static int put_object(dln_strbuf *b, json_object *o)
{
    int bad = !o || dln_json_append(b, o);
    json_object_put(o);
    return bad;
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

/* ---- the runs columns ------------------------------------------------- */

/* What one runs row is made of: the task, its result, provenance, and the
 * texts computed once per row. */
typedef struct run_row {
    const dln_task *t;
    const dln_result *r;
    const dln_provenance *prov;
    char now[32], host[64];
    /* JSON arrays, and the end-of-run dynamics' JSON (result.h); an
     * empty buffer (NULL text) is a NULL column */
    dln_strbuf product, layers, top, gaps;
    dln_strbuf spectrum, spectrum_err, floquet, modes;
} run_row;

/* A column that is not a parameter: its name and its binder (for a plain
 * field of dln_result, one of the res_* binders and the field's offset). */
typedef struct run_column {
    const char *name;
    void (*bind)(binder *b, const run_row *w, size_t off);
    size_t off;
} run_column;

#define RFIELD(w, off, T) (*(const T *)((const char *)(w)->r + (off)))

static void res_real(binder *b, const run_row *w, size_t off)
{
    b_real(b, RFIELD(w, off, double));
}
static void res_int(binder *b, const run_row *w, size_t off)
{
    b_int(b, RFIELD(w, off, int));
}
static void res_long(binder *b, const run_row *w, size_t off)
{
    b_int(b, RFIELD(w, off, long));
}
static void res_int_or_null(binder *b, const run_row *w, size_t off)
{   /* -1: not computed */
    if (RFIELD(w, off, int) >= 0) b_int(b, RFIELD(w, off, int));
    else b_null(b);
}
static void res_long_or_null(binder *b, const run_row *w, size_t off)
{
    if (RFIELD(w, off, long) >= 0) b_int(b, RFIELD(w, off, long));
    else b_null(b);
}

static void c_sweep_id(binder *b, const run_row *w, size_t off)
{
    if (w->prov && w->prov->sweep_id > 0) b_int(b, w->prov->sweep_id);
    else b_null(b);
}
static void c_cell_hash(binder *b, const run_row *w, size_t off)
{
    b_text(b, w->t->cell_hash);
}
static void c_seed_index(binder *b, const run_row *w, size_t off)
{
    b_int(b, w->t->seed_index);
}
static void c_rank(binder *b, const run_row *w, size_t off)
{
    b_int(b, w->t->params.rank);
}
static void c_s1(binder *b, const run_row *w, size_t off)
{
    const dln_params *p = &w->t->params;
    if (p->rank >= 1) b_real(b, p->spectrum[0]); else b_null(b);
}
static void c_s2(binder *b, const run_row *w, size_t off)
{
    const dln_params *p = &w->t->params;
    if (p->rank >= 2) b_real(b, p->spectrum[1]); else b_null(b);
}
static void c_seed(binder *b, const run_row *w, size_t off)
{   /* two's complement: a signed 64-bit integer */
    b_int(b, (long long)w->t->params.seed);
}
static void c_regime(binder *b, const run_row *w, size_t off)
{
    b_text(b, dln_regime_name(w->r->regime));
}
static void c_json(binder *b, const run_row *w, size_t off)
{   /* off: the dln_strbuf of run_row holding the JSON text */
    b_text(b, ((const dln_strbuf *)((const char *)w + off))->p);
}
static void c_reason(binder *b, const run_row *w, size_t off)
{
    b_text(b, dln_reason_name(w->r->reason));
}
static void c_steps_done(binder *b, const run_row *w, size_t off)
{
    if (w->r->n_lyap > 0) b_int(b, w->r->lyapunov_steps_done);
    else b_null(b);
}
static void c_error(binder *b, const run_row *w, size_t off)
{
    if (w->r->regime == DLN_REGIME_ERROR)
        b_text(b, w->r->error[0] ? w->r->error : "unknown error");
    else
        b_null(b);
}
static void c_git_hash(binder *b, const run_row *w, size_t off)
{
    b_text(b, w->prov && w->prov->git_hash[0] ? w->prov->git_hash
                                              : DLN_GIT_HASH);
}
static void c_host(binder *b, const run_row *w, size_t off)
{
    b_text(b, w->host);
}
static void c_mpi_rank(binder *b, const run_row *w, size_t off)
{
    b_int(b, w->prov ? w->prov->mpi_rank : 0);
}
static void c_attempt(binder *b, const run_row *w, size_t off)
{
    b_int(b, w->prov && w->prov->attempt > 0 ? w->prov->attempt : 1);
}
static void c_times_edge(binder *b, const run_row *w, size_t off)
{   /* > 0: eta was given as this multiple of 2/(L s_1^(2-2/L)) */
    if (w->prov && w->prov->times_edge > 0) b_real(b, w->prov->times_edge);
    else b_null(b);
}
static void c_created_at(binder *b, const run_row *w, size_t off)
{
    b_text(b, w->now);
}
static void c_version(binder *b, const run_row *w, size_t off)
{
    b_text(b, DLN_VERSION);
}

#define RES(how, field) {#field, how, offsetof(dln_result, field)}
#define JSON(name, field) {name, c_json, offsetof(run_row, field)}

/* The runs columns in insert order: the key, every parameter of the
 * parameter table (paramdefs.h: name, value and SQL type come from its
 * row), then the columns below.  The schema (store_schema.c) must have
 * each; test_store checks it for the parameters. */
static const run_column key_columns[] = {
    {"sweep_id", c_sweep_id, 0}, {"cell_hash", c_cell_hash, 0},
    {"seed_index", c_seed_index, 0}};
static const run_column other_columns[] = {
    /* derived from the cell */
    {"rank", c_rank, 0}, {"s1", c_s1, 0}, {"s2", c_s2, 0},
    {"seed", c_seed, 0},
    /* the result */
    {"regime", c_regime, 0}, RES(res_int, period),
    RES(res_real, final_loss), RES(res_real, sharpness),
    RES(res_real, eos_ratio), RES(res_real, lyapunov),
    RES(res_long_or_null, diverge_step), RES(res_long, steps_done),
    RES(res_real, balance_gap), JSON("balance_gaps", gaps),
    RES(res_real, offdiag_mass), RES(res_int, n_oscillating),
    RES(res_int_or_null, n_oscillating_theory),
    JSON("sv_product", product), JSON("sv_layers", layers),
    JSON("hessian_top", top), RES(res_int_or_null, n_hessian_above_eos),
    {"error", c_error, 0},
    /* the end-of-run dynamics (schema 4) */
    {"reason", c_reason, 0}, RES(res_real, lyapunov_err),
    JSON("lyapunov_spectrum", spectrum),
    JSON("lyapunov_spectrum_err", spectrum_err),
    {"lyapunov_steps_done", c_steps_done, 0},
    RES(res_real, lyapunov_inset), RES(res_real, lyapunov_inset_err),
    RES(res_real, lyapunov_transverse),
    RES(res_real, lyapunov_transverse_err), JSON("floquet", floquet),
    RES(res_real, floquet_max), RES(res_real, floquet_inset_max),
    RES(res_real, floquet_transverse_max),
    RES(res_int_or_null, transverse_stable), RES(res_int_or_null, in_set),
    RES(res_real, set_defect), RES(res_int_or_null, n_collapsed),
    JSON("mode_regimes", modes),
    /* provenance */
    RES(res_real, wall_s), {"git_hash", c_git_hash, 0},
    {"host", c_host, 0}, {"mpi_rank", c_mpi_rank, 0},
    {"attempt", c_attempt, 0}, {"created_at", c_created_at, 0},
    {"dlnsweep_version", c_version, 0},
    /* how the job gave eta */
    {"times_edge", c_times_edge, 0}};

#define N_KEY ((int)(sizeof key_columns / sizeof key_columns[0]))
#define N_OTHER ((int)(sizeof other_columns / sizeof other_columns[0]))

int dln_store_run_columns(const char **names, int max)
{
    int n = 0, np = dln_param_count();
    for (int i = 0; i < N_KEY + np + N_OTHER; i++) {
        if (n == max)
            return -1;
        names[n++] = i < N_KEY ? key_columns[i].name
                     : i < N_KEY + np ? dln_param_at(i - N_KEY)->name
                     : other_columns[i - N_KEY - np].name;
    }
    return n;
}

/* Parameter d of the task, in its column (integers stored 0-is-width
 * resolved; init and spectrum as text). */
static void bind_param(binder *b, const run_row *w, const dln_param_def *d)
{
    char text[DLN_MAX_INIT_DIAG * 26];
    const dln_params *p = &w->t->params;
    switch (d->type) {
    case DLN_PT_REAL:
        b_real(b, dln_param_get(p, d));
        break;
    case DLN_PT_INIT:
    case DLN_PT_LIST:
    case DLN_PT_FILE:
        dln_param_format(p, d, DLN_TEXT_EXACT, text, sizeof text);
        b_text(b, text);
        break;
    default:
        b_int(b, (long long)dln_param_resolved(p, d));
        break;
    }
}

void dln_store_bind_params(sqlite3_stmt *st, int first, const dln_task *t)
{
    run_row w = {.t = t};
    binder b = {st, first - 1};
    for (int i = 0; i < dln_param_count(); i++)
        bind_param(&b, &w, dln_param_at(i));
}

/* "INSERT INTO runs(columns) VALUES (?, ...) ON CONFLICT DO NOTHING"
 * appended to sql; 0, or 1 when out of memory or too many columns. */
static int insert_run_sql(dln_strbuf *sql)
{
    const char *names[DLN_STORE_MAX_RUN_COLUMNS];
    int n = dln_store_run_columns(names, DLN_STORE_MAX_RUN_COLUMNS);
    dln_strbuf_append(sql, "INSERT INTO runs(");
    for (int i = 0; i < n; i++)
        dln_strbuf_appendf(sql, "%s%s", i ? "," : "", names[i]);
    /* The id last, never one used before (dln_store_next_run_id). */
    dln_strbuf_append(sql, ",id) VALUES (");
    for (int i = 0; i < n; i++)
        dln_strbuf_append(sql, "?,");
    dln_strbuf_append(sql, "dln_next_run_id()) ON CONFLICT(cell_hash, "
                      "seed_index) DO NOTHING");
    return n < 0 || sql->oom;
}

/* Bind every runs column of (t, r, prov) in dln_store_run_columns order. */
static int bind_run(dln_store *s, sqlite3_stmt *st, const dln_task *t,
                    const dln_result *r, const dln_provenance *prov)
{
    const dln_params *p = &t->params;
    run_row w = {.t = t, .r = r, .prov = prov};
    binder b = {st, 0};
    int rc = 1, np = dln_param_count();

    dln_store_iso_time(dln_store_now(), w.now);
    if (prov && prov->host[0])
        snprintf(w.host, sizeof w.host, "%s", prov->host);
    else if (gethostname(w.host, sizeof w.host) != 0)
        snprintf(w.host, sizeof w.host, "unknown");
    w.host[sizeof w.host - 1] = '\0';
    int bad = 0;
    if (r->n_sv_product > 0)
        bad |= dln_json_append_numbers(&w.product, r->sv_product,
                                       imin(r->n_sv_product, DLN_MAX_SV), 0);
    if (r->n_sv_layers > 0 && r->sv_layers)
        bad |= put_layers(&w.layers, p, r);
    if (r->n_hessian_top > 0)
        bad |= dln_json_append_numbers(&w.top, r->hessian_top,
                                       imin(r->n_hessian_top, DLN_MAX_SV), 0);
    if (r->n_balance_gaps > 0 && r->balance_gaps)
        bad |= dln_json_append_numbers(&w.gaps, r->balance_gaps,
                                       r->n_balance_gaps, 0);
    if (r->n_lyap > 0)
        bad |= dln_json_append_numbers(&w.spectrum, r->lyap, r->n_lyap, 0) ||
               dln_json_append_numbers(&w.spectrum_err, r->lyap_err,
                                       r->n_lyap, 0);
    if (r->n_floquet > 0)
        bad |= put_object(&w.floquet, dln_result_floquet_json(r));
    if (r->n_modes > 0)
        bad |= put_object(&w.modes, dln_result_modes_json(r, p));
    if (bad) {
        snprintf(s->msg, sizeof s->msg, "%s: out of memory", s->path);
        goto cleanup;
    }
    for (int i = 0; i < N_KEY; i++)
        key_columns[i].bind(&b, &w, key_columns[i].off);
    for (int i = 0; i < np; i++)
        bind_param(&b, &w, dln_param_at(i));
    for (int i = 0; i < N_OTHER; i++)
        other_columns[i].bind(&b, &w, other_columns[i].off);
    if (b.i != sqlite3_bind_parameter_count(st)) {
        snprintf(s->msg, sizeof s->msg, "%s: internal: bound %d of %d run "
                 "columns", s->path, b.i, sqlite3_bind_parameter_count(st));
        goto cleanup;
    }
    rc = 0;
cleanup:
    dln_strbuf *texts[] = {&w.product, &w.layers, &w.top, &w.gaps,
                           &w.spectrum, &w.spectrum_err, &w.floquet,
                           &w.modes};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        dln_strbuf_free(texts[i]);
    return rc;
}

/* ---- children of a run: trajectory, late orbit, Hessian spectrum ------ */

/* Rows per multi-row INSERT: one statement binding CHILD_CHUNK tuples costs
 * ~30% less per row than as many single-row statements (the per-statement
 * VDBE setup); the rest of a run's rows go one by one. */
#define CHILD_CHUNK 32

typedef struct detail_memo detail_memo;   /* below: JSON texts to reuse */

/* A child table: its INSERT head, the columns each row binds (run_id
 * first), the statement slots for the single-row and chunked forms, and
 * the binder of row i of a result. */
typedef struct child_table {
    const char *head;         /* "INSERT INTO t(run_id, ...) VALUES "     */
    int ncols;
    int slot_one, slot_chunk;
    void (*bind_row)(binder *b, detail_memo *m, const dln_result *r, int i);
} child_table;

/* The texts of the last few detail rows of one run, per column: a periodic
 * or converged late orbit repeats its rows, and %.17g costs ~250 ns a value
 * (three quarters of the writer's time per detail row), so a row equal to
 * one of the last DETAIL_MEMO reuses its text. */
#define DETAIL_MEMO 4
#define DETAIL_COLUMNS 6

typedef struct memo_slot {
    const double *v;   /* the values (in the result being written) */
    int n, len;
    char *text;
} memo_slot;

struct detail_memo {
    memo_slot slot[DETAIL_COLUMNS][DETAIL_MEMO];
    int next[DETAIL_COLUMNS];
};

static void memo_clear(detail_memo *m)
{
    for (int c = 0; c < DETAIL_COLUMNS; c++)
        for (int k = 0; k < DETAIL_MEMO; k++)
            free(m->slot[c][k].text);
    memset(m, 0, sizeof *m);
}

/* Bind column c's n values v (JSON; NULL for none) through the memo. */
static void b_json(binder *b, detail_memo *m, int c, const double *v, int n,
                   int group)
{
    ++b->i;
    if (!v || n <= 0) {
        sqlite3_bind_null(b->st, b->i);
        return;
    }
    for (int k = 0; k < DETAIL_MEMO; k++) {
        const memo_slot *e = &m->slot[c][k];
        if (e->text && e->n == n &&
            !memcmp(e->v, v, sizeof(double) * (size_t)n)) {
            sqlite3_bind_text(b->st, b->i, e->text, e->len,
                              SQLITE_TRANSIENT);
            return;
        }
    }
    dln_strbuf sb = DLN_STRBUF_INIT;
    size_t len = 0;
    dln_json_append_numbers(&sb, v, n, group);
    char *text = dln_strbuf_take(&sb, &len);
    if (!text) {
        sqlite3_bind_null(b->st, b->i);   /* out of memory: no detail */
        return;
    }
    int k = m->next[c];
    m->next[c] = (k + 1) % DETAIL_MEMO;
    free(m->slot[c][k].text);
    m->slot[c][k].v = v;
    m->slot[c][k].n = n;
    m->slot[c][k].len = (int)len;
    m->slot[c][k].text = text;
    /* copied: the slot may be reused before the statement steps */
    sqlite3_bind_text(b->st, b->i, text, len, SQLITE_TRANSIENT);
}

/* The per-step detail row (result.h) as its six JSON columns: modes, sv,
 * hessian, layer_sv, balance_gaps, mode_gaps (NULLs without a row). */
static void bind_detail(binder *b, detail_memo *m,
                        const dln_detail_layout *lay, const double *row)
{
    const int n[DETAIL_COLUMNS] = {lay->modes, lay->sv, lay->hessian,
                                   lay->layers, lay->gaps, lay->mode_gaps};
    for (int c = 0; c < DETAIL_COLUMNS; c++) {
        b_json(b, m, c, row, n[c], c == 5 ? lay->modes : 0);
        if (row)
            row += n[c];
    }
}

/* Trajectory point i's own columns (step .. n_oscillating). */
static void traj_point(binder *b, const dln_result *r, int i)
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

static void bind_traj(binder *b, detail_memo *m, const dln_result *r, int i)
{
    (void)m;
    traj_point(b, r, i);
}

static void bind_point_detail(binder *b, detail_memo *m, const dln_result *r,
                              int i)
{
    b_int(b, r->traj[i].step);
    bind_detail(b, m, &r->detail,
                r->traj_detail + (size_t)i * r->detail.stride);
}

/* Late-orbit point k's own columns (k, sv1, loss). */
static void orbit_point(binder *b, const dln_result *r, int k)
{
    b_int(b, k);
    if (r->orbit_sv1) b_real(b, r->orbit_sv1[k]); else b_null(b);
    if (r->orbit_loss) b_real(b, r->orbit_loss[k]); else b_null(b);
}

static void bind_orbit(binder *b, detail_memo *m, const dln_result *r, int k)
{
    (void)m;
    orbit_point(b, r, k);
}

static void bind_orbit_detail(binder *b, detail_memo *m, const dln_result *r,
                              int k)
{
    orbit_point(b, r, k);
    b_int(b, r->orbit_step0 + k);
    bind_detail(b, m, &r->detail,
                r->orbit_detail + (size_t)k * r->detail.stride);
}

static void bind_spectrum(binder *b, detail_memo *m, const dln_result *r,
                          int k)
{
    (void)m;
    b_int(b, k);
    b_real(b, r->hessian_spectrum[k]);
}

/* Orbit rows without the per-step detail (results of other engines, older
 * shards) leave its columns out of the INSERT (their default NULL). */
#define DETAIL_COLS "modes, sv, hessian, layer_sv, balance_gaps, mode_gaps"
static const child_table child_traj = {
    "INSERT INTO trajectories(run_id, step, loss, sharpness, sv1, sv2, "
    "balance_gap, offdiag_mass, n_oscillating) VALUES ", 9,
    DLN_ST_INSERT_TRAJ, DLN_ST_INSERT_TRAJ_CHUNK, bind_traj};
static const child_table child_point_detail = {
    "INSERT INTO point_details(run_id, step, " DETAIL_COLS ") VALUES ", 8,
    DLN_ST_INSERT_POINT_DETAIL, DLN_ST_INSERT_POINT_DETAIL_CHUNK,
    bind_point_detail};
static const child_table child_orbit = {
    "INSERT INTO orbits(run_id, k, sv1, loss) VALUES ", 4,
    DLN_ST_INSERT_ORBIT, DLN_ST_INSERT_ORBIT_CHUNK, bind_orbit};
static const child_table child_orbit_detail = {
    "INSERT INTO orbits(run_id, k, sv1, loss, step, " DETAIL_COLS
    ") VALUES ", 11,
    DLN_ST_INSERT_ORBIT_DETAIL, DLN_ST_INSERT_ORBIT_DETAIL_CHUNK,
    bind_orbit_detail};
static const child_table child_spectrum = {
    "INSERT INTO hessian_spectra(run_id, k, value) VALUES ", 3,
    DLN_ST_INSERT_SPEC, DLN_ST_INSERT_SPEC_CHUNK, bind_spectrum};

/* c's INSERT of `rows` tuples (cached in its slot; the text is built only
 * for the first prepare).  NULL with s->msg set on failure. */
static sqlite3_stmt *child_stmt(dln_store *s, const child_table *c, int rows)
{
    int slot = rows == 1 ? c->slot_one : c->slot_chunk;
    dln_strbuf sql = DLN_STRBUF_INIT;
    if (!s->st[slot]) {
        dln_strbuf_append(&sql, c->head);
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < c->ncols; k++)
                dln_strbuf_appendf(&sql, "%s?%s", k ? "," : r ? ",(" : "(",
                                   k == c->ncols - 1 ? ")" : "");
    }
    sqlite3_stmt *st = dln_store_stmt(s, slot, dln_strbuf_text(&sql));
    dln_strbuf_free(&sql);
    return st;
}

/* Insert rows 0..n-1 of c for run_id: CHILD_CHUNK at a time, then one by
 * one.  Returns 0 or 1. */
static int insert_child_rows(dln_store *s, const child_table *c,
                             sqlite3_int64 run_id, const dln_result *r, int n)
{
    static const int sizes[2] = {CHILD_CHUNK, 1};
    detail_memo memo;
    int i = 0, rc = 1;
    memset(&memo, 0, sizeof memo);
    for (int z = 0; z < 2; z++) {
        int rows = sizes[z];
        if (n - i < rows)
            continue;
        sqlite3_stmt *st = child_stmt(s, c, rows);
        if (!st)
            goto cleanup;
        for (; n - i >= rows; i += rows) {
            binder b = {st, 0};
            for (int k = 0; k < rows; k++) {
                b_int(&b, run_id);
                c->bind_row(&b, &memo, r, i + k);
            }
            if (dln_store_step_done(s, st))
                goto cleanup;
        }
    }
    rc = 0;
cleanup:
    memo_clear(&memo);
    return rc;
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
    if (r->n_traj > 0 && r->traj && r->traj_detail &&
        insert_child_rows(s, &child_point_detail, run_id, r, r->n_traj))
        return 1;
    if (r->n_orbit > 0 && (r->orbit_sv1 || r->orbit_loss) &&
        insert_child_rows(s, r->orbit_detail ? &child_orbit_detail
                                             : &child_orbit, run_id, r,
                          r->n_orbit))
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
    /* A row of t's key with other parameters is a cell-hash collision:
     * never replace it, never take it for t's result. */
    long long old_id = 0;
    dln_regime old_regime;
    int found = dln_store_lookup_run(s, t, &old_id, &old_regime);
    if (found < 0 || found == 2)
        goto done;
    if (prov && prov->sweep_id > 0 &&
        dln_store_member_add(s, prov->sweep_id, t->cell_hash, t->seed_index))
        goto done;
    if (found && !replace) {
        ok = 1;
        goto done;
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
    dln_strbuf sql = DLN_STRBUF_INIT;
    if (!s->st[DLN_ST_INSERT_RUN] && insert_run_sql(&sql)) {
        dln_strbuf_free(&sql);
        snprintf(s->msg, sizeof s->msg, "%s: internal: cannot make the runs "
                 "INSERT", s->path);
        goto done;
    }
    st = dln_store_stmt_rebind(s, DLN_ST_INSERT_RUN, dln_strbuf_text(&sql));
    dln_strbuf_free(&sql);
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
