/* testhook.h — named points where a test makes the process stop, die or
 * receive a signal at an exact moment (crash, drain and race tests).
 *
 * The environment variable DLN_TEST_HOOK holds a comma-separated list of
 * POINT[@RANK][#N]:ACTION entries.  When the process reaches POINT (the
 * N-th time, default the first; only in the MPI rank RANK when given, read
 * from OMPI_COMM_WORLD_RANK / PMIX_RANK / SLURM_PROCID) it does ACTION:
 *   kill   raise(SIGKILL)            term   raise(SIGTERM)
 *   usr1   raise(SIGUSR1)            stop   raise(SIGSTOP) (SIGCONT resumes)
 *   fsize=N  no file may grow past N bytes from then on (RLIMIT_FSIZE,
 *          SIGXFSZ ignored): every later write beyond fails, as on a full
 *          disk
 * and, for the signals, first writes "dlnsweep: test hook POINT: ACTION"
 * to stderr.
 * Without DLN_TEST_HOOK a point costs one getenv.  The points:
 *   store-create-tmp   a new database's temporary file is opened (empty)
 *   store-create-link  the new file is complete, not yet linked into place
 *   store-schema       the first write transaction, schema written, not
 *                      yet committed
 *   store-commit       before each commit of a write batch
 *   run-start          `dlnsweep run` in main, before MPI_Init
 *   run-init           after MPI_Init
 *   sweep-setup        every rank, once setup is agreed, before any work
 *   sweep-end          every rank, after its part of the sweep (rank 0:
 *                      results committed, lease released)
 *   run-finalize       before MPI_Finalize
 *   merge-input        after an input of `merge` is committed
 *   snapshot-copy      the snapshot is copied, not yet renamed into place */
#ifndef DLNSWEEP_TESTHOOK_H
#define DLNSWEEP_TESTHOOK_H

/* Act on point if DLN_TEST_HOOK names it (see above); otherwise nothing.
 * Thread-safe; not collective. */
void dln_test_hook(const char *point);

#endif
