/* test_prun.c — dln_prun (distributed) against dln_run (serial) on the
 * same cells: every field of the result, trajectory and late orbit, in a
 * converged, a periodic, a divergent and a full-spectrum run.  Rank 0
 * compares; the verdict is broadcast before any assertion so all ranks
 * pass or fail together.  DLN_TEST_VERBOSE=1 prints the worst deviations. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mpi.h>
#include "dlnsweep/pmodel.h"
#include "dlnsweep/run.h"
#include "mpi_testutil.h"

static int world_rank;

/* Largest relative deviation seen and where (rank 0). */
static double worst;
static char worst_what[96];

static void near(const char *what, double a, double b, double tol)
{
    double dev;
    if (isnan(a) || isnan(b))
        dev = isnan(a) && isnan(b) ? 0.0 : INFINITY;
    else if (isinf(a) || isinf(b))
        dev = a == b ? 0.0 : INFINITY;
    else
        dev = fabs(a - b) / fmax(1.0, fabs(b)) / tol;
    if (dev > worst) {
        worst = dev;
        snprintf(worst_what, sizeof worst_what, "%s: %.17g vs %.17g", what, a,
                 b);
    }
}

static void same(const char *what, long a, long b)
{
    if (a != b && worst < INFINITY) {
        worst = INFINITY;
        snprintf(worst_what, sizeof worst_what, "%s: %ld vs %ld", what, a, b);
    }
}

/* Worst deviation of the distributed result from the serial one in units
 * of tol (<= 1 passes). */
static double compare(const dln_result *d, const dln_result *s, double tol)
{
    worst = 0.0;
    worst_what[0] = '\0';
    same("regime", d->regime, s->regime);
    same("period", d->period, s->period);
    same("steps_done", d->steps_done, s->steps_done);
    same("diverge_step", d->diverge_step, s->diverge_step);
    near("final_loss", d->final_loss, s->final_loss, tol);
    near("sharpness", d->sharpness, s->sharpness, tol);
    /* lyapunov: not compared; the distributed engine keeps its single
     * exponent over the run's last steps, the serial one measures a
     * continuation of the final state (run.h). */
    near("balance_gap", d->balance_gap, s->balance_gap, tol);
    near("offdiag_mass", d->offdiag_mass, s->offdiag_mass, tol);
    same("n_oscillating", d->n_oscillating, s->n_oscillating);
    same("n_hessian_top", d->n_hessian_top, s->n_hessian_top);
    for (int i = 0; i < s->n_hessian_top && i < d->n_hessian_top; i++)
        near("hessian_top", d->hessian_top[i], s->hessian_top[i], tol);
    same("n_sv_product", d->n_sv_product, s->n_sv_product);
    for (int i = 0; i < s->n_sv_product && i < d->n_sv_product; i++)
        near("sv_product", d->sv_product[i], s->sv_product[i], tol);
    same("n_sv_layers", d->n_sv_layers, s->n_sv_layers);
    for (int i = 0; i < s->n_sv_layers * DLN_MAX_SV && d->sv_layers; i++)
        near("sv_layers", d->sv_layers[i], s->sv_layers[i], tol);
    same("n_traj", d->n_traj, s->n_traj);
    for (int i = 0; i < s->n_traj && i < d->n_traj; i++) {
        const dln_traj_point *a = &d->traj[i], *b = &s->traj[i];
        same("traj.step", a->step, b->step);
        near("traj.loss", a->loss, b->loss, tol);
        near("traj.sharpness", a->sharpness, b->sharpness, tol);
        near("traj.sv1", a->sv1, b->sv1, tol);
        near("traj.sv2", a->sv2, b->sv2, tol);
        near("traj.balance_gap", a->balance_gap, b->balance_gap, tol);
        near("traj.offdiag_mass", a->offdiag_mass, b->offdiag_mass, tol);
        same("traj.n_oscillating", a->n_oscillating, b->n_oscillating);
    }
    same("n_orbit", d->n_orbit, s->n_orbit);
    for (int i = 0; i < s->n_orbit && i < d->n_orbit; i++) {
        near("orbit_sv1", d->orbit_sv1[i], s->orbit_sv1[i], tol);
        near("orbit_loss", d->orbit_loss[i], s->orbit_loss[i], tol);
    }
    /* the per-step detail: modes, singular values, tracked Hessian
     * eigenvalues, layers, every gap */
    same("detail.stride", d->detail.stride, s->detail.stride);
    same("orbit_step0", d->orbit_step0, s->orbit_step0);
    same("traj_detail", d->traj_detail != NULL, s->traj_detail != NULL);
    size_t stride = (size_t)s->detail.stride;
    for (size_t i = 0; i < (size_t)s->n_orbit * stride && d->orbit_detail &&
                       d->detail.stride == s->detail.stride; i++)
        near("orbit_detail", d->orbit_detail[i], s->orbit_detail[i], tol);
    for (size_t i = 0; i < (size_t)s->n_traj * stride && d->traj_detail &&
                       s->traj_detail && d->n_traj == s->n_traj &&
                       d->detail.stride == s->detail.stride; i++)
        near("traj_detail", d->traj_detail[i], s->traj_detail[i], tol);
    same("n_hessian_spectrum", d->n_hessian_spectrum, s->n_hessian_spectrum);
    same("n_hessian_above_eos", d->n_hessian_above_eos,
         s->n_hessian_above_eos);
    for (int i = 0; i < s->n_hessian_spectrum && i < d->n_hessian_spectrum;
         i++)
        near("hessian_spectrum", d->hessian_spectrum[i],
             s->hessian_spectrum[i], tol);
    return worst;
}

/* depth-3 net 3 -> 20 -> 20 -> 3 with the default spectrum (10, 9.5, 9),
 * whose modes start oscillating at eta = 0.0309, 0.0331, 0.0356 (as the
 * width-3 net of test_run_modes.c: the extra hidden units only carry
 * directions the gradient never reaches from a rectangular-identity init). */
static dln_params net(double eta, dln_init_kind init, int rotate)
{
    dln_params p;
    dln_params_defaults(&p);
    p.width = 20;
    p.d_in = p.d_out = 3;
    p.eta = eta;
    p.init = init;
    p.alpha = 1.0;
    p.rotate = rotate;
    p.steps = 1500;
    p.record_every = 100;
    p.sharpness_every = 500;
    p.lyapunov_steps = 300;
    p.max_period = 16;
    p.tail = 40;
    p.seed = 2024;
    return p;
}

/* dln_prun on every rank and dln_run on rank 0; returns the deviation
 * (units of tol) on every rank; *regime gets the serial regime. */
static double check(const dln_params *p, double tol, int *regime,
                    int *period, int *above_eos)
{
    dln_result d, s;
    dln_result_init(&d);
    dln_result_init(&s);
    int rc = dln_prun(p, MPI_COMM_WORLD, &d);
    double dev = rc == 0 ? 0.0 : INFINITY;
    int head[3] = {-1, -1, -1};
    /* every rank learns the regime and period */
    int ok_others = d.regime == DLN_REGIME_ERROR ? 0 : 1;
    if (world_rank == 0) {
        int rs = dln_run(p, &s);
        dev = rs || rc ? INFINITY : compare(&d, &s, tol);
        head[0] = (int)s.regime;
        head[1] = s.period;
        head[2] = s.n_hessian_above_eos;
        if (getenv("DLN_TEST_VERBOSE"))
            printf("    eta %g: %s period %d, worst %.3g (%s)\n", p->eta,
                   dln_regime_name(s.regime), s.period, dev, worst_what);
    }
    MPI_Bcast(&dev, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    MPI_Bcast(head, 3, MPI_INT, 0, MPI_COMM_WORLD);
    if (world_rank != 0 && ((int)d.regime != head[0] || d.period != head[1]))
        ok_others = 0;
    MPI_Allreduce(MPI_IN_PLACE, &ok_others, 1, MPI_INT, MPI_MIN,
                  MPI_COMM_WORLD);
    if (!ok_others)
        dev = INFINITY;
    *regime = head[0];
    *period = head[1];
    if (above_eos)
        *above_eos = head[2];
    dln_result_clear(&d);
    dln_result_clear(&s);
    return dev;
}

static void converged_rotated(void **state)
{
    (void)state;
    int regime, period;
    dln_params p = net(0.02, DLN_INIT_ORTHOGONAL, 1);
    double dev = check(&p, 1e-9, &regime, &period, NULL);
    assert_int_equal(regime, DLN_REGIME_CONVERGED);
    assert_true(dev <= 1.0);
}

static void periodic_two_modes(void **state)
{
    (void)state;
    int regime, period;
    dln_params p = net(0.0345, DLN_INIT_BALANCED, 0);
    double dev = check(&p, 1e-9, &regime, &period, NULL);
    assert_int_equal(regime, DLN_REGIME_PERIODIC);
    assert_int_equal(period, 2);
    assert_true(dev <= 1.0);
}

static void divergent(void **state)
{
    (void)state;
    int regime, period;
    dln_params p = net(0.2, DLN_INIT_GAUSSIAN, 1);
    double dev = check(&p, 1e-9, &regime, &period, NULL);
    assert_int_equal(regime, DLN_REGIME_DIVERGENT);
    assert_true(dev <= 1.0);
}

/* Full spectrum (PDSYEVD vs LAPACK dsyev) and its count beyond 2/eta on
 * the 2-cycle of a smaller net (n = 2 * 3 * 16 + 16^2).  At the recorded
 * point of the cycle every eigenvalue is below 2/eta (edge of stability:
 * the cycle, not each point, is what is marginal). */
static void full_spectrum_periodic(void **state)
{
    (void)state;
    int regime, period;
    dln_params p = net(0.0345, DLN_INIT_BALANCED, 0);
    int above = -1;
    p.width = 16;
    p.full_spectrum = 1;
    double dev = check(&p, 1e-9, &regime, &period, &above);
    assert_int_equal(regime, DLN_REGIME_PERIODIC);
    assert_int_equal(above, 0);
    assert_true(dev <= 1.0);
}

/* The per-step detail with every option on: Hessian eigenvalues tracked
 * along the 2-cycle (distributed HVPs, rank-identical sums), detailed
 * trajectory points from record_from on, per-layer init factors. */
static void detail_periodic(void **state)
{
    (void)state;
    int regime, period;
    dln_params p = net(0.0345, DLN_INIT_BALANCED, 0);
    p.width = 12;
    p.orbit_hessian = 1;
    p.record_detail = 1;
    p.record_every = 50;
    p.record_from = 1000;
    p.tail = 12;
    p.n_alpha_layers = 3;
    p.alpha_layers[0] = 0.9;
    p.alpha_layers[1] = 1.0;
    p.alpha_layers[2] = 1.1;
    double dev = check(&p, 1e-9, &regime, &period, NULL);
    assert_int_equal(regime, DLN_REGIME_PERIODIC);
    assert_int_equal(period, 2);
    assert_true(dev <= 1.0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(converged_rotated),
        cmocka_unit_test(periodic_two_modes),
        cmocka_unit_test(divergent),
        cmocka_unit_test(full_spectrum_periodic),
        cmocka_unit_test(detail_periodic),
    };
    return dln_mpi_run_tests(argc, argv, tests, &world_rank,
                             dln_pmodel_finalize);
}
