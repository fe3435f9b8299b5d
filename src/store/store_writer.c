/* store_writer.c — the coordinator's database writer thread: a bounded
 * queue of run results and attempt counts, written in batched
 * transactions (see store_writer.h).
 *
 * One mutex guards the queue and the flags.  The caller appends at the
 * tail; the thread takes every entry present, writes them with the mutex
 * released (only it touches those entries and the store meanwhile), then
 * frees them.  Pause hands the store to the caller: the thread commits,
 * says it is parked, and waits for resume. */
#define _GNU_SOURCE               /* pthread_setname_np */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/store_writer.h"

enum { OP_RUN, OP_ATTEMPT };

#define WRITER_POLL_S 0.01        /* see wait_for_work                      */
#define WRITER_WAKE_ENTRIES 256   /* queued entries that wake the thread    */

typedef struct entry {
    int op;
    dln_task task;             /* OP_ATTEMPT: cell_hash and seed_index only */
    dln_result result;         /* OP_RUN                                    */
    dln_provenance prov;       /* OP_RUN                                    */
    size_t bytes;              /* what it holds, for the queue's limit      */
    struct entry *next;
} entry;

struct dln_store_writer {
    dln_store *store;
    dln_store_writer_options opt;
    char owner[256];
    pthread_t thread;
    int threaded;              /* 0: inline, every call writes at once     */
    int started, joined;
    pthread_mutex_t mu;
    pthread_cond_t work;       /* to the thread: entries, pause, stop       */
    pthread_cond_t room;       /* to the caller: space, parked, drained     */
    entry *head, *tail;        /* the queue, oldest first                   */
    long queued;
    size_t queued_bytes;
    int want_pause, parked, want_flush, stopping, failed;
    int idle;                  /* the thread waits with no batch open      */
    dln_store_writer_stats stats;  /* published under mu                 */
    /* The thread's own (no lock): */
    int batch_open;            /* a transaction is open                    */
    int batch_runs;            /* runs written in it                        */
    double batch_opened_at, last_beat;
    dln_store_writer_stats mine;   /* copied to stats under mu            */
    char msg[512];
};

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Bytes held by an entry's result arrays (an estimate for the limit). */
static size_t result_bytes(const dln_result *r)
{
    return sizeof(entry) + (size_t)r->n_traj * sizeof *r->traj +
           (size_t)r->n_orbit * 2 * sizeof(double) +
           (size_t)(r->n_sv_layers * DLN_MAX_SV + r->n_balance_gaps +
                    r->n_hessian_spectrum) * sizeof(double);
}

static void entry_free(entry *e)
{
    if (e->op == OP_RUN)
        dln_result_clear(&e->result);
    free(e);
}

/* With mu held: record the first failure (the store's message). */
static void fail_locked(dln_store_writer *w, const char *what)
{
    if (!w->failed)
        snprintf(w->msg, sizeof w->msg, "%s: %s", what,
                 dln_store_errmsg(w->store));
    w->failed = 1;
    pthread_cond_broadcast(&w->room);
}

/* With mu held: publish the writer's own counters, keeping the longest
 * queue the callers saw. */
static void publish_stats(dln_store_writer *w)
{
    long longest = w->stats.max_queued;
    w->stats = w->mine;
    if (longest > w->stats.max_queued)
        w->stats.max_queued = longest;
}

/* ---- the thread's side (store calls are made with mu released) -------- */

/* Write one entry inside the open batch. 0 or 1 (what: for the message). */
static int write_entry(dln_store_writer *w, entry *e, const char **what)
{
    if (e->op == OP_ATTEMPT) {
        int n;
        *what = "counting an attempt";
        return dln_store_attempt_start(w->store, e->task.cell_hash,
                                       e->task.seed_index, &n);
    }
    *what = "writing a run";
    if (e->prov.attempt <= 0) {
        int n = 0;
        if (dln_store_attempt_count(w->store, e->task.cell_hash,
                                    e->task.seed_index, &n))
            return 1;
        e->prov.attempt = n > 0 ? n : 1;
    }
    return dln_store_put_run(w->store, &e->task, &e->result, &e->prov,
                             e->prov.replace);
}

/* Commit the open batch, if any (mu released). 0 or 1. */
static int commit_batch(dln_store_writer *w)
{
    if (!w->batch_open)
        return 0;
    w->batch_open = 0;
    w->batch_runs = 0;
    w->mine.commits++;
    return dln_store_commit(w->store);
}

/* Write the entries of list (mu released), opening batches and committing
 * full ones.  0, or 1 with *what naming the step that failed. */
static int write_list(dln_store_writer *w, entry *list, const char **what)
{
    for (entry *e = list; e; e = e->next) {
        if (!w->batch_open) {
            *what = "opening a transaction";
            if (dln_store_begin(w->store))
                return 1;
            w->batch_open = 1;
            w->batch_opened_at = dln_clock_now();
        }
        if (write_entry(w, e, what))
            return 1;
        if (e->op == OP_RUN) {
            w->mine.runs++;
            if (++w->batch_runs >= w->opt.batch_rows) {
                *what = "committing";
                if (commit_batch(w))
                    return 1;
            }
        }
    }
    return 0;
}

/* Commit when the batch is old enough or asked to, and heartbeat when
 * due (mu released).  0, or 1 with *what set. */
static int timed_work(dln_store_writer *w, int force_commit, const char **what)
{
    double t = dln_clock_now();
    if (w->batch_open &&
        (force_commit || t - w->batch_opened_at >= w->opt.batch_seconds)) {
        *what = "committing";
        if (commit_batch(w))
            return 1;
    }
    if (w->owner[0] && t - w->last_beat >= w->opt.heartbeat_s) {
        w->last_beat = t;
        *what = "refreshing the lease";
        if (dln_store_lease_heartbeat(w->store, w->owner))
            return 1;
    }
    return 0;
}

/* With mu held: wait for work, or until the batch's commit or the next
 * heartbeat is due.  While a batch is open the thread is not woken for
 * each entry (a wake-up costs the caller a system call, ~35 us per 1 ms
 * cell here): it looks again every WRITER_POLL_S, or when the queue runs
 * long.  Idle (no batch open), the first entry wakes it. */
static void wait_for_work(dln_store_writer *w)
{
    double due = w->owner[0] ? w->last_beat + w->opt.heartbeat_s : 0;
    if (w->batch_open) {
        double c = w->batch_opened_at + w->opt.batch_seconds;
        double poll = dln_clock_now() + WRITER_POLL_S;
        due = due > 0 && due < c ? due : c;
        due = due < poll ? due : poll;
    }
    w->idle = !w->batch_open;
    if (due <= 0) {
        pthread_cond_wait(&w->work, &w->mu);
        w->idle = 0;
        return;
    }
    /* dln_clock_now is CLOCK_MONOTONIC, and so is the condition's clock. */
    struct timespec ts;
    ts.tv_sec = (time_t)due;
    ts.tv_nsec = (long)((due - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(&w->work, &w->mu, &ts);
    w->idle = 0;
}

static void *writer_main(void *arg)
{
    dln_store_writer *w = arg;
    pthread_setname_np(pthread_self(), "dlnsweep-db");   /* for top, perf */
    pthread_mutex_lock(&w->mu);
    for (;;) {
        const char *what = "writing";
        int rc;
        if (w->head && !w->failed) {
            entry *list = w->head;
            w->head = w->tail = NULL;
            pthread_mutex_unlock(&w->mu);
            double c0 = thread_cpu_s();
            rc = write_list(w, list, &what);
            w->mine.busy_s += thread_cpu_s() - c0;
            long n = 0;
            size_t bytes = 0;
            for (entry *e = list, *nx; e; e = nx) {   /* free unlocked */
                nx = e->next;
                n++;
                bytes += e->bytes;
                entry_free(e);
            }
            pthread_mutex_lock(&w->mu);
            w->queued -= n;
            w->queued_bytes -= bytes;
            publish_stats(w);
            if (rc)
                fail_locked(w, what);
            pthread_cond_broadcast(&w->room);
            continue;
        }
        if (w->failed) {          /* drop what arrives; the caller sees it */
            for (entry *e = w->head, *nx; e; e = nx) {
                nx = e->next;
                entry_free(e);
            }
            w->head = w->tail = NULL;
            w->queued = 0;
            w->queued_bytes = 0;
        }
        int force = w->want_pause || w->want_flush || w->stopping;
        w->want_flush = 0;
        pthread_mutex_unlock(&w->mu);
        double c0 = thread_cpu_s();
        rc = w->failed ? 0 : timed_work(w, force, &what);
        w->mine.busy_s += thread_cpu_s() - c0;
        pthread_mutex_lock(&w->mu);
        publish_stats(w);
        if (rc)
            fail_locked(w, what);
        if (w->head && !w->failed)
            continue;
        if (w->stopping)
            break;
        if (w->want_pause) {
            w->parked = 1;
            pthread_cond_broadcast(&w->room);
            while (w->want_pause && !w->stopping)
                pthread_cond_wait(&w->work, &w->mu);
            w->parked = 0;
            continue;
        }
        wait_for_work(w);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- the caller's side -------------------------------------------------- */

/* Whether to start a thread: AUTO asks for two CPUs in the caller's
 * affinity mask (mpirun binds one rank to one core by default). */
static int use_thread(dln_store_writer_mode mode)
{
    cpu_set_t set;
    if (mode != DLN_WRITER_AUTO)
        return mode == DLN_WRITER_THREAD;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    return CPU_COUNT(&set) >= 2;
}

/* Inline: write e now (mu held: the caller is the only thread), then do
 * what is due; frees e.  0 or 1. */
static int write_inline(dln_store_writer *w, entry *e)
{
    const char *what = "writing";
    int rc = w->failed;
    e->next = NULL;
    if (!rc) {
        double c0 = thread_cpu_s();
        rc = write_list(w, e, &what) || timed_work(w, 0, &what);
        w->mine.busy_s += thread_cpu_s() - c0;
        w->mine.max_queued = 1;
        publish_stats(w);
        if (rc)
            fail_locked(w, what);
    }
    entry_free(e);
    return rc;
}

/* Inline: commit now (force) or when due, and heartbeat when due.  */
static int tick_inline(dln_store_writer *w, int force)
{
    const char *what = "writing";
    pthread_mutex_lock(&w->mu);
    double c0 = thread_cpu_s();
    if (!w->failed && !w->joined && timed_work(w, force, &what))
        fail_locked(w, what);
    w->mine.busy_s += thread_cpu_s() - c0;
    publish_stats(w);
    int rc = w->failed;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int dln_store_writer_create(dln_store *s, const dln_store_writer_options *o,
                            dln_store_writer **out)
{
    dln_store_writer *w = NULL;
    pthread_condattr_t ca;
    sigset_t all, old;
    int have_ca = 0, have_sync = 0, rc = 1;
    *out = NULL;
    if (!s || !o || !(w = calloc(1, sizeof *w)))
        goto cleanup;
    w->store = s;
    w->opt = *o;
    if (w->opt.batch_rows < 1)
        w->opt.batch_rows = 1;
    if (!(w->opt.batch_seconds > 0))
        w->opt.batch_seconds = 2.0;
    if (!(w->opt.heartbeat_s > 0))
        w->opt.heartbeat_s = 10.0;
    if (w->opt.max_queued_bytes == 0)
        w->opt.max_queued_bytes = (size_t)256 << 20;
    if (o->lease_owner)
        snprintf(w->owner, sizeof w->owner, "%s", o->lease_owner);
    w->last_beat = dln_clock_now();
    if (pthread_condattr_init(&ca))
        goto cleanup;
    have_ca = 1;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
        pthread_mutex_init(&w->mu, NULL))
        goto cleanup;
    if (pthread_cond_init(&w->work, &ca)) {
        pthread_mutex_destroy(&w->mu);
        goto cleanup;
    }
    if (pthread_cond_init(&w->room, NULL)) {
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->mu);
        goto cleanup;
    }
    have_sync = 1;
    w->threaded = use_thread(o->mode);
    if (!w->threaded) {
        *out = w;
        w = NULL;
        rc = 0;
        goto cleanup;
    }
    /* The thread starts with every signal blocked (it inherits the mask). */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int made = pthread_create(&w->thread, NULL, writer_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (made)
        goto cleanup;
    w->started = 1;
    *out = w;
    w = NULL;
    rc = 0;
cleanup:
    if (have_ca)
        pthread_condattr_destroy(&ca);
    if (w && have_sync) {
        pthread_cond_destroy(&w->room);
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->mu);
    }
    free(w);
    return rc;
}

/* Append e (mu not held), waiting while the queue is over its limit. */
static int enqueue(dln_store_writer *w, entry *e)
{
    int rc;
    pthread_mutex_lock(&w->mu);
    if (!w->threaded) {
        rc = w->joined ? (entry_free(e), 1) : write_inline(w, e);
        pthread_mutex_unlock(&w->mu);
        return rc;
    }
    while (!w->failed && !w->joined && w->queued > 0 &&
           w->queued_bytes + e->bytes > w->opt.max_queued_bytes)
        pthread_cond_wait(&w->room, &w->mu);
    rc = w->failed || w->joined;
    if (!rc) {
        e->next = NULL;
        if (w->tail)
            w->tail->next = e;
        else
            w->head = e;
        w->tail = e;
        w->queued++;
        w->queued_bytes += e->bytes;
        if (w->queued > w->stats.max_queued)
            w->stats.max_queued = w->queued;
        if (w->idle || w->queued >= WRITER_WAKE_ENTRIES ||
            w->queued_bytes >= w->opt.max_queued_bytes / 4)
            pthread_cond_signal(&w->work);
    }
    pthread_mutex_unlock(&w->mu);
    if (rc)
        entry_free(e);
    return rc;
}

int dln_store_writer_put_run(dln_store_writer *w, const dln_task *t,
                             dln_result *r, const dln_provenance *prov)
{
    entry *e = malloc(sizeof *e);
    if (!e) {
        dln_result_clear(r);
        return 1;
    }
    e->op = OP_RUN;
    e->task = *t;
    e->result = *r;            /* the arrays move to the entry */
    e->prov = *prov;
    e->bytes = result_bytes(r);
    dln_result_init(r);
    return enqueue(w, e);
}

int dln_store_writer_attempt(dln_store_writer *w, const char *cell_hash,
                             int seed_index)
{
    entry *e = malloc(sizeof *e);
    if (!e)
        return 1;
    e->op = OP_ATTEMPT;
    memset(&e->task, 0, sizeof e->task);
    snprintf(e->task.cell_hash, sizeof e->task.cell_hash, "%s", cell_hash);
    e->task.seed_index = seed_index;
    e->bytes = sizeof *e;
    return enqueue(w, e);
}

dln_store *dln_store_writer_pause(dln_store_writer *w)
{
    dln_store *s;
    if (!w->threaded)
        return tick_inline(w, 1) ? NULL : w->store;
    pthread_mutex_lock(&w->mu);
    w->want_pause = 1;
    pthread_cond_signal(&w->work);
    while (!w->parked && !w->joined)
        pthread_cond_wait(&w->room, &w->mu);
    s = w->failed ? NULL : w->store;
    pthread_mutex_unlock(&w->mu);
    return s;
}

void dln_store_writer_resume(dln_store_writer *w)
{
    if (!w->threaded)
        return;
    pthread_mutex_lock(&w->mu);
    w->want_pause = 0;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
}

int dln_store_writer_flush(dln_store_writer *w)
{
    int rc;
    if (!w->threaded)
        return tick_inline(w, 1);
    pthread_mutex_lock(&w->mu);
    w->want_flush = 1;
    pthread_cond_signal(&w->work);
    rc = w->failed;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int dln_store_writer_tick(dln_store_writer *w)
{
    return w->threaded ? dln_store_writer_failed(w) : tick_inline(w, 0);
}

int dln_store_writer_threaded(const dln_store_writer *w)
{
    return w->threaded;
}

int dln_store_writer_finish(dln_store_writer *w)
{
    int rc;
    if (!w->threaded) {
        rc = tick_inline(w, 1);
        w->joined = 1;
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    if (w->started && !w->joined) {
        w->stopping = 1;
        w->want_pause = 0;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
        pthread_mutex_lock(&w->mu);
        w->joined = 1;
        pthread_cond_broadcast(&w->room);
    }
    rc = w->failed;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void dln_store_writer_destroy(dln_store_writer **wp)
{
    dln_store_writer *w = wp ? *wp : NULL;
    if (!w)
        return;
    dln_store_writer_finish(w);
    for (entry *e = w->head, *nx; e; e = nx) {
        nx = e->next;
        entry_free(e);
    }
    pthread_cond_destroy(&w->room);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->mu);
    free(w);
    *wp = NULL;
}

int dln_store_writer_failed(dln_store_writer *w)
{
    int f;
    pthread_mutex_lock(&w->mu);
    f = w->failed;
    pthread_mutex_unlock(&w->mu);
    return f;
}

const char *dln_store_writer_errmsg(const dln_store_writer *w)
{
    return w->msg;
}

void dln_store_writer_stats_get(dln_store_writer *w,
                                dln_store_writer_stats *st)
{
    pthread_mutex_lock(&w->mu);
    *st = w->stats;
    pthread_mutex_unlock(&w->mu);
}
