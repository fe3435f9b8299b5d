/* store_testutil.h — what the store's unit tests share: a temporary
 * directory per test (setup/teardown), a task and a result with every
 * array filled, and plain-sqlite3 readers, so checks do not trust the
 * store's own readers.  Static functions: include once per test. */
#ifndef DLNSWEEP_STORE_TESTUTIL_H
#define DLNSWEEP_STORE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "dlnsweep/store.h"

static char dir[64];

static inline const char *tpath(const char *name)
{
    static char buf[8][256];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 256, "%s/%.180s", dir, name);
    return p;
}

static inline int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/test_store.XXXXXX");   /* per test */
    return mkdtemp(dir) ? 0 : -1;
}

static inline int teardown(void **state)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlink(tpath(e->d_name));
    if (d)
        closedir(d);
    rmdir(dir);
    return 0;
}

/* depth 2, width 3, target 10, 9.5, 9: a mode oscillates when
 * eta > 1/s_i, so eta = 0.108 has exactly 2 oscillating modes. */
static inline void make_task(dln_task *t, double eta, int seed_index)
{
    memset(t, 0, sizeof *t);
    dln_params_defaults(&t->params);
    t->params.depth = 2;
    t->params.width = 3;
    t->params.eta = eta;
    t->params.seed = 0xfffffffffffffff0ULL;   /* > INT64_MAX: stored -16 */
    t->seed_index = seed_index;
    dln_params_cell_hash(&t->params, t->cell_hash);
}

/* A result with every array filled; marker tags this run's values. */
static inline void make_result(dln_result *r, double marker, int ntraj,
                               int norbit, int nspec)
{
    dln_result_init(r);
    r->regime = DLN_REGIME_PERIODIC;
    r->period = 2;
    r->steps_done = 5000;
    r->final_loss = marker;
    r->sharpness = 20.0;
    r->lyapunov = -INFINITY;
    r->balance_gap = 1e-9;
    r->offdiag_mass = 0.0;
    r->n_oscillating = 2;
    r->n_sv_product = 3;
    r->sv_product[0] = 10.5;
    r->sv_product[1] = 9.25;
    r->sv_product[2] = NAN;
    r->n_hessian_top = 2;
    r->hessian_top[0] = 20.0;
    r->hessian_top[1] = 0.125;
    r->n_sv_layers = 2;
    r->sv_layers = calloc(2 * DLN_MAX_SV, sizeof(double));
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < 3; i++)
            r->sv_layers[l * DLN_MAX_SV + i] = 3 * l + i + 1;
    r->n_traj = ntraj;
    r->traj = calloc((size_t)ntraj, sizeof *r->traj);
    for (int i = 0; i < ntraj; i++) {
        r->traj[i].step = 10L * i;
        r->traj[i].loss = marker;
        r->traj[i].sharpness = i % 2 ? NAN : 1.5 * i;
        r->traj[i].sv1 = 9.0 + i;
        r->traj[i].sv2 = 8.0;
        r->traj[i].balance_gap = 0.0;
        r->traj[i].offdiag_mass = 0.25;
        r->traj[i].n_oscillating = i;
    }
    r->n_orbit = norbit;
    r->orbit_sv1 = calloc((size_t)norbit, sizeof(double));
    r->orbit_loss = calloc((size_t)norbit, sizeof(double));
    for (int k = 0; k < norbit; k++) {
        r->orbit_sv1[k] = k % 2 ? 10.5 : 9.5;
        r->orbit_loss[k] = marker;
    }
    r->n_hessian_spectrum = nspec;
    r->hessian_spectrum = calloc((size_t)nspec, sizeof(double));
    for (int k = 0; k < nspec; k++)
        r->hessian_spectrum[k] = k == 0 ? NAN : (double)k;
    r->n_hessian_above_eos = 1;
    r->wall_s = 0.5;
}

static inline dln_store *open_rw(const char *path)
{
    dln_store *s = NULL;
    char err[512];
    int rc = dln_store_create(path, 0, &s, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    return s;
}

static inline sqlite3 *sq(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    return db;
}

/* First column of the first row of sql, formatted as text ("NULL"). */
static inline const char *sq_text(sqlite3 *db, const char *sql)
{
    static char buf[4][1024];
    static int k;
    char *out = buf[k++ % 4];
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    assert_int_equal(rc, SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    if (sqlite3_column_type(st, 0) == SQLITE_NULL)
        snprintf(out, 1024, "NULL");
    else
        snprintf(out, 1024, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static inline double sq_double(sqlite3 *db, const char *sql)
{
    return strtod(sq_text(db, sql), NULL);
}

static inline long long sq_int(sqlite3 *db, const char *sql)
{
    return strtoll(sq_text(db, sql), NULL, 10);
}

#endif
