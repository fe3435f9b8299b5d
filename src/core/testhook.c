/* testhook.c — DLN_TEST_HOOK points (see testhook.h). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "dlnsweep/testhook.h"

#define MAX_ENTRIES 16

/* Times each entry of DLN_TEST_HOOK (by position) has matched so far. */
static atomic_long hits[MAX_ENTRIES];

/* This process's MPI rank from the launcher's environment, -1 if none. */
static long env_rank(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK",
                                       "SLURM_PROCID"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strtol(v, NULL, 10);
    }
    return -1;
}

/* Do action (the text after ':'); unknown actions do nothing. */
static void act(const char *point, const char *action, size_t len)
{
    if (len > 6 && !strncmp(action, "fsize=", 6)) {
        /* From now on no file grows past N bytes: writes fail (EFBIG)
         * as on a full disk, instead of SIGXFSZ ending the process. */
        rlim_t n = (rlim_t)strtoull(action + 6, NULL, 10);
        struct rlimit rl = {n, n};
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &rl);
        return;
    }
    static const struct { const char *name; int sig; } acts[] = {
        {"kill", SIGKILL}, {"term", SIGTERM}, {"usr1", SIGUSR1},
        {"stop", SIGSTOP}};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (strlen(acts[i].name) == len && !strncmp(acts[i].name, action, len)) {
            char line[160];
            int n = snprintf(line, sizeof line, "dlnsweep: test hook %s: %s\n",
                             point, acts[i].name);
            if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
                n = 0;
            raise(acts[i].sig);
            return;
        }
}

void dln_test_hook(const char *point)
{
    const char *spec = getenv("DLN_TEST_HOOK");
    if (!spec || !*spec)
        return;
    size_t plen = strlen(point);
    for (int k = 0; *spec && k < MAX_ENTRIES; k++) {
        const char *end = strchr(spec, ',');
        size_t len = end ? (size_t)(end - spec) : strlen(spec);
        const char *colon = memchr(spec, ':', len);
        size_t name_len = colon ? (size_t)(colon - spec) : len;
        const char *at = memchr(spec, '@', name_len);
        const char *hash = memchr(spec, '#', name_len);
        size_t base = at ? (size_t)(at - spec) : name_len;
        if (hash && (size_t)(hash - spec) < base)
            base = (size_t)(hash - spec);
        if (colon && base == plen && !strncmp(spec, point, plen) &&
            (!at || strtol(at + 1, NULL, 10) == env_rank())) {
            long want = hash ? strtol(hash + 1, NULL, 10) : 1;
            if (atomic_fetch_add(&hits[k], 1) + 1 == want)
                act(point, colon + 1, len - name_len - 1);
        }
        spec += len + (end != NULL);
    }
}
