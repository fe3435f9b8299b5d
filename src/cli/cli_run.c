/* cli_run.c — `dlnsweep run JOB.yaml --db FILE`: rank 0 reads the job file
 * and broadcasts its text, every rank parses it, then the sweep runs.
 * Every rank returns the same exit code; user errors print one line from
 * rank 0 before any work. */
#define _POSIX_C_SOURCE 200809L   /* strtok_r */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/file.h"
#include "dlnsweep/jobspec.h"
#include "dlnsweep/result.h"
#include "dlnsweep/sweep.h"
#include "cli_internal.h"

#define MAX_JOB_BYTES (16L << 20)

static const char run_usage[] =
    "usage: mpirun -n N dlnsweep run JOB.yaml --db FILE [options]\n"
    "\n"
    "Runs every task (cell x seed) of the job file that FILE does not hold\n"
    "yet. Rank 0 writes the database; the other ranks train (one rank: rank\n"
    "0 trains too). Wide cells (parallel: in the job file) run on a group of\n"
    "ranks 1..group_size while the remaining ranks keep running small cells.\n"
    "Results do not depend on the number of ranks.\n"
    "\n"
    "options:\n"
    "  --db FILE         results database (created if missing)\n"
    "  --force           resume a sweep whose job file changed since it was\n"
    "                    registered (default: refuse)\n"
    "  --quiet           no progress lines on stderr\n"
    "  --progress S      progress line every S seconds (default 3)\n"
    "  --commit-every S  commit results at least every S seconds (default\n"
    "                    2; a crash loses at most the last S seconds)\n"
    "  --shard I/N       only tasks whose index % N == I (Slurm arrays: one\n"
    "                    DB per shard, then `dlnsweep merge`)\n"
    "  --max-tasks K     hand out at most K tasks in this run\n"
    "  --retry REGIMES   run again the tasks whose stored regime is one of\n"
    "                    REGIMES (comma list, e.g. error,unresolved),\n"
    "                    replacing their rows\n"
    "  --max-attempts N  do not start a task (new or retried) that was\n"
    "                    started N times already (table attempts)\n"
    "  --mem-limit SIZE  memory one rank may use (512M, 4G, ...; default:\n"
    "                    this node's memory / the ranks on it); a cell\n"
    "                    predicted to need more is refused before any work\n"
    "  --lanes N         step up to N small same-shape tasks of a worker in\n"
    "                    lock step (default 256; 1: each alone); results\n"
    "                    are the same bits whatever N\n"
    "  --help            this text\n"
    "\n"
    "Stopping: SIGTERM, SIGINT or SIGUSR1 drains the sweep: no new tasks,\n"
    "the ones in flight are finished and committed, exit code 0. Rerun the\n"
    "same command to resume; a crashed run (kill -9) resumes the same way,\n"
    "losing at most the uncommitted last seconds. Open MPI's mpirun forwards\n"
    "SIGUSR1 to the ranks but turns SIGTERM/SIGINT into a kill after 1 s:\n"
    "signal mpirun with SIGUSR1 (srun and Slurm's own signals reach the\n"
    "ranks directly).\n"
    "\n"
    "exit codes: 0 done or drained, 2 bad job file / database / options,\n"
    "1 internal failure.\n";

typedef struct run_args {
    const char *job_path;
    int help;
    double mem_limit;        /* bytes per rank, 0: from the node's memory */
    dln_sweep_options opt;
} run_args;

static int parse_long(const char *text, long lo, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo)
        return 2;
    *out = v;
    return 0;
}

int dln_cli_parse_shard(const char *text, int *index, int *count,
                        char *msg, size_t len)
{
    long si, sn;
    char buf[64], *slash;
    snprintf(buf, sizeof buf, "%s", text);
    slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (!slash || parse_long(buf, 0, &si) || parse_long(slash + 1, 1, &sn) ||
        si >= sn || sn > INT_MAX) {
        snprintf(msg, len, "--shard '%s': expected I/N with 0 <= I < N",
                 text);
        return 2;
    }
    *index = (int)si;
    *count = (int)sn;
    return 0;
}

/* "error,unresolved" into a mask of (1u << regime); 0, or 2 with msg. */
static int parse_regimes(const char *text, unsigned *mask, char *msg,
                         size_t len)
{
    char buf[256];
    *mask = 0;
    snprintf(buf, sizeof buf, "%s", text);
    for (char *save = NULL, *w = strtok_r(buf, ",", &save); w;
         w = strtok_r(NULL, ",", &save)) {
        int g = 0;
        while (g <= DLN_REGIME_ERROR && strcmp(w, dln_regime_name(g)))
            g++;
        if (g > DLN_REGIME_ERROR) {
            snprintf(msg, len, "--retry: unknown regime '%.60s' (regimes: "
                     "converged, periodic, ..., unresolved, error)", w);
            return 2;
        }
        *mask |= 1u << g;
    }
    if (!*mask) {
        snprintf(msg, len, "--retry '%s': expected regimes, e.g. "
                 "error,unresolved", text);
        return 2;
    }
    return 0;
}

/* Parse argv (argv[0] is "run") into a; 0, or 2 with msg. Pure. */
static int parse_args(int argc, char **argv, run_args *a, char *msg,
                      size_t len)
{
    enum { PROGRESS = 256, COMMIT, SHARD, MEM, MAX_TASKS, LANES, RETRY,
           ATTEMPTS, DB, FORCE };
    static const struct option longs[] = {
        {"force", no_argument, NULL, FORCE},
        {"quiet", no_argument, NULL, 'q'},
        {"db", required_argument, NULL, DB},
        {"progress", required_argument, NULL, PROGRESS},
        {"commit-every", required_argument, NULL, COMMIT},
        {"shard", required_argument, NULL, SHARD},
        {"mem-limit", required_argument, NULL, MEM},
        {"max-tasks", required_argument, NULL, MAX_TASKS},
        {"lanes", required_argument, NULL, LANES},
        {"retry", required_argument, NULL, RETRY},
        {"max-attempts", required_argument, NULL, ATTEMPTS},
        DLN_OPT_HELP_ENTRY, {0}};
    dln_cli_opts o = dln_cli_opts_begin(argc, argv, "q", longs);
    int c;
    memset(a, 0, sizeof *a);
    dln_sweep_options_defaults(&a->opt);
    while ((c = dln_cli_next_option(&o)) > 0) {
        const char *val = optarg;
        long v;
        if (c == FORCE) {
            a->opt.allow_change = 1;
        } else if (c == 'q') {
            a->opt.quiet = 1;
        } else if (c == DB) {
            a->opt.db_path = val;
        } else if (c == PROGRESS || c == COMMIT) {
            char *end;
            double p = strtod(val, &end);
            if (end == val || *end || !(p > 0) || p > 1e6) {
                snprintf(msg, len, "%s '%s': expected seconds > 0",
                         c == PROGRESS ? "--progress" : "--commit-every",
                         val);
                return 2;
            }
            if (c == PROGRESS)
                a->opt.progress_every_s = p;
            else
                a->opt.batch_seconds = p;
        } else if (c == SHARD) {
            if (dln_cli_parse_shard(val, &a->opt.shard_index,
                                    &a->opt.shard_count, msg, len))
                return 2;
        } else if (c == MEM) {
            if (dln_cli_parse_size(val, &a->mem_limit)) {
                snprintf(msg, len, "--mem-limit '%s': expected a size such "
                         "as 512M or 4G", val);
                return 2;
            }
        } else if (c == MAX_TASKS) {
            if (parse_long(val, 1, &v)) {
                snprintf(msg, len, "--max-tasks '%s': expected a positive "
                         "integer", val);
                return 2;
            }
            a->opt.max_tasks = v;
        } else if (c == LANES) {
            if (parse_long(val, 1, &v) || v > 1000000) {
                snprintf(msg, len, "--lanes '%s': expected an integer in "
                         "1..1000000", val);
                return 2;
            }
            a->opt.lanes = (int)v;
        } else if (c == RETRY) {
            if (parse_regimes(val, &a->opt.retry_regimes, msg, len))
                return 2;
        } else if (c == ATTEMPTS) {
            if (parse_long(val, 1, &v) || v > INT_MAX) {
                snprintf(msg, len, "--max-attempts '%s': expected a positive "
                         "integer", val);
                return 2;
            }
            a->opt.max_attempts = (int)v;
        } else if (!a->job_path) {   /* DLN_OPT_OPERAND */
            a->job_path = val;
        } else {
            snprintf(msg, len, "unexpected argument '%s' (one job file; try "
                     "--help)", val);
            return 2;
        }
    }
    if (c == DLN_OPT_HELP) {
        a->help = 1;
        return 0;
    }
    if (c == DLN_OPT_BAD) {
        snprintf(msg, len, "%s", o.msg);
        return 2;
    }
    if (!a->job_path) {
        snprintf(msg, len, "needs a job file (try --help)");
        return 2;
    }
    if (!a->opt.db_path) {
        snprintf(msg, len, "needs --db FILE (try --help)");
        return 2;
    }
    return 0;
}

/* Rank 0 reads the job file, every rank gets its text and parses it.
 * Collective; returns the same code on every rank (0, 1 or 2), rank 0
 * printing the one-line error. */
static int load_job(MPI_Comm comm, int rank, const char *path,
                    dln_jobspec **job)
{
    char msg[1024] = "", *text = NULL;
    long len = -1;
    int rc = 0, worst = 0;
    *job = NULL;
    if (rank == 0) {
        size_t n = 0;
        rc = dln_file_read(path, "job file", MAX_JOB_BYTES, &text, &n, msg,
                           sizeof msg);
        len = rc ? -(long)rc : (long)n;
    }
    MPI_Bcast(&len, 1, MPI_LONG, 0, comm);
    if (len < 0) {
        rc = (int)-len;
        goto cleanup;
    }
    if (rank != 0 && !(text = malloc((size_t)len + 1)))
        rc = 1;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, comm);
    if ((rc = worst))
        goto cleanup;
    MPI_Bcast(text, (int)len, MPI_CHAR, 0, comm);
    text[len] = '\0';
    rc = dln_jobspec_parse(path, text, (size_t)len, job, msg, sizeof msg);
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, comm);
    rc = worst;
cleanup:
    if (rc) {
        if (rank == 0)
            dln_cli_error("dlnsweep run", "%s",
                          msg[0] ? msg : "cannot load the job file");
        dln_jobspec_destroy(job);
    }
    free(text);
    return rc;
}

/* Every cell's predicted memory against the limit per rank (--mem-limit,
 * or rank 0's node memory over the ranks on that node).  Collective; the
 * same 0 or 2 on every rank, rank 0 printing the refusal. */
static int check_memory(MPI_Comm comm, int rank, const dln_jobspec *job,
                        const dln_sweep *sweep, double mem_limit)
{
    MPI_Comm node;
    int local = 1, rc = 0;
    char why[128], msg[1024];
    double peak;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL,
                            &node) == MPI_SUCCESS) {
        MPI_Comm_size(node, &local);
        MPI_Comm_free(&node);
    }
    if (rank == 0) {
        double limit = mem_limit;
        if (limit > 0)
            snprintf(why, sizeof why, "--mem-limit");
        else {
            limit = dln_cli_node_memory() / local;
            snprintf(why, sizeof why, "node memory / %d rank%s on it; "
                     "--mem-limit to change it", local, local > 1 ? "s" : "");
        }
        rc = dln_cli_check_memory(job, dln_sweep_wide_group(sweep), limit,
                                  why, &peak, msg, sizeof msg);
        if (rc)
            dln_cli_error("dlnsweep run", "%s", msg);
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    return rc;
}

int dln_cli_run(MPI_Comm comm, int argc, char **argv)
{
    run_args a;
    dln_jobspec *job = NULL;
    dln_sweep *sweep = NULL;
    char msg[512] = "";
    int rank = 0, rc;
    MPI_Comm_rank(comm, &rank);
    if ((rc = parse_args(argc, argv, &a, msg, sizeof msg))) {
        if (rank == 0)
            dln_cli_error("dlnsweep run", "%s", msg);
        goto cleanup;
    }
    if (a.help) {
        if (rank == 0)
            fputs(run_usage, stdout);
        goto cleanup;
    }
    if ((rc = load_job(comm, rank, a.job_path, &job)))
        goto cleanup;
    if ((rc = dln_sweep_create(comm, job, &a.opt, &sweep)) ||
        (rc = check_memory(comm, rank, job, sweep, a.mem_limit)))
        goto cleanup;
    rc = dln_sweep_execute(sweep);
cleanup:
    dln_sweep_destroy(&sweep);
    dln_jobspec_destroy(&job);
    return rc;
}
