/* result.c — lifetime, derived quantities and wire format of run results. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/json.h"
#include "dlnsweep/refine.h"
#include "dlnsweep/result.h"
#include "dlnsweep/theory.h"

void dln_result_init(dln_result *r)
{
    memset(r, 0, sizeof *r);
    r->diverge_step = -1;
    r->n_hessian_above_eos = -1;
    r->eos_ratio = NAN;
    r->n_oscillating_theory = -1;
    r->lyapunov = r->lyapunov_err = NAN;
    r->lyapunov_inset = r->lyapunov_inset_err = NAN;
    r->lyapunov_transverse = r->lyapunov_transverse_err = NAN;
    r->floquet_max = r->floquet_inset_max = r->floquet_transverse_max = NAN;
    r->transverse_stable = r->in_set = r->n_collapsed = -1;
    r->set_defect = NAN;
}

void dln_result_derive(dln_result *r, const dln_params *p)
{
    r->eos_ratio = r->sharpness * p->eta / 2.0;
    r->n_oscillating_theory = dln_theory_oscillating_modes(p);
}

void dln_detail_layout_of(const dln_params *p, dln_detail_layout *lay)
{
    int dmin = dln_params_d_in(p) < dln_params_d_out(p) ? dln_params_d_in(p)
                                                        : dln_params_d_out(p);
    lay->modes = p->rank;
    lay->sv = p->top_k < dmin ? p->top_k : dmin;
    if (lay->sv > DLN_MAX_SV)
        lay->sv = DLN_MAX_SV;
    lay->hessian = p->orbit_hessian ? p->top_k : 0;
    lay->layers = p->depth;
    lay->gaps = p->depth - 1;
    lay->mode_gaps = (p->depth - 1) * p->rank;
    lay->stride = lay->modes + lay->sv + lay->hessian + lay->layers +
                  lay->gaps + lay->mode_gaps;
}

void dln_result_clear(dln_result *r)
{
    free(r->orbit_detail);
    free(r->traj_detail);
    free(r->sv_layers);
    free(r->traj);
    free(r->orbit_sv1);
    free(r->orbit_loss);
    free(r->hessian_spectrum);
    free(r->balance_gaps);
    free(r->located);
    dln_result_init(r);
}

const char *dln_regime_name(dln_regime g)
{
    static const char *const names[] = {"converged", "periodic", "chaotic",
                                        "divergent", "collapsed",
                                        "unresolved", "saddle",
                                        "quasiperiodic", "error"};
    _Static_assert(sizeof names / sizeof names[0] == DLN_REGIME_ERROR + 1,
                   "a name per regime");
    if (g < DLN_REGIME_CONVERGED || g > DLN_REGIME_ERROR)
        return "error";
    return names[g];
}

const char *dln_reason_name(dln_reason why)
{
    static const char *const names[DLN_REASON_COUNT] = {
        NULL, "period", "period after the continuation", "transient fit",
        "collapse", "exponent > 0", "exponent 0", "diverged",
        "diverged in the continuation", "not moved", "no exponent",
        "exponent undecided", "exponent < 0, no period",
        "converging, fixed point not reached",
        "held on an unstable orbit", "intermittent at the zero saddle"};
    return why > DLN_REASON_NONE && why < DLN_REASON_COUNT ? names[why]
                                                           : NULL;
}

const char *dln_mode_state_name(dln_mode_state m)
{
    static const char *const names[] = {"unknown", "fitted", "collapsed",
                                        "fixed", "periodic", "aperiodic"};
    return m >= DLN_MODE_UNKNOWN && m <= DLN_MODE_APERIODIC ? names[m]
                                                            : "unknown";
}

struct json_object *dln_result_floquet_json(const dln_result *r)
{
    json_object *a = json_object_new_array();
    for (int i = 0; a && i < r->n_floquet; i++) {
        double re = r->floquet_re[i], im = r->floquet_im[i];
        json_object *o = json_object_new_object();
        if (!o || json_object_array_add(a, o)) {
            json_object_put(o);
            json_object_put(a);
            return NULL;
        }
        json_object_object_add(o, "re", dln_json_exact(re));
        json_object_object_add(o, "im", dln_json_exact(im));
        json_object_object_add(o, "mod", dln_json_exact(hypot(re, im)));
        json_object_object_add(o, "arg", dln_json_exact(atan2(im, re)));
    }
    return a;
}

struct json_object *dln_result_modes_json(const dln_result *r,
                                          const dln_params *p)
{
    json_object *a = json_object_new_array();
    for (int i = 0; a && i < r->n_modes && i < p->rank; i++) {
        json_object *o = json_object_new_object();
        if (!o || json_object_array_add(a, o)) {
            json_object_put(o);
            json_object_put(a);
            return NULL;
        }
        json_object_object_add(o, "mode", json_object_new_int(i + 1));
        json_object_object_add(o, "s", dln_json_exact(p->spectrum[i]));
        json_object_object_add(o, "period",
                               json_object_new_int(r->mode_period[i]));
        json_object_object_add(o, "state", json_object_new_string(
                                   dln_mode_state_name(r->mode_state[i])));
    }
    return a;
}

/* Wire format: the struct itself (pointers meaningless), then the arrays
 * sv_layers, traj, orbit_sv1, orbit_loss, hessian_spectrum, balance_gaps,
 * orbit_detail, traj_detail, located, each of the length its count says
 * (a NULL
 * array takes no bytes: the unpacked one stays NULL).
 * Ranks run the same binary, so the raw layout is shared. */
#define NARRAYS 9   /* at most 16: a 2-byte mask says which follow */

/* The arrays of r (the address of each pointer) and their lengths in
 * bytes as r's counts give them, whether allocated or not. */
static void arrays(dln_result *r, void **at[NARRAYS], size_t *bytes)
{
    size_t stride = (size_t)(r->detail.stride > 0 ? r->detail.stride : 0);
    size_t orbit = (size_t)r->n_orbit * sizeof(double);
    at[0] = (void **)&r->sv_layers;
    bytes[0] = (size_t)r->n_sv_layers * DLN_MAX_SV * sizeof(double);
    at[1] = (void **)&r->traj;
    bytes[1] = (size_t)r->n_traj * sizeof(dln_traj_point);
    at[2] = (void **)&r->orbit_sv1;
    bytes[2] = orbit;
    at[3] = (void **)&r->orbit_loss;
    bytes[3] = orbit;
    at[4] = (void **)&r->hessian_spectrum;
    bytes[4] = (size_t)r->n_hessian_spectrum * sizeof(double);
    at[5] = (void **)&r->balance_gaps;
    bytes[5] = (size_t)r->n_balance_gaps * sizeof(double);
    at[6] = (void **)&r->orbit_detail;
    bytes[6] = orbit * stride;
    at[7] = (void **)&r->traj_detail;
    bytes[7] = (size_t)r->n_traj * stride * sizeof(double);
    at[8] = (void **)&r->located;
    bytes[8] = (size_t)r->n_located * sizeof(dln_located);
}

int dln_result_pack(const dln_result *r, void **buf, size_t *len)
{
    void **at[NARRAYS];
    size_t bytes[NARRAYS], total = sizeof *r + 2;
    unsigned present = 0;
    arrays((dln_result *)r, at, bytes);
    for (int i = 0; i < NARRAYS; i++)
        if (*at[i] && bytes[i]) {
            present |= 1u << i;
            total += bytes[i];
        }
    char *b = malloc(total);
    if (!b)
        return 1;
    char *w = b;
    memcpy(w, r, sizeof *r);
    w += sizeof *r;
    *w++ = (char)(present & 0xff);   /* which arrays follow: 2 bytes */
    *w++ = (char)(present >> 8);
    for (int i = 0; i < NARRAYS; i++)
        if (present & (1u << i)) {
            memcpy(w, *at[i], bytes[i]);
            w += bytes[i];
        }
    *buf = b;
    *len = total;
    return 0;
}

int dln_result_unpack(const void *buf, size_t len, dln_result *r)
{
    const char *rd = buf;
    void **at[NARRAYS];
    size_t bytes[NARRAYS], total = sizeof *r + 2;
    if (len < total)
        return 2;
    memcpy(r, rd, sizeof *r);
    rd += sizeof *r;
    unsigned present = (unsigned char)rd[0] | (unsigned)(unsigned char)rd[1]
                                                  << 8;
    rd += 2;
    r->error[sizeof r->error - 1] = '\0';
    arrays(r, at, bytes);
    for (int i = 0; i < NARRAYS; i++) {
        *at[i] = NULL;   /* the sender's pointers mean nothing here */
        if (present & (1u << i))
            total += bytes[i];
    }
    if (r->n_sv_layers < 0 || r->n_traj < 0 || r->n_orbit < 0 ||
        r->n_hessian_spectrum < 0 || r->n_balance_gaps < 0 ||
        r->n_located < 0 || r->detail.stride < 0 || total != len) {
        dln_result_init(r);
        return 2;
    }
    for (int i = 0; i < NARRAYS; i++) {
        if (!(present & (1u << i)))
            continue;
        if (!(*at[i] = malloc(bytes[i]))) {
            dln_result_clear(r);
            return 1;
        }
        memcpy(*at[i], rd, bytes[i]);
        rd += bytes[i];
    }
    return 0;
}
