/* store_copy.c — copies between databases: consistent snapshots (backup
 * API) and merging shard databases (Slurm array mode). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dlnsweep/strbuf.h"
#include "dlnsweep/testhook.h"
#include "store_internal.h"

#define BACKUP_PAGES 1024      /* pages copied per backup step */

int dln_store_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* 0 if the existing dlnsweep DB dest may be replaced by a snapshot: it is
 * one itself (rollback journal, no lease).  A working database is not:
 * replacing it under a writer (or beside its WAL) corrupts it, and
 * replacing a finished one throws its results away.  2 with err. */
static int replaceable(const char *dest, char *err, size_t errlen)
{
    unsigned char hdr[20];
    char why[320] = "", wal[4200];
    struct stat sb;
    dln_store *d = NULL;
    dln_store_lease_info lease;
    FILE *f = fopen(dest, "rb");
    if (f && fread(hdr, 1, sizeof hdr, f) == sizeof hdr &&
        (hdr[18] == 2 || hdr[19] == 2))
        snprintf(why, sizeof why, "it is in WAL mode");
    if (f)
        fclose(f);
    snprintf(wal, sizeof wal, "%s-wal", dest);
    if (!why[0] && stat(wal, &sb) == 0)
        snprintf(why, sizeof why, "it has a write-ahead log");
    if (!why[0] && dln_store_create(dest, DLN_STORE_READONLY, &d, err,
                                    errlen) == 0 &&
        dln_store_lease_get(d, &lease) == 0 && lease.held)
        snprintf(why, sizeof why, "it has a writer lease (%.255s)",
                 lease.owner);
    dln_store_destroy(&d);
    if (!why[0])
        return 0;
    snprintf(err, errlen, "snapshot: refusing to replace %s: it is a working "
             "database, not a snapshot (%s); choose another output", dest,
             why);
    return 2;
}

int dln_store_snapshot(dln_store *s, const char *dest, char *err,
                       size_t errlen)
{
    sqlite3 *d = NULL;
    sqlite3_backup *b = NULL;
    char *tmp = NULL;
    int rc = 1, fresh, exists, in_read = 0;
    if (s->in_batch && dln_store_commit(s)) {
        snprintf(err, errlen, "%s", s->msg);
        return 1;
    }
    if (dln_store_same_file(s->path, dest)) {
        snprintf(err, errlen, "snapshot: %s is the database %s itself",
                 dest, s->path);
        return 2;
    }
    if (dln_store_probe(dest, 0, &fresh, &exists, err, errlen)) {
        char m[512];
        snprintf(m, sizeof m, "%s", err);
        snprintf(err, errlen, "snapshot: refusing to replace %s (%s)", dest,
                 m);
        return 2;
    }
    if (exists && fresh) {
        snprintf(err, errlen, "snapshot: refusing to replace %s (exists and "
                 "is not a dlnsweep database)", dest);
        return 2;
    }
    if (exists && replaceable(dest, err, errlen))
        return 2;
    size_t n = strlen(dest) + 32;
    if (!(tmp = malloc(n))) {
        snprintf(err, errlen, "snapshot %s: out of memory", dest);
        return 1;
    }
    snprintf(tmp, n, "%s.tmp-%ld", dest, (long)getpid());
    unlink(tmp);
    if (sqlite3_open_v2(tmp, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "snapshot: cannot create %s: %s", tmp,
                 d ? sqlite3_errmsg(d) : "out of memory");
        rc = 2;
        goto cleanup;
    }
    /* One read transaction on the source for the whole copy: the chunks
     * see one consistent state while a writer goes on (WAL). */
    if (dln_store_exec(s, "BEGIN; SELECT count(*) FROM sqlite_master")) {
        snprintf(err, errlen, "snapshot: %s", s->msg);
        goto cleanup;
    }
    in_read = 1;
    if (!(b = sqlite3_backup_init(d, "main", s->db, "main"))) {
        snprintf(err, errlen, "snapshot %s: %s", dest, sqlite3_errmsg(d));
        goto cleanup;
    }
    int step, tries = 0;
    while ((step = sqlite3_backup_step(b, BACKUP_PAGES)) != SQLITE_DONE) {
        if ((step == SQLITE_BUSY || step == SQLITE_LOCKED) && ++tries < 500) {
            sqlite3_sleep(20);
            continue;
        }
        if (step != SQLITE_OK) {
            snprintf(err, errlen, "snapshot %s: %s", dest, sqlite3_errstr(step));
            goto cleanup;
        }
    }
    if (sqlite3_backup_finish(b) != SQLITE_OK) {
        b = NULL;
        snprintf(err, errlen, "snapshot %s: %s", dest, sqlite3_errmsg(d));
        goto cleanup;
    }
    b = NULL;
    /* A damaged source gives a damaged copy: refuse it. */
    if ((rc = dln_store_integrity(d, s->path, err, errlen)) != 0)
        goto cleanup;
    rc = 1;
    /* The copied header says WAL; make the snapshot one self-contained
     * file, written by nobody (no lease). */
    char *emsg = NULL;
    if (sqlite3_exec(d, "PRAGMA journal_mode = DELETE; DELETE FROM lease",
                     NULL, NULL, &emsg) !=
        SQLITE_OK) {
        snprintf(err, errlen, "snapshot %s: %s", dest, emsg ? emsg : "?");
        sqlite3_free(emsg);
        goto cleanup;
    }
    if (sqlite3_close(d) != SQLITE_OK) {
        snprintf(err, errlen, "snapshot %s: close failed", dest);
        goto cleanup;
    }
    d = NULL;
    dln_test_hook("snapshot-copy");
    if (rename(tmp, dest) != 0) {
        snprintf(err, errlen, "snapshot: cannot rename %s to %s", tmp, dest);
        rc = 2;
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (b)
        sqlite3_backup_finish(b);
    if (in_read)
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(d);
    if (rc && tmp)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* "file:PATH?mode=ro" with the URI-special characters of PATH escaped
 * (sqlite3_free the result). */
static char *readonly_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = sqlite3_malloc64(3 * n + 16), *w = u;
    if (!u)
        return NULL;
    w += sprintf(w, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            w += sprintf(w, "%%%02X", (unsigned char)*p);
        else
            *w++ = *p;
    }
    strcpy(w, "?mode=ro");
    return u;
}

/* Map every sweep of src into main (by name) into temp.merge_sweeps. */
static int merge_sweeps(dln_store *s, int *user_error)
{
    sqlite3_stmt *q = NULL, *find = NULL, *ins = NULL, *upd = NULL,
                 *map = NULL;
    int rc = 1, step;
    *user_error = 0;
    if (dln_store_exec(s, "CREATE TEMP TABLE merge_sweeps(old INTEGER "
                          "PRIMARY KEY, new INTEGER NOT NULL)"))
        return 1;
    if (sqlite3_prepare_v2(s->db, "SELECT id, name, spec_hash, spec_text, "
                           "ntasks, created_at, updated_at FROM src.sweeps "
                           "ORDER BY id", -1, &q, NULL) ||
        sqlite3_prepare_v2(s->db, "SELECT id, spec_hash FROM main.sweeps "
                           "WHERE name = ?1", -1, &find, NULL) ||
        sqlite3_prepare_v2(s->db, "INSERT INTO main.sweeps(name, spec_hash, "
                           "spec_text, ntasks, created_at, updated_at) "
                           "VALUES (?1,?2,?3,?4,?5,?6)", -1, &ins, NULL) ||
        sqlite3_prepare_v2(s->db, "UPDATE main.sweeps SET ntasks = "
                           "max(ntasks, ?2) WHERE id = ?1", -1, &upd, NULL) ||
        sqlite3_prepare_v2(s->db, "INSERT INTO temp.merge_sweeps(old, new) "
                           "VALUES (?1, ?2)", -1, &map, NULL)) {
        dln_store_fail(s, "merge sweeps");
        goto cleanup;
    }
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        sqlite3_int64 old = sqlite3_column_int64(q, 0), id;
        const char *name = (const char *)sqlite3_column_text(q, 1);
        const char *hash = (const char *)sqlite3_column_text(q, 2);
        sqlite3_bind_text(find, 1, name, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(find) == SQLITE_ROW) {
            const char *h = (const char *)sqlite3_column_text(find, 1);
            if (!h || !hash || strcmp(h, hash)) {
                snprintf(s->msg, sizeof s->msg, "sweep '%s' differs between "
                         "%s (spec hash %s) and the merged input (spec hash "
                         "%s)", name ? name : "", s->path, h ? h : "?",
                         hash ? hash : "?");
                *user_error = 1;
                goto cleanup;
            }
            id = sqlite3_column_int64(find, 0);
            sqlite3_bind_int64(upd, 1, id);
            sqlite3_bind_int64(upd, 2, sqlite3_column_int64(q, 4));
            if (dln_store_step_done(s, upd))
                goto cleanup;
        } else {
            for (int c = 1; c <= 6; c++)
                sqlite3_bind_value(ins, c, sqlite3_column_value(q, c));
            if (dln_store_step_done(s, ins))
                goto cleanup;
            id = sqlite3_last_insert_rowid(s->db);
        }
        sqlite3_reset(find);
        sqlite3_bind_int64(map, 1, old);
        sqlite3_bind_int64(map, 2, id);
        if (dln_store_step_done(s, map))
            goto cleanup;
    }
    if (step != SQLITE_DONE) {
        dln_store_fail(s, "read input sweeps");
        goto cleanup;
    }
    rc = 0;
cleanup:
    sqlite3_finalize(q);
    sqlite3_finalize(find);
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    sqlite3_finalize(map);
    return rc;
}

/* 1 if src's table (bound to q's ?1) has column name (an older shard
 * lacks the columns added since), 0 if not, -1 on error. */
static int src_has_column(sqlite3_stmt *q, const char *table,
                          const char *name)
{
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, table, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, name, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(q);
    return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
}

/* Append ",<alias>.col" for each column src's table has, ",NULL" for
 * the others, to sql. 0, or 1 on error. */
static int select_list(sqlite3_stmt *q, const char *table, const char *alias,
                       const char *const *cols, int ncols, dln_strbuf *sql)
{
    for (int i = 0; i < ncols; i++) {
        int has = src_has_column(q, table, cols[i]);
        if (has < 0)
            return 1;
        if (has)
            dln_strbuf_appendf(sql, ",%s.%s", alias, cols[i]);
        else
            dln_strbuf_append(sql, ",NULL");
    }
    return sql->oom;
}

/* The children of a run and their columns past run_id. */
static const char *const traj_cols[] = {
    "step", "loss", "sharpness", "sv1", "sv2", "balance_gap",
    "offdiag_mass", "n_oscillating"};
static const char *const point_cols[] = {
    "step", "modes", "sv", "hessian", "layer_sv", "balance_gaps",
    "mode_gaps"};
static const char *const orbit_cols[] = {
    "k", "sv1", "loss", "step", "modes", "sv", "hessian", "layer_sv",
    "balance_gaps", "mode_gaps"};
static const char *const spectrum_cols[] = {"k", "value"};
static const struct child {
    const char *table;
    const char *const *cols;
    int ncols;
} children[] = {
    {"trajectories", traj_cols, sizeof traj_cols / sizeof *traj_cols},
    {"orbits", orbit_cols, sizeof orbit_cols / sizeof *orbit_cols},
    {"hessian_spectra", spectrum_cols,
     sizeof spectrum_cols / sizeof *spectrum_cols},
    {"point_details", point_cols, sizeof point_cols / sizeof *point_cols}};

/* Copy the runs listed in temp.merge_runs and their children (columns an
 * older source lacks are NULL, as a migration leaves them); the new rows
 * get fresh ids (dln_store_next_run_id), in the order of the old. */
static int merge_runs(dln_store *s)
{
    dln_strbuf sql = DLN_STRBUF_INIT;
    const char *cols[DLN_STORE_MAX_RUN_COLUMNS];
    int ncols = dln_store_run_columns(cols, DLN_STORE_MAX_RUN_COLUMNS);
    int rc = 1;
    sqlite3_int64 base;
    sqlite3_stmt *q = NULL;
    if (ncols < 1 || dln_store_next_run_id(s, &base) ||
        sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info(?1, "
                           "'src') WHERE name = ?2", -1, &q, NULL)) {
        dln_store_fail(s, "merge runs");
        goto cleanup;
    }
    dln_strbuf_append(&sql, "INSERT INTO main.runs(id");
    for (int i = 0; i < ncols; i++)
        dln_strbuf_appendf(&sql, ",%s", cols[i]);
    dln_strbuf_appendf(&sql, ") SELECT %lld + row_number() OVER (ORDER BY "
                       "r.id), (SELECT new FROM temp.merge_sweeps WHERE old "
                       "= r.sweep_id)", (long long)base - 1);
    if (select_list(q, "runs", "r", cols + 1, ncols - 1, &sql)) {
        dln_store_fail(s, "read input columns");
        goto cleanup;
    }
    dln_strbuf_append(&sql, " FROM src.runs r JOIN temp.merge_runs k ON "
                      "k.old_id = r.id ORDER BY r.id");
    if (sql.oom) {
        dln_store_fail(s, "merge runs");
        goto cleanup;
    }
    if (dln_store_exec(s, sql.p))
        goto cleanup;
    s->next_run_id = 0;          /* past the copied ids: look it up again */
    for (size_t c = 0; c < sizeof children / sizeof *children; c++) {
        const struct child *ch = &children[c];
        int has = src_has_column(q, ch->table, "run_id");
        if (has < 0) {
            dln_store_fail(s, "read input columns");
            goto cleanup;
        }
        if (!has)   /* a table younger than the shard */
            continue;
        dln_strbuf_free(&sql);
        dln_strbuf_appendf(&sql, "INSERT INTO main.%s(run_id", ch->table);
        for (int i = 0; i < ch->ncols; i++)
            dln_strbuf_appendf(&sql, ",%s", ch->cols[i]);
        dln_strbuf_append(&sql, ") SELECT m.id");
        if (select_list(q, ch->table, "t", ch->cols, ch->ncols, &sql)) {
            dln_store_fail(s, "read input columns");
            goto cleanup;
        }
        dln_strbuf_appendf(&sql, " FROM temp.merge_runs k JOIN src.runs r"
                           " ON r.id = k.old_id JOIN main.runs m ON "
                           "m.cell_hash = r.cell_hash AND m.seed_index = "
                           "r.seed_index JOIN src.%s t ON t.run_id = r.id",
                           ch->table);
        if (sql.oom) {
            dln_store_fail(s, "merge runs");
            goto cleanup;
        }
        if (dln_store_exec(s, sql.p))
            goto cleanup;
    }
    rc = 0;
cleanup:
    sqlite3_finalize(q);
    dln_strbuf_free(&sql);
    return rc;
}

static long long count_of(dln_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int dln_store_merge(dln_store *s, const char *src_path, long *copied,
                    long *skipped, char *err, size_t errlen)
{
    int fresh, exists, rc = 1, attached = 0, own = 0, ok = 0, user = 0;
    char *uri = NULL;
    sqlite3_stmt *st = NULL;
    if (copied) *copied = 0;
    if (skipped) *skipped = 0;
    if (s->readonly) {
        snprintf(err, errlen, "merge: %s is opened read-only", s->path);
        return 2;
    }
    if (dln_store_same_file(src_path, s->path)) {
        snprintf(err, errlen, "merge: input %s is the output database %s",
                 src_path, s->path);
        return 2;
    }
    if (dln_store_probe(src_path, 1, &fresh, &exists, err, errlen))
        return 2;
    if (fresh) {
        snprintf(err, errlen, "merge: %s is not a dlnsweep database (no "
                 "schema)", src_path);
        return 2;
    }
    if (s->in_batch && dln_store_commit(s)) {
        snprintf(err, errlen, "%s", s->msg);
        return 1;
    }
    if (!(uri = readonly_uri(src_path)))
        goto cleanup;
    if (sqlite3_prepare_v2(s->db, "ATTACH DATABASE ?1 AS src", -1, &st,
                           NULL) != SQLITE_OK) {
        dln_store_fail(s, "attach");
        goto cleanup;
    }
    sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) {
        snprintf(s->msg, sizeof s->msg, "merge: cannot attach %s: %s",
                 src_path, sqlite3_errmsg(s->db));
        rc = 2;
        goto cleanup;
    }
    attached = 1;
    if (dln_store_txn_begin(s, &own))
        goto cleanup;
    if (merge_sweeps(s, &user)) {
        if (user)
            rc = 2;
        goto cleanup;
    }
    if (dln_store_exec(s, "CREATE TEMP TABLE merge_runs AS SELECT r.id AS "
                          "old_id FROM src.runs r WHERE NOT EXISTS (SELECT 1 "
                          "FROM main.runs m WHERE m.cell_hash = r.cell_hash "
                          "AND m.seed_index = r.seed_index)"))
        goto cleanup;
    long long n_new = count_of(s, "SELECT count(*) FROM temp.merge_runs");
    long long n_all = count_of(s, "SELECT count(*) FROM src.runs");
    if (n_new < 0 || n_all < 0) {
        dln_store_fail(s, "merge counts");
        goto cleanup;
    }
    if (merge_runs(s) || dln_store_merge_continuations(s) ||
        dln_store_merge_members(s))
        goto cleanup;
    if (copied) *copied = (long)n_new;
    if (skipped) *skipped = (long)(n_all - n_new);
    ok = 1;
cleanup:
    sqlite3_finalize(st);
    if (attached) {
        sqlite3_exec(s->db, "DROP TABLE IF EXISTS temp.merge_runs;"
                            "DROP TABLE IF EXISTS temp.merge_sweeps",
                     NULL, NULL, NULL);
        if (dln_store_txn_end(s, own, ok))
            ok = 0;
        sqlite3_exec(s->db, "DETACH DATABASE src", NULL, NULL, NULL);
    }
    sqlite3_free(uri);
    if (!ok) {
        if (copied) *copied = 0;
        if (skipped) *skipped = 0;
        if (!strstr(s->msg, src_path) && !strstr(s->msg, s->path))
            snprintf(err, errlen, "merge %s: %s", src_path, s->msg);
        else
            snprintf(err, errlen, "%s", s->msg);
        return rc == 0 ? 1 : rc;
    }
    return 0;
}
