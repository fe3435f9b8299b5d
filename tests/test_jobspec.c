/* test_jobspec.c — job files: the shipped jobs parse with the expected
 * sizes, generators give exact values, expansion order and seeds are
 * stable, the canonical hash sees the task set and nothing else, and every
 * malformed file in tests/jobs_bad/ fails with its expected line and key.
 *
 *   test_jobspec        library tests
 *   test_jobspec cli    `dlnsweep check` on good and bad files (exit codes,
 *                       one-line stderr) */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "dlnsweep/jobspec.h"
#include "dlnsweep/refine.h"

#define SRC DLN_TEST_SOURCE_DIR

static dln_jobspec *parse_ok(const char *text)
{
    dln_jobspec *j = NULL;
    char err[512];
    int rc = dln_jobspec_parse("inline.yaml", text, strlen(text), &j, err,
                               sizeof err);
    if (rc)
        fail_msg("unexpected error %d: %s\n--- text:\n%s", rc, err, text);
    return j;
}

static dln_params param_of(const dln_jobspec *j, long i)
{
    dln_task t;
    assert_int_equal(dln_jobspec_task(j, i, &t), 0);
    return t.params;
}

/* ---- shipped jobs --------------------------------------------------- */

static void shipped_jobs_have_expected_sizes(void **state)
{
    static const struct {
        const char *file, *name;
        long cells, tasks;
        int wide_width, group_size, refine;
    } want[] = {
        {"default.yaml", "default", 34, 34, 0, 1, 0},
        {"smoke.yaml", "smoke", 10, 10, 0, 1, 0},
        {"paper-l3.yaml", "paper-l3", 164, 328, 0, 1, 0},
        {"cascade-l3.yaml", "cascade-l3", 201, 201, 0, 1, 1},
        {"wide.yaml", "wide", 4, 4, 256, 4, 0},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        char path[1024], err[512];
        dln_jobspec *j = NULL;
        snprintf(path, sizeof path, "%s/jobs/%s", SRC, want[k].file);
        if (dln_jobspec_load(path, &j, err, sizeof err))
            fail_msg("%s", err);
        assert_string_equal(dln_jobspec_name(j), want[k].name);
        assert_int_equal(dln_jobspec_ncells(j), want[k].cells);
        assert_int_equal(dln_jobspec_ntasks(j), want[k].tasks);
        assert_int_equal(dln_jobspec_wide_width(j), want[k].wide_width);
        assert_int_equal(dln_jobspec_group_size(j), want[k].group_size);
        assert_int_equal(dln_jobspec_has_refine(j), want[k].refine);
        /* every task is a valid run whose hash and seed follow params.h */
        double total = 0.0;
        for (long i = 0; i < dln_jobspec_ntasks(j); i++) {
            dln_task t;
            char hash[DLN_HASH_HEX];
            assert_int_equal(dln_jobspec_task(j, i, &t), 0);
            assert_int_equal(t.index, i);
            assert_int_equal(dln_params_validate(&t.params, err, sizeof err),
                             0);
            dln_params_cell_hash(&t.params, hash);
            assert_string_equal(hash, t.cell_hash);
            assert_true(t.params.seed ==
                        dln_params_derive_seed(hash, t.seed_index,
                                               dln_jobspec_global_seed(j)));
            assert_true(t.cost == dln_params_cost(&t.params));
            total += t.cost;
        }
        assert_true(fabs(total - dln_jobspec_total_cost(j)) <= 1e-9 * total);
        dln_jobspec_destroy(&j);
        assert_null(j);
    }
}

/* The paper job's grid: eta 0.03..0.07 in 41 steps, both targets, width 3. */
static void paper_job_values(void **state)
{
    char path[1024], err[512];
    dln_jobspec *j = NULL;
    snprintf(path, sizeof path, "%s/jobs/paper-l3.yaml", SRC);
    assert_int_equal(dln_jobspec_load(path, &j, err, sizeof err), 0);
    dln_params first = param_of(j, 0), last = param_of(j, 327);
    assert_true(first.eta == 0.03 && last.eta == 0.07);
    assert_int_equal(first.depth, 3);
    assert_int_equal(first.width, 3);
    assert_int_equal(first.rank, 3);
    assert_true(first.spectrum[0] == 10.0 && first.spectrum[1] == 9.5 &&
                first.spectrum[2] == 9.0);
    assert_int_equal(last.rank, 2);
    assert_true(last.spectrum[0] == 10.0 && last.spectrum[1] == 6.0);
    assert_int_equal(first.rotate, 0);
    assert_int_equal(last.rotate, 1);
    assert_int_equal(first.init, DLN_INIT_IDENTITY);
    assert_int_equal(first.steps, 20000);
    dln_jobspec_destroy(&j);
}

/* The cascade job's etas are points of the refine lattice, so bisection
 * midpoints and the initial grid share coordinates bit for bit. */
static void cascade_grid_lies_on_refine_lattice(void **state)
{
    char path[1024], err[512];
    dln_jobspec *j = NULL;
    double lo, hi;
    long n;
    snprintf(path, sizeof path, "%s/jobs/cascade-l3.yaml", SRC);
    assert_int_equal(dln_jobspec_load(path, &j, err, sizeof err), 0);
    assert_string_equal(dln_jobspec_refine_axis(j), "eta");
    assert_int_equal(dln_jobspec_refine_grid(j, &lo, &hi, &n), 0);
    assert_true(lo == 0.8 && hi == 0.9 && n == 201);
    long lat = dln_refine_lattice(lo, hi, (int)n,
                                  dln_jobspec_refine_tol(j));
    assert_true(lat % (n - 1) == 0);
    for (long i = 0; i < n; i++)
        assert_int_equal(dln_refine_index(lo, hi, lat, param_of(j, i).eta),
                         i * (lat / (n - 1)));
    dln_jobspec_destroy(&j);
    j = parse_ok("grid: {eta: 0.1}\n");
    assert_int_equal(dln_jobspec_refine_grid(j, &lo, &hi, &n), 2);
    dln_jobspec_destroy(&j);
}

/* Every *.yaml under jobs/ parses (new jobs are covered automatically). */
static void every_job_file_parses(void **state)
{
    char dir[1024];
    int n = 0;
    snprintf(dir, sizeof dir, "%s/jobs", SRC);
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml"))
            continue;
        char path[2048], err[512];
        dln_jobspec *j = NULL;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (dln_jobspec_load(path, &j, err, sizeof err))
            fail_msg("%s", err);
        assert_true(dln_jobspec_ntasks(j) >= 1);
        dln_jobspec_destroy(&j);
        n++;
    }
    closedir(d);
    assert_true(n >= 5);
}

/* ---- generators ----------------------------------------------------- */

static void linspace_is_exact(void **state)
{
    dln_jobspec *j = parse_ok("grid: {eta: {linspace: [0.03, 0.07, 41]}}\n");
    assert_int_equal(dln_jobspec_ntasks(j), 41);
    for (long i = 0; i < 41; i++) {
        double want = i == 40 ? 0.07 : 0.03 + (0.07 - 0.03) * ((double)i / 40.0);
        assert_true(param_of(j, i).eta == want);
    }
    assert_true(param_of(j, 40).eta == 0.07);
    dln_jobspec_destroy(&j);

    j = parse_ok("grid: {alpha: {linspace: [0, 1, 5]}}\n");
    static const double quarter[] = {0.0, 0.25, 0.5, 0.75, 1.0};
    for (long i = 0; i < 5; i++)
        assert_true(param_of(j, i).alpha == quarter[i]);
    dln_jobspec_destroy(&j);

    j = parse_ok("grid: {eta: {linspace: [0.5, 2.1, 17]}}\n");
    assert_true(param_of(j, 0).eta == 0.5 && param_of(j, 16).eta == 2.1);
    assert_true(param_of(j, 5).eta == 0.5 + (2.1 - 0.5) * (5.0 / 16.0));
    dln_jobspec_destroy(&j);

    j = parse_ok("grid: {eta: {linspace: [0.2, 0.9, 1]}}\n");
    assert_int_equal(dln_jobspec_ntasks(j), 1);
    assert_true(param_of(j, 0).eta == 0.2);
    dln_jobspec_destroy(&j);
}

static void logspace_is_exact(void **state)
{
    dln_jobspec *j = parse_ok("grid: {eta: {logspace: [0.001, 1, 4]}}\n");
    static const double decades[] = {0.001, 0.01, 0.1, 1.0};
    for (long i = 0; i < 4; i++)
        assert_true(param_of(j, i).eta == decades[i]);
    dln_jobspec_destroy(&j);

    /* integer axes: powers of two, exactly */
    j = parse_ok("grid:\n  width: {logspace: [1, 1024, 11]}\n  spectrum: 1\n");
    for (long i = 0; i < 11; i++)
        assert_int_equal(param_of(j, i).width, 1 << i);
    dln_jobspec_destroy(&j);
}

static void arange_is_exact(void **state)
{
    dln_jobspec *j = parse_ok("grid: {eta: {arange: [0.8, 0.9, 0.025]}}\n");
    assert_int_equal(dln_jobspec_ntasks(j), 5);  /* hi included when on grid */
    for (long i = 0; i < 4; i++)
        assert_true(param_of(j, i).eta == 0.8 + (double)i * 0.025);
    assert_true(param_of(j, 4).eta == 0.9);
    dln_jobspec_destroy(&j);

    j = parse_ok("grid: {depth: {arange: [1, 10, 3]}}\n");
    assert_int_equal(dln_jobspec_ntasks(j), 4);
    for (long i = 0; i < 4; i++)
        assert_int_equal(param_of(j, i).depth, 1 + 3 * (int)i);
    dln_jobspec_destroy(&j);

    j = parse_ok("grid: {depth: {arange: [1, 9, 3]}}\n");   /* 1, 4, 7 */
    assert_int_equal(dln_jobspec_ntasks(j), 3);
    assert_int_equal(param_of(j, 2).depth, 7);
    dln_jobspec_destroy(&j);
}

static void spectrum_families(void **state)
{
    dln_jobspec *j = parse_ok(
        "grid:\n"
        "  width: 4\n"
        "  spectrum:\n"
        "    - {geometric: {s1: 10, ratio: 0.5, rank: 3}}\n"
        "    - {linear: {from: 10, to: 9, rank: 3}}\n"
        "    - {flat: {s: 2, rank: 4}}\n"
        "    - [3]\n");
    dln_params p = param_of(j, 0);
    assert_int_equal(p.rank, 3);
    assert_true(p.spectrum[0] == 10 && p.spectrum[1] == 5 &&
                p.spectrum[2] == 2.5);
    p = param_of(j, 1);
    assert_true(p.rank == 3 && p.spectrum[0] == 10 && p.spectrum[1] == 9.5 &&
                p.spectrum[2] == 9);
    p = param_of(j, 2);
    assert_true(p.rank == 4 && p.spectrum[0] == 2 && p.spectrum[3] == 2);
    p = param_of(j, 3);
    assert_true(p.rank == 1 && p.spectrum[0] == 3 && p.spectrum[1] == 0);
    dln_jobspec_destroy(&j);

    /* a scalar and a plain list are one target each */
    j = parse_ok("grid: {width: 1, spectrum: 2.5}\n");
    assert_int_equal(dln_jobspec_ntasks(j), 1);
    assert_true(param_of(j, 0).rank == 1 && param_of(j, 0).spectrum[0] == 2.5);
    dln_jobspec_destroy(&j);
    j = parse_ok("grid: {spectrum: [10, 6]}\n");
    assert_int_equal(dln_jobspec_ntasks(j), 1);
    assert_int_equal(param_of(j, 0).rank, 2);
    dln_jobspec_destroy(&j);
}

/* ---- expansion order and seeds ------------------------------------- */

static const char order_job[] =
    "seed: 42\n"
    "seeds: 2\n"
    "grid:\n"
    "  eta: [0.1, 0.2, 0.3]\n"
    "  depth: [2, 3]\n"
    "  width: 2\n"
    "  spectrum: [1, 0.5]\n"
    "  steps: 100\n";

static void order_and_seeds_are_stable(void **state)
{
    dln_jobspec *j = parse_ok(order_job);
    assert_int_equal(dln_jobspec_ncells(j), 6);
    assert_int_equal(dln_jobspec_nseeds(j), 2);
    assert_int_equal(dln_jobspec_ntasks(j), 12);
    for (long i = 0; i < 12; i++) {
        dln_task t;
        assert_int_equal(dln_jobspec_task(j, i, &t), 0);
        /* seed index fastest, then eta, then depth (slowest) */
        assert_int_equal(t.seed_index, (int)(i % 2));
        static const double etas[] = {0.1, 0.2, 0.3};
        assert_true(t.params.eta == etas[(i / 2) % 3]);
        assert_int_equal(t.params.depth, 2 + (int)(i / 6));
        assert_true(t.params.seed ==
                    dln_params_derive_seed(t.cell_hash, t.seed_index, 42));
        if (i % 2) {   /* both seeds of a cell share its hash, not its seed */
            dln_task u;
            assert_int_equal(dln_jobspec_task(j, i - 1, &u), 0);
            assert_string_equal(u.cell_hash, t.cell_hash);
            assert_true(u.params.seed != t.params.seed);
        }
    }
    /* Computed once: an accidental change to the expansion, the defaults or
     * the cell hash shows up here (a changed hash orphans existing DBs).
     * lyapunov_steps' default became auto (100 steps: 64, no longer 1000),
     * a different computation, so these cells have new hashes; written
     * explicitly, the old value keeps the old cells. */
    dln_task t;
    assert_int_equal(dln_jobspec_task(j, 0, &t), 0);
    assert_string_equal(t.cell_hash, "e782038f1dd84ee9");
    assert_int_equal(dln_jobspec_task(j, 11, &t), 0);
    assert_string_equal(t.cell_hash, "06d0a82285b8ee55");
    {
        static const char old_job[] =
            "seed: 42\nseeds: 2\ngrid:\n  eta: [0.1, 0.2, 0.3]\n"
            "  depth: [2, 3]\n  width: 2\n  spectrum: [1, 0.5]\n"
            "  steps: 100\ndiagnostics:\n  lyapunov_steps: 1000\n";
        dln_jobspec *o = parse_ok(old_job);
        dln_task u;
        assert_int_equal(dln_jobspec_task(o, 0, &u), 0);
        assert_string_equal(u.cell_hash, "574cfa7e0b974d46");
        assert_int_equal(dln_jobspec_task(o, 11, &u), 0);
        assert_string_equal(u.cell_hash, "464b225b8a9b29f5");
        dln_jobspec_destroy(&o);
    }
    assert_int_equal(dln_jobspec_task(j, -1, &t), 2);
    assert_int_equal(dln_jobspec_task(j, 12, &t), 2);
    dln_params p;
    assert_int_equal(dln_jobspec_cell(j, 5, &p), 0);
    assert_true(p.eta == 0.3 && p.depth == 3 && p.seed == 0);
    assert_int_equal(dln_jobspec_cell(j, 6, &p), 2);
    assert_string_equal(dln_jobspec_name(j), "inline");
    dln_jobspec_destroy(&j);
}

/* ---- canonical text and hash --------------------------------------- */

static uint64_t hash_of(const char *text, char *canon, size_t len)
{
    dln_jobspec *j = parse_ok(text);
    uint64_t h = dln_jobspec_hash(j);
    if (canon)
        snprintf(canon, len, "%s", dln_jobspec_canonical(j));
    dln_jobspec_destroy(&j);
    return h;
}

static void canonical_hash_sees_only_the_task_set(void **state)
{
    static const char base[] =
        "name: a\n"
        "seed: 3\n"
        "seeds: 2\n"
        "grid:\n"
        "  depth: [2, 3]\n"
        "  width: 3\n"
        "  spectrum: [[10, 9.5, 9], [10, 6]]\n"
        "  eta: {linspace: [0.25, 1.25, 5]}\n"
        "  alpha: 0.5\n"
        "diagnostics:\n"
        "  record_every: 5\n"
        "  top_k: 3\n";
    /* reordered keys, other style, comments, explicit defaults, values
     * listed instead of generated and in another order, another name and a
     * parallel section, d_in spelled out as the width */
    static const char same[] =
        "# the same sweep, written differently\n"
        "diagnostics: {top_k: 3, record_every: 5, lanczos_iters: 40}\n"
        "grid:\n"
        "  eta: [1.25, 1, 0.75, 0.5, 0.25]   # a list, reversed\n"
        "  alpha: 5e-1\n"
        "  spectrum:\n"
        "    - [10, 6]\n"
        "    - {linear: {from: 10, to: 9, rank: 3}}\n"
        "  depth: [3, 2]\n"
        "  width: 3\n"
        "  d_in: 3\n"
        "  init: identity\n"
        "seeds: 2\n"
        "seed: 3\n"
        "name: b\n"
        "parallel: {wide_width: 100, group_size: 2}\n";
    char ca[4096], cb[4096];
    uint64_t h0 = hash_of(base, ca, sizeof ca);
    assert_true(hash_of(same, cb, sizeof cb) == h0);
    assert_string_equal(ca, cb);
    assert_non_null(strstr(ca, "eta=0.25,0.5,0.75,1,1.25\n"));

    /* any change to the task set changes the hash */
    static const struct { const char *from, *to; } edits[] = {
        {"[0.25, 1.25, 5]", "[0.25, 1.25, 6]"},          /* an eta value */
        {"seeds: 2", "seeds: 3"},            /* more seed indices */
        {"seed: 3", "seed: 4"},              /* other derived seeds */
        {"record_every: 5", "record_every: 6"},
        {"alpha: 0.5", "alpha: 0.55"},
        {"[10, 6]", "[10, 6.5]"},
        {"width: 3", "width: 4"},
        {"  alpha: 0.5\n", "  alpha: 0.5\n  rotate: true\n"},
        {"  top_k: 3\n", "  top_k: 3\n  full_spectrum: true\n"},
    };
    for (size_t k = 0; k < sizeof edits / sizeof edits[0]; k++) {
        char text[2048];
        const char *at = strstr(base, edits[k].from);
        assert_non_null(at);
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - base), base,
                 edits[k].to, at + strlen(edits[k].from));
        if (hash_of(text, NULL, 0) == h0)
            fail_msg("edit %zu ('%s' -> '%s') kept the hash", k,
                     edits[k].from, edits[k].to);
    }
}

/* ---- malformed files ------------------------------------------------ */

/* First line of a bad file: "# expect: LINE KEY". */
static void expected_of(const char *path, int *line, char *key, size_t len)
{
    char first[256], fmt[32];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(first, sizeof first, f));
    fclose(f);
    snprintf(fmt, sizeof fmt, "# expect: %%d %%%zus", len - 1);
    if (sscanf(first, fmt, line, key) != 2)
        fail_msg("%s: first line must be '# expect: LINE KEY'", path);
}

static int bad_files(char names[][256], int max)
{
    char dir[1024];
    int n = 0;
    snprintf(dir, sizeof dir, "%s/tests/jobs_bad", SRC);
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) && n < max;) {
        size_t len = strlen(e->d_name);
        if (len > 5 && !strcmp(e->d_name + len - 5, ".yaml"))
            snprintf(names[n++], 256, "%s", e->d_name);
    }
    closedir(d);
    return n;
}

static void malformed_files_name_line_and_key(void **state)
{
    static char names[128][256];
    int n = bad_files(names, 128);
    assert_true(n >= 21);
    for (int k = 0; k < n; k++) {
        char path[1400], key[64], want[1600], err[1024];
        int line;
        dln_jobspec *j = NULL;
        snprintf(path, sizeof path, "%s/tests/jobs_bad/%.255s", SRC, names[k]);
        expected_of(path, &line, key, sizeof key);
        int rc = dln_jobspec_load(path, &j, err, sizeof err);
        if (rc != 2)
            fail_msg("%s: rc %d (want 2), err '%s'", names[k], rc, err);
        assert_null(j);
        snprintf(want, sizeof want, "%s:%d: key '%s': ", path, line, key);
        if (strncmp(err, want, strlen(want)))
            fail_msg("%s:\n  got  '%s'\n  want '%s...'", names[k], err, want);
        assert_null(strchr(err, '\n'));
        assert_true(strlen(err) > strlen(want) + 5);   /* a reason follows */
    }
}

static void other_input_errors(void **state)
{
    dln_jobspec *j = NULL;
    char err[512];
    /* a literally empty file */
    assert_int_equal(dln_jobspec_parse("empty.yaml", "", 0, &j, err,
                                       sizeof err), 2);
    assert_null(j);
    assert_non_null(strstr(err, "empty.yaml:1: key '(document)': "));
    /* a missing file */
    assert_int_equal(dln_jobspec_load("/nonexistent/x.yaml", &j, err,
                                      sizeof err), 2);
    assert_non_null(strstr(err, "/nonexistent/x.yaml"));
    /* a NUL byte is not YAML */
    assert_int_equal(dln_jobspec_parse("nul.yaml", "grid:\n  eta: 1\0\n", 15,
                                       &j, err, sizeof err), 2);
    assert_non_null(strstr(err, "nul.yaml:2: key '(yaml)'"));
    /* the message is truncated, never overflowed */
    char tiny[12];
    assert_int_equal(dln_jobspec_parse("t.yaml", "eta: 1\n", 7, &j, tiny,
                                       sizeof tiny), 2);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    dln_jobspec_destroy(&j);   /* accepts NULL */
    dln_jobspec_destroy(NULL);
}

/* refine: {method: continuation}: its own hash (bisection's unchanged),
 * and task codes that decode to the start grid task of their line. */
static void continuation_codes(void **state)
{
    (void)state;
    const char *grid = "grid: {eta: {linspace: [0.5, 0.9, 5]}, depth: [2, 3]}\n"
                       "seeds: 2\n";
    char text[512];
    snprintf(text, sizeof text, "%srefine: {axis: eta}\n", grid);
    dln_jobspec *b = parse_ok(text);
    snprintf(text, sizeof text, "%srefine: {axis: eta, method: bisection}\n",
             grid);
    dln_jobspec *b2 = parse_ok(text);
    snprintf(text, sizeof text, "%srefine: {axis: eta, method: "
             "continuation, max_period: 32}\n", grid);
    dln_jobspec *c = parse_ok(text);
    assert_true(dln_jobspec_hash(b) == dln_jobspec_hash(b2));
    assert_true(dln_jobspec_hash(b) != dln_jobspec_hash(c));
    assert_int_equal(dln_jobspec_refine_method(b), DLN_REFINE_BISECTION);
    assert_int_equal(dln_jobspec_refine_method(c), DLN_REFINE_CONTINUATION);
    assert_int_equal(dln_jobspec_refine_max_period(c), 32);
    assert_int_equal(dln_jobspec_refine_max_period(b), 64);  /* diagnostics */
    assert_int_equal(dln_jobspec_contin_code(b, 0, 0, 1), 0);
    for (long t = 0; t < dln_jobspec_ntasks(c); t++) {
        long first, k, task, k2;
        int period;
        dln_task grid_task, start;
        assert_int_equal(dln_jobspec_refine_line(c, t, &first, &k), 0);
        long code = dln_jobspec_contin_code(c, first, k, 3);
        assert_true(code < 0);
        assert_int_equal(dln_jobspec_contin_decode(c, code, &task, &k2,
                                                   &period), 0);
        assert_int_equal(task, t);
        assert_int_equal(k2, k);
        assert_int_equal(period, 3);
        assert_int_equal(dln_jobspec_task(c, t, &grid_task), 0);
        assert_int_equal(dln_jobspec_task(c, code, &start), 0);
        assert_int_equal(start.index, code);
        assert_string_equal(start.cell_hash, grid_task.cell_hash);
        assert_int_equal(start.seed_index, grid_task.seed_index);
    }
    assert_int_equal(dln_jobspec_contin_code(c, 0, 5, 1), 0);   /* k >= n */
    assert_int_equal(dln_jobspec_contin_code(c, 0, 0, 0), 0);
    dln_jobspec_destroy(&b);
    dln_jobspec_destroy(&b2);
    dln_jobspec_destroy(&c);
}

/* "FILE:LINE: key 'KEY'" of text's refusal. */
static void refused(const char *text, int line, const char *key)
{
    dln_jobspec *j = NULL;
    char err[512], want[128];
    assert_int_equal(dln_jobspec_parse("inline.yaml", text, strlen(text), &j,
                                       err, sizeof err), 2);
    snprintf(want, sizeof want, "inline.yaml:%d: key '%s'", line, key);
    if (!strstr(err, want))
        fail_msg("'%s' lacks '%s'", err, want);
}

/* List-valued parameters: a flat list is one value, a list of lists an
 * axis; an init file by its content (two paths to the same weights are
 * the same cell); the cross-field rules name the line at fault. */
static void explicit_inits(void **state)
{
    dln_jobspec *j = parse_ok("grid:\n  depth: 2\n  width: 1\n  spectrum: "
                              "5\n  init: balanced\n  alpha_layers: [1.5, "
                              "2.25]\n");
    dln_params p = param_of(j, 0);
    assert_int_equal(dln_jobspec_ntasks(j), 1);
    assert_int_equal(p.n_alpha_layers, 2);
    assert_true(p.alpha_layers[0] == 1.5 && p.alpha_layers[1] == 2.25);
    assert_true(dln_params_layer_scale(&p, 2) == 2.25);
    assert_non_null(strstr(dln_jobspec_canonical(j),
                           "alpha_layers=1.5,2.25\n"));
    dln_jobspec_destroy(&j);
    j = parse_ok("grid:\n  depth: 2\n  alpha_layers: [[1, 2], [2, 1]]\n");
    assert_int_equal(dln_jobspec_ntasks(j), 2);
    assert_true(param_of(j, 1).alpha_layers[0] == 2.0);
    assert_non_null(strstr(dln_jobspec_canonical(j),
                           "alpha_layers=1,2;2,1\n"));
    dln_jobspec_destroy(&j);
    j = parse_ok("grid:\n  depth: 2\n  width: 2\n  spectrum: [3, 1]\n  "
                 "init: diagonal\n  init_diag: [1, 0.5, 2, 0.25]\n");
    assert_int_equal(param_of(j, 0).n_init_diag, 4);
    dln_jobspec_destroy(&j);
    refused("grid:\n  depth: 3\n  alpha_layers: [1, 2]\n", 3,
            "alpha_layers");
    refused("grid:\n  depth: 2\n  alpha_layers: [[1, 2], [1, 2]]\n", 3,
            "alpha_layers");
    refused("grid:\n  init_diag: [1, 2, 3]\n", 2, "init_diag");
    refused("grid:\n  depth: 2\n  width: 2\n  spectrum: 1\n  init: "
            "diagonal\n  init_diag: [1, 2, 3]\n", 6, "init_diag");
    refused("grid:\n  init: file\n", 2, "init");   /* names init */
    refused("grid:\n  init_file: /nonexistent/w.npy\n", 2, "init_file");
    refused("grid:\n  alpha_layers: {geometric: {s1: 1, ratio: 0.5, rank: "
            "3}}\n", 2, "alpha_layers");
    /* an init file: by content */
    const char *a = "/tmp/dln_test_jobspec_a.npy";
    const char *b = "/tmp/dln_test_jobspec_b.npy";
    static const char head[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', "
        "'fortran_order': False, 'shape': (2,), }";
    char hdr[128];
    double w[2] = {0.5, 0.25};
    memset(hdr, ' ', sizeof hdr);
    memcpy(hdr, head, sizeof head - 1);
    hdr[127] = '\n';
    for (int f = 0; f < 2; f++) {
        FILE *fp = fopen(f ? b : a, "wb");
        assert_non_null(fp);
        fwrite(hdr, 1, sizeof hdr, fp);
        fwrite(w, sizeof w[0], 2, fp);
        fclose(fp);
    }
    char text[512];
    snprintf(text, sizeof text, "grid:\n  depth: 2\n  width: 1\n  "
             "spectrum: 1\n  init: file\n  init_file: %s\n", a);
    j = parse_ok(text);
    p = param_of(j, 0);
    assert_int_equal(p.init_file.n, 2);
    char canon_a[4096];
    snprintf(canon_a, sizeof canon_a, "%s", dln_jobspec_canonical(j));
    dln_jobspec_destroy(&j);
    snprintf(text, sizeof text, "grid:\n  depth: 2\n  width: 1\n  "
             "spectrum: 1\n  init: file\n  init_file: %s\n", b);
    j = parse_ok(text);
    assert_string_equal(dln_jobspec_canonical(j), canon_a);
    dln_task ta, tb;
    assert_int_equal(dln_jobspec_task(j, 0, &tb), 0);
    dln_jobspec_destroy(&j);
    snprintf(text, sizeof text, "grid:\n  depth: 2\n  width: 1\n  "
             "spectrum: 1\n  init: file\n  init_file: [%s, %s]\n", a, b);
    refused(text, 6, "init_file");   /* the same cell twice */
    snprintf(text, sizeof text, "grid:\n  depth: 2\n  width: 1\n  "
             "spectrum: 1\n  init: file\n  init_file: %s\n", a);
    j = parse_ok(text);
    assert_int_equal(dln_jobspec_task(j, 0, &ta), 0);
    assert_string_equal(ta.cell_hash, tb.cell_hash);
    dln_jobspec_destroy(&j);
    snprintf(text, sizeof text, "grid:\n  depth: 3\n  width: 1\n  "
             "spectrum: 1\n  init: file\n  init_file: %s\n", a);
    refused(text, 6, "init_file");   /* 2 values, 3 weights */
    remove(a);
    remove(b);
}

static void sections_and_defaults(void **state)
{
    dln_jobspec *j = parse_ok(
        "grid: {eta: [0.1, 0.2], width: [4, 600], spectrum: 1}\n"
        "parallel: {group_size: 8}\n"
        "refine: {axis: eta}\n");
    assert_int_equal(dln_jobspec_wide_width(j), 512);   /* section default */
    assert_int_equal(dln_jobspec_group_size(j), 8);
    assert_int_equal(dln_jobspec_is_wide(j, &(dln_params){.width = 600}), 1);
    assert_int_equal(dln_jobspec_is_wide(j, &(dln_params){.width = 4}), 0);
    assert_int_equal(dln_jobspec_is_wide(j, &(dln_params){.width = 4,
                                                          .d_in = 512}), 1);
    assert_string_equal(dln_jobspec_refine_axis(j), "eta");
    assert_true(dln_jobspec_refine_tol(j) == 1e-6);
    assert_int_equal(dln_jobspec_refine_max_points(j), 200);
    assert_int_equal(dln_jobspec_nseeds(j), 1);
    assert_true(dln_jobspec_global_seed(j) == 0);
    /* a cell not set in the file takes dln_params_defaults */
    dln_params d, p = param_of(j, 0);
    dln_params_defaults(&d);
    assert_int_equal(p.depth, d.depth);
    assert_int_equal(p.steps, d.steps);
    assert_int_equal(p.lanczos_iters, d.lanczos_iters);
    assert_true(p.alpha == d.alpha && p.period_tol == d.period_tol);
    dln_jobspec_destroy(&j);

    j = parse_ok("grid: {eta: 0.1}\n");
    assert_int_equal(dln_jobspec_wide_width(j), 0);
    assert_int_equal(dln_jobspec_group_size(j), 1);
    assert_int_equal(dln_jobspec_has_refine(j), 0);
    assert_null(dln_jobspec_refine_axis(j));
    assert_int_equal(dln_jobspec_axis_count(), 13);
    assert_string_equal(dln_jobspec_axis_name(0), "depth");
    assert_string_equal(dln_jobspec_axis_name(12), "eta");
    dln_jobspec_destroy(&j);
}

/* ---- the CLI -------------------------------------------------------- */

/* Run `dlnsweep check ARGS`; exit status, stdout lines, stderr text. */
static int run_check(const char *args, int *out_lines, char *errtext,
                     size_t errlen)
{
    char cmd[4096], line[4096];
    snprintf(cmd, sizeof cmd, "'%s' check %s >jobspec_cli.out "
             "2>jobspec_cli.err", DLN_EXE, args);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    FILE *f = fopen("jobspec_cli.out", "r");
    assert_non_null(f);
    *out_lines = 0;
    while (fgets(line, sizeof line, f))
        (*out_lines)++;
    fclose(f);
    f = fopen("jobspec_cli.err", "r");
    assert_non_null(f);
    size_t n = fread(errtext, 1, errlen - 1, f);
    errtext[n] = '\0';
    fclose(f);
    return WEXITSTATUS(st);
}

static void cli_check_bad_files(void **state)
{
    static char names[128][256];
    int n = bad_files(names, 128);
    for (int k = 0; k < n; k++) {
        char path[1400], key[64], want[1600], err[4096], args[1500];
        int line, lines;
        snprintf(path, sizeof path, "%s/tests/jobs_bad/%.255s", SRC, names[k]);
        expected_of(path, &line, key, sizeof key);
        snprintf(args, sizeof args, "'%s'", path);
        int rc = run_check(args, &lines, err, sizeof err);
        if (rc != 2)
            fail_msg("%s: exit %d (want 2)", names[k], rc);
        assert_int_equal(lines, 0);
        snprintf(want, sizeof want, "%s:%d: key '%s': ", path, line, key);
        if (strncmp(err, want, strlen(want)))
            fail_msg("%s: stderr '%s'", names[k], err);
        char *nl = strchr(err, '\n');      /* exactly one line */
        assert_non_null(nl);
        assert_int_equal(nl[1], '\0');
    }
}

static void cli_check_good_files(void **state)
{
    static const struct { const char *file; long tasks; } jobs[] = {
        {"smoke.yaml", 10}, {"paper-l3.yaml", 328}, {"wide.yaml", 4}};
    for (size_t k = 0; k < sizeof jobs / sizeof jobs[0]; k++) {
        char args[1200], err[4096];
        int lines, lines_list;
        snprintf(args, sizeof args, "'%s/jobs/%s'", SRC, jobs[k].file);
        assert_int_equal(run_check(args, &lines, err, sizeof err), 0);
        assert_string_equal(err, "");
        FILE *f = fopen("jobspec_cli.out", "r");
        char line[512], want[64];
        int found = 0;
        snprintf(want, sizeof want, "tasks:    %ld\n", jobs[k].tasks);
        while (fgets(line, sizeof line, f))
            found |= !strcmp(line, want);
        fclose(f);
        assert_true(found);
        /* --list: the summary, a header, one line per task */
        snprintf(args, sizeof args, "--list '%s/jobs/%s'", SRC, jobs[k].file);
        assert_int_equal(run_check(args, &lines_list, err, sizeof err), 0);
        assert_int_equal(lines_list, lines + 1 + jobs[k].tasks);
    }
    char err[4096];
    int lines;
    assert_int_equal(run_check("", &lines, err, sizeof err), 2);
    assert_int_equal(run_check("--bogus x.yaml", &lines, err, sizeof err), 2);
    assert_int_equal(run_check("--help", &lines, err, sizeof err), 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "cli")) {
        const struct CMUnitTest cli[] = {
            cmocka_unit_test(cli_check_bad_files),
            cmocka_unit_test(cli_check_good_files),
        };
        return cmocka_run_group_tests_name("jobspec_cli", cli, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_jobs_have_expected_sizes),
        cmocka_unit_test(paper_job_values),
        cmocka_unit_test(cascade_grid_lies_on_refine_lattice),
        cmocka_unit_test(continuation_codes),
        cmocka_unit_test(every_job_file_parses),
        cmocka_unit_test(linspace_is_exact),
        cmocka_unit_test(logspace_is_exact),
        cmocka_unit_test(arange_is_exact),
        cmocka_unit_test(spectrum_families),
        cmocka_unit_test(order_and_seeds_are_stable),
        cmocka_unit_test(canonical_hash_sees_only_the_task_set),
        cmocka_unit_test(malformed_files_name_line_and_key),
        cmocka_unit_test(other_input_errors),
        cmocka_unit_test(sections_and_defaults),
        cmocka_unit_test(explicit_inits),
    };
    return cmocka_run_group_tests_name("jobspec", tests, NULL, NULL);
}
