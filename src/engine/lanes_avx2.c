/* lanes_avx2.c — the lane kernels (lanes_kernel.h) built with -mavx2 (no
 * FMA: see CMakeLists.txt), called only on CPUs that have AVX2 (lanes.c).
 * Without the flag (another architecture or compiler) there is no such
 * path and the entry returns NULL. */
#include <stddef.h>
#include "lanes_internal.h"
#if defined(__AVX2__)
#define LANES_ISA_NAME "avx2"
#define LANES_ISA_ENTRY dln_lanes_isa_avx2
#include "lanes_kernel.h"
#else
const dln_lanes_isa *dln_lanes_isa_avx2(void)
{
    return NULL;
}
#endif
