/* store_file.c — the database file before a handle uses it: classifying
 * it without modifying it (probe), rolling back a hot journal a crash
 * left, creating a new file atomically, and checking integrity. */
#define _GNU_SOURCE               /* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dlnsweep/testhook.h"
#include "store_internal.h"

static unsigned be16(const unsigned char *b) { return (unsigned)b[0] << 8 | b[1]; }
static unsigned long be32(const unsigned char *b)
{
    return (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 |
           (unsigned long)b[2] << 8 | b[3];
}

/* Query one integer from a probe connection; -1 on error. */
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

/* The first up to 100 bytes of path into hdr; bytes read, -1 on error. */
static long read_header(const char *path, unsigned char hdr[100])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t got = fread(hdr, 1, 100, f);
    fclose(f);
    return (long)got;
}

/* 1 if a header of got bytes is SQLite's with another application's id
 * (PRAGMA application_id, bytes 68..71). */
static int foreign_header(const unsigned char *hdr, long got)
{
    unsigned long app;
    if (got < 100 || memcmp(hdr, "SQLite format 3", 16) != 0)
        return 0;
    app = be32(hdr + 68);
    return app != 0 && app != DLN_STORE_APP_ID;
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
    if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode) && stat(path, &sb) != 0 &&
        errno == ENOENT) {
        snprintf(err, errlen, "database %s: a symbolic link to a missing file "
                 "(refusing to create a database through it)", path);
        return 2;
    }
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
    long got = read_header(path, hdr);
    if (got < 0) {
        snprintf(err, errlen, "database %s: cannot read: %s", path,
                 strerror(errno));
        return 2;
    }
    if (got < 100 || memcmp(hdr, "SQLite format 3", 16) != 0) {
        snprintf(err, errlen, "database %s: not an SQLite database "
                 "(refusing to touch it)", path);
        return 2;
    }
    if (foreign_header(hdr, got)) {
        snprintf(err, errlen, "database %s: an SQLite database with a "
                 "foreign schema, not a dlnsweep database (refusing to "
                 "touch it)", path);
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
        int ec = sqlite3_errcode(db) & 0xff;
        snprintf(err, errlen, "database %s: %s: %s", path,
                 ec == SQLITE_CORRUPT || ec == SQLITE_NOTADB
                     ? "damaged (its schema cannot be read; it was not "
                       "modified)" : "unreadable SQLite file",
                 sqlite3_errmsg(db));
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

int dln_store_recover_journal(const char *path, char *err, size_t errlen)
{
    char journal[PATH_MAX + 16];
    unsigned char hdr[100];
    struct stat sb;
    sqlite3 *db = NULL;
    int rc = 0;
    if ((size_t)snprintf(journal, sizeof journal, "%s-journal", path) >=
            sizeof journal ||
        stat(journal, &sb) != 0 || sb.st_size == 0 || stat(path, &sb) != 0 ||
        !S_ISREG(sb.st_mode))
        return 0;
    static const unsigned char magic[8] = {0xd9, 0xd5, 0x05, 0xf9,
                                           0x20, 0xa1, 0x63, 0xd7};
    unsigned char jhdr[8];
    FILE *f = fopen(journal, "rb");
    size_t jgot = f ? fread(jhdr, 1, sizeof jhdr, f) : 0;
    if (f)
        fclose(f);
    long got = read_header(path, hdr);
    /* Only SQLite's own journal, and not beside another application's
     * database (the probe refuses that); the main file itself may be
     * half-written (a crash while creating it). */
    if (jgot != sizeof jhdr || memcmp(jhdr, magic, sizeof magic) != 0 ||
        got < 0 || foreign_header(hdr, got))
        return 0;
    /* A read through a read-write connection rolls a hot journal back (a
     * live writer's journal is not hot: SQLite checks its lock). */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        (sqlite3_busy_timeout(db, 10000),
         probe_int(db, "SELECT count(*) FROM sqlite_master") < 0)) {
        snprintf(err, errlen, "database %s: a crash left a hot journal "
                 "(%s) that cannot be rolled back: %s", path, journal,
                 db ? sqlite3_errmsg(db) : "out of memory");
        rc = 2;
    }
    sqlite3_close(db);
    return rc;
}

int dln_store_integrity(sqlite3 *db, const char *path, char *err,
                        size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = 1, step;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) !=
        SQLITE_OK)
        step = sqlite3_errcode(db);
    else
        step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(st, 0);
        if (r && !strcmp(r, "ok")) {
            rc = 0;
        } else {
            char first[200];
            const char *p = r ? r : "?";
            if (!strncmp(p, "*** in database main ***", 24))
                p += 24;
            p += strspn(p, " \n");
            snprintf(first, sizeof first, "%s", p);
            for (char *c = first; *c; c++)      /* one line */
                if (*c == '\n' || *c == '\r')
                    *c = ' ';
            snprintf(err, errlen, "database %s is damaged (PRAGMA "
                     "quick_check: %s); it was not modified: restore it "
                     "from a snapshot or rescue its rows with `sqlite3 %s "
                     ".recover`", path, first, path);
            rc = 2;
        }
    } else if ((step & 0xff) == SQLITE_CORRUPT ||
               (step & 0xff) == SQLITE_NOTADB) {
        snprintf(err, errlen, "database %s is damaged (%s); it was not "
                 "modified: restore it from a snapshot or rescue its rows "
                 "with `sqlite3 %s .recover`", path, sqlite3_errmsg(db),
                 path);
        rc = 2;
    } else {
        snprintf(err, errlen, "database %s: integrity check failed: %s",
                 path, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return rc;
}

/* Make the directory entry of path durable (best effort). */
static void sync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Put the complete file tmp at path unless path exists: 0, -1 if it
 * exists, or an errno. */
static int link_into_place(const char *tmp, const char *path)
{
    if (link(tmp, path) == 0)
        return 0;
    if (errno == EEXIST)
        return -1;
    if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP)
        return errno;
    /* No hard links on this filesystem: rename without replacing. */
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    return errno == EEXIST ? -1 : errno;
}

int dln_store_create_file(const char *path, char *err, size_t errlen)
{
    dln_store tmp_store;
    char tmp[PATH_MAX + 32];
    int rc = 1;
    memset(&tmp_store, 0, sizeof tmp_store);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.creating-%ld", path,
                         (long)getpid()) >= sizeof tmp) {
        snprintf(err, errlen, "database %s: path too long", path);
        return 2;
    }
    unlink(tmp);
    tmp_store.path = (char *)path;      /* messages name the real path */
    if (sqlite3_open_v2(tmp, &tmp_store.db, SQLITE_OPEN_READWRITE |
                        SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "database %s: cannot create: %s", path,
                 tmp_store.db ? sqlite3_errmsg(tmp_store.db)
                              : "out of memory");
        rc = 2;
        goto cleanup;
    }
    sqlite3_busy_timeout(tmp_store.db, 10000);
    dln_test_hook("store-create-tmp");
    tmp_store.schema_pending = 1;
    rc = dln_store_install(&tmp_store);
    for (int i = 0; i < DLN_ST_N; i++)
        sqlite3_finalize(tmp_store.st[i]);
    if (rc != 0) {
        snprintf(err, errlen, "%s", tmp_store.msg);
        goto cleanup;
    }
    rc = 1;
    if (sqlite3_close(tmp_store.db) != SQLITE_OK) {
        tmp_store.db = NULL;
        snprintf(err, errlen, "database %s: cannot finish creating it",
                 path);
        goto cleanup;
    }
    tmp_store.db = NULL;
    dln_test_hook("store-create-link");
    int lk = link_into_place(tmp, path);
    if (lk > 0) {
        snprintf(err, errlen, "database %s: cannot create: %s", path,
                 strerror(lk));
        rc = 2;
        goto cleanup;
    }
    sync_dir_of(path);
    rc = lk;                            /* 0, or -1: another creator won */
cleanup:
    sqlite3_close(tmp_store.db);
    unlink(tmp);
    for (int i = 0; i < 3; i++) {
        static const char *const suffix[] = {"-wal", "-shm", "-journal"};
        char comp[PATH_MAX + 48];
        snprintf(comp, sizeof comp, "%s%s", tmp, suffix[i]);
        unlink(comp);
    }
    return rc;
}
