/* svs_probe.c — prints the engine's Lyapunov / Floquet / SVS-split numbers
 * for one case as JSON, for tests/test_svs_reference.py to compare with
 * its independent NumPy reference (tests/ref_floquet.py).
 *
 *   svs_probe split L width eta steps alpha init s1,s2,...
 *       GD for `steps` steps, then dln_transverse_run with the period
 *       found by dln_lyap's detection.
 *   svs_probe lyap L eta settle k alpha s
 *       width-1 network (balanced init alpha), `settle` GD steps, then the
 *       top k full-block exponents with the default error tolerance.
 *   svs_probe problem L width alpha init rotate seed s1,s2,...
 *       the problem a run of these parameters (derived seed `seed`, as in
 *       runs.seed) starts from: the target M* (d x d, column-major) and
 *       the initial layers W_1..W_L (each column-major), for
 *       tests/ref_labels.py to simulate on its own. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/lyapunov.h"
#include "dlnsweep/model.h"
#include "dlnsweep/transverse.h"

static dln_model *build(int L, int width, double eta, double alpha,
                        dln_init_kind init, const char *spec)
{
    dln_params p;
    char err[128];
    dln_model *m = NULL;
    dln_params_defaults(&p);
    p.depth = L;
    p.width = width;
    p.eta = eta;
    p.alpha = alpha;
    p.init = init;
    if (dln_params_parse_spectrum(&p, spec, err, sizeof err) ||
        dln_model_create(&p, &m)) {
        fprintf(stderr, "svs_probe: bad model (%s)\n", err);
        exit(2);
    }
    return m;
}

static void print_array(const char *key, const double *a, int n, int last)
{
    printf("  \"%s\": [", key);
    for (int i = 0; i < n; i++)
        printf("%s%.17g", i ? ", " : "", a[i]);
    printf("]%s\n", last ? "" : ",");
}

static void print_lyap(const char *pre, const dln_lyap_result *r)
{
    char key[64];
    snprintf(key, sizeof key, "%s_exponent", pre);
    print_array(key, r->exponent, r->k, 0);
    snprintf(key, sizeof key, "%s_error", pre);
    print_array(key, r->error, r->k, 0);
    printf("  \"%s_steps\": %ld, \"%s_period\": %d, \"%s_converged\": %d,\n",
           pre, r->steps, pre, r->period, pre, r->converged);
}

static void print_floquet(const char *pre, const dln_floquet_result *f)
{
    char key[64];
    snprintf(key, sizeof key, "%s_re", pre);
    print_array(key, f->re, f->n, 0);
    snprintf(key, sizeof key, "%s_im", pre);
    print_array(key, f->im, f->n, 0);
    printf("  \"%s_closure\": %.17g, \"%s_method\": %d,\n", pre, f->closure,
           pre, (int)f->method);
}

static int split(char **argv)
{
    int L = atoi(argv[0]), width = atoi(argv[1]);
    double eta = atof(argv[2]), alpha = atof(argv[4]);
    long steps = atol(argv[3]);
    dln_init_kind init;
    if (dln_init_parse(argv[5], &init))
        return 2;
    dln_model *m = build(L, width, eta, alpha, init, argv[6]);
    for (long t = 0; t < steps; t++)
        dln_model_step(m, NULL);
    dln_transverse_settings s;
    dln_transverse_result r;
    dln_transverse_defaults(&s);
    s.lyap.k = 2;
    s.floquet.nev = 8;
    /* The period the Lyapunov warm-up detects (full block, quick). */
    dln_lyap *lw = NULL;
    dln_lyap_result lr;
    dln_lyap_settings ls;
    dln_lyap_defaults(&ls);
    ls.k = 1;
    ls.max_steps = 1;
    ls.min_batches = 1;
    ls.batch = 1;
    if (dln_lyap_create(m, 1, &lw) || dln_lyap_run(lw, m, eta, NULL, &ls, &lr))
        return 1;
    dln_lyap_destroy(&lw);
    if (dln_transverse_run(m, eta, lr.period, &s, &r))
        return 1;
    printf("{\n  \"period\": %d, \"verdict\": %d, \"set_defect\": %.17g,\n",
           lr.period, (int)r.verdict, r.set_defect);
    printf("  \"neutral\": %d, \"dim_inset\": %zu, \"dim_transverse\": %zu,\n",
           r.neutral, r.dim_inset, r.dim_transverse);
    print_lyap("inset", &r.inset);
    print_lyap("transverse", &r.transverse);
    if (r.has_floquet) {
        print_floquet("f_inset", &r.f_inset);
        print_floquet("f_transverse", &r.f_transverse);
    }
    printf("  \"loss\": %.17g\n}\n", dln_model_loss(m));
    dln_model_destroy(&m);
    return 0;
}

static int lyap(char **argv)
{
    int L = atoi(argv[0]), k = atoi(argv[3]);
    double eta = atof(argv[1]), alpha = atof(argv[4]);
    long settle = atol(argv[2]);
    dln_model *m = build(L, 1, eta, alpha, DLN_INIT_BALANCED, argv[5]);
    for (long t = 0; t < settle; t++)
        dln_model_step(m, NULL);
    dln_lyap *w = NULL;
    dln_lyap_settings s;
    dln_lyap_result r;
    dln_lyap_defaults(&s);
    s.k = k;
    if (dln_lyap_create(m, k, &w) || dln_lyap_run(w, m, eta, NULL, &s, &r))
        return 1;
    printf("{\n");
    print_lyap("full", &r);
    printf("  \"status\": %d\n}\n", (int)r.status);
    dln_lyap_destroy(&w);
    dln_model_destroy(&m);
    return 0;
}

static int problem(char **argv)
{
    dln_params p;
    char err[128];
    dln_model *m = NULL;
    dln_params_defaults(&p);
    p.depth = atoi(argv[0]);
    p.width = atoi(argv[1]);
    p.alpha = atof(argv[2]);
    p.rotate = atoi(argv[4]);
    p.seed = (uint64_t)strtoll(argv[5], NULL, 10);
    if (dln_init_parse(argv[3], &p.init) ||
        dln_params_parse_spectrum(&p, argv[6], err, sizeof err) ||
        dln_model_create(&p, &m))
        return 2;
    printf("{\n");
    print_array("target", dln_model_target(m), p.width * p.width, 0);
    print_array("x0", dln_model_params(m), (int)dln_model_nparams(m), 1);
    printf("}\n");
    dln_model_destroy(&m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 9 && strcmp(argv[1], "problem") == 0)
        return problem(argv + 2);
    if (argc == 9 && strcmp(argv[1], "split") == 0)
        return split(argv + 2);
    if (argc == 8 && strcmp(argv[1], "lyap") == 0)
        return lyap(argv + 2);
    fprintf(stderr, "usage: svs_probe split L width eta steps alpha init spec"
                    " | lyap L eta settle k alpha s"
                    " | problem L width alpha init rotate seed spec\n");
    return 2;
}
