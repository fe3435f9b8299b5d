/* lanes_generic.c — the lane kernels (lanes_kernel.h) for whatever the
 * compiler targets by default: runs on every CPU. */
#define LANES_ISA_NAME "generic"
#define LANES_ISA_ENTRY dln_lanes_isa_generic
#include "lanes_kernel.h"
