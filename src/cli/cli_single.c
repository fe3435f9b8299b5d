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
#include "dlnsweep/footprint.h"
#include "dlnsweep/npy.h"
#include "dlnsweep/paramdefs.h"
#include "dlnsweep/result.h"
#include "dlnsweep/run.h"
#include "dlnsweep/store.h"
#include "dlnsweep/theory.h"
#include "cli_internal.h"

#ifndef DLN_GIT_HASH
#define DLN_GIT_HASH "unknown"
#endif

#define PROG "dlnsweep single"

static void usage(FILE *out)
{
    fputs("usage: dlnsweep single [options] [--db FILE] [--json]\n"
          "\n"
          "One full-batch GD run of a deep linear network W_L...W_1 fitted to\n"
          "M* = U diag(s) V^T with loss 1/2||W_{L:1} - M*||_F^2, classified as\n"
          "converged / periodic / quasiperiodic / chaotic / unresolved / saddle /\n"
          "collapsed / divergent (README \"What a run computes\").\n"
          "Every option but --seed, --db and --json is a job file's grid: axis\n"
          "or diagnostics: setting (`dlnsweep params` lists them).\n"
          "\n"
          "model and training (grid: axes):\n", out);
    dln_cli_print_params(out, DLN_PS_GRID, 1);
    fputs("diagnostics (diagnostics: settings):\n", out);
    dln_cli_print_params(out, DLN_PS_DIAG, 1);
    fprintf(out,
        "  (--full-spectrum: models of at most %d parameters)\n"
        "output:\n"
        "  --seed S                global seed; the run's seed is derived from it\n"
        "                          and the cell (default 0)\n"
        "  --db FILE               write the run into FILE (created if missing)\n"
        "  --json                  print the summary as one JSON object\n"
        "  --help                  this text\n"
        "\n"
        "Exit status: 0 done (divergent runs included), 2 bad input or\n"
        "unusable database, 1 internal failure.\n",
        DLN_RUN_FULL_SPECTRUM_MAX);
}

/* Strict parser of --seed: the whole text, a non-negative integer.
 * 0, or 2 with a one-line message naming the option. */
static int parse_u64(const char *opt, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || text[0] == '-') {
        dln_cli_error(PROG, "--%s: '%s' is not a non-negative integer", opt,
                      text);
        return 2;
    }
    *out = (uint64_t)v;
    return 0;
}

/* A validation message "key: reason" as "--key: reason" (underscores of
 * the key become dashes, the option spelling). */
static void print_invalid(const char *msg)
{
    char key[64] = "";
    const char *colon = strchr(msg, ':');
    for (size_t k = 0; colon && k + 1 < sizeof key && msg + k < colon; k++)
        key[k] = msg[k] == '_' ? '-' : msg[k];
    dln_cli_error(PROG, "--%s%s", key, colon ? colon : msg);
}

/* The end-of-run dynamics (run.h) of r as members of o. */
static void add_dynamics(json_object *o, const dln_params *p,
                         const dln_result *r)
{
    const char *why = dln_reason_name(r->reason);
#define ADD(key, val) json_object_object_add(o, key, val)
    ADD("reason", why ? json_object_new_string(why) : NULL);
    ADD("lyapunov_err", dln_json_real(r->lyapunov_err));
    ADD("lyapunov_spectrum", dln_json_reals(r->lyap, r->n_lyap));
    ADD("lyapunov_spectrum_err", dln_json_reals(r->lyap_err, r->n_lyap));
    ADD("lyapunov_steps_done", json_object_new_int64(r->lyapunov_steps_done));
    ADD("lyapunov_inset", dln_json_real(r->lyapunov_inset));
    ADD("lyapunov_inset_err", dln_json_real(r->lyapunov_inset_err));
    ADD("lyapunov_transverse", dln_json_real(r->lyapunov_transverse));
    ADD("lyapunov_transverse_err", dln_json_real(r->lyapunov_transverse_err));
    ADD("floquet", dln_result_floquet_json(r));
    ADD("floquet_max", dln_json_real(r->floquet_max));
    ADD("floquet_inset_max", dln_json_real(r->floquet_inset_max));
    ADD("floquet_transverse_max", dln_json_real(r->floquet_transverse_max));
    ADD("transverse_stable", json_object_new_int(r->transverse_stable));
    ADD("in_set", json_object_new_int(r->in_set));
    ADD("set_defect", dln_json_real(r->set_defect));
    ADD("n_collapsed", json_object_new_int(r->n_collapsed));
    ADD("mode_regimes", dln_result_modes_json(r, p));
#undef ADD
}

/* The summary as one JSON object (keys as README documents them). */
static int print_json(FILE *out, const dln_task *t, const dln_result *r,
                      const char *db)
{
    const dln_params *p = &t->params;
    json_object *o = json_object_new_object();
#define ADD(key, val) json_object_object_add(o, key, val)
    ADD("regime", json_object_new_string(dln_regime_name(r->regime)));
    ADD("period", json_object_new_int(r->period));
    ADD("eta", dln_json_real(p->eta));
    ADD("two_over_eta", dln_json_real(2.0 / p->eta));
    ADD("final_loss", dln_json_real(r->final_loss));
    ADD("sharpness", dln_json_real(r->sharpness));
    ADD("sharpness_theory", dln_json_real(dln_theory_sharpness(p)));
    ADD("lyapunov", dln_json_real(r->lyapunov));
    add_dynamics(o, p, r);
    ADD("diverge_step", json_object_new_int64(r->diverge_step));
    ADD("steps_done", json_object_new_int64(r->steps_done));
    ADD("sv_product", dln_json_reals(r->sv_product, r->n_sv_product));
    ADD("hessian_top", dln_json_reals(r->hessian_top, r->n_hessian_top));
    ADD("balance_gap", dln_json_real(r->balance_gap));
    ADD("offdiag_mass", dln_json_real(r->offdiag_mass));
    ADD("n_oscillating", json_object_new_int(r->n_oscillating));
    ADD("n_oscillating_theory", json_object_new_int(r->n_oscillating_theory));
    ADD("n_hessian_above_eos", json_object_new_int(r->n_hessian_above_eos));
    ADD("n_traj", json_object_new_int(r->n_traj));
    ADD("orbit_sv1", dln_json_reals(r->orbit_sv1, r->n_orbit));
    ADD("orbit_loss", dln_json_reals(r->orbit_loss, r->n_orbit));
    ADD("cell_hash", json_object_new_string(t->cell_hash));
    ADD("seed_index", json_object_new_int(t->seed_index));
    ADD("seed", json_object_new_uint64(p->seed));
    if (db)
        ADD("db", json_object_new_boolean(1));
    ADD("wall_s", dln_json_real(r->wall_s));
    ADD("git_hash", json_object_new_string(DLN_GIT_HASH));
#undef ADD
    int rc = dln_json_print(out, o);
    json_object_put(o);
    return rc;
}

static void print_text(FILE *out, const dln_task *t, const dln_result *r,
                       const char *db)
{
    const dln_params *p = &t->params;
    fprintf(out, "regime        %s", dln_regime_name(r->regime));
    if (r->regime == DLN_REGIME_PERIODIC)
        fprintf(out, " (period %d)", r->period);
    if (r->regime == DLN_REGIME_DIVERGENT && r->diverge_step >= 0)
        fprintf(out, " (at step %ld)", r->diverge_step);
    if (r->regime == DLN_REGIME_SADDLE)
        fprintf(out, " (%d mode%s collapsed)", r->n_collapsed,
                r->n_collapsed == 1 ? "" : "s");
    if (dln_reason_name(r->reason))
        fprintf(out, " [%s]", dln_reason_name(r->reason));
    fprintf(out, "\nfinal loss    %.10g\n", r->final_loss);
    fprintf(out, "sharpness     %.10g   (2/eta = %.10g, theory at a balanced "
            "minimum %.10g)\n", r->sharpness, 2.0 / p->eta,
            dln_theory_sharpness(p));
    fprintf(out, "lyapunov      %.6g +- %.2g per step (full; %ld tangent "
            "steps)\n", r->lyapunov, r->lyapunov_err, r->lyapunov_steps_done);
    if (r->in_set >= 0)
        fprintf(out, "svs set       %s (off-set mass %.2g)\n",
                r->in_set ? "in: labelled by the in-set dynamics"
                          : "left: labelled by the full dynamics",
                r->set_defect);
    if (r->in_set == 1)
        fprintf(out, "in-set        %.6g +- %.2g; transverse %.6g +- %.2g "
                "(%s)\n", r->lyapunov_inset, r->lyapunov_inset_err,
                r->lyapunov_transverse, r->lyapunov_transverse_err,
                r->transverse_stable == 1   ? "stable across the set"
                : r->transverse_stable == 0 ? "unstable across the set"
                                            : "undecided");
    if (r->n_floquet > 0) {
        fputs("floquet       ", out);
        for (int i = 0; i < r->n_floquet; i++)
            fprintf(out, " %.6g%+.6gi", r->floquet_re[i], r->floquet_im[i]);
        fputc('\n', out);
    }
    if (r->n_modes > 0) {
        fputs("modes        ", out);
        for (int i = 0; i < r->n_modes; i++)
            fprintf(out, " %s(%d)", dln_mode_state_name(r->mode_state[i]),
                    r->mode_period[i]);
        fputc('\n', out);
    }
    fputs("sv(W_{L:1})  ", out);
    for (int i = 0; i < r->n_sv_product; i++)
        fprintf(out, " %.8g", r->sv_product[i]);
    fprintf(out, "\nbalance gap   %.6g\noffdiag mass  %.6g\n", r->balance_gap,
            r->offdiag_mass);
    fprintf(out, "oscillating   %d of %d modes (theory %d)\n",
            r->n_oscillating, p->rank, r->n_oscillating_theory);
    if (r->n_hessian_above_eos >= 0)
        fprintf(out, "hessian       %d of %d eigenvalues above 2/eta\n",
                r->n_hessian_above_eos, r->n_hessian_spectrum);
    fprintf(out, "wall          %.3f s\n", r->wall_s);
    if (db)
        fprintf(out, "written to    %s (cell %s, seed_index %d)\n", db,
                t->cell_hash, t->seed_index);
}

/* Options: one per parameter row (val OPT_PARAM + row index; flags for
 * booleans), then the others. */
enum { OPT_PARAM = 1000, OPT_SEED = 2000, OPT_DB, OPT_JSON };

typedef struct options {
    struct option opt[DLN_PARAM_MAX + 5];
    char names[DLN_PARAM_MAX][48];
} options;

static void build_options(options *o)
{
    static const struct option rest[] = {
        {"seed", required_argument, NULL, OPT_SEED},
        {"db", required_argument, NULL, OPT_DB},
        {"json", no_argument, NULL, OPT_JSON},
        DLN_OPT_HELP_ENTRY,
        {NULL, 0, NULL, 0}};
    int n = dln_param_count();
    for (int i = 0; i < n; i++) {
        const dln_param_def *d = dln_param_at(i);
        dln_cli_option_name(d, o->names[i], sizeof o->names[i]);
        o->opt[i] = (struct option){o->names[i],
                                    d->type == DLN_PT_BOOL ? no_argument
                                                           : required_argument,
                                    NULL, OPT_PARAM + i};
    }
    memcpy(o->opt + n, rest, sizeof rest);
}

/* Parse argv into p, *db, *json. Returns 0, 2 on bad input (message
 * printed), or -1 after --help. */
static int parse_args(int argc, char **argv, dln_params *p, uint64_t *gseed,
                      const char **db, int *json)
{
    options o;
    char err[256];
    int c;
    build_options(&o);
    dln_cli_opts r = dln_cli_opts_begin(argc, argv, "", o.opt);
    while ((c = dln_cli_next_option(&r)) > 0) {
        const dln_param_def *d = c >= OPT_PARAM && c < OPT_SEED
                                     ? dln_param_at(c - OPT_PARAM) : NULL;
        if (d && d->type == DLN_PT_BOOL)
            dln_param_set(p, d, 1.0);
        else if (d) {
            if (dln_param_parse(p, d, optarg, err, sizeof err)) {
                print_invalid(err);
                return 2;
            }
        } else if (c == OPT_SEED) {
            if (parse_u64("seed", optarg, gseed))
                return 2;
        } else if (c == OPT_DB)
            *db = optarg;
        else if (c == OPT_JSON)
            *json = 1;
        else {   /* DLN_OPT_OPERAND */
            dln_cli_error(PROG, "unexpected argument '%s' (try --help)",
                          optarg);
            return 2;
        }
    }
    if (c == DLN_OPT_HELP) {
        usage(stdout);
        return -1;
    }
    if (c == DLN_OPT_BAD) {
        dln_cli_error(PROG, "%s", r.msg);
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
    double *x0 = NULL;   /* init file: the weights */
    char err[512], owner[128], host[64];

    memset(&task, 0, sizeof task);
    dln_result_init(&r);
    dln_params_defaults(&task.params);
    rc = parse_args(argc, argv, &task.params, &gseed, &db, &json);
    if (rc) {
        rc = rc < 0 ? 0 : 2;
        goto cleanup;
    }
    /* A run that cannot fit in this node's memory is refused up front. */
    dln_footprint fp;
    double need = dln_footprint_estimate(&task.params, 1, &fp);
    double have = dln_cli_node_memory();
    if (have > 0 && need > have) {
        char a[32], b[32];
        dln_cli_format_size(need, a, sizeof a);
        dln_cli_format_size(have, b, sizeof b);
        dln_cli_error(PROG, "this run needs about %s (mostly the %s), more "
                      "than this node's %s", a,
                      dln_footprint_largest(&fp, NULL), b);
        rc = 2;
        goto cleanup;
    }
    dln_params_cell_hash(&task.params, task.cell_hash);
    task.seed_index = 0;
    task.params.seed = dln_params_derive_seed(task.cell_hash, 0, gseed);
    task.cost = dln_params_cost(&task.params);
    /* Open the database before training so a bad path fails fast. */
    if (db && (rc = dln_store_create(db, 0, &store, err, sizeof err))) {
        dln_cli_error(PROG, "%s", err);
        goto cleanup;
    }
    /* One writer per database: a sweep writing db keeps us out. */
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    snprintf(owner, sizeof owner, "single:%s:%ld", host, (long)getpid());
    if (store && (rc = dln_store_lease_acquire(store, owner,
                                               DLN_STORE_LEASE_STALE_S, err,
                                               sizeof err))) {
        dln_cli_error(PROG, "%s", err);
        goto cleanup;
    }
    leased = store != NULL;
    if (task.params.init == DLN_INIT_FILE &&
        (rc = dln_npy_load_init(&task.params, &x0, err, sizeof err))) {
        fprintf(stderr, PROG ": %s\n", err);
        goto cleanup;
    }
    rc = dln_run_from(&task.params, x0, &r);
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
    free(x0);
    return rc;
}
