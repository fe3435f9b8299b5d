/* sweep_coordinator.c — rank 0 of a sweep: the only database writer.  It
 * builds the list of pending tasks, hands them out longest-predicted-first
 * in batches (or runs them itself when alone), writes each result in
 * batched transactions, heartbeats its lease, prints progress, and drains
 * on a stop signal.  Protocol: sweep_internal.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/jobspec.h"
#include "dlnsweep/store.h"
#include "dlnsweep/store_writer.h"
#include "sweep_internal.h"
#include "sweep_refine.h"

#ifndef DLN_GIT_HASH
#define DLN_GIT_HASH "unknown"
#endif

#define HEARTBEAT_EVERY_S 10.0
#define BATCH_TARGET_S 0.25      /* a WORK message's predicted wall time   */
#define POLL_MIN_S 200e-6        /* idle polling backs off between these   */
#define POLL_MAX_S 1e-3

/* A task waiting to be handed out. */
typedef struct pending {
    long index;
    double cost, steps;              /* the cost model's two features      */
    char cell_hash[DLN_HASH_HEX];
    int seed_index;
} pending;

/* Tasks sorted longest first; v[head..n) are still to hand out. */
typedef struct queue {
    pending *v;
    long n, cap, head;
    double cost_left, steps_left;
} queue;

/* A handed-out task; a worker's results return in this order. */
typedef struct inflight {
    long index;
    double cost, steps;
} inflight;

/* W_WAITING: until its READY; W_PARKED: a wide group's follower (the
 * leader speaks for it); W_RUNNING: gets WORK messages; W_STOPPED: was
 * sent STOP (its last results may still be on the way). */
enum { W_WAITING, W_PARKED, W_RUNNING, W_STOPPED };

typedef struct worker {
    int state;
    int wide;       /* the group's leader, while the group runs wide cells */
    int batches;    /* WORK messages not yet finished                      */
    inflight *fifo;
    int fifo_head, fifo_n, fifo_cap;
} worker;

struct dln_coord {
    dln_sweep *s;
    dln_store *db;
    dln_store_writer *writer;        /* owns db while the sweep runs        */
    long sweep_id;
    char owner[256];
    int leased;
    const char *name;
    queue small, wide;
    worker *w;                       /* size entries; w[0] unused           */
    int active;                      /* workers not yet sent STOP           */
    long inflight;                   /* tasks handed out, result not back   */
    long total, done_before, done_now, dispatched, errors_now;
    long per_regime[DLN_REGIME_ERROR + 1];
    dln_costfit fit_small, fit_wide;
    double done_cost[2], done_steps[2];   /* small, wide: this run        */
    double busy_s, wait_s;           /* workers' run and wait-for-work time */
    double t0, last_progress;
    int stopping, signo, failed;
    int refining;                    /* refine: rounds may still add tasks  */
    char host[64];
    char *rbuf;
    size_t rbuf_cap;
    int64_t *wbuf;
};

/* ---- setup -------------------------------------------------------------- */

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

/* 1 if the lease holder is certainly gone: a process on this host that no
 * longer runs, or an earlier incarnation of this (requeued) Slurm job. */
static int holder_is_dead(const dln_store_lease_info *l, const char *host)
{
    const char *job = getenv("SLURM_JOB_ID");
    const char *restarts = getenv("SLURM_RESTART_COUNT");
    if (!l->held)
        return 0;
    if (!strcmp(l->host, host) && l->pid > 0 && l->pid != (long)getpid() &&
        process_gone(l->pid))
        return 1;
    return job && *job && !strcmp(l->slurm_job_id, job) && restarts &&
           atoi(restarts) > 0;
}

/* Read-only checks of an existing DB before opening it for writing, so a
 * refused resume (changed job file, live writer) leaves it byte-identical.
 * Returns 0 or 2 with msg; *takeover = 1 if the lease holder is dead. */
static int precheck(dln_coord *c, uint64_t hash, int *takeover, char *msg,
                    size_t len)
{
    const dln_sweep *s = c->s;
    dln_store *db = NULL;
    dln_store_sweep_info *sw = NULL;
    dln_store_lease_info lease;
    char hex[DLN_HASH_HEX];
    int n = 0, rc = 0;
    *takeover = 0;
    if (!file_exists(s->db_path))
        return 0;
    /* A file the store cannot read is reported by the writable open. */
    if (dln_store_create(s->db_path, DLN_STORE_READONLY | DLN_STORE_NOCREATE,
                         &db, msg, len))
        return 0;
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)hash);
    if (dln_store_sweeps_list(db, &sw, &n) == 0 && !s->opt.allow_change)
        for (int i = 0; i < n; i++)
            if (!strcmp(sw[i].name, c->name) &&
                strcmp(sw[i].spec_hash, hex) != 0) {
                snprintf(msg, len, "database %.900s: sweep '%.255s' was "
                         "registered from a different job file (spec hash "
                         "%s, now %s); use --force to continue it with the "
                         "changed file",
                         s->db_path, c->name, sw[i].spec_hash, hex);
                rc = 2;
                goto cleanup;
            }
    if (dln_store_lease_get(db, &lease) == 0 && lease.held &&
        strcmp(lease.owner, c->owner) != 0) {
        double age = (double)time(NULL) - lease.heartbeat;
        if (holder_is_dead(&lease, c->host))
            *takeover = 1;
        else if (age < s->opt.lease_stale_s) {
            snprintf(msg, len, "database %.900s is being written by %.255s "
                     "(host %s, pid %ld), last heartbeat %.0fs ago; wait "
                     "for it to finish or stop it", s->db_path, lease.owner,
                     lease.host[0] ? lease.host : "?", lease.pid, age);
            rc = 2;
        }
    }
cleanup:
    free(sw);
    dln_store_destroy(&db);
    return rc;
}

static int queue_push(queue *q, const dln_task *t)
{
    if (q->n == q->cap) {
        long cap = q->cap ? 2 * q->cap : 256;
        pending *v = realloc(q->v, (size_t)cap * sizeof *v);
        if (!v)
            return 1;
        q->v = v;
        q->cap = cap;
    }
    pending *p = &q->v[q->n++];
    p->index = t->index;
    p->cost = t->cost;
    p->steps = dln_task_steps(&t->params);
    memcpy(p->cell_hash, t->cell_hash, sizeof p->cell_hash);
    p->seed_index = t->seed_index;
    q->cost_left += p->cost;
    q->steps_left += p->steps;
    return 0;
}

/* Longest predicted first; the index breaks ties, so the order is fixed. */
static int by_cost_desc(const void *a, const void *b)
{
    const pending *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* The shard's tasks not yet in the DB, split into small and wide queues. */
static int build_queues(dln_coord *c, char *msg, size_t len)
{
    const dln_sweep *s = c->s;
    long ntasks = dln_jobspec_ntasks(s->job);
    int shards = s->opt.shard_count > 1 ? s->opt.shard_count : 1;
    for (long i = 0; i < ntasks; i++) {
        dln_task t;
        if (i % shards != (shards > 1 ? s->opt.shard_index : 0))
            continue;
        if (dln_jobspec_task(s->job, i, &t)) {
            snprintf(msg, len, "%s: cannot expand task %ld",
                     dln_jobspec_name(s->job), i);
            return 2;
        }
        c->total++;
        int done = dln_store_is_done(c->db, t.cell_hash, t.seed_index);
        if (done < 0) {
            snprintf(msg, len, "%s", dln_store_errmsg(c->db));
            return 1;
        }
        if (done) {
            c->done_before++;
            continue;
        }
        int wide = s->group_size > 0 &&
                   dln_jobspec_is_wide(s->job, &t.params);
        if (queue_push(wide ? &c->wide : &c->small, &t)) {
            snprintf(msg, len, "out of memory listing tasks");
            return 1;
        }
    }
    qsort(c->small.v, (size_t)c->small.n, sizeof *c->small.v, by_cost_desc);
    qsort(c->wide.v, (size_t)c->wide.n, sizeof *c->wide.v, by_cost_desc);
    return 0;
}

int dln_coord_setup(dln_sweep *s, dln_coord **out)
{
    dln_coord *c = NULL;
    char msg[2048] = "";
    int rc = 1, takeover = 0;
    dln_store_counts counts;
    *out = NULL;
    if (!(c = calloc(1, sizeof *c)))
        goto fail;
    c->s = s;
    c->name = dln_jobspec_name(s->job);
    snprintf(c->host, sizeof c->host, "%s", s->host);
    lease_owner(c->owner, sizeof c->owner, c->host);
    if ((rc = precheck(c, dln_jobspec_hash(s->job), &takeover, msg,
                       sizeof msg)))
        goto fail;
    if ((rc = dln_store_create(s->db_path, 0, &c->db, msg, sizeof msg)))
        goto fail;
    if ((rc = dln_store_lease_acquire(c->db, c->owner,
                                      takeover ? 0.0 : s->opt.lease_stale_s,
                                      msg, sizeof msg)))
        goto fail;
    c->leased = 1;
    if ((rc = dln_store_register_sweep(c->db, c->name,
                                       dln_jobspec_canonical(s->job),
                                       dln_jobspec_hash(s->job),
                                       dln_jobspec_ntasks(s->job),
                                       s->opt.allow_change, &c->sweep_id,
                                       msg, sizeof msg)))
        goto fail;
    if ((rc = build_queues(c, msg, sizeof msg)))
        goto fail;
    c->refining = dln_jobspec_has_refine(s->job);
    rc = 1;
    if (dln_store_counts_get(c->db, c->sweep_id, &counts) == 0)
        memcpy(c->per_regime, counts.per_regime, sizeof c->per_regime);
    if (!(c->w = calloc((size_t)s->size, sizeof *c->w)) ||
        !(c->wbuf = malloc((2 + DLN_SWEEP_MAX_BATCH) * sizeof *c->wbuf))) {
        snprintf(msg, sizeof msg, "out of memory");
        goto fail;
    }
    for (int r = 1; r < s->size; r++) {
        int in_group = s->group_size > 0 && r <= s->group_size;
        c->w[r].state = in_group && r > 1 ? W_PARKED : W_WAITING;
        c->w[r].wide = in_group && r == 1;
    }
    c->active = s->size - 1;
    /* Rank 0 trains only when alone: then a writer thread needs a core of
     * its own, else rank 0's core is the coordinator's and the writer's. */
    dln_store_writer_options wo = {
        .mode = s->size > 1 ? DLN_WRITER_THREAD : DLN_WRITER_AUTO,
        .batch_rows = s->opt.batch_rows, .batch_seconds = s->opt.batch_seconds,
        .lease_owner = c->owner, .heartbeat_s = HEARTBEAT_EVERY_S};
    if (dln_store_writer_create(c->db, &wo, &c->writer)) {
        snprintf(msg, sizeof msg, "cannot start the database writer thread");
        goto fail;
    }
    *out = c;
    return 0;
fail:
    fprintf(stderr, "dlnsweep run: %s\n", msg[0] ? msg : "out of memory");
    dln_coord_destroy(&c);
    return rc ? rc : 1;
}

void dln_coord_destroy(dln_coord **cp)
{
    dln_coord *c = cp ? *cp : NULL;
    if (!c)
        return;
    dln_store_writer_destroy(&c->writer);   /* writes what is queued */
    if (c->db) {
        dln_store_commit(c->db);
        if (c->leased)
            dln_store_lease_release(c->db, c->owner);
        dln_store_destroy(&c->db);
    }
    if (c->w)
        for (int r = 0; r < c->s->size; r++)
            free(c->w[r].fifo);
    free(c->w);
    free(c->small.v);
    free(c->wide.v);
    free(c->rbuf);
    free(c->wbuf);
    free(c);
    *cp = NULL;
}

/* ---- writing results (queued to the writer thread) ------------------- */

/* Say why the writer thread failed; returns 1. */
static int writer_failed(dln_coord *c)
{
    fprintf(stderr, "dlnsweep run: %s: %s\n", c->s->db_path,
            dln_store_writer_errmsg(c->writer));
    return 1;
}

/* Have everything queued committed now (without waiting). 0 or 1. */
static int commit(dln_coord *c)
{
    return dln_store_writer_flush(c->writer) ? writer_failed(c) : 0;
}

/* The store for the coordinator's own use, once everything queued is
 * written (NULL after a failure, said); give it back with resume. */
static dln_store *pause_writer(dln_coord *c)
{
    dln_store *db = dln_store_writer_pause(c->writer);
    if (!db) {
        dln_store_writer_resume(c->writer);
        writer_failed(c);
    }
    return db;
}

/* Count a start of the task being handed out now (the run row's attempt
 * is its count when the writer writes it). 0 or 1. */
static int start_attempt(dln_coord *c, const pending *p)
{
    if (dln_store_writer_attempt(c->writer, p->cell_hash, p->seed_index))
        return writer_failed(c);
    return 0;
}

/* Queue one result for writing (taking r's arrays) and account for it. */
static int record(dln_coord *c, const dln_wire_header *h, dln_result *r,
                  const inflight *f, int wide)
{
    dln_task t;
    dln_provenance prov;
    if (dln_jobspec_task(c->s->job, (long)h->index, &t)) {
        fprintf(stderr, "dlnsweep run: result for unknown task %lld\n",
                (long long)h->index);
        return 1;
    }
    memset(&prov, 0, sizeof prov);
    snprintf(prov.git_hash, sizeof prov.git_hash, "%s", DLN_GIT_HASH);
    snprintf(prov.host, sizeof prov.host, "%s", h->host);
    prov.mpi_rank = h->rank;
    prov.attempt = 0;                  /* the writer reads it from attempts */
    prov.sweep_id = c->sweep_id;
    c->done_now++;
    c->busy_s += h->wall_s;
    c->wait_s += h->wait_s;
    if (r->regime >= DLN_REGIME_CONVERGED && r->regime <= DLN_REGIME_ERROR)
        c->per_regime[r->regime]++;
    if (r->regime == DLN_REGIME_ERROR)
        c->errors_now++;
    else
        dln_costfit_add(wide ? &c->fit_wide : &c->fit_small, f->cost,
                        f->steps, h->wall_s);
    c->done_cost[wide] += f->cost;
    c->done_steps[wide] += f->steps;
    if (dln_store_writer_put_run(c->writer, &t, r, &prov))
        return writer_failed(c);
    return 0;
}

/* ---- progress ----------------------------------------------------------- */

/* Seconds left: the elapsed time scaled by predicted work left over
 * predicted work done this run (which absorbs the parallelism). */
static double eta_seconds(const dln_coord *c, double elapsed)
{
    double left = dln_costfit_predict(&c->fit_small, c->small.cost_left,
                                      c->small.steps_left) +
                  dln_costfit_predict(&c->fit_wide, c->wide.cost_left,
                                      c->wide.steps_left);
    double done = dln_costfit_predict(&c->fit_small, c->done_cost[0],
                                      c->done_steps[0]) +
                  dln_costfit_predict(&c->fit_wide, c->done_cost[1],
                                      c->done_steps[1]);
    long remaining = c->total - c->done_before - c->done_now;
    if (done > 0)
        return elapsed * left / done;
    if (c->done_now > 0)
        return elapsed * (double)remaining / (double)c->done_now;
    return NAN;
}

static void progress(dln_coord *c, double now)
{
    char line[512];
    double elapsed = now - c->t0;
    c->last_progress = now;
    if (c->s->opt.quiet)
        return;
    dln_progress_format(line, sizeof line, c->name,
                        c->done_before + c->done_now, c->total,
                        elapsed > 0 ? (double)c->done_now / elapsed : 0.0,
                        eta_seconds(c, elapsed), c->per_regime);
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
}

/* Commits, heartbeats and progress lines that are due. 0 or 1. */
static int housekeeping(dln_coord *c)
{
    double now = dln_clock_now();
    const dln_sweep_options *o = &c->s->opt;
    if (!c->stopping && dln_stop_signal()) {
        c->stopping = 1;
        c->signo = dln_stop_signal();
        if (commit(c))      /* keep what is done even if a SIGKILL follows */
            return 1;
    }
    /* A writer thread commits batches and heartbeats the lease by itself;
     * an inline one does it here. */
    if (dln_store_writer_tick(c->writer))
        return writer_failed(c);
    if (now - c->last_progress >= o->progress_every_s)
        progress(c, now);
    return 0;
}

/* ---- handing out tasks -------------------------------------------------- */

static int can_dispatch(const dln_coord *c)
{
    return !c->stopping &&
           (c->s->opt.max_tasks <= 0 || c->dispatched < c->s->opt.max_tasks);
}

static int fifo_push(dln_coord *c, worker *w, const pending *p)
{
    if (w->fifo_n == w->fifo_cap) {
        int cap = w->fifo_cap ? 2 * w->fifo_cap : 16;
        inflight *v = malloc((size_t)cap * sizeof *v);
        if (!v)
            return 1;
        for (int k = 0; k < w->fifo_n; k++)
            v[k] = w->fifo[(w->fifo_head + k) % w->fifo_cap];
        free(w->fifo);
        w->fifo = v;
        w->fifo_cap = cap;
        w->fifo_head = 0;
    }
    inflight *f = &w->fifo[(w->fifo_head + w->fifo_n) % w->fifo_cap];
    f->index = p->index;
    f->cost = p->cost;
    f->steps = p->steps;
    w->fifo_n++;
    c->inflight++;
    return 0;
}

/* Take the next task of q, counting its attempt. 0 or 1. */
static int take(dln_coord *c, queue *q, pending *out)
{
    *out = q->v[q->head++];
    q->cost_left -= out->cost;
    q->steps_left -= out->steps;
    c->dispatched++;
    return start_attempt(c, out);
}

/* Workers that run small tasks now (for batch sizing). */
static int small_workers(const dln_coord *c)
{
    int n = 0;
    for (int r = 1; r < c->s->size; r++)
        n += !c->w[r].wide && (c->w[r].state == W_RUNNING ||
                               c->w[r].state == W_WAITING);
    return n > 0 ? n : 1;
}

/* How many small tasks the next WORK message carries: about
 * BATCH_TARGET_S of predicted work, less near the end (a quarter of each
 * worker's share of what is left), at least 1. */
static long batch_size(const dln_coord *c)
{
    const queue *q = &c->small;
    long avail = q->n - q->head, n = 0;
    double target, sum = 0;
    if (c->s->opt.max_tasks > 0 &&
        avail > c->s->opt.max_tasks - c->dispatched)
        avail = c->s->opt.max_tasks - c->dispatched;
    if (avail > DLN_SWEEP_MAX_BATCH)
        avail = DLN_SWEEP_MAX_BATCH;
    if (c->fit_small.n < 1 || avail <= 1)
        return avail < 1 ? 0 : 1;
    target = dln_costfit_predict(&c->fit_small, q->cost_left, q->steps_left) /
             small_workers(c) / 4.0;
    if (target > BATCH_TARGET_S)
        target = BATCH_TARGET_S;
    while (n < avail) {
        const pending *p = &q->v[q->head + n];
        double t = dln_costfit_predict(&c->fit_small, p->cost, p->steps);
        if (n > 0 && sum + t > target)
            break;
        sum += t;
        n++;
    }
    return n;
}

static int send_work(dln_coord *c, int r, int mode, long n)
{
    c->wbuf[0] = mode;
    c->wbuf[1] = n;
    if (MPI_Send(c->wbuf, (int)(2 + n), MPI_INT64_T, r, TAG_WORK, c->s->comm)
        != MPI_SUCCESS) {
        fprintf(stderr, "dlnsweep run: MPI_Send to rank %d failed\n", r);
        return 1;
    }
    return 0;
}

/* WORK messages a small worker may hold: two while tasks are short, so
 * it never waits for the coordinator between them; one for long tasks, so
 * a drain does not wait for a second long batch. */
static int prefetch_depth(const dln_coord *c)
{
    const queue *q = &c->small;
    if (c->fit_small.n < 1 || q->head >= q->n)
        return 1;
    return dln_costfit_predict(&c->fit_small, q->v[q->head].cost,
                               q->v[q->head].steps) < BATCH_TARGET_S ? 2 : 1;
}

/* Hand one wide task to the group's leader r (which is idle), or switch
 * the group to small tasks, or stop it. 0 or 1. */
static int feed_wide_leader(dln_coord *c, int r)
{
    worker *w = &c->w[r];
    pending p;
    if (can_dispatch(c) && c->wide.head < c->wide.n) {
        if (take(c, &c->wide, &p) || fifo_push(c, w, &p))
            return 1;
        w->batches++;
        c->wbuf[2] = p.index;
        return send_work(c, r, MODE_WORK, 1);
    }
    int more = can_dispatch(c) &&
               (c->small.head < c->small.n || c->refining);
    for (int g = 1; g <= c->s->group_size; g++) {
        c->w[g].wide = 0;
        c->w[g].state = more ? W_WAITING : W_STOPPED;
    }
    if (!more)
        c->active -= c->s->group_size;
    return send_work(c, r, more ? MODE_NO_MORE_WIDE : MODE_STOP, 0);
}

/* Worker r finished a WORK message or said READY: top it up to its
 * prefetch depth, or send STOP once nothing is left to hand out (it
 * finishes what it holds first). 0 or 1. */
static int feed(dln_coord *c, int r)
{
    worker *w = &c->w[r];
    pending p;
    if (w->wide)
        return w->batches == 0 ? feed_wide_leader(c, r) : 0;
    while (w->state == W_RUNNING && w->batches < prefetch_depth(c)) {
        long n = can_dispatch(c) ? batch_size(c) : 0;
        if (n == 0 && c->refining && can_dispatch(c))
            return 0;   /* idle until the next refinement round */
        if (n == 0) {
            w->state = W_STOPPED;
            c->active--;
            return send_work(c, r, MODE_STOP, 0);
        }
        for (long k = 0; k < n; k++) {
            if (take(c, &c->small, &p) || fifo_push(c, w, &p))
                return 1;
            c->wbuf[2 + k] = p.index;
        }
        w->batches++;
        if (send_work(c, r, MODE_WORK, n))
            return 1;
    }
    return 0;
}

/* Receive the message st announced and act on it. 0 or 1. */
static int handle_message(dln_coord *c, const MPI_Status *st)
{
    int r = st->MPI_SOURCE, count = 0;
    if (r < 1 || r >= c->s->size)
        return 1;
    worker *w = &c->w[r];
    if (st->MPI_TAG == TAG_READY) {
        int32_t msg[2];
        MPI_Recv(msg, 2, MPI_INT32_T, r, TAG_READY, c->s->comm,
                 MPI_STATUS_IGNORE);
        if (msg[1] && !c->stopping) {
            c->stopping = 1;
            c->signo = msg[1];
        }
        if (w->state != W_WAITING || msg[0] != (w->wide ? READY_WIDE
                                                          : READY_SMALL)) {
            fprintf(stderr, "dlnsweep run: unexpected READY from rank %d\n",
                    r);
            return 1;
        }
        w->state = W_RUNNING;
        return feed(c, r);
    }
    if (st->MPI_TAG != TAG_RESULT) {
        fprintf(stderr, "dlnsweep run: unexpected message tag %d from rank "
                "%d\n", st->MPI_TAG, r);
        return 1;
    }
    MPI_Get_count(st, MPI_BYTE, &count);
    if (count < (int)sizeof(dln_wire_header))
        return 1;
    if ((size_t)count > c->rbuf_cap) {
        char *b = realloc(c->rbuf, (size_t)count);
        if (!b)
            return 1;
        c->rbuf = b;
        c->rbuf_cap = (size_t)count;
    }
    MPI_Recv(c->rbuf, count, MPI_BYTE, r, TAG_RESULT, c->s->comm,
             MPI_STATUS_IGNORE);
    dln_wire_header h;
    dln_result res;
    memcpy(&h, c->rbuf, sizeof h);
    h.host[sizeof h.host - 1] = '\0';
    if (w->fifo_n == 0 || w->fifo[w->fifo_head].index != h.index) {
        fprintf(stderr, "dlnsweep run: rank %d sent a result for task %lld "
                "it was not given\n", r, (long long)h.index);
        return 1;
    }
    inflight f = w->fifo[w->fifo_head];
    int wide = w->wide;
    w->fifo_head = (w->fifo_head + 1) % w->fifo_cap;
    w->fifo_n--;
    c->inflight--;
    if (h.signo && !c->stopping) {
        c->stopping = 1;
        c->signo = h.signo;
    }
    /* Keep the worker busy before spending time on the database. */
    if (h.batch_done) {
        w->batches--;
        if (feed(c, r))
            return 1;
    }
    dln_result_init(&res);
    if (dln_result_unpack(c->rbuf + sizeof h, (size_t)count - sizeof h,
                          &res)) {
        fprintf(stderr, "dlnsweep run: malformed result from rank %d\n", r);
        return 1;
    }
    int rc = record(c, &h, &res, &f, wide);
    dln_result_clear(&res);
    return rc;
}

/* Sleep a little while nothing arrives (backing off), so an idle
 * coordinator leaves the cores to the workers. */
static void idle_wait(double *poll)
{
    struct timespec ts = {0, (long)(*poll * 1e9)};
    nanosleep(&ts, NULL);
    *poll = *poll * 2 < POLL_MAX_S ? *poll * 2 : POLL_MAX_S;
}

/* Once every task so far is back: queue the next refinement round (a
 * refined task runs on one rank, even where its cell is wide), or end
 * refining when a round adds nothing. 0 or 1. */
static int refine_round(dln_coord *c)
{
    long *codes = NULL, n = 0;
    const dln_sweep *s = c->s;
    int rc = 1;
    dln_store *db = pause_writer(c);   /* the round reads every result */
    if (!db)
        return 1;
    if (dln_sweep_refine_round(s->job, db, s->opt.shard_index,
                               s->opt.shard_count, &codes, &n)) {
        fprintf(stderr, "dlnsweep run: refinement: %s\n",
                dln_store_errmsg(db));
        goto cleanup;
    }
    for (long k = 0; k < n; k++) {
        dln_task t;
        if (dln_jobspec_task(s->job, codes[k], &t) ||
            queue_push(&c->small, &t))
            goto cleanup;
    }
    qsort(c->small.v + c->small.head, (size_t)(c->small.n - c->small.head),
          sizeof *c->small.v, by_cost_desc);
    if (n == 0)
        c->refining = 0;
    /* The sweep's size grows by each round: what is done plus what is
     * queued, in the progress line and in sweeps.ntasks for `status`. */
    dln_store_counts counts;
    long sweep_id;
    char msg[512];
    if (dln_store_counts_get(db, c->sweep_id, &counts) != 0)
        goto cleanup;
    c->total = counts.done + n;
    c->done_before = counts.done - c->done_now;
    if (dln_store_register_sweep(db, c->name, dln_jobspec_canonical(s->job),
                                 dln_jobspec_hash(s->job), c->total, 0,
                                 &sweep_id, msg, sizeof msg) != 0) {
        fprintf(stderr, "dlnsweep run: %s\n", msg);
        goto cleanup;
    }
    rc = 0;
cleanup:
    dln_store_writer_resume(c->writer);
    free(codes);
    return rc;
}

/* All of this run's tasks are handed out and back, and refining is on. */
static int round_due(const dln_coord *c)
{
    return c->refining && !c->stopping && can_dispatch(c) &&
           c->inflight == 0 && c->small.head >= c->small.n &&
           c->wide.head >= c->wide.n;
}

/* Work, or STOP, for every worker idling for a refinement round. */
static int feed_idle(dln_coord *c)
{
    for (int r = 1; r < c->s->size; r++)
        if (c->w[r].state == W_RUNNING && !c->w[r].wide &&
            c->w[r].batches == 0 && feed(c, r))
            return 1;
    return 0;
}

/* A refinement round when one is due; idle workers are released (fed or
 * stopped) whenever no further round can come. 0 or 1. */
static int refine_step(dln_coord *c)
{
    if (round_due(c))
        return refine_round(c) || feed_idle(c);
    if (c->stopping || !can_dispatch(c))
        return feed_idle(c);
    return 0;
}

static int run_distributed(dln_coord *c)
{
    double poll = POLL_MIN_S;
    while (c->active > 0 || c->inflight > 0) {
        int flag = 0;
        MPI_Status st;
        if (housekeeping(c))
            return 1;
        if (c->refining && refine_step(c))
            return 1;
        if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, c->s->comm, &flag, &st)
            != MPI_SUCCESS)
            return 1;
        if (!flag) {
            idle_wait(&poll);
            continue;
        }
        poll = POLL_MIN_S;
        if (handle_message(c, &st))
            return 1;
    }
    return 0;
}

/* One rank: the coordinator runs every task itself. */
static int run_alone(dln_coord *c)
{
    for (;;) {
        pending p;
        inflight f;
        dln_result r;
        dln_wire_header h;
        if (housekeeping(c))
            return 1;
        if (round_due(c) && refine_round(c))
            return 1;
        if (!can_dispatch(c) || c->small.head >= c->small.n)
            return 0;
        if (take(c, &c->small, &p))
            return 1;
        f.index = p.index;
        f.cost = p.cost;
        f.steps = p.steps;
        dln_sweep_run_task(c->s, p.index, 0, &r, &h);
        int rc = record(c, &h, &r, &f, 0);
        dln_result_clear(&r);
        if (rc)
            return 1;
    }
}

int dln_coord_run(dln_coord *c)
{
    dln_sweep *s = c->s;
    long remaining;
    int rc;
    c->t0 = c->last_progress = dln_clock_now();
    if (!s->opt.quiet && s->group_size == 0 && s->size > 1 &&
        dln_jobspec_wide_width(s->job) > 0 &&
        dln_jobspec_group_size(s->job) > 1)
        fprintf(stderr, "dlnsweep run: note: wide cells run on one rank "
                "each (parallel.group_size %d needs %d ranks, have %d)\n",
                dln_jobspec_group_size(s->job),
                dln_jobspec_group_size(s->job) + 1, s->size);
    rc = s->size > 1 ? run_distributed(c) : run_alone(c);
    /* Write what is queued; the store is the coordinator's again. */
    if (dln_store_writer_finish(c->writer) && rc == 0)
        rc = writer_failed(c);
    if (rc == 0 && dln_store_lease_release(c->db, c->owner) == 0)
        c->leased = 0;
    s->summary.total = c->total;
    s->summary.done_before = c->done_before;
    s->summary.done_now = c->done_now;
    s->summary.errors_now = c->errors_now;
    s->summary.drained_by = c->stopping ? c->signo : 0;
    if (rc)
        return rc;
    progress(c, dln_clock_now());
    remaining = c->total - c->done_before - c->done_now;
    if (c->stopping)
        fprintf(stderr, "dlnsweep: drained on %s: %ld tasks done this run, "
                "%ld remaining; rerun the same command to resume\n",
                dln_stop_signal_name(c->signo), c->done_now, remaining);
    else if (remaining > 0 && !s->opt.quiet)
        fprintf(stderr, "dlnsweep: stopped after --max-tasks %ld: %ld tasks "
                "done this run, %ld remaining; rerun to continue\n",
                s->opt.max_tasks, c->done_now, remaining);
    else if (!s->opt.quiet) {
        char waited[96] = "";
        if (s->size > 1 && c->busy_s + c->wait_s > 0)
            snprintf(waited, sizeof waited, "; workers waited %.2f%% of "
                     "their time for work", 100.0 * c->wait_s /
                     (c->busy_s + c->wait_s));
        fprintf(stderr, "dlnsweep: sweep %s complete: %ld tasks (%ld this "
                "run, %ld errors) in %s, %.1f s%s\n", c->name, c->total,
                c->done_now, c->errors_now, s->db_path,
                dln_clock_now() - c->t0, waited);
        dln_store_writer_stats ws;
        dln_store_writer_stats_get(c->writer, &ws);
        if (ws.runs > 0)
            fprintf(stderr, "dlnsweep: database writer (%s): %ld runs in "
                    "%ld commits, %.3f s CPU, %.0f us per run\n",
                    dln_store_writer_threaded(c->writer) ? "thread"
                                                         : "inline",
                    ws.runs, ws.commits, ws.busy_s,
                    1e6 * ws.busy_s / (double)ws.runs);
    }
    return 0;
}
