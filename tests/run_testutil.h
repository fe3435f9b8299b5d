/* run_testutil.h — shared helpers of the orbit and run tests. */
#ifndef DLNSWEEP_RUN_TESTUTIL_H
#define DLNSWEEP_RUN_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "dlnsweep/run.h"

/* |a - b| <= tol, printing both numbers on failure (cmocka 1.1.5 has no
 * assert_close). */
#define assert_close(a, b, tol)                                              \
    do {                                                                     \
        double a_ = (a), b_ = (b);                                           \
        if (!(fabs(a_ - b_) <= (tol)))                                       \
            fail_msg("%s = %.17g, expected %.17g +- %g", #a, a_, b_,         \
                     (double)(tol));                                         \
    } while (0)

/* Run p into r (inited here, cleared by the caller); the run must succeed. */
static inline void run_ok(const dln_params *p, dln_result *r)
{
    dln_result_init(r);
    assert_int_equal(dln_run(p, r), 0);
    assert_true(r->wall_s >= 0.0 && r->wall_s < 30.0);
}

#endif
