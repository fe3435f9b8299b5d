/* test_store_writer.c — the coordinator's database writer (store_writer.h),
 * on a thread and inline: every queued run and attempt count reaches the
 * database with its arrays; the run's attempt is the count when written;
 * pause hands over a committed store; batches commit on time with no
 * further calls; the lease is refreshed; a full queue blocks instead of
 * dropping; a failed write is reported and later calls refuse. */
#define _POSIX_C_SOURCE 200809L
#include <time.h>
#include "dlnsweep/store_writer.h"
#include "store_testutil.h"

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static dln_store_writer *start(dln_store *s, dln_store_writer_mode mode,
                               int batch_rows, double batch_s,
                               const char *owner, size_t max_bytes)
{
    dln_store_writer_options o = {mode, batch_rows, batch_s, owner, 0.05,
                                  max_bytes};
    dln_store_writer *w = NULL;
    assert_int_equal(dln_store_writer_create(s, &o, &w), 0);
    assert_non_null(w);
    assert_int_equal(dln_store_writer_threaded(w),
                     mode == DLN_WRITER_THREAD);
    return w;
}

/* Queue n runs (eta 0.1 + k/1000, trajectories of 50 points); the run
 * with k == 0 was started twice. */
static void queue_runs(dln_store_writer *w, int n)
{
    dln_provenance prov = {"abc", "host", 1, 0, 0, 0, 0.0};
    for (int k = 0; k < n; k++) {
        dln_task t;
        dln_result r;
        make_task(&t, 0.1 + k / 1000.0, 0);
        make_result(&r, 1.0 + k, 50, 8, 0);
        for (int a = 0; a < (k == 0 ? 2 : 1); a++)
            assert_int_equal(dln_store_writer_attempt(w, t.cell_hash, 0), 0);
        assert_int_equal(dln_store_writer_put_run(w, &t, &r, &prov), 0);
        assert_null(r.traj);           /* the arrays moved to the queue */
        assert_int_equal(r.n_traj, 0);
    }
}

/* What n queued runs must have left in the database at path. */
static void check_db(const char *path, int n)
{
    sqlite3 *db = sq(path);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM runs"), n);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories"), 50 * n);
    assert_int_equal(sq_int(db, "SELECT count(*) FROM orbits"), 8 * n);
    assert_int_equal(sq_int(db, "SELECT sum(n) FROM attempts"), n + 1);
    assert_int_equal(sq_int(db, "SELECT attempt FROM runs WHERE "
                                "final_loss = 1.0"), 2);
    assert_int_equal(sq_int(db, "SELECT max(attempt) FROM runs WHERE "
                                "final_loss > 1.0"), 1);
    /* Each run's children carry its own marker. */
    assert_int_equal(sq_int(db, "SELECT count(*) FROM trajectories t JOIN "
                                "runs r ON r.id = t.run_id WHERE "
                                "t.loss != r.final_loss"), 0);
    sqlite3_close(db);
}

static void run_mode(dln_store_writer_mode mode, const char *name)
{
    dln_store *s = open_rw(tpath(name));
    dln_store_writer *w = start(s, mode, 7, 10.0, NULL, 0);
    queue_runs(w, 40);
    /* Paused: everything queued is written and committed. */
    dln_store *p = dln_store_writer_pause(w);
    assert_ptr_equal(p, s);
    dln_store_counts c;
    assert_int_equal(dln_store_counts_get(p, 0, &c), 0);
    assert_int_equal(c.done, 40);
    check_db(tpath(name), 40);
    dln_store_writer_resume(w);
    queue_runs(w, 0);
    assert_int_equal(dln_store_writer_finish(w), 0);
    assert_int_equal(dln_store_writer_finish(w), 0);   /* idempotent */
    dln_store_writer_stats st;
    dln_store_writer_stats_get(w, &st);
    assert_int_equal(st.runs, 40);
    assert_true(st.commits >= 40 / 7);
    dln_store_writer_destroy(&w);
    assert_null(w);
    dln_store_writer_destroy(&w);                       /* accepts NULL */
    dln_store_destroy(&s);
    check_db(tpath(name), 40);
}

static void test_thread(void **state)
{
    run_mode(DLN_WRITER_THREAD, "thread.db");
}

static void test_inline(void **state)
{
    run_mode(DLN_WRITER_INLINE, "inline.db");
}

/* A batch below batch_rows is committed batch_seconds after it opened by
 * the thread alone, and the thread refreshes the lease. */
static void test_timed_commit_and_heartbeat(void **state)
{
    const char *path = tpath("timed.db");
    dln_store *s = open_rw(path);
    dln_store_lease_info before, after;
    char err[512];
    assert_int_equal(dln_store_lease_acquire(s, "me", 60.0, err, sizeof err),
                     0);
    assert_int_equal(dln_store_lease_get(s, &before), 0);
    dln_store_writer *w = start(s, DLN_WRITER_THREAD, 1000, 0.05, "me", 0);
    queue_runs(w, 3);
    sleep_s(0.5);
    sqlite3 *db = sq(path);            /* another connection sees them */
    assert_int_equal(sq_int(db, "SELECT count(*) FROM runs"), 3);
    assert_true(sq_double(db, "SELECT heartbeat FROM lease") >
                before.heartbeat + 0.1);
    sqlite3_close(db);
    assert_int_equal(dln_store_writer_finish(w), 0);
    dln_store_writer_destroy(&w);
    assert_int_equal(dln_store_lease_get(s, &after), 0);
    assert_string_equal(after.owner, "me");
    dln_store_destroy(&s);
}

/* A queue limit below one entry: every put waits for the one before it to
 * be written; nothing is lost. */
static void test_backpressure(void **state)
{
    dln_store *s = open_rw(tpath("full.db"));
    dln_store_writer *w = start(s, DLN_WRITER_THREAD, 4, 10.0, NULL, 1);
    queue_runs(w, 25);
    assert_int_equal(dln_store_writer_finish(w), 0);
    dln_store_writer_stats st;
    dln_store_writer_stats_get(w, &st);
    assert_int_equal(st.runs, 25);
    dln_store_writer_destroy(&w);
    dln_store_destroy(&s);
    check_db(tpath("full.db"), 25);
}

/* A run the database refuses (eta NaN is stored as NULL, and eta is NOT
 * NULL) fails the writer:
 * later calls return 1, pause returns NULL, finish reports it, and the
 * runs before it are kept. */
static void fail_mode(dln_store_writer_mode mode, const char *name)
{
    dln_store *s = open_rw(tpath(name));
    dln_store_writer *w = start(s, mode, 1, 10.0, NULL, 0);
    dln_provenance prov = {"abc", "host", 1, 1, 0, 0, 0.0};
    dln_task t;
    dln_result r;
    queue_runs(w, 2);
    make_task(&t, NAN, 0);
    make_result(&r, 9.0, 3, 0, 0);
    dln_store_writer_put_run(w, &t, &r, &prov);   /* inline: fails here */
    dln_store *p = dln_store_writer_pause(w);
    assert_null(p);
    dln_store_writer_resume(w);
    assert_int_equal(dln_store_writer_failed(w), 1);
    assert_non_null(strstr(dln_store_writer_errmsg(w), "writing a run"));
    make_task(&t, 0.6, 0);
    make_result(&r, 9.0, 3, 0, 0);
    assert_int_equal(dln_store_writer_put_run(w, &t, &r, &prov), 1);
    assert_null(r.traj);                           /* freed, not leaked */
    assert_int_equal(dln_store_writer_attempt(w, t.cell_hash, 0), 1);
    assert_int_equal(dln_store_writer_flush(w), 1);
    assert_int_equal(dln_store_writer_finish(w), 1);
    dln_store_writer_destroy(&w);
    dln_store_destroy(&s);
    sqlite3 *db = sq(tpath(name));
    assert_int_equal(sq_int(db, "SELECT count(*) FROM runs"), 2);
    sqlite3_close(db);
}

static void test_failure_thread(void **state)
{
    fail_mode(DLN_WRITER_THREAD, "fail-thread.db");
}

static void test_failure_inline(void **state)
{
    fail_mode(DLN_WRITER_INLINE, "fail-inline.db");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timed_commit_and_heartbeat,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_thread, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failure_inline, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
