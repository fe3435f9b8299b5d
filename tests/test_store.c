/* test_store.c — the results database: round trip of a full result,
 * NaN -> NULL, unique/replace, batches, counts, lease, snapshot, merge, and
 * refusal to touch files that are not dlnsweep databases.  Reads back with
 * plain sqlite3 so the checks do not trust the store's own readers. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include "dlnsweep/paramdefs.h"
#include "dlnsweep/store.h"
#include "dlnsweep/theory.h"
#include "store_testutil.h"

static void put(dln_store *s, double eta, int seed_index, double marker,
                int replace)
{
    dln_task t;
    dln_result r;
    make_task(&t, eta, seed_index);
    make_result(&r, marker, 5, 4, 6);
    assert_int_equal(dln_store_put_run(s, &t, &r, NULL, replace), 0);
    dln_result_clear(&r);
}

static void test_roundtrip(void **state)
{
    const char *path = tpath("roundtrip.db");
    dln_store *s = open_rw(path);
    dln_task t;
    dln_result r;
    dln_provenance prov = {.mpi_rank = 3, .attempt = 2};
    snprintf(prov.git_hash, sizeof prov.git_hash, "abc123");
    snprintf(prov.host, sizeof prov.host, "node7");
    make_task(&t, 0.108, 1);
    make_result(&r, 0.75, 5, 4, 6);
    dln_result_derive(&r, &t.params);   /* what the engine does */
    assert_int_equal(dln_store_is_done(s, t.cell_hash, 1), 0);
    assert_int_equal(dln_store_put_run(s, &t, &r, &prov, 0), 0);
    assert_int_equal(dln_store_is_done(s, t.cell_hash, 1), 1);
    assert_int_equal(dln_store_is_done(s, t.cell_hash, 0), 0);
    dln_store_destroy(&s);
    assert_null(s);

    sqlite3 *db = sq(path);
    assert_string_equal(sq_text(db, "PRAGMA journal_mode"), "wal");
    assert_int_equal(sq_int(db, "PRAGMA user_version"),
                     DLN_STORE_SCHEMA_VERSION);
    assert_int_equal(sq_int(db, "PRAGMA application_id"), DLN_STORE_APP_ID);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM runs"), 1);
#define COL(c) sq_text(db, "SELECT " c " FROM runs")
    assert_string_equal(COL("cell_hash"), t.cell_hash);
    assert_string_equal(COL("sweep_id"), "NULL");
    assert_string_equal(COL("seed_index"), "1");
    assert_true(sq_double(db, "SELECT eta FROM runs") == 0.108);
    assert_string_equal(COL("depth || ',' || width || ',' || d_in || ',' || "
                            "d_out || ',' || rank"), "2,3,3,3,3");
    assert_string_equal(COL("spectrum"), "10,9.5,9");
    assert_string_equal(COL("s1 || ',' || s2"), "10.0,9.5");
    assert_string_equal(COL("init"), "identity");
    assert_string_equal(COL("seed"), "-16");
    assert_int_equal((uint64_t)sq_int(db, "SELECT seed FROM runs"),
                     t.params.seed);
    assert_string_equal(COL("regime"), "periodic");
    assert_string_equal(COL("period"), "2");
    assert_true(sq_double(db, "SELECT final_loss FROM runs") == 0.75);
    /* eos_ratio = sharpness / (2/eta) = 20 * 0.108 / 2 */
    assert_true(fabs(sq_double(db, "SELECT eos_ratio FROM runs") - 1.08) <
                1e-15);
    assert_string_equal(COL("lyapunov"), "NULL");       /* -Inf */
    assert_string_equal(COL("diverge_step"), "NULL");   /* -1   */
    assert_string_equal(COL("error"), "NULL");
    /* theory: eta = 0.108 exceeds 1/10 and 1/9.5 but not 1/9 */
    assert_string_equal(COL("n_oscillating_theory"), "2");
    assert_int_equal(dln_theory_oscillating_modes(&t.params), 2);
    assert_string_equal(COL("sv_product"), "[10.5,9.25,null]");
    assert_string_equal(COL("sv_layers"), "[[1,2,3],[4,5,6]]");
    assert_string_equal(COL("hessian_top"), "[20,0.125]");
    assert_string_equal(COL("json_extract(sv_layers, '$[1][2]')"), "6");
    assert_string_equal(COL("n_hessian_above_eos"), "1");
    assert_string_equal(COL("git_hash || ' ' || host || ' ' || mpi_rank || "
                            "' ' || attempt"), "abc123 node7 3 2");
    assert_true(sq_double(db, "SELECT wall_s FROM runs") == 0.5);
    /* created_at is ISO UTC within a minute of now */
    double age = sq_double(db, "SELECT (julianday('now') - "
                               "julianday(created_at)) * 86400 FROM runs");
    assert_true(age > -1.0 && age < 60.0);
    /* children */
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories"), 5);
    assert_string_equal(sq_text(db, "SELECT group_concat(coalesce(sharpness,"
                                    "'N'), ' ') FROM (SELECT sharpness FROM "
                                    "trajectories ORDER BY step)"),
                        "0.0 N 3.0 N 6.0");
    assert_string_equal(sq_text(db, "SELECT sum(step) || ',' || "
                                    "sum(n_oscillating) FROM trajectories"),
                        "100,10");
    assert_int_equal(sq_int(db, "SELECT count(*) FROM orbits"), 4);
    assert_string_equal(sq_text(db, "SELECT group_concat(sv1, ' ') FROM "
                                    "(SELECT sv1 FROM orbits ORDER BY k)"),
                        "9.5 10.5 9.5 10.5");
    assert_int_equal(sq_int(db, "SELECT count(*) FROM hessian_spectra"), 6);
    assert_string_equal(sq_text(db, "SELECT value FROM hessian_spectra "
                                    "WHERE k = 0"), "NULL");
    assert_true(sq_double(db, "SELECT sum(value) FROM hessian_spectra") ==
                15.0);
    /* the embedded views exist and compile against this schema */
    assert_true(sq_int(db, "SELECT count(*) FROM sqlite_master WHERE type = "
                           "'view'") >= 1);
#undef COL
    sqlite3_close(db);
    dln_result_clear(&r);
}

/* Children in multi-row INSERTs (32 per statement, then one by one): every
 * row arrives with its own values, for counts around the chunk size. */
static void test_many_children(void **state)
{
    const char *path = tpath("many.db");
    dln_store *s = open_rw(path);
    const int counts[] = {31, 32, 33, 70};
    for (int c = 0; c < 4; c++) {
        dln_task t;
        dln_result r;
        int n = counts[c];
        make_task(&t, 0.2 + c / 100.0, 0);
        make_result(&r, 2.0 + c, n, n + 1, n + 2);
        assert_int_equal(dln_store_put_run(s, &t, &r, NULL, 0), 0);
        dln_result_clear(&r);
    }
    dln_store_destroy(&s);
    sqlite3 *db = sq(path);
    char sql[512];
    for (int c = 0; c < 4; c++) {
        long long n = counts[c];
        const char *run = "(SELECT id FROM runs WHERE final_loss = %d)";
        char rid[128];
        snprintf(rid, sizeof rid, run, 2 + c);
        /* make_result: step 10 i, sv1 9 + i, n_oscillating i, sharpness
         * 1.5 i at even i (NULL at odd), loss = marker. */
        snprintf(sql, sizeof sql, "SELECT count(*) || ' ' || sum(step) || "
                 "' ' || sum(sv1) || ' ' || sum(n_oscillating) || ' ' || "
                 "count(sharpness) || ' ' || sum(sharpness) || ' ' || "
                 "min(loss) || ' ' || max(loss) FROM trajectories WHERE "
                 "run_id = %s", rid);
        char want[256];
        double sharp = 0;
        for (long long i = 0; i < n; i += 2)
            sharp += 1.5 * (double)i;
        snprintf(want, sizeof want, "%lld %lld %.1f %lld %lld %.1f %.1f %.1f",
                 n, 10 * n * (n - 1) / 2, 9.0 * n + n * (n - 1) / 2.0,
                 n * (n - 1) / 2, (n + 1) / 2, sharp, 2.0 + c, 2.0 + c);
        assert_string_equal(sq_text(db, sql), want);
        snprintf(sql, sizeof sql, "SELECT count(*) || ' ' || sum(k) || ' ' "
                 "|| sum(sv1) FROM orbits WHERE run_id = %s", rid);
        long long no = n + 1, odd = no / 2;
        snprintf(want, sizeof want, "%lld %lld %.1f", no, no * (no - 1) / 2,
                 10.5 * odd + 9.5 * (no - odd));
        assert_string_equal(sq_text(db, sql), want);
        snprintf(sql, sizeof sql, "SELECT count(*) || ' ' || count(value) "
                 "|| ' ' || sum(value) FROM hessian_spectra WHERE run_id = "
                 "%s", rid);
        long long ns = n + 2;
        snprintf(want, sizeof want, "%lld %lld %.1f", ns, ns - 1,
                 (double)(ns * (ns - 1) / 2));
        assert_string_equal(sq_text(db, sql), want);
    }
    sqlite3_close(db);
}

static void test_error_and_divergent(void **state)
{
    const char *path = tpath("err.db");
    dln_store *s = open_rw(path);
    dln_task t;
    dln_result r;
    make_task(&t, 0.3, 0);
    dln_result_init(&r);
    r.regime = DLN_REGIME_DIVERGENT;
    r.diverge_step = 17;
    r.final_loss = INFINITY;
    r.sharpness = NAN;
    assert_int_equal(dln_store_put_run(s, &t, &r, NULL, 0), 0);
    make_task(&t, 0.31, 0);
    dln_result_init(&r);
    r.regime = DLN_REGIME_ERROR;
    snprintf(r.error, sizeof r.error, "width: too large");
    assert_int_equal(dln_store_put_run(s, &t, &r, NULL, 0), 0);
    dln_store_destroy(&s);
    sqlite3 *db = sq(path);
    assert_string_equal(sq_text(db, "SELECT diverge_step || ' ' || "
                                    "coalesce(final_loss, 'N') || ' ' || "
                                    "coalesce(eos_ratio, 'N') || ' ' || "
                                    "coalesce(sv_product, 'N') FROM runs "
                                    "WHERE regime = 'divergent'"),
                        "17 N N N");
    assert_string_equal(sq_text(db, "SELECT error FROM runs WHERE regime = "
                                    "'error'"), "width: too large");
    sqlite3_close(db);
}

static void test_unique_replace(void **state)
{
    const char *path = tpath("unique.db");
    dln_store *s = open_rw(path);
    dln_task t;
    dln_result r;
    put(s, 0.1, 0, 1.0, 0);
    /* replace = 0 keeps the old row and its children */
    make_task(&t, 0.1, 0);
    make_result(&r, 2.0, 7, 3, 0);
    assert_int_equal(dln_store_put_run(s, &t, &r, NULL, 0), 0);
    sqlite3 *db = sq(path);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM runs"), 1);
    assert_true(sq_double(db, "SELECT final_loss FROM runs") == 1.0);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories"), 5);
    /* replace = 1 swaps the row and all its children */
    assert_int_equal(dln_store_put_run(s, &t, &r, NULL, 1), 0);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM runs"), 1);
    assert_true(sq_double(db, "SELECT final_loss FROM runs") == 2.0);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories"), 7);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM orbits"), 3);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM hessian_spectra"), 0);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories WHERE "
                                "loss != 2.0"), 0);
    /* another seed of the same cell is a new row */
    put(s, 0.1, 1, 3.0, 0);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM runs"), 2);
    sqlite3_close(db);
    dln_result_clear(&r);
    dln_store_destroy(&s);
}

static void test_batch_and_readonly(void **state)
{
    const char *path = tpath("batch.db");
    dln_store *w = open_rw(path), *ro = NULL;
    dln_store_counts c;
    char err[512];
    put(w, 0.05, 0, 1.0, 0);
    assert_int_equal(dln_store_create(path, DLN_STORE_READONLY, &ro, err,
                                      sizeof err), 0);
    assert_int_equal(dln_store_begin(w), 0);
    assert_int_equal(dln_store_begin(w), 0);     /* no-op while open */
    for (int i = 1; i <= 3; i++)
        put(w, 0.05 + 0.01 * i, 0, 1.0, 0);
    /* the reader works during the open batch and sees committed rows */
    assert_int_equal(dln_store_counts_get(ro, 0, &c), 0);
    assert_int_equal(c.done, 1);
    assert_int_equal(dln_store_is_done(ro, "nope", 0), 0);
    assert_int_equal(dln_store_commit(w), 0);
    assert_int_equal(dln_store_commit(w), 0);    /* no-op */
    assert_int_equal(dln_store_counts_get(ro, 0, &c), 0);
    assert_int_equal(c.done, 4);
    /* a read-only handle cannot write */
    dln_task t;
    dln_result r;
    make_task(&t, 0.5, 0);
    dln_result_init(&r);
    assert_int_equal(dln_store_put_run(ro, &t, &r, NULL, 0), 1);
    dln_store_destroy(&ro);
    /* destroy commits an open batch */
    assert_int_equal(dln_store_begin(w), 0);
    put(w, 0.9, 0, 1.0, 0);
    dln_store_destroy(&w);
    sqlite3 *db = sq(path);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM runs"), 5);
    sqlite3_close(db);
    /* read-only open of a closed WAL database works too */
    assert_int_equal(dln_store_create(path, DLN_STORE_READONLY, &ro, err,
                                      sizeof err), 0);
    assert_int_equal(dln_store_counts_get(ro, 0, &c), 0);
    assert_int_equal(c.done, 5);
    dln_store_destroy(&ro);
}

static void test_sweeps_and_counts(void **state)
{
    const char *path = tpath("counts.db");
    dln_store *s = open_rw(path);
    char err[512];
    long id = 0, id2 = 0;
    assert_int_equal(dln_store_register_sweep(s, "smoke", "spec: 1", 0x1234,
                                              10, 0, &id, err, sizeof err), 0);
    assert_true(id > 0);
    assert_int_equal(dln_store_register_sweep(s, "smoke", "spec: 1", 0x1234,
                                              10, 0, &id2, err, sizeof err), 0);
    assert_int_equal(id2, id);
    assert_int_equal(dln_store_register_sweep(s, "smoke", "spec: 2", 0x9999,
                                              12, 0, &id2, err, sizeof err), 2);
    assert_non_null(strstr(err, "smoke"));
    assert_non_null(strstr(err, "0000000000001234"));
    assert_int_equal(dln_store_register_sweep(s, "smoke", "spec: 2", 0x9999,
                                              12, 1, &id2, err, sizeof err), 0);
    assert_int_equal(id2, id);

    dln_provenance prov = {.sweep_id = id};
    dln_regime regs[] = {DLN_REGIME_CONVERGED, DLN_REGIME_CONVERGED,
                         DLN_REGIME_CHAOTIC, DLN_REGIME_DIVERGENT};
    for (int i = 0; i < 4; i++) {
        dln_task t;
        dln_result r;
        make_task(&t, 0.01 * (i + 1), 0);
        dln_result_init(&r);
        r.regime = regs[i];
        r.wall_s = 0.25 * (i + 1);
        assert_int_equal(dln_store_put_run(s, &t, &r, &prov, 0), 0);
    }
    put(s, 0.77, 0, 1.0, 0);   /* a `single` run: no sweep */
    dln_store_counts c;
    assert_int_equal(dln_store_counts_get(s, id, &c), 0);
    assert_int_equal(c.total, 12);
    assert_int_equal(c.done, 4);
    assert_int_equal(c.per_regime[DLN_REGIME_CONVERGED], 2);
    assert_int_equal(c.per_regime[DLN_REGIME_CHAOTIC], 1);
    assert_int_equal(c.per_regime[DLN_REGIME_DIVERGENT], 1);
    assert_int_equal(c.per_regime[DLN_REGIME_PERIODIC], 0);
    assert_true(fabs(c.wall_s_sum - 2.5) < 1e-12);
    assert_int_equal(c.recent_n, 4);
    double now = (double)time(NULL);
    assert_true(fabs(c.last_at - now) < 60.0 && c.first_at <= c.last_at);
    assert_int_equal(dln_store_counts_get(s, -1, &c), 0);
    assert_int_equal(c.done, 1);
    assert_int_equal(c.per_regime[DLN_REGIME_PERIODIC], 1);
    assert_int_equal(dln_store_counts_get(s, 0, &c), 0);
    assert_int_equal(c.done, 5);

    dln_store_sweep_info *list = NULL;
    int n = 0;
    assert_int_equal(dln_store_sweeps_list(s, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].name, "smoke");
    assert_string_equal(list[0].spec_hash, "0000000000009999");
    assert_int_equal(list[0].ntasks, 12);
    free(list);
    dln_store_destroy(&s);

    /* rate over the window and the status line, from known numbers */
    dln_store_counts k = {.total = 40, .done = 24, .wall_s_sum = 12.0,
                          .recent_n = 11, .recent_first_at = 100.0,
                          .last_at = 105.0};
    k.per_regime[DLN_REGIME_CONVERGED] = 10;
    k.per_regime[DLN_REGIME_PERIODIC] = 14;
    assert_true(dln_store_counts_rate(&k) == 2.0);
    char line[256];
    dln_store_counts_format(&k, "sweep smoke", line, sizeof line);
    assert_string_equal(line, "sweep smoke: 24/40 done (60.0%), 2 runs/s, "
                              "ETA 8s, 0.5 s/run | converged 10, "
                              "periodic 14");
    k.recent_n = 1;
    assert_true(dln_store_counts_rate(&k) == 0.0);
    k.done = 40;
    dln_store_counts_format(&k, "x", line, 20);   /* truncates safely */
    assert_int_equal(strlen(line), 19);
}

static void test_lease(void **state)
{
    const char *path = tpath("lease.db");
    dln_store *a = open_rw(path), *b = open_rw(path);
    dln_store_lease_info info;
    char err[512];
    assert_int_equal(dln_store_lease_get(a, &info), 0);
    assert_int_equal(info.held, 0);
    assert_int_equal(dln_store_lease_acquire(a, "slurm:7@n1:1", 60.0, err,
                                             sizeof err), 0);
    assert_int_equal(dln_store_lease_acquire(a, "slurm:7@n1:1", 60.0, err,
                                             sizeof err), 0);   /* own */
    assert_int_equal(dln_store_lease_acquire(b, "other", 60.0, err,
                                             sizeof err), 2);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "being written by slurm:7@n1:1"));
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    assert_non_null(strstr(err, pid));
    assert_non_null(strstr(err, "last heartbeat 0s ago"));
    assert_int_equal(dln_store_lease_heartbeat(a, "slurm:7@n1:1"), 0);
    assert_int_equal(dln_store_lease_heartbeat(b, "other"), 2);
    assert_int_equal(dln_store_lease_get(b, &info), 0);
    assert_int_equal(info.held, 1);
    assert_string_equal(info.owner, "slurm:7@n1:1");
    assert_int_equal(info.pid, (long)getpid());
    assert_true(info.heartbeat >= info.acquired_at);
    /* a stale lease is taken over */
    struct timespec ts = {0, 60 * 1000 * 1000};
    nanosleep(&ts, NULL);
    assert_int_equal(dln_store_lease_acquire(b, "other", 0.05, err,
                                             sizeof err), 0);
    assert_int_equal(dln_store_lease_heartbeat(a, "slurm:7@n1:1"), 2);
    assert_int_equal(dln_store_lease_release(a, "slurm:7@n1:1"), 0);
    assert_int_equal(dln_store_lease_get(a, &info), 0);
    assert_string_equal(info.owner, "other");   /* a's release was a no-op */
    assert_int_equal(dln_store_lease_release(b, "other"), 0);
    assert_int_equal(dln_store_lease_get(a, &info), 0);
    assert_int_equal(info.held, 0);
    assert_int_equal(dln_store_lease_acquire(a, "again", 60.0, err,
                                             sizeof err), 0);
    dln_store_destroy(&a);
    dln_store_destroy(&b);
}

/* Whole file into a malloc'ed buffer; *n its size. */
static unsigned char *slurp(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)*n + 1);
    assert_int_equal(fread(b, 1, (size_t)*n, f), (size_t)*n);
    fclose(f);
    return b;
}

static void spit(const char *path, const void *data, long n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
}

static void test_snapshot(void **state)
{
    const char *path = tpath("live.db"), *snap = tpath("snap.db");
    const char *text = tpath("notes.txt");
    dln_store *w = open_rw(path), *w2 = NULL, *ro = NULL;
    char err[512];
    for (int i = 0; i < 20; i++)
        put(w, 0.01 * (i + 1), 0, 1.0, 0);
    dln_store_destroy(&w);
    /* a writer holds an open batch with rows not yet committed */
    w2 = open_rw(path);
    assert_int_equal(dln_store_lease_acquire(w2, "w2", 60.0, err,
                                             sizeof err), 0);
    assert_int_equal(dln_store_begin(w2), 0);
    put(w2, 0.99, 0, 1.0, 0);
    assert_int_equal(dln_store_create(path, DLN_STORE_READONLY, &ro, err,
                                      sizeof err), 0);
    assert_int_equal(dln_store_snapshot(ro, snap, err, sizeof err), 0);
    sqlite3 *db = sq(snap);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM runs"), 20);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories"), 100);
    assert_string_equal(sq_text(db, "PRAGMA journal_mode"), "delete");
    assert_string_equal(sq_text(db, "PRAGMA integrity_check"), "ok");
    assert_int_equal(sq_int(db, "SELECT count(*) FROM lease"), 0);
    sqlite3_close(db);
    assert_int_equal(dln_store_commit(w2), 0);
    /* the writer snapshots itself over the old snapshot (replace) */
    assert_int_equal(dln_store_snapshot(w2, snap, err, sizeof err), 0);
    dln_store_destroy(&w2);
    dln_store_destroy(&ro);
    assert_int_equal(dln_store_create(snap, DLN_STORE_READONLY, &ro, err,
                                      sizeof err), 0);
    dln_store_counts c;
    assert_int_equal(dln_store_counts_get(ro, 0, &c), 0);
    assert_int_equal(c.done, 21);
    /* never over a file that is not a dlnsweep database */
    spit(text, "my notes\n", 9);
    assert_int_equal(dln_store_snapshot(ro, text, err, sizeof err), 2);
    assert_non_null(strstr(err, text));
    long n;
    unsigned char *b = slurp(text, &n);
    assert_int_equal(n, 9);
    assert_memory_equal(b, "my notes\n", 9);
    free(b);
    dln_store_destroy(&ro);
}

/* A shard DB: sweep "grid" (hash h) with runs at the given etas, each run's
 * trajectory/orbit tagged by marker = 100 * eta. */
static void make_shard(const char *path, uint64_t h, const double *etas,
                       int n)
{
    dln_store *s = open_rw(path);
    char err[512];
    long id;
    assert_int_equal(dln_store_register_sweep(s, "grid", "spec", h, 3, 0,
                                              &id, err, sizeof err), 0);
    dln_provenance prov = {.sweep_id = id};
    assert_int_equal(dln_store_begin(s), 0);
    for (int i = 0; i < n; i++) {
        dln_task t;
        dln_result r;
        make_task(&t, etas[i], 0);
        make_result(&r, 100.0 * etas[i], 3 + i, 2, 1);
        assert_int_equal(dln_store_put_run(s, &t, &r, &prov, 0), 0);
        dln_result_clear(&r);
    }
    assert_int_equal(dln_store_commit(s), 0);
    dln_store_destroy(&s);
}

static void test_merge(void **state)
{
    const char *a = tpath("shard_a.db"), *b = tpath("shard_b.db");
    const char *c = tpath("shard_c.db"), *out = tpath("merged.db");
    double ea[] = {0.01, 0.02}, eb[] = {0.02, 0.03, 0.04};
    char err[512];
    long copied, skipped;
    make_shard(a, 0xabc, ea, 2);
    make_shard(b, 0xabc, eb, 3);
    make_shard(c, 0xdef, ea, 1);
    dln_store *s = open_rw(out);
    put(s, 0.5, 0, 50.0, 0);   /* a pre-existing run: ids must be remapped */
    assert_int_equal(dln_store_merge(s, a, &copied, &skipped, err,
                                     sizeof err), 0);
    assert_int_equal(copied, 2);
    assert_int_equal(skipped, 0);
    assert_int_equal(dln_store_merge(s, b, &copied, &skipped, err,
                                     sizeof err), 0);
    assert_int_equal(copied, 2);
    assert_int_equal(skipped, 1);
    assert_int_equal(dln_store_merge(s, a, &copied, &skipped, err,
                                     sizeof err), 0);   /* idempotent */
    assert_int_equal(copied, 0);
    assert_int_equal(skipped, 2);
    /* same sweep name, different spec: refused, nothing copied */
    assert_int_equal(dln_store_merge(s, c, &copied, &skipped, err,
                                     sizeof err), 2);
    assert_non_null(strstr(err, "grid"));
    assert_int_equal(dln_store_merge(s, tpath("missing.db"), NULL, NULL, err,
                                     sizeof err), 2);
    dln_store_destroy(&s);

    sqlite3 *db = sq(out);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM runs"), 5);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM sweeps"), 1);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM runs WHERE sweep_id = "
                                "(SELECT id FROM sweeps WHERE name = "
                                "'grid')"), 4);
    /* every child row belongs to its own run: loss == 100 * eta */
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories t JOIN "
                                "runs r ON r.id = t.run_id WHERE "
                                "abs(t.loss - 100 * r.eta) > 1e-9"), 0);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM orbits o JOIN runs r "
                                "ON r.id = o.run_id WHERE abs(o.loss - 100 * "
                                "r.eta) > 1e-9"), 0);
    /* trajectory lengths: 0.01 -> 3, 0.02 -> 4 (from a), 0.03 -> 4,
     * 0.04 -> 5 (from b), plus 5 for the pre-existing run */
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories"),
                     3 + 4 + 4 + 5 + 5);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM hessian_spectra"),
                     4 + 6);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM "
                                "pragma_foreign_key_check"), 0);
    sqlite3_close(db);
}

/* Declared type of column col of runs in db ("" if there is none). */
static const char *column_type(sqlite3 *db, const char *col)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT coalesce((SELECT type FROM "
             "pragma_table_info('runs') WHERE name = '%s'), '')", col);
    return sq_text(db, sql);
}

/* The runs table has one column per parameter of the parameter table, of
 * its type, and a run stores every parameter there (0-means-width
 * resolved, init and spectrum as text). */
static void test_runs_has_every_parameter(void **state)
{
    const char *path = tpath("params.db");
    dln_store *s = open_rw(path);
    dln_task t;
    dln_result r;
    make_task(&t, 0.108, 0);
    t.params.d_out = 5;
    t.params.init = DLN_INIT_GAUSSIAN;
    t.params.rotate = 1;
    t.params.full_spectrum = 1;
    t.params.transient_window = 77;
    t.params.period_tol = 1e-9;
    dln_params_cell_hash(&t.params, t.cell_hash);
    make_result(&r, 0.75, 1, 1, 1);
    assert_int_equal(dln_store_put_run(s, &t, &r, NULL, 0), 0);
    dln_result_clear(&r);
    dln_store_destroy(&s);
    sqlite3 *db = sq(path);
    for (int i = 0; i < dln_param_count(); i++) {
        const dln_param_def *d = dln_param_at(i);
        const char *want = d->type == DLN_PT_REAL ? "REAL"
                           : !dln_param_is_scalar(d) ||
                                     d->type == DLN_PT_INIT
                               ? "TEXT" : "INTEGER";
        const char *type = column_type(db, d->name);
        if (strcmp(type, want))
            fail_msg("runs.%s: type '%s', expected %s (add the column to "
                     "store_schema.c with a migration step)", d->name, type,
                     want);
        char sql[256], exact[1024];
        snprintf(sql, sizeof sql, "SELECT %s FROM runs", d->name);
        dln_param_format(&t.params, d, DLN_TEXT_EXACT, exact, sizeof exact);
        if (d->type == DLN_PT_REAL)
            assert_true(sq_double(db, sql) == dln_param_get(&t.params, d));
        else
            assert_string_equal(sq_text(db, sql), exact);
    }
    assert_string_equal(sq_text(db, "SELECT d_in || ' ' || d_out || ' ' || "
                                    "init || ' ' || transient_window FROM "
                                    "runs"), "3 5 gaussian 77");
    sqlite3_close(db);
}

/* A version-2 file (no runs.transient_window) reads as is and gains the
 * column, NULL in its old rows, on the next writable open. */
static void test_migration_adds_transient_window(void **state)
{
    const char *path = tpath("v2.db");
    dln_store *s = open_rw(path);
    put(s, 0.1, 0, 1.0, 0);
    dln_store_destroy(&s);
    sqlite3 *db = sq(path);
    assert_int_equal(sqlite3_exec(db, "ALTER TABLE runs DROP COLUMN "
                                  "transient_window; PRAGMA user_version = 2",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[512];
    assert_int_equal(dln_store_create(path, DLN_STORE_READONLY, &s, err,
                                      sizeof err), 0);
    dln_store_destroy(&s);
    db = sq(path);   /* a reader leaves it as it is */
    assert_int_equal(sq_int(db, "PRAGMA user_version"), 2);
    sqlite3_close(db);
    s = open_rw(path);
    put(s, 0.2, 0, 2.0, 0);
    dln_store_destroy(&s);
    db = sq(path);
    assert_int_equal(sq_int(db, "PRAGMA user_version"),
                     DLN_STORE_SCHEMA_VERSION);
    assert_string_equal(sq_text(db, "SELECT group_concat(coalesce("
                                    "transient_window, 'N'), ' ') FROM (SELECT "
                                    "transient_window FROM runs ORDER BY "
                                    "eta)"), "N -1");
    sqlite3_close(db);
}

/* A schema-version-3 file (tests/store_v3.sql: the old regime CHECK, two
 * runs with children, a view naming runs) is rebuilt in place on the next
 * writable open: same ids and children, the new columns NULL, the new
 * regimes accepted, unknown ones still refused, foreign keys and indexes
 * working. */
static void test_migration_from_v3(void **state)
{
    const char *path = tpath("v3.db");
    long n;
    char *fixture = (char *)slurp(DLN_TEST_SOURCE_DIR "/store_v3.sql", &n);
    sqlite3 *db = NULL;
    unlink(path);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    fixture = realloc(fixture, (size_t)n + 1);
    fixture[n] = '\0';
    assert_int_equal(sqlite3_exec(db, fixture, NULL, NULL, NULL), SQLITE_OK);
    free(fixture);
    sqlite3_close(db);
    dln_store *s = open_rw(path);
    dln_task t;
    dln_result r;
    make_task(&t, 0.04, 0);
    make_result(&r, 50.0, 2, 0, 0);
    r.regime = DLN_REGIME_SADDLE;
    r.period = 0;
    r.n_collapsed = 1;
    r.reason = DLN_REASON_SETTLED;
    assert_int_equal(dln_store_put_run(s, &t, &r, NULL, 0), 0);
    dln_result_clear(&r);
    dln_store_destroy(&s);
    db = sq(path);
    assert_int_equal(sq_int(db, "PRAGMA user_version"),
                     DLN_STORE_SCHEMA_VERSION);
    assert_string_equal(sq_text(db, "SELECT group_concat(id || ':' || regime "
                                    "|| ':' || coalesce(reason, 'N') || ':' "
                                    "|| coalesce(n_collapsed, 'N'), ' ') FROM "
                                    "(SELECT * FROM runs ORDER BY id)"),
                        "7:converged:N:N 9:chaotic:N:N 10:saddle:period "
                        "after the continuation:1");
    assert_string_equal(sq_text(db, "SELECT group_concat(run_id || '/' || "
                                    "step, ' ') FROM (SELECT * FROM "
                                    "trajectories WHERE run_id < 10 ORDER BY "
                                    "run_id, step)"), "7/0 7/10 9/0");
    assert_int_equal(sq_int(db, "SELECT count(*) FROM orbits WHERE run_id = "
                                "9"), 1);
    assert_string_equal(sq_text(db, "SELECT lyapunov || ' ' || coalesce("
                                    "lyapunov_err, 'N') || ' ' || coalesce("
                                    "floquet, 'N') FROM runs WHERE id = 9"),
                        "0.125 N N");
    assert_int_equal(sq_int(db, "SELECT count(*) FROM sqlite_master WHERE "
                                "name IN ('runs_sweep', 'runs_eta', "
                                "'runs_regime', 'sweep_summary')"), 4);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM sqlite_master WHERE "
                                "name IN ('old_view', 'new_runs')"), 0);
    assert_int_equal(sq_int(db, "SELECT saddle FROM sweep_summary WHERE "
                                "sweep_id IS NULL"), 1);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM pragma_foreign_key_check"),
                     0);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE runs SET regime = 'bogus' "
                                      "WHERE id = 7", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM "
                                  "runs WHERE id = 7", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories WHERE "
                                "run_id = 7"), 0);
    sqlite3_close(db);
    s = open_rw(path);   /* a second open finds nothing to migrate */
    dln_store_destroy(&s);
}

/* r's per-step detail for depth 3, rank 2: modes, 2 singular values, 2
 * Hessian eigenvalues (one not converged), 3 layers, 2 gaps, 2 x 2 mode
 * gaps; every late-orbit point and (record_detail) trajectory point. */
static void add_detail(dln_result *r)
{
    dln_params p;
    dln_params_defaults(&p);
    p.rank = 2;
    p.top_k = 2;
    p.orbit_hessian = 1;
    dln_detail_layout_of(&p, &r->detail);
    assert_int_equal(r->detail.stride, 2 + 2 + 2 + 3 + 2 + 4);
    int w = r->detail.stride;
    r->orbit_detail = malloc(sizeof(double) * (size_t)(r->n_orbit * w));
    r->traj_detail = malloc(sizeof(double) * (size_t)(r->n_traj * w));
    for (int k = 0; k < r->n_orbit * w; k++)
        r->orbit_detail[k] = k % w == 5 ? NAN : 0.5 * k;
    for (int k = 0; k < r->n_traj * w; k++)
        r->traj_detail[k] = -0.25 * k;
    r->orbit_step0 = 4997;
}

/* The detail lands in the JSON columns of orbits and trajectories, in
 * order, NaN as null; the views expand it. */
static void test_detail_columns(void **state)
{
    const char *path = tpath("detail.db");
    dln_store *s = open_rw(path);
    dln_task t;
    dln_result r;
    make_task(&t, 0.1, 0);
    make_result(&r, 1.0, 2, 3, 0);
    add_detail(&r);
    assert_int_equal(dln_store_put_run(s, &t, &r, NULL, 0), 0);
    dln_result_clear(&r);
    dln_store_destroy(&s);
    sqlite3 *db = sq(path);
    assert_string_equal(sq_text(db, "SELECT step || ' ' || modes || ' ' || sv "
                                    "|| ' ' || hessian || ' ' || layer_sv || "
                                    "' ' || balance_gaps || ' ' || mode_gaps "
                                    "FROM orbits WHERE k = 1"),
                        "4998 [7.5,8] [8.5,9] [9.5,null] [10.5,11,11.5] "
                        "[12,12.5] [[13,13.5],[14,14.5]]");
    assert_string_equal(sq_text(db, "SELECT modes || ' ' || mode_gaps FROM "
                                    "point_details WHERE step = 10"),
                        "[-3.75,-4] [[-6.5,-6.75],[-7,-7.25]]");
    assert_int_equal(sq_int(db, "SELECT count(*) FROM late_orbit"),
                     3 * 15 - 0);
    assert_string_equal(sq_text(db, "SELECT group_concat(coalesce(value, "
                                    "'N'), ' ') FROM (SELECT value FROM "
                                    "late_orbit WHERE k = 2 AND quantity = "
                                    "'hessian' ORDER BY i)"), "17 N");
    assert_string_equal(sq_text(db, "SELECT pair || ' ' || i || ' ' || value "
                                    "FROM trajectory_detail WHERE step = 10 "
                                    "AND quantity = 'mode_gap' AND pair = 2 "
                                    "AND i = 1"), "2 1 -7");
    sqlite3_close(db);
}

/* A version-6 file (no explicit-init or recording parameters, no detail
 * columns) gains them, NULL in its old rows, on the next writable open. */
static void test_migration_adds_detail(void **state)
{
    static const char *const drops[] = {
        "runs", "alpha_layers", "runs", "init_diag", "runs", "init_file",
        "runs", "orbit_hessian", "runs", "record_from", "runs",
        "record_detail", "orbits", "step", "orbits", "modes", "orbits", "sv",
        "orbits", "hessian", "orbits", "layer_sv", "orbits", "balance_gaps",
        "orbits", "mode_gaps"};
    const char *path = tpath("v6.db");
    char sql[128];
    dln_store *s = open_rw(path);
    put(s, 0.1, 0, 1.0, 0);
    dln_store_destroy(&s);
    sqlite3 *db = sq(path);
    /* (views naming a column keep it from being dropped; every writable
     * open installs them again) */
    assert_int_equal(sqlite3_exec(db, "DROP VIEW late_orbit; DROP VIEW "
                                  "trajectory_detail; DROP VIEW boundaries; "
                                  "DROP TRIGGER runs_deleted; "   /* v8's */
                                  "DROP TABLE point_details",
                                  NULL, NULL, NULL), SQLITE_OK);
    for (size_t i = 0; i < sizeof drops / sizeof *drops; i += 2) {
        snprintf(sql, sizeof sql, "ALTER TABLE %s DROP COLUMN %s", drops[i],
                 drops[i + 1]);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 6", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    s = open_rw(path);
    put(s, 0.2, 0, 2.0, 0);
    dln_store_destroy(&s);
    db = sq(path);
    assert_int_equal(sq_int(db, "PRAGMA user_version"),
                     DLN_STORE_SCHEMA_VERSION);
    assert_string_equal(sq_text(db, "SELECT group_concat(coalesce("
                                    "orbit_hessian, 'N'), ' ') FROM (SELECT "
                                    "orbit_hessian FROM runs ORDER BY eta)"),
                        "N 0");
    assert_int_equal(sq_int(db, "SELECT count(step) FROM orbits"), 0);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM point_details"), 0);
    sqlite3_close(db);
}

/* A shard written before a column existed merges with that column NULL. */
static void test_merge_older_shard(void **state)
{
    const char *a = tpath("old_shard.db"), *out = tpath("merged_old.db");
    double ea[] = {0.01, 0.02};
    char err[512];
    long copied, skipped;
    make_shard(a, 0xabc, ea, 2);
    sqlite3 *db = sq(a);
    assert_int_equal(sqlite3_exec(db, "ALTER TABLE runs DROP COLUMN "
                                  "transient_window; DROP VIEW late_orbit; "
                                  "ALTER TABLE orbits DROP COLUMN modes; "
                                  "DROP VIEW trajectory_detail; DROP TABLE "
                                  "point_details; PRAGMA user_version = 2",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    dln_store *s = open_rw(out);
    int rc = dln_store_merge(s, a, &copied, &skipped, err, sizeof err);
    if (rc)
        fail_msg("merge of a version-2 shard: %s", err);
    assert_int_equal(copied, 2);
    dln_store_destroy(&s);
    db = sq(out);
    assert_string_equal(sq_text(db, "SELECT count(*) || ' ' || "
                                    "count(transient_window) || ' ' || "
                                    "count(balance_gap) FROM runs"),
                        "2 0 2");
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories"), 3 + 4);
    assert_string_equal(sq_text(db, "SELECT count(*) || ' ' || count(modes) "
                                    "FROM orbits"), "4 0");
    sqlite3_close(db);
}

/* path must be refused (2, message naming it) and stay byte-identical. */
static void expect_refused(const char *path, int flags, const char *why)
{
    long n0, n1;
    unsigned char *b0 = slurp(path, &n0);
    dln_store *s = NULL;
    char err[512] = "";
    assert_int_equal(dln_store_create(path, flags, &s, err, sizeof err), 2);
    assert_null(s);
    assert_non_null(strstr(err, path));
    if (why && !strstr(err, why))
        fail_msg("message '%s' lacks '%s'", err, why);
    assert_null(strchr(err, '\n'));
    unsigned char *b1 = slurp(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(b0, b1, (size_t)n0);
    free(b0);
    free(b1);
}

static void test_foreign_files(void **state)
{
    const char *text = tpath("results.txt"), *good = tpath("good.db");
    const char *trunc = tpath("trunc.db"), *other = tpath("other.db");
    char err[512];
    dln_store *s = NULL;
    long n;

    spit(text, "eta,regime\n0.1,converged\n", 25);
    expect_refused(text, 0, "not an SQLite database");
    expect_refused(text, DLN_STORE_READONLY, "not an SQLite database");

    /* a real dlnsweep DB, closed (checkpointed), then truncated copies */
    s = open_rw(good);
    for (int i = 0; i < 40; i++)
        put(s, 0.01 * (i + 1), 0, 1.0, 0);
    dln_store_destroy(&s);
    unsigned char *g = slurp(good, &n);
    assert_true(n >= 8 * 4096);
    long cuts[] = {n / 2, n / 2 + 1000, 1000, 50};
    for (int i = 0; i < 4; i++) {
        spit(trunc, g, cuts[i]);
        expect_refused(trunc, 0, NULL);
        expect_refused(trunc, DLN_STORE_READONLY, NULL);
    }
    free(g);

    /* an SQLite database of someone else */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE runs(x); INSERT INTO "
                                      "runs VALUES (1)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_refused(other, 0, "foreign schema");

    /* a dlnsweep DB from a newer dlnsweep */
    db = sq(good);
    assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode = DELETE; PRAGMA "
                                      "user_version = 99", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_refused(good, 0, "newer");
    expect_refused(good, DLN_STORE_READONLY, "newer");

    /* missing file, missing directory, a directory */
    assert_int_equal(dln_store_create(tpath("absent.db"), DLN_STORE_READONLY,
                                      &s, err, sizeof err), 2);
    assert_non_null(strstr(err, "does not exist"));
    assert_int_equal(dln_store_create(tpath("absent.db"), DLN_STORE_NOCREATE,
                                      &s, err, sizeof err), 2);
    assert_int_equal(access(tpath("absent.db"), F_OK), -1);
    assert_int_equal(dln_store_create(tpath("no/such/dir.db"), 0, &s, err,
                                      sizeof err), 2);
    assert_non_null(strstr(err, "no/such/dir.db"));
    assert_int_equal(dln_store_create(dir, 0, &s, err, sizeof err), 2);
    assert_null(s);

    /* an empty file is a fresh database */
    spit(tpath("empty.db"), "", 0);
    s = open_rw(tpath("empty.db"));
    dln_store_destroy(&s);
}

/* A writer refused by a live lease writes nothing: not the views, not the
 * WAL switch, not the lease (issue 13: refusals leave the file as it was). */
static void test_refusal_writes_nothing(void **state)
{
    const char *path = tpath("refused.db");
    char err[512];
    long n0, n1;
    dln_store *s = open_rw(path);
    put(s, 0.05, 0, 1.0, 0);
    dln_store_destroy(&s);
    sqlite3 *db = sq(path);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO lease(id, owner, host, "
                                      "pid, acquired_at, heartbeat) VALUES (1,"
                                      " 'w@far:1', 'far', 1, 0, "
                                      "unixepoch())", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    unsigned char *before = slurp(path, &n0);
    s = open_rw(path);
    assert_int_equal(dln_store_lease_acquire(s, "me", DLN_STORE_LEASE_STALE_S,
                                             err, sizeof err), 2);
    assert_non_null(strstr(err, "being written by w@far:1"));
    dln_store_destroy(&s);
    unsigned char *after = slurp(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, (size_t)n0);
    free(before);
    free(after);
}

/* Rows deleted by hand (foreign keys off, as in the sqlite3 shell): the
 * trigger takes the child rows along, and no id is handed out twice, even
 * without the trigger (orphans left behind). */
static void test_run_ids_never_reused(void **state)
{
    const char *path = tpath("ids.db");
    dln_store *s = open_rw(path);
    for (int i = 0; i < 4; i++)
        put(s, 0.01 * (i + 1), 0, 1.0, 0);
    dln_store_destroy(&s);
    sqlite3 *db = sq(path);
    assert_int_equal(sqlite3_exec(db, "DELETE FROM runs WHERE id = 4", NULL,
                                  NULL, NULL), SQLITE_OK);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories WHERE "
                                "run_id = 4"), 0);
    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER runs_deleted; DELETE "
                                      "FROM runs WHERE id = 3", NULL, NULL,
                                  NULL), SQLITE_OK);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories WHERE "
                                "run_id = 3"), 5);
    sqlite3_close(db);
    s = open_rw(path);
    put(s, 0.5, 0, 2.0, 0);          /* new ids above 4, clear of orphans */
    put(s, 0.6, 0, 2.0, 0);
    dln_store_destroy(&s);
    db = sq(path);
    assert_string_equal(sq_text(db, "SELECT group_concat(id) FROM (SELECT id "
                                    "FROM runs ORDER BY id)"), "1,2,5,6");
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories WHERE "
                                "run_id IN (5, 6)"), 10);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM sqlite_master WHERE "
                                "name = 'runs_deleted'"), 1);   /* back */
    sqlite3_close(db);
}

/* The holder of a lease of this host is gone when its pid is gone or now
 * belongs to a process started later; another host's is never judged. */
static void test_lease_holder_gone(void **state)
{
    dln_store_lease_info l = {.held = 1};
    char err[512];
    gethostname(l.host, sizeof l.host);
    l.pid = getpid();
    assert_int_equal(dln_store_lease_holder_gone(&l), 0);   /* alive */
    snprintf(l.pid_start, sizeof l.pid_start, "not/this");
    assert_int_equal(dln_store_lease_holder_gone(&l), 1);   /* pid reused */
    snprintf(l.host, sizeof l.host, "far-away-host");
    assert_int_equal(dln_store_lease_holder_gone(&l), 0);
    /* The start the store records is the one it compares with. */
    const char *path = tpath("pidstart.db");
    dln_store *s = open_rw(path);
    assert_int_equal(dln_store_lease_acquire(s, "me", 600, err, sizeof err),
                     0);
    assert_int_equal(dln_store_lease_get(s, &l), 0);
    assert_true(l.pid_start[0] != '\0');
    assert_int_equal(dln_store_lease_holder_gone(&l), 0);
    dln_store_destroy(&s);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    l.pid = child;
    assert_int_equal(dln_store_lease_holder_gone(&l), 1);   /* gone */
}

/* A version-5 file (regime CHECK without saddle and quasiperiodic) with
 * child rows of a run deleted by hand migrates: they go before version
 * 6's rebuild of runs, whose foreign_key_check would refuse them. */
static void test_migrate_orphans(void **state)
{
    const char *path = tpath("v5.db");
    dln_store *s = open_rw(path);
    for (int i = 0; i < 3; i++)
        put(s, 0.01 * (i + 1), 0, 1.0, 0);
    dln_store_destroy(&s);
    sqlite3 *db = sq(path);        /* version 5's CHECK, as SQLite allows */
    const char *to_v5 =
        "PRAGMA writable_schema = ON;"
        "UPDATE sqlite_master SET sql = replace(replace(sql, "
        "'''quasiperiodic'',', ''), '''saddle'',', '') WHERE name = 'runs';"
        "PRAGMA writable_schema = OFF;";
    if (sqlite3_exec(db, to_v5, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s", sqlite3_errmsg(db));
    sqlite3_close(db);
    db = sq(path);                 /* a hand delete: foreign keys are off */
    if (sqlite3_exec(db, "DROP TRIGGER runs_deleted;"
                         "DROP TABLE retired_run_ids;"
                         "ALTER TABLE lease DROP COLUMN pid_start;"
                         "DELETE FROM runs WHERE id = 2;"
                         "PRAGMA user_version = 5", NULL, NULL, NULL) !=
        SQLITE_OK)
        fail_msg("%s", sqlite3_errmsg(db));
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories WHERE "
                                "run_id = 2"), 5);
    sqlite3_close(db);
    s = open_rw(path);
    dln_task t;
    dln_result r;
    make_task(&t, 0.5, 0);
    make_result(&r, 2.0, 5, 4, 6);
    if (dln_store_put_run(s, &t, &r, NULL, 0))
        fail_msg("%s", dln_store_errmsg(s));
    dln_result_clear(&r);
    dln_store_destroy(&s);
    db = sq(path);
    assert_int_equal(sq_int(db, "PRAGMA user_version"),
                     DLN_STORE_SCHEMA_VERSION);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories WHERE "
                                "run_id NOT IN (SELECT id FROM runs)"), 0);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM sqlite_master WHERE "
                                "name = 'runs_deleted'"), 1);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM sqlite_master WHERE "
                                "name = 'runs' AND sql LIKE '%''saddle''%'"),
                     1);
    sqlite3_close(db);
}

/* One overwritten page: writers refuse (2, file untouched), readers open
 * and dln_store_verify says damaged. */
static void test_damaged_file(void **state)
{
    const char *path = tpath("damaged.db");
    char err[512];
    long n, n1;
    dln_store *s = open_rw(path);
    dln_store_begin(s);
    for (int i = 0; i < 60; i++) {
        dln_task t;
        dln_result r;
        make_task(&t, 0.001 * (i + 1), 0);
        make_result(&r, 1.0, 200, 4, 6);
        assert_int_equal(dln_store_put_run(s, &t, &r, NULL, 0), 0);
        dln_result_clear(&r);
    }
    dln_store_destroy(&s);
    sqlite3 *db = sq(path);                     /* a leaf of trajectories */
    long long page = sq_int(db, "SELECT pageno FROM dbstat WHERE name = "
                                "'trajectories' AND pagetype = 'leaf' "
                                "ORDER BY pageno LIMIT 1 OFFSET 5");
    sqlite3_close(db);
    unsigned char *b = slurp(path, &n);
    assert_true(page > 1 && page * 4096 <= n);
    memset(b + (page - 1) * 4096, 0x5a, 4096);
    spit(path, b, n);
    expect_refused(path, 0, "damaged");
    unsigned char *after = slurp(path, &n1);
    assert_int_equal(n, n1);
    assert_memory_equal(b, after, (size_t)n);
    assert_int_equal(dln_store_create(path, DLN_STORE_READONLY, &s, err,
                                      sizeof err), 0);
    assert_int_equal(dln_store_verify(s, err, sizeof err), 2);
    assert_non_null(strstr(err, "damaged"));
    assert_int_equal(dln_store_damaged(s), 1);
    dln_store_destroy(&s);
    free(b);
    free(after);
}

static void test_views_replaced(void **state)
{
    const char *path = tpath("views.db");
    dln_store *s = open_rw(path);
    dln_store_destroy(&s);
    sqlite3 *db = sq(path);
    assert_int_equal(sqlite3_exec(db, "DROP VIEW regime_counts; CREATE VIEW "
                                      "regime_counts AS SELECT 1 AS stale",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    /* A writable open writes nothing by itself... */
    s = open_rw(path);
    dln_store_destroy(&s);
    db = sq(path);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM sqlite_master WHERE "
                                "type = 'view' AND sql LIKE '%stale%'"), 1);
    sqlite3_close(db);
    /* ... its first write transaction reinstalls the embedded views. */
    s = open_rw(path);
    put(s, 0.05, 0, 1.0, 0);
    dln_store_destroy(&s);
    db = sq(path);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM sqlite_master WHERE "
                                "type = 'view' AND sql LIKE '%stale%'"), 0);
    assert_true(sq_int(db, "SELECT count(*) FROM sqlite_master WHERE type = "
                           "'view'") >= 1);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_many_children),
        cmocka_unit_test(test_error_and_divergent),
        cmocka_unit_test(test_unique_replace),
        cmocka_unit_test(test_batch_and_readonly),
        cmocka_unit_test(test_sweeps_and_counts),
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_foreign_files),
        cmocka_unit_test(test_views_replaced),
        cmocka_unit_test(test_runs_has_every_parameter),
        cmocka_unit_test(test_migration_adds_transient_window),
        cmocka_unit_test(test_migration_from_v3),
        cmocka_unit_test(test_detail_columns),
        cmocka_unit_test(test_migration_adds_detail),
        cmocka_unit_test(test_merge_older_shard),
        cmocka_unit_test(test_refusal_writes_nothing),
        cmocka_unit_test(test_run_ids_never_reused),
        cmocka_unit_test(test_lease_holder_gone),
        cmocka_unit_test(test_damaged_file),
        cmocka_unit_test(test_migrate_orphans),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
