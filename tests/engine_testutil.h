/* engine_testutil.h — shared helpers of the engine tests (Hessian, Lanczos,
 * diagnostics): parameter sets, balanced global minima, dense spectra. */
#ifndef DLNSWEEP_ENGINE_TESTUTIL_H
#define DLNSWEEP_ENGINE_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <lapacke.h>
#include "dlnsweep/model.h"

/* Parameters of a test network (d_in, width, d_out; spectrum as text). */
static inline dln_params engine_params(int L, int din, int d, int dout,
                                const char *spec, int rotate,
                                dln_init_kind init)
{
    dln_params p;
    char err[128];
    dln_params_defaults(&p);
    p.depth = L;
    p.d_in = din;
    p.width = d;
    p.d_out = dout;
    p.rotate = rotate;
    p.init = init;
    p.alpha = 0.9;
    p.seed = 20240611;
    assert_int_equal(dln_params_parse_spectrum(&p, spec, err, sizeof err), 0);
    return p;
}

static inline dln_model *engine_model(const dln_params *p)
{
    dln_model *m = NULL;
    assert_int_equal(dln_model_create(p, &m), 0);
    assert_non_null(m);
    return m;
}

/* A model of depth L and width d (target spec, init, alpha, eta) after
 * `steps` GD steps. */
static inline dln_model *engine_trained(int L, int d, const char *spec,
                                        dln_init_kind init, double alpha,
                                        double eta, long steps)
{
    dln_params p = engine_params(L, 0, d, 0, spec, 0, init);
    p.alpha = alpha;
    p.eta = eta;
    dln_model *m = engine_model(&p);
    for (long t = 0; t < steps; t++)
        dln_model_step(m, NULL);
    return m;
}

/* Balanced global minimum for square widths (d_in = width = d_out = d):
 * c = s^(1/L) zero padded, W_1 = diag(c) V^T, W_L = U diag(c), middle layers
 * diag(c) (L = 1: W_1 = M*). With rotate = 0 all layers are diagonal.
 * Writes the flat parameters to x and sets them on m. */
static inline void engine_set_balanced_min(dln_model *m, const dln_params *p,
                                    double *x)
{
    int L = p->depth, d = p->width, r = p->rank;
    const double *u = dln_model_target_u(m), *v = dln_model_target_v(m);
    assert_int_equal(dln_params_d_in(p), d);
    assert_int_equal(dln_params_d_out(p), d);
    memset(x, 0, sizeof(double) * dln_model_nparams(m));
    if (L == 1) {
        memcpy(x, dln_model_target(m), sizeof(double) * (size_t)d * d);
    } else {
        for (int l = 1; l <= L; l++) {
            double *w = x + dln_model_layer_offset(m, l);
            for (int k = 0; k < r; k++) {
                double c = pow(p->spectrum[k], 1.0 / L);
                for (int i = 0; i < d; i++) {
                    if (l == 1)        /* row k of W_1 = c_k v_k^T */
                        w[k + (size_t)i * d] = c * v[i + (size_t)k * d];
                    else if (l == L)   /* column k of W_L = c_k u_k */
                        w[i + (size_t)k * d] = c * u[i + (size_t)k * d];
                }
                if (l != 1 && l != L)
                    w[k + (size_t)k * d] = c;
            }
        }
    }
    dln_model_set_params(m, x);
}

/* Eigenvalues (ascending) of the dense symmetric n x n matrix h, which is
 * overwritten. */
static inline void engine_eigvals(double *h, int n, double *ev)
{
    assert_int_equal(LAPACKE_dsyev(LAPACK_COL_MAJOR, 'N', 'U', n, h, n, ev), 0);
}

static inline int engine_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* max_i |a_i| */
static inline double engine_maxabs(const double *a, size_t n)
{
    double mx = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i]) > mx)
            mx = fabs(a[i]);
    return mx;
}

#endif
