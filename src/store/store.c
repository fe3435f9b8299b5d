/* store.c — opening the results database: file probe, schema, pragmas,
 * the statement cache, write batches, and closing. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
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
    snprintf(s->msg, sizeof s->msg, "%s: %s: %s", s->path, what,
             s->db ? sqlite3_errmsg(s->db) : "no connection");
    return 1;
}

sqlite3_stmt *dln_store_stmt(dln_store *s, int id, const char *sql)
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
    sqlite3_clear_bindings(st);
    return st;
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

int dln_store_txn_begin(dln_store *s, int *own)
{
    *own = 0;
    if (s->in_batch)
        return 0;
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_BEGIN, "BEGIN IMMEDIATE");
    if (!st || dln_store_step_done(s, st))
        return 1;
    *own = 1;
    return 0;
}

int dln_store_txn_end(dln_store *s, int own, int ok)
{
    if (!own)
        return ok ? 0 : 1;
    if (ok) {
        sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_COMMIT, "COMMIT");
        if (st && !dln_store_step_done(s, st))
            return 0;
    }
    if (!sqlite3_get_autocommit(s->db)) {
        sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_ROLLBACK, "ROLLBACK");
        if (st)
            sqlite3_step(st), sqlite3_reset(st);
    }
    return 1;
}

/* ---- the file probe: classify without modifying ---------------------- */

static unsigned be16(const unsigned char *b) { return (unsigned)b[0] << 8 | b[1]; }
static unsigned long be32(const unsigned char *b)
{
    return (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 |
           (unsigned long)b[2] << 8 | b[3];
}

/* Query one integer from a read-only probe connection; -1 on error. */
static long long probe_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int dln_store_probe(const char *path, int must_exist, int *fresh,
                    int *exists, char *err, size_t errlen)
{
    struct stat sb;
    unsigned char hdr[100];
    sqlite3 *db = NULL;
    int rc = 2;
    *fresh = 0;
    *exists = 0;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT && !must_exist) {
            *fresh = 1;
            return 0;
        }
        snprintf(err, errlen, "database %s: %s", path,
                 errno == ENOENT ? "does not exist" : strerror(errno));
        return 2;
    }
    *exists = 1;
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "database %s: not a regular file", path);
        return 2;
    }
    if (sb.st_size == 0) {
        if (must_exist) {
            snprintf(err, errlen, "database %s: empty file, not a dlnsweep "
                     "database", path);
            return 2;
        }
        *fresh = 1;
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "database %s: cannot read: %s", path,
                 strerror(errno));
        return 2;
    }
    size_t got = fread(hdr, 1, sizeof hdr, f);
    fclose(f);
    if (got < sizeof hdr || memcmp(hdr, "SQLite format 3", 16) != 0) {
        snprintf(err, errlen, "database %s: not an SQLite database "
                 "(refusing to touch it)", path);
        return 2;
    }
    unsigned long page = be16(hdr + 16);
    if (page == 1)
        page = 65536;
    if (page < 512 || (page & (page - 1)) != 0) {
        snprintf(err, errlen, "database %s: damaged SQLite header "
                 "(page size %lu)", path, page);
        return 2;
    }
    unsigned long long npages = (unsigned long long)sb.st_size / page;
    unsigned long hdr_pages = be32(hdr + 28);
    if ((unsigned long long)sb.st_size % page != 0 ||
        (hdr_pages > 0 && be32(hdr + 92) == be32(hdr + 24) &&
         hdr_pages > npages)) {
        snprintf(err, errlen, "database %s: truncated or damaged (%lld "
                 "bytes, page size %lu, header says %lu pages)", path,
                 (long long)sb.st_size, page, hdr_pages);
        return 2;
    }
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "database %s: cannot open: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        goto cleanup;
    }
    sqlite3_busy_timeout(db, 10000);
    long long app = probe_int(db, "PRAGMA application_id");
    long long ver = probe_int(db, "PRAGMA user_version");
    long long nobj = probe_int(db, "SELECT count(*) FROM sqlite_master");
    if (app < 0 || ver < 0 || nobj < 0) {
        snprintf(err, errlen, "database %s: unreadable SQLite file: %s",
                 path, sqlite3_errmsg(db));
        goto cleanup;
    }
    if (app == 0 && nobj == 0) {
        if (must_exist) {
            snprintf(err, errlen, "database %s: empty SQLite file, not a "
                     "dlnsweep database", path);
            goto cleanup;
        }
        *fresh = 1;
    } else if (app != DLN_STORE_APP_ID) {
        snprintf(err, errlen, "database %s: an SQLite database with a "
                 "foreign schema, not a dlnsweep database (refusing to "
                 "touch it)", path);
        goto cleanup;
    } else if (ver > DLN_STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "database %s: schema version %lld is newer "
                 "than this dlnsweep supports (%d); use a newer dlnsweep",
                 path, ver, DLN_STORE_SCHEMA_VERSION);
        goto cleanup;
    } else if (ver == 0) {
        *fresh = 1;   /* interrupted creation: finish it */
    }   /* an older version reads as is; a writable open migrates it */
    rc = 0;
cleanup:
    sqlite3_close(db);
    return rc;
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

/* Create or complete the schema, set the header marks, install views. */
static int install_schema(dln_store *s)
{
    int own, ok = 0;
    if (dln_store_txn_begin(s, &own))
        return 1;
    sqlite3_stmt *st = NULL;
    long long app = -1, ver = -1, nobj = -1;
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
    if (app < 0) {
        dln_store_fail(s, "read header");
        goto done;
    }
    /* Re-check under the write lock: another process may have won. */
    if (!(app == 0 && nobj == 0) && app != DLN_STORE_APP_ID) {
        snprintf(s->msg, sizeof s->msg, "database %s: foreign schema, not a "
                 "dlnsweep database", s->path);
        goto done;
    }
    if (ver > DLN_STORE_SCHEMA_VERSION) {
        snprintf(s->msg, sizeof s->msg, "database %s: schema version %lld "
                 "is newer than this dlnsweep supports (%d)", s->path, ver,
                 DLN_STORE_SCHEMA_VERSION);
        goto done;
    }
    char marks[128];
    snprintf(marks, sizeof marks, "PRAGMA application_id = %d;"
             "PRAGMA user_version = %d;", DLN_STORE_APP_ID,
             DLN_STORE_SCHEMA_VERSION);
    if (nobj > 0 && ver >= 1 && dln_store_migrate(s, (int)ver))
        goto done;
    if (dln_store_exec(s, dln_store_schema_sql) || dln_store_exec(s, marks) ||
        install_views(s))
        goto done;
    ok = 1;
done:
    if (!ok) {
        dln_store_txn_end(s, own, 0);
        return 1;
    }
    return dln_store_txn_end(s, own, 1);
}

/* Remove a file this call created, with its WAL companions. */
static void remove_created(const char *path)
{
    size_t n = strlen(path) + 8;
    char *p = malloc(n);
    unlink(path);
    if (!p)
        return;
    snprintf(p, n, "%s-wal", path);
    unlink(p);
    snprintf(p, n, "%s-shm", path);
    unlink(p);
    free(p);
}

int dln_store_create(const char *path, int flags, dln_store **out,
                     char *err, size_t errlen)
{
    int ro = (flags & DLN_STORE_READONLY) != 0;
    int must_exist = ro || (flags & DLN_STORE_NOCREATE);
    int fresh = 0, exists = 0, rc = 2;
    dln_store *s = NULL;
    *out = NULL;
    if (!path || !*path) {
        snprintf(err, errlen, "database: empty path");
        return 2;
    }
    if (dln_store_probe(path, must_exist, &fresh, &exists, err, errlen))
        return 2;
    s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        snprintf(err, errlen, "database %s: out of memory", path);
        rc = 1;
        goto cleanup;
    }
    s->readonly = ro;
    int oflags = ro ? SQLITE_OPEN_READONLY
                    : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    /* No per-connection mutex: a handle is used by one thread at a time
     * (the sweep's writer thread hands it over under its own mutex), and
     * SQLite's serialized mode locked it around every bind and step (~2
     * lock/unlock pairs per bound value, ~15% of writing a trajectory). */
    oflags |= SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "database %s: cannot %s: %s", path,
                 exists ? "open" : "create",
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto cleanup;
    }
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_extended_result_codes(s->db, 1);
    if (!ro) {
        char mode[16] = "";
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
                               NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            snprintf(mode, sizeof mode, "%s", sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        if (strcmp(mode, "wal") != 0 || sqlite3_db_readonly(s->db, "main")) {
            snprintf(err, errlen, "database %s: cannot %s for writing: %s",
                     path, exists ? "open" : "create",
                     sqlite3_db_readonly(s->db, "main")
                         ? "file or directory not writable"
                         : sqlite3_errmsg(s->db));
            goto cleanup;
        }
        /* temp_store = MEMORY keeps put_run's savepoint journal off disk
         * (it otherwise spills one page write per inserted row).  Foreign
         * keys go on after the schema: a migration that rebuilds a table
         * needs them off (a no-op inside its transaction), else dropping
         * the old runs would cascade to their children (store_schema.c). */
        if (dln_store_exec(s, "PRAGMA synchronous = NORMAL;"
                              "PRAGMA temp_store = MEMORY;"
                              "PRAGMA foreign_keys = OFF") ||
            install_schema(s) ||
            dln_store_exec(s, "PRAGMA foreign_keys = ON")) {
            snprintf(err, errlen, "%s", s->msg);
            rc = strstr(s->msg, "views.sql") ? 1 : 2;
            goto cleanup;
        }
    } else if (fresh) {
        snprintf(err, errlen, "database %s: not a dlnsweep database (no "
                 "schema)", path);
        goto cleanup;
    } else if (dln_store_members_compat(s)) {
        snprintf(err, errlen, "%s", s->msg);
        goto cleanup;
    }
    *out = s;
    return 0;
cleanup:
    dln_store_destroy(&s);
    if (!exists && !ro)
        remove_created(path);
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
    if (s->db && !s->readonly)
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
    s->in_batch = 0;
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_COMMIT, "COMMIT");
    if (st && !dln_store_step_done(s, st))
        return 0;
    s->in_batch = !sqlite3_get_autocommit(s->db);   /* retry possible */
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
