/* sweep_coordinator.c — rank 0 of a sweep: the only database writer.
 * Admitted to the database (sweep_lease.c), it hands the pending tasks
 * (sweep_queue.c) out in batches over MPI (or runs them itself when
 * alone), queues each result to the store's writer, runs refinement
 * rounds, prints progress, and drains on a stop signal.  Protocol:
 * sweep_internal.h. */
#define _POSIX_C_SOURCE 200809L   /* nanosleep */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/jobspec.h"
#include "dlnsweep/store.h"
#include "dlnsweep/store_writer.h"
#include "sweep_internal.h"
#include "dlnsweep/continuation.h"
#include "sweep_lease.h"
#include "sweep_progress.h"
#include "sweep_queue.h"
#include "sweep_refine.h"

#ifndef DLN_GIT_HASH
#define DLN_GIT_HASH "unknown"
#endif

#define POLL_MIN_S 200e-6        /* idle polling backs off between these   */
#define POLL_MAX_S 1e-3

/* W_WAITING: until its READY; W_PARKED: a wide group's follower (the
 * leader speaks for it); W_RUNNING: gets WORK messages; W_STOPPED: was
 * sent STOP (its last results may still be on the way). */
enum { W_WAITING, W_PARKED, W_RUNNING, W_STOPPED };

/* WORK messages to one worker whose sends may still be pending: more
 * than its prefetch depth (2) and a STOP. */
#define SEND_SLOTS 4

typedef struct worker {
    int state;
    int wide;       /* the group's leader, while the group runs wide cells */
    int batches;    /* WORK messages not yet finished                      */
    dln_inflight_fifo fifo;   /* its tasks whose results are not back yet  */
    MPI_Request sreq[SEND_SLOTS];   /* WORK sends, completed when their    */
    int64_t *sbuf[SEND_SLOTS];      /* slot comes round or at the end      */
    int snext;                      /* the slot of the next send           */
} worker;

struct dln_coord {
    dln_sweep *s;
    dln_store *db;
    dln_store_writer *writer;        /* owns db while the sweep runs        */
    long sweep_id;
    dln_sweep_lease lease;
    const char *name;
    dln_queue small, wide;
    worker *w;                       /* size entries; w[0] unused           */
    int active;                      /* workers not yet sent STOP           */
    long inflight;                   /* tasks handed out, result not back   */
    long dispatched;                 /* tasks handed out this run           */
    dln_tally tally;
    long contin_now;                 /* continuations done this run         */
    double t0, last_progress;
    int stopping, signo;
    int refining;                    /* refine: rounds may still add tasks  */
    char *rbuf;
    size_t rbuf_cap;
    int64_t *wbuf;
};

/* ---- setup -------------------------------------------------------------- */

int dln_coord_setup(dln_sweep *s, dln_coord **out)
{
    dln_coord *c = NULL;
    char msg[2048] = "";
    int rc = 1;
    dln_store_counts counts;
    *out = NULL;
    if (!(c = calloc(1, sizeof *c)))
        goto fail;
    c->s = s;
    c->name = dln_jobspec_name(s->job);
    if ((rc = dln_sweep_lease_acquire(s, &c->lease, &c->db, &c->sweep_id,
                                      msg, sizeof msg)))
        goto fail;
    dln_fill_claims claims = {.sweep_id = c->sweep_id,
                              .retry = s->opt.retry_regimes,
                              .max_attempts = s->opt.max_attempts};
    if ((rc = dln_queue_fill(&c->small, &c->wide, s->job, c->db,
                             s->opt.shard_index, s->opt.shard_count,
                             s->group_size > 0, &claims, &c->tally.total,
                             &c->tally.done_before,
                             msg, sizeof msg)))
        goto fail;
    if (!s->opt.quiet && (claims.retried || claims.exhausted))
        fprintf(stderr, "dlnsweep run: %ld tasks to run again (--retry), "
                "%ld left alone after %d attempts (--max-attempts)\n",
                claims.retried, claims.exhausted, s->opt.max_attempts);
    c->refining = dln_jobspec_has_refine(s->job);
    rc = 1;
    if (dln_store_counts_get(c->db, c->sweep_id, &counts) == 0)
        memcpy(c->tally.per_regime, counts.per_regime,
               sizeof c->tally.per_regime);
    if (!(c->w = calloc((size_t)s->size, sizeof *c->w)) ||
        !(c->wbuf = malloc((2 + DLN_SWEEP_MAX_BATCH) * sizeof *c->wbuf))) {
        snprintf(msg, sizeof msg, "out of memory");
        goto fail;
    }
    for (int r = 1; r < s->size; r++) {
        int in_group = s->group_size > 0 && r <= s->group_size;
        c->w[r].state = in_group && r > 1 ? W_PARKED : W_WAITING;
        c->w[r].wide = in_group && r == 1;
        for (int i = 0; i < SEND_SLOTS; i++)
            c->w[r].sreq[i] = MPI_REQUEST_NULL;
    }
    c->active = s->size - 1;
    /* Rank 0 trains only when alone: then a writer thread needs a core of
     * its own, else rank 0's core is the coordinator's and the writer's. */
    dln_store_writer_options wo = {
        .mode = s->size > 1 ? DLN_WRITER_THREAD : DLN_WRITER_AUTO,
        .batch_rows = s->opt.batch_rows, .batch_seconds = s->opt.batch_seconds,
        .lease_owner = c->lease.owner, .heartbeat_s = DLN_SWEEP_HEARTBEAT_S};
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
        dln_sweep_lease_release(&c->lease, c->db);
        dln_store_destroy(&c->db);
    }
    if (c->w)
        for (int r = 0; r < c->s->size; r++)
            dln_inflight_clear(&c->w[r].fifo);
    free(c->w);
    dln_queue_clear(&c->small);
    dln_queue_clear(&c->wide);
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
static int start_attempt(dln_coord *c, const dln_pending *p)
{
    if (dln_sweep_is_continuation(c->s->job, p->index))
        return 0;   /* a continuation is no run of its start cell */
    if (dln_store_writer_attempt(c->writer, p->cell_hash, p->seed_index))
        return writer_failed(c);
    return 0;
}

/* A continuation's located points: written at once (they are few and rare),
 * with the writer paused. 0 or 1. */
static int record_continuation(dln_coord *c, const dln_task *t,
                               const dln_result *r,
                               const dln_provenance *prov)
{
    dln_store_contin_info info;
    if (dln_sweep_contin_info(c->s->job, t->index, &info))
        return 1;
    info.status = r->regime == DLN_REGIME_ERROR
                      ? "error"
                      : dln_contin_status_name(r->contin_status);
    dln_store *db = pause_writer(c);
    if (!db)
        return 1;
    int rc = dln_store_put_continuation(db, t, &info, r, prov);
    if (rc)
        fprintf(stderr, "dlnsweep run: %s\n", dln_store_errmsg(db));
    dln_store_writer_resume(c->writer);
    return rc;
}

/* Queue one result for writing (taking r's arrays) and account for it. */
static int record(dln_coord *c, const dln_wire_header *h, dln_result *r,
                  const dln_inflight *f, int wide)
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
    prov.replace = f->replace;
    prov.times_edge = dln_jobspec_times_edge(c->s->job, &t);
    if (dln_sweep_is_continuation(c->s->job, t.index)) {
        /* no run of its start cell: counted, not tallied by regime */
        c->contin_now++;
        c->tally.done_now++;
        c->tally.errors_now += r->regime == DLN_REGIME_ERROR;
        c->tally.busy_s += h->wall_s;
        c->tally.wait_s += h->wait_s;
        return record_continuation(c, &t, r, &prov);
    }
    dln_tally_add(&c->tally, (int)r->regime, wide, f->cost, f->steps,
                  h->wall_s, h->wait_s);
    if (dln_store_writer_put_run(c->writer, &t, r, &prov))
        return writer_failed(c);
    return 0;
}

/* ---- progress ----------------------------------------------------------- */

static void progress(dln_coord *c, double now)
{
    const dln_tally *t = &c->tally;
    const double cost_left[2] = {c->small.cost_left, c->wide.cost_left};
    const double steps_left[2] = {c->small.steps_left, c->wide.steps_left};
    char line[512];
    double elapsed = now - c->t0;
    c->last_progress = now;
    if (c->s->opt.quiet)
        return;
    dln_progress_format(line, sizeof line, c->name,
                        t->done_before + t->done_now, t->total,
                        elapsed > 0 ? (double)t->done_now / elapsed : 0.0,
                        dln_tally_eta(t, elapsed, cost_left, steps_left),
                        t->per_regime);
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

/* Hand the next task of q (which has one) to worker w (NULL: rank 0
 * runs it), counting its attempt. 0 or 1. */
static int take(dln_coord *c, dln_queue *q, worker *w, dln_pending *out)
{
    if (dln_queue_take(q, out))
        return 1;
    c->dispatched++;
    if (start_attempt(c, out))
        return 1;
    if (!w)
        return 0;
    if (dln_inflight_push(&w->fifo, out))
        return 1;
    c->inflight++;
    return 0;
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

/* How many small tasks the next WORK message carries (see
 * dln_queue_batch): no more than --max-tasks still allows, nor than a
 * WORK message holds. */
static long batch_size(const dln_coord *c)
{
    long limit = DLN_SWEEP_MAX_BATCH;
    if (c->s->opt.max_tasks > 0 &&
        c->s->opt.max_tasks - c->dispatched < limit)
        limit = c->s->opt.max_tasks - c->dispatched;
    return dln_queue_batch(&c->small, &c->tally.fit[0], small_workers(c),
                           limit);
}

/* Complete the send of worker w's slot i, if any, and free its buffer.
 * 0 or 1. */
static int finish_send(worker *w, int i)
{
    int rc = 0;
    if (w->sreq[i] != MPI_REQUEST_NULL)
        rc = MPI_Wait(&w->sreq[i], MPI_STATUS_IGNORE) != MPI_SUCCESS;
    free(w->sbuf[i]);
    w->sbuf[i] = NULL;
    return rc;
}

/* Complete every WORK send still pending (the loop's end). 0 or 1. */
static int finish_sends(dln_coord *c)
{
    int rc = 0;
    for (int r = 1; r < c->s->size; r++)
        for (int i = 0; i < SEND_SLOTS; i++)
            rc |= finish_send(&c->w[r], i);
    return rc;
}

/* Send {mode, n, c->wbuf[2..n+1]} to worker r without waiting for it to
 * arrive: a blocking send of a batch waited (spinning in MPI) until the
 * worker finished the batch before and asked for it, and took rank 0's
 * core from the writer thread all that time.  The coordinator's polling
 * (MPI_Iprobe) progresses it.  0 or 1. */
static int send_work(dln_coord *c, int r, int mode, long n)
{
    worker *w = &c->w[r];
    int i = w->snext;
    int64_t *msg = NULL;
    if (finish_send(w, i) ||
        !(msg = malloc(sizeof *msg * (size_t)(2 + n))))
        goto fail;
    msg[0] = mode;
    msg[1] = n;
    memcpy(msg + 2, c->wbuf + 2, sizeof *msg * (size_t)n);
    if (MPI_Isend(msg, (int)(2 + n), MPI_INT64_T, r, TAG_WORK, c->s->comm,
                  &w->sreq[i]) != MPI_SUCCESS)
        goto fail;
    w->sbuf[i] = msg;
    w->snext = (i + 1) % SEND_SLOTS;
    return 0;
fail:
    free(msg);
    fprintf(stderr, "dlnsweep run: sending work to rank %d failed\n", r);
    return 1;
}

/* Hand one wide task to the group's leader r (which is idle), or switch
 * the group to small tasks, or stop it. 0 or 1. */
static int feed_wide_leader(dln_coord *c, int r)
{
    worker *w = &c->w[r];
    dln_pending p;
    if (can_dispatch(c) && dln_queue_left(&c->wide) > 0) {
        if (take(c, &c->wide, w, &p))
            return 1;
        w->batches++;
        c->wbuf[2] = p.index;
        return send_work(c, r, MODE_WORK, 1);
    }
    int more = can_dispatch(c) &&
               (dln_queue_left(&c->small) > 0 || c->refining);
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
    dln_pending p;
    if (w->wide)
        return w->batches == 0 ? feed_wide_leader(c, r) : 0;
    while (w->state == W_RUNNING &&
           w->batches < dln_queue_prefetch(&c->small, &c->tally.fit[0])) {
        long n = can_dispatch(c) ? batch_size(c) : 0;
        if (n == 0 && c->refining && can_dispatch(c))
            return 0;   /* idle until the next refinement round */
        if (n == 0) {
            w->state = W_STOPPED;
            c->active--;
            return send_work(c, r, MODE_STOP, 0);
        }
        for (long k = 0; k < n; k++) {
            if (take(c, &c->small, w, &p))
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
    const dln_inflight *front = dln_inflight_front(&w->fifo);
    if (!front || front->index != h.index) {
        fprintf(stderr, "dlnsweep run: rank %d sent a result for task %lld "
                "it was not given\n", r, (long long)h.index);
        return 1;
    }
    dln_inflight f;
    int wide = w->wide;
    dln_inflight_pop(&w->fifo, &f);
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
    const dln_sweep *s = c->s;
    long added = 0, in_db = 0;
    dln_store *db = pause_writer(c);   /* the round reads every result */
    if (!db)
        return 1;
    int rc = dln_sweep_refine_queue(s->job, db, s->opt.shard_index,
                                    s->opt.shard_count, c->sweep_id,
                                    &c->small, &added, &in_db);
    dln_store_writer_resume(c->writer);
    if (rc)
        return 1;
    if (added == 0)
        c->refining = 0;
    /* in_db counts runs; continuations are tasks too */
    c->tally.total = in_db + c->contin_now + added;
    c->tally.done_before = in_db - (c->tally.done_now - c->contin_now);
    return 0;
}

/* All of this run's tasks are handed out and back, and refining is on. */
static int round_due(const dln_coord *c)
{
    return c->refining && !c->stopping && can_dispatch(c) &&
           c->inflight == 0 && dln_queue_left(&c->small) == 0 &&
           dln_queue_left(&c->wide) == 0;
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
    return finish_sends(c);
}

/* One rank: the coordinator runs every task itself, a WORK message's
 * worth at a time (same-shape small tasks in lock step). */
static int run_alone(dln_coord *c)
{
    dln_inflight *f = malloc(sizeof *f * DLN_SWEEP_MAX_BATCH);
    dln_result *r = malloc(sizeof *r * DLN_SWEEP_MAX_BATCH);
    dln_wire_header *h = malloc(sizeof *h * DLN_SWEEP_MAX_BATCH);
    int rc = 1;
    if (!f || !r || !h)
        goto cleanup;
    for (;;) {
        dln_pending p;
        if (housekeeping(c))
            goto cleanup;
        if (round_due(c) && refine_round(c))
            goto cleanup;
        long n = can_dispatch(c) ? batch_size(c) : 0;
        if (n == 0) {
            rc = 0;
            goto cleanup;
        }
        for (long k = 0; k < n; k++) {
            if (take(c, &c->small, NULL, &p))
                goto cleanup;
            f[k].index = p.index;
            f[k].cost = p.cost;
            f[k].steps = p.steps;
            f[k].replace = p.replace;
            c->wbuf[k] = p.index;
        }
        dln_sweep_run_tasks(c->s, c->wbuf, n, r, h);
        int bad = 0;
        for (long k = 0; k < n; k++) {
            if (!bad)
                bad = record(c, &h[k], &r[k], &f[k], 0);
            dln_result_clear(&r[k]);
        }
        if (bad)
            goto cleanup;
    }
cleanup:
    free(f);
    free(r);
    free(h);
    return rc;
}

/* The closing lines: drained, stopped by --max-tasks, or complete (with
 * the workers' wait and the writer's cost). */
static void report(dln_coord *c)
{
    const dln_sweep *s = c->s;
    const dln_tally *t = &c->tally;
    long remaining = dln_tally_remaining(t);
    progress(c, dln_clock_now());
    if (c->stopping)
        fprintf(stderr, "dlnsweep: drained on %s: %ld tasks done this run, "
                "%ld remaining; rerun the same command to resume\n",
                dln_stop_signal_name(c->signo), t->done_now, remaining);
    else if (remaining > 0 && !s->opt.quiet)
        fprintf(stderr, "dlnsweep: stopped after --max-tasks %ld: %ld tasks "
                "done this run, %ld remaining; rerun to continue\n",
                s->opt.max_tasks, t->done_now, remaining);
    else if (!s->opt.quiet) {
        char waited[96] = "";
        if (s->size > 1 && t->busy_s + t->wait_s > 0)
            snprintf(waited, sizeof waited, "; workers waited %.2f%% of "
                     "their time for work", 100.0 * t->wait_s /
                     (t->busy_s + t->wait_s));
        fprintf(stderr, "dlnsweep: sweep %s complete: %ld tasks (%ld this "
                "run, %ld errors) in %s, %.1f s%s\n", c->name, t->total,
                t->done_now, t->errors_now, s->db_path,
                dln_clock_now() - c->t0, waited);
        /* The writer's CPU over the sweep's time: near 100% on its own
         * thread, it is what the sweep waits for (the workers' wait
         * does not show it: results queue up behind it). */
        dln_store_writer_stats ws;
        double span = dln_clock_now() - c->t0;
        dln_store_writer_stats_get(c->writer, &ws);
        if (ws.runs > 0)
            fprintf(stderr, "dlnsweep: database writer (%s): %ld runs in "
                    "%ld commits, %.3f s CPU, %.0f us per run, %.0f%% of "
                    "the sweep's time\n",
                    dln_store_writer_threaded(c->writer) ? "thread"
                                                         : "inline",
                    ws.runs, ws.commits, ws.busy_s,
                    1e6 * ws.busy_s / (double)ws.runs,
                    span > 0 ? 100.0 * ws.busy_s / span : 0.0);
    }
}

int dln_coord_run(dln_coord *c)
{
    dln_sweep *s = c->s;
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
    if (rc == 0)
        dln_sweep_lease_release(&c->lease, c->db);
    s->summary.total = c->tally.total;
    s->summary.done_before = c->tally.done_before;
    s->summary.done_now = c->tally.done_now;
    s->summary.errors_now = c->tally.errors_now;
    s->summary.drained_by = c->stopping ? c->signo : 0;
    if (rc == 0)
        report(c);
    return rc;
}
