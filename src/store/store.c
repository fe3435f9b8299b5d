/* store.c — the results database handle: opening (after the file checks
 * of store_file.c), the schema installed by the first write transaction,
 * the statement cache, transactions and write batches, and closing. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "dlnsweep/testhook.h"
#include "store_internal.h"

#ifndef DLN_VERSION
#define DLN_VERSION "unknown"
#endif

double dln_store_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void dln_store_iso_time(double t, char buf[32])
{
    time_t sec = (time_t)t;
    int ms = (int)((t - (double)sec) * 1000.0);
    struct tm tm;
    if (ms < 0 || ms > 999)
        ms = 0;
    gmtime_r(&sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03dZ", ms % 1000);
}

int dln_store_fail(dln_store *s, const char *what)
{
    int ec = s->db ? sqlite3_errcode(s->db) & 0xff : SQLITE_OK;
    s->damaged |= ec == SQLITE_CORRUPT || ec == SQLITE_NOTADB;
    snprintf(s->msg, sizeof s->msg, "%s: %s: %s%s", s->path, what,
             s->db ? sqlite3_errmsg(s->db) : "no connection",
             s->damaged ? " (the file is damaged)" : "");
    return 1;
}

/* 1 if the directory of path accepts new files (SQLite's -wal, -shm and
 * -journal files live there). */
static int dir_writable(const char *path)
{
    size_t n = strlen(path);
    char *dir = malloc(n + 2);
    int ok;
    if (!dir)
        return 0;
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    ok = access(dir, W_OK) == 0;
    free(dir);
    return ok;
}

/* Statement id, prepared once; reset, and unbound when clear. */
static sqlite3_stmt *cached_stmt(dln_store *s, int id, const char *sql,
                                 int clear)
{
    sqlite3_stmt *st = s->st[id];
    if (!st) {
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &s->st[id], NULL) != SQLITE_OK) {
            dln_store_fail(s, "prepare");
            return NULL;
        }
        return s->st[id];
    }
    sqlite3_reset(st);
    if (clear)
        sqlite3_clear_bindings(st);
    return st;
}

sqlite3_stmt *dln_store_stmt(dln_store *s, int id, const char *sql)
{
    return cached_stmt(s, id, sql, 1);
}

sqlite3_stmt *dln_store_stmt_rebind(dln_store *s, int id, const char *sql)
{
    return cached_stmt(s, id, sql, 0);
}

int dln_store_exec(dln_store *s, const char *sql)
{
    char *emsg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &emsg) != SQLITE_OK) {
        snprintf(s->msg, sizeof s->msg, "%s: %s", s->path,
                 emsg ? emsg : sqlite3_errmsg(s->db));
        sqlite3_free(emsg);
        return 1;
    }
    return 0;
}

int dln_store_step_done(dln_store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        dln_store_fail(s, "write");
        sqlite3_reset(st);
        return 1;
    }
    sqlite3_reset(st);
    return 0;
}

static int set_wal(dln_store *s);

/* What a finished transaction leaves: a committed schema install counts
 * (the handle's later transactions skip it), a rolled back one not. */
static void txn_finished(dln_store *s, int committed)
{
    if (committed) {
        if (s->schema_in_txn) {
            s->schema_pending = 0;
            sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
        }
        s->wrote = 1;
    }
    s->schema_in_txn = 0;
    s->next_run_id = 0;     /* another writer may come before the next */
}

static void rollback(dln_store *s)
{
    if (!sqlite3_get_autocommit(s->db)) {
        sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_ROLLBACK, "ROLLBACK");
        if (st)
            sqlite3_step(st), sqlite3_reset(st);
    }
    txn_finished(s, 0);
}

int dln_store_txn_begin_bare(dln_store *s, int *own)
{
    *own = 0;
    if (s->in_batch)
        return 0;
    if (s->schema_pending && set_wal(s))
        return 1;
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_BEGIN, "BEGIN IMMEDIATE");
    if (!st || dln_store_step_done(s, st))
        return 1;
    *own = 1;
    s->next_run_id = 0;
    return 0;
}

int dln_store_txn_begin(dln_store *s, int *own)
{
    int rc = dln_store_txn_begin_bare(s, own);
    if (rc == 0 && (rc = dln_store_schema_ensure(s)) != 0 && *own) {
        rollback(s);
        *own = 0;
    }
    return rc;
}

int dln_store_txn_end(dln_store *s, int own, int ok)
{
    if (!own)
        return ok ? 0 : 1;
    if (ok) {
        sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_COMMIT, "COMMIT");
        if (st && !dln_store_step_done(s, st)) {
            txn_finished(s, 1);
            return 0;
        }
    }
    rollback(s);
    return 1;
}

/* ---- create / destroy ------------------------------------------------ */

int dln_store_drop_views(dln_store *s)
{
    sqlite3_stmt *st = NULL;
    char **names = NULL;
    int n = 0, cap = 0, rc = 1;
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE "
                           "type = 'view'", -1, &st, NULL) != SQLITE_OK) {
        dln_store_fail(s, "list views");
        goto cleanup;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            char **nn = realloc(names, (size_t)(cap = cap ? 2 * cap : 8) *
                                           sizeof *names);
            if (!nn)
                goto cleanup;
            names = nn;
        }
        const char *v = (const char *)sqlite3_column_text(st, 0);
        names[n] = sqlite3_mprintf("DROP VIEW IF EXISTS \"%w\"", v ? v : "");
        if (!names[n])
            goto cleanup;
        n++;
    }
    sqlite3_finalize(st);
    st = NULL;
    for (int i = 0; i < n; i++)
        if (dln_store_exec(s, names[i]))
            goto cleanup;
    rc = 0;
cleanup:
    sqlite3_finalize(st);
    for (int i = 0; i < n; i++)
        sqlite3_free(names[i]);
    free(names);
    return rc;
}

/* Drop every view and run the embedded views.sql, so updated definitions
 * take effect. Inside the schema transaction. */
static int install_views(dln_store *s)
{
    if (dln_store_drop_views(s))
        return 1;
    if (dln_store_exec(s, (const char *)dln_views_sql)) {
        char m[sizeof s->msg];
        snprintf(m, sizeof m, "%s", s->msg);
        snprintf(s->msg, sizeof s->msg, "analysis/views.sql (embedded): %.400s",
                 m);
        return 1;
    }
    return 0;
}

/* Switch the file to WAL (a no-op when it is): 0, or 1/2 with s->msg. */
static int set_wal(dln_store *s)
{
    char mode[16] = "";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        snprintf(mode, sizeof mode, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (strcmp(mode, "wal") == 0)
        return 0;
    dln_store_fail(s, "cannot switch to WAL mode for writing");
    return 2;
}

int dln_store_schema_ensure(dln_store *s)
{
    sqlite3_stmt *st = NULL;
    long long app = -1, ver = -1, nobj = -1;
    if (!s->schema_pending || s->schema_in_txn)
        return 0;
    if (sqlite3_prepare_v2(s->db, "SELECT (SELECT application_id FROM "
                           "pragma_application_id), (SELECT user_version "
                           "FROM pragma_user_version), (SELECT count(*) "
                           "FROM sqlite_master)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        app = sqlite3_column_int64(st, 0);
        ver = sqlite3_column_int64(st, 1);
        nobj = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (app < 0)
        return dln_store_fail(s, "read header");
    /* Re-check under the write lock: another process may have won. */
    if (!(app == 0 && nobj == 0) && app != DLN_STORE_APP_ID) {
        snprintf(s->msg, sizeof s->msg, "database %s: foreign schema, not a "
                 "dlnsweep database", s->path);
        return 2;
    }
    if (ver > DLN_STORE_SCHEMA_VERSION) {
        snprintf(s->msg, sizeof s->msg, "database %s: schema version %lld "
                 "is newer than this dlnsweep supports (%d)", s->path, ver,
                 DLN_STORE_SCHEMA_VERSION);
        return 2;
    }
    char marks[128];
    snprintf(marks, sizeof marks, "PRAGMA application_id = %d;"
             "PRAGMA user_version = %d;", DLN_STORE_APP_ID,
             DLN_STORE_SCHEMA_VERSION);
    if ((nobj > 0 && ver >= 1 && dln_store_migrate(s, (int)ver)) ||
        dln_store_exec(s, dln_store_schema_sql) || dln_store_exec(s, marks) ||
        install_views(s))
        return 1;
    s->schema_in_txn = 1;
    dln_test_hook("store-schema");
    return 0;
}

int dln_store_install(dln_store *s)
{
    int own, rc = dln_store_txn_begin(s, &own);
    if (rc)
        return rc;
    return dln_store_txn_end(s, own, 1);
}

int dln_store_create(const char *path, int flags, dln_store **out,
                     char *err, size_t errlen)
{
    int ro = (flags & DLN_STORE_READONLY) != 0;
    int must_exist = ro || (flags & DLN_STORE_NOCREATE);
    int fresh = 0, exists = 0, created = 0, rc = 2;
    dln_store *s = NULL;
    *out = NULL;
    if (!path || !*path) {
        snprintf(err, errlen, "database: empty path");
        return 2;
    }
    for (int tries = 0; tries < 3; tries++) {
        if (dln_store_recover_journal(path, err, errlen) ||
            dln_store_probe(path, must_exist, &fresh, &exists, err, errlen))
            return 2;
        if (exists || ro)
            break;
        /* Missing: build it beside path and link it into place; -1 means
         * a concurrent creator won, and its complete file is probed. */
        int c = dln_store_create_file(path, err, errlen);
        if (c > 0)
            return c;
        created = c == 0;
    }
    if (!exists) {
        snprintf(err, errlen, "database %s: does not exist", path);
        return 2;
    }
    s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        snprintf(err, errlen, "database %s: out of memory", path);
        rc = 1;
        goto cleanup;
    }
    s->readonly = ro;
    /* No per-connection mutex: a handle is used by one thread at a time
     * (the sweep's writer thread hands it over under its own mutex), and
     * SQLite's serialized mode locked it around every bind and step (~2
     * lock/unlock pairs per bound value, ~15% of writing a trajectory).
     * Never SQLITE_OPEN_CREATE: the file exists (created above). */
    int oflags = (ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                 SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "database %s: cannot open: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto cleanup;
    }
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_extended_result_codes(s->db, 1);
    if (ro) {
        if (fresh) {
            snprintf(err, errlen, "database %s: not a dlnsweep database (no "
                     "schema)", path);
            goto cleanup;
        }
        if (dln_store_members_compat(s)) {
            snprintf(err, errlen, "%s", s->msg);
            goto cleanup;
        }
        *out = s;
        return 0;
    }
    if (sqlite3_db_readonly(s->db, "main") || !dir_writable(path)) {
        snprintf(err, errlen, "database %s: cannot open for writing: file "
                 "or directory not writable", path);
        goto cleanup;
    }
    /* temp_store = MEMORY keeps put_run's savepoint journal off disk
     * (it otherwise spills one page write per inserted row).  Foreign keys
     * go on after the schema (txn_finished): a migration that rebuilds a
     * table needs them off (a no-op inside its transaction), else dropping
     * the old runs would cascade to their children (store_schema.c). */
    if (dln_store_exec(s, created ? "PRAGMA synchronous = NORMAL;"
                                    "PRAGMA temp_store = MEMORY;"
                                    "PRAGMA foreign_keys = ON"
                                  : "PRAGMA synchronous = NORMAL;"
                                    "PRAGMA temp_store = MEMORY;"
                                    "PRAGMA foreign_keys = OFF") ||
        dln_store_register_run_ids(s)) {
        snprintf(err, errlen, "%s", s->msg);
        goto cleanup;
    }
    /* A writer checks the file before it writes anything: never write
     * into a damaged database (a file just created needs no check). */
    if (!created && !fresh &&
        (rc = dln_store_integrity(s->db, path, err, errlen)) != 0)
        goto cleanup;
    s->schema_pending = !created;
    *out = s;
    return 0;
cleanup:
    dln_store_destroy(&s);
    return rc;
}

void dln_store_destroy(dln_store **sp)
{
    if (!sp || !*sp)
        return;
    dln_store *s = *sp;
    if (s->db && s->in_batch)
        dln_store_commit(s);
    if (s->db && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < DLN_ST_N; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db && s->wrote)    /* a handle that wrote nothing writes nothing */
        sqlite3_exec(s->db, "PRAGMA optimize", NULL, NULL, NULL);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
    *sp = NULL;
}

int dln_store_begin(dln_store *s)
{
    if (s->in_batch)
        return 0;
    int own;
    if (dln_store_txn_begin(s, &own))
        return 1;
    s->in_batch = 1;
    return 0;
}

int dln_store_commit(dln_store *s)
{
    if (!s->in_batch)
        return 0;
    dln_test_hook("store-commit");
    s->in_batch = 0;
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_COMMIT, "COMMIT");
    if (st && !dln_store_step_done(s, st)) {
        txn_finished(s, 1);
        return 0;
    }
    s->in_batch = !sqlite3_get_autocommit(s->db);   /* retry possible */
    if (!s->in_batch)
        txn_finished(s, 0);
    return 1;
}

const char *dln_store_path(const dln_store *s)
{
    return s->path;
}

const char *dln_store_errmsg(const dln_store *s)
{
    return s->msg[0] ? s->msg : "no error";
}

int dln_store_verify(dln_store *s, char *err, size_t errlen)
{
    int rc = dln_store_integrity(s->db, s->path, err, errlen);
    s->damaged |= rc == 2;
    return rc;
}

int dln_store_damaged(const dln_store *s)
{
    return s->damaged;
}
