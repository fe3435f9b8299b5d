/* test_refine.c — the refine lattice, bisection rule and refined tasks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "dlnsweep/jobspec.h"
#include "dlnsweep/refine.h"

static void lattice_and_coordinates(void **state)
{
    (void)state;
    long n = dln_refine_lattice(0.9, 1.3, 5, 1e-6);
    assert_int_equal(n, 4L << 17);                 /* 0.1 / 2^17 < 1e-6 */
    assert_true(0.4 / (double)n <= 1e-6 && 0.4 / (double)(n / 2) > 1e-6);
    for (long k = 0; k < 5; k++) {                 /* grid points are on it */
        double x = dln_refine_coord(0.9, 1.3, 4, k);
        assert_true(dln_refine_coord(0.9, 1.3, n, k * (n / 4)) == x);
        assert_int_equal(dln_refine_index(0.9, 1.3, n, x), k * (n / 4));
    }
    assert_true(dln_refine_coord(0.9, 1.3, n, n) == 1.3);
    assert_int_equal(dln_refine_index(0.9, 1.3, n, 1.0000001234), -1);
}

static void bisects_only_where_labels_differ(void **state)
{
    (void)state;
    dln_refine_point pts[] = {
        {16, DLN_REGIME_PERIODIC, 2}, {0, DLN_REGIME_CONVERGED, 1},
        {8, DLN_REGIME_CONVERGED, 1}, {24, DLN_REGIME_PERIODIC, 4},
        {25, DLN_REGIME_CHAOTIC, 0}, {32, DLN_REGIME_CHAOTIC, 0}};
    long out[8];
    int n = dln_refine_propose(pts, 6, out, 8);
    assert_int_equal(n, 2);          /* 8|16 and 16|24; 24|25 is resolved */
    assert_int_equal(out[0], 12);
    assert_int_equal(out[1], 20);
    assert_int_equal(pts[0].index, 0);   /* sorted in place */
    assert_int_equal(dln_refine_propose(pts, 6, out, 1), 1);
}

static const char job[] =
    "name: r\nseeds: 2\ngrid:\n  depth: [2, 3]\n  width: 1\n  spectrum: [1]\n"
    "  init: balanced\n  alpha: 0.5\n  eta: {linspace: [0.9, 1.3, 5]}\n"
    "refine:\n  axis: eta\n  tol: 1e-6\n";

/* Refined tasks decode to the grid task with only eta changed, and their
 * identity (cell hash, seed) is what the same cell built directly has. */
static void refined_tasks_round_trip(void **state)
{
    (void)state;
    char err[256];
    dln_jobspec *j = NULL;
    assert_int_equal(dln_jobspec_parse("r.yaml", job, strlen(job), &j, err,
                                       sizeof err), 0);
    long n = dln_jobspec_refine_lattice(j), first, k;
    assert_int_equal(n, 4L << 17);
    /* task 13 = cell 6 (depth 3, eta index 1), seed index 1 */
    assert_int_equal(dln_jobspec_refine_line(j, 13, &first, &k), 0);
    assert_int_equal(first, 11);
    assert_int_equal(k, 1);
    long code = dln_jobspec_refine_code(j, first, 3 * n / 8);
    assert_true(code < 0);
    dln_task t, base, direct;
    assert_int_equal(dln_jobspec_task(j, code, &t), 0);
    assert_int_equal(dln_jobspec_task(j, first, &base), 0);
    assert_int_equal(t.index, code);
    assert_int_equal(t.seed_index, 1);
    assert_int_equal(t.params.depth, 3);
    assert_true(t.params.eta == 0.9 + 0.4 * 0.375);
    direct = base;
    direct.params.eta = t.params.eta;
    dln_params_cell_hash(&direct.params, direct.cell_hash);
    assert_string_equal(t.cell_hash, direct.cell_hash);
    assert_true(t.params.seed ==
                dln_params_derive_seed(direct.cell_hash, 1,
                                       dln_jobspec_global_seed(j)));
    /* a refined code at a grid index is the grid task itself */
    dln_task g;
    assert_int_equal(dln_jobspec_task(j, dln_jobspec_refine_code(j, first, n / 4), &g), 0);
    assert_int_equal(dln_jobspec_task(j, 13, &base), 0);
    assert_string_equal(g.cell_hash, base.cell_hash);
    assert_int_equal(dln_jobspec_refine_code(j, first, n + 1), 0);
    dln_jobspec_destroy(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lattice_and_coordinates),
        cmocka_unit_test(bisects_only_where_labels_differ),
        cmocka_unit_test(refined_tasks_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
