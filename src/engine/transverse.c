/* transverse.c — in-set / transverse split of an orbit's exponents and
 * multipliers, and the stability verdict across the SVS set
 * (transverse.h). */
#include <math.h>
#include <string.h>
#include "dlnsweep/transverse.h"

void dln_transverse_defaults(dln_transverse_settings *s)
{
    memset(s, 0, sizeof *s);
    dln_lyap_defaults(&s->lyap);
    dln_floquet_defaults(&s->floquet);
    s->set_tol = 1e-10;
    s->mult_tol = 1e-6;
    s->lyap_tol = 1e-4;
}

dln_transverse_verdict dln_transverse_decide(const dln_transverse_settings *s,
                                             double set_defect,
                                             const dln_lyap_result *tr,
                                             const dln_floquet_result *ftr)
{
    if (!(set_defect <= s->set_tol))
        return DLN_TRANSVERSE_OFF_SET;
    if (ftr && ftr->converged)   /* n = 0: no transverse direction */
        return ftr->n > 0 && ftr->modulus[0] > 1.0 + s->mult_tol
                   ? DLN_TRANSVERSE_UNSTABLE
                   : DLN_TRANSVERSE_STABLE;
    if (!tr || tr->status != DLN_LYAP_OK)
        return DLN_TRANSVERSE_UNDECIDED;
    if (tr->k == 0)
        return DLN_TRANSVERSE_STABLE;
    double lam = tr->exponent[0], err = tr->error[0];
    if (lam - 3.0 * err > s->lyap_tol)
        return DLN_TRANSVERSE_UNSTABLE;
    if (lam + 3.0 * err <= s->lyap_tol)
        return DLN_TRANSVERSE_STABLE;
    return DLN_TRANSVERSE_UNDECIDED;
}

/* Exponents (and multipliers, period > 0) of one block. Returns 0, 1, 2. */
static int measure_block(dln_model *m, double eta, int period, dln_svs *svs,
                         dln_block b, const dln_transverse_settings *s,
                         dln_lyap *lw, dln_floquet *fw, dln_lyap_result *lr,
                         dln_floquet_result *fr)
{
    dln_lyap_settings ls = s->lyap;
    dln_floquet_settings fs = s->floquet;
    int rc;
    ls.block = fs.block = b;
    ls.quotient = fs.quotient = b == DLN_BLOCK_TRANSVERSE;
    if (period > 0 && ls.period == 0)
        ls.period = period;
    if ((rc = dln_lyap_run(lw, m, eta, svs, &ls, lr)) != 0)
        return rc;
    if (period > 0)
        rc = dln_floquet_run(fw, m, eta, period, svs, &fs, fr);
    return rc;
}

int dln_transverse_run(dln_model *m, double eta, int period,
                       const dln_transverse_settings *s,
                       dln_transverse_result *out)
{
    dln_svs *svs = NULL;
    dln_lyap *lw = NULL;
    dln_floquet *fw = NULL;
    int rc;
    memset(out, 0, sizeof *out);
    out->set_defect = NAN;
    if (period < 0)
        return 2;
    if ((rc = dln_svs_create(m, &svs)) != 0 ||
        (rc = dln_lyap_create(m, s->lyap.k, &lw)) != 0 ||
        (rc = dln_floquet_create(m, &fw)) != 0)
        goto cleanup;
    if ((rc = dln_svs_fit(svs, m, &out->set_defect)) != 0)
        goto cleanup;
    out->identity_bases = dln_svs_identity_bases(svs);
    out->dim_inset = dln_svs_block_dim(svs, DLN_BLOCK_INSET);
    out->dim_transverse = dln_svs_block_dim(svs, DLN_BLOCK_TRANSVERSE);
    out->neutral = dln_svs_set_point(svs, dln_model_params(m));
    out->verdict = DLN_TRANSVERSE_OFF_SET;
    if (!(out->set_defect <= s->set_tol)) {
        for (int i = 0; i < DLN_LYAP_MAX_K; i++)
            out->inset.exponent[i] = out->transverse.exponent[i] = NAN;
        goto cleanup;
    }
    out->has_floquet = period > 0;
    if ((rc = measure_block(m, eta, period, svs, DLN_BLOCK_INSET, s, lw, fw,
                            &out->inset, &out->f_inset)) != 0 ||
        (rc = measure_block(m, eta, period, svs, DLN_BLOCK_TRANSVERSE, s, lw,
                            fw, &out->transverse, &out->f_transverse)) != 0)
        goto cleanup;
    out->verdict = dln_transverse_decide(
        s, out->set_defect, &out->transverse,
        out->has_floquet ? &out->f_transverse : NULL);
cleanup:
    dln_floquet_destroy(&fw);
    dln_lyap_destroy(&lw);
    dln_svs_destroy(&svs);
    return rc;
}
