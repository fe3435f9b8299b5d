/* params.c — defaults, validation and hashing of run parameters through
 * their table (paramdefs.c), derived seeds, init names, spectra, cost. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/paramdefs.h"
#include "dlnsweep/params.h"

void dln_params_defaults(dln_params *p)
{
    char err[128];
    double v[DLN_MAX_INIT_DIAG];
    int n;
    memset(p, 0, sizeof *p);   /* files: none */
    for (int i = 0; i < dln_param_count(); i++) {
        const dln_param_def *d = dln_param_at(i);
        if (d->type == DLN_PT_LIST &&
            !dln_param_parse_list(d, d->def_list, v, &n, err, sizeof err))
            dln_param_set_list(p, d, v, n);
        else
            dln_param_set(p, d, d->def);
    }
}

int dln_params_d_in(const dln_params *p)
{
    return p->d_in > 0 ? p->d_in : p->width;
}

int dln_params_d_out(const dln_params *p)
{
    return p->d_out > 0 ? p->d_out : p->width;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return 2; } while (0)

int dln_params_validate(const dln_params *p, char *err, size_t errlen)
{
    dln_param_problem why;
    if (!dln_params_check(p, &why))
        return 0;
    BAD("%s: %s", why.key->name, why.reason);
}

uint64_t dln_hash_bytes(uint64_t h, const void *data, size_t len)
{
    const unsigned char *b = data;
    if (h == 0)
        h = 1469598103934665603ULL;       /* FNV offset basis */
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;            /* FNV prime */
    }
    return h;
}

/* splitmix64 finaliser: spreads FNV's low-entropy high bits. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void dln_params_spectrum_text(const dln_params *p, char *buf, size_t len)
{
    dln_param_format_list(p->spectrum, p->rank, 1, buf, len);
}

void dln_params_cell_hash(const dln_params *p, char out[DLN_HASH_HEX])
{
    /* Canonical text of every row but those DLN_PARAM_HASH_IF_SET rows that
     * hold their default, in table order, "key=value" joined by ';' (exact
     * values, 0-is-width resolved): the same cell from any source (job
     * file, `single`) hashes identically on every platform, and a row added
     * later leaves every older hash valid (paramdefs.h). */
    char text[(DLN_MAX_SPECTRUM + DLN_MAX_ALPHA_LAYERS + DLN_MAX_INIT_DIAG) *
              26 + 1024];
    size_t used = 0;
    for (int i = 0; i < dln_param_count() && used < sizeof text; i++) {
        const dln_param_def *d = dln_param_at(i);
        char v[DLN_MAX_INIT_DIAG * 26];
        if ((d->flags & DLN_PARAM_HASH_IF_SET) && dln_param_is_default(p, d))
            continue;
        dln_param_format(p, d, DLN_TEXT_EXACT, v, sizeof v);
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s=%s",
                                 used ? ";" : "", d->hash, v);
    }
    uint64_t h = mix64(dln_hash_bytes(0, text, strlen(text)));
    snprintf(out, DLN_HASH_HEX, "%016llx", (unsigned long long)h);
}

uint64_t dln_params_derive_seed(const char *cell_hash, int seed_index,
                                uint64_t global_seed)
{
    uint64_t h = dln_hash_bytes(0, cell_hash, strlen(cell_hash));
    h = dln_hash_bytes(h, &seed_index, sizeof seed_index);
    h = dln_hash_bytes(h, &global_seed, sizeof global_seed);
    return mix64(h);
}

static const char *const init_names[] = {"identity", "balanced",
                                         "orthogonal", "gaussian",
                                         "diagonal", "file"};

const char *dln_init_name(dln_init_kind k)
{
    if (k < DLN_INIT_IDENTITY || k > DLN_INIT_FILE)
        return "unknown";
    return init_names[k];
}

int dln_init_parse(const char *name, dln_init_kind *out)
{
    for (int k = 0; k <= DLN_INIT_FILE; k++)
        if (!strcmp(name, init_names[k])) {
            *out = (dln_init_kind)k;
            return 0;
        }
    return 2;
}

int dln_params_parse_spectrum(dln_params *p, const char *text, char *err,
                              size_t errlen)
{
    return dln_param_parse(p, DLN_PARAM_OF(spectrum), text, err, errlen);
}

double dln_params_layer_scale(const dln_params *p, int l)
{
    if (p->n_alpha_layers > 0 && l >= 1 && l <= p->n_alpha_layers)
        return p->alpha * p->alpha_layers[l - 1];
    return p->alpha;
}

/* d_l of p (d_0 = d_in, d_L = d_out, width between). */
static long dim(const dln_params *p, int l)
{
    return l == 0 ? dln_params_d_in(p)
           : l == p->depth ? dln_params_d_out(p) : p->width;
}

long dln_params_diag_count(const dln_params *p)
{
    long n = 0;
    for (int l = 1; l <= p->depth; l++)
        n += dim(p, l) < dim(p, l - 1) ? dim(p, l) : dim(p, l - 1);
    return n;
}

long dln_params_nweights(const dln_params *p)
{
    long n = 0;
    for (int l = 1; l <= p->depth; l++)
        n += dim(p, l) * dim(p, l - 1);
    return n;
}

long dln_params_lyapunov_steps(const dln_params *p)
{
    long n = p->steps / DLN_LYAP_AUTO_DIV;
    if (p->lyapunov_steps >= 0)
        return p->lyapunov_steps;
    if (n < DLN_LYAP_AUTO_FLOOR)
        n = DLN_LYAP_AUTO_FLOOR;
    return n < DLN_LYAP_AUTO_CAP ? n : DLN_LYAP_AUTO_CAP;
}

double dln_params_cost(const dln_params *p)
{
    double d = (double)p->width;
    double per_step = (double)p->depth * d * d * d;
    double sharp = p->sharpness_every > 0
                       ? (double)p->steps / p->sharpness_every *
                             p->lanczos_iters * 2.0 * per_step
                       : p->lanczos_iters * 2.0 * per_step;
    /* The Lyapunov continuation: warm-up and the least measured stretch,
     * a gradient and k HVPs per step (run.h). */
    return (double)p->steps * 4.0 * per_step + sharp +
           2.0 * (double)dln_params_lyapunov_steps(p) * (4.0 + 6.0 * p->lyapunov_k) * per_step;
}
