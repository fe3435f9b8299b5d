/* lanes_avx512.c — the lane kernels (lanes_kernel.h) built with -mavx512f
 * (no FMA: see CMakeLists.txt), called only on CPUs that have AVX-512F
 * (lanes.c).  Without the flag the entry returns NULL. */
#include <stddef.h>
#include "lanes_internal.h"
#if defined(__AVX512F__)
#define LANES_ISA_NAME "avx512"
#define LANES_ISA_ENTRY dln_lanes_isa_avx512
#include "lanes_kernel.h"
#else
const dln_lanes_isa *dln_lanes_isa_avx512(void)
{
    return NULL;
}
#endif
