/* test_identity.c — golden values of the identities every database relies
 * on: the cell hash of representative parameter sets, the seeds derived
 * from it, and for every job file in jobs/ and tests/jobs/ its spec hash
 * and a digest of its expanded tasks (cell hash, seed index, seed, in
 * order; for refine jobs also the refined tasks of the first line).
 *
 * The values were recorded from the code before the parameter table
 * existed; a database written then resumes only while they hold.  Never
 * update a value here to make a change pass: a changed value means old
 * databases would redo (or, worse, mislabel) their runs.  A new parameter
 * must leave every value here unchanged (it enters the hash and the spec
 * text only when it differs from its default). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/jobspec.h"
#include "dlnsweep/params.h"

#define SRC DLN_TEST_SOURCE_DIR

/* Parameter set k (0 = defaults; each other one changes one thing). */
static int param_set(int k, dln_params *p, const char **what)
{
    dln_params_defaults(p);
    switch (k) {
    case 0: *what = "defaults"; return 1;
    case 1: *what = "eta 0.1"; p->eta = 0.1; return 1;
    case 2: *what = "eta 0.1+0.2"; p->eta = 0.1 + 0.2; return 1;
    case 3: *what = "depth 2"; p->depth = 2; return 1;
    case 4: *what = "width 5"; p->width = 5; return 1;
    case 5: *what = "d_in 4"; p->d_in = 4; return 1;
    case 6: *what = "d_out 6"; p->d_out = 6; return 1;
    case 7: *what = "spectrum 2,1"; p->rank = 2; p->spectrum[0] = 2.0;
        p->spectrum[1] = 1.0; p->spectrum[2] = 0.0; return 1;
    case 8: *what = "rotate"; p->rotate = 1; return 1;
    case 9: *what = "init balanced"; p->init = DLN_INIT_BALANCED; return 1;
    case 10: *what = "init orthogonal"; p->init = DLN_INIT_ORTHOGONAL;
        return 1;
    case 11: *what = "init gaussian"; p->init = DLN_INIT_GAUSSIAN; return 1;
    case 12: *what = "alpha 0.5"; p->alpha = 0.5; return 1;
    case 13: *what = "steps 7000"; p->steps = 7000; return 1;
    case 14: *what = "record_every 0"; p->record_every = 0; return 1;
    case 15: *what = "sharpness_every 100"; p->sharpness_every = 100;
        return 1;
    case 16: *what = "lanczos_iters 30"; p->lanczos_iters = 30; return 1;
    case 17: *what = "top_k 2"; p->top_k = 2; return 1;
    case 18: *what = "max_period 32"; p->max_period = 32; return 1;
    case 19: *what = "tail 0"; p->tail = 0; return 1;
    case 20: *what = "period_tol 1e-9"; p->period_tol = 1e-9; return 1;
    case 21: *what = "diverge_bound 1e8"; p->diverge_bound = 1e8; return 1;
    case 22: *what = "lyapunov_steps 0"; p->lyapunov_steps = 0; return 1;
    case 23: *what = "full_spectrum"; p->full_spectrum = 1; return 1;
    case 24: *what = "transient_window 0"; p->transient_window = 0;
        return 1;
    case 25: *what = "transient_window 100"; p->transient_window = 100;
        return 1;
    case 26: *what = "full_spectrum + transient_window 100";
        p->full_spectrum = 1; p->transient_window = 100; return 1;
    case 27: *what = "rotated L=2 width 1 spectrum 1 eta 1.05";
        p->rotate = 1; p->depth = 2; p->width = 1; p->rank = 1;
        p->spectrum[0] = 1.0; p->spectrum[1] = p->spectrum[2] = 0.0;
        p->eta = 1.05; return 1;
    case 28: *what = "wide: width 600, d_in 500, d_out 700, 64 values";
        p->width = 600; p->d_in = 500; p->d_out = 700; p->rank = 64;
        for (int i = 0; i < 64; i++)
            p->spectrum[i] = 64.0 - i + 0.125;
        return 1;
    case 29: *what = "steps 10^12, alpha 0"; p->steps = 1000000000000L;
        p->alpha = 0.0; return 1;
    default: return 0;
    }
}

/* Recorded cell hashes of the sets above, in order. */
static const char *const cell_hashes[] = {
    "25fed0742220231f",   /* defaults */
    "8c404ba42a04b76a",   /* eta 0.1 */
    "fc94ccabb179f1ad",   /* eta 0.1+0.2 */
    "74d13f8f3c1c8032",   /* depth 2 */
    "a8342a64dff8750d",   /* width 5 */
    "7e3f75ecf730e8a3",   /* d_in 4 */
    "ce884f222225fee1",   /* d_out 6 */
    "f70bb9145b7c6fc4",   /* spectrum 2,1 */
    "cd6359e0a01e6d07",   /* rotate */
    "8121e4e403da51b6",   /* init balanced */
    "5f6108f4d680fb28",   /* init orthogonal */
    "2cd94a07336712e9",   /* init gaussian */
    "cc79d359d08a884a",   /* alpha 0.5 */
    "5548e7832ec2ce14",   /* steps 7000 */
    "b04a43abebb5b98a",   /* record_every 0 */
    "47b409f6003f9f4c",   /* sharpness_every 100 */
    "38af49367960411b",   /* lanczos_iters 30 */
    "2464b509d80da6e6",   /* top_k 2 */
    "8b4a2886ffc31cf5",   /* max_period 32 */
    "bd270d8cc9e6b8a9",   /* tail 0 */
    "2948081f25f0e026",   /* period_tol 1e-9 */
    "2fdff675b0f79417",   /* diverge_bound 1e8 */
    "d15feccd18dac849",   /* lyapunov_steps 0 */
    "06688d30e4e8b6e2",   /* full_spectrum */
    "75ed2e5ff0ed525b",   /* transient_window 0 */
    "9607bad7210fdeef",   /* transient_window 100 */
    "88afd608ce23894d",   /* full_spectrum + transient_window 100 */
    "af9c67e75ebe7477",   /* rotated L=2 width 1 spectrum 1 eta 1.05 */
    "004cd83d5eda2250",   /* wide: width 600, d_in 500, d_out 700, ... */
    "95b23c2676d1e307",   /* steps 10^12, alpha 0 */
};

static void cell_hashes_are_stable(void **state)
{
    (void)state;
    dln_params p;
    const char *what;
    int bad = 0, k;
    for (k = 0; param_set(k, &p, &what); k++) {
        char h[DLN_HASH_HEX];
        dln_params_cell_hash(&p, h);
        const char *want = k < (int)(sizeof cell_hashes /
                                     sizeof cell_hashes[0])
                               ? cell_hashes[k] : NULL;
        if (!want || strcmp(h, want)) {
            print_message("cell hash of set %d (%s): got \"%s\", recorded "
                          "%s\n", k, what, h, want ? want : "(none)");
            bad++;
        }
    }
    assert_int_equal(k, (int)(sizeof cell_hashes / sizeof cell_hashes[0]));
    assert_int_equal(bad, 0);
}

/* 0 means = width: d_in/d_out 0 and = width are one cell; the seed is not
 * part of the cell. */
static void equivalent_cells_hash_alike(void **state)
{
    (void)state;
    dln_params a, b;
    char ha[DLN_HASH_HEX], hb[DLN_HASH_HEX];
    dln_params_defaults(&a);
    b = a;
    b.d_in = b.width;
    b.d_out = b.width;
    b.seed = 12345;
    dln_params_cell_hash(&a, ha);
    dln_params_cell_hash(&b, hb);
    assert_string_equal(ha, hb);
    b.d_out = b.width + 1;
    dln_params_cell_hash(&b, hb);
    assert_string_not_equal(ha, hb);
}

static const struct {
    const char *cell;
    int seed_index;
    uint64_t global, seed;
} derived_seeds[] = {
    {"0123456789abcdef", 0, 0, 1409403263105171284ULL},
    {"0123456789abcdef", 1, 0, 5131167461655896627ULL},
    {"0123456789abcdef", 0, 1, 3736373382546751136ULL},
    {"ffffffffffffffff", 7, 18446744073709551615ULL,
     11557786862443841392ULL},
};

static void derived_seeds_are_stable(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof derived_seeds / sizeof derived_seeds[0];
         i++) {
        uint64_t s = dln_params_derive_seed(derived_seeds[i].cell,
                                            derived_seeds[i].seed_index,
                                            derived_seeds[i].global);
        if (s != derived_seeds[i].seed) {
            print_message("seed of (%s, %d, %llu): got %lluULL\n",
                          derived_seeds[i].cell, derived_seeds[i].seed_index,
                          (unsigned long long)derived_seeds[i].global,
                          (unsigned long long)s);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* FNV-1a over every task (and the first line's refined tasks). */
static uint64_t task_digest(const dln_jobspec *j)
{
    uint64_t h = 0;
    dln_task t;
    for (long i = 0; i < dln_jobspec_ntasks(j); i++) {
        assert_int_equal(dln_jobspec_task(j, i, &t), 0);
        h = dln_hash_bytes(h, t.cell_hash, strlen(t.cell_hash));
        h = dln_hash_bytes(h, &t.seed_index, sizeof t.seed_index);
        h = dln_hash_bytes(h, &t.params.seed, sizeof t.params.seed);
    }
    long n = dln_jobspec_refine_lattice(j);
    for (long i = 0; n > 0 && i <= n && i <= 64; i++) {
        long code = dln_jobspec_refine_code(j, 0, i);
        assert_true(code < 0);
        assert_int_equal(dln_jobspec_task(j, code, &t), 0);
        h = dln_hash_bytes(h, t.cell_hash, strlen(t.cell_hash));
        h = dln_hash_bytes(h, &t.params.seed, sizeof t.params.seed);
    }
    return h;
}

static const struct {
    const char *path;           /* from the source root */
    const char *spec_hash;      /* dln_jobspec_hash, 16 hex digits */
    uint64_t tasks;             /* task_digest */
} jobs[] = {
    {"jobs/cascade-l3.yaml", "0fee16ebed6f1f9e", 0x27c488909b9e8959ULL},
    {"jobs/default.yaml", "84e4b509f50bb9a7", 0x2e4965f139b3a638ULL},
    {"jobs/paper-l3.yaml", "ec6493be4b3fd3b0", 0x1c65793f487ca917ULL},
    {"jobs/smoke.yaml", "5694b634bd344bbd", 0xaca9cb415e49d5aeULL},
    {"jobs/wide.yaml", "50ad398c0caac26e", 0x49ffac959e50ee5dULL},
    {"tests/jobs/refine-l2.yaml", "d2eece4b8a59c93b",
     0xb75739ae0f6f9a48ULL},
    {"tests/jobs/refine-l3.yaml", "b3b0eab8a9c1db31",
     0xd454ffd84fb13ac1ULL},
};

static void job_hashes_are_stable(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        char path[1024], err[512], hash[DLN_HASH_HEX];
        dln_jobspec *j = NULL;
        snprintf(path, sizeof path, "%s/%s", SRC, jobs[i].path);
        if (dln_jobspec_load(path, &j, err, sizeof err))
            fail_msg("%s", err);
        snprintf(hash, sizeof hash, "%016llx",
                 (unsigned long long)dln_jobspec_hash(j));
        uint64_t digest = task_digest(j);
        if (strcmp(hash, jobs[i].spec_hash) || digest != jobs[i].tasks) {
            print_message("{\"%s\", \"%s\", 0x%016llxULL},\n", jobs[i].path,
                          hash, (unsigned long long)digest);
            bad++;
        }
        dln_jobspec_destroy(&j);
    }
    assert_int_equal(bad, 0);
}

/* Inline jobs that set what the shipped ones leave at its default. */
static const struct {
    const char *text;
    const char *spec_hash;
    uint64_t tasks;
} inline_jobs[] = {
    {"seed: 7\nseeds: 2\ngrid:\n  eta: [0.2, 0.1]\n  depth: [2, 3]\n"
     "  width: 4\n  d_in: [0, 5]\n  d_out: 4\n  spectrum: [[3, 2], [1]]\n"
     "  rotate: [false, true]\n  init: [identity, gaussian]\n"
     "  alpha: [0.5, 1]\n  steps: [300, 200]\n"
     "diagnostics:\n  record_every: 5\n  sharpness_every: 10\n"
     "  lanczos_iters: 30\n  top_k: 3\n  max_period: 32\n  tail: 64\n"
     "  period_tol: 1e-8\n  diverge_bound: 1e10\n  lyapunov_steps: 500\n"
     "  full_spectrum: true\n  transient_window: 100\n",
     "8b6e32503366da6e", 0xf191c85bde8d2c99ULL},
    {"grid:\n  eta: 0.05\ndiagnostics:\n  transient_window: 0\n",
     "4b388ae623db3580", 0xf9d4836032d5681eULL},
    {"grid:\n  eta: 0.05\ndiagnostics:\n  transient_window: -1\n"
     "  full_spectrum: false\n", "809e27b04f95d602",
     0x55d904d714830ea6ULL},
    {"grid:\n  alpha: {linspace: [0.1, 0.9, 5]}\n  init: [balanced, "
     "orthogonal]\nrefine:\n  axis: alpha\n  tol: 0.01\n",
     "f460928be682cb17", 0x37b1608c4fbd6e86ULL},
};

static void inline_job_hashes_are_stable(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof inline_jobs / sizeof inline_jobs[0]; i++) {
        char err[512], hash[DLN_HASH_HEX];
        dln_jobspec *j = NULL;
        const char *text = inline_jobs[i].text;
        if (dln_jobspec_parse("inline.yaml", text, strlen(text), &j, err,
                              sizeof err))
            fail_msg("inline job %zu: %s", i, err);
        snprintf(hash, sizeof hash, "%016llx",
                 (unsigned long long)dln_jobspec_hash(j));
        uint64_t digest = task_digest(j);
        if (strcmp(hash, inline_jobs[i].spec_hash) ||
            digest != inline_jobs[i].tasks) {
            print_message("inline job %zu: \"%s\", 0x%016llxULL\n", i, hash,
                          (unsigned long long)digest);
            bad++;
        }
        dln_jobspec_destroy(&j);
    }
    assert_int_equal(bad, 0);
}

static uint64_t spec_hash(const char *text)
{
    char err[512];
    dln_jobspec *j = NULL;
    if (dln_jobspec_parse("inline.yaml", text, strlen(text), &j, err,
                          sizeof err))
        fail_msg("%s", err);
    uint64_t h = dln_jobspec_hash(j);
    dln_jobspec_destroy(&j);
    return h;
}

/* lyapunov_steps at auto writes the value its cells resolve to when they
 * agree (the job of an explicit value: same hash), else auto. */
static void auto_lyapunov_steps_spec_hash(void **state)
{
    (void)state;
    const char *big = "grid:\n  steps: [5000, 9000]\n",
               *big1000 = "grid:\n  steps: [5000, 9000]\ndiagnostics:\n"
                          "  lyapunov_steps: 1000\n",
               *mixed = "grid:\n  steps: [100, 5000]\n",
               *mixed1000 = "grid:\n  steps: [100, 5000]\ndiagnostics:\n"
                            "  lyapunov_steps: 1000\n",
               *small = "grid:\n  steps: 100\n",
               *small64 = "grid:\n  steps: 100\ndiagnostics:\n"
                          "  lyapunov_steps: 64\n";
    assert_true(spec_hash(big) == spec_hash(big1000));
    assert_true(spec_hash(mixed) != spec_hash(mixed1000));
    assert_true(spec_hash(small) == spec_hash(small64));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cell_hashes_are_stable),
        cmocka_unit_test(equivalent_cells_hash_alike),
        cmocka_unit_test(derived_seeds_are_stable),
        cmocka_unit_test(job_hashes_are_stable),
        cmocka_unit_test(auto_lyapunov_steps_spec_hash),
        cmocka_unit_test(inline_job_hashes_are_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
