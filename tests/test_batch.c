/* test_batch.c — the lock-step batch (batch.h) and the lane kernels
 * (lanes.h): a cell's trajectory is bitwise the same alone, in batches of
 * 3, 8, 17 and 64 at any position beside other cells, after compactions,
 * through dln_model_step, and on every instruction set this CPU runs; the
 * lane gradient agrees with the BLAS one; the API refuses bad input. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "dlnsweep/batch.h"
#include "dlnsweep/lanes.h"
#include "dlnsweep/model.h"

#define STEPS 60        /* steps of every trajectory               */
#define CHUNK 10        /* states compared every CHUNK steps        */
#define NSNAP (STEPS / CHUNK + 1)
#define NCELL 8         /* tracked cells per shape: 2 targets x 4 inits */
#define MAXB 64

static const char *const isas[] = {"generic", "avx2", "avx512"};

typedef struct shape {
    int L, din, d, dout;
} shape;

/* Cell c (0..NCELL-1: target rotated or not, init) or, from NCELL on, a
 * filler (other eta and seed, some diverging) of shape sh. */
static dln_params cell(shape sh, int c)
{
    dln_params p;
    dln_params_defaults(&p);
    p.depth = sh.L;
    p.d_in = sh.din;
    p.width = sh.d;
    p.d_out = sh.dout;
    int r = sh.din < sh.dout ? sh.din : sh.dout;
    p.rank = r < 3 ? r : 3;
    for (int i = 0; i < p.rank; i++)
        p.spectrum[i] = 2.0 / (1.0 + i);
    p.rotate = c % 2;
    p.init = (dln_init_kind)((c / 2) % 4);
    p.alpha = 0.9;
    p.seed = 1000 + (uint64_t)c;
    /* 0.02 .. 0.5: converging, oscillating and (fillers) diverging cells */
    p.eta = 0.02 + 0.06 * (c % 8) + (c >= NCELL ? 0.07 * (c % 3) : 0.0);
    p.diverge_bound = 1e6;
    return p;
}

/* A trajectory: states and losses every CHUNK steps up to STEPS, or to the
 * first state whose loss stops the run (diverge >= 0, its state last). */
typedef struct traj {
    size_t n;
    long diverge;
    double x[NSNAP + 1][512];
    double loss[NSNAP + 1];
} traj;

static int stops(double loss, double bound)
{
    return !(isfinite(loss) && loss <= bound);
}

/* The reference: dln_model_loss / dln_model_step, as dln_run steps. */
static void model_traj(const dln_params *p, traj *tr)
{
    dln_model *m = NULL;
    assert_int_equal(dln_model_create(p, &m), 0);
    tr->n = dln_model_nparams(m);
    assert_true(tr->n <= 512);
    tr->diverge = -1;
    for (long t = 0;; t++) {
        double loss = dln_model_loss(m);
        int s = t % CHUNK == 0 ? (int)(t / CHUNK) : -1;
        if (stops(loss, p->diverge_bound)) {
            tr->diverge = t;
            s = NSNAP;
        }
        if (s >= 0) {
            memcpy(tr->x[s], dln_model_params(m), sizeof(double) * tr->n);
            tr->loss[s] = loss;
        }
        if (t == STEPS || tr->diverge >= 0)
            break;
        dln_model_step(m, NULL);
    }
    dln_model_destroy(&m);
}

/* Task i of batch b against trajectory tr at state t (a multiple of
 * CHUNK): the same bits of the state and the loss, or the same divergence. */
static void check_lane(dln_batch *b, int i, const traj *tr, long t,
                       const char *what)
{
    double x[512], loss;
    int s = (int)(t / CHUNK);
    if (tr->diverge >= 0 && tr->diverge <= t) {
        s = NSNAP;
        t = tr->diverge;
        if (dln_batch_status(b, i) != DLN_LANE_DIVERGED)
            fail_msg("%s: task %d not diverged at %ld", what, i, t);
    } else if (dln_batch_status(b, i) == DLN_LANE_DIVERGED) {
        fail_msg("%s: task %d diverged at %ld, model did not", what, i,
                 dln_batch_t(b, i));
    }
    assert_int_equal(dln_batch_t(b, i), t);
    assert_int_equal(dln_batch_params(b, i, x), 0);
    loss = dln_batch_loss(b, i);
    if (memcmp(x, tr->x[s], sizeof(double) * tr->n) ||
        memcmp(&loss, &tr->loss[s], sizeof loss))
        fail_msg("%s: task %d differs from the model at step %ld "
                 "(loss %.17g vs %.17g)", what, i, t, loss, tr->loss[s]);
}

/* Runs the tasks p[0..nb-1] as one batch in chunks of CHUNK steps; pos[c]
 * is the task of tracked cell c (-1: absent).  With compact, fillers are
 * finished and compacted away after the first chunk. */
static void run_batch(const dln_params *p, int nb, const int *pos,
                      const traj *ref, int compact, const char *what)
{
    dln_batch *b = NULL;
    assert_int_equal(dln_batch_create(p, nb, &b), 0);
    assert_int_equal(dln_batch_ntasks(b), nb);
    for (long t = 0; t <= STEPS; t += CHUNK) {
        if (t > 0)
            assert_int_equal(dln_batch_step(b, CHUNK), 0);
        for (int c = 0; c < NCELL; c++)
            if (pos[c] >= 0)
                check_lane(b, pos[c], &ref[c], t, what);
        if (compact && t == CHUNK) {
            for (int i = 0; i < nb; i++) {
                int tracked = 0;
                for (int c = 0; c < NCELL; c++)
                    tracked |= pos[c] == i;
                if (!tracked && i % 2 == 0)
                    assert_int_equal(dln_batch_finish(b, i), 0);
            }
            dln_batch_compact(b);
            assert_int_equal(dln_batch_nlanes(b), dln_batch_nactive(b));
        }
    }
    dln_batch_destroy(&b);
    assert_null(b);
}

/* Every composition for one shape: each tracked cell alone, then batches
 * of 3, 8, 17, 64 with the cells at shifted positions among fillers. */
static void compositions(shape sh, const traj *ref, const char *isa)
{
    static const int sizes[] = {3, 8, 17, 64};
    dln_params p[MAXB];
    int pos[NCELL];
    char what[96];
    for (int c = 0; c < NCELL; c++) {
        p[0] = cell(sh, c);
        for (int k = 0; k < NCELL; k++)
            pos[k] = k == c ? 0 : -1;
        snprintf(what, sizeof what, "%s L%d %dx%dx%d alone", isa, sh.L,
                 sh.din, sh.d, sh.dout);
        run_batch(p, 1, pos, ref, 0, what);
    }
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int nb = sizes[k];
        for (int i = 0; i < nb; i++)
            p[i] = cell(sh, NCELL + i);
        /* tracked cells spread over the batch, starting at a shifted
         * position (the last lanes of a tile, the first of the next...) */
        for (int c = 0; c < NCELL; c++) {
            pos[c] = -1;
            if (c < nb) {
                pos[c] = (int)((c * nb / NCELL + 2 * k + 1) % (size_t)nb);
                for (int e = 0; e < c; e++)   /* keep positions distinct */
                    if (pos[e] == pos[c])
                        pos[c] = (pos[c] + 1) % nb;
                p[pos[c]] = cell(sh, c);
            }
        }
        snprintf(what, sizeof what, "%s L%d %dx%dx%d batch of %d", isa, sh.L,
                 sh.din, sh.d, sh.dout, nb);
        run_batch(p, nb, pos, ref, nb >= 17, what);
    }
}

static const shape shapes[] = {
    {1, 1, 1, 1}, {2, 1, 1, 1}, {3, 1, 1, 1}, {4, 1, 1, 1},
    {1, 2, 2, 2}, {2, 2, 2, 2}, {3, 2, 2, 2}, {4, 2, 2, 2},
    {1, 5, 5, 5}, {2, 5, 5, 5}, {3, 5, 5, 5}, {4, 5, 5, 5},
    {1, 8, 8, 8}, {2, 8, 8, 8}, {3, 8, 8, 8}, {4, 8, 8, 8},
    {3, 2, 5, 3}, {2, 3, 7, 1}, {3, 7, 6, 5},   /* sizes known at run time */
};

/* Reference trajectories of a shape's tracked cells on the generic set. */
static traj *references(shape sh)
{
    traj *ref = calloc(NCELL, sizeof(traj));
    assert_non_null(ref);
    assert_int_equal(dln_lanes_isa_force("generic"), 0);
    for (int c = 0; c < NCELL; c++) {
        dln_params p = cell(sh, c);
        model_traj(&p, &ref[c]);
    }
    return ref;
}

/* Every shape, every composition, every instruction set, against the
 * generic set's dln_model trajectories. */
static void lanes_bitwise_everywhere(void **state)
{
    (void)state;
    int diverged = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        traj *ref = references(shapes[s]);
        for (int c = 0; c < NCELL; c++)
            diverged += ref[c].diverge >= 0;
        for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++) {
            if (!dln_lanes_isa_available(isas[k]))
                continue;
            assert_int_equal(dln_lanes_isa_force(isas[k]), 0);
            /* dln_model on this set too */
            for (int c = 0; c < NCELL; c++) {
                traj *tr = calloc(1, sizeof *tr);
                dln_params p = cell(shapes[s], c);
                model_traj(&p, tr);
                assert_int_equal(tr->diverge, ref[c].diverge);
                assert_memory_equal(tr->x, ref[c].x, sizeof tr->x);
                assert_memory_equal(tr->loss, ref[c].loss, sizeof tr->loss);
                free(tr);
            }
            compositions(shapes[s], ref, isas[k]);
        }
        free(ref);
    }
    dln_lanes_isa_force(NULL);
    assert_true(diverged > 0);   /* the divergence path was exercised */
}

/* The lane kernels' gradient and loss against BLAS's (DLN_LANES_MAX_DIM=0)
 * to rounding, on square and rectangular shapes up to the threshold. */
static void lanes_gradient_matches_blas(void **state)
{
    (void)state;
    static const shape sh[] = {{1, 3, 3, 2}, {2, 1, 1, 1}, {3, 4, 5, 3},
                               {4, 8, 8, 8}, {3, 2, 8, 8}, {5, 3, 7, 2}};
    for (size_t k = 0; k < sizeof sh / sizeof sh[0]; k++) {
        dln_params p = cell(sh[k], 6);   /* gaussian init, target diagonal */
        p.init = DLN_INIT_GAUSSIAN;
        p.rotate = 1;
        dln_model *lane = NULL, *blas = NULL;
        assert_true(dln_lanes_fits(&p));
        assert_int_equal(dln_model_create(&p, &lane), 0);
        setenv("DLN_LANES_MAX_DIM", "0", 1);
        assert_int_equal(dln_model_create(&p, &blas), 0);
        unsetenv("DLN_LANES_MAX_DIM");
        size_t n = dln_model_nparams(lane);
        double *g1 = malloc(sizeof(double) * n), *g2 = malloc(sizeof(double) * n);
        double f1 = dln_model_gradient(lane, g1);
        double f2 = dln_model_gradient(blas, g2);
        assert_true(fabs(f1 - f2) <= 1e-13 * (1.0 + fabs(f2)));
        double scale = 0.0, dev = 0.0;
        for (size_t i = 0; i < n; i++) {
            scale = fmax(scale, fabs(g2[i]));
            dev = fmax(dev, fabs(g1[i] - g2[i]));
        }
        assert_true(dev <= 1e-13 * (1.0 + scale));
        dln_model_step(lane, NULL);
        dln_model_step(blas, NULL);
        const double *x1 = dln_model_params(lane), *x2 = dln_model_params(blas);
        for (size_t i = 0; i < n; i++)
            assert_true(fabs(x1[i] - x2[i]) <= 1e-13 * (1.0 + fabs(x2[i])));
        free(g1);
        free(g2);
        dln_model_destroy(&lane);
        dln_model_destroy(&blas);
    }
}

/* Product, load and the refusals of the API. */
static void batch_api(void **state)
{
    (void)state;
    shape sh = {3, 2, 4, 3};
    dln_params p[3] = {cell(sh, 0), cell(sh, 2), cell(sh, 5)};
    dln_batch *b = NULL;
    assert_int_equal(dln_batch_create(p, 0, &b), 2);
    assert_null(b);
    dln_params q[2] = {p[0], cell((shape){3, 2, 5, 3}, 0)};
    assert_int_equal(dln_batch_create(q, 2, &b), 2);   /* two shapes */
    q[1] = p[1];
    q[1].rank = 1;
    assert_int_equal(dln_batch_create(q, 2, &b), 2);   /* two ranks */
    q[1] = cell((shape){2, 1, DLN_LANES_MAX_DIM + 1, 1}, 0);
    assert_int_equal(dln_batch_create(q + 1, 1, &b), 2);   /* too wide */
    q[1] = p[1];
    q[1].eta = -1.0;
    assert_int_equal(dln_batch_create(q, 2, &b), 2);   /* invalid */
    assert_null(b);

    assert_int_equal(dln_batch_create(p, 3, &b), 0);
    assert_int_equal(dln_batch_step(b, -1), 2);
    assert_int_equal(dln_batch_step(b, 7), 0);
    dln_model *m = NULL;
    assert_int_equal(dln_model_create(&p[1], &m), 0);
    assert_int_equal(dln_batch_load(b, 1, m), 0);
    double loss = dln_model_loss(m), prod[6];
    double bl = dln_batch_loss(b, 1);
    assert_memory_equal(&loss, &bl, sizeof loss);
    assert_int_equal(dln_batch_product(b, 1, prod), 0);
    assert_memory_equal(prod, dln_model_product(m), sizeof prod);
    dln_model *other = NULL;
    dln_params wide = cell((shape){3, 2, 5, 3}, 0);
    assert_int_equal(dln_model_create(&wide, &other), 0);
    assert_int_equal(dln_batch_load(b, 1, other), 2);
    assert_int_equal(dln_batch_params(b, 3, prod), 2);
    assert_int_equal(dln_batch_product(b, -1, prod), 2);
    assert_int_equal(dln_batch_finish(b, 3), 2);
    assert_true(isnan(dln_batch_loss(b, 3)));
    assert_int_equal(dln_batch_t(b, 3), -1);
    /* a finished task keeps its state through compaction */
    double before[64], after[64];
    assert_int_equal(dln_batch_params(b, 0, before), 0);
    assert_int_equal(dln_batch_finish(b, 0), 0);
    assert_int_equal(dln_batch_nactive(b), 2);
    dln_batch_compact(b);
    assert_int_equal(dln_batch_nlanes(b), 2);
    assert_int_equal(dln_batch_step(b, 3), 0);
    assert_int_equal(dln_batch_status(b, 0), DLN_LANE_DONE);
    assert_int_equal(dln_batch_t(b, 0), 7);
    assert_int_equal(dln_batch_t(b, 1), 10);
    assert_int_equal(dln_batch_params(b, 0, after), 0);
    assert_memory_equal(before, after, sizeof(double) * dln_batch_nparams(b));
    dln_model_destroy(&m);
    dln_model_destroy(&other);
    dln_batch_destroy(&b);
    dln_batch_destroy(&b);
    assert_null(b);
}

/* The dispatcher: the generic set is always there, names round-trip. */
static void isa_dispatch(void **state)
{
    (void)state;
    assert_true(dln_lanes_isa_available("generic"));
    assert_false(dln_lanes_isa_available("sse9"));
    assert_int_equal(dln_lanes_isa_force("sse9"), 2);
    for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++)
        if (dln_lanes_isa_available(isas[k])) {
            assert_int_equal(dln_lanes_isa_force(isas[k]), 0);
            assert_string_equal(dln_lanes_isa_name(), isas[k]);
        }
    assert_int_equal(dln_lanes_isa_force(NULL), 0);
    printf("    lane kernels: %s (avx2 %s, avx512 %s)\n", dln_lanes_isa_name(),
           dln_lanes_isa_available("avx2") ? "yes" : "no",
           dln_lanes_isa_available("avx512") ? "yes" : "no");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(isa_dispatch),
        cmocka_unit_test(lanes_bitwise_everywhere),
        cmocka_unit_test(lanes_gradient_matches_blas),
        cmocka_unit_test(batch_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
