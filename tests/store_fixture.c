/* store_fixture.c — writes databases for tests/cli_store.sh through the
 * store API.
 *   store_fixture shard DB SWEEP HEXHASH ETA...  sweep (6 tasks) + runs
 *   store_fixture hold DB READY GO   lease + open batch with one uncommitted
 *                                    run; touch READY, wait for GO, commit
 *   store_fixture lease DB OWNER     take the lease and exit without release */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dlnsweep/store.h"

static int put(dln_store *s, double eta, long sweep_id, dln_regime g)
{
    dln_task t;
    dln_result r;
    dln_provenance prov = {.sweep_id = sweep_id, .attempt = 1};
    memset(&t, 0, sizeof t);
    dln_params_defaults(&t.params);
    t.params.eta = eta;
    dln_params_cell_hash(&t.params, t.cell_hash);
    dln_result_init(&r);
    r.regime = g;
    r.period = g == DLN_REGIME_PERIODIC ? 2 : g == DLN_REGIME_CONVERGED;
    r.wall_s = 0.25;
    r.n_orbit = 2;
    r.orbit_sv1 = calloc(2, sizeof(double));
    r.orbit_loss = calloc(2, sizeof(double));
    int rc = dln_store_put_run(s, &t, &r, &prov, 0);
    dln_result_clear(&r);
    return rc;
}

int main(int argc, char **argv)
{
    dln_store *s = NULL;
    char err[1024];
    int rc = 1;
    if (argc < 3)
        return 2;
    if (dln_store_create(argv[2], 0, &s, err, sizeof err)) {
        fprintf(stderr, "store_fixture: %s\n", err);
        return 1;
    }
    if (!strcmp(argv[1], "shard") && argc >= 5) {
        long id;
        uint64_t h = strtoull(argv[4], NULL, 16);
        if (dln_store_register_sweep(s, argv[3], "fixture", h, 6, 0, &id,
                                     err, sizeof err))
            goto fail;
        dln_store_begin(s);
        for (int i = 5; i < argc; i++)
            if (put(s, atof(argv[i]), id, (dln_regime)((i - 5) % 3)))
                goto fail;
        rc = dln_store_commit(s);
    } else if (!strcmp(argv[1], "hold") && argc == 5) {
        if (dln_store_lease_acquire(s, "fixture", 60.0, err, sizeof err))
            goto fail;
        if (dln_store_begin(s) || put(s, 0.999, 0, DLN_REGIME_CHAOTIC))
            goto fail;
        FILE *f = fopen(argv[3], "w");
        if (f)
            fclose(f);
        for (int i = 0; i < 400 && access(argv[4], F_OK) != 0; i++) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        rc = dln_store_commit(s) || dln_store_lease_release(s, "fixture");
    } else if (!strcmp(argv[1], "lease") && argc == 4) {
        if (dln_store_lease_acquire(s, argv[3], 60.0, err, sizeof err))
            goto fail;
        rc = 0;
    } else {
        fprintf(stderr, "store_fixture: bad arguments\n");
        rc = 2;
    }
    dln_store_destroy(&s);
    return rc;
fail:
    fprintf(stderr, "store_fixture: %s | %s\n", err, dln_store_errmsg(s));
    dln_store_destroy(&s);
    return 1;
}
