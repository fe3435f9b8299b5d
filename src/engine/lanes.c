/* lanes.c — which networks run on the lane kernels, and the dispatcher
 * between the kernels' instruction sets (lanes_<isa>.c). */
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/lanes.h"
#include "lanes_internal.h"

static const dln_lanes_isa *forced;   /* dln_lanes_isa_force's choice */

int dln_lanes_max_dim(void)
{
    const char *env = getenv("DLN_LANES_MAX_DIM");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 0 && v <= 1000000)
            return (int)v;
    }
    return DLN_LANES_MAX_DIM;
}

int dln_lanes_fits(const dln_params *p)
{
    int mx = dln_lanes_max_dim();
    return p->width <= mx && dln_params_d_in(p) <= mx &&
           dln_params_d_out(p) <= mx;
}

/* The named set if this build and CPU run it, else NULL. */
static const dln_lanes_isa *isa_named(const char *name)
{
    if (!strcmp(name, "generic"))
        return dln_lanes_isa_generic();
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (!strcmp(name, "avx2"))
        return __builtin_cpu_supports("avx2") ? dln_lanes_isa_avx2() : NULL;
    if (!strcmp(name, "avx512"))
        return __builtin_cpu_supports("avx512f") ? dln_lanes_isa_avx512()
                                                 : NULL;
#endif
    return NULL;
}

/* DLN_LANES_ISA when set and available, else the widest available set. */
static const dln_lanes_isa *isa_default(void)
{
    static const char *const order[] = {"avx512", "avx2", "generic"};
    const char *env = getenv("DLN_LANES_ISA");
    const dln_lanes_isa *isa = env && *env ? isa_named(env) : NULL;
    for (size_t i = 0; !isa && i < sizeof order / sizeof order[0]; i++)
        isa = isa_named(order[i]);
    return isa;
}

const dln_lanes_isa *dln_lanes_isa_current(void)
{
    return forced ? forced : isa_default();
}

const char *dln_lanes_isa_name(void)
{
    return dln_lanes_isa_current()->name;
}

int dln_lanes_isa_available(const char *name)
{
    return name && isa_named(name) != NULL;
}

int dln_lanes_isa_force(const char *name)
{
    if (!name) {
        forced = NULL;
        return 0;
    }
    const dln_lanes_isa *isa = isa_named(name);
    if (!isa)
        return 2;
    forced = isa;
    return 0;
}

dln_lanes_shape dln_lanes_shape_of(const dln_params *p)
{
    dln_lanes_shape s = {p->depth, dln_params_d_in(p), p->width,
                         dln_params_d_out(p)};
    return s;
}

size_t dln_lanes_tile_ws(dln_lanes_shape s)
{
    size_t nb = (size_t)s.width * s.d_in;
    return (dln_lanes_nprefix(s) + dln_lanes_ntarget(s) + 2 * nb) *
           DLN_LANES_TILE;
}
