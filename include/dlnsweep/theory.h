/* theory.h — closed forms of the balanced deep linear network that the
 * program compares its measurements with (pure functions of the cell's
 * parameters: no model, no I/O).
 *
 * At a balanced global minimum the Hessian's top eigenvalue (sharpness)
 * is L s_1^(2-2/L), and target mode i oscillates under GD with step eta iff
 * eta > 2/(L s_i^(2-2/L)). */
#ifndef DLNSWEEP_THEORY_H
#define DLNSWEEP_THEORY_H

#include "dlnsweep/params.h"

/* 2/eta threshold of a mode of singular value s at depth L:
 * L s^(2-2/L) (0^0 = 1 at L = 1). Pure. */
double dln_theory_mode_sharpness(int depth, double s);

/* Number of target modes i with eta > 2/(L s_i^(2-2/L)) (pure). */
int dln_theory_oscillating_modes(const dln_params *p);

/* Sharpness of a balanced global minimum, L s_1^(2-2/L) (pure). */
double dln_theory_sharpness(const dln_params *p);

#endif
