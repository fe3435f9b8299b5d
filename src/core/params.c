/* params.c — defaults, validation, hashing and cost of run parameters. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dlnsweep/params.h"

void dln_params_defaults(dln_params *p)
{
    memset(p, 0, sizeof *p);
    p->eta = 0.05;
    p->depth = 3;
    p->width = 3;
    p->rank = 3;
    p->spectrum[0] = 10.0;
    p->spectrum[1] = 9.5;
    p->spectrum[2] = 9.0;
    p->init = DLN_INIT_IDENTITY;
    p->alpha = 1.0;
    p->steps = 5000;
    p->record_every = 10;
    p->sharpness_every = 0;
    p->lanczos_iters = 40;
    p->top_k = 4;
    p->max_period = 64;
    p->tail = 128;
    p->period_tol = 1e-7;
    p->diverge_bound = 1e12;
    p->lyapunov_steps = 1000;
    p->transient_window = -1;
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
    if (!(p->eta > 0.0) || !isfinite(p->eta))
        BAD("eta: must be a finite number > 0 (got %g)", p->eta);
    if (p->depth < 1 || p->depth > 1000)
        BAD("depth: must be an integer in 1..1000 (got %d)", p->depth);
    if (p->width < 1 || p->width > 1000000)
        BAD("width: must be an integer >= 1 (got %d)", p->width);
    if (p->d_in < 0 || p->d_out < 0)
        BAD("d_in/d_out: must be >= 0 (0 means = width)");
    if (p->rank < 1 || p->rank > DLN_MAX_SPECTRUM)
        BAD("spectrum: needs 1..%d singular values (got %d)", DLN_MAX_SPECTRUM,
            p->rank);
    int dmin = dln_params_d_in(p) < dln_params_d_out(p) ? dln_params_d_in(p)
                                                        : dln_params_d_out(p);
    if (p->rank > dmin)
        BAD("spectrum: %d singular values exceed min(d_in, d_out) = %d",
            p->rank, dmin);
    for (int i = 0; i < p->rank; i++) {
        if (!(p->spectrum[i] >= 0.0) || !isfinite(p->spectrum[i]))
            BAD("spectrum: singular value %d must be finite and >= 0", i + 1);
        if (i && p->spectrum[i] > p->spectrum[i - 1])
            BAD("spectrum: singular values must be in descending order");
    }
    if (p->init < DLN_INIT_IDENTITY || p->init > DLN_INIT_GAUSSIAN)
        BAD("init: unknown init kind %d", (int)p->init);
    if (!isfinite(p->alpha) || p->alpha < 0.0)
        BAD("alpha: must be finite and >= 0 (got %g)", p->alpha);
    if (p->steps < 1)
        BAD("steps: must be >= 1 (got %ld)", p->steps);
    if (p->record_every < 0 || p->sharpness_every < 0)
        BAD("record_every/sharpness_every: must be >= 0");
    if (p->lanczos_iters < 1 || p->lanczos_iters > 10000)
        BAD("lanczos_iters: must be in 1..10000 (got %d)", p->lanczos_iters);
    if (p->top_k < 1 || p->top_k > 16 || p->top_k > p->lanczos_iters)
        BAD("top_k: must be in 1..min(16, lanczos_iters) (got %d)", p->top_k);
    if (p->max_period < 1 || p->max_period > 4096)
        BAD("max_period: must be in 1..4096 (got %d)", p->max_period);
    if (p->tail < 0 || p->tail > 100000)
        BAD("tail: must be in 0..100000 (got %d)", p->tail);
    if (!(p->period_tol > 0.0) || p->period_tol >= 1.0)
        BAD("period_tol: must be in (0, 1) (got %g)", p->period_tol);
    if (!(p->diverge_bound > 0.0))
        BAD("diverge_bound: must be > 0 (got %g)", p->diverge_bound);
    if (p->transient_window < -1 || p->transient_window > p->steps)
        BAD("transient_window: must be -1 (auto), 0 (off) or 1..steps "
            "(got %ld)", p->transient_window);
    if (p->lyapunov_steps < 0)
        BAD("lyapunov_steps: must be >= 0 (got %d)", p->lyapunov_steps);
    return 0;
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
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (int i = 0; i < p->rank && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%.17g", i ? "," : "",
                         p->spectrum[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

void dln_params_cell_hash(const dln_params *p, char out[DLN_HASH_HEX])
{
    /* Canonical text of every field but the seed: the same cell from any
     * source (job file, `single`) hashes identically on every platform. */
    char spec[DLN_MAX_SPECTRUM * 26];
    char text[sizeof spec + 512];
    dln_params_spectrum_text(p, spec, sizeof spec);
    snprintf(text, sizeof text,
             "eta=%.17g;L=%d;d=%d;din=%d;dout=%d;s=%s;rot=%d;init=%s;"
             "alpha=%.17g;steps=%ld;rec=%d;sh=%d;lz=%d;k=%d;maxp=%d;"
             "tail=%d;ptol=%.17g;div=%.17g;lyap=%d",
             p->eta, p->depth, p->width, dln_params_d_in(p),
             dln_params_d_out(p), spec, p->rotate, dln_init_name(p->init),
             p->alpha, p->steps, p->record_every, p->sharpness_every,
             p->lanczos_iters, p->top_k, p->max_period, p->tail,
             p->period_tol, p->diverge_bound, p->lyapunov_steps);
    if (p->full_spectrum)   /* appended only when set: older hashes stay valid */
        strncat(text, ";fs=1", sizeof text - strlen(text) - 1);
    if (p->transient_window != -1) {   /* likewise: only when not auto */
        char tw[32];
        snprintf(tw, sizeof tw, ";tw=%ld", p->transient_window);
        strncat(text, tw, sizeof text - strlen(text) - 1);
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
                                         "orthogonal", "gaussian"};

const char *dln_init_name(dln_init_kind k)
{
    if (k < DLN_INIT_IDENTITY || k > DLN_INIT_GAUSSIAN)
        return "unknown";
    return init_names[k];
}

int dln_init_parse(const char *name, dln_init_kind *out)
{
    for (int k = 0; k <= DLN_INIT_GAUSSIAN; k++)
        if (!strcmp(name, init_names[k])) {
            *out = (dln_init_kind)k;
            return 0;
        }
    return 2;
}

int dln_params_parse_spectrum(dln_params *p, const char *text, char *err,
                              size_t errlen)
{
    int n = 0;
    const char *s = text;
    while (*s) {
        char *end;
        while (isspace((unsigned char)*s))
            s++;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno == ERANGE)
            BAD("spectrum: '%s' is not a comma-separated list of numbers",
                text);
        if (n == DLN_MAX_SPECTRUM)
            BAD("spectrum: more than %d singular values", DLN_MAX_SPECTRUM);
        p->spectrum[n++] = v;
        s = end;
        while (isspace((unsigned char)*s))
            s++;
        if (*s == ',')
            s++;
        else if (*s)
            BAD("spectrum: unexpected '%c' in '%s'", *s, text);
    }
    if (n == 0)
        BAD("spectrum: empty list");
    for (int i = n; i < DLN_MAX_SPECTRUM; i++)
        p->spectrum[i] = 0.0;
    p->rank = n;
    return 0;
}

double dln_params_cost(const dln_params *p)
{
    double d = (double)p->width;
    double per_step = (double)p->depth * d * d * d;
    double sharp = p->sharpness_every > 0
                       ? (double)p->steps / p->sharpness_every *
                             p->lanczos_iters * 2.0 * per_step
                       : p->lanczos_iters * 2.0 * per_step;
    return (double)p->steps * 4.0 * per_step + sharp +
           p->lyapunov_steps * 6.0 * per_step;
}
