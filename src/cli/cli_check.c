/* cli_check.c — `dlnsweep check JOB.yaml [--list] [--json]`: validate a
 * job file and print its size, predicted cost and memory (and with --list
 * every task), a cell whose run cannot fit in a rank's memory being an
 * error; `--left DB [--shard I/N]`: how many of its tasks DB lacks.  No
 * MPI. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/jobspec.h"
#include "dlnsweep/paramdefs.h"
#include "dlnsweep/sweep.h"
#include "cli_internal.h"

static void usage(FILE *out)
{
    fputs("usage: dlnsweep check JOB.yaml [--list] [--json] [--mem-limit SIZE]\n"
          "                      [--ranks-per-node N]\n"
          "       dlnsweep check JOB.yaml --left DB [--shard I/N]\n"
          "\n"
          "Validates a job file (errors: one line FILE:LINE: key 'K': reason,\n"
          "exit status 2) and prints its name, hash, axes, number of cells,\n"
          "seeds and tasks, the predicted cost and the predicted memory of\n"
          "its largest run.  A cell whose run needs more memory than a rank\n"
          "has is an error too: the limit is this node's memory divided by\n"
          "--ranks-per-node (default 1), or --mem-limit SIZE (512M, 4G, ...).\n"
          "--list also prints every task in expansion order, one per line.\n"
          "--json prints the same as one JSON object (README: check --json).\n"
          "--left DB prints only the number of the job's tasks (of shard I of\n"
          "N with --shard) that DB has no row for: what `run` would still\n"
          "compute (every task when DB does not exist; with refine: and the\n"
          "grid complete, the next round's).  Read-only.\n",
          out);
}

static void print_summary(const dln_jobspec *j)
{
    printf("job:      %s\n", dln_jobspec_path(j));
    printf("name:     %s\n", dln_jobspec_name(j));
    printf("hash:     %016llx\n", (unsigned long long)dln_jobspec_hash(j));
    printf("axes:    ");
    int any = 0;
    for (int k = 0; k < dln_jobspec_axis_count(); k++)
        if (dln_jobspec_axis_len(j, k) > 1) {
            printf("%s %s %ld", any ? " x" : "", dln_jobspec_axis_name(k),
                   dln_jobspec_axis_len(j, k));
            any = 1;
        }
    printf("%s\n", any ? "" : " none (a single cell)");
    printf("cells:    %ld\n", dln_jobspec_ncells(j));
    printf("seeds:    %d (global seed %llu)\n", dln_jobspec_nseeds(j),
           (unsigned long long)dln_jobspec_global_seed(j));
    printf("tasks:    %ld\n", dln_jobspec_ntasks(j));
    printf("cost:     %.3g flops predicted\n", dln_jobspec_total_cost(j));
    if (dln_jobspec_wide_width(j) > 0) {
        long wide = 0;
        dln_params p;
        for (long c = 0; c < dln_jobspec_ncells(j); c++)
            if (!dln_jobspec_cell(j, c, &p) && dln_jobspec_is_wide(j, &p))
                wide++;
        printf("parallel: %ld cells with a dimension >= %d on groups of %d "
               "ranks\n", wide, dln_jobspec_wide_width(j),
               dln_jobspec_group_size(j));
    } else
        printf("parallel: none (every cell on one rank)\n");
    if (dln_jobspec_has_refine(j) &&
        dln_jobspec_refine_method(j) == DLN_REFINE_CONTINUATION)
        printf("refine:   %s, continuation, cycles up to period %d\n",
               dln_jobspec_refine_axis(j), dln_jobspec_refine_max_period(j));
    else if (dln_jobspec_has_refine(j))
        printf("refine:   %s, tol %g, at most %d points\n",
               dln_jobspec_refine_axis(j), dln_jobspec_refine_tol(j),
               dln_jobspec_refine_max_points(j));
    else
        printf("refine:   none\n");
}

/* One tab-separated line per task: index, cell hash, seed index, seed,
 * every axis in expansion order (exact text), times_edge when the job
 * gives eta so, cost. */
static int print_tasks(const dln_jobspec *j)
{
    dln_task t0;
    int edge = !dln_jobspec_task(j, 0, &t0) &&
               !isnan(dln_jobspec_times_edge(j, &t0));
    printf("index\tcell_hash\tseed_index\tseed");
    for (int k = 0; k < dln_param_axis_count(); k++)
        printf("\t%s", dln_param_axis(k)->name);
    printf("%s\tcost\n", edge ? "\ttimes_edge" : "");
    for (long i = 0; i < dln_jobspec_ntasks(j); i++) {
        dln_task t;
        char v[DLN_MAX_INIT_DIAG * 26];
        if (dln_jobspec_task(j, i, &t))
            return 1;
        printf("%ld\t%s\t%d\t%llu", t.index, t.cell_hash, t.seed_index,
               (unsigned long long)t.params.seed);
        for (int k = 0; k < dln_param_axis_count(); k++) {
            dln_param_format(&t.params, dln_param_axis(k), DLN_TEXT_EXACT, v,
                             sizeof v);
            printf("\t%s", v);
        }
        if (edge)
            printf("\t%.17g", dln_jobspec_times_edge(j, &t));
        printf("\t%.4g\n", t.cost);
    }
    return 0;
}

/* Task t as a JSON object: its key, seed, every axis, cost. */
static json_object *json_task(const dln_jobspec *j, const dln_task *t)
{
    json_object *o = json_object_new_object();
    char v[DLN_MAX_SPECTRUM * 26];
    json_object_object_add(o, "index", json_object_new_int64(t->index));
    json_object_object_add(o, "cell_hash",
                           json_object_new_string(t->cell_hash));
    json_object_object_add(o, "seed_index",
                           json_object_new_int(t->seed_index));
    json_object_object_add(o, "seed", json_object_new_uint64(t->params.seed));
    for (int k = 0; k < dln_param_axis_count(); k++) {
        const dln_param_def *d = dln_param_axis(k);
        json_object *x;
        if (d->type == DLN_PT_LIST)
            x = dln_json_reals(dln_param_list(&t->params, d),
                               dln_param_list_len(&t->params, d));
        else if (d->type == DLN_PT_INIT || d->type == DLN_PT_FILE) {
            dln_param_format(&t->params, d, DLN_TEXT_EXACT, v, sizeof v);
            x = json_object_new_string(v);
        } else if (d->type == DLN_PT_BOOL)
            x = json_object_new_boolean(dln_param_get(&t->params, d) != 0);
        else if (d->type == DLN_PT_REAL)
            x = dln_json_real(dln_param_get(&t->params, d));
        else
            x = json_object_new_int64((int64_t)dln_param_resolved(&t->params,
                                                                  d));
        json_object_object_add(o, d->name, x);
    }
    json_object_object_add(o, "times_edge",
                           dln_json_real(dln_jobspec_times_edge(j, t)));
    json_object_object_add(o, "cost", dln_json_real(t->cost));
    return o;
}

/* The summary (and with list every task) as one JSON object; peak and
 * limit: the largest predicted memory of a run and a rank's, bytes. */
static int print_json(const dln_jobspec *j, int list, double peak,
                      double limit)
{
    json_object *o = json_object_new_object(), *axes = json_object_new_object();
    int rc = 0;
    json_object_object_add(o, "job", json_object_new_string(
                                         dln_jobspec_path(j)));
    json_object_object_add(o, "name", json_object_new_string(
                                          dln_jobspec_name(j)));
    char hash[32];
    snprintf(hash, sizeof hash, "%016llx",
             (unsigned long long)dln_jobspec_hash(j));
    json_object_object_add(o, "hash", json_object_new_string(hash));
    for (int k = 0; k < dln_jobspec_axis_count(); k++)
        json_object_object_add(axes, dln_jobspec_axis_name(k),
                               json_object_new_int64(
                                   dln_jobspec_axis_len(j, k)));
    json_object_object_add(o, "axes", axes);
    json_object_object_add(o, "cells", json_object_new_int64(
                                           dln_jobspec_ncells(j)));
    json_object_object_add(o, "seeds", json_object_new_int(
                                           dln_jobspec_nseeds(j)));
    json_object_object_add(o, "global_seed", json_object_new_uint64(
                                                 dln_jobspec_global_seed(j)));
    json_object_object_add(o, "tasks", json_object_new_int64(
                                           dln_jobspec_ntasks(j)));
    json_object_object_add(o, "cost", dln_json_real(
                                          dln_jobspec_total_cost(j)));
    json_object_object_add(o, "refine", dln_jobspec_has_refine(j)
                           ? json_object_new_string(
                                 dln_jobspec_refine_axis(j)) : NULL);
    json_object_object_add(o, "memory_per_rank", dln_json_real(peak));
    json_object_object_add(o, "memory_limit", dln_json_real(limit));
    if (list) {
        json_object *a = json_object_new_array();
        json_object_object_add(o, "task_list", a);
        for (long i = 0; i < dln_jobspec_ntasks(j) && !rc; i++) {
            dln_task t;
            if (dln_jobspec_task(j, i, &t))
                rc = 1;
            else
                json_object_array_add(a, json_task(j, &t));
        }
    }
    if (!rc)
        rc = dln_json_print(stdout, o);
    json_object_put(o);
    return rc;
}

int dln_cli_check(int argc, char **argv)
{
    const char *path = NULL, *left_db = NULL, *shard = NULL;
    int list = 0, json = 0, rc, shard_index = 0, shard_count = 1;
    long per_node = 1;
    double limit = 0, peak = 0;
    char err[1024], why[128], text[32];
    dln_jobspec *j = NULL;

    static const struct option longs[] = {
        {"list", no_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},
        {"left", required_argument, NULL, 'L'},
        {"shard", required_argument, NULL, 's'},
        {"mem-limit", required_argument, NULL, 'm'},
        {"ranks-per-node", required_argument, NULL, 'r'},
        DLN_OPT_HELP_ENTRY, {0}};
    dln_cli_opts o = dln_cli_opts_begin(argc, argv, "", longs);
    int c;
    while ((c = dln_cli_next_option(&o)) > 0) {
        if (c == 'l')
            list = 1;
        else if (c == 'j')
            json = 1;
        else if (c == 'L')
            left_db = optarg;
        else if (c == 's')
            shard = optarg;
        else if (c == 'm') {
            if (dln_cli_parse_size(optarg, &limit)) {
                dln_cli_error("dlnsweep check", "--mem-limit '%s': expected "
                              "a size such as 512M or 4G", optarg);
                return 2;
            }
        } else if (c == 'r') {
            char *end;
            per_node = strtol(optarg, &end, 10);
            if (*end || end == optarg || per_node < 1 || per_node > 1 << 20) {
                dln_cli_error("dlnsweep check", "--ranks-per-node '%s': "
                              "expected a positive integer", optarg);
                return 2;
            }
        } else if (path) {   /* DLN_OPT_OPERAND */
            dln_cli_error("dlnsweep check", "one job file at a time (got "
                          "'%s' and '%s')", path, optarg);
            return 2;
        } else
            path = optarg;
    }
    if (c == DLN_OPT_HELP) {
        usage(stdout);
        return 0;
    }
    if (c == DLN_OPT_BAD) {
        dln_cli_error("dlnsweep check", "%s", o.msg);
        return 2;
    }
    if (!path) {
        fputs("dlnsweep check: needs a job file (try --help)\n", stderr);
        return 2;
    }
    if ((left_db && (list || json)) || (shard && !left_db)) {
        fputs("dlnsweep check: --left DB [--shard I/N] goes alone (try "
              "--help)\n", stderr);
        return 2;
    }
    if (shard && dln_cli_parse_shard(shard, &shard_index, &shard_count, err,
                                     sizeof err)) {
        dln_cli_error("dlnsweep check", "%s", err);
        return 2;
    }
    rc = dln_jobspec_load(path, &j, err, sizeof err);
    if (rc) {
        dln_cli_error(NULL, "%s", err);
        goto done;
    }
    if (left_db) {
        long left;
        rc = dln_sweep_tasks_left(j, left_db, shard_index, shard_count,
                                  &left, err, sizeof err);
        if (rc)
            dln_cli_error("dlnsweep check", "%s", err);
        else
            printf("%ld\n", left);
    } else {
        if (limit > 0)
            snprintf(why, sizeof why, "--mem-limit");
        else {
            limit = dln_cli_node_memory() / (double)per_node;
            snprintf(why, sizeof why, "node memory / %ld rank%s per node; "
                     "--mem-limit or --ranks-per-node to change it",
                     per_node, per_node > 1 ? "s" : "");
        }
        if ((rc = dln_cli_check_memory(j, dln_jobspec_wide_width(j) > 0
                                              ? dln_jobspec_group_size(j)
                                              : 0,
                                       limit, why, &peak, err,
                                       sizeof err))) {
            dln_cli_error(NULL, "%s", err);
            goto done;
        }
        if (json)
            rc = print_json(j, list, peak, limit);
        else {
            print_summary(j);
            dln_cli_format_size(peak, text, sizeof text);
            printf("memory:   up to %s per rank", text);
            dln_cli_format_size(limit, text, sizeof text);
            printf(" (limit %s)\n", text);
            if (list)
                rc = print_tasks(j);
        }
    }
    if (fflush(stdout) || ferror(stdout)) {
        fputs("dlnsweep check: cannot write output\n", stderr);
        rc = 1;
    }
done:
    dln_jobspec_destroy(&j);
    return rc;
}
