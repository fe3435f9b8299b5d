/* theory.c — closed forms of the balanced network (theory.h). */
#include <math.h>
#include "dlnsweep/theory.h"

double dln_theory_mode_sharpness(int depth, double s)
{
    return (double)depth * pow(s, 2.0 - 2.0 / (double)depth);
}

int dln_theory_oscillating_modes(const dln_params *p)
{
    int cnt = 0;
    for (int i = 0; i < p->rank; i++)
        if (p->spectrum[i] > 0.0 &&
            p->eta > 2.0 / dln_theory_mode_sharpness(p->depth, p->spectrum[i]))
            cnt++;
    return cnt;
}

double dln_theory_sharpness(const dln_params *p)
{
    return dln_theory_mode_sharpness(p->depth, p->spectrum[0]);
}
