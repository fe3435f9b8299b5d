/* sweep.c — the sweep handle: communicators, the wide group, and the
 * collective execute that agrees on setup errors before any work starts;
 * what a sweep would still have to run (for Slurm passes). */
#define _POSIX_C_SOURCE 200809L   /* gethostname */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dlnsweep/jobspec.h"
#include "dlnsweep/store.h"
#include "dlnsweep/testhook.h"
#include "sweep_internal.h"
#include "sweep_queue.h"
#include "sweep_refine.h"

void dln_sweep_options_defaults(dln_sweep_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->progress_every_s = 3.0;
    opt->batch_rows = 256;
    opt->batch_seconds = 2.0;
    opt->shard_count = 1;
    opt->lease_stale_s = 600.0;
    opt->lanes = DLN_SWEEP_LANES;
}

/* 1 if opt holds an impossible value (pure). */
static int options_invalid(const dln_sweep_options *opt)
{
    return !opt->db_path || strlen(opt->db_path) >= 4096 ||
           opt->batch_rows < 1 || opt->lanes < 1 || !(opt->batch_seconds > 0) ||
           opt->shard_count < 0 || opt->shard_index < 0 ||
           (opt->shard_count > 1 && opt->shard_index >= opt->shard_count) ||
           opt->max_tasks < 0 || !(opt->progress_every_s > 0) ||
           !(opt->lease_stale_s >= 0);
}

int dln_sweep_create(MPI_Comm comm, const dln_jobspec *j,
                     const dln_sweep_options *opt, dln_sweep **out)
{
    dln_sweep *s = NULL;
    int rc = 1, mine, worst = 0, rank = 0, color, g;
    *out = NULL;
    /* Every rank agrees: 2 for bad options, 1 if any allocation failed. */
    mine = options_invalid(opt) ? 2 : !(s = calloc(1, sizeof *s)) ? 1 : 0;
    if (s)
        s->comm = s->group = MPI_COMM_NULL;
    MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, comm);
    if ((rc = worst)) {
        MPI_Comm_rank(comm, &rank);
        if (rank == 0 && rc == 2)
            fputs("dlnsweep run: invalid sweep options\n", stderr);
        goto fail;
    }
    rc = 1;
    s->job = j;
    s->opt = *opt;
    snprintf(s->db_path, sizeof s->db_path, "%s", opt->db_path);
    s->opt.db_path = s->db_path;
    if (MPI_Comm_dup(comm, &s->comm) != MPI_SUCCESS)
        goto fail;
    MPI_Comm_rank(s->comm, &s->rank);
    MPI_Comm_size(s->comm, &s->size);
    if (gethostname(s->host, sizeof s->host) != 0)
        snprintf(s->host, sizeof s->host, "unknown");
    s->host[sizeof s->host - 1] = '\0';
    /* The wide group: ranks 1..G when the job asks for one and there are
     * enough ranks besides the coordinator. */
    g = dln_jobspec_group_size(j);
    if (dln_jobspec_wide_width(j) > 0 && g > 1 && s->size - 1 >= g)
        s->group_size = g;
    color = s->group_size > 0 && s->rank >= 1 && s->rank <= s->group_size
                ? 0 : MPI_UNDEFINED;
    if (MPI_Comm_split(s->comm, color, s->rank, &s->group) != MPI_SUCCESS)
        goto fail;
    *out = s;
    return 0;
fail:
    dln_sweep_destroy(&s);
    return rc;
}

int dln_sweep_wide_group(const dln_sweep *s)
{
    return s->group_size;
}

void dln_sweep_destroy(dln_sweep **sp)
{
    dln_sweep *s = sp ? *sp : NULL;
    if (!s)
        return;
    if (s->group != MPI_COMM_NULL)
        MPI_Comm_free(&s->group);
    if (s->comm != MPI_COMM_NULL)
        MPI_Comm_free(&s->comm);
    free(s);
    *sp = NULL;
}

int dln_sweep_execute(dln_sweep *s)
{
    dln_coord *c = NULL;
    int rc = 0;
    memset(&s->summary, 0, sizeof s->summary);
    dln_sweep_catch_stop_signals();
    if (s->rank == 0)
        rc = dln_coord_setup(s, &c);
    /* Everyone learns whether setup worked before any work is handed out. */
    if (MPI_Bcast(&rc, 1, MPI_INT, 0, s->comm) != MPI_SUCCESS)
        rc = 1;
    if (rc)
        goto cleanup;
    dln_test_hook("sweep-setup");
    rc = s->rank == 0 ? dln_coord_run(c) : dln_sweep_work(s);
    dln_test_hook("sweep-end");
cleanup:
    dln_coord_destroy(&c);
    return rc;
}

void dln_sweep_summary_get(const dln_sweep *s, dln_sweep_summary *out)
{
    *out = s->summary;
}

int dln_sweep_tasks_left(const dln_jobspec *j, const char *db_path,
                         int shard_index, int shard_count, long *left,
                         char *msg, size_t len)
{
    dln_store *db = NULL;
    dln_queue small = {0}, wide = {0};
    long total = 0, done = 0, n = dln_jobspec_ntasks(j);
    struct stat st;
    int rc;
    *left = 0;
    if (stat(db_path, &st) != 0 && errno == ENOENT) {
        /* tasks i < n with i % shard_count == shard_index */
        *left = shard_count > 1
                    ? (n - shard_index + shard_count - 1) / shard_count : n;
        return 0;
    }
    if ((rc = dln_store_create(db_path, DLN_STORE_READONLY, &db, msg, len)))
        return rc;
    rc = dln_queue_fill(&small, &wide, j, db, shard_index, shard_count, 0,
                        NULL, &total, &done, msg, len);
    if (rc == 0)
        *left = total - done;
    /* A complete grid: the next refinement round's tasks (reads only). */
    if (rc == 0 && *left == 0 && dln_jobspec_has_refine(j)) {
        long *codes = NULL;
        if (dln_sweep_refine_round(j, db, 0, shard_index, shard_count,
                                   &codes, left)) {
            snprintf(msg, len, "%s", dln_store_errmsg(db));
            rc = 1;
        }
        free(codes);
    }
    dln_queue_clear(&small);
    dln_queue_clear(&wide);
    dln_store_destroy(&db);
    return rc;
}
