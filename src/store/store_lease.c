/* store_lease.c — the single-writer lease: one row naming the process that
 * writes the database, refreshed by heartbeats, taken over when its holder
 * is certainly gone or silent for too long. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store_internal.h"

/* "BOOT_ID/START_TICKS" of process pid into buf ("" when unknown): the
 * pair names one process for the life of the host, unlike the pid. */
static void process_start(long pid, char *buf, size_t len)
{
    char path[64], stat[1024], boot[64] = "";
    FILE *f;
    buf[0] = '\0';
    if ((f = fopen("/proc/sys/kernel/random/boot_id", "r"))) {
        if (!fgets(boot, sizeof boot, f))
            boot[0] = '\0';
        fclose(f);
        boot[strcspn(boot, "\n")] = '\0';
    }
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (!(f = fopen(path, "r")))
        return;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    /* Field 22 (starttime), counted from the state, field 3, after the
     * last ')' of the command name. */
    const char *p = strrchr(stat, ')');
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (p)
        snprintf(buf, len, "%s/%ld", boot, strtol(p + 1, NULL, 10));
}

/* 1 if process pid of this host no longer runs (gone, or a zombie that
 * nobody reaped: containers often have no init that reaps orphans). */
static int process_gone(long pid)
{
    char path[64], buf[512];
    FILE *f;
    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (!(f = fopen(path, "r")))
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');   /* state follows "(comm) " */
    return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

int dln_store_lease_holder_gone(const dln_store_lease_info *l)
{
    char host[64] = "";
    const char *job = getenv("SLURM_JOB_ID");
    const char *restarts = getenv("SLURM_RESTART_COUNT");
    if (!l->held)
        return 0;
    if (gethostname(host, sizeof host) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    if (host[0] && !strcmp(l->host, host) && l->pid > 0) {
        char now[64];
        if (l->pid != (long)getpid() && process_gone(l->pid))
            return 1;
        process_start(l->pid, now, sizeof now);
        if (l->pid_start[0] && now[0] && strcmp(now, l->pid_start) != 0)
            return 1;                /* the pid was reused since */
    }
    return job && *job && !strcmp(l->slurm_job_id, job) && restarts &&
           atoi(restarts) > 0;
}

/* Read the lease row (inside or outside a transaction; by column name, so
 * that files of older schema versions read too).  A file without a lease
 * table (a new file before its first write) has no lease. */
static int lease_read(dln_store *s, dln_store_lease_info *info)
{
    sqlite3_stmt *st = NULL;
    int rc;
    memset(info, 0, sizeof *info);
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master WHERE "
                           "type = 'table' AND name = 'lease'", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return dln_store_fail(s, "read lease");
    }
    rc = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc == 0)
        return 0;
    if (sqlite3_prepare_v2(s->db, "SELECT * FROM lease WHERE id = 1", -1,
                           &st, NULL) != SQLITE_OK)
        return dln_store_fail(s, "read lease");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        info->held = 1;
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *name = sqlite3_column_name(st, c);
            const char *t = (const char *)sqlite3_column_text(st, c);
            t = t ? t : "";
            if (!strcmp(name, "owner"))
                snprintf(info->owner, sizeof info->owner, "%s", t);
            else if (!strcmp(name, "host"))
                snprintf(info->host, sizeof info->host, "%s", t);
            else if (!strcmp(name, "pid"))
                info->pid = (long)sqlite3_column_int64(st, c);
            else if (!strcmp(name, "slurm_job_id"))
                snprintf(info->slurm_job_id, sizeof info->slurm_job_id, "%s",
                         t);
            else if (!strcmp(name, "acquired_at"))
                info->acquired_at = sqlite3_column_double(st, c);
            else if (!strcmp(name, "heartbeat"))
                info->heartbeat = sqlite3_column_double(st, c);
            else if (!strcmp(name, "pid_start"))
                snprintf(info->pid_start, sizeof info->pid_start, "%s", t);
        }
    } else if (rc != SQLITE_DONE) {
        dln_store_fail(s, "read lease");
        sqlite3_finalize(st);
        return 1;
    }
    sqlite3_finalize(st);
    return 0;
}

int dln_store_lease_get(dln_store *s, dln_store_lease_info *info)
{
    return lease_read(s, info);
}

/* 2 with s->msg if cur keeps owner out (a live lease of another), else 0. */
static int lease_blocks(dln_store *s, const dln_store_lease_info *cur,
                        const char *owner, double stale_s)
{
    double age = dln_store_now() - cur->heartbeat;
    if (!cur->held || !strcmp(cur->owner, owner) || age >= stale_s ||
        dln_store_lease_holder_gone(cur))
        return 0;
    snprintf(s->msg, sizeof s->msg, "database %s is being written by %s "
             "(host %s, pid %ld, slurm job %s), last heartbeat %.0fs ago",
             s->path, cur->owner, cur->host[0] ? cur->host : "?", cur->pid,
             cur->slurm_job_id[0] ? cur->slurm_job_id : "none", age);
    return 2;
}

int dln_store_lease_acquire(dln_store *s, const char *owner, double stale_s,
                            char *err, size_t errlen)
{
    dln_store_lease_info cur;
    char host[64] = "unknown", start[64];
    const char *job = getenv("SLURM_JOB_ID");
    int own = 0, ok = 0, rc = 1;
    /* Refuse before anything is written: first a plain read (no write
     * lock, no WAL switch), then the same check under the write lock, and
     * only then the schema (dln_store_create wrote nothing) and the row. */
    if (lease_read(s, &cur) || (rc = lease_blocks(s, &cur, owner, stale_s))) {
        snprintf(err, errlen, "%s", s->msg);
        return rc ? rc : 1;
    }
    if (dln_store_txn_begin_bare(s, &own)) {
        snprintf(err, errlen, "%s", s->msg);
        return 1;
    }
    rc = 1;
    if (lease_read(s, &cur))
        goto done;
    if ((rc = lease_blocks(s, &cur, owner, stale_s)) ||
        (rc = dln_store_schema_ensure(s)))
        goto done;
    rc = 1;
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    process_start((long)getpid(), start, sizeof start);
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_LEASE_PUT,
                                      "INSERT OR REPLACE INTO lease(id, owner,"
                                      " host, pid, slurm_job_id, acquired_at,"
                                      " heartbeat, pid_start) VALUES (1,?1,?2,"
                                      "?3,?4,?5,?5,?6)");
    if (!st)
        goto done;
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)getpid());
    if (job && *job)
        sqlite3_bind_text(st, 4, job, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_double(st, 5, dln_store_now());
    if (start[0])
        sqlite3_bind_text(st, 6, start, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 6);
    if (dln_store_step_done(s, st))
        goto done;
    ok = 1;
done:
    if (dln_store_txn_end(s, own, ok) || !ok) {
        snprintf(err, errlen, "%s", s->msg);
        return ok ? 1 : rc;
    }
    return 0;
}

int dln_store_lease_heartbeat(dln_store *s, const char *owner)
{
    int own, ok = 0;
    if (dln_store_txn_begin(s, &own))
        return 1;
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_LEASE_BEAT,
                                      "UPDATE lease SET heartbeat = ?2 WHERE "
                                      "id = 1 AND owner = ?1");
    if (st) {
        sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 2, dln_store_now());
        ok = !dln_store_step_done(s, st);
    }
    int lost = ok && sqlite3_changes(s->db) == 0;
    if (dln_store_txn_end(s, own, ok))
        return 1;
    if (lost) {
        snprintf(s->msg, sizeof s->msg, "database %s: lease of %s was lost "
                 "(taken over or released)", s->path, owner);
        return 2;
    }
    return 0;
}

int dln_store_lease_release(dln_store *s, const char *owner)
{
    int own, ok = 0;
    if (dln_store_txn_begin(s, &own))
        return 1;
    sqlite3_stmt *st = dln_store_stmt(s, DLN_ST_LEASE_DROP,
                                      "DELETE FROM lease WHERE id = 1 AND "
                                      "owner = ?1");
    if (st) {
        sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT);
        ok = !dln_store_step_done(s, st);
    }
    return dln_store_txn_end(s, own, ok);
}
