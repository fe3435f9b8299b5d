/* sweep_lease.c — a sweep's admission to its database: read-only checks,
 * the writer lease (with take-over from a dead holder) and registration.
 * See sweep_lease.h. */
#define _POSIX_C_SOURCE 200809L   /* getpid */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "dlnsweep/jobspec.h"
#include "sweep_lease.h"
#include "sweep_queue.h"

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Owner text of this process's lease: "slurm:JOB@host:pid" or "host:pid". */
static void lease_owner(char *buf, size_t len, const char *host)
{
    const char *job = getenv("SLURM_JOB_ID");
    if (job && *job)
        snprintf(buf, len, "slurm:%s@%s:%ld", job, host, (long)getpid());
    else
        snprintf(buf, len, "%s:%ld", host, (long)getpid());
}

/* A task of this shard whose key db holds with other parameters (a
 * cell-hash collision) refuses the sweep here, before any write: the same
 * lookups as dln_queue_fill's, on the read-only handle.  Skipped when
 * every stored run belongs to this sweep under an unchanged spec (sweep_id
 * > 0: its rows were compared with its tasks when it claimed them), the
 * common resume.  0, or 2 (or 1) with msg. */
static int precheck_collisions(const dln_sweep *s, dln_store *db,
                               long sweep_id, char *msg, size_t len)
{
    dln_queue small = {0}, wide = {0};
    long total, done;
    if (sweep_id > 0 && dln_store_has_foreign_runs(db, sweep_id) == 0)
        return 0;
    int rc = dln_queue_fill(&small, &wide, s->job, db, s->opt.shard_index,
                            s->opt.shard_count, 0, NULL, &total, &done, msg,
                            len);
    dln_queue_clear(&small);
    dln_queue_clear(&wide);
    return rc;
}

/* Read-only checks of an existing DB before opening it for writing, so a
 * refused resume (changed job file, live writer, a cell-hash collision)
 * leaves it byte-identical.
 * Returns 0 or 2 with msg; *takeover = 1 if the lease holder is dead. */
static int precheck(const dln_sweep *s, const char *owner, int *takeover,
                    char *msg, size_t len)
{
    const char *name = dln_jobspec_name(s->job);
    dln_store *db = NULL;
    dln_store_sweep_info *sw = NULL;
    dln_store_lease_info lease;
    char hex[DLN_HASH_HEX];
    int n = 0, rc = 0;
    long same_spec = 0;   /* id of this sweep when its spec is unchanged */
    *takeover = 0;
    if (!file_exists(s->db_path))
        return 0;
    /* A file the store cannot read is reported by the writable open. */
    if (dln_store_create(s->db_path, DLN_STORE_READONLY | DLN_STORE_NOCREATE,
                         &db, msg, len))
        return 0;
    snprintf(hex, sizeof hex, "%016llx",
             (unsigned long long)dln_jobspec_hash(s->job));
    if (dln_store_sweeps_list(db, &sw, &n) == 0) {
        for (int i = 0; i < n; i++) {
            if (strcmp(sw[i].name, name) != 0)
                continue;
            if (!strcmp(sw[i].spec_hash, hex)) {
                same_spec = sw[i].id;
            } else if (!s->opt.allow_change) {
                snprintf(msg, len, "database %.900s: sweep '%.255s' was "
                         "registered from a different job file (spec hash "
                         "%s, now %s); use --force to continue it with the "
                         "changed file",
                         s->db_path, name, sw[i].spec_hash, hex);
                rc = 2;
                goto cleanup;
            }
        }
    }
    if (dln_store_lease_get(db, &lease) == 0 && lease.held &&
        strcmp(lease.owner, owner) != 0) {
        double age = (double)time(NULL) - lease.heartbeat;
        if (dln_store_lease_holder_gone(&lease))   /* pid gone or reused */
            *takeover = 1;
        else if (age < s->opt.lease_stale_s) {
            snprintf(msg, len, "database %.900s is being written by %.255s "
                     "(host %s, pid %ld), last heartbeat %.0fs ago; wait "
                     "for it to finish or stop it", s->db_path, lease.owner,
                     lease.host[0] ? lease.host : "?", lease.pid, age);
            rc = 2;
        }
    }
    if (rc == 0)
        rc = precheck_collisions(s, db, same_spec, msg, len);
cleanup:
    free(sw);
    dln_store_destroy(&db);
    return rc;
}

int dln_sweep_lease_acquire(const dln_sweep *s, dln_sweep_lease *l,
                            dln_store **db, long *sweep_id, char *msg,
                            size_t len)
{
    const dln_jobspec *j = s->job;
    int rc, takeover = 0;
    *db = NULL;
    l->held = 0;
    lease_owner(l->owner, sizeof l->owner, s->host);
    if ((rc = precheck(s, l->owner, &takeover, msg, len)))
        return rc;
    if ((rc = dln_store_create(s->db_path, 0, db, msg, len)))
        return rc;
    if ((rc = dln_store_lease_acquire(*db, l->owner,
                                      takeover ? 0.0 : s->opt.lease_stale_s,
                                      msg, len)))
        goto fail;
    l->held = 1;
    if ((rc = dln_store_register_sweep(*db, dln_jobspec_name(j),
                                       dln_jobspec_canonical(j),
                                       dln_jobspec_hash(j),
                                       dln_jobspec_ntasks(j),
                                       s->opt.allow_change, sweep_id, msg,
                                       len)))
        goto fail;
    return 0;
fail:
    dln_store_commit(*db);
    dln_sweep_lease_release(l, *db);
    dln_store_destroy(db);
    return rc;
}

int dln_sweep_lease_release(dln_sweep_lease *l, dln_store *db)
{
    if (!l->held)
        return 0;
    if (dln_store_lease_release(db, l->owner) != 0)
        return 1;
    l->held = 0;
    return 0;
}
