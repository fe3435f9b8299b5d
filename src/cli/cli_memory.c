/* cli_memory.c — the memory check of `check` and `run`: every cell's
 * predicted footprint (core/footprint.c) against the memory per rank. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dlnsweep/footprint.h"
#include "cli_internal.h"

int dln_cli_parse_size(const char *text, double *bytes)
{
    static const char units[] = "KMGTP";
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v) || !(v > 0))
        return 2;
    if (*end) {
        const char *u = strchr(units, *end >= 'a' ? *end - 32 : *end);
        if (!u || !*u || (end[1] && strcmp(end + 1, "B") && strcmp(end + 1,
                                                                   "iB")))
            return 2;
        v *= pow(1024.0, (double)(u - units + 1));
    }
    *bytes = v;
    return 0;
}

void dln_cli_format_size(double bytes, char *buf, size_t len)
{
    static const char *const units[] = {"bytes", "KB", "MB", "GB", "TB", "PB",
                                        "EB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 6) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(buf, len, bytes < 10 && u ? "%.1f %s" : "%.0f %s", bytes,
             units[u]);
}

/* The cgroup v2 memory limit of this process in bytes, 0 if none. */
static double cgroup_limit(void)
{
    char line[4096], path[4200], text[64];
    double v = 0;
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "0::", 3)) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max",
                     line + 3);
            FILE *m = fopen(path, "r");
            if (m) {
                if (fgets(text, sizeof text, m) && text[0] >= '0' &&
                    text[0] <= '9')
                    v = strtod(text, NULL);
                fclose(m);
            }
        }
    fclose(f);
    return v;
}

double dln_cli_node_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    double phys = pages > 0 && size > 0 ? (double)pages * (double)size : 0;
    double cg = cgroup_limit();
    return cg > 0 && (phys == 0 || cg < phys) ? cg : phys;
}

int dln_cli_check_memory(const dln_jobspec *j, int group, double limit,
                         const char *why, double *peak, char *msg,
                         size_t len)
{
    *peak = 0;
    for (long c = 0; c < dln_jobspec_ncells(j); c++) {
        dln_params p;
        dln_footprint f;
        if (dln_jobspec_cell(j, c, &p))
            continue;
        int g = group > 1 && dln_jobspec_is_wide(j, &p) ? group : 1;
        double need = dln_footprint_estimate(&p, g, &f);
        dln_footprint fc;
        if (dln_jobspec_refine_method(j) == DLN_REFINE_CONTINUATION &&
            dln_footprint_continuation(&p, &fc) > need) {
            need = fc.total;
            f = fc;
        }
        if (need > *peak)
            *peak = need;
        if (limit > 0 && need > limit) {
            char a[32], b[32], l[32];
            double part;
            const char *name = dln_footprint_largest(&f, &part);
            dln_cli_format_size(need, a, sizeof a);
            dln_cli_format_size(part, b, sizeof b);
            dln_cli_format_size(limit, l, sizeof l);
            snprintf(msg, len, "%s: cell %ld (depth %d, width %d, d_in %d, "
                     "d_out %d, lanczos_iters %d, full_spectrum %d%s) needs "
                     "about %s per rank (%s %s), over the limit of %s (%s)",
                     dln_jobspec_path(j), c, p.depth, p.width,
                     dln_params_d_in(&p), dln_params_d_out(&p),
                     p.lanczos_iters, p.full_spectrum,
                     g > 1 ? ", on a wide group" : "", a, name, b, l, why);
            return 2;
        }
    }
    return 0;
}
