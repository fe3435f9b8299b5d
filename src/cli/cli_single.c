/* cli_single.c — `dlnsweep single`: one training run from command-line
 * options, optionally written to a database (one row, replacing the same
 * cell's row), summarised on stdout as text or JSON.  No MPI. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dlnsweep/cli.h"
#include "dlnsweep/diagnostics.h"
#include "dlnsweep/params.h"
#include "dlnsweep/result.h"
#include "dlnsweep/run.h"
#include "dlnsweep/store.h"
#include "dlnsweep/theory.h"

#ifndef DLN_GIT_HASH
#define DLN_GIT_HASH "unknown"
#endif

#define PROG "dlnsweep single"

static void usage(FILE *out)
{
    dln_params d;
    dln_params_defaults(&d);
    fprintf(out,
        "usage: dlnsweep single [options] [--db FILE] [--json]\n"
        "\n"
        "One full-batch GD run of a deep linear network W_L...W_1 fitted to\n"
        "M* = U diag(s) V^T with loss 1/2||W_{L:1} - M*||_F^2, classified as\n"
        "converged / periodic / chaotic / divergent / collapsed / unresolved.\n"
        "\n"
        "model:\n"
        "  --eta E              GD step size (default %g)\n"
        "  --depth L            number of layers (default %d)\n"
        "  --width D            hidden width (default %d)\n"
        "  --d-in N, --d-out N  input/output dims (default: = width)\n"
        "  --spectrum LIST      singular values of M*, descending (default 10,9.5,9)\n"
        "  --rotate             random singular bases U, V (default: diagonal M*)\n"
        "  --init KIND          identity|balanced|orthogonal|gaussian (default identity)\n"
        "  --alpha A            init scale (default %g)\n"
        "training and diagnostics:\n"
        "  --steps N            GD steps (default %ld)\n"
        "  --seed S             global seed; the run's seed is derived from it\n"
        "                       and the cell (default 0)\n"
        "  --record-every K     trajectory point every K steps, 0 = none (default %d)\n"
        "  --sharpness-every K  Lanczos sharpness every K steps, 0 = final only (default %d)\n"
        "  --lanczos-iters N    Krylov dimension (default %d)\n"
        "  --top-k K            Hessian eigenvalues kept (default %d)\n"
        "  --max-period P       longest period detected (default %d)\n"
        "  --period-tol T       relative tolerance of the period test (default %g)\n"
        "  --tail T             late-orbit points kept (default %d)\n"
        "  --lyapunov-steps N   tangent-map steps for the Lyapunov exponent (default %d)\n"
        "  --transient-window N steps of the slow-transient fit near period\n"
        "                       doublings (-1 auto = min(steps/4, 4096), 0 off)\n"
        "  --diverge-bound B    loss above B is divergence (default %g)\n"
        "  --full-spectrum      dense Hessian spectrum at the end (<= %d parameters)\n"
        "output:\n"
        "  --db FILE            write the run into FILE (created if missing)\n"
        "  --json               print the summary as one JSON object\n"
        "  --help               this text\n"
        "\n"
        "Exit status: 0 done (divergent runs included), 2 bad input or\n"
        "unusable database, 1 internal failure.\n",
        d.eta, d.depth, d.width, d.alpha, d.steps, d.record_every,
        d.sharpness_every, d.lanczos_iters, d.top_k, d.max_period,
        d.period_tol, d.tail, d.lyapunov_steps, d.diverge_bound,
        DLN_RUN_FULL_SPECTRUM_MAX);
}

/* Strict number parsers: the whole text, finite, in range. Return 0 or 2
 * with a one-line message naming the option. */
static int parse_double(const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        fprintf(stderr, PROG ": --%s: '%s' is not a finite number\n", opt,
                text);
        return 2;
    }
    *out = v;
    return 0;
}

static int parse_long(const char *opt, const char *text, long lo, long hi,
                      long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
        fprintf(stderr, PROG ": --%s: '%s' is not an integer in %ld..%ld\n",
                opt, text, lo, hi);
        return 2;
    }
    *out = v;
    return 0;
}

static int parse_int(const char *opt, const char *text, int *out)
{
    long v;
    if (parse_long(opt, text, 0, INT_MAX, &v))
        return 2;
    *out = (int)v;
    return 0;
}

static int parse_u64(const char *opt, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || text[0] == '-') {
        fprintf(stderr, PROG ": --%s: '%s' is not a non-negative integer\n",
                opt, text);
        return 2;
    }
    *out = (uint64_t)v;
    return 0;
}

/* A validation message "key: reason" as "--key: reason" (underscores of
 * the key become dashes, the option spelling). */
static void print_invalid(const char *msg)
{
    const char *colon = strchr(msg, ':');
    fputs(PROG ": --", stderr);
    for (const char *c = msg; colon && c < colon; c++)
        fputc(*c == '_' ? '-' : *c, stderr);
    fprintf(stderr, "%s\n", colon ? colon : msg);
}

/* JSON number: %.17g, or null when not finite. */
static void json_num(FILE *out, const char *key, double v)
{
    if (isfinite(v))
        fprintf(out, "\"%s\":%.17g,", key, v);
    else
        fprintf(out, "\"%s\":null,", key);
}

static void json_array(FILE *out, const char *key, const double *v, int n)
{
    fprintf(out, "\"%s\":[", key);
    for (int i = 0; i < n; i++) {
        if (isfinite(v[i]))
            fprintf(out, "%s%.17g", i ? "," : "", v[i]);
        else
            fprintf(out, "%snull", i ? "," : "");
    }
    fputs("],", out);
}

static void print_json(FILE *out, const dln_task *t, const dln_result *r,
                       const char *db)
{
    const dln_params *p = &t->params;
    fprintf(out, "{\"regime\":\"%s\",\"period\":%d,", dln_regime_name(r->regime),
            r->period);
    json_num(out, "eta", p->eta);
    json_num(out, "two_over_eta", 2.0 / p->eta);
    json_num(out, "final_loss", r->final_loss);
    json_num(out, "sharpness", r->sharpness);
    json_num(out, "sharpness_theory", dln_theory_sharpness(p));
    json_num(out, "lyapunov", r->lyapunov);
    fprintf(out, "\"diverge_step\":%ld,\"steps_done\":%ld,", r->diverge_step,
            r->steps_done);
    json_array(out, "sv_product", r->sv_product, r->n_sv_product);
    json_array(out, "hessian_top", r->hessian_top, r->n_hessian_top);
    json_num(out, "balance_gap", r->balance_gap);
    json_num(out, "offdiag_mass", r->offdiag_mass);
    fprintf(out, "\"n_oscillating\":%d,\"n_oscillating_theory\":%d,",
            r->n_oscillating, dln_theory_oscillating_modes(p));
    fprintf(out, "\"n_hessian_above_eos\":%d,\"n_traj\":%d,",
            r->n_hessian_above_eos, r->n_traj);
    json_array(out, "orbit_sv1", r->orbit_sv1, r->n_orbit);
    json_array(out, "orbit_loss", r->orbit_loss, r->n_orbit);
    fprintf(out, "\"cell_hash\":\"%s\",\"seed_index\":%d,\"seed\":%llu,",
            t->cell_hash, t->seed_index, (unsigned long long)p->seed);
    if (db)
        fputs("\"db\":true,", out);
    json_num(out, "wall_s", r->wall_s);
    /* the last json_num left a trailing comma: close with a fixed key */
    fprintf(out, "\"git_hash\":\"%s\"}\n", DLN_GIT_HASH);
}

static void print_text(FILE *out, const dln_task *t, const dln_result *r,
                       const char *db)
{
    const dln_params *p = &t->params;
    fprintf(out, "regime        %s", dln_regime_name(r->regime));
    if (r->regime == DLN_REGIME_PERIODIC)
        fprintf(out, " (period %d)", r->period);
    if (r->regime == DLN_REGIME_DIVERGENT)
        fprintf(out, " (at step %ld)", r->diverge_step);
    fprintf(out, "\nfinal loss    %.10g\n", r->final_loss);
    fprintf(out, "sharpness     %.10g   (2/eta = %.10g, theory at a balanced "
            "minimum %.10g)\n", r->sharpness, 2.0 / p->eta,
            dln_theory_sharpness(p));
    fprintf(out, "lyapunov      %.6g per step\n", r->lyapunov);
    fputs("sv(W_{L:1})  ", out);
    for (int i = 0; i < r->n_sv_product; i++)
        fprintf(out, " %.8g", r->sv_product[i]);
    fprintf(out, "\nbalance gap   %.6g\noffdiag mass  %.6g\n", r->balance_gap,
            r->offdiag_mass);
    fprintf(out, "oscillating   %d of %d modes (theory %d)\n",
            r->n_oscillating, p->rank, dln_theory_oscillating_modes(p));
    if (r->n_hessian_above_eos >= 0)
        fprintf(out, "hessian       %d of %d eigenvalues above 2/eta\n",
                r->n_hessian_above_eos, r->n_hessian_spectrum);
    fprintf(out, "wall          %.3f s\n", r->wall_s);
    if (db)
        fprintf(out, "written to    %s (cell %s, seed_index %d)\n", db,
                t->cell_hash, t->seed_index);
}

enum {
    OPT_ETA = 1000, OPT_DEPTH, OPT_WIDTH, OPT_DIN, OPT_DOUT, OPT_SPECTRUM,
    OPT_ROTATE, OPT_INIT, OPT_ALPHA, OPT_STEPS, OPT_SEED, OPT_RECORD,
    OPT_SHARP, OPT_LANCZOS, OPT_TOPK, OPT_MAXP, OPT_PTOL, OPT_TAIL, OPT_LYAP,
    OPT_TWIN, OPT_DIVB, OPT_FULL, OPT_DB, OPT_JSON, OPT_HELP
};

static const struct option long_opts[] = {
    {"eta", required_argument, NULL, OPT_ETA},
    {"depth", required_argument, NULL, OPT_DEPTH},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"d-in", required_argument, NULL, OPT_DIN},
    {"d-out", required_argument, NULL, OPT_DOUT},
    {"spectrum", required_argument, NULL, OPT_SPECTRUM},
    {"rotate", no_argument, NULL, OPT_ROTATE},
    {"init", required_argument, NULL, OPT_INIT},
    {"alpha", required_argument, NULL, OPT_ALPHA},
    {"steps", required_argument, NULL, OPT_STEPS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"record-every", required_argument, NULL, OPT_RECORD},
    {"sharpness-every", required_argument, NULL, OPT_SHARP},
    {"lanczos-iters", required_argument, NULL, OPT_LANCZOS},
    {"top-k", required_argument, NULL, OPT_TOPK},
    {"max-period", required_argument, NULL, OPT_MAXP},
    {"period-tol", required_argument, NULL, OPT_PTOL},
    {"tail", required_argument, NULL, OPT_TAIL},
    {"lyapunov-steps", required_argument, NULL, OPT_LYAP},
    {"transient-window", required_argument, NULL, OPT_TWIN},
    {"diverge-bound", required_argument, NULL, OPT_DIVB},
    {"full-spectrum", no_argument, NULL, OPT_FULL},
    {"db", required_argument, NULL, OPT_DB},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0}
};

/* Parse argv into p, *db, *json. Returns 0, 2 on bad input (message
 * printed), or -1 after --help. */
static int parse_args(int argc, char **argv, dln_params *p, uint64_t *gseed,
                      const char **db, int *json)
{
    char err[256];
    long lv = 0;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
        const char *opt = NULL;
        for (const struct option *o = long_opts; o->name; o++)
            if (o->val == c)
                opt = o->name;
        int rc = 0;
        switch (c) {
        case OPT_ETA: rc = parse_double(opt, optarg, &p->eta); break;
        case OPT_DEPTH: rc = parse_int(opt, optarg, &p->depth); break;
        case OPT_WIDTH: rc = parse_int(opt, optarg, &p->width); break;
        case OPT_DIN: rc = parse_int(opt, optarg, &p->d_in); break;
        case OPT_DOUT: rc = parse_int(opt, optarg, &p->d_out); break;
        case OPT_SPECTRUM:
            if (dln_params_parse_spectrum(p, optarg, err, sizeof err)) {
                print_invalid(err);
                rc = 2;
            }
            break;
        case OPT_ROTATE: p->rotate = 1; break;
        case OPT_INIT:
            if (dln_init_parse(optarg, &p->init)) {
                fprintf(stderr, PROG ": --init: unknown kind '%s' (identity,"
                        " balanced, orthogonal or gaussian)\n", optarg);
                rc = 2;
            }
            break;
        case OPT_ALPHA: rc = parse_double(opt, optarg, &p->alpha); break;
        case OPT_STEPS:
            rc = parse_long(opt, optarg, 1, LONG_MAX, &lv);
            p->steps = lv;
            break;
        case OPT_SEED: rc = parse_u64(opt, optarg, gseed); break;
        case OPT_RECORD: rc = parse_int(opt, optarg, &p->record_every); break;
        case OPT_SHARP: rc = parse_int(opt, optarg, &p->sharpness_every); break;
        case OPT_LANCZOS: rc = parse_int(opt, optarg, &p->lanczos_iters); break;
        case OPT_TOPK: rc = parse_int(opt, optarg, &p->top_k); break;
        case OPT_MAXP: rc = parse_int(opt, optarg, &p->max_period); break;
        case OPT_PTOL: rc = parse_double(opt, optarg, &p->period_tol); break;
        case OPT_TAIL: rc = parse_int(opt, optarg, &p->tail); break;
        case OPT_LYAP: rc = parse_int(opt, optarg, &p->lyapunov_steps); break;
        case OPT_TWIN:
            rc = parse_long(opt, optarg, -1, LONG_MAX, &p->transient_window);
            break;
        case OPT_DIVB: rc = parse_double(opt, optarg, &p->diverge_bound); break;
        case OPT_FULL: p->full_spectrum = 1; break;
        case OPT_DB: *db = optarg; break;
        case OPT_JSON: *json = 1; break;
        case OPT_HELP: usage(stdout); return -1;
        case ':':
            fprintf(stderr, PROG ": %s: needs a value\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, PROG ": unknown option '%s' (try --help)\n",
                    argv[optind - 1]);
            return 2;
        }
        if (rc)
            return 2;
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument '%s' (try --help)\n",
                argv[optind]);
        return 2;
    }
    if (dln_params_validate(p, err, sizeof err)) {
        print_invalid(err);
        return 2;
    }
    return 0;
}

int dln_cli_single(int argc, char **argv)
{
    dln_task task;
    dln_result r;
    dln_store *store = NULL;
    dln_provenance prov;
    const char *db = NULL;
    uint64_t gseed = 0;
    int json = 0, rc, leased = 0;
    char err[512], owner[128], host[64];

    memset(&task, 0, sizeof task);
    dln_result_init(&r);
    dln_params_defaults(&task.params);
    rc = parse_args(argc, argv, &task.params, &gseed, &db, &json);
    if (rc) {
        rc = rc < 0 ? 0 : 2;
        goto cleanup;
    }
    dln_params_cell_hash(&task.params, task.cell_hash);
    task.seed_index = 0;
    task.params.seed = dln_params_derive_seed(task.cell_hash, 0, gseed);
    task.cost = dln_params_cost(&task.params);
    /* Open the database before training so a bad path fails fast. */
    if (db && dln_store_create(db, 0, &store, err, sizeof err)) {
        fprintf(stderr, PROG ": %s\n", err);
        rc = 2;
        goto cleanup;
    }
    /* One writer per database: a sweep writing db keeps us out. */
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    snprintf(owner, sizeof owner, "single:%s:%ld", host, (long)getpid());
    if (store && dln_store_lease_acquire(store, owner, 600.0, err,
                                         sizeof err)) {
        fprintf(stderr, PROG ": %s\n", err);
        rc = 2;
        goto cleanup;
    }
    leased = store != NULL;
    rc = dln_run(&task.params, &r);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", r.error);
        goto cleanup;
    }
    if (store) {
        memset(&prov, 0, sizeof prov);
        snprintf(prov.git_hash, sizeof prov.git_hash, "%s", DLN_GIT_HASH);
        if (gethostname(prov.host, sizeof prov.host) != 0)
            snprintf(prov.host, sizeof prov.host, "unknown");
        prov.host[sizeof prov.host - 1] = '\0';
        prov.attempt = 1;
        if (dln_store_put_run(store, &task, &r, &prov, 1)) {
            fprintf(stderr, PROG ": %s: cannot write the run: %s\n", db,
                    dln_store_errmsg(store));
            rc = 1;
            goto cleanup;
        }
    }
    if (json)
        print_json(stdout, &task, &r, db);
    else
        print_text(stdout, &task, &r, db);
    rc = 0;
cleanup:
    if (leased)
        dln_store_lease_release(store, owner);
    dln_store_destroy(&store);
    dln_result_clear(&r);
    return rc;
}
