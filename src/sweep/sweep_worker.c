/* sweep_worker.c — running one task, and the worker ranks' side of the
 * sweep protocol (see sweep_internal.h): ask for work, run it, send each
 * result back; the wide group's leader relays wide tasks to its group. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dlnsweep/clock.h"
#include "dlnsweep/jobspec.h"
#include "dlnsweep/npy.h"
#include "dlnsweep/pmodel.h"
#include "dlnsweep/run.h"
#include "sweep_internal.h"
#include "sweep_refine.h"

/* Test hook (docs/development.md "Testing hooks"): DLNSWEEP_INJECT_ERROR
 * is a comma list of cell hashes whose runs fail (regime error, "injected
 * failure") without training, so tests can make errors to retry.  1 if t
 * is one. */
static int injected_failure(const dln_task *t)
{
    const char *list = getenv("DLNSWEEP_INJECT_ERROR");
    size_t n = strlen(t->cell_hash);
    for (const char *p = list; p && *p; p += strcspn(p, ",")) {
        p += *p == ',';
        if (!strncmp(p, t->cell_hash, n) && (p[n] == ',' || !p[n]))
            return 1;
    }
    return 0;
}

static void finish_task(const dln_sweep *s, long index, int wide, int rc,
                        double wall, dln_result *r, dln_wire_header *hdr);

void dln_sweep_run_task(dln_sweep *s, long index, int wide, dln_result *r,
                        dln_wire_header *hdr)
{
    dln_task t;
    char why[sizeof r->error] = "";
    double *x0 = NULL;   /* init file: the weights (a group: its rank 0) */
    int rc = dln_jobspec_task(s->job, index, &t), lead = 1, bad = 0;
    double t0 = dln_clock_now();
    dln_result_init(r);
    if (rc == 0 && !wide && injected_failure(&t)) {
        snprintf(r->error, sizeof r->error, "injected failure "
                 "(DLNSWEEP_INJECT_ERROR)");
        rc = 1;
    } else if (rc != 0)
        snprintf(r->error, sizeof r->error, "task %ld: cannot expand the job "
                 "file", index);
    else if (dln_sweep_is_continuation(s->job, index)) {
        if (t.params.init == DLN_INIT_FILE) {   /* its models start anew */
            snprintf(r->error, sizeof r->error, "task %ld: a continuation "
                     "does not start from an init file", index);
            rc = 2;
        } else
            rc = dln_sweep_run_continuation(s->job, index, r);
    } else {
        if (wide) {
            MPI_Comm_rank(s->group, &lead);
            lead = lead == 0;
        }
        if (t.params.init == DLN_INIT_FILE && lead)
            bad = dln_npy_load_init(&t.params, &x0, why, sizeof why);
        if (wide)   /* a leader without x0: every rank of the group refuses */
            rc = dln_prun_from(&t.params, x0, s->group, r);
        else
            rc = bad ? bad : dln_run_from(&t.params, x0, r);
        if (bad)
            snprintf(r->error, sizeof r->error, "%s", why);
        free(x0);
    }
    finish_task(s, index, wide, rc, dln_clock_now() - t0, r, hdr);
}

/* What dln_sweep_run_task does after the run of task index (rc its code,
 * wall the time it took): an error result said, r->wall_s and hdr. */
static void finish_task(const dln_sweep *s, long index, int wide, int rc,
                        double wall, dln_result *r, dln_wire_header *hdr)
{
    if (rc != 0) {
        r->regime = DLN_REGIME_ERROR;
        if (!r->error[0])
            snprintf(r->error, sizeof r->error, "%s failed with code %d",
                     dln_sweep_is_continuation(s->job, index)
                         ? "the continuation"
                         : wide ? "dln_prun" : "dln_run", rc);
    }
    if (!(r->wall_s > 0))
        r->wall_s = wall;
    memset(hdr, 0, sizeof *hdr);
    hdr->index = index;
    hdr->rank = s->rank;
    hdr->status = rc;
    hdr->wall_s = r->wall_s;
    snprintf(hdr->host, sizeof hdr->host, "%s", s->host);
}

/* A task of a WORK message that may share a lock-step batch: its
 * parameters and initial weights (init file: loaded; NULL otherwise). */
typedef struct lane_task {
    dln_params p;
    double *x0;
    int ok;          /* batchable                                  */
    int done;        /* its result is made                         */
} lane_task;

/* Task idx's parameters if it may run in a batch (not a continuation,
 * no injected failure, small enough; an init file's weights loaded). */
static void lane_task_of(const dln_sweep *s, long idx, lane_task *lt)
{
    dln_task t;
    char why[256];
    memset(lt, 0, sizeof *lt);
    if (s->opt.lanes < 2 || dln_jobspec_task(s->job, idx, &t) ||
        injected_failure(&t) || dln_sweep_is_continuation(s->job, idx) ||
        !dln_run_batchable(&t.params))
        return;
    if (t.params.init == DLN_INIT_FILE &&
        dln_npy_load_init(&t.params, &lt->x0, why, sizeof why))
        return;   /* alone, where the load fails again and says why */
    lt->p = t.params;
    lt->ok = 1;
}

void dln_sweep_run_tasks(dln_sweep *s, const int64_t *idx, long n,
                         dln_result *r, dln_wire_header *hdr)
{
    lane_task *lt = calloc((size_t)n, sizeof *lt);
    dln_params *p = malloc(sizeof *p * (size_t)(n > 0 ? n : 1));
    const double **x0 = malloc(sizeof *x0 * (size_t)(n > 0 ? n : 1));
    long *at = malloc(sizeof *at * (size_t)(n > 0 ? n : 1));
    int *rc = malloc(sizeof *rc * (size_t)(n > 0 ? n : 1));
    for (long k = 0; lt && p && x0 && at && rc && k < n; k++)
        lane_task_of(s, (long)idx[k], &lt[k]);
    for (long k = 0; lt && p && x0 && at && rc && k < n; k++) {
        if (!lt[k].ok || lt[k].done)
            continue;
        /* k and the later tasks that share its batch, in order */
        int m = 0;
        for (long j = k; j < n && m < s->opt.lanes; j++)
            if (lt[j].ok && !lt[j].done &&
                dln_run_same_batch(&lt[k].p, &lt[j].p)) {
                at[m] = j;
                p[m] = lt[j].p;
                x0[m] = lt[j].x0;
                m++;
            }
        dln_result *out = malloc(sizeof *out * (size_t)m);
        if (!out)
            break;   /* those run alone below */
        for (int q = 0; q < m; q++)
            dln_result_init(&out[q]);
        if (dln_run_batch(p, x0, m, out, rc) == 0)
            for (int q = 0; q < m; q++) {
                long j = at[q];
                r[j] = out[q];
                lt[j].done = 1;
                finish_task(s, (long)idx[j], 0, rc[q], out[q].wall_s, &r[j],
                            &hdr[j]);
            }
        free(out);
        lt[k].ok = lt[k].done;   /* refused: alone */
    }
    for (long k = 0; k < n; k++) {
        if (lt && lt[k].done) {
            free(lt[k].x0);
            continue;
        }
        if (lt)
            free(lt[k].x0);
        dln_sweep_run_task(s, (long)idx[k], 0, &r[k], &hdr[k]);
    }
    free(lt);
    free(p);
    free(x0);
    free(at);
    free(rc);
}

/* Results on their way to the coordinator: each buffer lives until its
 * send completes.  Results above MPI's eager limit (a few KB: a trajectory
 * of a few dozen points) need the coordinator to match them, and it polls
 * with a back-off of up to a millisecond and writes to SQLite in between;
 * a blocking send waited for that after every task (issue 7 benchmarks:
 * ~1 ms lost per 1 ms cell).  Even a small result's send completes only
 * once the coordinator has taken it in (shared memory), so a depth of 8
 * held the worker of a batch of millisecond cells spinning in MPI_Wait
 * for the coordinator after every 8 results: longer than it trained (the
 * dense job on two ranks).  Now a send is completed only when its slot
 * comes round again, a WORK message's worth of results later, or earlier
 * while the pending results hold more than OUTBOX_BYTES.  MPI keeps the
 * order. */
#define OUTBOX_DEPTH DLN_SWEEP_MAX_BATCH
#define OUTBOX_BYTES ((size_t)64 << 20)

typedef struct outbox {
    MPI_Request req[OUTBOX_DEPTH];
    char *msg[OUTBOX_DEPTH];
    size_t len[OUTBOX_DEPTH];
    int next;                 /* the slot the next result goes to          */
    int oldest;               /* the oldest slot that may be pending       */
    size_t bytes;             /* held by the slots not yet completed       */
} outbox;

static void outbox_init(outbox *b)
{
    for (int i = 0; i < OUTBOX_DEPTH; i++) {
        b->req[i] = MPI_REQUEST_NULL;
        b->msg[i] = NULL;
        b->len[i] = 0;
    }
    b->next = b->oldest = 0;
    b->bytes = 0;
}

/* Complete slot i's send, if any, and free its buffer. 0 or 1. */
static int finish_slot(outbox *b, int i)
{
    int rc = 0;
    if (b->req[i] != MPI_REQUEST_NULL)
        rc = MPI_Wait(&b->req[i], MPI_STATUS_IGNORE) != MPI_SUCCESS;
    free(b->msg[i]);
    b->msg[i] = NULL;
    b->bytes -= b->len[i];
    b->len[i] = 0;
    return rc;
}

/* Complete the oldest pending sends until slot next is free and len more
 * bytes fit under OUTBOX_BYTES (or nothing is pending). 0 or 1. */
static int outbox_room(outbox *b, size_t len)
{
    while (b->msg[b->next] ||
           (b->msg[b->oldest] && b->bytes + len > OUTBOX_BYTES)) {
        if (finish_slot(b, b->oldest))
            return 1;
        b->oldest = (b->oldest + 1) % OUTBOX_DEPTH;
    }
    return 0;
}

/* Complete every pending send. 0 or 1. */
static int outbox_flush(outbox *b)
{
    int rc = 0;
    for (int i = 0; i < OUTBOX_DEPTH; i++)
        rc |= finish_slot(b, i);
    b->oldest = b->next;
    return rc;
}

/* Pack hdr + r and start sending it to the coordinator from the next slot
 * of b (completing earlier sends first where b is full).  0 or 1. */
static int send_result(dln_sweep *s, const dln_wire_header *hdr,
                       const dln_result *r, outbox *b)
{
    void *packed = NULL;
    size_t len = 0;
    char *msg = NULL;
    int rc = 1;
    if (dln_result_pack(r, &packed, &len))
        goto cleanup;
    if (len > (size_t)INT32_MAX - sizeof *hdr)
        goto cleanup;
    if (!(msg = malloc(sizeof *hdr + len)))
        goto cleanup;
    memcpy(msg, hdr, sizeof *hdr);
    memcpy(msg + sizeof *hdr, packed, len);
    int i = b->next;
    if (outbox_room(b, sizeof *hdr + len))
        goto cleanup;
    if (MPI_Isend(msg, (int)(sizeof *hdr + len), MPI_BYTE, 0, TAG_RESULT,
                  s->comm, &b->req[i]) != MPI_SUCCESS)
        goto cleanup;
    b->msg[i] = msg;
    b->len[i] = sizeof *hdr + len;
    b->bytes += b->len[i];
    b->next = (i + 1) % OUTBOX_DEPTH;
    msg = NULL;
    rc = 0;
cleanup:
    free(packed);
    free(msg);
    return rc;
}

static int send_ready(dln_sweep *s, int kind)
{
    int32_t msg[2] = {kind, dln_stop_signal()};
    return MPI_Send(msg, 2, MPI_INT32_T, 0, TAG_READY, s->comm) != MPI_SUCCESS;
}

/* Run the tasks of one WORK message (dln_sweep_run_tasks: same-shape
 * small ones in lock step), then send each result through b in the
 * message's order (the last ones may still be pending there); wait_s:
 * how long the worker waited for the message. 0 or 1. */
static int run_batch(dln_sweep *s, const int64_t *idx, long n, double wait_s,
                     outbox *b)
{
    dln_result *r = malloc(sizeof *r * (size_t)n);
    dln_wire_header *hdr = malloc(sizeof *hdr * (size_t)n);
    int rc = 0;
    if (!r || !hdr) {
        free(r);
        free(hdr);
        return 1;
    }
    dln_sweep_run_tasks(s, idx, n, r, hdr);
    for (long k = 0; k < n; k++) {
        hdr[k].batch_done = k == n - 1;
        hdr[k].signo = dln_stop_signal();
        hdr[k].wait_s = k == 0 ? wait_s : 0.0;
        if (!rc)
            rc = send_result(s, &hdr[k], &r[k], b);
        dln_result_clear(&r[k]);
    }
    free(r);
    free(hdr);
    return rc;
}

/* The wide group's loop until the coordinator says there is no wide task
 * left (*stop = 0: go on as small workers) or stop (*stop = 1). */
static int work_wide(dln_sweep *s, int *stop)
{
    int grank;
    MPI_Comm_rank(s->group, &grank);
    for (int first = 1;; first = 0) {
        int64_t cmd[2] = {MODE_STOP, -1};
        double wait_s = 0;
        if (grank == 0) {
            int64_t work[3];
            MPI_Status st;
            int count = 0;
            double t0 = dln_clock_now();
            /* After the first, each result said the leader is idle. */
            if (first && send_ready(s, READY_WIDE))
                return 1;
            if (MPI_Recv(work, 3, MPI_INT64_T, 0, TAG_WORK, s->comm, &st)
                != MPI_SUCCESS)
                return 1;
            MPI_Get_count(&st, MPI_INT64_T, &count);
            /* Task indices may be negative (refined tasks' codes). */
            if (work[0] == MODE_WORK && !(count == 3 && work[1] == 1))
                return 1;             /* malformed: cannot happen */
            cmd[0] = work[0];
            cmd[1] = work[0] == MODE_WORK ? work[2] : 0;
            wait_s = dln_clock_now() - t0;
        }
        if (MPI_Bcast(cmd, 2, MPI_INT64_T, 0, s->group) != MPI_SUCCESS)
            return 1;
        if (cmd[0] == MODE_STOP) {
            *stop = 1;
            return 0;
        }
        if (cmd[0] == MODE_NO_MORE_WIDE) {
            *stop = 0;
            return 0;
        }
        dln_result r;
        dln_wire_header hdr;
        dln_sweep_run_task(s, (long)cmd[1], 1, &r, &hdr);
        int rc = 0;
        if (grank == 0) {
            hdr.batch_done = 1;
            hdr.signo = dln_stop_signal();
            hdr.wait_s = wait_s;
            outbox b;
            outbox_init(&b);
            rc = send_result(s, &hdr, &r, &b) || outbox_flush(&b);
        }
        dln_result_clear(&r);
        if (rc)
            return 1;
    }
}

int dln_sweep_work(dln_sweep *s)
{
    int64_t *work = NULL;
    outbox b;
    int rc = 1;
    outbox_init(&b);
    if (s->group != MPI_COMM_NULL) {
        int stop = 0;
        if (work_wide(s, &stop))
            goto cleanup;
        if (stop) {
            rc = 0;
            goto cleanup;
        }
    }
    if (!(work = malloc((2 + DLN_SWEEP_MAX_BATCH) * sizeof *work)))
        goto cleanup;
    if (send_ready(s, READY_SMALL))
        goto cleanup;
    for (;;) {
        MPI_Status st;
        int count = 0;
        double t0 = dln_clock_now();
        if (MPI_Recv(work, 2 + DLN_SWEEP_MAX_BATCH, MPI_INT64_T, 0, TAG_WORK,
                     s->comm, &st) != MPI_SUCCESS)
            goto cleanup;
        MPI_Get_count(&st, MPI_INT64_T, &count);
        if (count < 2 || work[0] == MODE_STOP)
            break;
        if (work[0] != MODE_WORK || work[1] < 1 || work[1] > count - 2)
            goto cleanup;
        if (run_batch(s, work + 2, (long)work[1], dln_clock_now() - t0, &b))
            goto cleanup;
    }
    rc = outbox_flush(&b);
cleanup:
    /* On failure pending sends are left to MPI_Abort (waiting could hang
     * on a dead coordinator), and so are their buffers. */
    free(work);
    return rc;
}
