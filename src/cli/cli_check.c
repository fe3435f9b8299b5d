/* cli_check.c — `dlnsweep check JOB.yaml [--list]`: validate a job file and
 * print its size and predicted cost (and with --list every task).  No MPI. */
#include <stdio.h>
#include <string.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/jobspec.h"
#include "dlnsweep/paramdefs.h"

static void usage(FILE *out)
{
    fputs("usage: dlnsweep check JOB.yaml [--list]\n"
          "\n"
          "Validates a job file (errors: one line FILE:LINE: key 'K': reason,\n"
          "exit status 2) and prints its name, hash, axes, number of cells,\n"
          "seeds and tasks and the predicted cost.  --list also prints every\n"
          "task in expansion order, one per line.\n", out);
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
 * every axis in expansion order (exact text), cost. */
static int print_tasks(const dln_jobspec *j)
{
    printf("index\tcell_hash\tseed_index\tseed");
    for (int k = 0; k < dln_param_axis_count(); k++)
        printf("\t%s", dln_param_axis(k)->name);
    printf("\tcost\n");
    for (long i = 0; i < dln_jobspec_ntasks(j); i++) {
        dln_task t;
        char v[DLN_MAX_SPECTRUM * 26];
        if (dln_jobspec_task(j, i, &t))
            return 1;
        printf("%ld\t%s\t%d\t%llu", t.index, t.cell_hash, t.seed_index,
               (unsigned long long)t.params.seed);
        for (int k = 0; k < dln_param_axis_count(); k++) {
            dln_param_format(&t.params, dln_param_axis(k), DLN_TEXT_EXACT, v,
                             sizeof v);
            printf("\t%s", v);
        }
        printf("\t%.4g\n", t.cost);
    }
    return 0;
}

int dln_cli_check(int argc, char **argv)
{
    const char *path = NULL;
    int list = 0, rc;
    char err[1024];
    dln_jobspec *j = NULL;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--list"))
            list = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "dlnsweep check: unknown option '%s' (try "
                    "--help)\n", argv[i]);
            return 2;
        } else if (path) {
            fprintf(stderr, "dlnsweep check: one job file at a time (got "
                    "'%s' and '%s')\n", path, argv[i]);
            return 2;
        } else
            path = argv[i];
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    rc = dln_jobspec_load(path, &j, err, sizeof err);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        goto done;
    }
    print_summary(j);
    if (list)
        rc = print_tasks(j);
    if (fflush(stdout) || ferror(stdout)) {
        fputs("dlnsweep check: cannot write output\n", stderr);
        rc = 1;
    }
done:
    dln_jobspec_destroy(&j);
    return rc;
}
