/* jobspec.h — sweep job files (YAML, parsed with libyaml) and their
 * expansion into tasks (Cartesian product of the axes x seeds).
 *
 * Errors are one line: "FILE:LINE: key 'K': reason". */
#ifndef DLNSWEEP_JOBSPEC_H
#define DLNSWEEP_JOBSPEC_H

#include <stddef.h>
#include <stdint.h>
#include "dlnsweep/params.h"

typedef struct dln_jobspec dln_jobspec;

/* Parse and validate path. Returns 0, or 2 with a one-line message in err
 * (file, line and key named); 1 on allocation failure. Not collective. */
int dln_jobspec_load(const char *path, dln_jobspec **out, char *err,
                     size_t errlen);

/* Same from an in-memory YAML text; name is used in messages. */
int dln_jobspec_parse(const char *name, const char *text, size_t len,
                      dln_jobspec **out, char *err, size_t errlen);

/* Free j and set *j = NULL; accepts NULL. */
void dln_jobspec_destroy(dln_jobspec **j);

/* Sweep name (the job file's `name:`, else its basename). Borrowed. */
const char *dln_jobspec_name(const dln_jobspec *j);

/* Canonical text of the expanded spec and its hash: equal iff the set of
 * tasks is equal (used to refuse resuming with a changed file). Borrowed. */
const char *dln_jobspec_canonical(const dln_jobspec *j);
uint64_t dln_jobspec_hash(const dln_jobspec *j);

/* Number of tasks (cells x seeds). */
long dln_jobspec_ntasks(const dln_jobspec *j);

/* Task i (0 <= i < ntasks) with derived seed, cell hash and cost. 0 or 2. */
int dln_jobspec_task(const dln_jobspec *j, long i, dln_task *out);

#endif
